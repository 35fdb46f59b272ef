//! `User` (retailers, brand users, administrators), `me`, and the admin's user mutations.

use super::commerce::{CrmConversion, EcommerceOrder};
use super::connection::{ListConnection, Paging, STATEMENT_COST, children, connection_cost};
use super::email::EmailSend;
use super::enums::{Region, UserType};
use super::inputs::{
    CrmConversionFilter, CrmConversionOrder, EcommerceOrderFilter, EcommerceOrderOrder, EmailSendFilter,
    EmailSendOrder, optional,
};
use super::loaders;
use super::node::{Kind, global_id};
use super::performance::UserPerformance;
use crate::auth::UserCache;
use crate::error::AppError;
use crate::loaders::{InWindow, RetailerTotalsOf, UserById};
use crate::services::conversions::{ConversionListing, ConversionParent};
use crate::services::orders::{OrderListing, OrderParent};
use crate::services::sends::{SendListing, SendParent};
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
    /// Emails sent to this retailer.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn sends(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which sends to include.")] filter: Option<EmailSendFilter>,
        #[graphql(desc = "Sort order; default: by send time.")] order_by: Option<EmailSendOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<EmailSend>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = EmailSendOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<SendListing, _>(ctx, self.0.id, SendParent::Retailer, query, spec, EmailSend).await
    }
    /// This retailer's CRM conversions.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn conversions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which conversions to include.")] filter: Option<CrmConversionFilter>,
        #[graphql(desc = "Sort order; default: by conversion date.")] order_by: Option<CrmConversionOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<CrmConversion>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = CrmConversionOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<ConversionListing, _>(ctx, self.0.id, ConversionParent::Retailer, query, spec, CrmConversion).await
    }
    /// This retailer's orders.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which orders to include.")] filter: Option<EcommerceOrderFilter>,
        #[graphql(desc = "Sort order; default: by order date.")] order_by: Option<EcommerceOrderOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<EcommerceOrder>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = EcommerceOrderOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<OrderListing, _>(ctx, self.0.id, OrderParent::Retailer, query, spec, EcommerceOrder).await
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
