//! Batched aggregate queries: one statement per batch of keys, grouped by the key, with
//! zero totals filled in for keys that have no rows.

use super::Window;
use super::metrics::{EmailCounts, EmailFigures, RevenueTotals};
use super::sql::{ATTRIBUTED, CATEGORY, EmailRows, LINKED, Revenue, RevenueRows};
use crate::auth::Scope;
use crate::services::campaigns::select_by_id;
use crate::services::column;
use crate::services::visibility::own_rows;
use entity::{Money, campaigns};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, QueryTrait, StatementBuilder};
use std::collections::HashMap;
use uuid::Uuid;

/// How email counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailGrouping {
    /// Per campaign, over all its email campaigns.
    Campaign,
    /// Per email campaign.
    EmailCampaign,
}

impl EmailGrouping {
    /// The (table, column) the counts are grouped by.
    fn key_column(self) -> (&'static str, &'static str) {
        match self {
            EmailGrouping::Campaign => ("email_campaigns", "campaign_id"),
            EmailGrouping::EmailCampaign => ("email_sends", "email_campaign_id"),
        }
    }
}

fn key_filter((table, name): (&str, &str), keys: &[Uuid]) -> sea_orm::sea_query::SimpleExpr {
    column(table, name).is_in(keys.iter().copied())
}

async fn fetch<R: FromQueryResult>(db: &impl ConnectionTrait, stmt: &impl StatementBuilder) -> Result<Vec<R>, DbErr> {
    let statement = db.get_database_backend().build(stmt);
    R::find_by_statement(statement).all(db).await
}

/// The fact tables a totals statement aggregates, each on its own (E1), as parts of one
/// `UNION ALL`: one round trip, whatever is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// E5 counts of sends per key (a campaign or an email campaign).
    Email = 1,
    /// Conversion revenue per campaign, and the part linked to a send.
    Conversions = 2,
    /// Completed, pending and email-attributed completed order revenue per campaign (E6).
    Orders = 3,
}

/// A row of a totals statement: its part, its key and up to seven numbers (zero past the
/// part's own), in the order of `Part::statement`'s columns.
#[derive(Debug, FromQueryResult)]
struct PartRow {
    part: i64,
    key: Uuid,
    n1: i64,
    n2: i64,
    n3: i64,
    n4: i64,
    n5: i64,
    n6: i64,
    n7: i64,
}

impl Part {
    /// `SELECT part, key, n1…n7` over this part's aggregate, cut to the caller's scope.
    fn statement(
        self,
        backend: DbBackend,
        scope: Scope,
        window: Window,
        grouping: EmailGrouping,
        keys: &[Uuid],
    ) -> SelectStatement {
        let (inner, columns): (SelectStatement, &[&str]) = match self {
            Part::Email => {
                let key = grouping.key_column();
                let mut stmt: SelectStatement = Query::select()
                    .expr_as(column(key.0, key.1), Alias::new("key"))
                    .expr_as(
                        // Sends to a user that is not (or no longer) a retailer do not count
                        // a retailer (a hashed look-up of the few retailers, not a join).
                        Expr::cust(
                            "CAST(COUNT(DISTINCT CASE WHEN email_sends.retailer_id IN \
                             (SELECT id FROM users WHERE user_type = 'retailer') THEN email_sends.retailer_id END) AS BIGINT)",
                        ),
                        Alias::new("retailers"),
                    )
                    .to_owned();
                EmailRows::select_counts(&mut stmt);
                EmailRows::for_window(window).from(backend, &mut stmt);
                stmt.inner_join(
                    Alias::new("email_campaigns"),
                    column("email_campaigns", "id").eq(column("email_sends", "email_campaign_id")),
                )
                .and_where(key_filter(key, keys))
                .add_group_by([column(key.0, key.1)]);
                if let Some(own) = own_rows(scope, "email_sends") {
                    stmt.and_where(own);
                }
                (stmt, &["retailers", "sent", "delivered", "opened", "human_opened", "clicked", "bounced"])
            }
            Part::Conversions => {
                let c = Revenue::Conversions;
                let sums = [("cents", c.cents("1 = 1")), ("linked_cents", c.cents(LINKED))];
                (revenue_part(backend, scope, window, keys, c, sums), &["cents", "linked_cents"])
            }
            Part::Orders => {
                let o = Revenue::Orders;
                let sums = [
                    ("completed", o.cents("ecommerce_orders.order_status = 'completed'")),
                    ("pending", o.cents("ecommerce_orders.order_status = 'pending'")),
                    ("attributed", o.cents(ATTRIBUTED)),
                ];
                (revenue_part(backend, scope, window, keys, o, sums), &["completed", "pending", "attributed"])
            }
        };
        let mut outer = Query::select()
            .expr_as(Expr::cust(format!("CAST({} AS BIGINT)", self as i64)), Alias::new("part"))
            .expr_as(column("part_rows", "key"), Alias::new("key"))
            .to_owned();
        for i in 0..7 {
            let number = columns.get(i).map_or("CAST(0 AS BIGINT)".to_owned(), |c| format!("part_rows.{c}"));
            outer.expr_as(Expr::cust(number), Alias::new(format!("n{}", i + 1)));
        }
        outer.from_subquery(inner, Alias::new("part_rows"));
        outer
    }
}

/// `SELECT campaign_id AS key, <sums>` of a revenue table per campaign, cut to the scope.
fn revenue_part<const N: usize>(
    backend: DbBackend,
    scope: Scope,
    window: Window,
    keys: &[Uuid],
    of: Revenue,
    sums: [(&str, String); N],
) -> SelectStatement {
    let t = of.table();
    let mut stmt = Query::select().expr_as(column(t, "campaign_id"), Alias::new("key")).to_owned();
    for (alias, sum) in sums {
        stmt.expr_as(Expr::cust(sum), Alias::new(alias));
    }
    RevenueRows::for_window(window).from(backend, &mut stmt, of);
    stmt.and_where(key_filter((t, "campaign_id"), keys)).add_group_by([column(t, "campaign_id")]);
    if let Some(own) = own_rows(scope, t) {
        stmt.and_where(own);
    }
    stmt
}

/// What a totals statement found, per key: email counts and revenue (absent keys had no rows).
#[derive(Default)]
struct Found {
    email: HashMap<Uuid, EmailFigures>,
    revenue: HashMap<Uuid, RevenueTotals>,
}

/// The union of `parts`, each aggregated on its own; `None` when nothing is asked.
fn union(
    backend: DbBackend,
    scope: Scope,
    window: Window,
    grouping: EmailGrouping,
    keys: &[Uuid],
    parts: &[Part],
) -> Option<SelectStatement> {
    if keys.is_empty() {
        return None;
    }
    let mut statements = parts.iter().map(|p| p.statement(backend, scope, window, grouping, keys));
    let mut stmt = statements.next()?;
    for other in statements {
        stmt.union(UnionType::All, other);
    }
    Some(stmt)
}

impl Found {
    /// Adds one row of a totals statement.
    fn add(&mut self, r: PartRow) -> Result<(), DbErr> {
        match r.part {
            p if p == Part::Email as i64 => {
                let counts = EmailCounts {
                    sent: r.n2,
                    delivered: r.n3,
                    opened: r.n4,
                    human_opened: r.n5,
                    clicked: r.n6,
                    bounced: r.n7,
                };
                self.email.insert(r.key, EmailFigures { counts, retailers: r.n1 });
            }
            p if p == Part::Conversions as i64 => {
                let entry = self.revenue.entry(r.key).or_default();
                entry.conversions = Money::from_cents(r.n1);
                entry.email_attributed += Money::from_cents(r.n2);
            }
            p if p == Part::Orders as i64 => {
                let entry = self.revenue.entry(r.key).or_default();
                entry.orders = Money::from_cents(r.n1);
                entry.pending = Money::from_cents(r.n2);
                entry.email_attributed += Money::from_cents(r.n3);
            }
            p => return Err(DbErr::Custom(format!("a totals row of unknown part {p}"))),
        }
        Ok(())
    }

    /// What was found for campaign `id` (zeros where nothing was).
    fn campaign(&self, id: &Uuid) -> CampaignTotals {
        CampaignTotals {
            email: self.email.get(id).copied().unwrap_or_default(),
            revenue: self.revenue.get(id).copied().unwrap_or_default(),
        }
    }
}

/// One statement: the union of `parts`, each aggregated on its own.
async fn totals(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    grouping: EmailGrouping,
    keys: &[Uuid],
    parts: &[Part],
) -> Result<Found, DbErr> {
    let mut found = Found::default();
    let Some(stmt) = union(db.get_database_backend(), scope, window, grouping, keys, parts) else {
        return Ok(found);
    };
    for r in fetch::<PartRow>(db, &stmt).await? {
        found.add(r)?;
    }
    Ok(found)
}

/// E5 counts of sends per key (a campaign or an email campaign).
pub async fn email_counts(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    grouping: EmailGrouping,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, EmailFigures>, DbErr> {
    let found = totals(db, scope, window, grouping, keys, &[Part::Email]).await?;
    Ok(keys.iter().map(|k| (*k, found.email.get(k).copied().unwrap_or_default())).collect())
}

/// Revenue per campaign (E6): conversions, completed orders and pending orders, each table
/// aggregated on its own (E1), summed as exact cents.
pub async fn revenue_by_campaign(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, RevenueTotals>, DbErr> {
    let found = totals(db, scope, window, EmailGrouping::Campaign, keys, &[Part::Conversions, Part::Orders]).await?;
    Ok(keys.iter().map(|k| (*k, found.revenue.get(k).copied().unwrap_or_default())).collect())
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    key: Uuid,
    n: i64,
}

/// The funnel's last steps per campaign: sends that led to a CRM conversion (through
/// `email_send_id`), and retailers that converted (a conversion, or an email-attributed order
/// that is completed or pending).
pub async fn conversions_by_campaign(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, (i64, i64)>, DbErr> {
    let mut out: HashMap<Uuid, (i64, i64)> = keys.iter().map(|k| (*k, (0, 0))).collect();
    if keys.is_empty() {
        return Ok(out);
    }
    let mut converted = Query::select()
        .expr_as(column("email_campaigns", "campaign_id"), Alias::new("key"))
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT crm_conversions.email_send_id) AS BIGINT)"), Alias::new("n"))
        .from(Alias::new("crm_conversions"))
        // Only a send of the conversion's own retailer and campaign (ingestion refuses any
        // other link; rows stored before it did must not credit another retailer's funnel).
        .inner_join(
            Alias::new("email_sends"),
            column("email_sends", "id")
                .eq(column("crm_conversions", "email_send_id"))
                .and(column("email_sends", "retailer_id").eq(column("crm_conversions", "retailer_id"))),
        )
        .inner_join(
            Alias::new("email_campaigns"),
            column("email_campaigns", "id")
                .eq(column("email_sends", "email_campaign_id"))
                .and(column("email_campaigns", "campaign_id").eq(column("crm_conversions", "campaign_id"))),
        )
        .and_where(key_filter(("email_campaigns", "campaign_id"), keys))
        .add_group_by([column("email_campaigns", "campaign_id")])
        .to_owned();
    if let Some(own) = own_rows(scope, "email_sends") {
        converted.and_where(own);
    }
    if let Some(within) = window.condition("crm_conversions", "conversion_date") {
        converted.and_where(within);
    }
    for row in fetch::<CountRow>(db, &converted).await? {
        out.entry(row.key).or_default().0 = row.n;
    }

    let backend = db.get_database_backend();
    let rows = RevenueRows::for_window(window);
    let (c, o) = (Revenue::Conversions, Revenue::Orders);
    // (campaign, retailer) pairs that converted: a conversion, or an email-attributed order
    // that is completed or pending.
    let converting = |of: Revenue, only: &[&'static str]| {
        let t = of.table();
        let mut pairs = Query::select()
            .expr_as(column(t, "campaign_id"), Alias::new("campaign_id"))
            .expr_as(column(t, "retailer_id"), Alias::new("retailer_id"))
            .to_owned();
        rows.from(backend, &mut pairs, of);
        pairs.and_where(key_filter((t, "campaign_id"), keys)).and_where(Expr::cust(of.has_retailer(backend)));
        for condition in only {
            pairs.and_where(Expr::cust(*condition));
        }
        pairs
    };
    let mut converted_conversions = converting(c, &[]);
    let converted_orders = converting(
        o,
        &["ecommerce_orders.attributed_to_email", "ecommerce_orders.order_status IN ('completed', 'pending')"],
    );
    let mut retailers = Query::select()
        .expr_as(column("converting", "campaign_id"), Alias::new("key"))
        .expr_as(Expr::cust("CAST(COUNT(DISTINCT converting.retailer_id) AS BIGINT)"), Alias::new("n"))
        .from_subquery(
            converted_conversions.union(sea_orm::sea_query::UnionType::Distinct, converted_orders).to_owned(),
            Alias::new("converting"),
        )
        .add_group_by([column("converting", "campaign_id")])
        .to_owned();
    if let Some(own) = own_rows(scope, "converting") {
        retailers.and_where(own);
    }
    for row in fetch::<CountRow>(db, &retailers).await? {
        out.entry(row.key).or_default().1 = row.n;
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct CategoryRow {
    key: Uuid,
    category: Option<String>,
    n: i64,
    cents: i64,
}

/// Conversions and their revenue per product category, per campaign (a category of `None`
/// gathers the conversions without one), ranked: most revenue first, then most conversions,
/// then by category.
pub async fn categories_by_campaign(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Option<String>, i64, Money)>>, DbErr> {
    let mut out: HashMap<Uuid, Vec<(Option<String>, i64, Money)>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    if keys.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let rows = RevenueRows::for_window(window);
    let c = Revenue::Conversions;
    let mut stmt = Query::select()
        .expr_as(column("crm_conversions", "campaign_id"), Alias::new("key"))
        .expr_as(Expr::cust(CATEGORY), Alias::new("category"))
        .expr_as(Expr::cust(c.count("1 = 1")), Alias::new("n"))
        .expr_as(Expr::cust(c.cents("1 = 1")), Alias::new("cents"))
        .to_owned();
    rows.from(backend, &mut stmt, c);
    stmt.and_where(key_filter(("crm_conversions", "campaign_id"), keys))
        .add_group_by([column("crm_conversions", "campaign_id"), Expr::cust(CATEGORY)]);
    if let Some(own) = own_rows(scope, "crm_conversions") {
        stmt.and_where(own);
    }
    for row in fetch::<CategoryRow>(db, &stmt).await? {
        out.entry(row.key).or_default().push((row.category, row.n, Money::from_cents(row.cents)));
    }
    for rows in out.values_mut() {
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then_with(|| a.0.cmp(&b.0)));
    }
    Ok(out)
}

/// Everything a campaign's performance is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignTotals {
    pub email: EmailFigures,
    pub revenue: RevenueTotals,
}

/// Email counts and revenue per campaign, in one statement (sends, conversions and orders
/// each aggregated on its own). GraphQL's loader and the REST endpoints both read through here.
pub async fn campaign_totals(
    db: &impl ConnectionTrait,
    scope: Scope,
    window: Window,
    keys: &[Uuid],
) -> Result<HashMap<Uuid, CampaignTotals>, DbErr> {
    let found = totals(db, scope, window, EmailGrouping::Campaign, keys, &CAMPAIGN_PARTS).await?;
    Ok(keys.iter().map(|id| (*id, found.campaign(id))).collect())
}

/// What a campaign's performance reads.
const CAMPAIGN_PARTS: [Part; 3] = [Part::Email, Part::Conversions, Part::Orders];

/// The campaigns with these ids that `scope` may see (`find_campaigns`), each with its
/// all-time totals (`campaign_totals`), in one statement: the campaigns left-joined to the
/// totals' rows.
pub async fn campaigns_with_totals(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (campaigns::Model, CampaignTotals)>, DbErr> {
    let backend = db.get_database_backend();
    let Some(parts) = union(backend, scope, Window::ALL, EmailGrouping::Campaign, ids, &CAMPAIGN_PARTS) else {
        return Ok(HashMap::new());
    };
    let mut stmt = select_by_id(scope, ids.iter().copied()).into_query();
    for name in ["part", "key", "n1", "n2", "n3", "n4", "n5", "n6", "n7"] {
        stmt.expr_as(column("totals", name), Alias::new(name));
    }
    stmt.join_subquery(
        JoinType::LeftJoin,
        parts,
        Alias::new("totals"),
        column("totals", "key").eq(column("campaigns", "id")),
    );
    let mut campaigns: HashMap<Uuid, campaigns::Model> = HashMap::new();
    let mut found = Found::default();
    for row in db.query_all_raw(backend.build(&stmt)).await? {
        // A campaign comes once per part it has rows in, or once with no part.
        if row.try_get::<Option<i64>>("", "part")?.is_some() {
            found.add(PartRow::from_query_result(&row, "")?)?;
        }
        let id: Uuid = row.try_get("", "id")?;
        if let std::collections::hash_map::Entry::Vacant(entry) = campaigns.entry(id) {
            entry.insert(campaigns::Model::from_query_result(&row, "")?);
        }
    }
    Ok(campaigns.into_iter().map(|(id, c)| (id, (c, found.campaign(&id)))).collect())
}
