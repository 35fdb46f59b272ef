//! `email_activity_all`: `email_activity` summed over retailers, so the timeline of a
//! campaign seen by its brand reads one row per kind and slot, however many retailers sent
//! (a read costs the length of the campaign, not its number of sends or retailers). Kept
//! exact by the same triggers' kind.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251129_000001_create_email_activity_all.*.sql` (the description now lives in `entity::rollups::email_activity_all`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251129_000001_create_email_activity_all");
