//! Email sends as a listing: filtered by status, retailer, engagement and time, under an
//! email campaign or a retailer. A retailer sees only their own sends.

use super::column;
use super::listing::{Listing, Part, RollupRows, SortKind, SortValue, rollup_rows};
use super::visibility;
use crate::auth::Scope;
use chrono::{DateTime, Utc};
use entity::email_events;
use entity::email_sends::{self, Column};
use entity::enums::SendStatus;
use entity::rollups::SLOT_SECS;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Sends by id, those the scope may see (a retailer's own).
pub async fn find_sends(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<email_sends::Model>, DbErr> {
    let mut select = email_sends::Entity::find().filter(Column::Id.is_in(ids));
    if let Some(own) = visibility::own_rows(scope, "email_sends") {
        select = select.filter(own);
    }
    select.all(db).await
}

/// The event log of each send, in time order (every send named gets a list, maybe empty).
/// The sends come from a read that applied the caller's scope; a send's events are as
/// visible as the send.
pub async fn events_of(
    db: &impl ConnectionTrait,
    sends: &[Uuid],
) -> Result<HashMap<Uuid, Vec<email_events::Model>>, DbErr> {
    let mut out: HashMap<Uuid, Vec<_>> = sends.iter().map(|id| (*id, Vec::new())).collect();
    if sends.is_empty() {
        return Ok(out);
    }
    let rows = email_events::Entity::find()
        .filter(email_events::Column::EmailSendId.is_in(sends.iter().copied()))
        .order_by_asc(email_events::Column::OccurredAt)
        .order_by_asc(email_events::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        out.entry(row.email_send_id).or_default().push(row);
    }
    Ok(out)
}

/// Which sends to list. All conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SendQuery {
    pub statuses: Vec<SendStatus>,
    pub retailer: Option<Uuid>,
    /// Opened (an open or a click), or not.
    pub opened: Option<bool>,
    /// Clicked, or not.
    pub clicked: Option<bool>,
    pub sent_from: Option<DateTime<Utc>>,
    pub sent_to: Option<DateTime<Utc>>,
}

/// What sends are ordered by: each served, under every parent, by an index on (parent, column,
/// id) (`m20251129_000004`, `m20261203_000001`, `m20261203_000003`). Delivery time and the
/// recipient's address are not offered: an index each per parent for orders nobody reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SendSort {
    #[default]
    SentAt,
    OpenedAt,
    ClickedAt,
}

/// The relations sends are listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendParent {
    EmailCampaign,
    Retailer,
}

pub struct SendListing;

impl Listing for SendListing {
    type Entity = email_sends::Entity;
    type Filter = SendQuery;
    type Sort = SendSort;
    type Parent = SendParent;

    fn select(scope: Scope, q: &SendQuery) -> Select<email_sends::Entity> {
        let mut select = email_sends::Entity::find();
        if let Some(own) = visibility::own_rows(scope, "email_sends") {
            select = select.filter(own);
        }
        if !q.statuses.is_empty() {
            select = select.filter(Column::Status.is_in(q.statuses.iter().copied()));
        }
        if let Some(r) = q.retailer {
            select = select.filter(Column::RetailerId.eq(r));
        }
        let opened = Condition::any().add(Column::OpenedAt.is_not_null()).add(Column::ClickedAt.is_not_null());
        match q.opened {
            Some(true) => select = select.filter(opened),
            Some(false) => select = select.filter(opened.not()),
            None => {}
        }
        match q.clicked {
            Some(true) => select = select.filter(Column::ClickedAt.is_not_null()),
            Some(false) => select = select.filter(Column::ClickedAt.is_null()),
            None => {}
        }
        if let Some(from) = q.sent_from {
            select = select.filter(Column::SentAt.gte(from));
        }
        if let Some(to) = q.sent_to {
            select = select.filter(Column::SentAt.lte(to));
        }
        select
    }

    fn sort_column(sort: SendSort) -> (Column, SortKind) {
        match sort {
            SendSort::SentAt => (Column::SentAt, SortKind::Time),
            SendSort::OpenedAt => (Column::OpenedAt, SortKind::Time),
            SendSort::ClickedAt => (Column::ClickedAt, SortKind::Time),
        }
    }

    fn id_column() -> Column {
        Column::Id
    }

    fn id(s: &email_sends::Model) -> Uuid {
        s.id
    }

    fn sort_value(sort: SendSort, s: &email_sends::Model) -> Option<SortValue> {
        match sort {
            SendSort::SentAt => Some(SortValue::Time(s.sent_at)),
            SendSort::OpenedAt => s.opened_at.map(SortValue::Time),
            SendSort::ClickedAt => s.clicked_at.map(SortValue::Time),
        }
    }

    fn parent_column(parent: SendParent) -> Column {
        match parent {
            SendParent::EmailCampaign => Column::EmailCampaignId,
            SendParent::Retailer => Column::RetailerId,
        }
    }

    fn parent_of(parent: SendParent, s: &email_sends::Model) -> Option<Uuid> {
        match parent {
            SendParent::EmailCampaign => s.email_campaign_id,
            SendParent::Retailer => s.retailer_id,
        }
    }
    fn retailer_of(s: &email_sends::Model) -> Option<Uuid> {
        s.retailer_id
    }

    fn rollup_rows(
        scope: Scope,
        q: &SendQuery,
        parent: SendParent,
        parents: &[Uuid],
        part: Option<Part<SendSort>>,
    ) -> Option<RollupRows> {
        let key = match parent {
            SendParent::EmailCampaign => "email_campaign_id",
            SendParent::Retailer => "retailer_id",
        };
        let (opened_at, clicked_at) = (|| column(STATES, "has_opened_at"), || column(STATES, "has_clicked_at"));
        let mut rows = rollup_rows(STATES, key, parents, scope);
        if let Some(r) = q.retailer {
            rows.and_where(column(STATES, "retailer_id").eq(r));
        }
        if !q.statuses.is_empty() {
            let statuses: Vec<String> = q.statuses.iter().map(|s| s.to_value()).collect();
            rows.and_where(column(STATES, "status").is_in(statuses));
        }
        // Opened: an open or a click time.
        match q.opened {
            Some(true) => rows.and_where(opened_at().eq(1).or(clicked_at().eq(1))),
            Some(false) => rows.and_where(opened_at().eq(0).and(clicked_at().eq(0))),
            None => &mut rows,
        };
        if let Some(clicked) = q.clicked {
            rows.and_where(clicked_at().eq(i32::from(clicked)));
        }
        // The part: sends with (or without) the time it orders by.
        let has = |set: SimpleExpr, nulls: bool| set.eq(i32::from(!nulls));
        match part {
            Some(Part { sort: SendSort::OpenedAt, nulls }) => rows.and_where(has(opened_at(), nulls)),
            Some(Part { sort: SendSort::ClickedAt, nulls }) => rows.and_where(has(clicked_at(), nulls)),
            Some(Part { sort: SendSort::SentAt, .. }) | None => &mut rows,
        };
        // The rollup has no send time: with a time range it counts a wider filter, and
        // whether any send of an email was sent in the range is read from the 15-minute
        // slots of `email_rollups` (the slots the range touches, so never false wrongly;
        // it counts sends of an email only, so not a retailer's sends without one).
        let exact = q.sent_from.is_none() && q.sent_to.is_none();
        let also = (!exact && parent == SendParent::EmailCampaign).then(|| {
            let slot = |t: DateTime<Utc>| t.timestamp().div_euclid(SLOT_SECS);
            let mut sent = rollup_rows(SLOTS, key, parents, scope);
            if let Some(r) = q.retailer {
                sent.and_where(column(SLOTS, "retailer_id").eq(r));
            }
            if let Some(from) = q.sent_from {
                sent.and_where(column(SLOTS, "sent_slot").gte(slot(from)));
            }
            if let Some(to) = q.sent_to {
                sent.and_where(column(SLOTS, "sent_slot").lte(slot(to)));
            }
            Expr::exists(sent.expr(Expr::val(1)).and_where(column(SLOTS, "sent").gt(0)).to_owned())
        });
        Some(RollupRows { rows, parent_key: column(STATES, key), exact, also })
    }
}

/// The rollup of send states (`entity::rollups::send_states`).
const STATES: &str = "send_states";
/// The rollup of sends per 15-minute slot of their send time (`entity::rollups::email_rollups`).
const SLOTS: &str = "email_rollups";
