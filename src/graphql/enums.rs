//! GraphQL mirrors of the entity enums (values in SCREAMING_CASE), converted both ways.

use async_graphql::Enum;
use entity::enums as db;

/// A user's role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::UserType")]
pub enum UserType {
    /// A retailer that receives campaigns and places orders.
    Retailer,
    /// A member of the brand's marketing team.
    Brand,
    /// An administrator.
    Admin,
}

/// A geographic region.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::Region")]
pub enum Region {
    /// The East region.
    East,
    /// The West region.
    West,
    /// The Central region.
    Central,
    /// The North region.
    North,
    /// The South region.
    South,
}

/// Where a campaign is in its lifecycle.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::CampaignStatus")]
pub enum CampaignStatus {
    /// Being prepared; nothing sent.
    Draft,
    /// Running.
    Active,
    /// Stopped for now; may resume.
    Paused,
    /// Finished.
    Completed,
}

/// Delivery state of one email.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::SendStatus")]
pub enum SendStatus {
    /// Handed to the email provider; no delivery or bounce yet.
    Sent,
    /// Delivered to the recipient's mail server.
    Delivered,
    /// Refused by the recipient's mail server.
    Bounced,
    /// Could not be sent.
    Failed,
}

/// Kind of CRM conversion.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ConversionType")]
pub enum ConversionType {
    /// A sale.
    Sale,
    /// A lead: a prospective customer's interest, recorded by the CRM.
    Lead,
    /// A signup.
    Signup,
    /// A request for a product demonstration.
    DemoRequest,
}

/// Product category of a conversion.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ProductCategory")]
pub enum ProductCategory {
    /// Necklaces.
    Necklaces,
    /// Bracelets.
    Bracelets,
    /// Earrings.
    Earrings,
    /// Rings.
    Rings,
}

/// Order state. Only completed orders are revenue; pending ones are reported apart.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::OrderStatus")]
pub enum OrderStatus {
    /// Completed: its value counts as revenue.
    Completed,
    /// Not completed yet: its value counts as pending revenue, not as revenue.
    Pending,
    /// Cancelled: not revenue.
    Cancelled,
    /// Refunded: not revenue.
    Refunded,
}

/// What an email provider reported about one send.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::EmailEventType")]
pub enum EmailEventType {
    /// Accepted by the provider for sending (no effect on the figures).
    Processed,
    /// Delivered to the recipient's mail server.
    Delivered,
    /// Delivery delayed; the provider retries (no effect on the figures).
    Deferred,
    /// Opened (the first open counts; a machine open counts as opened but not as a human open).
    Open,
    /// A link clicked (implies delivery and a human open).
    Click,
    /// Bounced (a later delivery overrides it; it never un-delivers).
    Bounce,
    /// Not sent at all (the provider dropped or failed it).
    Dropped,
    /// Marked as spam by the recipient (implies delivery).
    SpamReport,
    /// The recipient unsubscribed (implies delivery).
    Unsubscribe,
}

/// What a quarantined item would have become.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::QuarantineKind")]
pub enum QuarantineKind {
    /// An email event (from `recordEmailEvents` or the SendGrid webhook).
    EmailEvent,
    /// A CRM conversion (from `recordConversions`).
    Conversion,
    /// A shop order (from `recordOrders` or the Shopify webhook).
    Order,
}
