//! `email_activity`: how many sends were sent, delivered, opened and clicked in each
//! 15-minute slot of the time it happened, per email campaign × retailer, kept exact by
//! triggers on `email_sends` like `email_rollups`. The timeline reads it. Times follow
//! errata E5: a delivery counts at its time or, missing, at the open or click that proves it;
//! an open at the open or the click.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251125_000003_create_email_activity.*.sql` (the description now lives in `entity::rollups::email_activity`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251125_000003_create_email_activity");
