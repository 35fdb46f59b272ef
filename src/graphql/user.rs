//! `User`: retailers, brand users and administrators.

use super::enums::{Region, UserType};
use async_graphql::Object;
use chrono::{DateTime, Utc};
use entity::users;
use uuid::Uuid;

/// A person or organisation with an account: a retailer, a brand user or an admin.
pub struct User(pub users::Model);

#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Email address (unique).
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Display name of the user or retailer.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role.
    async fn user_type(&self) -> UserType {
        self.0.user_type.into()
    }
    /// Geographic region, if any.
    async fn region(&self) -> Option<Region> {
        self.0.region.map(Into::into)
    }
    /// Whether the account may sign in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the account last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
