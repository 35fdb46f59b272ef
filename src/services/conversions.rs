//! CRM conversions as a listing, under a campaign, a retailer or an email send. A retailer
//! sees only their own conversions.

use super::column;
use super::listing::{Listing, Part, RollupRows, SortKind, SortValue, rollup_rows};
use super::visibility;
use crate::auth::Scope;
use chrono::{DateTime, Utc};
use entity::crm_conversions::{self, Column};
use entity::enums::{ConversionType, ProductCategory};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// Which conversions to list. All conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ConversionQuery {
    pub types: Vec<ConversionType>,
    pub categories: Vec<ProductCategory>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConversionSort {
    #[default]
    ConversionDate,
    CreatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversionParent {
    Campaign,
    Retailer,
    EmailSend,
}

pub struct ConversionListing;

impl Listing for ConversionListing {
    type Entity = crm_conversions::Entity;
    type Filter = ConversionQuery;
    type Sort = ConversionSort;
    type Parent = ConversionParent;

    fn select(scope: Scope, q: &ConversionQuery) -> Select<crm_conversions::Entity> {
        let mut select = crm_conversions::Entity::find();
        if let Some(own) = visibility::own_rows(scope, "crm_conversions") {
            select = select.filter(own);
        }
        if !q.types.is_empty() {
            select = select.filter(Column::ConversionType.is_in(q.types.iter().copied()));
        }
        if !q.categories.is_empty() {
            select = select.filter(Column::ProductCategory.is_in(q.categories.iter().copied()));
        }
        if let Some(from) = q.from {
            select = select.filter(Column::ConversionDate.gte(from));
        }
        if let Some(to) = q.to {
            select = select.filter(Column::ConversionDate.lte(to));
        }
        select
    }

    fn sort_column(sort: ConversionSort) -> (Column, SortKind) {
        match sort {
            ConversionSort::ConversionDate => (Column::ConversionDate, SortKind::Time),
            ConversionSort::CreatedAt => (Column::CreatedAt, SortKind::Time),
        }
    }

    fn id_column() -> Column {
        Column::Id
    }

    fn id(c: &crm_conversions::Model) -> Uuid {
        c.id
    }

    fn sort_value(sort: ConversionSort, c: &crm_conversions::Model) -> Option<SortValue> {
        match sort {
            ConversionSort::ConversionDate => Some(SortValue::Time(c.conversion_date)),
            ConversionSort::CreatedAt => Some(SortValue::Time(c.created_at)),
        }
    }

    fn parent_column(parent: ConversionParent) -> Column {
        match parent {
            ConversionParent::Campaign => Column::CampaignId,
            ConversionParent::Retailer => Column::RetailerId,
            ConversionParent::EmailSend => Column::EmailSendId,
        }
    }

    fn parent_of(parent: ConversionParent, c: &crm_conversions::Model) -> Option<Uuid> {
        match parent {
            ConversionParent::Campaign => c.campaign_id,
            ConversionParent::Retailer => c.retailer_id,
            ConversionParent::EmailSend => c.email_send_id,
        }
    }
    fn retailer_of(c: &crm_conversions::Model) -> Option<Uuid> {
        c.retailer_id
    }

    /// `conversion_rollups`, which keys every filter but the time range (and not the send).
    fn rollup_rows(
        scope: Scope,
        q: &ConversionQuery,
        parent: ConversionParent,
        parents: &[Uuid],
        _part: Option<Part<ConversionSort>>,
    ) -> Option<RollupRows> {
        let key = match parent {
            ConversionParent::Campaign => "campaign_id",
            ConversionParent::Retailer => "retailer_id",
            ConversionParent::EmailSend => return None,
        };
        let mut rows = rollup_rows(ROLLUP, key, parents, scope);
        if !q.types.is_empty() {
            let types: Vec<String> = q.types.iter().map(|t| t.to_value()).collect();
            rows.and_where(column(ROLLUP, "conversion_type").is_in(types));
        }
        if !q.categories.is_empty() {
            let categories: Vec<String> = q.categories.iter().map(|c| c.to_value()).collect();
            rows.and_where(column(ROLLUP, "product_category").is_in(categories));
        }
        let exact = q.from.is_none() && q.to.is_none();
        Some(RollupRows { rows, parent_key: column(ROLLUP, key), exact, also: None })
    }
}

/// The rollup of conversions (`entity::rollups::conversion_rollups`).
const ROLLUP: &str = "conversion_rollups";
