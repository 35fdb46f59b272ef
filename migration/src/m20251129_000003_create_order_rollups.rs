//! `order_rollups`: e-commerce orders and their value (exact cents) per campaign × retailer ×
//! status × attributed to email or not × 15-minute slot of the order date, kept exact by
//! triggers on `ecommerce_orders` like the email rollups, so a status change (an order
//! cancelled, a refund) moves its count and value from one status to another in the same
//! transaction. A missing campaign or retailer counts under the nil UUID.
//!
//! Frozen: the statements this migration ran when it was written, per backend, are in
//! `frozen/m20251129_000003_create_order_rollups.*.sql` (the description now lives in `entity::rollups::order_rollups`, which a
//! test checks against them).

use crate::frozen::frozen_migration;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

frozen_migration!("m20251129_000003_create_order_rollups");
