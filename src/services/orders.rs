//! E-commerce orders as a listing, under a campaign or a retailer. A retailer sees only
//! their own orders.

use super::column;
use super::listing::{Listing, Part, RollupRows, SortKind, SortValue, rollup_rows};
use super::visibility;
use crate::auth::Scope;
use chrono::{DateTime, Utc};
use entity::ecommerce_orders::{self, Column};
use entity::enums::OrderStatus;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// Which orders to list. All conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OrderQuery {
    pub statuses: Vec<OrderStatus>,
    pub attributed_to_email: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OrderSort {
    #[default]
    OrderDate,
    CreatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderParent {
    Campaign,
    Retailer,
}

pub struct OrderListing;

impl Listing for OrderListing {
    type Entity = ecommerce_orders::Entity;
    type Filter = OrderQuery;
    type Sort = OrderSort;
    type Parent = OrderParent;

    fn select(scope: Scope, q: &OrderQuery) -> Select<ecommerce_orders::Entity> {
        let mut select = ecommerce_orders::Entity::find();
        if let Some(own) = visibility::own_rows(scope, "ecommerce_orders") {
            select = select.filter(own);
        }
        if !q.statuses.is_empty() {
            select = select.filter(Column::OrderStatus.is_in(q.statuses.iter().copied()));
        }
        if let Some(a) = q.attributed_to_email {
            select = select.filter(Column::AttributedToEmail.eq(a));
        }
        if let Some(from) = q.from {
            select = select.filter(Column::OrderDate.gte(from));
        }
        if let Some(to) = q.to {
            select = select.filter(Column::OrderDate.lte(to));
        }
        select
    }

    fn sort_column(sort: OrderSort) -> (Column, SortKind) {
        match sort {
            OrderSort::OrderDate => (Column::OrderDate, SortKind::Time),
            OrderSort::CreatedAt => (Column::CreatedAt, SortKind::Time),
        }
    }

    fn id_column() -> Column {
        Column::Id
    }

    fn id(o: &ecommerce_orders::Model) -> Uuid {
        o.id
    }

    fn sort_value(sort: OrderSort, o: &ecommerce_orders::Model) -> Option<SortValue> {
        match sort {
            OrderSort::OrderDate => Some(SortValue::Time(o.order_date)),
            OrderSort::CreatedAt => Some(SortValue::Time(o.created_at)),
        }
    }

    fn parent_column(parent: OrderParent) -> Column {
        match parent {
            OrderParent::Campaign => Column::CampaignId,
            OrderParent::Retailer => Column::RetailerId,
        }
    }

    fn parent_of(parent: OrderParent, o: &ecommerce_orders::Model) -> Option<Uuid> {
        match parent {
            OrderParent::Campaign => o.campaign_id,
            OrderParent::Retailer => o.retailer_id,
        }
    }
    fn retailer_of(o: &ecommerce_orders::Model) -> Option<Uuid> {
        o.retailer_id
    }

    /// `order_rollups`, which keys every filter but the time range.
    fn rollup_rows(
        scope: Scope,
        q: &OrderQuery,
        parent: OrderParent,
        parents: &[Uuid],
        _part: Option<Part<OrderSort>>,
    ) -> Option<RollupRows> {
        let key = match parent {
            OrderParent::Campaign => "campaign_id",
            OrderParent::Retailer => "retailer_id",
        };
        let mut rows = rollup_rows(ROLLUP, key, parents, scope);
        if !q.statuses.is_empty() {
            let statuses: Vec<String> = q.statuses.iter().map(|s| s.to_value()).collect();
            rows.and_where(column(ROLLUP, "order_status").is_in(statuses));
        }
        if let Some(a) = q.attributed_to_email {
            rows.and_where(column(ROLLUP, "attributed_to_email").eq(a));
        }
        let exact = q.from.is_none() && q.to.is_none();
        Some(RollupRows { rows, parent_key: column(ROLLUP, key), exact, also: None })
    }
}

/// The rollup of orders (`entity::rollups::order_rollups`).
const ROLLUP: &str = "order_rollups";
