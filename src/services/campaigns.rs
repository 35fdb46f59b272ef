//! `list_campaigns`, `count_campaigns` and `find_campaigns`, within the caller's scope.

use super::page::{Direction, Page};
use super::visibility;
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::campaigns::{self, Column};
use entity::enums::CampaignStatus;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, NullOrdering, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};
use uuid::Uuid;

/// Which campaigns to list.
#[derive(Debug, Clone, Default)]
pub struct CampaignQuery {
    /// Any of these statuses (all when empty).
    pub statuses: Vec<CampaignStatus>,
    /// Running at some time in `[from, to]`: started by `to` and not ended before `from`
    /// (an open start or end counts as unbounded).
    pub active_from: Option<DateTime<Utc>>,
    pub active_to: Option<DateTime<Utc>>,
    /// Name contains this text, ignoring case.
    pub name_contains: Option<String>,
}

/// The column campaigns are sorted by; the id breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CampaignSort {
    #[default]
    CreatedAt,
    Name,
    StartDate,
    EndDate,
}

impl CampaignSort {
    fn column(self) -> Column {
        match self {
            CampaignSort::CreatedAt => Column::CreatedAt,
            CampaignSort::Name => Column::Name,
            CampaignSort::StartDate => Column::StartDate,
            CampaignSort::EndDate => Column::EndDate,
        }
    }

    /// The sort value of a row, as text (kept inside cursors); `None` for a null.
    pub fn value_of(self, c: &campaigns::Model) -> Option<String> {
        match self {
            CampaignSort::CreatedAt => Some(c.created_at.to_rfc3339()),
            CampaignSort::Name => Some(c.name.clone()),
            CampaignSort::StartDate => c.start_date.map(|d| d.to_rfc3339()),
            CampaignSort::EndDate => c.end_date.map(|d| d.to_rfc3339()),
        }
    }

    /// A sort value from its text, checked for this column's type.
    fn parse_value(self, text: &str) -> Result<Value, String> {
        match self {
            CampaignSort::Name => Ok(text.to_owned().into()),
            _ => DateTime::parse_from_rfc3339(text)
                .map(|d| d.with_timezone(&Utc).into())
                .map_err(|e| format!("bad timestamp in cursor: {e}")),
        }
    }
}

/// Where a page starts: after the row with this sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignCursor {
    pub value: Option<String>,
    pub id: Uuid,
}

/// How campaigns are ordered: `sort` then id, nulls last in either direction.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignOrdering {
    pub sort: CampaignSort,
    pub direction: Direction,
}

fn filtered(scope: Scope, query: &CampaignQuery) -> Select<campaigns::Entity> {
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
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        select = select.filter(
            Expr::expr(Func::lower(Expr::col((campaigns::Entity, Column::Name))))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    select
}

/// The keyset condition "after the cursor" for `ordering`, nulls last.
fn after(ordering: CampaignOrdering, cursor: &CampaignCursor) -> Result<Condition, String> {
    let col = ordering.sort.column();
    let (beyond, id_beyond): (fn(Column, Value) -> SimpleExpr, SimpleExpr) = match ordering.direction {
        Direction::Asc => (|c, v| c.gt(v), Column::Id.gt(cursor.id)),
        Direction::Desc => (|c, v| c.lt(v), Column::Id.lt(cursor.id)),
    };
    Ok(match &cursor.value {
        Some(text) => {
            let value = ordering.sort.parse_value(text)?;
            Condition::any()
                .add(beyond(col, value.clone()))
                .add(Condition::all().add(col.eq(value)).add(id_beyond))
                .add(col.is_null())
        }
        None => Condition::all().add(col.is_null()).add(id_beyond),
    })
}

/// One page of campaigns matching `query`, in `ordering`, after `cursor`.
pub async fn list_campaigns(
    db: &impl ConnectionTrait,
    scope: Scope,
    query: &CampaignQuery,
    ordering: CampaignOrdering,
    first: u64,
    cursor: Option<&CampaignCursor>,
) -> AppResult<Page<campaigns::Model>> {
    let mut select = filtered(scope, query);
    if let Some(cursor) = cursor {
        select = select.filter(after(ordering, cursor).map_err(|e| AppError::invalid("after", e))?);
    }
    let order = match ordering.direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    };
    let rows = select
        .order_by_with_nulls(ordering.sort.column(), order.clone(), NullOrdering::Last)
        .order_by(Column::Id, order)
        .limit(first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, first))
}

/// How many campaigns match `query`.
pub async fn count_campaigns(db: &impl ConnectionTrait, scope: Scope, query: &CampaignQuery) -> Result<u64, DbErr> {
    filtered(scope, query).count(db).await
}

/// Campaigns by id, those the scope may see (absent and invisible look the same).
pub async fn find_campaigns(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<campaigns::Model>, DbErr> {
    campaigns::Entity::find().filter(visibility::campaigns(scope)).filter(Column::Id.is_in(ids)).all(db).await
}
