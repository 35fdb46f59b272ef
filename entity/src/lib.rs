//! SeaORM entities of campaign-performance: the spec's six tables, the ingestion tables, their enums and the
//! `Money` column type, and the rollups' descriptions (`rollups`). No GraphQL and no business rules live here.

pub mod campaigns;
pub mod crm_conversions;
pub mod ecommerce_orders;
pub mod email_campaigns;
pub mod email_events;
pub mod email_sends;
pub mod enums;
pub mod idempotency_keys;
pub mod money;
pub mod quarantined_items;
pub mod rollups;
pub mod users;
pub mod verify_runs;

pub use money::Money;

pub mod prelude {
    pub use super::campaigns::Entity as Campaigns;
    pub use super::crm_conversions::Entity as CrmConversions;
    pub use super::ecommerce_orders::Entity as EcommerceOrders;
    pub use super::email_campaigns::Entity as EmailCampaigns;
    pub use super::email_events::Entity as EmailEvents;
    pub use super::email_sends::Entity as EmailSends;
    pub use super::idempotency_keys::Entity as IdempotencyKeys;
    pub use super::quarantined_items::Entity as QuarantinedItems;
    pub use super::users::Entity as Users;
    pub use super::verify_runs::Entity as VerifyRuns;
}
