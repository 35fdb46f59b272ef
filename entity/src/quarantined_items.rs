use crate::enums::QuarantineKind;
use sea_orm::entity::prelude::*;

/// `quarantined_items`: events, conversions and orders that could not be applied (unknown
/// send, campaign, retailer or event type), kept with the reason until they can be.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantined_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Where it came from: `sendgrid`, `shopify`, or the `source` given to a record mutation.
    pub source: String,
    pub kind: QuarantineKind,
    /// The item's idempotency key in `source` (with `source` and `kind`, unique).
    pub item_key: String,
    pub reason: String,
    /// The item as received (JSON), re-read when it is applied again.
    pub payload: String,
    pub received_at: DateTimeUtc,
    /// How many times it was received or retried.
    pub attempts: i32,
    /// When it was finally applied.
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
