//! The spec's enumerated columns, stored as the spec's strings and serialized (REST, logs)
//! as the same strings. The migrations hold their own frozen copy of each value list in a
//! CHECK constraint.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `users.user_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
#[serde(rename_all = "lowercase")]
pub enum UserType {
    #[sea_orm(string_value = "retailer")]
    Retailer,
    #[sea_orm(string_value = "brand")]
    Brand,
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// `users.region`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum Region {
    #[sea_orm(string_value = "East")]
    East,
    #[sea_orm(string_value = "West")]
    West,
    #[sea_orm(string_value = "Central")]
    Central,
    #[sea_orm(string_value = "North")]
    North,
    #[sea_orm(string_value = "South")]
    South,
}

/// `campaigns.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "completed")]
    Completed,
}

/// `email_sends.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
#[serde(rename_all = "lowercase")]
pub enum SendStatus {
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    #[sea_orm(string_value = "bounced")]
    Bounced,
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// `crm_conversions.conversion_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
#[serde(rename_all = "snake_case")]
pub enum ConversionType {
    #[sea_orm(string_value = "sale")]
    Sale,
    #[sea_orm(string_value = "lead")]
    Lead,
    #[sea_orm(string_value = "signup")]
    Signup,
    #[sea_orm(string_value = "demo_request")]
    DemoRequest,
}

/// `crm_conversions.product_category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(100))")]
pub enum ProductCategory {
    #[sea_orm(string_value = "Necklaces")]
    Necklaces,
    #[sea_orm(string_value = "Bracelets")]
    Bracelets,
    #[sea_orm(string_value = "Earrings")]
    Earrings,
    #[sea_orm(string_value = "Rings")]
    Rings,
}

/// `ecommerce_orders.order_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "refunded")]
    Refunded,
}

/// `email_events.event_type`: what an email provider reported about one send.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
#[serde(rename_all = "lowercase")]
pub enum EmailEventType {
    /// Accepted by the provider for sending.
    #[sea_orm(string_value = "processed")]
    Processed,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Delivery delayed; the provider retries.
    #[sea_orm(string_value = "deferred")]
    Deferred,
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "click")]
    Click,
    #[sea_orm(string_value = "bounce")]
    Bounce,
    /// Not sent at all (the provider's "dropped" or "failed").
    #[sea_orm(string_value = "dropped")]
    Dropped,
    #[sea_orm(string_value = "spamreport")]
    SpamReport,
    #[sea_orm(string_value = "unsubscribe")]
    Unsubscribe,
}

/// `quarantined_items.kind`: what a held item would have become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))")]
#[serde(rename_all = "snake_case")]
pub enum QuarantineKind {
    #[sea_orm(string_value = "email_event")]
    EmailEvent,
    #[sea_orm(string_value = "conversion")]
    Conversion,
    #[sea_orm(string_value = "order")]
    Order,
}
