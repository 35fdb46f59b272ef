//! Relay connections: page size rules, opaque cursors and a lazily counted `totalCount`.

use super::user::PageRetailers;
use crate::error::{AppError, AppResult};
use crate::loaders::{ChildCountKey, ChildPageKey, SharedChildPages, SharedPages, UserById};
use crate::services::listing;
use crate::services::listing::{Listing, ModelOf, PageCursor, PageSpec, SortValue};
use crate::services::page::{DEFAULT_PAGE_SIZE, Direction, MAX_PAGE_SIZE, Page};
use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

/// Where a page starts and how long it is, as a connection's arguments say: `first` rows
/// after `after`, or `last` rows before `before` (Relay's backward pagination).
#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl Paging {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        Paging { first, after, last, before }
    }

    /// Whether the page is read backwards (`last` or `before`).
    pub fn backward(&self) -> bool {
        self.last.is_some() || self.before.is_some()
    }

    /// The page size asked for, checked (20 when absent).
    pub fn size(&self) -> AppResult<u64> {
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(AppError::invalid("last", "give `first` or `last`, not both")),
            (_, Some(last)) => page_size("last", Some(last)),
            (first, None) => page_size("first", first),
        }
    }

    /// The cursor the page starts from (`after`, or `before` reading backwards), checked.
    pub fn cursor(&self) -> AppResult<Option<(&'static str, &str)>> {
        match (self.after.as_deref(), self.before.as_deref()) {
            (Some(_), Some(_)) => Err(AppError::invalid("before", "give `after` or `before`, not both")),
            (Some(_), None) if self.last.is_some() => {
                Err(AppError::invalid("after", "`last` reads backwards: page with `before`"))
            }
            (None, Some(_)) if self.first.is_some() => {
                Err(AppError::invalid("before", "`first` reads forwards: page with `after`"))
            }
            (Some(after), None) => Ok(Some(("after", after))),
            (None, Some(before)) => Ok(Some(("before", before))),
            (None, None) => Ok(None),
        }
    }
}

/// The page size asked for in `argument`: 20 when absent; an error naming the limit outside
/// 0..=100.
pub fn page_size(argument: &str, n: Option<i32>) -> AppResult<u64> {
    match n {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n < 0 => Err(AppError::invalid(argument, "must not be negative")),
        Some(n) if n as u64 > MAX_PAGE_SIZE => {
            Err(AppError::invalid(argument, format!("{n} is above the limit of {MAX_PAGE_SIZE} rows per page")))
        }
        Some(n) => Ok(n as u64),
    }
}

/// What a field that runs its own SQL statement costs against the complexity limit (a
/// connection's page and count, a campaign's `performance`, `funnel`…; batched with the same
/// field of other rows, but each reads rows): ten plain fields.
pub const STATEMENT_COST: usize = 10;

/// Query cost of a paginated field: its statements (the page, and its count when asked; once
/// per connection, not per row) plus its children's cost times the page size asked for
/// (`first` or `last`; 20 when absent), so the page size multiplies what a page may cost.
pub fn connection_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.or(last).map_or(DEFAULT_PAGE_SIZE as usize, |n| n.max(0) as usize);
    rows.saturating_mul(child_complexity.max(1)).saturating_add(STATEMENT_COST)
}

/// A page of a ranking held in memory (`len` rows), where a cursor names a place: the rows'
/// range, and whether rows precede and follow it.
pub fn ranked_page(paging: &Paging, ordering: &str, len: usize) -> AppResult<(std::ops::Range<usize>, bool, bool)> {
    let size = paging.size()? as usize;
    let place = match paging.cursor()? {
        Some((argument, text)) => {
            let cursor = Cursor::decode(argument, text, ordering)?;
            let place: usize = cursor
                .value
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| AppError::invalid(argument, "not a cursor returned by this API"))?;
            Some(place)
        }
        None => None,
    };
    Ok(span(len, size, paging.backward(), place.map(|p| p..p + 1)))
}

/// A page of `len` rows held in order: `size` rows after the cursor's place, or (reading
/// backwards) before it, where `place` is the range of rows at the cursor (empty where it
/// falls between rows). The page's range, and whether rows precede and follow it.
fn span(
    len: usize,
    size: usize,
    backward: bool,
    place: Option<std::ops::Range<usize>>,
) -> (std::ops::Range<usize>, bool, bool) {
    let (start, end) = if backward {
        let end = place.map_or(len, |p| p.start).min(len);
        (end.saturating_sub(size), end)
    } else {
        let start = place.map_or(0, |p| p.end).min(len);
        (start, (start + size).min(len))
    };
    (start..end, start > 0, end < len)
}

/// A connection over rows sorted in memory by a number (missing values last, ties by id,
/// both in `direction`), with keyset cursors (value and id) for the ordering named
/// `ordering`: a page starts after (or ends before) the cursor's place in the order, found by
/// comparing, so it stays right when rows come or go.
pub fn sorted_connection<N: OutputType>(
    mut rows: Vec<(Option<f64>, Uuid, N)>,
    ordering: &str,
    direction: Direction,
    paging: &Paging,
) -> AppResult<ListConnection<N>> {
    use std::cmp::Ordering;
    let ordering = format!("{ordering}_{direction:?}").to_uppercase();
    let compare = |a: (Option<f64>, Uuid), b: (Option<f64>, Uuid)| -> Ordering {
        let by_value = match (a.0, b.0) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let by = by_value.then(a.1.cmp(&b.1));
        if direction == Direction::Desc { by.reverse() } else { by }
    };
    rows.sort_by(|a, b| compare((a.0, a.1), (b.0, b.1)));
    let size = paging.size()? as usize;
    let cursor = match paging.cursor()? {
        Some((argument, text)) => {
            let c = Cursor::decode(argument, text, &ordering)?;
            let value = match c.value {
                Some(v) => Some(
                    v.parse::<f64>().map_err(|_| AppError::invalid(argument, "not a cursor returned by this API"))?,
                ),
                None => None,
            };
            Some((value, c.id))
        }
        None => None,
    };
    // The cursor's place: the rows before it end where those not before it start.
    let place = cursor.map(|c| {
        rows.partition_point(|r| compare((r.0, r.1), c) == Ordering::Less)
            ..rows.partition_point(|r| compare((r.0, r.1), c) != Ordering::Greater)
    });
    let (range, has_previous, has_next) = span(rows.len(), size, paging.backward(), place);
    let total = rows.len() as u64;
    let ordering: Arc<str> = ordering.into();
    let mut connection =
        Connection::with_additional_fields(has_previous, has_next, TotalCount::new(move || async move { Ok(total) }));
    for (value, id, node) in rows.drain(range) {
        let cursor =
            EdgeCursor { ordering: ordering.clone(), value: value.map(|v| SortValue::Text(v.to_string())), id };
        connection.edges.push(Edge::new(cursor, node));
    }
    Ok(connection)
}

/// What a cursor holds: the ordering it was made for, the row's sort value and id.
/// Encoded as base64url JSON: opaque to clients, and it stays valid when rows are inserted
/// because it names a position in the order, not an offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    pub ordering: String,
    #[serde(rename = "v")]
    pub value: Option<String>,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serializing a struct of strings and a UUID cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes a cursor of any ordering.
    fn parse(text: &str) -> AppResult<Cursor> {
        Cursor::parse_as("after", text)
    }

    /// Decodes a cursor given in `argument`.
    fn parse_as(argument: &str, text: &str) -> AppResult<Cursor> {
        let bad = || AppError::invalid(argument, "not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// Decodes the cursor given in `argument`, checking it was made for `ordering`.
    pub fn decode(argument: &str, text: &str, ordering: &str) -> AppResult<Cursor> {
        let cursor = Cursor::parse_as(argument, text)?;
        if cursor.ordering != ordering {
            return Err(AppError::invalid(
                argument,
                format!("the cursor belongs to ordering {}, not {ordering}", cursor.ordering),
            ));
        }
        Ok(cursor)
    }
}

/// An edge's cursor: its parts, encoded only when a client asks for it (`cursor`,
/// `pageInfo { startCursor endCursor }`), so a page of 100 rows asked for its nodes encodes none.
pub struct EdgeCursor {
    ordering: Arc<str>,
    value: Option<SortValue>,
    id: Uuid,
}

impl EdgeCursor {
    /// The cursor of `row` in the ordering named `ordering` (`ordering_key`).
    fn of<L: Listing>(ordering: &Arc<str>, spec: &PageSpec<L::Sort>, row: &ModelOf<L>) -> Self {
        EdgeCursor { ordering: ordering.clone(), value: L::sort_value(spec.sort, row), id: L::id(row) }
    }

    /// The cursor at `place` in a ranking named `ordering`.
    pub fn at_place(ordering: &Arc<str>, place: usize, id: Uuid) -> Self {
        EdgeCursor { ordering: ordering.clone(), value: Some(SortValue::Text(place.to_string())), id }
    }
}

/// Cursors are decoded by `page_spec` (with the argument named in the error); this decoding
/// is async-graphql's, which wants an error it can print.
impl CursorType for EdgeCursor {
    type Error = String;

    fn decode_cursor(text: &str) -> Result<Self, String> {
        let c = Cursor::parse(text).map_err(|e| e.message())?;
        Ok(EdgeCursor { ordering: c.ordering.into(), value: c.value.map(SortValue::Text), id: c.id })
    }

    fn encode_cursor(&self) -> String {
        let value = self.value.as_ref().map(SortValue::to_text);
        Cursor { ordering: self.ordering.to_string(), value, id: self.id }.encode()
    }
}

/// A Relay connection of `N` with `totalCount`.
pub type ListConnection<N> = Connection<EdgeCursor, N, TotalCount>;

/// The page a client asked for: sort and direction, its size (checked), and its cursor
/// (decoded and checked to belong to this sort and direction).
pub fn page_spec<S: Copy + Debug>(sort: S, direction: Direction, paging: &Paging) -> AppResult<PageSpec<S>> {
    let key = ordering_key(sort, direction);
    let cursor = match paging.cursor()? {
        Some((argument, text)) => {
            let c = Cursor::decode(argument, text, &key)?;
            Some(PageCursor { value: c.value, id: c.id })
        }
        None => None,
    };
    Ok(PageSpec { sort, direction, size: paging.size()?, cursor, backward: paging.backward() })
}

fn ordering_key<S: Debug>(sort: S, direction: Direction) -> String {
    format!("{sort:?}_{direction:?}").to_uppercase()
}

/// The cursor of the last row of a page (what `pageInfo.endCursor` says).
pub fn end_cursor<L: Listing>(page: &Page<ModelOf<L>>, spec: &PageSpec<L::Sort>) -> Option<String> {
    let ordering = ordering_key(spec.sort, spec.direction).into();
    page.items.last().map(|row| EdgeCursor::of::<L>(&ordering, spec, row).encode_cursor())
}

/// A connection over one page of a listing.
pub fn connection<L: Listing, N: OutputType>(
    page: &Page<ModelOf<L>>,
    spec: &PageSpec<L::Sort>,
    total: TotalCount,
    node: impl Fn(ModelOf<L>) -> N,
) -> ListConnection<N>
where
    ModelOf<L>: Clone,
{
    let ordering = ordering_key(spec.sort, spec.direction).into();
    let mut connection = Connection::with_additional_fields(page.has_previous, page.has_next, total);
    connection
        .edges
        .extend(page.items.iter().map(|row| Edge::new(EdgeCursor::of::<L>(&ordering, spec, row), node(row.clone()))));
    connection
}

/// A top-level listing (`campaigns`, `retailers`) as a connection, within the caller's scope;
/// its page is read together with the requests asking for the same page at the same time.
pub async fn list<L: SharedPages, N: OutputType>(
    ctx: &Context<'_>,
    filter: L::Filter,
    spec: PageSpec<L::Sort>,
    node: impl Fn(ModelOf<L>) -> N,
) -> async_graphql::Result<ListConnection<N>>
where
    ModelOf<L>: Clone,
{
    let scope = super::scope(ctx)?;
    let db = super::db(ctx).clone();
    let page = super::loaders(ctx)?.shared().page::<L>(&db, scope, &filter, &spec).await?;
    let total = TotalCount::new(move || {
        let (db, filter) = (db.clone(), filter.clone());
        async move { listing::count::<L>(&db, scope, &filter).await }
    });
    Ok(connection::<L, N>(&page, &spec, total, node))
}

/// The children of one parent as a connection, loaded in a batch with the same page of
/// every other parent in the response; `totalCount` likewise.
pub async fn children<L: SharedChildPages, N: OutputType>(
    ctx: &Context<'_>,
    parent_id: Uuid,
    parent: L::Parent,
    filter: L::Filter,
    spec: PageSpec<L::Sort>,
    node: impl Fn(ModelOf<L>, PageRetailers) -> N,
) -> async_graphql::Result<ListConnection<N>>
where
    ModelOf<L>: Clone,
{
    let loaders = super::loaders(ctx)?.clone();
    let key = ChildPageKey::<L> { parent_id, parent, filter: filter.clone(), spec: spec.clone() };
    let page = loaders.load_one(key).await?;
    let empty = Page::empty();
    let page = page.as_deref().unwrap_or(&empty);
    // The retailers the page's rows name, in one load (batched with every other page's):
    // each row's `retailer` then takes its own from the page's.
    let mut retailers = PageRetailers::default();
    if ctx.look_ahead().field("edges").field("node").field("retailer").exists() {
        let named: HashSet<UserById> = page.items.iter().filter_map(L::retailer_of).map(UserById).collect();
        retailers = PageRetailers::new(loaders.load_many(named).await?);
    }
    let count_key = ChildCountKey::<L> { parent_id, parent, filter };
    let total = TotalCount::new(move || {
        let (loaders, key) = (loaders.clone(), count_key.clone());
        async move { Ok(loaders.load_one(key).await?.unwrap_or(0)) }
    });
    Ok(connection::<L, N>(page, &spec, total, |row| node(row, retailers.clone())))
}

type CountFuture = Pin<Box<dyn Future<Output = AppResult<u64>> + Send>>;

/// `totalCount` of a connection, counted only when asked for.
#[derive(Clone)]
pub struct TotalCount(Arc<dyn Fn() -> CountFuture + Send + Sync>);

impl TotalCount {
    pub fn new<F, Fut>(count: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<u64>> + Send + 'static,
    {
        TotalCount(Arc::new(move || Box::pin(count())))
    }
}

#[Object]
impl TotalCount {
    /// How many rows match the filter, over all pages. Sends, conversions and orders are
    /// counted from rollups, exactly, unless the filter has a time range (`sentDuring`,
    /// `during`) or they are a send's: then at most 1,000 rows are counted, so 1,000 means
    /// 1,000 or more.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        Ok((self.0)().await.map(|n| n as i64)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_to_20_and_refuses_above_100() {
        assert_eq!(page_size("first", None).unwrap(), 20);
        assert_eq!(page_size("first", Some(100)).unwrap(), 100);
        let err = page_size("first", Some(101)).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.message().contains("100"), "{err:?}");
        assert!(page_size("last", Some(-1)).unwrap_err().message().contains("last"));
    }

    #[test]
    fn paging_is_forwards_or_backwards_never_both() {
        let c = Some("x".to_owned());
        assert!(Paging::new(Some(1), None, Some(1), None).size().is_err());
        assert!(Paging::new(None, c.clone(), None, c.clone()).cursor().is_err());
        assert!(Paging::new(Some(1), None, None, c.clone()).cursor().is_err());
        assert!(Paging::new(None, c.clone(), Some(1), None).cursor().is_err());
        assert!(Paging::new(None, None, Some(5), c.clone()).backward());
        assert_eq!(Paging::new(None, None, Some(5), None).size().unwrap(), 5);
        assert!(!Paging::new(Some(5), c, None, None).backward());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage_or_another_ordering() {
        let c = Cursor { ordering: "NAME_ASC".into(), value: Some("x".into()), id: Uuid::nil() };
        assert_eq!(Cursor::decode("after", &c.encode(), "NAME_ASC").unwrap(), c);
        assert!(Cursor::decode("after", &c.encode(), "CREATED_AT_ASC").is_err());
        assert!(Cursor::decode("before", "!!!", "NAME_ASC").unwrap_err().message().contains("before"));
        assert!(Cursor::decode("after", "e30", "NAME_ASC").is_err());
    }
}
