//! `email_activity_daily`: `email_activity_all` per UTC day. A DAY or WEEK timeline in a time
//! zone that is UTC all year reads it: one row per kind and day, however dense the campaign.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251129_000006_create_email_activity_daily.*.sql` (the description now lives in `entity::rollups::email_activity_daily`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251129_000006_create_email_activity_daily");
