//! Who may see and do what, over the real HTTP server, on both backends: a role × operation
//! matrix, hostile queries, and error masking.

use crate::common::*;
use campaign_performance::auth::Minter;
use campaign_performance::config::Limits;
use entity::enums::{OrderStatus, Region, UserType};
use entity::users;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

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
        let (status, body) = post_graphql(&base, Some(token), list, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(&body), expected);
        assert_eq!(body["data"]["campaigns"]["totalCount"], json!(expected.len()));
    }

    // Bad tokens: 401 and UNAUTHENTICATED before anything runs; anonymous: UNAUTHENTICATED on
    // every root field.
    for bad in [&expired, &tampered, &inactive, &"not-a-token".to_owned()] {
        let (status, body) = post_graphql(&base, Some(bad), list, json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    for query in [list, "{ me { id } }", "query($id: UUID!) { campaign(id: $id) { id } }"] {
        let (_, body) = post_graphql(&base, None, query, json!({ "id": w.x })).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
        assert!(body["data"].is_null() || body["data"].as_object().is_some_and(|d| d.values().all(Value::is_null)));
    }

    // campaign(id): invisible is the same as absent.
    let one = "query($id: UUID!) { campaign(id: $id) { id } }";
    let (_, body) = post_graphql(&base, Some(&a), one, json!({ "id": w.y })).await;
    assert_eq!(body, json!({ "data": { "campaign": null } }));
    let (_, body) = post_graphql(&base, Some(&a), one, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(body, json!({ "data": { "campaign": null } }));
    let (_, body) = post_graphql(&base, Some(&b), one, json!({ "id": w.y })).await;
    assert_eq!(body["data"]["campaign"]["id"], json!(w.y));

    // Aggregates and nested edges count only the retailer's own rows.
    let figures = "query($id: UUID!) { campaign(id: $id) {
        createdBy { id }
        performance { totalRetailers totalEmailsSent emailsOpened totalRevenue }
        emailCampaigns { subject campaign { id } performance { totalEmailsSent } } } }";
    let (_, body) = post_graphql(&base, Some(&brand), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"]["performance"],
        json!({ "totalRetailers": 2, "totalEmailsSent": 5, "emailsOpened": 2, "totalRevenue": "380.75" })
    );
    assert_eq!(body["data"]["campaign"]["emailCampaigns"][0]["performance"]["totalEmailsSent"], 5);
    let (_, body) = post_graphql(&base, Some(&a), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"],
        json!({ "createdBy": null,
                "performance": { "totalRetailers": 1, "totalEmailsSent": 2, "emailsOpened": 2, "totalRevenue": "110.50" },
                "emailCampaigns": [ { "subject": "X mail", "campaign": { "id": w.x }, "performance": { "totalEmailsSent": 2 } } ] })
    );
    let (_, body) = post_graphql(&base, Some(&b), figures, json!({ "id": w.x })).await;
    assert_eq!(
        body["data"]["campaign"]["performance"],
        json!({ "totalRetailers": 1, "totalEmailsSent": 3, "emailsOpened": 0, "totalRevenue": "270.25" })
    );
    let (_, body) = post_graphql(
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
        let (_, body) = post_graphql(&base, Some(token), nested, json!({ "id": w.x })).await;
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
        let (_, body) = post_graphql(&base, Some(token), retailers, json!({})).await;
        assert_eq!(body["data"]["retailers"]["totalCount"], n, "{body}");
    }
    let (_, body) =
        post_graphql(&base, Some(&a), "query($id: UUID!) { retailer(id: $id) { id } }", json!({ "id": w.b.id })).await;
    assert_eq!(body, json!({ "data": { "retailer": null } }));
    let (_, body) = post_graphql(&base, None, retailers, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

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
        let (_, body) = post_graphql(&base, Some(token), "{ me { id email userType } }", json!({})).await;
        assert_eq!(body["data"]["me"]["id"], json!(user.id));
    }

    // Mutations: administrators only.
    let create = "mutation($e: String!) { createUser(input: { email: $e, name: \"New\", userType: RETAILER, region: EAST }) { id email isActive } }";
    for (token, expected) in [(&brand, "FORBIDDEN"), (&a, "FORBIDDEN")] {
        let (_, body) = post_graphql(&base, Some(token), create, json!({ "e": "x@shop.example" })).await;
        assert_eq!(error_code(&body), expected, "{body}");
    }
    let (_, body) = post_graphql(&base, None, create, json!({ "e": "x@shop.example" })).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let (_, body) = post_graphql(&base, Some(&admin), create, json!({ "e": "New@Shop.example" })).await;
    assert_eq!(body["data"]["createUser"]["email"], "new@shop.example");
    let (_, body) = post_graphql(&base, Some(&admin), create, json!({ "e": "new@shop.example" })).await;
    assert_eq!(error_code(&body), "CONFLICT");
    let (_, body) = post_graphql(&base, Some(&admin), create, json!({ "e": "no-at-sign" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let update =
        "mutation($id: UUID!) { updateUser(id: $id, input: { name: \"Renamed\", region: null }) { name region } }";
    let (_, body) = post_graphql(&base, Some(&b), update, json!({ "id": w.a.id })).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let (_, body) = post_graphql(&base, Some(&admin), update, json!({ "id": w.a.id })).await;
    assert_eq!(body["data"]["updateUser"], json!({ "name": "Renamed", "region": null }));
    let (_, body) = post_graphql(&base, Some(&admin), update, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(error_code(&body), "NOT_FOUND");

    // Deactivation stops the user's tokens at once.
    let deactivate = "mutation($id: UUID!) { deactivateUser(id: $id) { isActive } }";
    let (_, body) = post_graphql(&base, Some(&brand), deactivate, json!({ "id": w.a.id })).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let (status, _) = post_graphql(&base, Some(&a), "{ me { id } }", json!({})).await;
    assert_eq!(status, 200);
    let (_, body) = post_graphql(&base, Some(&admin), deactivate, json!({ "id": w.a.id })).await;
    assert_eq!(body["data"]["deactivateUser"]["isActive"], false);
    let (status, body) = post_graphql(&base, Some(&a), "{ me { id } }", json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"));
});

// A retailer sees the campaigns that sent them an email (read from the `email_totals` rollup):
// moving or deleting sends moves what they see, in the same transaction as the change.
db_test!(a_retailer_sees_a_campaign_while_and_only_while_one_of_its_sends_is_theirs, |db| {
    use entity::{email_campaigns, email_sends};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = world(&db).await;
    let base = serve(test_state(&db, Limits::default())).await;
    let (a, b) = (token_for(w.a.id), token_for(w.b.id));
    let sees = |token: String| {
        let base = base.clone();
        async move {
            let (status, body) =
                post_graphql(&base, Some(&token), "{ campaigns { edges { node { id } } } }", json!({})).await;
            assert_eq!(status, 200, "{body}");
            ids(&body)
        }
    };
    assert_eq!(sees(a.clone()).await, sorted(&[w.x]));
    assert_eq!(sees(b.clone()).await, sorted(&[w.x, w.y]));

    // Y's sends go from B to A.
    let emails_of =
        |campaign: Uuid| email_campaigns::Entity::find().filter(email_campaigns::Column::CampaignId.eq(campaign));
    let ey: Vec<Uuid> = emails_of(w.y).all(&*db).await.unwrap().into_iter().map(|e| e.id).collect();
    email_sends::Entity::update_many()
        .col_expr(email_sends::Column::RetailerId, Expr::value(w.a.id))
        .filter(email_sends::Column::EmailCampaignId.is_in(ey))
        .exec(&*db)
        .await
        .unwrap();
    assert_eq!(sees(a.clone()).await, sorted(&[w.x, w.y]));
    assert_eq!(sees(b.clone()).await, sorted(&[w.x]));

    // A's sends of X are deleted: A still has a conversion and an order in X, but no email.
    let ex: Vec<Uuid> = emails_of(w.x).all(&*db).await.unwrap().into_iter().map(|e| e.id).collect();
    email_sends::Entity::delete_many()
        .filter(email_sends::Column::EmailCampaignId.is_in(ex))
        .filter(email_sends::Column::RetailerId.eq(w.a.id))
        .exec(&*db)
        .await
        .unwrap();
    assert_eq!(sees(a.clone()).await, sorted(&[w.y]));
    let (_, body) =
        post_graphql(&base, Some(&a), "query($id: UUID!) { campaign(id: $id) { id } }", json!({ "id": w.x })).await;
    assert!(body["data"]["campaign"].is_null(), "{body}");
    assert_eq!(sees(b).await, sorted(&[w.x]));
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
                let (status, body) = post_graphql(&base, Some(&token), "{ campaigns { totalCount } }", json!({})).await;
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
    let (_, body) = post_graphql(&base, Some(&token), &deep, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    timed("depth", t);

    let deeper = format!("{{ {} me {{ id }} {} }}", "a: campaigns { edges { node { ".repeat(10), "} } } ".repeat(10));
    let (_, body) = post_graphql(&base, Some(&token), &deeper, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "depth 50: {body}");

    let aliases: String = (0..1_000).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let t = Instant::now();
    let (_, body) = post_graphql(&base, Some(&token), &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("1000 aliases"));
    timed("aliases", t);

    let t = Instant::now();
    let (_, body) =
        post_graphql(&base, Some(&token), "{ campaigns(first: 100000) { edges { node { id name } } } }", json!({}))
            .await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    timed("first", t);

    let batch: Vec<Value> = (0..1000).map(|_| json!({ "query": "{ me { id } }" })).collect();
    let t = Instant::now();
    let res = client.post(format!("{base}/graphql")).bearer_auth(&token).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(&res.json().await.unwrap()), "BAD_USER_INPUT");
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
    assert_eq!(error_code(&res.json().await.unwrap()), "BAD_USER_INPUT");
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
    assert_eq!(error_code(&res.json().await.unwrap()), "BAD_USER_INPUT");
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
    assert_eq!(error_code(&res.json().await.unwrap()), "QUERY_TOO_COMPLEX");

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
            assert_eq!(error_code(&res.json().await.unwrap()), "RATE_LIMITED");
        }
    }
    assert_eq!(statuses[..6], [200; 6]);
    assert_eq!(statuses[6..], [429, 429]);
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    // Another token has its own allowance.
    let other = retailer("Other", Region::West).user_type(UserType::Brand).insert(&*db).await;
    let (status, _) = post_graphql(&base, Some(&token_for(other.id)), "{ me { id } }", json!({})).await;
    assert_eq!(status, 200);

    // Introspection: on by default, off by the flag; the GraphiQL page loads either way.
    let introspect = "{ __schema { queryType { name } } }";
    let base = serve(test_state(&db, Limits::default())).await;
    let (_, body) = post_graphql(&base, None, introspect, json!({})).await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let base = serve(test_state(&db, Limits { disable_introspection: true, ..Limits::default() })).await;
    let (_, body) = post_graphql(&base, Some(&token), introspect, json!({})).await;
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
    assert_eq!(error_code(&body), "INTERNAL");
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
        assert_eq!(error_code(&body), "INTERNAL");
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
        TestDb::skipped_without_postgres();
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
        tokio::spawn(async move { post_graphql(&base, Some(&token), "{ campaigns { totalCount } }", json!({})).await })
    };
    // While it waits, the same token's next request is over its share in flight (1 here).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = post_graphql(&base, Some(&token_for(brand.id)), "{ me { id } }", json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("in flight"), "{body}");
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX");
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

db_test!(graphql_js_standard_introspection_query_is_answered_under_the_default_limits, |db| {
    let base = serve(test_state(&db, Limits::default())).await;
    let query = include_str!("../fixtures/graphql-js-introspection.graphql");
    let (status, body) = post_graphql(&base, None, query, json!({})).await;
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
    let (_, body) = post_graphql(&base, Some(&token_for(Uuid::new_v4())), &deep, json!({})).await;
    assert!(matches!(error_code(&body), "QUERY_TOO_COMPLEX" | "UNAUTHENTICATED"), "{body}");
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
    let (status, body) = post_graphql(&base, Some(&token_for(brand.id)), "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
});

db_test!(refused_tokens_count_against_their_address_in_the_rate_limit, |db| {
    // 50 a minute, in bursts of 5.
    let base = serve(test_state(&db, Limits { rate_limit_per_minute: 50, ..Limits::default() })).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (status, _) = post_graphql(&base, Some(&format!("not-a-token-{i}")), "{ me { id } }", json!({})).await;
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
    let (_, body) =
        post_graphql(&base, Some(&token), "{ campaigns(first: 100) { edges { node { name } } } }", json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = post_graphql(
        &base,
        Some(&token),
        "{ campaigns(first: 100) { edges { node { performance { openRate } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    let counts: String = (0..45).map(|i| format!("c{i}: campaigns(first: 1) {{ totalCount }} ")).collect();
    let (_, body) = post_graphql(&base, Some(&token), &format!("{{ {counts} }}"), json!({})).await;
    assert!(body["errors"].is_null(), "45 totalCounts fit: {body}");
    let counts: String = (0..91).map(|i| format!("c{i}: campaigns(first: 1) {{ totalCount }} ")).collect();
    let big = Limits { max_complexity: 1_000, max_aliases: 200, ..Limits::default() };
    let base = serve(test_state(&db, big)).await;
    let (_, body) = post_graphql(&base, Some(&token), &format!("{{ {counts} }}"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
});
