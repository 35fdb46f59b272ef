//! `User` (retailers, brand users, administrators), `me`, and the admin's user mutations.

use super::children::{Conversions, OfRetailer, Orders, Sends};
use super::connection::STATEMENT_COST;
use super::enums::{Region, UserType};
use super::inputs::optional;
use super::loaders;
use super::node::{Kind, global_id};
use super::performance::UserPerformance;
use crate::auth::UserCache;
use crate::error::AppError;
use crate::loaders::{InWindow, RetailerTotalsOf, UserById};
use crate::services::users::{self as users_service, NewUser, UserChanges};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};
use entity::users;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A person or organisation with an account: a retailer, a brand user or an admin.
pub struct User(pub users::Model);

/// The retailers the rows of one page name, loaded once for the page when the query asks for
/// them (`connection::children`): each row's `retailer` then takes its own from here instead
/// of asking the loader once per row. Empty for a row reached otherwise, which asks the loader.
#[derive(Clone, Default)]
pub struct PageRetailers(Option<Arc<HashMap<UserById, users::Model>>>);

impl PageRetailers {
    pub fn new(found: HashMap<UserById, users::Model>) -> Self {
        PageRetailers(Some(Arc::new(found)))
    }

    /// The retailer `id` (none when the caller may not see it).
    pub async fn get(&self, ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<User>> {
        let Some(id) = id.map(UserById) else { return Ok(None) };
        if let Some(page) = &self.0 {
            return Ok(page.get(&id).cloned().map(User));
        }
        Ok(loaders(ctx)?.load_one(id).await?.map(User))
    }
}

/// A person or organisation with an account: a retailer, a brand user or an admin.
#[Object]
impl User {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::User, self.0.id))
    }
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
    /// This retailer's figures across every campaign; with `from`/`to`, of that period (emails
    /// by send time, conversions and orders by their dates). Zeros for brand users and admins.
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<UserPerformance> {
        let key = InWindow::new(RetailerTotalsOf(self.0.id), super::campaign::window(from, to)?);
        let figures = super::loaders(ctx)?.load_one(key).await?.unwrap_or_default();
        Ok(UserPerformance::compute(&figures))
    }
    /// `sends` (see `children`).
    #[graphql(flatten)]
    async fn sends_connection(&self) -> Sends<OfRetailer> {
        Sends::of(self.0.id)
    }
    /// `conversions` (see `children`).
    #[graphql(flatten)]
    async fn conversions_connection(&self) -> Conversions<OfRetailer> {
        Conversions::of(self.0.id)
    }
    /// `orders` (see `children`).
    #[graphql(flatten)]
    async fn orders_connection(&self) -> Orders<OfRetailer> {
        Orders::of(self.0.id)
    }
}

/// `me`.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(super::caller(ctx)?.user.clone()))
    }
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Email address (unique, case-insensitive).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub user_type: UserType,
    /// Region (retailers).
    pub region: Option<Region>,
}

/// Changes to a user; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// New email address.
    pub email: Option<String>,
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub user_type: Option<UserType>,
    /// New region; null removes it.
    pub region: MaybeUndefined<Region>,
    /// Whether the account may sign in; false stops its tokens at once.
    pub is_active: Option<bool>,
}

/// Administrators manage users.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates a retailer, brand user or administrator. Administrators only.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new user.")] input: CreateUserInput,
    ) -> Result<User> {
        super::caller(ctx)?.require_admin()?;
        let new = NewUser {
            email: input.email,
            name: input.name,
            user_type: input.user_type.into(),
            region: input.region.map(Into::into),
        };
        Ok(users_service::create_user(super::db(ctx), new).await.map(User)?)
    }

    /// Changes a user. Administrators only.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: Uuid,
        #[graphql(desc = "The changes.")] input: UpdateUserInput,
    ) -> Result<User> {
        let caller = super::caller(ctx)?;
        caller.require_admin()?;
        let demotes = input.user_type.is_some_and(|t| t != UserType::Admin);
        if caller.user.id == id && (input.is_active == Some(false) || demotes) {
            return Err(AppError::Conflict("administrators cannot deactivate or demote themselves".into()).into());
        }
        let changes = UserChanges {
            email: input.email,
            name: input.name,
            user_type: input.user_type.map(Into::into),
            region: optional(input.region).map(|r| r.map(Into::into)),
            is_active: input.is_active,
        };
        change_user(ctx, id, changes).await
    }

    /// Deactivates a user: their tokens stop working at once. Administrators only.
    async fn deactivate_user(&self, ctx: &Context<'_>, #[graphql(desc = "The user's id.")] id: Uuid) -> Result<User> {
        let caller = super::caller(ctx)?;
        caller.require_admin()?;
        if caller.user.id == id {
            return Err(AppError::Conflict("administrators cannot deactivate themselves".into()).into());
        }
        let changes = UserChanges { is_active: Some(false), ..Default::default() };
        change_user(ctx, id, changes).await
    }
}

/// Stores the changes, then forgets what this process remembers of the user, so that their
/// next request (their token's next use) sees the change.
async fn change_user(ctx: &Context<'_>, id: Uuid, changes: UserChanges) -> Result<User> {
    let changed = users_service::update_user(super::db(ctx), id, changes).await;
    ctx.data_unchecked::<UserCache>().forget(id);
    Ok(changed.map(User)?)
}
