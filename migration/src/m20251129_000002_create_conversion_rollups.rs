//! `conversion_rollups`: CRM conversions and their value (exact cents) per campaign ×
//! retailer × product category × conversion type × linked to a send or not × 15-minute slot
//! of the conversion date, kept exact by triggers on `crm_conversions` like the email
//! rollups. A missing campaign or retailer counts under the nil UUID, a missing category or
//! type under `''` (both columns only hold values from fixed lists, never empty).
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251129_000002_create_conversion_rollups.*.sql` (the description now lives in `entity::rollups::conversion_rollups`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251129_000002_create_conversion_rollups");
