//! Rates, ROI, ROAS and tiers as pure functions of counts and amounts (errata E2, E5–E7).
//! Each function's doc states numerator, denominator and rounding.

use entity::Money;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::ops::AddAssign;

/// Email counts of a set of sends (a campaign, an email campaign, a retailer, a region). By
/// construction (errata E5) `clicked ≤ opened ≤ delivered ≤ sent`. Every field adds up over
/// disjoint sets of sends (`+=`, `Sum`); counts that do not (distinct retailers) live apart,
/// in `EmailFigures`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailCounts {
    pub sent: i64,
    /// Sends with a delivery, or an open or click (which imply delivery).
    pub delivered: i64,
    /// Sends with an open, or a click (which implies an open).
    pub opened: i64,
    /// Sends opened by a person: an open that was not the mail client's automatic fetch
    /// (Apple Mail Privacy Protection), or a click.
    pub human_opened: i64,
    pub clicked: i64,
    /// Sends bounced or failed and never delivered.
    pub bounced: i64,
}

impl EmailCounts {
    /// The counts with machine opens left out: opened means opened by a person.
    pub fn without_machine_opens(self) -> Self {
        EmailCounts { opened: self.human_opened, ..self }
    }
}

impl AddAssign for EmailCounts {
    fn add_assign(&mut self, other: Self) {
        // Every field named, no `..`: a field added later fails to compile until it is summed.
        let EmailCounts { sent, delivered, opened, human_opened, clicked, bounced } = other;
        self.sent += sent;
        self.delivered += delivered;
        self.opened += opened;
        self.human_opened += human_opened;
        self.clicked += clicked;
        self.bounced += bounced;
    }
}

/// Email counts of a campaign or an email campaign, with the distinct retailers they reached
/// (which do not add up: one retailer is in many emails).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailFigures {
    pub counts: EmailCounts,
    /// Distinct retailers that were sent at least one email.
    pub retailers: i64,
}

/// Money for one campaign (errata E6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevenueTotals {
    /// Sum of CRM conversion values.
    pub conversions: Money,
    /// Sum of completed orders.
    pub orders: Money,
    /// Sum of pending orders: not revenue yet.
    pub pending: Money,
    /// Revenue attributed to email: conversions linked to a send, plus completed orders
    /// attributed to email.
    pub email_attributed: Money,
}

impl RevenueTotals {
    /// Revenue: CRM conversions plus completed orders.
    pub fn total(&self) -> Money {
        self.conversions + self.orders
    }
}

impl AddAssign for RevenueTotals {
    fn add_assign(&mut self, other: Self) {
        let RevenueTotals { conversions, orders, pending, email_attributed } = other;
        self.conversions += conversions;
        self.orders += orders;
        self.pending += pending;
        self.email_attributed += email_attributed;
    }
}

/// `Sum` for types that add with `+=` from their zero (`Default`).
macro_rules! sum_by_add_assign {
    ($($t:ty),*) => {$(
        impl std::iter::Sum for $t {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::default(), |mut total, part| {
                    total += part;
                    total
                })
            }
        }
    )*};
}
pub(crate) use sum_by_add_assign;

sum_by_add_assign!(EmailCounts, RevenueTotals);

/// A campaign's class by ROI (errata E2: it follows `roi_percentage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerformanceTier {
    /// ROI of 100% or more.
    HighRoi,
    /// ROI of 50% or more, below 100%.
    GoodRoi,
    /// ROI below 50%, or nothing spent.
    Standard,
}

fn round(value: Decimal, places: u32) -> f64 {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero).to_f64().unwrap_or(0.0)
}

/// `numerator ÷ denominator × 100`, rounded half away from zero to 2 decimals; 0 when the
/// denominator is 0 (errata E7).
pub fn rate(numerator: i64, denominator: i64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    round(Decimal::from(numerator) * Decimal::ONE_HUNDRED / Decimal::from(denominator), 2)
}

/// Unrounded ROI in percent: `(revenue − spent) ÷ spent × 100`; `None` when nothing was spent.
pub fn roi_exact(revenue: Money, spent: Money) -> Option<Decimal> {
    if spent.amount() <= Decimal::ZERO {
        return None;
    }
    Some((revenue.amount() - spent.amount()) * Decimal::ONE_HUNDRED / spent.amount())
}

/// ROI in percent: `(revenue − budget spent) ÷ budget spent × 100`, rounded half away from
/// zero to 1 decimal; 0 when nothing was spent (errata E2, E7).
pub fn roi_percentage(revenue: Money, spent: Money) -> f64 {
    roi_exact(revenue, spent).map_or(0.0, |roi| round(roi, 1))
}

/// Net return: `revenue − budget spent`, exact (negative: a loss); `None` when nothing was
/// spent.
pub fn net_return(revenue: Money, spent: Money) -> Option<Decimal> {
    (spent.amount() > Decimal::ZERO).then(|| revenue.amount() - spent.amount())
}

/// ROAS: `revenue ÷ budget spent`, rounded half away from zero to 2 decimals; 0 when nothing
/// was spent (errata E2).
pub fn roas(revenue: Money, spent: Money) -> f64 {
    if spent.amount() <= Decimal::ZERO {
        return 0.0;
    }
    round(revenue.amount() / spent.amount(), 2)
}

/// The tier of the unrounded ROI: `HighRoi` from 100%, `GoodRoi` from 50%, else `Standard`
/// (also when nothing was spent), as the spec's view decides it.
pub fn performance_tier(revenue: Money, spent: Money) -> PerformanceTier {
    match roi_exact(revenue, spent) {
        Some(roi) if roi >= Decimal::ONE_HUNDRED => PerformanceTier::HighRoi,
        Some(roi) if roi >= Decimal::from(50) => PerformanceTier::GoodRoi,
        _ => PerformanceTier::Standard,
    }
}

/// A campaign's budget as one caller may see it: all of it, or (`hidden`) none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budget {
    pub allocated: Option<Decimal>,
    pub spent: Option<Decimal>,
    pub remaining: Option<Decimal>,
    pub utilization: Option<f64>,
}

impl Budget {
    /// The budget of a campaign allocated `allocated` that spent `spent`.
    pub fn of(allocated: Option<Money>, spent: Money) -> Budget {
        Budget {
            allocated: allocated.map(Money::amount),
            spent: Some(spent.amount()),
            remaining: budget_remaining(allocated, spent),
            utilization: budget_utilization(allocated, spent),
        }
    }

    /// Nothing of it (a retailer: the spend is the brand's).
    pub const HIDDEN: Budget = Budget { allocated: None, spent: None, remaining: None, utilization: None };
}

/// Budget left: allocated − spent (negative when overspent); `None` without an allocation.
pub fn budget_remaining(allocated: Option<Money>, spent: Money) -> Option<Decimal> {
    allocated.map(|a| a.amount() - spent.amount())
}

/// Budget utilization in percent: spent ÷ allocated × 100, rounded half away from zero to
/// 2 decimals; `None` without an allocation, 0 when the allocation is 0.
pub fn budget_utilization(allocated: Option<Money>, spent: Money) -> Option<f64> {
    let allocated = allocated?;
    if allocated.amount() <= Decimal::ZERO {
        return Some(0.0);
    }
    Some(round(spent.amount() * Decimal::ONE_HUNDRED / allocated.amount(), 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn rates_round_half_away_from_zero_and_are_zero_without_denominator() {
        assert_eq!(rate(1, 8), 12.5);
        assert_eq!(rate(1, 3), 33.33);
        assert_eq!(rate(2, 3), 66.67);
        // 0.125% → exactly half way at the third decimal: away from zero.
        assert_eq!(rate(1, 800), 0.13);
        assert_eq!(rate(5, 0), 0.0);
    }

    #[test]
    fn sample_campaign_roi_is_23_9_and_roas_1_24_and_tier_standard() {
        assert_eq!(roi_percentage(m("41500.00"), m("33500.00")), 23.9);
        assert_eq!(roas(m("41500.00"), m("33500.00")), 1.24);
        assert_eq!(performance_tier(m("41500.00"), m("33500.00")), PerformanceTier::Standard);
    }

    #[test]
    fn tiers_follow_unrounded_roi_and_nothing_spent_is_standard() {
        assert_eq!(performance_tier(m("200.00"), m("100.00")), PerformanceTier::HighRoi);
        assert_eq!(performance_tier(m("199.99"), m("100.00")), PerformanceTier::GoodRoi);
        assert_eq!(performance_tier(m("150.00"), m("100.00")), PerformanceTier::GoodRoi);
        assert_eq!(performance_tier(m("149.99"), m("100.00")), PerformanceTier::Standard);
        assert_eq!(performance_tier(m("999.00"), m("0.00")), PerformanceTier::Standard);
        assert_eq!(roi_percentage(m("999.00"), m("0.00")), 0.0);
        assert_eq!(roi_percentage(m("0.00"), m("42000.00")), -100.0);
    }

    #[test]
    fn budget_figures() {
        assert_eq!(budget_remaining(Some(m("75000.00")), m("33500.00")), Some(Decimal::new(4150000, 2)));
        assert_eq!(budget_utilization(Some(m("75000.00")), m("33500.00")), Some(44.67));
        assert_eq!(budget_utilization(None, m("1.00")), None);
        assert_eq!(budget_utilization(Some(m("0.00")), m("0.00")), Some(0.0));
    }
}
