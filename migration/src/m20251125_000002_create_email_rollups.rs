//! `email_rollups`: email counts per email campaign × retailer × 15-minute slot of the send
//! time, kept exact by triggers in the same transaction as every change to `email_sends`
//! (insert, update of a counted column, delete, cascade), so figures read from it are always
//! fresh. Each count follows errata E5, like the raw-row queries in `analytics::sql`.
//! Sends without a retailer count under the nil UUID.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251125_000002_create_email_rollups.*.sql` (the description now lives in `entity::rollups::email_rollups`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251125_000002_create_email_rollups");
