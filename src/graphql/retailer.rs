//! `retailers` and `retailer(id)`.

use super::connection::{ListConnection, connection_cost, list};
use super::inputs::{RetailerFilter, RetailerOrder};
use super::loaders;
use super::user::User;
use crate::error::gql;
use crate::loaders::UserId;
use crate::services::users::RetailerListing;
use async_graphql::{Context, Object, Result};
use entity::enums::UserType;
use uuid::Uuid;

#[derive(Default)]
pub struct RetailerQuery;

#[Object]
impl RetailerQuery {
    /// Retailers the caller may see (a retailer: themselves), filtered and ordered.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn retailers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which retailers to include.")] filter: Option<RetailerFilter>,
        #[graphql(desc = "Sort order; default: by name.")] order_by: Option<RetailerOrder>,
        #[graphql(desc = "Page size: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
    ) -> Result<ListConnection<User>> {
        let spec = RetailerOrder::spec(order_by, first, after.as_deref()).map_err(gql)?;
        list::<RetailerListing, _>(ctx, filter.unwrap_or_default().into(), spec, User).await
    }

    /// One retailer by id; null when there is none or the caller may not see it.
    async fn retailer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The retailer's id.")] id: Uuid,
    ) -> Result<Option<User>> {
        let user = loaders(ctx)?.user_by_id.load_one(UserId(id)).await.map_err(gql)?;
        Ok(user.filter(|u| u.user_type == UserType::Retailer).map(User))
    }
}
