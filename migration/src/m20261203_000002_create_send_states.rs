//! `send_states`: sends per email campaign × retailer × status × opened × clicked, from which a
//! list of sends gets its `totalCount` and knows when its filter matches nothing.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20261203_000002_create_send_states.*.sql` (the description lives in
//! `entity::rollups::send_states`, which a test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20261203_000002_create_send_states");
