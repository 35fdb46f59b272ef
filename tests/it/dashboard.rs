//! The dashboard's pages on the real server and the demo data, on both backends: sign-in and
//! sign-out, every figure a page shows equal to the GraphQL answer of the same operation for
//! the same caller (found by walking the page, not listed by hand), the charts present and
//! labelled, a retailer seeing no other retailer, and the CSV downloads equal to the answers.

use crate::common::*;
use campaign_performance::demo;
use campaign_performance::services::users::find_by_email;
use entity::users;
use reqwest::redirect::Policy;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const HOME: &str = "/dashboard/brand-performance/campaigns";

fn operation(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/operations/{name}.graphql", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs `user` in through the form; the session cookie (`name=value`).
async fn sign_in(server: &str, user: &users::Model) -> String {
    let response = client()
        .post(format!("{server}/dashboard/sign-in"))
        .form(&[("token", token_for(user.id))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], HOME);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    cookie.split(';').next().unwrap().to_owned()
}

async fn page(server: &str, cookie: &str, path: &str) -> (u16, String) {
    let response = client().get(format!("{server}{path}")).header("cookie", cookie).send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 && !path.contains(".csv") {
        let csp = response.headers().get("content-security-policy");
        let csp =
            csp.unwrap_or_else(|| panic!("{path}: no CSP in {:?}", response.headers())).to_str().unwrap().to_owned();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    }
    (status, response.text().await.unwrap())
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Every figure of a page: (JSON pointer, value as given, text shown).
fn figures(html: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for part in html.split("data-figure=\"").skip(1) {
        let pointer = part[..part.find('"').unwrap()].to_owned();
        let rest = &part[part.find("data-value=\"").unwrap() + 12..];
        let value = unescape(&rest[..rest.find('"').unwrap()]);
        let shown = &rest[rest.find('>').unwrap() + 1..];
        let shown = unescape(&shown[..shown.find("</span>").unwrap()]);
        found.push((pointer, value, shown));
    }
    found
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Holds every figure of `html` to `answer`: the value is the answer's at its pointer, and
/// the text shown has the same digits (or, for words, the same word).
fn holds_to(html: &str, answers: &[&Value]) -> usize {
    let figures = figures(html);
    for (pointer, value, shown) in &figures {
        let expected =
            answers.iter().find_map(|a| a.pointer(pointer)).unwrap_or_else(|| panic!("{pointer} is not in the answer"));
        assert_eq!(value, &text(expected), "{pointer}");
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if expected.is_null() {
            assert_eq!(shown, "—", "{pointer}");
        } else if digits(value).is_empty() {
            assert_eq!(shown.to_lowercase().replace(' ', "_"), value.to_lowercase(), "{pointer}");
        } else {
            assert_eq!(digits(shown), digits(value), "{pointer}: {shown} against {value}");
        }
    }
    figures.len()
}

db_test!(dashboard_pages_show_the_api_s_figures_to_the_brand_and_a_retailer_only_their_own, |db| {
    demo::load(&*db, false).await.unwrap();
    let brand = find_by_email(&*db, demo::BRAND_EMAIL).await.unwrap().unwrap();
    let cartier = find_by_email(&*db, demo::RETAILER_EMAIL).await.unwrap().unwrap();
    let server = serve(test_state(&db, Default::default())).await;

    // No session: to the sign-in form; a refused token or another site's form: no session.
    let (status, _) = page(&server, "", HOME).await;
    assert_eq!(status, 303);
    let refused =
        client().post(format!("{server}/dashboard/sign-in")).form(&[("token", "not-a-token")]).send().await.unwrap();
    assert_eq!(refused.headers()["location"], "/dashboard/sign-in?reason=invalid");
    assert!(refused.headers().get("set-cookie").is_none());
    let forged = client()
        .post(format!("{server}/dashboard/sign-in"))
        .header("origin", "https://elsewhere.example")
        .form(&[("token", token_for(brand.id))])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("set-cookie").is_none());
    let (status, landing) = page(&server, "", "/").await;
    assert_eq!(status, 200);
    assert!(landing.contains("/dashboard/sign-in"), "{landing}");

    // The brand: the overview, each status, and every campaign's page.
    let cookie = sign_in(&server, &brand).await;
    let (status, overview) = page(&server, &cookie, HOME).await;
    assert_eq!(status, 200, "{overview}");
    let cards = gql_as(&db, &brand, &operation("overview"), json!({ "status": null })).await;
    let summary = gql_as(&db, &brand, &operation("portfolio"), json!({ "status": null })).await;
    assert!(holds_to(&overview, &[&cards, &summary]) > 20);
    assert!(overview.contains(demo::SAMPLE_CAMPAIGN));
    for status in ["ACTIVE", "COMPLETED", "PAUSED", "DRAFT"] {
        let (code, filtered) = page(&server, &cookie, &format!("{HOME}?status={status}")).await;
        assert_eq!(code, 200);
        let vars = json!({ "status": [status] });
        let cards = gql_as(&db, &brand, &operation("overview"), vars.clone()).await;
        let summary = gql_as(&db, &brand, &operation("portfolio"), vars).await;
        holds_to(&filtered, &[&cards, &summary]);
        for edge in cards["campaigns"]["edges"].as_array().unwrap() {
            assert!(filtered.contains(edge["node"]["name"].as_str().unwrap()));
        }
    }
    let ids: Vec<String> =
        cards["campaigns"]["edges"].as_array().unwrap().iter().map(|e| text(&e["node"]["id"])).collect();
    assert!(!ids.is_empty());
    let choices = [("DAY", "UTC"), ("WEEK", "Asia/Kolkata"), ("HOUR", "Europe/Paris")];
    for (id, (interval, zone)) in ids.iter().zip(choices.iter().cycle()) {
        let path = format!("{HOME}/{id}?interval={interval}&timeZone={zone}");
        let (status, html) = page(&server, &cookie, &path).await;
        assert_eq!(status, 200, "{html}");
        let vars = json!({ "id": id, "interval": interval, "timeZone": zone });
        let answer = gql_as(&db, &brand, &operation("campaign_dashboard"), vars).await;
        assert!(holds_to(&html, &[&answer]) > 30, "{path}");
        for chart in ["funnel", "timeline", "revenue-vs-spend"] {
            assert!(html.contains(&format!("id=\"{chart}\" role=\"img\"")), "{chart} missing on {path}");
            assert!(html.contains(&format!("id=\"{chart}-title\"")), "{chart} has no title");
        }
        if !answer["campaign"]["regionalPerformance"].as_array().unwrap().is_empty() {
            assert!(html.contains("id=\"regions\" role=\"img\""));
        }
    }

    // CSV: the leaderboard and the timeline, row for row the API's answer.
    let sample = &ids[0];
    let vars = json!({ "id": sample, "interval": "WEEK", "timeZone": "Asia/Kolkata" });
    let answer = gql_as(&db, &brand, &operation("campaign_dashboard"), vars).await;
    let (status, csv) = page(&server, &cookie, &format!("{HOME}/{sample}/leaderboard.csv")).await;
    assert_eq!(status, 200);
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let board = answer["campaign"]["retailerPerformance"].as_array().unwrap();
    assert_eq!(rows.len(), board.len());
    for (row, r) in rows.iter().zip(board) {
        assert_eq!(row[0], text(&r["rank"]));
        assert_eq!(row[1], text(&r["retailer"]["name"]));
        assert_eq!(row[3], text(&r["totalEmailsSent"]));
        assert_eq!(row[11], text(&r["revenue"]));
    }
    let (status, _) = page(&server, &cookie, &format!("{HOME}/{sample}/figures.csv")).await;
    assert_eq!(status, 404, "only the leaderboard and the timeline download");
    let (_, csv) =
        page(&server, &cookie, &format!("{HOME}/{sample}/timeline.csv?interval=WEEK&timeZone=Asia/Kolkata")).await;
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let timeline = answer["campaign"]["timeline"].as_array().unwrap();
    assert_eq!(rows.len(), timeline.len());
    for (row, t) in rows.iter().zip(timeline) {
        assert_eq!(row[0], text(&t["bucketStart"]));
        assert_eq!(row[3], text(&t["emailsOpened"]));
        assert_eq!(row[6], text(&t["revenue"]));
    }

    // A retailer: their own figures, no other retailer's name anywhere, no spend.
    let own = sign_in(&server, &cartier).await;
    let others: Vec<String> = entity::prelude::Users::find()
        .all(&*db)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.id != cartier.id && u.user_type == entity::enums::UserType::Retailer)
        .map(|u| u.name)
        .collect();
    assert!(others.len() >= 10);
    let mut seen = 0;
    let (status, overview) = page(&server, &own, HOME).await;
    assert_eq!(status, 200);
    let cards = gql_as(&db, &cartier, &operation("overview"), json!({ "status": null })).await;
    let summary = gql_as(&db, &cartier, &operation("portfolio"), json!({ "status": null })).await;
    holds_to(&overview, &[&cards, &summary]);
    for id in &ids {
        let (status, html) = page(&server, &own, &format!("{HOME}/{id}")).await;
        let answer = gql_as(
            &db,
            &cartier,
            &operation("campaign_dashboard"),
            json!({ "id": id, "interval": "DAY", "timeZone": "UTC" }),
        )
        .await;
        // A campaign the retailer may not see is not found, as the API says.
        if answer["campaign"].is_null() {
            assert_eq!(status, 404, "{html}");
            continue;
        }
        assert_eq!(status, 200, "{html}");
        seen += 1;
        holds_to(&html, &[&answer]);
        for name in &others {
            assert!(!html.contains(name.as_str()), "a retailer's page names {name}");
        }
        assert!(!html.contains("revenue-vs-spend"), "the spend is the brand's");
        let (_, csv) = page(&server, &own, &format!("{HOME}/{id}/leaderboard.csv")).await;
        for name in &others {
            assert!(!csv.contains(name.as_str()), "a retailer's CSV names {name}");
        }
    }

    assert!(seen >= 1, "the retailer sees the campaigns they take part in");

    // Signing out ends the session.
    let out = client().post(format!("{server}/dashboard/sign-out")).header("cookie", &own).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
});
