//! Performance figures of campaigns and email campaigns. Every rate is a percentage
//! rounded half away from zero to 2 decimals, 0 when its denominator is 0.

use crate::analytics::breakdown::{GroupFigures, RetailerFigures};
use crate::analytics::metrics::{self, EmailCounts, EmailFigures, PerformanceTier as Tier, RevenueTotals};
use async_graphql::{Enum, SimpleObject};
use entity::Money;
use entity::enums::Region;
use rust_decimal::Decimal;
use serde::Serialize;

/// A campaign's class by ROI; it follows `roiPercentage` (not ROAS).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "Tier")]
pub enum PerformanceTier {
    /// ROI of 100% or more.
    HighRoi,
    /// ROI of 50% or more, below 100%.
    GoodRoi,
    /// ROI below 50%, or nothing spent.
    Standard,
}

/// How a campaign performs: email funnel counts and rates, revenue, ROI and ROAS.
/// (REST serves the same struct, so both carry the same figures.)
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPerformance {
    #[graphql(flatten)]
    #[serde(flatten)]
    pub email: EmailPerformance,
    /// Revenue: conversionRevenue + orderRevenue. Pending, cancelled and refunded orders are
    /// not revenue.
    pub total_revenue: Decimal,
    /// Sum of the values of the campaign's CRM conversions.
    pub conversion_revenue: Decimal,
    /// Sum of the values of the campaign's completed orders.
    pub order_revenue: Decimal,
    /// Sum of the values of the campaign's pending orders (not yet revenue).
    pub pending_revenue: Decimal,
    /// The part of totalRevenue attributed to email: conversions linked to an email send,
    /// plus completed orders attributed to email.
    pub email_attributed_revenue: Decimal,
    /// ROI in percent: (totalRevenue − budgetSpent) ÷ budgetSpent × 100, rounded half away
    /// from zero to 1 decimal; 0 when nothing was spent.
    pub roi_percentage: f64,
    /// Return on ad spend: totalRevenue ÷ budgetSpent, rounded half away from zero to
    /// 2 decimals; 0 when nothing was spent. (1.24 means each dollar spent brought $1.24.)
    pub roas: f64,
    /// What the spend returned: totalRevenue − budgetSpent, exact (positive: a profit;
    /// negative: a loss); null when nothing was spent (and so for retailers, as the spend is
    /// the brand's).
    pub net_return: Option<Decimal>,
    /// HIGH_ROI from an ROI of 100%, GOOD_ROI from 50%, else STANDARD (unrounded ROI).
    pub performance_tier: PerformanceTier,
}

impl CampaignPerformance {
    pub fn compute(email: &EmailFigures, revenue: &RevenueTotals, spent: Money) -> Self {
        let total = revenue.total();
        CampaignPerformance {
            email: EmailPerformance::compute(&email.counts, email.retailers),
            total_revenue: total.amount(),
            conversion_revenue: revenue.conversions.amount(),
            order_revenue: revenue.orders.amount(),
            pending_revenue: revenue.pending.amount(),
            email_attributed_revenue: revenue.email_attributed.amount(),
            roi_percentage: metrics::roi_percentage(total, spent),
            roas: metrics::roas(total, spent),
            net_return: metrics::net_return(total, spent),
            performance_tier: metrics::performance_tier(total, spent).into(),
        }
    }
}

/// Email funnel counts and rates, of one email campaign or (within `CampaignPerformance`)
/// of all the emails of a campaign.
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailPerformance {
    /// Distinct retailers that were sent at least one of these emails.
    pub total_retailers: i64,
    /// Emails sent (one per recipient per email campaign).
    pub total_emails_sent: i64,
    /// Emails delivered. An open or a click proves delivery, so those count even when the
    /// delivery event is missing.
    pub emails_delivered: i64,
    /// Emails opened at least once (unique opens). A click implies an open.
    pub emails_opened: i64,
    /// Emails opened at least once by a person (unique opens, leaving out automatic opens
    /// by mail clients such as Apple Mail Privacy Protection). A click implies one.
    pub emails_human_opened: i64,
    /// Emails clicked at least once (unique clicks).
    pub emails_clicked: i64,
    /// Emails bounced or failed and never delivered.
    pub emails_bounced: i64,
    /// emailsDelivered ÷ totalEmailsSent × 100.
    pub delivery_rate: f64,
    /// emailsOpened ÷ emailsDelivered × 100.
    pub open_rate: f64,
    /// emailsHumanOpened ÷ emailsDelivered × 100: the open rate without machine opens.
    pub human_open_rate: f64,
    /// emailsClicked ÷ emailsDelivered × 100.
    pub click_rate: f64,
    /// emailsClicked ÷ emailsOpened × 100 (unique clicks over unique opens).
    pub click_to_open_rate: f64,
}

impl EmailPerformance {
    /// The counts and rates of `email`, sent to `retailers` distinct retailers.
    pub fn compute(email: &EmailCounts, retailers: i64) -> Self {
        EmailPerformance {
            total_retailers: retailers,
            total_emails_sent: email.sent,
            emails_delivered: email.delivered,
            emails_opened: email.opened,
            emails_human_opened: email.human_opened,
            emails_clicked: email.clicked,
            emails_bounced: email.bounced,
            delivery_rate: metrics::rate(email.delivered, email.sent),
            open_rate: metrics::rate(email.opened, email.delivered),
            human_open_rate: metrics::rate(email.human_opened, email.delivered),
            click_rate: metrics::rate(email.clicked, email.delivered),
            click_to_open_rate: metrics::rate(email.clicked, email.opened),
        }
    }
}

/// The counts as asked: with `exclude_machine_opens`, opened means opened by a person.
pub fn human_if(email: EmailFigures, exclude_machine_opens: bool) -> EmailFigures {
    if exclude_machine_opens { EmailFigures { counts: email.counts.without_machine_opens(), ..email } } else { email }
}

/// What a retailer leaderboard ranks by: the figure, largest first (`NAME`: A to Z); ties
/// go to the higher revenue, then to the name.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "crate::analytics::ranking::Ranking")]
pub enum RetailerRanking {
    /// Unique clicks ÷ delivered (the default).
    #[default]
    ClickRate,
    /// Unique opens ÷ delivered.
    OpenRate,
    /// Delivered ÷ sent.
    DeliveryRate,
    /// Unique clicks ÷ unique opens.
    ClickToOpenRate,
    /// Conversions plus completed orders.
    Revenue,
    /// Emails sent.
    EmailsSent,
    /// Unique clicks.
    EmailsClicked,
    /// CRM conversions.
    Conversions,
    /// Completed orders.
    Orders,
    /// The retailer's name.
    Name,
}

/// Revenue and its counts of a retailer, a region or a group of retailers: the part of
/// `CampaignPerformance`'s revenue figures their rows make up (rows add up to the campaign's).
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct RevenueFigures {
    /// Revenue: conversions plus completed orders.
    pub revenue: Decimal,
    /// Pending orders' value (not revenue yet).
    pub pending_revenue: Decimal,
    /// The part of revenue attributed to email: conversions linked to an email send, plus
    /// completed orders attributed to email.
    pub email_attributed_revenue: Decimal,
    /// CRM conversions.
    pub conversions: i64,
    /// Completed orders.
    pub orders: i64,
}

impl RevenueFigures {
    pub fn compute(f: &RetailerFigures) -> Self {
        RevenueFigures {
            revenue: f.revenue.total().amount(),
            pending_revenue: f.revenue.pending.amount(),
            email_attributed_revenue: f.revenue.email_attributed.amount(),
            conversions: f.conversions,
            orders: f.orders,
        }
    }
}

/// One retailer's figures in a campaign, with their place on the leaderboard.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct RetailerPerformance {
    #[graphql(skip)]
    pub retailer_id: uuid::Uuid,
    /// Place on the leaderboard, from 1, in the order asked for (among the rows the caller
    /// may see).
    pub rank: i32,
    #[graphql(flatten)]
    pub email: EmailPerformance,
    #[graphql(flatten)]
    pub revenue: RevenueFigures,
}

impl RetailerPerformance {
    pub fn compute(retailer_id: uuid::Uuid, rank: i32, f: &RetailerFigures) -> Self {
        RetailerPerformance {
            retailer_id,
            rank,
            email: EmailPerformance::compute(&f.email, i64::from(f.email.sent > 0)),
            revenue: RevenueFigures::compute(f),
        }
    }
}

/// A region's figures in a campaign: the sum of its retailers' rows.
#[derive(SimpleObject, Clone, Debug)]
pub struct RegionPerformance {
    /// The region.
    pub region: super::enums::Region,
    /// Retailers of the region with sends, conversions or orders in the campaign.
    pub retailer_count: i64,
    #[graphql(flatten)]
    pub email: EmailPerformance,
    #[graphql(flatten)]
    pub revenue: RevenueFigures,
}

impl RegionPerformance {
    pub fn compute(region: Region, g: &GroupFigures) -> Self {
        RegionPerformance {
            region: region.into(),
            retailer_count: g.retailers.len() as i64,
            email: EmailPerformance::compute(&g.figures.email, g.senders.len() as i64),
            revenue: RevenueFigures::compute(&g.figures),
        }
    }
}

#[async_graphql::ComplexObject]
impl RetailerPerformance {
    /// The retailer.
    async fn retailer(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<super::user::User> {
        let user = super::loaders(ctx)?.load_one(crate::loaders::UserById(self.retailer_id)).await?;
        Ok(user.map(super::user::User).ok_or_else(|| crate::error::AppError::NotFound("retailer".into()))?)
    }
}

/// The email-to-conversion funnel of a campaign, with step-to-step rates (each a percentage
/// of the step before, rounded half away from zero to 2 decimals, 0 when the step before is 0).
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    /// Emails sent.
    pub sent: i64,
    /// Emails delivered (an open or a click proves delivery).
    pub delivered: i64,
    /// Emails opened (a click implies an open).
    pub opened: i64,
    /// Emails clicked.
    pub clicked: i64,
    /// Sends that led to a CRM conversion (through the conversion's email send).
    pub converted: i64,
    /// delivered ÷ sent × 100.
    pub delivery_rate: f64,
    /// opened ÷ delivered × 100.
    pub open_rate: f64,
    /// clicked ÷ opened × 100.
    pub click_through_rate: f64,
    /// converted ÷ clicked × 100.
    pub conversion_rate: f64,
    /// Retailers with a conversion, or with a completed or pending order attributed to email.
    pub converting_retailers: i64,
}

impl Funnel {
    pub fn compute(email: &EmailCounts, converted: i64, converting_retailers: i64) -> Self {
        Funnel {
            sent: email.sent,
            delivered: email.delivered,
            opened: email.opened,
            clicked: email.clicked,
            converted,
            delivery_rate: metrics::rate(email.delivered, email.sent),
            open_rate: metrics::rate(email.opened, email.delivered),
            click_through_rate: metrics::rate(email.clicked, email.opened),
            conversion_rate: metrics::rate(converted, email.clicked),
            converting_retailers,
        }
    }
}

/// Conversions of one product category in a campaign.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct CategoryPerformance {
    /// The category; null gathers the conversions recorded without one.
    pub category: Option<super::enums::ProductCategory>,
    /// Number of conversions.
    pub conversions: i64,
    /// Their value.
    pub revenue: Decimal,
}

/// The size of a timeline's buckets.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::analytics::timeline::Interval")]
pub enum Interval {
    /// Wall-clock hours.
    Hour,
    /// Days, from local midnight.
    Day,
    /// ISO weeks, from Monday 00:00 local time.
    Week,
}

/// What happened in one bucket of time: each event counted when it happened.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct TimelinePoint {
    /// When the bucket starts (its local start, as an instant).
    pub bucket_start: chrono::DateTime<chrono::Utc>,
    /// Emails sent in the bucket.
    pub emails_sent: i64,
    /// Deliveries in the bucket (at the delivery, or the open or click that proved it).
    pub emails_delivered: i64,
    /// First opens in the bucket (a click without an open counts as an open at the click).
    pub emails_opened: i64,
    /// First clicks in the bucket.
    pub emails_clicked: i64,
    /// CRM conversions in the bucket.
    pub conversions: i64,
    /// Revenue in the bucket: conversions (by conversion date) and completed orders (by order date).
    pub revenue: Decimal,
}

impl From<crate::analytics::timeline::Point> for TimelinePoint {
    fn from(p: crate::analytics::timeline::Point) -> Self {
        TimelinePoint {
            bucket_start: p.start,
            emails_sent: p.sent,
            emails_delivered: p.delivered,
            emails_opened: p.opened,
            emails_clicked: p.clicked,
            conversions: p.conversions,
            revenue: p.revenue.amount(),
        }
    }
}

/// One email of a campaign beside its siblings: its rates, and how likely a difference as
/// large as the one from the best email would be by chance alone.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct SubjectLineResult {
    #[graphql(skip)]
    pub email_campaign: entity::email_campaigns::Model,
    /// The subject line.
    pub subject: String,
    #[graphql(flatten)]
    pub email: EmailPerformance,
    /// Two-sided p-value of the two-proportion z-test of this email's open rate against the
    /// best open rate among the campaign's emails (1 for the best itself). Below 0.05, the
    /// difference is unlikely to be noise.
    pub open_rate_p_value: f64,
    /// The same for the click rate.
    pub click_rate_p_value: f64,
    /// Whether this email has the best open rate.
    pub best_open_rate: bool,
    /// Whether this email has the best click rate.
    pub best_click_rate: bool,
}

#[async_graphql::ComplexObject]
impl SubjectLineResult {
    /// The email campaign.
    async fn email_campaign(&self) -> super::email::EmailCampaign {
        super::email::EmailCampaign(self.email_campaign.clone())
    }
}

impl SubjectLineResult {
    /// Compares each email with the best one by open rate and by click rate (of delivered).
    pub fn compare(emails: Vec<(entity::email_campaigns::Model, EmailFigures)>) -> Vec<SubjectLineResult> {
        use crate::analytics::significance::two_proportion_p_value as p_value;
        let better = |x: &EmailCounts, y: &EmailCounts, f: fn(&EmailCounts) -> i64| {
            // x/xd > y/yd, exactly; nothing delivered is a rate of 0.
            match (x.delivered, y.delivered) {
                (0, _) => false,
                (_, 0) => f(x) > 0,
                _ => i128::from(f(x)) * i128::from(y.delivered) > i128::from(f(y)) * i128::from(x.delivered),
            }
        };
        // The best rate; among equal rates, the one with more deliveries (more evidence),
        // then the first subject, so the reference never depends on row order.
        let best = |f: fn(&EmailCounts) -> i64| {
            emails
                .iter()
                .map(|(model, figures)| (model, figures.counts))
                .reduce(|a, b| {
                    let b_wins = better(&b.1, &a.1, f)
                        || (!better(&a.1, &b.1, f)
                            && (b.1.delivered, std::cmp::Reverse(&b.0.subject))
                                > (a.1.delivered, std::cmp::Reverse(&a.0.subject)));
                    if b_wins { b } else { a }
                })
                .map(|(_, c)| c)
                .unwrap_or_default()
        };
        let (best_open, best_click) = (best(|c| c.opened), best(|c| c.clicked));
        emails
            .into_iter()
            .map(|(model, figures)| {
                let c = figures.counts;
                let is_best_open = !better(&best_open, &c, |c| c.opened);
                let is_best_click = !better(&best_click, &c, |c| c.clicked);
                SubjectLineResult {
                    subject: model.subject.clone(),
                    email: EmailPerformance::compute(&c, figures.retailers),
                    open_rate_p_value: if is_best_open {
                        1.0
                    } else {
                        p_value(c.opened, c.delivered, best_open.opened, best_open.delivered)
                    },
                    click_rate_p_value: if is_best_click {
                        1.0
                    } else {
                        p_value(c.clicked, c.delivered, best_click.clicked, best_click.delivered)
                    },
                    best_open_rate: is_best_open,
                    best_click_rate: is_best_click,
                    email_campaign: model,
                }
            })
            .collect()
    }
}

/// A retailer's figures across every campaign (of a period, with `from`/`to`).
#[derive(SimpleObject, Clone, Debug)]
pub struct UserPerformance {
    /// Campaigns the retailer has sends, conversions or orders in.
    pub campaigns: i64,
    #[graphql(flatten)]
    pub email: EmailPerformance,
    #[graphql(flatten)]
    pub revenue: RevenueFigures,
}

impl UserPerformance {
    pub fn compute(g: &GroupFigures) -> Self {
        UserPerformance {
            campaigns: g.campaigns.len() as i64,
            email: EmailPerformance::compute(&g.figures.email, g.senders.len() as i64),
            revenue: RevenueFigures::compute(&g.figures),
        }
    }
}
