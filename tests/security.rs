//! Who may see and do what, over the real HTTP server, on both backends: a role × operation
//! matrix, hostile queries, and error masking.

mod common;

use campaign_performance::auth::Minter;
use campaign_performance::config::Limits;
use common::*;
use entity::enums::{OrderStatus, Region, UserType};
use entity::users;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

async fn post(base: &str, token: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
    let mut req =
        reqwest::Client::new().post(format!("{base}/graphql")).json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// Users, campaigns and facts whose visibility the matrix checks.
struct World {
    admin: users::Model,
    brand: users::Model,
    a: users::Model,
    b: users::Model,
    inactive: users::Model,
    /// Sent to A (2 sends) and B (3 sends); conversions and orders for both.
    x: Uuid,
    /// Sent to B only.
    y: Uuid,
    /// No sends at all.
    z: Uuid,
}

async fn world(db: &TestDb) -> World {
    let admin = retailer("Admin", Region::East).user_type(UserType::Admin).insert(&**db).await;
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&**db).await;
    let a = retailer("Retailer A", Region::East).insert(&**db).await;
    let b = retailer("Retailer B", Region::West).insert(&**db).await;
    let inactive = retailer("Gone", Region::West).active(false).insert(&**db).await;

    let x = campaign("X").insert(&**db).await;
    let y = campaign("Y").insert(&**db).await;
    let z = campaign("Z").insert(&**db).await;
    let ex = email_campaign(&**db, &x, "X mail").await;
    let ey = email_campaign(&**db, &y, "Y mail").await;
    let opened = SendOutcome { delivered: true, opened: true, ..Default::default() };
    for _ in 0..2 {
        send(&**db, &ex, &a, opened).await;
    }
    for _ in 0..3 {
        send(&**db, &ex, &b, SendOutcome { delivered: true, ..Default::default() }).await;
        send(&**db, &ey, &b, opened).await;
    }
    conversion(&**db, &x, &a, "100.00").await;
    conversion(&**db, &x, &b, "250.00").await;
    order(&**db, &x, &a, "10.50", OrderStatus::Completed).await;
    order(&**db, &x, &b, "20.25", OrderStatus::Completed).await;
    World { admin, brand, a, b, inactive, x: x.id, y: y.id, z: z.id }
}

fn ids(body: &Value) -> Vec<String> {
    let mut v: Vec<String> = body["data"]["campaigns"]["edges"]
        .as_array()
        .map(|a| a.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn sorted(ids: &[Uuid]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    v.sort();
    v
}

db_test!(each_role_sees_exactly_its_rows_and_bad_tokens_are_refused, |db| {
    let w = world(&db).await;
    let base = serve(test_state(&db, Limits::default())).await;
    let minter = Minter::new(TEST_SECRET.as_bytes(), None, None);
    let (admin, brand, a, b) = (token_for(w.admin.id), token_for(w.brand.id), token_for(w.a.id), token_for(w.b.id));
    let expired = minter.mint_expired(w.a.id, 600);
    let inactive = token_for(w.inactive.id);
    // A's token with B's id in the payload: the signature no longer matches.
    let tampered = {
        let parts: Vec<&str> = a.split('.').collect();
        let forged = base64_url(&format!(r#"{{"sub":"{}","exp":9999999999,"iat":0}}"#, w.b.id));
        format!("{}.{forged}.{}", parts[0], parts[2])
    };

    let list = "{ campaigns { totalCount edges { node { id } } } }";
    for (token, expected) in [
        (&admin, sorted(&[w.x, w.y, w.z])),
        (&brand, sorted(&[w.x, w.y, w.z])),
        (&a, sorted(&[w.x])),
        (&b, sorted(&[w.x, w.y])),
    ] {
        let (status, body) = post(&base, Some(token), list, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(&body), expected);
        assert_eq!(body["data"]["campaigns"]["totalCount"], json!(expected.len()));
    }

    // Bad tokens: 401 and UNAUTHENTICATED before anything runs; anonymous: UNAUTHENTICATED on
    // every root field.
    for bad in [&expired, &tampered, &inactive, &"not-a-token".to_owned()] {
        let (status, body) = post(&base, Some(bad), list, json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(code(&body), "UNAUTHENTICATED");
    }
    for query in [list, "{ me { id } }", "query($id: UUID!) { campaign(id: $id) { id } }"] {
        let (_, body) = post(&base, None, query, json!({ "id": w.x })).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{query}: {body}");
        assert!(body["data"].is_null() || body["data"].as_object().is_some_and(|d| d.values().all(Value::is_null)));
    }

    // campaign(id): invisible is the same as absent.
    let one = "query($id: UUID!) { campaign(id: $id) { id } }";
    let (_, body) = post(&base, Some(&a), one, json!({ "id": w.y })).await;
    assert_eq!(body, json!({ "data": { "campaign": null } }));
    let (_, body) = post(&base, Some(&a), one, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(body, json!({ "data": { "campaign": null } }));
    let (_, body) = post(&base, Some(&b), one, json!({ "id": w.y })).await;
    assert_eq!(body["data"]["campaign"]["id"], json!(w.y));

    // Aggregates and nested edges count only the retailer's own rows.
    let figures = "query($id: UUID!) { campaign(id: $id) {
        createdBy { id }
        performance { totalRetailers totalEmailsSent emailsOpened totalRevenue }
        emailCampaigns { subject campaign { id } performance { totalEmailsSent } } } }";
    let (_, body) = post(&base, Some(&brand), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"]["performance"],
        json!({ "totalRetailers": 2, "totalEmailsSent": 5, "emailsOpened": 2, "totalRevenue": "380.75" })
    );
    assert_eq!(body["data"]["campaign"]["emailCampaigns"][0]["performance"]["totalEmailsSent"], 5);
    let (_, body) = post(&base, Some(&a), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"],
        json!({ "createdBy": null,
                "performance": { "totalRetailers": 1, "totalEmailsSent": 2, "emailsOpened": 2, "totalRevenue": "110.50" },
                "emailCampaigns": [ { "subject": "X mail", "campaign": { "id": w.x }, "performance": { "totalEmailsSent": 2 } } ] })
    );
    let (_, body) = post(&base, Some(&b), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"]["performance"],
        json!({ "totalRetailers": 1, "totalEmailsSent": 3, "emailsOpened": 0, "totalRevenue": "270.25" })
    );
    let (_, body) = post(
        &base,
        Some(&a),
        "query($id: UUID!) { campaign(id: $id) { emailCampaigns { id } } }",
        json!({ "id": w.z }),
    )
    .await;
    assert_eq!(body, json!({ "data": { "campaign": null } }));

    // Nested connections: a retailer's sends, conversions and orders only.
    let nested = "query($id: UUID!) { campaign(id: $id) { emailCampaigns { sends { totalCount edges { node { retailer { id } } } } }
        conversions { totalCount edges { node { retailer { id } } } } orders { totalCount } } }";
    for (token, sends, conversions, orders, only) in
        [(&brand, 5, 2, 2, None), (&a, 2, 1, 1, Some(w.a.id)), (&b, 3, 1, 1, Some(w.b.id))]
    {
        let (_, body) = post(&base, Some(token), nested, json!({ "id": w.x })).await;
        let c = &body["data"]["campaign"];
        assert_eq!(c["emailCampaigns"][0]["sends"]["totalCount"], sends, "{body}");
        assert_eq!(c["conversions"]["totalCount"], conversions);
        assert_eq!(c["orders"]["totalCount"], orders);
        if let Some(me) = only {
            for e in c["emailCampaigns"][0]["sends"]["edges"].as_array().unwrap() {
                assert_eq!(e["node"]["retailer"]["id"], json!(me));
            }
        }
    }

    // Retailers: everyone for admin and brand; a retailer sees only themselves.
    let retailers = "{ retailers { totalCount edges { node { id } } } }";
    for (token, n) in [(&admin, 3), (&brand, 3), (&a, 1), (&b, 1)] {
        let (_, body) = post(&base, Some(token), retailers, json!({})).await;
        assert_eq!(body["data"]["retailers"]["totalCount"], n, "{body}");
    }
    let (_, body) =
        post(&base, Some(&a), "query($id: UUID!) { retailer(id: $id) { id } }", json!({ "id": w.b.id })).await;
    assert_eq!(body, json!({ "data": { "retailer": null } }));
    let (_, body) = post(&base, None, retailers, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    // REST: the same visibility, and 401 without a valid token.
    let client = reqwest::Client::new();
    for (token, n) in [(Some(&admin), 3), (Some(&brand), 3), (Some(&a), 1), (Some(&b), 2)] {
        let res = client.get(format!("{base}/api/campaigns")).bearer_auth(token.unwrap()).send().await.unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["totalCount"], n);
    }
    let res = client.get(format!("{base}/api/campaigns/{}", w.y)).bearer_auth(&a).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = client.get(format!("{base}/api/campaigns/{}", w.x)).bearer_auth(&a).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["performance"]["totalEmailsSent"], 2);
    assert_eq!(client.get(format!("{base}/api/campaigns")).send().await.unwrap().status(), 401);
    for bad in [&expired, &tampered, &inactive] {
        let res = client.get(format!("{base}/api/campaigns")).bearer_auth(bad).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }

    // me: each caller is themselves.
    for (token, user) in [(&admin, &w.admin), (&brand, &w.brand), (&a, &w.a), (&b, &w.b)] {
        let (_, body) = post(&base, Some(token), "{ me { id email userType } }", json!({})).await;
        assert_eq!(body["data"]["me"]["id"], json!(user.id));
    }

    // Mutations: administrators only.
    let create = "mutation($e: String!) { createUser(input: { email: $e, name: \"New\", userType: RETAILER, region: EAST }) { id email isActive } }";
    for (token, expected) in [(&brand, "FORBIDDEN"), (&a, "FORBIDDEN")] {
        let (_, body) = post(&base, Some(token), create, json!({ "e": "x@shop.example" })).await;
        assert_eq!(code(&body), expected, "{body}");
    }
    let (_, body) = post(&base, None, create, json!({ "e": "x@shop.example" })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let (_, body) = post(&base, Some(&admin), create, json!({ "e": "New@Shop.example" })).await;
    assert_eq!(body["data"]["createUser"]["email"], "new@shop.example");
    let (_, body) = post(&base, Some(&admin), create, json!({ "e": "new@shop.example" })).await;
    assert_eq!(code(&body), "CONFLICT");
    let (_, body) = post(&base, Some(&admin), create, json!({ "e": "no-at-sign" })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    let update =
        "mutation($id: UUID!) { updateUser(id: $id, input: { name: \"Renamed\", region: null }) { name region } }";
    let (_, body) = post(&base, Some(&b), update, json!({ "id": w.a.id })).await;
    assert_eq!(code(&body), "FORBIDDEN");
    let (_, body) = post(&base, Some(&admin), update, json!({ "id": w.a.id })).await;
    assert_eq!(body["data"]["updateUser"], json!({ "name": "Renamed", "region": null }));
    let (_, body) = post(&base, Some(&admin), update, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(code(&body), "NOT_FOUND");

    // Deactivation stops the user's tokens at once.
    let deactivate = "mutation($id: UUID!) { deactivateUser(id: $id) { isActive } }";
    let (_, body) = post(&base, Some(&brand), deactivate, json!({ "id": w.a.id })).await;
    assert_eq!(code(&body), "FORBIDDEN");
    let (status, _) = post(&base, Some(&a), "{ me { id } }", json!({})).await;
    assert_eq!(status, 200);
    let (_, body) = post(&base, Some(&admin), deactivate, json!({ "id": w.a.id })).await;
    assert_eq!(body["data"]["deactivateUser"]["isActive"], false);
    let (status, body) = post(&base, Some(&a), "{ me { id } }", json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"));
});

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

db_test!(hostile_requests_are_refused_quickly_while_others_are_served, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    campaign("Served").insert(&*db).await;
    let base = serve(test_state(&db, Limits::default())).await;
    let token = token_for(brand.id);
    let client = reqwest::Client::new();

    // Keep a normal client busy the whole time: every one of its requests must succeed.
    let normal = {
        let (base, token) = (base.clone(), token.clone());
        tokio::spawn(async move {
            for _ in 0..20 {
                let (status, body) = post(&base, Some(&token), "{ campaigns { totalCount } }", json!({})).await;
                assert_eq!((status, &body["data"]["campaigns"]["totalCount"]), (StatusCode::OK, &json!(1)), "{body}");
            }
        })
    };

    let timed = |label: &'static str, started: Instant| {
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(2), "{label} took {elapsed:?}");
    };

    let deep = format!(
        "{{ campaigns {{ edges {{ node {} id {} }} }} }}",
        "emailCampaigns { campaign { ".repeat(12),
        "} } ".repeat(12)
    );
    let t = Instant::now();
    let (_, body) = post(&base, Some(&token), &deep, json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    timed("depth", t);

    let deeper = format!("{{ {} me {{ id }} {} }}", "a: campaigns { edges { node { ".repeat(10), "} } } ".repeat(10));
    let (_, body) = post(&base, Some(&token), &deeper, json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "depth 50: {body}");

    let aliases: String = (0..1_000).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let t = Instant::now();
    let (_, body) = post(&base, Some(&token), &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("1000 aliases"));
    timed("aliases", t);

    let t = Instant::now();
    let (_, body) =
        post(&base, Some(&token), "{ campaigns(first: 100000) { edges { node { id name } } } }", json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    timed("first", t);

    let batch: Vec<Value> = (0..1000).map(|_| json!({ "query": "{ me { id } }" })).collect();
    let t = Instant::now();
    let res = client.post(format!("{base}/graphql")).bearer_auth(&token).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(code(&res.json().await.unwrap()), "BAD_USER_INPUT");
    timed("batch", t);

    // 10 MB announced: refused from the headers alone, before any of the body is read.
    let t = Instant::now();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await.unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    timed("body", t);

    let t = Instant::now();
    let res = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { deactivateUser(id: \"00000000-0000-0000-0000-000000000000\") { id } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(code(&res.json().await.unwrap()), "BAD_USER_INPUT");
    timed("text/plain", t);

    let t = Instant::now();
    let res = client
        .get(format!("{base}/graphql"))
        .bearer_auth(&token)
        .query(&[(
            "query",
            "mutation { createUser(input: { email: \"get@x.example\", name: \"G\", userType: ADMIN }) { id } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(code(&res.json().await.unwrap()), "BAD_USER_INPUT");
    timed("GET mutation", t);
    let created = campaign_performance::services::users::find_by_email(&*db, "get@x.example").await.unwrap();
    assert!(created.is_none(), "a GET ran a mutation");

    normal.await.unwrap();
});

db_test!(batches_rate_limits_timeouts_introspection_and_cors_follow_their_settings, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let token = token_for(brand.id);
    let client = reqwest::Client::new();

    // Batching when turned on, up to its size.
    let base = serve(test_state(&db, Limits { max_batch: 3, ..Limits::default() })).await;
    let batch = |n: usize| (0..n).map(|_| json!({ "query": "{ me { id } }" })).collect::<Vec<_>>();
    let res = client.post(format!("{base}/graphql")).bearer_auth(&token).json(&batch(3)).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);
    assert_eq!(body[2]["data"]["me"]["id"], json!(brand.id));
    let res = client.post(format!("{base}/graphql")).bearer_auth(&token).json(&batch(4)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(code(&res.json().await.unwrap()), "QUERY_TOO_COMPLEX");

    // Rate limit: 60 a minute allows a burst of 6, then 429 with Retry-After.
    let base = serve(test_state(&db, Limits { rate_limit_per_minute: 60, ..Limits::default() })).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..8 {
        let res = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(code(&res.json().await.unwrap()), "RATE_LIMITED");
        }
    }
    assert_eq!(statuses[..6], [200; 6]);
    assert_eq!(statuses[6..], [429, 429]);
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    // Another token has its own allowance.
    let other = retailer("Other", Region::West).user_type(UserType::Brand).insert(&*db).await;
    let (status, _) = post(&base, Some(&token_for(other.id)), "{ me { id } }", json!({})).await;
    assert_eq!(status, 200);

    // Introspection: on by default, off by the flag; the GraphiQL page loads either way.
    let introspect = "{ __schema { queryType { name } } }";
    let base = serve(test_state(&db, Limits::default())).await;
    let (_, body) = post(&base, None, introspect, json!({})).await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let base = serve(test_state(&db, Limits { disable_introspection: true, ..Limits::default() })).await;
    let (_, body) = post(&base, Some(&token), introspect, json!({})).await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    assert_eq!(client.get(format!("{base}/graphql")).send().await.unwrap().status(), 200);

    // CORS: only listed origins are answered.
    let base = serve(test_state(
        &db,
        Limits { cors_allowed_origins: vec!["https://dash.example".into()], ..Limits::default() },
    ))
    .await;
    for (origin, allowed) in [("https://dash.example", true), ("https://evil.example", false)] {
        let res = client
            .request(reqwest::Method::OPTIONS, format!("{base}/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
            .await
            .unwrap();
        let header = res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header.as_deref() == Some(origin), allowed, "{origin}: {header:?}");
    }
});

db_test!(database_errors_reach_clients_as_internal_with_a_request_id_and_nothing_else, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    campaign("Broken").insert(&*db).await;
    let base = serve(test_state(&db, Limits::default())).await;
    // Break the schema under the running server.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("DROP VIEW campaign_performance_summary").await.unwrap();
    db.execute_unprepared("DROP TABLE order_rollups").await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token_for(brand.id))
        .json(&json!({ "query": "{ campaigns { edges { node { name performance { totalRevenue } } } } }" }))
        .send()
        .await
        .unwrap();
    let request_id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(code(&body), "INTERNAL");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], json!(request_id));
    let lower = text.to_lowercase();
    for leak in [
        "order_rollups",
        "ecommerce_orders",
        "select",
        "from ",
        "sqlx",
        "sqlite",
        "postgres",
        "relation",
        "no such table",
        ".rs",
        "/work",
        "/root",
    ] {
        assert!(!lower.contains(leak), "response leaks {leak:?}: {text}");
    }
    // REST too, and a client's own well-formed request id is kept (a malformed one replaced).
    for (sent, kept) in [("client-req.42", true), ("bad id\twith spaces", false)] {
        let res = reqwest::Client::new()
            .get(format!("{base}/api/campaigns"))
            .bearer_auth(token_for(brand.id))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
        assert_eq!(id == sent, kept, "{id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(code(&body), "INTERNAL");
        assert_eq!(body["errors"][0]["extensions"]["requestId"], json!(id), "{body}");
        assert_eq!(body["errors"][0]["message"], format!("internal error (request id {id})"));
    }
});

/// A request that outlives its timeout is cut with a code, and PostgreSQL cancels its
/// statement (`statement_timeout`). PostgreSQL only: a table lock makes the request wait
/// there, while SQLite's WAL readers never wait for a writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_timeout_is_cut_and_its_statement_cancelled() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL-only test skipped");
        return;
    };
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    campaign("Locked").insert(&*db).await;
    let timeout = Duration::from_secs(1);
    let served = campaign_performance::db::connect(&db.url, Duration::from_secs(5), Some(timeout)).await.unwrap();
    let limits = Limits { request_timeout_secs: 1, max_in_flight: 1, ..Limits::default() };
    let base = serve(test_state(&served, limits)).await;

    let lock = db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let started = Instant::now();
    let waiting = {
        let (base, token) = (base.clone(), token_for(brand.id));
        tokio::spawn(async move { post(&base, Some(&token), "{ campaigns { totalCount } }", json!({})).await })
    };
    // While it waits, the same token's next request is over its share in flight (1 here).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = post(&base, Some(&token_for(brand.id)), "{ me { id } }", json!({})).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("in flight"), "{body}");
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "TIMEOUT", "{body}");
    assert!(body["errors"][0]["extensions"]["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // The waiting statement is gone while the lock is still held.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%campaigns%' AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<i64>("", "n").unwrap() == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the timed-out statement is still waiting in PostgreSQL");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    lock.rollback().await.unwrap();
}

/// `{ me { ...F0 } }` with fragment Fi spreading F(i+1) twice: 2^n fields once expanded.
fn fragment_doubling(n: usize) -> String {
    let mut text = "{ me { ...F0 } }".to_owned();
    for i in 0..n {
        text.push_str(&format!(" fragment F{i} on User {{ ...F{} ...F{} }}", i + 1, i + 1));
    }
    text + &format!(" fragment F{n} on User {{ id }}")
}

/// Hostile shapes, generated by class and size: each is answered or refused quickly, without
/// a token where none is needed to hurt, and a bystander's requests keep their pace.
fn hostile_documents() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for n in [10, 16, 20, 24, 28, 32, 40] {
        docs.push((format!("fragment doubling 2^{n}"), fragment_doubling(n)));
    }
    for n in [2_000, 24_000] {
        docs.push((
            format!("{n} repeated aggregates"),
            format!("{{ {} }}", "portfolioSummary { totalRevenue } ".repeat(n)),
        ));
        docs.push((
            format!("{n} repeated totalCounts"),
            format!("{{ {} }}", "campaigns(first: 1) { totalCount } ".repeat(n)),
        ));
    }
    let aliases: String = (0..200).map(|i| format!("a{i}: id ")).collect();
    docs.push((
        "aliases through fragments".into(),
        format!("{{ me {{ ...A ...A ...A }} }} fragment A on User {{ {aliases} }}"),
    ));
    docs.push((
        "directive spam".into(),
        format!("{{ me {{ {} }} }}", "id @include(if: true) @skip(if: false) ".repeat(500)),
    ));
    let of_type = |n: usize| format!("{} name {}", "ofType { ".repeat(n), "} ".repeat(n));
    docs.push(("deep introspection".into(), format!("{{ __schema {{ types {{ {} }} }} }}", of_type(200))));
    docs.push((
        "wide introspection".into(),
        format!("{{ {} }}", "__schema { types { name fields { name } } } ".repeat(300)),
    ));
    docs
}

/// The type an introspected type reference names, through its lists and non-nulls.
fn named(ty: &Value) -> &Value {
    if ty["ofType"].is_null() { ty } else { named(&ty["ofType"]) }
}

/// A field (from introspection) at its costliest: pages of 100, required arguments filled
/// (a UUID with `uuid`, an ID with `node`, lists with 100 of them), and every field of its
/// type to `depth` levels below; `None` where an argument cannot be filled or nothing fits.
fn costliest(
    types: &std::collections::HashMap<&str, &Value>,
    field: &Value,
    depth: usize,
    uuid: &str,
    node: &str,
) -> Option<String> {
    let mut args = Vec::new();
    for arg in field["args"].as_array().into_iter().flatten() {
        let name = arg["name"].as_str().unwrap();
        if name == "first" {
            args.push("first: 100".to_owned());
            continue;
        }
        if arg["type"]["kind"] != "NON_NULL" {
            continue;
        }
        let ty = named(&arg["type"]);
        let one = match (ty["kind"].as_str().unwrap(), ty["name"].as_str().unwrap()) {
            ("ENUM", enum_name) => types[enum_name]["enumValues"][0]["name"].as_str().unwrap().to_owned(),
            (_, "UUID") => format!("{uuid:?}"),
            (_, "ID") => format!("{node:?}"),
            (_, "Int") => "100".into(),
            (_, "Float") => "1".into(),
            (_, "Boolean") => "true".into(),
            (_, "String") => "\"x\"".into(),
            (_, "DateTime") => "\"2025-01-01T00:00:00Z\"".into(),
            _ => return None,
        };
        let list = arg["type"]["ofType"]["kind"] == "LIST";
        args.push(format!("{name}: {}", if list { format!("[{}]", vec![one; 100].join(", ")) } else { one }));
    }
    let name = field["name"].as_str().unwrap();
    let head = if args.is_empty() { name.to_owned() } else { format!("{name}({})", args.join(", ")) };
    let ty = named(&field["type"]);
    match ty["kind"].as_str().unwrap() {
        "SCALAR" | "ENUM" => Some(head),
        _ if depth == 0 => None,
        _ => {
            let inner = types[ty["name"].as_str().unwrap()];
            let subs: Vec<String> = inner["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| costliest(types, f, depth - 1, uuid, node))
                .collect();
            (!subs.is_empty()).then(|| format!("{head} {{ __typename {} }}", subs.join(" ")))
        }
    }
}

/// Every root query field of the schema (read by introspection) at its costliest, two and
/// four levels deep.
fn costliest_root_fields(schema: &Value, uuid: &str, node: &str) -> Vec<(String, String)> {
    let types: std::collections::HashMap<&str, &Value> =
        schema["__schema"]["types"].as_array().unwrap().iter().map(|t| (t["name"].as_str().unwrap(), t)).collect();
    let root = types[schema["__schema"]["queryType"]["name"].as_str().unwrap()];
    let mut docs = Vec::new();
    for field in root["fields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap();
        for depth in [2, 4] {
            let selection = costliest(&types, field, depth, uuid, node)
                .unwrap_or_else(|| panic!("no query could be made for the root field {name}"));
            docs.push((format!("costliest {name}, {depth} deep"), format!("{{ {selection} }}")));
        }
    }
    assert!(docs.len() >= 18, "{} root field queries", docs.len());
    docs
}

/// A figure of this process from `/proc/self/status` (`VmRSS`, `VmHWM`), in bytes.
fn memory(figure: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(figure)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

db_test!(hostile_shapes_are_refused_in_time_linear_in_the_document_while_a_bystander_keeps_its_pace, |db| {
    // The demo's data, so that what is answered reads real rows (27,037 sends).
    campaign_performance::demo::load(&*db, false).await.unwrap();
    let brand = campaign_performance::services::users::find_by_email(&*db, campaign_performance::demo::BRAND_EMAIL)
        .await
        .unwrap()
        .unwrap();
    // The rate limit would stop the bystander before the shapes could slow it.
    let base = serve(test_state(&db, Limits { rate_limit_per_minute: 1_000_000, ..Limits::default() })).await;
    let token = token_for(brand.id);
    // The attacker holds the most rights there are (an administrator's token), or none.
    let admin = campaign_performance::services::users::find_by_email(&*db, campaign_performance::demo::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let admin_token = token_for(admin.id);
    let (_, known) =
        post(&base, Some(&token), "{ campaigns(first: 1) { totalCount edges { node { id nodeId } } } }", json!({}))
            .await;
    let campaigns = known["data"]["campaigns"]["totalCount"].clone();
    let first = &known["data"]["campaigns"]["edges"][0]["node"];
    let (_, schema) = post(&base, None, include_str!("fixtures/graphql-js-introspection.graphql"), json!({})).await;
    let mut documents = hostile_documents();
    documents.extend(costliest_root_fields(
        &schema["data"],
        first["id"].as_str().unwrap(),
        first["nodeId"].as_str().unwrap(),
    ));
    // The bystander's request times, `rounds` in a row.
    let bystander = |rounds: usize| {
        let (base, token, campaigns) = (base.clone(), token.clone(), campaigns.clone());
        async move {
            let mut times = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                let (status, body) = post(&base, Some(&token), "{ campaigns { totalCount } }", json!({})).await;
                assert_eq!((status, &body["data"]["campaigns"]["totalCount"]), (StatusCode::OK, &campaigns), "{body}");
                times.push(t.elapsed());
            }
            times
        }
    };
    // Idle and busy samples taken in turns, so that whatever else the machine does weighs on
    // both alike; while busy, the hostile document is sent three times over.
    let (mut idle, mut busy) = (Vec::new(), Vec::new());
    // Memory: the peak resident size from here on (reset), against the size now.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let resident = memory("VmRSS:");
    let mut answered = 0;
    for (class, doc) in documents {
        for token in [None, Some(admin_token.clone())] {
            idle.extend(bystander(20).await);
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let attacker = {
                let (base, doc, class, stop) = (base.clone(), doc.clone(), class.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut sent = 0;
                    let mut last = Value::Null;
                    while sent < 3 && (sent == 0 || !stop.load(std::sync::atomic::Ordering::Relaxed)) {
                        let t = Instant::now();
                        let (status, body) = post(&base, token.as_deref(), &doc, json!({})).await;
                        let took = t.elapsed();
                        assert!(took < Duration::from_secs(1), "{class}: {took:?}");
                        assert!(status == StatusCode::OK || status.is_client_error(), "{class}: {status} {body}");
                        if body["errors"].is_array() {
                            assert!(
                                matches!(
                                    code(&body),
                                    "QUERY_TOO_COMPLEX" | "BAD_USER_INPUT" | "UNAUTHENTICATED" | "FORBIDDEN"
                                ),
                                "{class}: {body}"
                            );
                        }
                        sent += 1;
                        last = body;
                    }
                    last["errors"].is_null() && last["data"].is_object()
                })
            };
            busy.extend(bystander(20).await);
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            answered += usize::from(attacker.await.unwrap());
        }
    }
    let peak = memory("VmHWM:").saturating_sub(resident);
    eprintln!("{answered} hostile requests answered with data; peak resident growth {} MB", peak / (1 << 20));
    assert!(peak < 150 << 20, "the hostile requests raised the resident size by {} MB", peak / (1 << 20));
    assert!(answered > 0, "no costliest query was answered: the suite tests refusals only");
    let quantile = |times: &mut Vec<Duration>, q: usize| {
        times.sort();
        times[times.len() * q / 100]
    };
    let (p50, p99) =
        ((quantile(&mut idle, 50), quantile(&mut busy, 50)), (quantile(&mut idle, 99), quantile(&mut busy, 99)));
    // Measured, not assumed: beside hostile requests the bystander's median and its p99 each
    // stay within twice their idle values (idle and busy samples taken in turns, so whatever
    // else the machine does weighs on both alike, 20 of each per class and token; 2 ms allowed
    // for scheduling on this 2-core machine, where the answered costliest queries (up to
    // ~180 ms of a debug build's work each) share the cores with the bystander and PostgreSQL).
    eprintln!("bystander p50 {:?} busy against {:?} idle; p99 {:?} against {:?}", p50.1, p50.0, p99.1, p99.0);
    assert!(p50.1 <= p50.0 * 2 + Duration::from_millis(1), "bystander p50 {:?} against {:?} idle", p50.1, p50.0);
    assert!(p99.1 <= p99.0 * 2 + Duration::from_millis(2), "bystander p99 {:?} against {:?} idle", p99.1, p99.0);
});

db_test!(graphql_js_standard_introspection_query_is_answered_under_the_default_limits, |db| {
    let base = serve(test_state(&db, Limits::default())).await;
    let query = include_str!("fixtures/graphql-js-introspection.graphql");
    let (status, body) = post(&base, None, query, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["errors"].is_null(), "{}", body["errors"]);
    // This schema has no description (async-graphql would answer `__Schema`'s own).
    assert!(body["data"]["__schema"]["description"].is_null(), "{}", body["data"]["__schema"]["description"]);
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    let campaign = types.iter().find(|t| t["name"] == "Campaign").unwrap();
    assert!(
        campaign["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "performance" && f["description"].is_string())
    );
    // The depth limit still guards data fields.
    let deep = format!(
        "{{ campaigns {{ edges {{ node {} id {} }} }} }}",
        "emailCampaigns { campaign { ".repeat(6),
        "} } ".repeat(6)
    );
    let (_, body) = post(&base, Some(&token_for(Uuid::new_v4())), &deep, json!({})).await;
    assert!(matches!(code(&body), "QUERY_TOO_COMPLEX" | "UNAUTHENTICATED"), "{body}");
});

db_test!(a_client_trickling_its_headers_or_body_is_cut_off_while_others_are_served, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let base = serve(test_state(&db, Limits { read_timeout_secs: 1, ..Limits::default() })).await;
    let addr = base.trim_start_matches("http://").to_owned();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Headers, one byte every 200 ms: the connection is closed once a second has passed.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    let head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ";
    let mut closed = false;
    for byte in head.iter().cycle().take(60) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(200), slow.read(&mut buf)).await {
            // The server answers 408 or simply closes.
            closed = n == 0 || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408");
            if closed {
                break;
            }
        }
    }
    assert!(closed, "a trickled request is still open after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // Headers sent, the body trickled: 408 once a second has passed.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        token_for(brand.id)
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    for _ in 0..40 {
        if slow.write_all(b" ").await.is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(100), slow.read(&mut buf)).await {
            answer = String::from_utf8_lossy(&buf[..n]).into_owned();
            break;
        }
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?} after {:?}", started.elapsed());

    // Meanwhile a normal client is served.
    let (status, body) = post(&base, Some(&token_for(brand.id)), "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
});

db_test!(refused_tokens_count_against_their_address_in_the_rate_limit, |db| {
    // 50 a minute, in bursts of 5.
    let base = serve(test_state(&db, Limits { rate_limit_per_minute: 50, ..Limits::default() })).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (status, _) = post(&base, Some(&format!("not-a-token-{i}")), "{ me { id } }", json!({})).await;
        statuses.push(status.as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "guessing tokens is rate-limited: {statuses:?}");
});

// A field that runs its own statement costs it against the complexity limit, and a page's
// size multiplies it: a hundred campaigns' names fit a limit of 1,000, a hundred campaigns'
// `performance` (a statement each) does not; a connection's page and count cost their
// statement once (45 one-row `totalCount`s fit, 91 do not).
db_test!(fields_that_run_statements_cost_them_and_page_sizes_multiply, |db| {
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    campaign("Priced").insert(&*db).await;
    let base = serve(test_state(&db, Limits { max_complexity: 1_000, ..Limits::default() })).await;
    let token = token_for(brand.id);
    let (_, body) = post(&base, Some(&token), "{ campaigns(first: 100) { edges { node { name } } } }", json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = post(
        &base,
        Some(&token),
        "{ campaigns(first: 100) { edges { node { performance { openRate } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    let counts: String = (0..45).map(|i| format!("c{i}: campaigns(first: 1) {{ totalCount }} ")).collect();
    let (_, body) = post(&base, Some(&token), &format!("{{ {counts} }}"), json!({})).await;
    assert!(body["errors"].is_null(), "45 totalCounts fit: {body}");
    let counts: String = (0..91).map(|i| format!("c{i}: campaigns(first: 1) {{ totalCount }} ")).collect();
    let big = Limits { max_complexity: 1_000, max_aliases: 200, ..Limits::default() };
    let base = serve(test_state(&db, big)).await;
    let (_, body) = post(&base, Some(&token), &format!("{{ {counts} }}"), json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
});
