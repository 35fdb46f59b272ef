//! `order_rollups`: e-commerce orders and their value (exact cents) per campaign × retailer ×
//! status × attributed to email or not × 15-minute slot of the order date, kept exact by
//! triggers on `ecommerce_orders` like the email rollups, so a status change (an order
//! cancelled, a refund) moves its count and value from one status to another in the same
//! transaction. A missing campaign or retailer counts under the nil UUID.

use super::{PerRow, Rollup, cents, nil};

/// What each order counts for.
pub const ORDERS: PerRow = PerRow {
    source: "ecommerce_orders",
    time: "order_date",
    slot: "slot",
    columns: |backend, r| {
        let keys = vec![
            ("campaign_id", format!("COALESCE({r}.campaign_id, {})", nil(backend))),
            ("retailer_id", format!("COALESCE({r}.retailer_id, {})", nil(backend))),
            ("order_status", format!("{r}.order_status")),
            ("attributed_to_email", format!("{r}.attributed_to_email")),
        ];
        let counts = vec![
            ("n", "1".to_owned()),
            ("cents", format!("COALESCE({}, 0)", cents(backend, &format!("{r}.order_value")))),
        ];
        (keys, counts)
    },
    filter: |_| "1 = 1".to_owned(),
};

pub const ROLLUP: Rollup = Rollup {
    source: "ecommerce_orders",
    counted: "campaign_id, retailer_id, order_value, order_date, order_status, attributed_to_email",
    table: "order_rollups",
    keys: &["campaign_id", "retailer_id", "order_status", "attributed_to_email", "slot"],
    key_types: &["UUID", "UUID", "VARCHAR(50)", "BOOLEAN", "BIGINT"],
    counts: &["n", "cents"],
    rows: |backend, source, sign| ORDERS.rows(backend, source, sign),
};
