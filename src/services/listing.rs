//! Keyset-paginated listings of any table: one trait says how a table is filtered within a
//! scope and sorted; the functions here page through it (`page`, `count`) or through the
//! children of many parents at once (`pages_by_parent`, `counts_by_parent`), each in one
//! SQL statement. Pages start after (or end before) a cursor (sort value + id), never at an
//! OFFSET, so they stay valid when rows are inserted.

use super::page::{Direction, Page};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, NullOrdering, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Value,
};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use uuid::Uuid;

/// The type of a sort column, which says how a cursor's text turns back into a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Text,
    Time,
}

/// A position in an ordering: the sort value (text; `None` for a null) and the row id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageCursor {
    pub value: Option<String>,
    pub id: Uuid,
}

/// What page to read: ordering, size, start, and which way: the `size` rows after `cursor`
/// (`first`/`after`), or, `backward`, the `size` rows before it (`last`/`before`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageSpec<S> {
    pub sort: S,
    pub direction: Direction,
    pub size: u64,
    pub cursor: Option<PageCursor>,
    pub backward: bool,
}

impl<S> PageSpec<S> {
    /// The order rows are read in: the listing's, or its reverse when reading backwards.
    fn reading(&self) -> (Order, NullOrdering) {
        match self.backward {
            false => (order_of(self.direction), NullOrdering::Last),
            true => (order_of(self.direction.reversed()), NullOrdering::First),
        }
    }

    /// The fetched rows (`size + 1` at most, in reading order) as a page.
    fn page<T>(&self, rows: Vec<T>) -> Page<T> {
        Page::from_overfetch(rows, self.size, self.backward, self.cursor.is_some())
    }
}

pub type ColumnOf<L> = <<L as Listing>::Entity as EntityTrait>::Column;
pub type ModelOf<L> = <<L as Listing>::Entity as EntityTrait>::Model;

/// How one table is listed.
pub trait Listing: Send + Sync + 'static {
    type Entity: EntityTrait<Model: Send + Sync> + Default;
    /// Conditions a client may set.
    type Filter: Clone + Debug + Hash + Eq + Default + Send + Sync + 'static;
    /// Columns a client may sort by.
    type Sort: Copy + Debug + Hash + Eq + Send + Sync + 'static;
    /// Relations by which rows are listed under a parent (`Infallible` for none).
    type Parent: Copy + Debug + Hash + Eq + Send + Sync + 'static;

    /// The rows `scope` may see that match `filter`.
    fn select(scope: Scope, filter: &Self::Filter) -> Select<Self::Entity>;
    fn sort_column(sort: Self::Sort) -> (ColumnOf<Self>, SortKind);
    fn id_column() -> ColumnOf<Self>;
    fn id(model: &ModelOf<Self>) -> Uuid;
    /// The row's sort value (what a cursor keeps); `None` for a null.
    fn sort_value(sort: Self::Sort, model: &ModelOf<Self>) -> Option<SortValue>;
    fn parent_column(parent: Self::Parent) -> ColumnOf<Self>;
    fn parent_of(parent: Self::Parent, model: &ModelOf<Self>) -> Option<Uuid>;
    /// The retailer the row belongs to, for rows that have one.
    fn retailer_of(_model: &ModelOf<Self>) -> Option<Uuid> {
        None
    }
}

/// Formats a time the way cursors keep it.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A row's sort value, kept as it is until a cursor needs its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Time(DateTime<Utc>),
}

impl SortValue {
    /// The text a cursor keeps.
    pub fn to_text(&self) -> String {
        match self {
            SortValue::Text(text) => text.clone(),
            SortValue::Time(t) => time_text(*t),
        }
    }
}

fn parse_value(kind: SortKind, text: &str) -> AppResult<Value> {
    match kind {
        SortKind::Text => Ok(text.to_owned().into()),
        SortKind::Time => DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc).into())
            .map_err(|_| AppError::invalid("after", "not a cursor returned by this API")),
    }
}

/// Beyond the cursor in reading order: after it in the order `col` (nulls last) then id, in
/// `direction`; or, `backward`, before it.
fn beyond_condition<C: ColumnTrait>(
    col: C,
    id: C,
    kind: SortKind,
    direction: Direction,
    backward: bool,
    cursor: &PageCursor,
) -> AppResult<Condition> {
    let reading = if backward { direction.reversed() } else { direction };
    let (beyond, id_beyond): (fn(C, Value) -> SimpleExpr, SimpleExpr) = match reading {
        Direction::Asc => (|c, v| c.gt(v), id.gt(cursor.id)),
        Direction::Desc => (|c, v| c.lt(v), id.lt(cursor.id)),
    };
    let nulls = Condition::all().add(col.is_null()).add(id_beyond.clone());
    Ok(match (&cursor.value, backward) {
        // Nulls sort last: after a value come greater values, its ties and every null ...
        (Some(text), false) => {
            let value = parse_value(kind, text)?;
            Condition::any()
                .add(beyond(col, value.clone()))
                .add(Condition::all().add(col.eq(value)).add(id_beyond))
                .add(col.is_null())
        }
        // ... before it, only smaller values and its ties;
        (Some(text), true) => {
            let value = parse_value(kind, text)?;
            Condition::any().add(beyond(col, value.clone())).add(Condition::all().add(col.eq(value)).add(id_beyond))
        }
        // after a null, only nulls; before it, every value and the nulls before it.
        (None, false) => nulls,
        (None, true) => Condition::any().add(col.is_not_null()).add(nulls),
    })
}

fn order_of(direction: Direction) -> Order {
    match direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    }
}

fn started<L: Listing>(scope: Scope, filter: &L::Filter, spec: &PageSpec<L::Sort>) -> AppResult<Select<L::Entity>> {
    let (col, kind) = L::sort_column(spec.sort);
    let mut select = L::select(scope, filter);
    if let Some(cursor) = &spec.cursor {
        select = select.filter(beyond_condition(col, L::id_column(), kind, spec.direction, spec.backward, cursor)?);
    }
    Ok(select)
}

/// One page of the rows `scope` may see matching `filter`.
pub async fn page<L: Listing>(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &L::Filter,
    spec: &PageSpec<L::Sort>,
) -> AppResult<Page<ModelOf<L>>> {
    let (col, _) = L::sort_column(spec.sort);
    let (order, nulls) = spec.reading();
    let rows = started::<L>(scope, filter, spec)?
        .order_by_with_nulls(col, order.clone(), nulls)
        .order_by(L::id_column(), order)
        .limit(spec.size + 1)
        .all(db)
        .await?;
    Ok(spec.page(rows))
}

/// How many rows `scope` may see match `filter`.
pub async fn count<L: Listing>(db: &impl ConnectionTrait, scope: Scope, filter: &L::Filter) -> AppResult<u64> {
    Ok(L::select(scope, filter).count(db).await?)
}

/// Parents per statement of `pages_by_parent`.
const PARTS: usize = 100;

/// The same page (`spec`) of the children of every parent in `parents`, in one statement per
/// 100 parents:
/// one `ORDER BY … LIMIT first + 1` per parent (an index range scan each, so a page costs
/// its size, not the parent's number of children), joined by `UNION ALL`.
pub async fn pages_by_parent<L: Listing>(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &L::Filter,
    parent: L::Parent,
    parents: &[Uuid],
    spec: &PageSpec<L::Sort>,
) -> AppResult<HashMap<Uuid, Page<ModelOf<L>>>> {
    let mut grouped: HashMap<Uuid, Vec<ModelOf<L>>> = parents.iter().map(|p| (*p, Vec::new())).collect();
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let parent_col = L::parent_column(parent);
    let (sort_col, _) = L::sort_column(spec.sort);
    let (order, nulls) = spec.reading();
    // At most PARTS parents per statement (SQLite allows 500 terms in a compound SELECT).
    for chunk in parents.chunks(PARTS) {
        let mut union: Option<SelectStatement> = None;
        for (i, p) in chunk.iter().enumerate() {
            let one = started::<L>(scope, filter, spec)?
                .filter(parent_col.eq(*p))
                .order_by_with_nulls(sort_col, order.clone(), nulls)
                .order_by(L::id_column(), order.clone())
                .limit(spec.size + 1)
                .into_query();
            // Wrapped, so each part keeps its own ORDER BY and LIMIT (SQLite allows them only so).
            let wrapped = Query::select().column(Asterisk).from_subquery(one, Alias::new(format!("p{i}"))).to_owned();
            union = Some(match union {
                None => wrapped,
                Some(mut u) => u.union(UnionType::All, wrapped).to_owned(),
            });
        }
        let Some(union) = union else { continue };
        // The parts' order is not the union's: sort the (few) rows again.
        let paged = Alias::new("paged");
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(union, paged.clone())
            .order_by_with_nulls((paged.clone(), sort_col), order.clone(), nulls)
            .order_by((paged, L::id_column()), order.clone())
            .to_owned();
        let rows = ModelOf::<L>::find_by_statement(db.get_database_backend().build(&outer)).all(db).await?;
        for row in rows {
            if let Some(p) = L::parent_of(parent, &row) {
                grouped.entry(p).or_default().push(row);
            }
        }
    }
    Ok(grouped.into_iter().map(|(p, rows)| (p, spec.page(rows))).collect())
}

#[derive(Debug, FromQueryResult)]
struct ParentCount {
    parent: Uuid,
    n: i64,
}

/// How many children each parent has that `scope` may see and match `filter`: one statement.
pub async fn counts_by_parent<L: Listing>(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &L::Filter,
    parent: L::Parent,
    parents: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    let mut counts: HashMap<Uuid, u64> = parents.iter().map(|p| (*p, 0)).collect();
    if parents.is_empty() {
        return Ok(counts);
    }
    let parent_col = L::parent_column(parent);
    let stmt = L::select(scope, filter)
        .select_only()
        .column_as(parent_col, "parent")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .filter(parent_col.is_in(parents.iter().copied()))
        .group_by(parent_col)
        .into_query();
    for row in ParentCount::find_by_statement(db.get_database_backend().build(&stmt)).all(db).await? {
        counts.insert(row.parent, row.n as u64);
    }
    Ok(counts)
}
