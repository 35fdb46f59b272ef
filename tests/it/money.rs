//! Money is exact to the cent on both backends, stored and summed, at millions of rows.

use crate::common::*;
use campaign_performance::analytics::totals;
use entity::enums::{OrderStatus, Region};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

/// Rows in the bulk test: enough that a floating-point sum drifts by cents.
const ROWS: i64 = 2_000_000;

/// The amount of row `n`, in cents: awkward decimal fractions (0.10, 0.29, …) and large values.
fn cents_of(n: i64) -> i64 {
    match n % 4 {
        0 => 10,
        1 => 29,
        2 => (n * 7919) % 100_000_000,
        _ => 12_345_678_901 % ((n % 97) + 1) + 3,
    }
}

/// The same formula in SQL over `n`.
fn cents_sql() -> &'static str {
    "CASE n % 4 WHEN 0 THEN 10 WHEN 1 THEN 29 WHEN 2 THEN (n * 7919) % 100000000 \
     ELSE 12345678901 % ((n % 97) + 1) + 3 END"
}

db_test!(sums_of_millions_of_amounts_are_exact_to_the_cent, |db| {
    let c = campaign("bulk").insert(&*db).await;
    let r = retailer("Bulk", Region::East).insert(&*db).await;
    let backend = db.backend();
    let cents = cents_sql();
    let insert = match backend {
        DbBackend::Sqlite => format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {ROWS})
             INSERT INTO ecommerce_orders (id, campaign_id, retailer_id, order_value, order_date, product_count,
                                           order_status, attributed_to_email, created_at)
             SELECT randomblob(16), ?, ?, printf('%d.%02d', ({cents}) / 100, ({cents}) % 100),
                    '2025-01-20 00:00:00+00:00', 1, 'completed', 0, '2025-01-20 00:00:00+00:00' FROM seq"
        ),
        _ => format!(
            "INSERT INTO ecommerce_orders (campaign_id, retailer_id, order_value, order_date, product_count,
                                           order_status, attributed_to_email, created_at)
             SELECT $1, $2, ({cents})::numeric / 100, now(), 1, 'completed', false, now()
             FROM generate_series(1::bigint, {ROWS}::bigint) AS n"
        ),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, insert, [c.id.into(), r.id.into()]))
        .await
        .expect("bulk insert");
    order(&*db, &c, &r, "0.01", OrderStatus::Completed).await;

    let expected_cents: i64 = (1..=ROWS).map(cents_of).sum::<i64>() + 1;
    let expected = Decimal::new(expected_cents, 2);

    let totals = totals::revenue_by_campaign(
        &*db,
        campaign_performance::auth::Scope::All,
        campaign_performance::analytics::Window::ALL,
        &[c.id],
    )
    .await
    .unwrap();
    assert_eq!(totals[&c.id].orders.amount(), expected);
    assert_eq!(totals[&c.id].orders.amount().to_string(), expected.to_string());
});

db_test!(amounts_round_trip_exactly, |db| {
    let c = campaign("round trip").insert(&*db).await;
    let r = retailer("Trip", Region::West).insert(&*db).await;
    for value in ["0.10", "0.29", "1234567.89", "9999999999.99", "0.00", "41500.00"] {
        let o = order(&*db, &c, &r, value, OrderStatus::Pending).await;
        let back = entity::ecommerce_orders::Entity::find_by_id(o.id).one(&*db).await.unwrap().unwrap();
        assert_eq!(back.order_value.unwrap().to_string(), value);
    }
});
