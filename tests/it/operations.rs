//! The queries a dashboard makes (`tests/operations/*.graphql`), run against the demo data on
//! both backends; each answer is checked against one snapshot (ids and cursors redacted), so
//! both backends must give the very same answer.

use crate::common::*;
use campaign_performance::demo;
use campaign_performance::services::users::find_by_email;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

fn operation(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/operations/{name}.graphql", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Replaces UUIDs and cursors with placeholders.
fn redact(value: Value) -> Value {
    match value {
        Value::String(s) if uuid::Uuid::parse_str(&s).is_ok() => Value::String("[uuid]".into()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| if k == "cursor" || k == "endCursor" { (k, json!("[cursor]")) } else { (k, redact(v)) })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

fn snapshot(name: &str, data: Value) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/operations/answers"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_json_snapshot!(name, redact(data)));
}

db_test!(dashboard_operations_answer_as_recorded, |db| {
    demo::load(&*db, false).await.unwrap();
    let overview = gql(&db, &operation("overview"), json!({})).await;
    assert_eq!(overview["active"]["totalCount"], 1);
    let sample = overview["campaigns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["status"] == "ACTIVE")
        .map(|e| e["node"]["id"].clone())
        .unwrap();
    snapshot("overview", overview);

    let page = gql(&db, &operation("campaign_page"), json!({ "id": sample })).await;
    assert_eq!(page["campaign"]["performance"]["totalRevenue"], "41500.00");
    snapshot("campaign_page", page);

    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let retailer_page = gql(&db, &operation("retailer_page"), json!({ "id": cartier.id })).await;
    assert_eq!(retailer_page["retailer"]["sends"]["totalCount"], 85);
    snapshot("retailer_page", retailer_page);

    // The retailer's own view of the campaign page: only Cartier's figures.
    let own = gql_as(&db, &cartier, &operation("campaign_page"), json!({ "id": sample })).await;
    assert_eq!(own["campaign"]["performance"]["totalRevenue"], "8500.00");
    snapshot("campaign_page_as_retailer", own);
});

// The SQL each backend receives for the dashboard's operations (as the brand and as a
// retailer), one snapshot per operation and backend (`tests/operations/sql/`): statements
// sorted and each listed once, parameters as placeholders. A change to what reaches the
// database shows in review as a change of these files (`INSTA_UPDATE=always` rewrites them).
db_test!(dashboard_operations_send_the_recorded_sql, |db| {
    demo::load(&*db, false).await.unwrap();
    let overview = gql(&db, &operation("overview"), json!({})).await;
    let sample = overview["campaigns"]["edges"][0]["node"]["id"].clone();
    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let brand = brand_caller();
    let backend = format!("{:?}", db.get_database_backend()).to_lowercase();
    let runs = [
        ("overview", &brand, json!({})),
        ("campaign_page", &brand, json!({ "id": sample })),
        ("retailer_page", &brand, json!({ "id": cartier.id })),
        ("campaign_page_as_retailer", &cartier, json!({ "id": sample })),
    ];
    for (name, user, variables) in runs {
        let statements = Arc::new(Mutex::new(BTreeSet::new()));
        let mut conn = db.conn.clone();
        let seen = statements.clone();
        conn.set_metric_callback(move |info| {
            let sql = info.statement.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            seen.lock().unwrap().insert(sql);
        });
        let text = operation(name.trim_end_matches("_as_retailer"));
        let answer = gql_with_window(&conn, Some(user), &text, variables, std::time::Duration::ZERO).await;
        assert!(answer["errors"].is_null(), "{name}: {answer}");
        let listed = statements.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n\n");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/operations/sql"));
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!(format!("{name}.{backend}"), listed));
    }
});
