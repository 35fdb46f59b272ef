//! Campaigns: their listing (filters, sorts) and look-up by id, within the caller's scope.

use super::contains_ignoring_case;
use super::listing::{Listing, SortKind, SortValue};
use super::visibility;
use crate::auth::Scope;
use chrono::{DateTime, Utc};
use entity::campaigns::{self, Column};
use entity::enums::CampaignStatus;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use std::convert::Infallible;
use uuid::Uuid;

/// The UTM code a campaign named `name` gets unless one is given: lower-case letters and
/// digits, words joined by `-` ("Marco Bicego New 2025" → `marco-bicego-new-2025`).
pub fn utm_code_from(name: &str) -> String {
    let mut code = String::new();
    for word in name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word: String = word.to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
        if word.is_empty() {
            continue;
        }
        if !code.is_empty() {
            code.push('-');
        }
        code.push_str(&word);
    }
    code.truncate(90);
    code
}

/// Which campaigns to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CampaignQuery {
    /// Any of these statuses (all when empty).
    pub statuses: Vec<CampaignStatus>,
    /// Running at some time in `[from, to]`: started by `to` and not ended before `from`
    /// (an open start or end counts as unbounded).
    pub active_from: Option<DateTime<Utc>>,
    pub active_to: Option<DateTime<Utc>>,
    /// Name contains this text, ignoring case.
    pub name_contains: Option<String>,
    /// Only these campaigns (those whose figures lie in asked-for ranges).
    pub ids: Option<Vec<Uuid>>,
}

/// The column campaigns are sorted by; the id breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CampaignSort {
    #[default]
    CreatedAt,
    Name,
    StartDate,
    EndDate,
}

/// Campaigns as a listing.
pub struct CampaignListing;

impl Listing for CampaignListing {
    type Entity = campaigns::Entity;
    type Filter = CampaignQuery;
    type Sort = CampaignSort;
    type Parent = Infallible;

    fn select(scope: Scope, query: &CampaignQuery) -> Select<campaigns::Entity> {
        let mut select = campaigns::Entity::find().filter(visibility::campaigns(scope));
        if !query.statuses.is_empty() {
            select = select.filter(Column::Status.is_in(query.statuses.iter().copied()));
        }
        if let Some(to) = query.active_to {
            select = select.filter(Condition::any().add(Column::StartDate.is_null()).add(Column::StartDate.lte(to)));
        }
        if let Some(from) = query.active_from {
            select = select.filter(Condition::any().add(Column::EndDate.is_null()).add(Column::EndDate.gte(from)));
        }
        if let Some(text) = query.name_contains.as_deref().filter(|t| !t.is_empty()) {
            select = select.filter(contains_ignoring_case((campaigns::Entity, Column::Name), text));
        }
        if let Some(ids) = &query.ids {
            select = select.filter(Column::Id.is_in(ids.iter().copied()));
        }
        select
    }

    fn sort_column(sort: CampaignSort) -> (Column, SortKind) {
        match sort {
            CampaignSort::CreatedAt => (Column::CreatedAt, SortKind::Time),
            CampaignSort::Name => (Column::Name, SortKind::Text),
            CampaignSort::StartDate => (Column::StartDate, SortKind::Time),
            CampaignSort::EndDate => (Column::EndDate, SortKind::Time),
        }
    }

    fn id_column() -> Column {
        Column::Id
    }

    fn id(c: &campaigns::Model) -> Uuid {
        c.id
    }

    fn sort_value(sort: CampaignSort, c: &campaigns::Model) -> Option<SortValue> {
        match sort {
            CampaignSort::CreatedAt => Some(SortValue::Time(c.created_at)),
            CampaignSort::Name => Some(SortValue::Text(c.name.clone())),
            CampaignSort::StartDate => c.start_date.map(SortValue::Time),
            CampaignSort::EndDate => c.end_date.map(SortValue::Time),
        }
    }

    fn parent_column(parent: Infallible) -> Column {
        match parent {}
    }

    fn parent_of(parent: Infallible, _: &campaigns::Model) -> Option<Uuid> {
        match parent {}
    }
}

/// Every campaign the scope may see that matches `query` (for figures over a portfolio).
pub async fn all_matching(
    db: &impl ConnectionTrait,
    scope: Scope,
    query: &CampaignQuery,
) -> Result<Vec<campaigns::Model>, DbErr> {
    CampaignListing::select(scope, query).all(db).await
}

/// Campaigns by id, those the scope may see (absent and invisible look the same).
pub async fn find_campaigns(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<campaigns::Model>, DbErr> {
    select_by_id(scope, ids).all(db).await
}

/// The select of `find_campaigns`, for a statement that reads more alongside.
pub fn select_by_id(scope: Scope, ids: impl IntoIterator<Item = Uuid>) -> Select<campaigns::Entity> {
    campaigns::Entity::find().filter(visibility::campaigns(scope)).filter(Column::Id.is_in(ids))
}
