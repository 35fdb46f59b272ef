//! `email_totals`: all-time email counts per email campaign × retailer (the figures without
//! a period, which most pages show), kept exact by triggers like `email_rollups`, whose
//! counts they sum over every slot. A read costs the number of retailers, not of sends.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251125_000004_create_email_totals.*.sql` (the description now lives in `entity::rollups::email_totals`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251125_000004_create_email_totals");
