//! `retailers` and `retailer(id)`.

use super::connection::{EdgeCursor, ListConnection, Paging, TotalCount, connection_cost, list, ranked_page};
use super::inputs::{RetailerFilter, RetailerOrder};
use super::loaders;
use super::performance::RetailerRanking;
use super::user::User;
use super::{db, scope};
use crate::analytics::ranking;
use crate::error::db_error;
use crate::loaders::{InWindow, RetailerTotalsOf, UserById};
use crate::services::users::RetailerListing;
use crate::services::users::{self, RetailerQuery as RetailerConditions};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use entity::enums::UserType;
use entity::users as users_entity;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub struct RetailerQuery;

#[Object]
impl RetailerQuery {
    /// Retailers the caller may see (a retailer: themselves), filtered and ordered; with
    /// `rankBy`, ranked by their figures across campaigns (of `from`–`to`), best first.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn retailers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which retailers to include.")] filter: Option<RetailerFilter>,
        #[graphql(desc = "Sort order; default: by name. Ignored when `rankBy` is given.")] order_by: Option<
            RetailerOrder,
        >,
        #[graphql(desc = "Rank by a figure across campaigns instead (ties: revenue, then name).")] rank_by: Option<
            RetailerRanking,
        >,
        #[graphql(desc = "With `rankBy`: count from this time on.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "With `rankBy`: count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<User>> {
        let filter: RetailerConditions = filter.unwrap_or_default().into();
        let Some(rank_by) = rank_by else {
            let spec = RetailerOrder::spec(order_by, &Paging::new(first, after, last, before))?;
            return list::<RetailerListing, _>(ctx, filter, spec, User).await;
        };
        // Ranked by figures: every matching retailer's figures (one batch), ranked in memory;
        // the cursor is a place in that ranking.
        let window = super::campaign::window(from, to)?;
        let ordering = format!("RANK_{rank_by:?}").to_uppercase();
        let retailers = users::all_retailers(db(ctx), scope(ctx)?, &filter).await.map_err(db_error)?;
        let figures =
            loaders(ctx)?.load_many(retailers.iter().map(|u| InWindow::new(RetailerTotalsOf(u.id), window))).await?;
        let by_id: HashMap<Uuid, users_entity::Model> = retailers.into_iter().map(|u| (u.id, u)).collect();
        let figures_of = |id: Uuid| figures.get(&InWindow::new(RetailerTotalsOf(id), window)).map(|g| g.figures);
        let name_of = |id| by_id.get(&id).map(|u| u.name.clone()).unwrap_or_default();
        let rows =
            ranking::ranked(by_id.keys().map(|id| (*id, figures_of(*id).unwrap_or_default())), name_of, rank_by.into());
        let total = rows.len() as u64;
        let paging = Paging::new(first, after, last, before);
        let (range, has_previous, has_next) = ranked_page(&paging, &ordering, rows.len())?;
        let mut connection = Connection::with_additional_fields(
            has_previous,
            has_next,
            TotalCount::new(move || async move { Ok(total) }),
        );
        let ordering: Arc<str> = ordering.into();
        for (place, (id, _)) in rows.iter().enumerate().skip(range.start).take(range.len()) {
            if let Some(user) = by_id.get(id) {
                let cursor = EdgeCursor::at_place(&ordering, place, *id);
                connection.edges.push(Edge::new(cursor, User(user.clone())));
            }
        }
        Ok(connection)
    }

    /// One retailer by id; null when there is none or the caller may not see it.
    async fn retailer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The retailer's id.")] id: Uuid,
    ) -> Result<Option<User>> {
        let user = loaders(ctx)?.load_one(UserById(id)).await?;
        Ok(user.filter(|u| u.user_type == UserType::Retailer).map(User))
    }
}
