//! Ordering retailers on a leaderboard: by a figure, largest first (names A→Z), ties broken
//! by revenue, then by name. Rates are compared exactly (as fractions), not as rounded
//! percentages, so 4.804% ranks above 4.796%.

use super::breakdown::RetailerFigures;
use std::cmp::Ordering;
use uuid::Uuid;

/// What a leaderboard ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ranking {
    #[default]
    ClickRate,
    OpenRate,
    DeliveryRate,
    ClickToOpenRate,
    Revenue,
    EmailsSent,
    EmailsClicked,
    Conversions,
    Orders,
    Name,
}

/// `a/b` against `c/d` exactly; a zero denominator counts as a rate of 0.
fn cmp_fraction(a: i64, b: i64, c: i64, d: i64) -> Ordering {
    let left = if b == 0 { 0 } else { i128::from(a) * i128::from(d.max(1)) };
    let right = if d == 0 { 0 } else { i128::from(c) * i128::from(b.max(1)) };
    left.cmp(&right)
}

/// Orders `rows` (name, figures) for `ranking`: best first.
pub fn rank<T: Ord>(rows: &mut [(String, RetailerFigures, T)], ranking: Ranking) {
    rows.sort_by(|(an, a, aid), (bn, b, bid)| {
        let (ea, eb) = (&a.email, &b.email);
        let primary = match ranking {
            Ranking::ClickRate => cmp_fraction(ea.clicked, ea.delivered, eb.clicked, eb.delivered),
            Ranking::OpenRate => cmp_fraction(ea.opened, ea.delivered, eb.opened, eb.delivered),
            Ranking::DeliveryRate => cmp_fraction(ea.delivered, ea.sent, eb.delivered, eb.sent),
            Ranking::ClickToOpenRate => cmp_fraction(ea.clicked, ea.opened, eb.clicked, eb.opened),
            Ranking::Revenue => a.revenue.total().cmp(&b.revenue.total()),
            Ranking::EmailsSent => ea.sent.cmp(&eb.sent),
            Ranking::EmailsClicked => ea.clicked.cmp(&eb.clicked),
            Ranking::Conversions => a.conversions.cmp(&b.conversions),
            Ranking::Orders => a.orders.cmp(&b.orders),
            Ranking::Name => Ordering::Equal,
        };
        primary
            .reverse()
            .then_with(|| {
                if ranking == Ranking::Name { Ordering::Equal } else { b.revenue.total().cmp(&a.revenue.total()) }
            })
            .then_with(|| an.cmp(bn))
            .then_with(|| aid.cmp(bid))
    });
}

/// Retailers ranked for `ranking`, best first, each with its figures; `name_of` names them
/// for the ties broken by name.
pub fn ranked(
    figures: impl IntoIterator<Item = (Uuid, RetailerFigures)>,
    name_of: impl Fn(Uuid) -> String,
    ranking: Ranking,
) -> Vec<(Uuid, RetailerFigures)> {
    let mut rows: Vec<(String, RetailerFigures, Uuid)> =
        figures.into_iter().map(|(id, f)| (name_of(id), f, id)).collect();
    rank(&mut rows, ranking);
    rows.into_iter().map(|(_, f, id)| (id, f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::EmailCounts;

    fn row(name: &str, delivered: i64, clicked: i64, revenue_cents: i64) -> (String, RetailerFigures, ()) {
        let mut f = RetailerFigures {
            email: EmailCounts {
                delivered,
                clicked,
                opened: clicked,
                human_opened: clicked,
                sent: delivered,
                ..Default::default()
            },
            ..Default::default()
        };
        f.revenue.orders = entity::Money::from_cents(revenue_cents);
        (name.to_owned(), f, ())
    }

    #[test]
    fn click_rate_first_exactly_then_revenue_then_name() {
        // 4.804% vs 4.796%: equal when rounded to 2 places, still ordered.
        let mut rows =
            vec![row("B", 100_000, 4_796, 0), row("A", 100_000, 4_804, 0), row("C", 100, 5, 10), row("D", 100, 5, 10)];
        rank(&mut rows, Ranking::ClickRate);
        let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["C", "D", "A", "B"]);
        rank(&mut rows, Ranking::Name);
        let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D"]);
    }
}
