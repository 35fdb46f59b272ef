//! Subject-line A/B analysis: rates side by side and the z-test against the best email.

use crate::common::*;
use campaign_performance::demo;
use entity::enums::Region;
use serde_json::json;

const QUERY: &str = r#"query($id: UUID!) { campaign(id: $id) { subjectLines {
    subject emailsDelivered emailsOpened emailsClicked openRate clickRate
    openRatePValue clickRatePValue bestOpenRate bestClickRate emailCampaign { id } } } }"#;

/// The z-test, written out again from its definition.
fn p_value(x1: f64, n1: f64, x2: f64, n2: f64) -> f64 {
    let p = (x1 + x2) / (n1 + n2);
    let z = (x1 / n1 - x2 / n2) / (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    libm::erfc(z.abs() / 2f64.sqrt())
}

db_test!(the_demo_subject_lines_differ_beyond_noise_and_small_samples_do_not, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(&db, "{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id } } } }", json!({})).await;
    let id = data["campaigns"]["edges"][0]["node"]["id"].clone();
    let lines = gql(&db, QUERY, json!({ "id": id })).await;
    let rows = lines["campaign"]["subjectLines"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0]["bestOpenRate"].as_bool(), rows[0]["bestClickRate"].as_bool()), (Some(true), Some(true)));
    assert_eq!(rows[0]["openRatePValue"], 1.0);
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap();
    for r in &rows[1..] {
        let expected_open = p_value(
            f(r, "emailsOpened"),
            f(r, "emailsDelivered"),
            f(&rows[0], "emailsOpened"),
            f(&rows[0], "emailsDelivered"),
        );
        let expected_click = p_value(
            f(r, "emailsClicked"),
            f(r, "emailsDelivered"),
            f(&rows[0], "emailsClicked"),
            f(&rows[0], "emailsDelivered"),
        );
        assert!((f(r, "openRatePValue") - expected_open).abs() < 1e-12);
        assert!((f(r, "clickRatePValue") - expected_click).abs() < 1e-12);
        assert!(f(r, "openRatePValue") < 0.05, "the demo's open rates differ beyond noise");
    }

    // 10 of 100 against 12 of 100: a difference that noise explains.
    let c = campaign("Small A/B").insert(&*db).await;
    let r = retailer("AB", Region::East).insert(&*db).await;
    for (subject, clicks) in [("A", 10), ("B", 12)] {
        let e = email_campaign(&*db, &c, subject).await;
        for i in 0..100 {
            let clicked = i < clicks;
            send(&*db, &e, &r, SendOutcome { delivered: true, opened: clicked, clicked, ..Default::default() }).await;
        }
    }
    let lines = gql(&db, QUERY, json!({ "id": c.id })).await;
    let rows = lines["campaign"]["subjectLines"].as_array().unwrap();
    let a = rows.iter().find(|r| r["subject"] == "A").unwrap();
    assert_eq!(a["bestClickRate"], false);
    assert!((f(a, "clickRatePValue") - p_value(10.0, 100.0, 12.0, 100.0)).abs() < 1e-12);
    assert!(f(a, "clickRatePValue") > 0.5);

    // An email that reached nobody is never the best one.
    email_campaign(&*db, &c, "Undelivered").await;
    let lines = gql(&db, QUERY, json!({ "id": c.id })).await;
    let rows = lines["campaign"]["subjectLines"].as_array().unwrap();
    let best: Vec<&str> =
        rows.iter().filter(|r| r["bestClickRate"] == true).map(|r| r["subject"].as_str().unwrap()).collect();
    assert_eq!(best, ["B"]);
});
