//! `Campaign`, and the `campaigns` / `campaign(id)` root fields.

use super::campaign_figures::{self, CampaignFigureOrder, CampaignFigureRange};
use super::children::{Conversions, OfCampaign, Orders};
use super::connection::{ListConnection, Paging, STATEMENT_COST, connection_cost, list};
use super::email::EmailCampaign;
use super::enums::CampaignStatus;
use super::inputs::{CampaignFilter, CampaignOrder};
use super::node::{Kind, global_id};
use super::performance::{
    CampaignPerformance, CategoryPerformance, Funnel, Interval, RegionPerformance, RetailerPerformance,
    RetailerRanking, SubjectLineResult, TimelinePoint,
};
use super::user::User;
use super::{loaders, scope};
use crate::analytics::Window;
use crate::analytics::breakdown::by_region;
use crate::analytics::{metrics, ranking, timeline};
use crate::error::AppError;
use crate::loaders::{
    CampaignById, CampaignTotalsOf, CampaignWithTotals, CategoriesOf, EmailCampaignsOf, EmailTotalsOf, FunnelOf,
    InWindow, RetailersOf, TimelineKey, UserById,
};
use crate::services::campaigns::CampaignListing;
use crate::services::visibility;
use async_graphql::{Context, ID, Object, Result, Value};
use chrono::{DateTime, Utc};
use entity::campaigns;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A marketing campaign: its budget, lifecycle, emails and performance.
pub struct Campaign(pub campaigns::Model);

/// A marketing campaign: its budget, lifecycle, emails and performance.
#[Object]
impl Campaign {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::Campaign, self.0.id))
    }
    /// The campaign's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Description and objectives.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Lifecycle state.
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }
    /// When the campaign starts.
    async fn start_date(&self) -> Option<DateTime<Utc>> {
        self.0.start_date
    }
    /// When the campaign ends.
    async fn end_date(&self) -> Option<DateTime<Utc>> {
        self.0.end_date
    }
    /// Total budget allocated; null without one, and for retailers (the spend is the brand's).
    async fn budget_allocated(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        Ok(self.budget(ctx)?.allocated)
    }
    /// Amount spent so far; null for retailers (the spend is the brand's).
    async fn budget_spent(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        Ok(self.budget(ctx)?.spent)
    }
    /// budgetAllocated − budgetSpent (negative when overspent); null without an allocation,
    /// and for retailers.
    async fn budget_remaining(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        Ok(self.budget(ctx)?.remaining)
    }
    /// budgetSpent ÷ budgetAllocated × 100, rounded half away from zero to 2 decimals;
    /// null without an allocation, and for retailers; 0 when the allocation is 0.
    async fn budget_utilization(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        Ok(self.budget(ctx)?.utilization)
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The `utm_campaign` value that attributes shop orders to this campaign (unique).
    async fn utm_code(&self) -> Option<&str> {
        self.0.utm_code.as_deref()
    }
    /// The brand user who created the campaign (null for retailers, who see only themselves).
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.created_by else {
            return Ok(None);
        };
        let user = loaders(ctx)?.load_one(UserById(id)).await?;
        Ok(user.map(User))
    }
    /// The campaign's emails, in send order.
    async fn email_campaigns(&self, ctx: &Context<'_>) -> Result<Vec<EmailCampaign>> {
        let rows = loaders(ctx)?.load_one(EmailCampaignsOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(EmailCampaign).collect())
    }
    /// `conversions` (see `children`).
    #[graphql(flatten)]
    async fn conversions_connection(&self) -> Conversions<OfCampaign> {
        Conversions::of(self.0.id)
    }

    /// `orders` (see `children`).
    #[graphql(flatten)]
    async fn orders_connection(&self) -> Orders<OfCampaign> {
        Orders::of(self.0.id)
    }

    /// The retailer leaderboard: one row per retailer with sends, conversions or orders in
    /// the campaign, ranked (default: click rate, then revenue, then name). A retailer sees
    /// only their own row.
    #[graphql(
        complexity = "STATEMENT_COST + first.map_or(100, |n| n.max(0) as usize).saturating_mul(child_complexity.max(1))"
    )]
    async fn retailer_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to rank by; default CLICK_RATE.")] order_by: Option<RetailerRanking>,
        #[graphql(desc = "How many rows, from the top; all when omitted.")] first: Option<i32>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<Vec<RetailerPerformance>> {
        let key = self.in_window(RetailersOf, from, to)?;
        if first.is_some_and(|n| n < 0) {
            return Err(AppError::invalid("first", "must not be negative").into());
        }
        let loaders = loaders(ctx)?;
        let figures = loaders.load_one(key).await?.unwrap_or_default();
        let users = loaders.load_many(figures.keys().map(|id| UserById(*id))).await?;
        let name_of = |id| users.get(&UserById(id)).map(|u| u.name.clone()).unwrap_or_default();
        let rows =
            ranking::ranked(figures.iter().map(|(id, f)| (*id, *f)), name_of, order_by.unwrap_or_default().into());
        let take = first.map_or(rows.len(), |n| n as usize);
        Ok(rows
            .iter()
            .take(take)
            .enumerate()
            .map(|(i, (id, f))| RetailerPerformance::compute(*id, i as i32 + 1, f))
            .collect())
    }

    /// The campaign's figures per region (sums of the retailers' rows), in the order East,
    /// West, Central, North, South. For brand users: a retailer gets an empty list (a sum of
    /// other retailers' rows, read twice and subtracted, would single one out).
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn regional_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<Vec<RegionPerformance>> {
        let key = self.in_window(RetailersOf, from, to)?;
        if !scope(ctx)?.sees_other_retailers() {
            return Ok(Vec::new());
        }
        // The leaderboard's rows, summed: the page reads the breakdown once.
        let loaders = loaders(ctx)?;
        let per_retailer = loaders.load_one(key).await?.unwrap_or_default();
        let users = loaders.load_many(per_retailer.keys().map(|id| UserById(*id))).await?;
        let regions = by_region(self.0.id, &per_retailer, |id| users.get(&UserById(*id)).and_then(|u| u.region));
        Ok(regions.iter().map(|r| RegionPerformance::compute(r.region, &r.group)).collect())
    }

    /// Sent → delivered → opened → clicked → converted, with step-to-step rates.
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<Funnel> {
        let loaders = loaders(ctx)?;
        let window = window(from, to)?;
        let (totals, conversions) = tokio::try_join!(
            loaders.load_one(InWindow::new(CampaignTotalsOf(self.0.id), window)),
            loaders.load_one(InWindow::new(FunnelOf(self.0.id), window))
        )?;
        let (converted, retailers) = conversions.unwrap_or_default();
        Ok(Funnel::compute(&totals.unwrap_or_default().email.counts, converted, retailers))
    }

    /// Conversions and revenue per product category, largest revenue first.
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn product_categories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<Vec<CategoryPerformance>> {
        let key = self.in_window(CategoriesOf, from, to)?;
        let rows = loaders(ctx)?.load_one(key).await?.unwrap_or_default();
        Ok(rows
            .iter()
            .map(|(category, n, revenue)| CategoryPerformance {
                category: category
                    .as_deref()
                    .and_then(|c| {
                        <entity::enums::ProductCategory as sea_orm::ActiveEnum>::try_from_value(&c.to_owned()).ok()
                    })
                    .map(Into::into),
                conversions: *n,
                revenue: revenue.amount(),
            })
            .collect())
    }

    /// The campaign's activity per hour, day or ISO week, from `from` to `to` (default: the
    /// campaign's dates widened to all its events), empty buckets included, in the IANA time
    /// zone `timeZone` (default UTC). Each event counts when it happened, and only when that
    /// is inside `from`…`to`: a bucket that the range cuts (the range starts or ends inside
    /// it) counts only what happened inside the range, and keeps its own `bucketStart`.
    #[graphql(complexity = "500 + 10 * child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Bucket size.")] interval: Interval,
        #[graphql(desc = "Start of the range (inclusive): events before it are not counted.")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range (inclusive): events after it are not counted.")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "IANA time zone whose hours, days and weeks the buckets follow, e.g. America/New_York.")]
        time_zone: Option<String>,
    ) -> Result<Vec<TimelinePoint>> {
        let tz: chrono_tz::Tz = match time_zone.as_deref() {
            None => chrono_tz::UTC,
            Some(name) => name
                .parse()
                .map_err(|_| AppError::invalid("timeZone", format!("{name:?} is not an IANA time zone name")))?,
        };
        let key = TimelineKey {
            campaign: self.0.id,
            resolution: timeline::Resolution::for_buckets(&tz, interval.into()),
            window: window(from, to)?,
        };
        let rows = loaders(ctx)?.load_one(key).await?.unwrap_or_default();
        // The buckets shown: those of the range, or (on an open side) of the campaign's dates
        // widened to every event counted.
        let data = timeline::span(&rows);
        let earliest = [self.0.start_date, data.map(|d| d.0)].into_iter().flatten().min();
        let latest = [self.0.end_date, data.map(|d| d.1)].into_iter().flatten().max();
        let (Some(first), Some(last)) = (from.or(earliest), to.or(latest)) else { return Ok(Vec::new()) };
        let points = timeline::buckets(&rows, interval.into(), &tz, first, last.max(first)).map_err(|max| {
            AppError::invalid(
                "interval",
                format!("the range holds more than {max} buckets; narrow it or use a larger interval"),
            )
        })?;
        Ok(points.into_iter().map(Into::into).collect())
    }

    /// Subject-line analysis: the campaign's emails side by side, each with the p-value of
    /// its open and click rates against the best email's (a two-proportion z-test).
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn subject_lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
    ) -> Result<Vec<SubjectLineResult>> {
        let window = window(from, to)?;
        let loaders = loaders(ctx)?;
        let emails = loaders.load_one(EmailCampaignsOf(self.0.id)).await?.unwrap_or_default();
        let counts = loaders.load_many(emails.iter().map(|e| InWindow::new(EmailTotalsOf(e.id), window))).await?;
        let rows = emails
            .into_iter()
            .map(|e| {
                let c = counts.get(&InWindow::new(EmailTotalsOf(e.id), window)).copied().unwrap_or_default();
                (e, c)
            })
            .collect();
        Ok(SubjectLineResult::compare(rows))
    }

    /// Email funnel, revenue, ROI, ROAS and tier of the campaign; with `from`/`to`, of that
    /// period (ROI and ROAS still against the whole budget spent). A retailer sees their own
    /// figures, and ROI and ROAS of 0 (the spend is the brand's).
    #[graphql(complexity = "STATEMENT_COST + child_complexity")]
    async fn performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count from this time on (emails by send time, conversions and orders by their dates).")]
        from: Option<DateTime<Utc>>,
        #[graphql(desc = "Count up to this time (inclusive).")] to: Option<DateTime<Utc>>,
        #[graphql(
            desc = "Count only opens by people: emailsOpened and openRate leave out automatic opens by mail clients.",
            default
        )]
        exclude_machine_opens: bool,
    ) -> Result<CampaignPerformance> {
        let key = self.in_window(CampaignTotalsOf, from, to)?;
        let totals = loaders(ctx)?.load_one(key).await?.unwrap_or_default();
        let email = super::performance::human_if(totals.email, exclude_machine_opens);
        Ok(CampaignPerformance::compute(&email, &totals.revenue, visibility::spend_for(scope(ctx)?, &self.0)))
    }
}

impl Campaign {
    /// The campaign's budget as the caller may see it.
    fn budget(&self, ctx: &Context<'_>) -> Result<metrics::Budget> {
        Ok(visibility::budget_for(scope(ctx)?, &self.0))
    }

    /// This campaign as a loader key for figures between `from` and `to`.
    fn in_window<K>(
        &self,
        key: fn(Uuid) -> K,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<InWindow<K>> {
        Ok(InWindow::new(key(self.0.id), window(from, to)?))
    }
}

/// A checked time window: `from` must not be after `to`.
pub(crate) fn window(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Result<Window> {
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(AppError::invalid("from", format!("{f} is after `to` ({t})")).into());
    }
    Ok(Window { from, to })
}

/// What `campaigns` costs: a page's cost, or with figures (which read every matching
/// campaign's totals) at least a page of 100.
fn campaigns_cost(
    first: Option<i32>,
    last: Option<i32>,
    by_figure: &Option<CampaignFigureOrder>,
    ranges: &Option<Vec<CampaignFigureRange>>,
    child_complexity: usize,
) -> usize {
    let page = connection_cost(first, last, child_complexity);
    if by_figure.is_some() || ranges.as_ref().is_some_and(|r| !r.is_empty()) { page.max(100) } else { page }
}

/// `campaigns` and `campaign(id)`.
#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Campaigns the caller may see, filtered and ordered, as a Relay connection (`first`
    /// defaults to 20, at most 100).
    #[graphql(complexity = "campaigns_cost(first, last, &order_by_figure, &figures, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which campaigns to include.")] filter: Option<CampaignFilter>,
        #[graphql(desc = "Sort order; default: by creation time, oldest first.")] order_by: Option<CampaignOrder>,
        #[graphql(desc = "Sort by a figure of the campaign cards instead of `orderBy` (ties by id).")]
        order_by_figure: Option<CampaignFigureOrder>,
        #[graphql(desc = "Only campaigns whose figures lie in these ranges (all-time figures, as `performance` \
                          gives them).")]
        figures: Option<Vec<CampaignFigureRange>>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<Campaign>> {
        let mut query = filter.unwrap_or_default().to_query()?;
        let paging = Paging::new(first, after, last, before);
        let ranges = figures.unwrap_or_default();
        if order_by_figure.is_none() && ranges.is_empty() {
            let spec = CampaignOrder::spec(order_by, &paging)?;
            return list::<CampaignListing, _>(ctx, query, spec, Campaign).await;
        }
        let rows = campaign_figures::within(ctx, &query, &ranges, order_by_figure.map(|o| o.figure)).await?;
        match order_by_figure {
            Some(order) => campaign_figures::ordered(rows, order, &paging),
            None => {
                // Ordered by a column: the listing pages the campaigns within the ranges.
                let mut ids: Vec<Uuid> = rows.iter().map(|(_, id, _)| *id).collect();
                ids.sort();
                query.ids = Some(ids);
                let spec = CampaignOrder::spec(order_by, &paging)?;
                list::<CampaignListing, _>(ctx, query, spec, Campaign).await
            }
        }
    }

    /// One campaign by id; null when there is none or the caller may not see it.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign's id.")] id: Uuid,
    ) -> Result<Option<Campaign>> {
        let loaders = loaders(ctx)?;
        if !asks_all_time_performance(ctx) {
            let found = loaders.load_one(CampaignById(id)).await?;
            return Ok(found.map(Campaign));
        }
        // The campaign and its performance's totals in one statement; `performance` then
        // finds them in the totals loader.
        let Some((campaign, totals)) = loaders.load_one(CampaignWithTotals(id)).await? else {
            return Ok(None);
        };
        loaders.feed(InWindow::new(CampaignTotalsOf(id), Window::ALL), totals).await;
        Ok(Some(Campaign(campaign)))
    }
}

/// Whether the query asks for the campaign's `performance` over all time (without `from` or
/// `to`).
fn asks_all_time_performance(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("performance").selection_fields().iter().any(|field| {
        field.arguments().is_ok_and(|args| {
            args.iter().all(|(name, value)| !matches!(name.as_str(), "from" | "to") || *value == Value::Null)
        })
    })
}
