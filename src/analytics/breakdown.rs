//! Per-retailer figures of campaigns (the leaderboard) and their sums per region: three
//! grouped statements per batch of campaigns (sends, conversions, orders), each fact table
//! (or its rollup) aggregated on its own (errata E1).

use super::Window;
use super::metrics::sum_by_add_assign;
use super::metrics::{EmailCounts, RevenueTotals};
use super::sql::{ATTRIBUTED, EmailRows, LINKED, Revenue, RevenueRows};
use crate::services::column;
use entity::Money;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::AddAssign;
use uuid::Uuid;

/// Which retailers' rows a breakdown reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    All,
    /// One retailer's own rows.
    Retailer(Uuid),
}

impl Rows {
    /// The rows `scope` may read: every retailer's, or a retailer's own.
    pub fn of(scope: crate::auth::Scope) -> Self {
        match scope {
            crate::auth::Scope::All => Rows::All,
            crate::auth::Scope::Retailer(r) => Rows::Retailer(r),
        }
    }
}

/// One retailer's figures in one campaign, or the sum of several (`+=`, `Sum`): every
/// field adds up over disjoint rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetailerFigures {
    pub email: EmailCounts,
    pub conversions: i64,
    pub orders: i64,
    pub revenue: RevenueTotals,
}

impl AddAssign for RetailerFigures {
    fn add_assign(&mut self, other: Self) {
        // Every field named, no `..`: a field added later fails to compile until it is summed.
        let RetailerFigures { email, conversions, orders, revenue } = other;
        self.email += email;
        self.conversions += conversions;
        self.orders += orders;
        self.revenue += revenue;
    }
}

sum_by_add_assign!(RetailerFigures);

/// The figures of a group of (campaign, retailer) rows — a region of a campaign, a region
/// of a portfolio, one retailer across campaigns — with who made them up: the distinct
/// retailers and campaigns, which do not add up as numbers do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFigures {
    pub figures: RetailerFigures,
    /// Retailers with any activity (sends, conversions or orders).
    pub retailers: BTreeSet<Uuid>,
    /// Retailers that were sent at least one email.
    pub senders: BTreeSet<Uuid>,
    /// Campaigns with activity of the group's retailers.
    pub campaigns: BTreeSet<Uuid>,
}

impl GroupFigures {
    /// One (campaign, retailer) row.
    pub fn row(campaign: Uuid, retailer: Uuid, figures: RetailerFigures) -> Self {
        GroupFigures {
            figures,
            retailers: BTreeSet::from([retailer]),
            senders: if figures.email.sent > 0 { BTreeSet::from([retailer]) } else { BTreeSet::new() },
            campaigns: BTreeSet::from([campaign]),
        }
    }
}

impl AddAssign for GroupFigures {
    fn add_assign(&mut self, other: Self) {
        let GroupFigures { figures, retailers, senders, campaigns } = other;
        self.figures += figures;
        self.retailers.extend(retailers);
        self.senders.extend(senders);
        self.campaigns.extend(campaigns);
    }
}

/// Sums (campaign, retailer, figures) rows into groups by retailer: the one way rows add up,
/// whether into the regions of a campaign, the regions of a portfolio, or a retailer's figures
/// across campaigns. Rows whose group is `None` (a user without a region) are left out.
pub fn group<K: Ord>(
    rows: impl IntoIterator<Item = (Uuid, Uuid, RetailerFigures)>,
    group_of: impl Fn(&Uuid) -> Option<K>,
) -> BTreeMap<K, GroupFigures> {
    let mut groups: BTreeMap<K, GroupFigures> = BTreeMap::new();
    for (campaign, retailer, figures) in rows {
        if let Some(key) = group_of(&retailer) {
            *groups.entry(key).or_default() += GroupFigures::row(campaign, retailer, figures);
        }
    }
    groups
}

/// One region's sum in one campaign.
#[derive(Debug, Clone)]
pub struct RegionFigures {
    pub region: entity::enums::Region,
    pub group: GroupFigures,
}

/// Sums one campaign's per-retailer figures by the retailers' regions (East, West, Central,
/// North, South order), through `group`.
pub fn by_region(
    campaign: Uuid,
    per_retailer: &HashMap<Uuid, RetailerFigures>,
    region_of: impl Fn(&Uuid) -> Option<entity::enums::Region>,
) -> Vec<RegionFigures> {
    let rows = per_retailer.iter().map(|(retailer, figures)| (campaign, *retailer, *figures));
    group(rows, region_of).into_iter().map(|(region, group)| RegionFigures { region, group }).collect()
}

/// The (campaign, retailer, figures) rows of a breakdown.
pub fn rows(
    by: &HashMap<Uuid, HashMap<Uuid, RetailerFigures>>,
) -> impl Iterator<Item = (Uuid, Uuid, RetailerFigures)> + '_ {
    by.iter().flat_map(|(campaign, per_retailer)| per_retailer.iter().map(|(r, f)| (*campaign, *r, *f)))
}

#[derive(FromQueryResult)]
struct EmailRow {
    campaign: Uuid,
    retailer: Uuid,
    sent: i64,
    delivered: i64,
    opened: i64,
    human_opened: i64,
    clicked: i64,
    bounced: i64,
}

#[derive(FromQueryResult)]
struct MoneyRow {
    campaign: Uuid,
    retailer: Uuid,
    n: i64,
    cents: i64,
    pending_cents: i64,
    attributed_cents: i64,
}

/// Only the retailer's own rows of `table` (by its `retailer_id`), when `rows` says so.
fn restrict(stmt: &mut SelectStatement, rows: Rows, table: &str) {
    match rows {
        Rows::All => {}
        Rows::Retailer(r) => {
            stmt.and_where(column(table, "retailer_id").eq(r));
        }
    }
}

/// Whose rows a breakdown reads: those of some campaigns, or of some retailers (in every
/// campaign).
#[derive(Debug, Clone, Copy)]
pub enum Of<'a> {
    Campaigns(&'a [Uuid]),
    Retailers(&'a [Uuid]),
}

/// Figures per (campaign, retailer) for the campaigns or retailers of `of`: every retailer with sends,
/// conversions or orders in a campaign has a row, so rows add up to the campaign's totals
/// (rows without a retailer, which the schema allows but nothing writes, are left out).
pub async fn by_retailer(
    db: &impl ConnectionTrait,
    rows: Rows,
    window: Window,
    of: Of<'_>,
) -> Result<HashMap<Uuid, HashMap<Uuid, RetailerFigures>>, DbErr> {
    let (keys, [email_key, conversion_key, order_key]) = match of {
        Of::Campaigns(k) => (
            k,
            [
                ("email_campaigns", "campaign_id"),
                ("crm_conversions", "campaign_id"),
                ("ecommerce_orders", "campaign_id"),
            ],
        ),
        Of::Retailers(k) => (
            k,
            [("email_sends", "retailer_id"), ("crm_conversions", "retailer_id"), ("ecommerce_orders", "retailer_id")],
        ),
    };
    let mut out: HashMap<Uuid, HashMap<Uuid, RetailerFigures>> = match of {
        Of::Campaigns(k) => k.iter().map(|k| (*k, HashMap::new())).collect(),
        Of::Retailers(_) => HashMap::new(),
    };
    if keys.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let ids = || keys.iter().copied();

    let source = EmailRows::for_window(window);
    let mut email = Query::select()
        .expr_as(column("email_campaigns", "campaign_id"), Alias::new("campaign"))
        .expr_as(column("email_sends", "retailer_id"), Alias::new("retailer"))
        .to_owned();
    EmailRows::select_counts(&mut email);
    source.from(backend, &mut email);
    email
        .inner_join(
            Alias::new("email_campaigns"),
            column("email_campaigns", "id").eq(column("email_sends", "email_campaign_id")),
        )
        .inner_join(Alias::new("users"), column("users", "id").eq(column("email_sends", "retailer_id")))
        .and_where(column(email_key.0, email_key.1).is_in(ids()))
        .add_group_by([column("email_campaigns", "campaign_id"), column("email_sends", "retailer_id")]);
    restrict(&mut email, rows, "email_sends");
    for r in EmailRow::find_by_statement(backend.build(&email)).all(db).await? {
        let f = out.entry(r.campaign).or_default().entry(r.retailer).or_default();
        f.email = EmailCounts {
            sent: r.sent,
            delivered: r.delivered,
            opened: r.opened,
            human_opened: r.human_opened,
            clicked: r.clicked,
            bounced: r.bounced,
        };
    }

    // Conversions, then orders: the same statement over each table (completed orders count;
    // pending ones only as pending revenue).
    let revenue = RevenueRows::for_window(window);
    for (of, key, counted, pending, attributed) in [
        (Revenue::Conversions, conversion_key, "1 = 1", "1 = 0", LINKED),
        (
            Revenue::Orders,
            order_key,
            "ecommerce_orders.order_status = 'completed'",
            "ecommerce_orders.order_status = 'pending'",
            ATTRIBUTED,
        ),
    ] {
        let t = of.table();
        let mut stmt = Query::select()
            .expr_as(column(t, "campaign_id"), Alias::new("campaign"))
            .expr_as(column(t, "retailer_id"), Alias::new("retailer"))
            .expr_as(Expr::cust(of.count(counted)), Alias::new("n"))
            .expr_as(Expr::cust(of.cents(counted)), Alias::new("cents"))
            .expr_as(Expr::cust(of.cents(pending)), Alias::new("pending_cents"))
            .expr_as(Expr::cust(of.cents(attributed)), Alias::new("attributed_cents"))
            .to_owned();
        revenue.from(backend, &mut stmt, of);
        stmt.inner_join(Alias::new("users"), column("users", "id").eq(column(t, "retailer_id")))
            .and_where(column(key.0, key.1).is_in(ids()))
            .add_group_by([column(t, "campaign_id"), column(t, "retailer_id")]);
        restrict(&mut stmt, rows, t);
        for r in MoneyRow::find_by_statement(backend.build(&stmt)).all(db).await? {
            let f = out.entry(r.campaign).or_default().entry(r.retailer).or_default();
            match of {
                Revenue::Conversions => {
                    f.conversions = r.n;
                    f.revenue.conversions = Money::from_cents(r.cents);
                    f.revenue.email_attributed += Money::from_cents(r.attributed_cents);
                }
                Revenue::Orders => {
                    f.orders = r.n;
                    f.revenue.orders = Money::from_cents(r.cents);
                    f.revenue.pending = Money::from_cents(r.pending_cents);
                    f.revenue.email_attributed += Money::from_cents(r.attributed_cents);
                }
            }
        }
    }
    Ok(out)
}
