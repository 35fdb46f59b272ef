//! Errata E1: the spec's `campaign_performance_summary` multiplies rows; the product does not.

use crate::common::*;
use entity::enums::{OrderStatus, Region, SendStatus};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde_json::json;

/// The view exactly as the spec writes it, under another name (ours has the real one).
const SPEC_VIEW: &str = r#"CREATE OR REPLACE VIEW campaign_performance_summary AS
SELECT 
    c.id as campaign_id,
    c.name as campaign_name,
    c.status,
    c.start_date,
    c.end_date,
    c.budget_allocated,
    c.budget_spent,
    
    -- Email metrics
    COUNT(DISTINCT u.id) FILTER (WHERE u.user_type = 'retailer') as total_retailers,
    COUNT(es.id) as total_emails_sent,
    COUNT(es.id) FILTER (WHERE es.status = 'delivered') as emails_delivered,
    COUNT(es.id) FILTER (WHERE es.opened_at IS NOT NULL) as emails_opened,
    COUNT(es.id) FILTER (WHERE es.clicked_at IS NOT NULL) as emails_clicked,
    
    -- Calculated rates
    CASE 
        WHEN COUNT(es.id) FILTER (WHERE es.status = 'delivered') > 0 
        THEN ROUND((COUNT(es.id) FILTER (WHERE es.opened_at IS NOT NULL)::DECIMAL / COUNT(es.id) FILTER (WHERE es.status = 'delivered')) * 100, 2)
        ELSE 0 
    END as open_rate,
    
    CASE 
        WHEN COUNT(es.id) FILTER (WHERE es.status = 'delivered') > 0 
        THEN ROUND((COUNT(es.id) FILTER (WHERE es.clicked_at IS NOT NULL)::DECIMAL / COUNT(es.id) FILTER (WHERE es.status = 'delivered')) * 100, 2)
        ELSE 0 
    END as click_rate,
    
    -- Revenue and ROI calculations
    COALESCE(SUM(cc.conversion_value), 0) + COALESCE(SUM(eo.order_value), 0) as total_revenue,
    CASE 
        WHEN c.budget_spent > 0 
        THEN ROUND(((COALESCE(SUM(cc.conversion_value), 0) + COALESCE(SUM(eo.order_value), 0) - c.budget_spent) / c.budget_spent) * 100, 1)
        ELSE 0 
    END as roi_percentage,
    
    -- Performance tier based on ROI
    CASE 
        WHEN c.budget_spent > 0 AND ((COALESCE(SUM(cc.conversion_value), 0) + COALESCE(SUM(eo.order_value), 0) - c.budget_spent) / c.budget_spent) * 100 >= 100 THEN 'High ROI'
        WHEN c.budget_spent > 0 AND ((COALESCE(SUM(cc.conversion_value), 0) + COALESCE(SUM(eo.order_value), 0) - c.budget_spent) / c.budget_spent) * 100 >= 50 THEN 'Good ROI'
        ELSE 'Standard'
    END as performance_tier,
    
    c.created_at,
    c.updated_at

FROM campaigns c
LEFT JOIN email_campaigns ec ON c.id = ec.campaign_id
LEFT JOIN email_sends es ON ec.id = es.email_campaign_id
LEFT JOIN users u ON es.retailer_id = u.id
LEFT JOIN crm_conversions cc ON c.id = cc.campaign_id
LEFT JOIN ecommerce_orders eo ON c.id = eo.campaign_id
GROUP BY c.id, c.name, c.status, c.start_date, c.end_date, c.budget_allocated, c.budget_spent, c.created_at, c.updated_at;"#;

/// The spec's view under the name `spec_summary`. On SQLite, the two PostgreSQL-only
/// spellings become their SQLite equivalents (`CREATE VIEW`, `* 1.0` for `::DECIMAL`); the
/// joins and aggregates, which are what E1 is about, stay exactly as written.
fn spec_view(backend: DbBackend) -> String {
    let sql = SPEC_VIEW.replace("VIEW campaign_performance_summary", "VIEW spec_summary");
    match backend {
        DbBackend::Sqlite => sql.replace("CREATE OR REPLACE VIEW", "CREATE VIEW").replace("::DECIMAL", " * 1.0"),
        _ => sql,
    }
}

#[derive(Debug, FromQueryResult)]
struct Summary {
    total_emails_sent: i64,
    total_revenue: String,
}

async fn summary(db: &impl ConnectionTrait, view: &str, campaign: uuid::Uuid) -> Summary {
    let sql = format!(
        "SELECT CAST(total_emails_sent AS BIGINT) AS total_emails_sent, CAST(total_revenue AS TEXT) AS total_revenue \
         FROM {view} WHERE campaign_id = $1"
    );
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => sql.replace("$1", "?"),
        _ => sql,
    };
    Summary::find_by_statement(Statement::from_sql_and_values(db.get_database_backend(), sql, [campaign.into()]))
        .one(db)
        .await
        .expect("query view")
        .expect("campaign row")
}

db_test!(spec_view_inflates_counts_and_revenue_while_the_product_counts_each_row_once, |db| {
    let c = campaign("E1").spent("500.00").insert(&*db).await;
    let r1 = retailer("Alpha", Region::East).insert(&*db).await;
    let r2 = retailer("Beta", Region::West).insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello").await;
    let outcomes = [
        (&r1, SendOutcome { delivered: true, opened: true, clicked: true, ..Default::default() }),
        (&r1, SendOutcome { delivered: true, opened: true, ..Default::default() }),
        (&r2, SendOutcome { delivered: true, ..Default::default() }),
        (&r2, SendOutcome { status: Some(SendStatus::Bounced), ..Default::default() }),
        (&r2, SendOutcome::default()),
    ];
    let mut sends = Vec::new();
    for (r, o) in outcomes {
        sends.push(send(&*db, &email, r, o).await);
    }
    let conversions = [conversion(&*db, &c, &r1, "100.00").await, conversion(&*db, &c, &r2, "250.50").await];
    let orders = [
        order(&*db, &c, &r1, "300.00", OrderStatus::Completed).await,
        order(&*db, &c, &r2, "120.25", OrderStatus::Completed).await,
        order(&*db, &c, &r2, "80.00", OrderStatus::Pending).await,
    ];

    // Independent count over the rows this test inserted.
    let sent = sends.len() as i64;
    let conv_sum: Decimal = conversions.iter().map(|c| c.conversion_value.unwrap().amount()).sum();
    let completed: Decimal = orders
        .iter()
        .filter(|o| o.order_status == OrderStatus::Completed)
        .map(|o| o.order_value.unwrap().amount())
        .sum();
    let all_orders: Decimal = orders.iter().map(|o| o.order_value.unwrap().amount()).sum();
    let (s, c_n, o_n) = (Decimal::from(sent), Decimal::from(conversions.len()), Decimal::from(orders.len()));

    db.execute_unprepared(&spec_view(db.backend())).await.expect("the spec's view is created as written");
    let spec = summary(&*db, "spec_summary", c.id).await;
    // E1: each send repeats once per conversion and once per order.
    assert_eq!(spec.total_emails_sent, sent * 2 * 3);
    let spec_revenue: Decimal = spec.total_revenue.parse().unwrap();
    assert_eq!(spec_revenue.round_dp(2), conv_sum * s * o_n + all_orders * s * c_n);
    assert_ne!(spec_revenue, conv_sum + completed);

    // The product's figures equal the independent count.
    let data = gql(
        &db,
        "query($id: UUID!) { campaign(id: $id) { performance { totalEmailsSent totalRevenue conversionRevenue orderRevenue pendingRevenue } } }",
        json!({ "id": c.id }),
    )
    .await;
    let p = &data["campaign"]["performance"];
    assert_eq!(p["totalEmailsSent"], json!(sent));
    assert_eq!(p["totalRevenue"], json!((conv_sum + completed).to_string()));
    assert_eq!(p["conversionRevenue"], json!(conv_sum.to_string()));
    assert_eq!(p["orderRevenue"], json!(completed.to_string()));
    assert_eq!(p["pendingRevenue"], json!("80.00"));

    // And so does the corrected view that the migrations create.
    let ours = summary(&*db, "campaign_performance_summary", c.id).await;
    assert_eq!(ours.total_emails_sent, sent);
    assert_eq!(ours.total_revenue, (conv_sum + completed).to_string());
});
