//! Walking every page of a 1,000-row list finds each row exactly once, even with rows
//! inserted between page reads, in every ordering.

use crate::common::*;
use entity::email_sends;
use entity::enums::{Region, SendStatus};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

fn send_row(email: Uuid, retailer: Uuid, i: usize) -> email_sends::ActiveModel {
    let sent = at(2025, 1, 14, 0) + chrono::Duration::seconds((i % 250) as i64);
    email_sends::ActiveModel {
        id: Set(Uuid::new_v4()),
        email_campaign_id: Set(Some(email)),
        retailer_id: Set(Some(retailer)),
        // Duplicate sort values on purpose: the id must break the ties.
        recipient_email: Set(format!("r{:03}@shop.example", i % 300)),
        recipient_name: Set(None),
        sent_at: Set(sent),
        delivered_at: Set(None),
        opened_at: Set(i.is_multiple_of(3).then(|| sent + chrono::Duration::minutes((i % 7) as i64))),
        clicked_at: Set(None),
        status: Set(SendStatus::Sent),
        bounce_reason: Set(None),
        human_opened_at: Set(None),
    }
}

db_test!(walking_1000_sends_page_by_page_finds_each_once_despite_inserts, |db| {
    let c = campaign("Paged").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Paged mail").await;
    let r = retailer("Pager", Region::South).insert(&*db).await;
    let rows: Vec<_> = (0..1000).map(|i| send_row(email.id, r.id, i)).collect();
    let original: HashSet<String> = rows.iter().map(|s| s.id.as_ref().to_string()).collect();
    for chunk in rows.chunks(500) {
        email_sends::Entity::insert_many(chunk.to_vec()).exec_without_returning(&*db).await.unwrap();
    }
    let query = r#"query($id: UUID!, $o: EmailSendOrder, $a: String) { campaign(id: $id) { emailCampaigns {
        sends(orderBy: $o, first: 100, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } } }"#;
    let mut extra = 0;
    for (field, direction) in
        [("SENT_AT", "ASC"), ("SENT_AT", "DESC"), ("OPENED_AT", "ASC"), ("OPENED_AT", "DESC"), ("CLICKED_AT", "DESC")]
    {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let data =
                gql(&db, query, json!({ "id": c.id, "o": { "field": field, "direction": direction }, "a": after }))
                    .await;
            let sends = &data["campaign"]["emailCampaigns"][0]["sends"];
            seen.extend(
                sends["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
            );
            pages += 1;
            // Between page reads, new sends arrive (some sort before, some after the cursor).
            let new: Vec<_> = (0..3).map(|k| send_row(email.id, r.id, 1000 + extra + k)).collect();
            extra += 3;
            email_sends::Entity::insert_many(new).exec_without_returning(&*db).await.unwrap();
            if !sends["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = Some(sends["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{field} {direction}: a row came twice");
        let found = original.iter().filter(|id| unique.contains(id)).count();
        assert_eq!(found, 1000, "{field} {direction}: {found} of the 1,000 original rows found");
        assert!(pages >= 10, "{pages} pages");
    }
});

db_test!(retailers_filter_and_page_and_their_relations_answer, |db| {
    for (name, region, active) in
        [("Alpha", Region::East, true), ("Beta", Region::East, false), ("Gamma", Region::West, true)]
    {
        retailer(name, region).active(active).insert(&*db).await;
    }
    let q =
        "query($f: RetailerFilter) { retailers(filter: $f) { totalCount edges { node { name region isActive } } } }";
    let data = gql(&db, q, json!({ "f": { "region": ["EAST"] } })).await;
    assert_eq!(
        data["retailers"],
        json!({ "totalCount": 2, "edges": [
            { "node": { "name": "Alpha", "region": "EAST", "isActive": true } },
            { "node": { "name": "Beta", "region": "EAST", "isActive": false } } ] })
    );
    let data = gql(&db, q, json!({ "f": { "isActive": true } })).await;
    assert_eq!(data["retailers"]["totalCount"], 2);
    let data = gql(&db, q, json!({ "f": { "nameContains": "amm" } })).await;
    assert_eq!(data["retailers"]["edges"][0]["node"]["name"], "Gamma");
});

db_test!(a_page_of_sends_for_each_of_many_emails_comes_in_sorted_chunks, |db| {
    // 130 emails: more parents than one statement takes (100), each with 3 sends out of order.
    let r = retailer("Many", Region::North).insert(&*db).await;
    let c = campaign("Many emails").insert(&*db).await;
    let mut rows = Vec::new();
    for e in 0..130 {
        let email = email_campaign(&*db, &c, &format!("Email {e:03}")).await;
        for i in [2usize, 0, 1] {
            rows.push(send_row(email.id, r.id, e * 10 + i));
        }
    }
    for chunk in rows.chunks(500) {
        email_sends::Entity::insert_many(chunk.to_vec()).exec_without_returning(&*db).await.unwrap();
    }
    let data = gql(
        &db,
        "query($id: UUID!) { campaign(id: $id) { emailCampaigns { subject
            sends(first: 2) { pageInfo { hasNextPage } edges { node { sentAt } } } } } }",
        json!({ "id": c.id }),
    )
    .await;
    let emails = data["campaign"]["emailCampaigns"].as_array().unwrap();
    assert_eq!(emails.len(), 130);
    for e in emails {
        let sends = &e["sends"];
        assert_eq!(sends["pageInfo"]["hasNextPage"], true, "{e}");
        let times: Vec<&str> =
            sends["edges"].as_array().unwrap().iter().map(|s| s["node"]["sentAt"].as_str().unwrap()).collect();
        assert_eq!(times.len(), 2, "{e}");
        assert!(times[0] <= times[1], "in send-time order: {e}");
    }
});

// Every ordering of a connection (its order fields read from the schema), both directions:
// walking backwards from the end with `last`/`before` finds the same rows in the same order
// as walking forwards with `first`/`after`, and `pageInfo` says where the ends are.
db_test!(walking_backwards_with_last_and_before_finds_the_forward_order_in_every_ordering, |db| {
    let c = campaign("Backwards").insert(&*db).await;
    let email = email_campaign(&*db, &c, "Backwards mail").await;
    let r = retailer("Back", Region::West).insert(&*db).await;
    let rows: Vec<_> = (0..240).map(|i| send_row(email.id, r.id, i)).collect();
    email_sends::Entity::insert_many(rows).exec_without_returning(&*db).await.unwrap();
    let fields = enum_values(&db, "EmailSendOrderField").await;
    assert!(fields.len() >= 3, "{fields:?}");
    let query = r#"query($id: UUID!, $o: EmailSendOrder, $f: Int, $a: String, $l: Int, $b: String) {
        campaign(id: $id) { emailCampaigns { sends(orderBy: $o, first: $f, after: $a, last: $l, before: $b) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } } } }"#;
    for field in &fields {
        for direction in ["ASC", "DESC"] {
            let vars = json!({ "id": c.id, "o": { "field": field, "direction": direction } });
            let (forward, backward) = both_ways(&db, query, &vars, "/campaign/emailCampaigns/0/sends", 240).await;
            assert_eq!(forward.len(), 240, "{field} {direction}");
            assert_eq!(backward, forward, "{field} {direction}: backwards differs from forwards");
        }
    }
    // Both directions at once is refused, naming the arguments.
    let response = gql_response(&db, query, json!({ "id": c.id, "f": 5, "l": 5 })).await;
    assert!(response["errors"][0]["message"].as_str().unwrap().contains("`first` or `last`"), "{response}");
});

// Campaigns ordered by each figure of their cards (the figures read from the schema), both
// directions, forwards and backwards: the order equals an independent sort of the figures
// `performance` and the budget fields give (missing last, ties by id); figure ranges let
// through exactly the campaigns whose figures lie in them, ordered by a column or a figure.
db_test!(campaigns_order_and_filter_by_every_card_figure, |db| {
    let plan = campaign_performance::generate::Plan { sends: 3_000, campaigns: 7, retailers: 15, seed: 5 };
    campaign_performance::generate::generate(&db, &plan, |_| ()).await.unwrap();
    campaign_performance::demo::load(&*db, false).await.unwrap();
    let figures = enum_values(&db, "CampaignFigure").await;
    assert_eq!(figures.len(), 11, "{figures:?}");
    // Each campaign's figures, read as a client reads them.
    let cards = gql(
        &db,
        "{ campaigns(first: 100) { totalCount edges { node { id budgetAllocated budgetSpent budgetUtilization performance {
            totalEmailsSent totalRetailers deliveryRate openRate clickRate totalRevenue roiPercentage roas } } } } }",
        json!({}),
    )
    .await;
    let total = cards["campaigns"]["totalCount"].as_u64().unwrap() as usize;
    assert!(total >= 10, "{total}");
    let value = |node: &serde_json::Value, figure: &str| -> Option<f64> {
        let camel = {
            let lower = figure.to_lowercase();
            let mut out = String::new();
            let mut up = false;
            for ch in lower.chars() {
                if ch == '_' {
                    up = true;
                } else if up {
                    out.push(ch.to_ascii_uppercase());
                    up = false;
                } else {
                    out.push(ch);
                }
            }
            out
        };
        let v = if figure.starts_with("BUDGET") { &node[&camel] } else { &node["performance"][&camel] };
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.parse().unwrap()),
            other => Some(other.as_f64().unwrap_or_else(|| panic!("{figure}: {other}"))),
        }
    };
    let nodes: Vec<serde_json::Value> =
        cards["campaigns"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    let query = r#"query($o: CampaignFigureOrder, $r: [CampaignFigureRange!], $f: Int, $a: String, $l: Int, $b: String) {
        campaigns(orderByFigure: $o, figures: $r, first: $f, after: $a, last: $l, before: $b) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }"#;
    let page_ids = |data: &serde_json::Value| -> Vec<String> {
        data["campaigns"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for figure in &figures {
        for direction in ["ASC", "DESC"] {
            let mut expected: Vec<(Option<f64>, String)> =
                nodes.iter().map(|n| (value(n, figure), n["id"].as_str().unwrap().to_owned())).collect();
            expected.sort_by(|a, b| {
                let by = match (a.0, b.0) {
                    (Some(x), Some(y)) => x.total_cmp(&y).then(a.1.cmp(&b.1)),
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (None, None) => a.1.cmp(&b.1),
                };
                if direction == "DESC" { by.reverse() } else { by }
            });
            let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
            let vars = json!({ "o": { "figure": figure, "direction": direction } });
            let (forward, backward) = both_ways(&db, query, &vars, "/campaigns", total as u64).await;
            assert_eq!(forward, expected, "{figure} {direction} forwards");
            assert_eq!(backward, expected, "{figure} {direction} backwards");
        }
        // A range around the middle value lets through exactly the campaigns within it.
        let mut values: Vec<f64> = nodes.iter().filter_map(|n| value(n, figure)).collect();
        values.sort_by(f64::total_cmp);
        if values.is_empty() {
            continue;
        }
        let (min, max) = (values[values.len() / 4], values[values.len() / 2]);
        let within: std::collections::BTreeSet<String> = nodes
            .iter()
            .filter(|n| value(n, figure).is_some_and(|v| v >= min && v <= max))
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let range = json!([{ "figure": figure, "min": min, "max": max }]);
        let data = gql(&db, query, json!({ "r": range, "f": 100 })).await;
        let got: std::collections::BTreeSet<String> = page_ids(&data).into_iter().collect();
        assert_eq!(got, within, "{figure} in {min}..={max} (by column)");
        assert_eq!(data["campaigns"]["totalCount"].as_u64().unwrap() as usize, within.len(), "{figure}");
        let by_figure = json!({ "r": range, "o": { "figure": figure }, "f": 100 });
        let data = gql(&db, query, by_figure).await;
        let got: std::collections::BTreeSet<String> = page_ids(&data).into_iter().collect();
        assert_eq!(got, within, "{figure} in {min}..={max} (by figure)");
    }
});

/// The ids of one connection of `total` rows read forwards (`first`/`after`) and backwards
/// (`last`/`before`, a different page size), in about six pages each, `pageInfo` checked on
/// every page. `query` declares `$f $a $l $b` and whatever `vars` gives; `at` points to the
/// connection in `data`.
async fn both_ways(
    db: &sea_orm::DatabaseConnection,
    query: &str,
    vars: &Value,
    at: &str,
    total: u64,
) -> (Vec<String>, Vec<String>) {
    let (first, last) = ((total / 6).clamp(3, 100), (total / 7).clamp(2, 100));
    let ids = |c: &Value| -> Vec<String> {
        c["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
    };
    let with = |extra: Value| {
        let mut v = vars.clone();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = gql(db, query, with(json!({ "f": first, "a": after }))).await;
        let c = data.pointer(at).unwrap_or_else(|| panic!("{at} in {data}"));
        assert_eq!(c["pageInfo"]["hasPreviousPage"], after.is_some(), "{query} {vars}");
        forward.extend(ids(c));
        if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut backward: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let data = gql(db, query, with(json!({ "l": last, "b": before }))).await;
        let c = data.pointer(at).unwrap();
        assert_eq!(c["pageInfo"]["hasNextPage"], before.is_some(), "{query} {vars}");
        let mut page = ids(c);
        page.extend(backward);
        backward = page;
        if !c["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = c["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    (forward, backward)
}

// Every connection of the schema that pages rows of a table, in every ordering its order
// enum names (read from the schema) and both directions, on generated data of real shape
// and the demo: read backwards it gives exactly the rows, in exactly the order, of reading
// forwards (every row once: the count equals totalCount).
db_test!(every_connection_reads_the_same_rows_backwards_as_forwards_in_every_ordering, |db| {
    // Few retailers, so each has enough conversions and orders to page through.
    let plan = campaign_performance::generate::Plan { sends: 12_000, campaigns: 5, retailers: 4, seed: 11 };
    campaign_performance::generate::generate(&db, &plan, |_| ()).await.unwrap();
    campaign_performance::demo::load(&*db, false).await.unwrap();
    // The campaign with the most conversions and orders (the smaller of the two counts).
    let all = gql(
        &db,
        "{ campaigns(first: 100) { edges { node { id conversions { totalCount } orders { totalCount } } } } }",
        json!({}),
    )
    .await;
    let most = |connection: &Value| -> Value {
        connection["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .max_by_key(|n| n["conversions"]["totalCount"].as_u64().min(n["orders"]["totalCount"].as_u64()))
            .unwrap()["id"]
            .clone()
    };
    let campaign_id = most(&all["campaigns"]);
    let all = gql(
        &db,
        "{ retailers(first: 100) { edges { node { id conversions { totalCount } orders { totalCount } } } } }",
        json!({}),
    )
    .await;
    let retailer_id = most(&all["retailers"]);
    let page = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } }";
    let args = "first: $f, after: $a, last: $l, before: $b";
    let decl = "$f: Int, $a: String, $l: Int, $b: String";
    // (order input type, its field enum, query, vars, where the connection is)
    let cases: Vec<(&str, &str, String, Value, &str)> = vec![
        (
            "CampaignOrder",
            "CampaignOrderField",
            format!("query($o: CampaignOrder, {decl}) {{ campaigns(orderBy: $o, {args}) {{ {page} }} }}"),
            json!({}),
            "/campaigns",
        ),
        (
            "RetailerOrder",
            "RetailerOrderField",
            format!("query($o: RetailerOrder, {decl}) {{ retailers(orderBy: $o, {args}) {{ {page} }} }}"),
            json!({}),
            "/retailers",
        ),
        (
            "CrmConversionOrder",
            "CrmConversionOrderField",
            format!(
                "query($id: UUID!, $o: CrmConversionOrder, {decl}) {{ campaign(id: $id) {{ conversions(orderBy: $o, {args}) {{ {page} }} }} }}"
            ),
            json!({ "id": campaign_id }),
            "/campaign/conversions",
        ),
        (
            "EcommerceOrderOrder",
            "EcommerceOrderOrderField",
            format!(
                "query($id: UUID!, $o: EcommerceOrderOrder, {decl}) {{ campaign(id: $id) {{ orders(orderBy: $o, {args}) {{ {page} }} }} }}"
            ),
            json!({ "id": campaign_id }),
            "/campaign/orders",
        ),
        (
            "EmailSendOrder",
            "EmailSendOrderField",
            format!(
                "query($id: UUID!, $o: EmailSendOrder, {decl}) {{ retailer(id: $id) {{ sends(orderBy: $o, {args}) {{ {page} }} }} }}"
            ),
            json!({ "id": retailer_id }),
            "/retailer/sends",
        ),
        (
            "CrmConversionOrder",
            "CrmConversionOrderField",
            format!(
                "query($id: UUID!, $o: CrmConversionOrder, {decl}) {{ retailer(id: $id) {{ conversions(orderBy: $o, {args}) {{ {page} }} }} }}"
            ),
            json!({ "id": retailer_id }),
            "/retailer/conversions",
        ),
        (
            "EcommerceOrderOrder",
            "EcommerceOrderOrderField",
            format!(
                "query($id: UUID!, $o: EcommerceOrderOrder, {decl}) {{ retailer(id: $id) {{ orders(orderBy: $o, {args}) {{ {page} }} }} }}"
            ),
            json!({ "id": retailer_id }),
            "/retailer/orders",
        ),
    ];
    for (input, fields, query, vars, at) in &cases {
        let total = gql(&db, query, vars.clone()).await.pointer(&format!("{at}/totalCount")).unwrap().as_u64().unwrap();
        assert!(total >= 5, "{input} at {at}: only {total} rows, too few to page");
        for field in enum_values(&db, fields).await {
            for direction in ["ASC", "DESC"] {
                let mut v = vars.clone();
                v["o"] = json!({ "field": field, "direction": direction });
                let (forward, backward) = both_ways(&db, query, &v, at, total).await;
                assert_eq!(forward.len() as u64, total, "{input} {field} {direction} at {at}");
                assert_eq!(backward, forward, "{input} {field} {direction} at {at}: backwards differs");
            }
        }
    }
    // Retailers ranked by a figure (a ranking held in memory, cursors are places).
    let ranked = format!("query($r: RetailerRanking, {decl}) {{ retailers(rankBy: $r, {args}) {{ {page} }} }}");
    for ranking in enum_values(&db, "RetailerRanking").await {
        let (forward, backward) = both_ways(&db, &ranked, &json!({ "r": ranking }), "/retailers", 30).await;
        assert!(forward.len() >= 15, "{ranking}");
        assert_eq!(backward, forward, "rankBy {ranking}: backwards differs");
    }
});
