//! `email_activity_hourly`: `email_activity_all` per UTC hour instead of 15-minute slot. A
//! timeline in a time zone whose offsets are whole hours (UTC and most zones) reads it: a
//! quarter of the rows for a long campaign.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251129_000005_create_email_activity_hourly.*.sql` (the description now lives in `entity::rollups::email_activity_hourly`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251129_000005_create_email_activity_hourly");
