//! The timeline: buckets in the caller's time zone, every event counted once, when it
//! happened, empty buckets present.

use crate::common::*;
use campaign_performance::analytics::timeline::{Interval, Resolution};
use campaign_performance::demo;
use chrono::{DateTime, Duration, Timelike, Utc};
use entity::email_sends;
use entity::enums::{OrderStatus, Region, SendStatus};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

const QUERY: &str = r#"query($id: UUID!, $i: Interval!, $tz: String, $from: DateTime, $to: DateTime) { campaign(id: $id) {
    performance { totalEmailsSent emailsDelivered emailsOpened emailsClicked totalRevenue }
    timeline(interval: $i, timeZone: $tz, from: $from, to: $to) { bucketStart emailsSent emailsDelivered emailsOpened emailsClicked conversions revenue } } }"#;

db_test!(demo_day_buckets_add_up_to_the_campaign_and_follow_each_other, |db| {
    demo::load(&*db, false).await.unwrap();
    let data = gql(&db, "{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id } } } }", json!({})).await;
    let id = data["campaigns"]["edges"][0]["node"]["id"].clone();
    for interval in ["DAY", "WEEK", "HOUR"] {
        let answer = gql(&db, QUERY, json!({ "id": id, "i": interval })).await;
        let c = &answer["campaign"];
        let points = c["timeline"].as_array().unwrap();
        let total = |f: &str| points.iter().map(|p| p[f].as_i64().unwrap()).sum::<i64>();
        assert_eq!(json!(total("emailsSent")), c["performance"]["totalEmailsSent"], "{interval}");
        assert_eq!(json!(total("emailsDelivered")), c["performance"]["emailsDelivered"]);
        assert_eq!(json!(total("emailsOpened")), c["performance"]["emailsOpened"]);
        assert_eq!(json!(total("emailsClicked")), c["performance"]["emailsClicked"]);
        let revenue: rust_decimal::Decimal =
            points.iter().map(|p| p["revenue"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
        assert_eq!(revenue.to_string(), "41500.00");
        let step = match interval {
            "DAY" => Duration::days(1),
            "WEEK" => Duration::weeks(1),
            _ => Duration::hours(1),
        };
        let starts: Vec<DateTime<Utc>> =
            points.iter().map(|p| p["bucketStart"].as_str().unwrap().parse().unwrap()).collect();
        assert!(starts.windows(2).all(|w| w[1] - w[0] == step), "{interval}: buckets must follow each other");
    }
    let days = gql(&db, QUERY, json!({ "id": id, "i": "DAY" })).await;
    let points = days["campaign"]["timeline"].as_array().unwrap();
    // The campaign runs Jan 14 – Feb 14: 32 days, quiet ones included.
    assert_eq!(points.len(), 32);
    assert_eq!(points[0]["bucketStart"], "2025-01-14T00:00:00+00:00");
    assert!(points.iter().any(|p| p["emailsSent"] == 0 && p["emailsOpened"] == 0));
});

db_test!(new_york_days_equal_a_recount_in_new_york_time, |db| {
    let c = campaign("NY").dates(None, None).insert(&*db).await;
    let email = email_campaign(&*db, &c, "Hello NY").await;
    let r = retailer("Manhattan", Region::East).insert(&*db).await;
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    // Events around local midnight and across the March DST change.
    let start: DateTime<Utc> = "2025-03-07T02:00:00Z".parse().unwrap();
    let mut rows = Vec::new();
    let mut expected: BTreeMap<chrono::NaiveDate, (i64, i64)> = BTreeMap::new();
    for i in 0..96 {
        let sent = start + Duration::minutes(47 * i);
        let opened = (i % 3 == 0).then(|| sent + Duration::minutes(200));
        expected.entry(sent.with_timezone(&tz).date_naive()).or_default().0 += 1;
        if let Some(o) = opened {
            expected.entry(o.with_timezone(&tz).date_naive()).or_default().1 += 1;
        }
        rows.push(email_sends::ActiveModel {
            id: Set(Uuid::new_v4()),
            email_campaign_id: Set(Some(email.id)),
            retailer_id: Set(Some(r.id)),
            recipient_email: Set(format!("ny{i}@shop.example")),
            recipient_name: Set(None),
            sent_at: Set(sent),
            delivered_at: Set(Some(sent)),
            opened_at: Set(opened),
            clicked_at: Set(None),
            status: Set(SendStatus::Delivered),
            bounce_reason: Set(None),
            human_opened_at: Set(opened),
        });
    }
    email_sends::Entity::insert_many(rows).exec_without_returning(&*db).await.unwrap();
    order(&*db, &c, &r, "12.34", OrderStatus::Completed).await;

    let recount = |tz: chrono_tz::Tz, hourly: bool| {
        let local = move |t: DateTime<Utc>| {
            let l = t.with_timezone(&tz).naive_local();
            if hourly { l.date().and_hms_opt(l.hour(), 0, 0).unwrap() } else { l.date().and_hms_opt(0, 0, 0).unwrap() }
        };
        let mut counted: BTreeMap<chrono::NaiveDateTime, (i64, i64)> = BTreeMap::new();
        for i in 0..96 {
            let sent = start + Duration::minutes(47 * i);
            counted.entry(local(sent)).or_default().0 += 1;
            if i % 3 == 0 {
                counted.entry(local(sent + Duration::minutes(200))).or_default().1 += 1;
            }
        }
        (counted, local)
    };
    // Hours in New York and Kathmandu (+05:45, so 15-minute slots), against a recount.
    for (zone, resolution) in [("America/New_York", Resolution::Hour), ("Asia/Kathmandu", Resolution::Quarter)] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        assert_eq!(Resolution::for_buckets(&tz, Interval::Hour), resolution);
        let (expected, local) = recount(tz, true);
        let answer = gql(
            &db,
            QUERY,
            json!({ "id": c.id, "i": "HOUR", "tz": zone, "from": "2025-03-07T00:00:00Z", "to": "2025-03-12T00:00:00Z" }),
        )
        .await;
        let got: BTreeMap<chrono::NaiveDateTime, (i64, i64)> = answer["campaign"]["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let start: DateTime<Utc> = p["bucketStart"].as_str().unwrap().parse().unwrap();
                (local(start), (p["emailsSent"].as_i64().unwrap(), p["emailsOpened"].as_i64().unwrap()))
            })
            .filter(|(_, v)| *v != (0, 0))
            .collect();
        assert_eq!(got, expected, "{zone}");
        assert!(!got.is_empty());
    }
    assert_eq!(Resolution::for_buckets(&"Asia/Kolkata".parse().unwrap(), Interval::Day), Resolution::Quarter);
    assert_eq!(Resolution::for_buckets(&tz, Interval::Day), Resolution::Hour, "New York days are not UTC days");
    assert_eq!(Resolution::for_buckets(&chrono_tz::UTC, Interval::Hour), Resolution::Hour);
    assert_eq!(Resolution::for_buckets(&chrono_tz::UTC, Interval::Week), Resolution::Day);

    let answer = gql(
        &db,
        QUERY,
        json!({ "id": c.id, "i": "DAY", "tz": "America/New_York",
        "from": "2025-03-06T05:00:00Z", "to": "2025-03-11T03:59:59Z" }),
    )
    .await;
    let points = answer["campaign"]["timeline"].as_array().unwrap();
    let got: BTreeMap<chrono::NaiveDate, (i64, i64)> = points
        .iter()
        .map(|p| {
            let start: DateTime<Utc> = p["bucketStart"].as_str().unwrap().parse().unwrap();
            (
                start.with_timezone(&tz).date_naive(),
                (p["emailsSent"].as_i64().unwrap(), p["emailsOpened"].as_i64().unwrap()),
            )
        })
        .filter(|(_, v)| *v != (0, 0))
        .collect();
    let expected: BTreeMap<_, _> = expected.into_iter().filter(|(d, _)| *d <= "2025-03-10".parse().unwrap()).collect();
    assert_eq!(got, expected);
    // Every bucket starts at New York midnight; the day of the DST change lasts 23 hours.
    let starts: Vec<DateTime<Utc>> =
        points.iter().map(|p| p["bucketStart"].as_str().unwrap().parse().unwrap()).collect();
    assert!(starts.iter().all(|s| s.with_timezone(&tz).format("%H:%M").to_string() == "00:00"));
    assert_eq!(starts[4] - starts[3], Duration::hours(23), "{starts:?}");

    let bad = gql_response(&db, QUERY, json!({ "id": c.id, "i": "DAY", "tz": "Mars/Olympus" })).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("timeZone"));
});
