//! Keyset-paginated listings of any table: one trait says how a table is filtered within a
//! scope and sorted; the functions here page through it (`page`, `count`) or through the
//! children of many parents at once (`pages_by_parent`, `counts_by_parent`), each in one
//! SQL statement. Pages start after (or end before) a cursor (sort value + id), never at an
//! OFFSET, so they stay valid when rows are inserted. Children's counts, and whether a page
//! can hold any row at all, are read from the listing's rollup where it has one.

use super::page::{Direction, Page};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, NullOrdering, Query, SelectStatement, SimpleExpr, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Value,
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
    /// The rows of a rollup (with a count column `n`) that count the children of `parents`
    /// that `scope` may see and that match `filter` (and, given a part of a page of a
    /// nullable ordering, are in it); `None` without such a rollup.
    fn rollup_rows(
        _scope: Scope,
        _filter: &Self::Filter,
        _parent: Self::Parent,
        _parents: &[Uuid],
        _part: Option<Part<Self::Sort>>,
    ) -> Option<RollupRows> {
        None
    }
}

/// A part of a page of an ordering by a column that may be null: the rows with a value
/// (`nulls` false) or those without.
#[derive(Debug, Clone, Copy)]
pub struct Part<S> {
    pub sort: S,
    pub nulls: bool,
}

/// Rows of a rollup standing for rows of a listing (`Listing::rollup_rows`).
pub struct RollupRows {
    /// `FROM <rollup> WHERE …`, no columns.
    pub rows: SelectStatement,
    /// The rollup's column that holds the parent.
    pub parent_key: SimpleExpr,
    /// Whether they count exactly the matching rows; if not, the rows of a wider filter
    /// (one without its time range, which the rollup does not key).
    pub exact: bool,
    /// A further condition that is false when no row can match (e.g. read from a rollup
    /// by time, for the time range).
    pub also: Option<SimpleExpr>,
}

/// `FROM <table> WHERE <key> IN parents` and, for a retailer, their own rows: the start of a
/// rollup's `RollupRows`.
pub fn rollup_rows(table: &str, key: &str, parents: &[Uuid], scope: Scope) -> SelectStatement {
    let mut rows = Query::select();
    rows.from(Alias::new(table)).and_where(super::column(table, key).is_in(parents.iter().copied()));
    if let Some(own) = super::visibility::own_rows(scope, table) {
        rows.and_where(own);
    }
    rows
}

impl RollupRows {
    /// True when some row may match: false only when none does.
    fn any(self) -> SimpleExpr {
        let mut rows = self.rows;
        let any = Expr::exists(rows.expr(Expr::val(1)).and_where(Expr::col(Alias::new("n")).gt(0)).to_owned());
        match self.also {
            Some(also) => any.and(also),
            None => any,
        }
    }

    /// (`parent`, `n`): how many rows match, per parent; `None` unless exact.
    fn counts(self) -> Option<SelectStatement> {
        let mut rows = self.rows;
        self.exact.then(|| {
            rows.expr_as(self.parent_key.clone(), Alias::new("parent"))
                .expr_as(Expr::cust("CAST(SUM(n) AS BIGINT)"), Alias::new("n"))
                .add_group_by([self.parent_key])
                .to_owned()
        })
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

fn order_of(direction: Direction) -> Order {
    match direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    }
}

/// `(a, b) > (x, y)` (`Asc`) or `<` (`Desc`): a row comparison, which an index on (…, a, b)
/// reads as a range (an `a > x OR (a = x AND b > y)` would be read as a filter).
fn row_beyond(reading: Direction, columns: [SimpleExpr; 2], values: [SimpleExpr; 2]) -> SimpleExpr {
    let (left, right) = (Expr::tuple(columns), Expr::tuple(values));
    match reading {
        Direction::Asc => left.gt(right),
        Direction::Desc => left.lt(right),
    }
}

/// The parts a page is read in, each an index range read in the listing's order and
/// limited to the page (`size + 1` rows), in reading order. A sort column that may be null
/// is read as two parts, its values (by value, then id) and its nulls (by id), so that
/// either direction is one range of an index on (…, column, id); nulls sort last.
fn parts<L: Listing>(
    scope: Scope,
    filter: &L::Filter,
    spec: &PageSpec<L::Sort>,
    extra: &dyn Fn(Option<Part<L::Sort>>) -> Option<SimpleExpr>,
    lead: Option<ColumnOf<L>>,
) -> AppResult<Vec<Select<L::Entity>>> {
    let (col, kind) = L::sort_column(spec.sort);
    let id = L::id_column();
    let nullable = col.def().is_null();
    let reading = if spec.backward { spec.direction.reversed() } else { spec.direction };
    // The rows of a part (`None`: the only one), with what `extra` adds to it.
    let base = |nulls: Option<bool>| {
        let select = L::select(scope, filter);
        match extra(nulls.map(|nulls| Part { sort: spec.sort, nulls })) {
            Some(e) => select.filter(e),
            None => select,
        }
    };
    let values_part = (nullable).then_some(false);
    let id_beyond = |cursor: &PageCursor| match reading {
        Direction::Asc => id.into_expr().gt(cursor.id),
        Direction::Desc => id.into_expr().lt(cursor.id),
    };
    let values = match &spec.cursor {
        None => Some(base(values_part)),
        // After a value: greater values and its ties with a greater id; before it, smaller.
        Some(cursor @ PageCursor { value: Some(text), .. }) => {
            let value = parse_value(kind, text)?;
            let beyond = row_beyond(reading, [col.into_expr(), id.into_expr()], [value.into(), cursor.id.into()]);
            Some(base(values_part).filter(beyond))
        }
        // After a null come only nulls; before it, every value.
        Some(PageCursor { value: None, .. }) => spec.backward.then(|| base(values_part)),
    };
    let led = |select: Select<L::Entity>| match lead {
        Some(lead) => select.order_by(lead, order_of(reading)),
        None => select,
    };
    let values = values.map(|select| {
        let select = if nullable { select.filter(col.is_not_null()) } else { select };
        led(select).order_by(col, order_of(reading)).order_by(id, order_of(reading)).limit(spec.size + 1)
    });
    let nulls = match &spec.cursor {
        _ if !nullable => None,
        None => Some(base(Some(true))),
        // After a value come every null; before it, none.
        Some(PageCursor { value: Some(_), .. }) => (!spec.backward).then(|| base(Some(true))),
        Some(cursor @ PageCursor { value: None, .. }) => Some(base(Some(true)).filter(id_beyond(cursor))),
    };
    // Ordered by the column too (all null here, so by id): the order of the index on
    // (…, column, id), which a planner would not see in an order by id alone.
    let nulls = nulls.map(|select| {
        select
            .filter(col.is_null())
            .order_by(col, order_of(reading))
            .order_by(id, order_of(reading))
            .limit(spec.size + 1)
    });
    // Reading forwards, nulls come last; backwards, first.
    Ok(match spec.backward {
        false => values.into_iter().chain(nulls).collect(),
        true => nulls.into_iter().chain(values).collect(),
    })
}

/// `parts` as one statement: each part wrapped (so it keeps its own ORDER BY and LIMIT, as
/// SQLite requires), joined by `UNION ALL`, and the (few) rows sorted again in reading order.
fn union_of<L: Listing>(parts: Vec<SelectStatement>, spec: &PageSpec<L::Sort>, name: &str) -> Option<SelectStatement> {
    let mut union: Option<SelectStatement> = None;
    for (i, part) in parts.into_iter().enumerate() {
        let wrapped = Query::select().column(Asterisk).from_subquery(part, Alias::new(format!("{name}{i}"))).to_owned();
        union = Some(match union {
            None => wrapped,
            Some(mut u) => u.union(UnionType::All, wrapped).to_owned(),
        });
    }
    let (col, _) = L::sort_column(spec.sort);
    let (order, nulls) = spec.reading();
    let paged = Alias::new("paged");
    Some(
        Query::select()
            .column(Asterisk)
            .from_subquery(union?, paged.clone())
            .order_by_with_nulls((paged.clone(), col), order.clone(), nulls)
            .order_by((paged, L::id_column()), order)
            .to_owned(),
    )
}

/// One page of the rows `scope` may see matching `filter`.
pub async fn page<L: Listing>(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &L::Filter,
    spec: &PageSpec<L::Sort>,
) -> AppResult<Page<ModelOf<L>>> {
    let mut parts = parts::<L>(scope, filter, spec, &|_| None, None)?;
    let rows = match parts.len() {
        0 => Vec::new(),
        1 => parts.remove(0).all(db).await?,
        _ => {
            let parts = parts.into_iter().map(QueryTrait::into_query).collect();
            let Some(union) = union_of::<L>(parts, spec, "p") else { return Ok(spec.page(Vec::new())) };
            ModelOf::<L>::find_by_statement(db.get_database_backend().build(&union)).all(db).await?
        }
    };
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
/// one `ORDER BY … LIMIT first + 1` per parent and part (`parts`; an index range scan each,
/// so a page costs its size, not the parent's number of children), joined by `UNION ALL`.
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
    // Ordered by a column that is never null (send time), a parent is named as a range of
    // one value and ordered by first: an equality would let the planner drop the parent
    // from the order and read the rows in the order of an index on the sort column alone
    // (the spec's `idx_email_sends_dates`, sent_at first, since dropped; any such index
    // would do), filtering out every other parent's rows on the way — fast only where a
    // parent's rows spread evenly through time. So only an index on (parent, column, id)
    // gives the order. A column that may be null keeps the equality, which lets its index
    // skip the nulls (or values) at once; no other index leads with it.
    let as_range = !L::sort_column(spec.sort).0.def().is_null();
    // At most PARTS parents per statement (SQLite allows 500 terms in a compound SELECT).
    for chunk in parents.chunks(PARTS) {
        let mut all = Vec::new();
        for p in chunk {
            let own: SimpleExpr = if as_range { parent_col.gte(*p).and(parent_col.lte(*p)) } else { parent_col.eq(*p) };
            // Read a part only where the rollup says a row may fill it: a part that no row
            // can fill costs a rollup lookup, not a scan of the parent's rows.
            let only = |part: Option<Part<L::Sort>>| {
                Some(match L::rollup_rows(scope, filter, parent, &[*p], part) {
                    Some(rows) => own.clone().and(rows.any()),
                    None => own.clone(),
                })
            };
            let lead = as_range.then_some(parent_col);
            all.extend(parts::<L>(scope, filter, spec, &only, lead)?.into_iter().map(QueryTrait::into_query));
        }
        let Some(outer) = union_of::<L>(all, spec, "p") else { continue };
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

/// The most rows a `totalCount` that no rollup answers counts per parent: a count of
/// `COUNT_CAP` means that many or more.
pub const COUNT_CAP: u64 = 1_000;

/// How many children each parent has that `scope` may see and match `filter`, in one
/// statement: from the listing's rollup where it can say, else counted from the rows, at
/// most `COUNT_CAP` per parent (one index range each, however many children a parent has).
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
    let statements = match L::rollup_rows(scope, filter, parent, parents, None).and_then(RollupRows::counts) {
        Some(stmt) => vec![stmt],
        None => parents.chunks(PARTS).filter_map(|chunk| bounded_counts::<L>(scope, filter, parent, chunk)).collect(),
    };
    for stmt in statements {
        for row in ParentCount::find_by_statement(db.get_database_backend().build(&stmt)).all(db).await? {
            counts.insert(row.parent, row.n as u64);
        }
    }
    Ok(counts)
}

/// Per parent, `SELECT parent, COUNT(*)` over at most `COUNT_CAP` of its matching rows.
fn bounded_counts<L: Listing>(
    scope: Scope,
    filter: &L::Filter,
    parent: L::Parent,
    parents: &[Uuid],
) -> Option<SelectStatement> {
    let parent_col = L::parent_column(parent);
    let mut union: Option<SelectStatement> = None;
    for (i, p) in parents.iter().enumerate() {
        let rows = L::select(scope, filter)
            .select_only()
            .column_as(parent_col, "parent")
            .filter(parent_col.eq(*p))
            .limit(COUNT_CAP)
            .into_query();
        let alias = Alias::new(format!("c{i}"));
        let one = Query::select()
            .expr_as(Expr::col((alias.clone(), Alias::new("parent"))), Alias::new("parent"))
            .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
            .from_subquery(rows, alias.clone())
            .group_by_col((alias, Alias::new("parent")))
            .to_owned();
        union = Some(match union {
            None => one,
            Some(mut u) => u.union(UnionType::All, one).to_owned(),
        });
    }
    union
}
