//! `conversion_rollups`: CRM conversions and their value (exact cents) per campaign ×
//! retailer × product category × conversion type × linked to a send or not × 15-minute slot
//! of the conversion date, kept exact by triggers on `crm_conversions` like the email
//! rollups. A missing campaign or retailer counts under the nil UUID, a missing category or
//! type under `''` (both columns only hold values from fixed lists, never empty).

use super::{PerRow, Rollup, cents, nil};

/// What each conversion counts for.
pub const CONVERSIONS: PerRow = PerRow {
    source: "crm_conversions",
    time: "conversion_date",
    slot: "slot",
    columns: |backend, r| {
        let keys = vec![
            ("campaign_id", format!("COALESCE({r}.campaign_id, {})", nil(backend))),
            ("retailer_id", format!("COALESCE({r}.retailer_id, {})", nil(backend))),
            ("product_category", format!("COALESCE({r}.product_category, '')")),
            ("conversion_type", format!("COALESCE({r}.conversion_type, '')")),
            ("linked", format!("CASE WHEN {r}.email_send_id IS NULL THEN 0 ELSE 1 END")),
        ];
        let counts = vec![
            ("n", "1".to_owned()),
            ("cents", format!("COALESCE({}, 0)", cents(backend, &format!("{r}.conversion_value")))),
        ];
        (keys, counts)
    },
    filter: |_| "1 = 1".to_owned(),
};

pub const ROLLUP: Rollup = Rollup {
    source: "crm_conversions",
    counted: "campaign_id, retailer_id, email_send_id, conversion_type, conversion_value, conversion_date, product_category",
    table: "conversion_rollups",
    keys: &["campaign_id", "retailer_id", "product_category", "conversion_type", "linked", "slot"],
    key_types: &["UUID", "UUID", "VARCHAR(100)", "VARCHAR(50)", "INTEGER", "BIGINT"],
    counts: &["n", "cents"],
    rows: |backend, source, sign| CONVERSIONS.rows(backend, source, sign),
};
