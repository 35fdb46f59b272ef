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
    East,
    West,
    Central,
    North,
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
    Sale,
    Lead,
    Signup,
    DemoRequest,
}

/// Product category of a conversion.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ProductCategory")]
pub enum ProductCategory {
    Necklaces,
    Bracelets,
    Earrings,
    Rings,
}

/// Order state. Only completed orders are revenue; pending ones are reported apart.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::OrderStatus")]
pub enum OrderStatus {
    Completed,
    Pending,
    Cancelled,
    Refunded,
}
