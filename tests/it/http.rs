//! The real HTTP server on a loopback port: routes, status codes, GraphiQL.

use crate::common::*;
use serde_json::{Value, json};

/// A request's JSON answer.
trait Answer {
    async fn answer(self) -> Value;
}

impl Answer for reqwest::RequestBuilder {
    async fn answer(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

db_test!(health_readiness_graphiql_and_graphql_answer_over_http, |db| {
    campaign("Over HTTP").insert(&*db).await;
    let brand =
        retailer("Brand", entity::enums::Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    let base = serve(test_state(&db, Default::default())).await;
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap(), json!({ "status": "ok" }));
    assert_eq!(client.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);

    let page = client.get(format!("{base}/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.to_lowercase().contains("graphiql"));
    // GraphiQL needs no other host: every asset the page names is served here.
    assert!(!page.contains("//cdn") && !page.contains("https://"), "{page}");
    let assets: Vec<&str> = page.split('"').filter(|part| part.starts_with("/graphql/assets/")).collect();
    assert!(assets.len() >= 5, "{page}");
    for asset in assets {
        let res = client.get(format!("{base}{asset}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let body = res.text().await.unwrap();
        assert!(body.len() > 100, "{asset}");
    }
    let missing = client.get(format!("{base}/graphql/assets/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token_for(brand.id))
        .json(
            &json!({ "query": "{ campaigns { totalCount edges { node { name performance { totalEmailsSent } } } } }" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "data": { "campaigns": { "totalCount": 1, "edges": [ { "node": { "name": "Over HTTP", "performance": { "totalEmailsSent": 0 } } } ] } } })
    );

    // Readiness follows the database: with the pool closed, /readyz says so and /healthz
    // still answers.
    db.close_by_ref().await.unwrap();
    assert_eq!(client.get(format!("{base}/readyz")).send().await.unwrap().status(), 503);
    assert_eq!(client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
});

// What standard clients do, over HTTP on the demo data: urql's GET, Apollo's persisted
// queries (hash alone, then hash and text, then hash alone again, also by GET), gzip and
// brotli answers, Relay's `node`/`nodes`, and roots named as clients expect.
db_test!(standard_clients_get_persisted_queries_compression_and_relay_nodes, |db| {
    use sha2::{Digest, Sha256};
    campaign_performance::demo::load(&*db, false).await.unwrap();
    let brand = campaign_performance::services::users::find_by_email(&*db, campaign_performance::demo::BRAND_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let token = token_for(brand.id);
    let base = serve(test_state(&db, Default::default())).await;
    let client = reqwest::Client::new();
    let post = |body: Value| client.post(format!("{base}/graphql")).bearer_auth(&token).json(&body);
    let query = "query Sent($s: [CampaignStatus!]) { campaigns(filter: { status: $s }) { totalCount edges { node { name performance { totalEmailsSent } } } } }";
    let variables = json!({ "s": ["ACTIVE"] });
    let expected: Value = post(json!({ "query": query, "variables": variables })).answer().await;
    assert_eq!(expected["data"]["campaigns"]["edges"][0]["node"]["performance"]["totalEmailsSent"], 27037);

    // GET, as urql sends it: the same answer; a mutation by GET is 405 and runs nothing.
    let got: Value = client
        .get(format!("{base}/graphql"))
        .bearer_auth(&token)
        .query(&[("query", query), ("variables", &variables.to_string()), ("operationName", "Sent")])
        .answer()
        .await;
    assert_eq!(got, expected);

    // Apollo's persisted queries: unknown hash, then registered, then by hash alone (POST and GET).
    let hash: String = Sha256::digest(query.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let miss: Value = post(json!({ "variables": variables, "extensions": extensions })).answer().await;
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound", "{miss}");
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } });
    let refused: Value = post(json!({ "query": query, "variables": variables, "extensions": wrong })).answer().await;
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("sha256Hash"), "{refused}");
    let registered: Value =
        post(json!({ "query": query, "variables": variables, "extensions": extensions })).answer().await;
    assert_eq!(registered, expected);
    let hit: Value = post(json!({ "variables": variables, "extensions": extensions })).answer().await;
    assert_eq!(hit, expected);
    let hit_by_get: Value = client
        .get(format!("{base}/graphql"))
        .bearer_auth(&token)
        .query(&[("variables", variables.to_string()), ("extensions", extensions.to_string())])
        .answer()
        .await;
    assert_eq!(hit_by_get, expected);

    // Compressed answers, when asked for, decode to the same JSON.
    let big = "{ campaigns { edges { node { name retailerPerformance { retailer { name region } totalEmailsSent emailsDelivered openRate clickRate revenue } } } } }";
    let plain = post(json!({ "query": big })).send().await.unwrap().bytes().await.unwrap();
    assert!(plain.len() > 2000 && !String::from_utf8_lossy(&plain).contains("errors"), "{plain:?}");
    for encoding in ["gzip", "br"] {
        let res = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .header("accept-encoding", encoding)
            .json(&json!({ "query": big }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], encoding);
        let packed = res.bytes().await.unwrap();
        let mut unpacked = Vec::new();
        match encoding {
            "gzip" => {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&packed[..]), &mut unpacked).unwrap();
            }
            _ => {
                std::io::Read::read_to_end(
                    &mut brotli_decompressor::Decompressor::new(&packed[..], 4096),
                    &mut unpacked,
                )
                .unwrap();
            }
        }
        assert_eq!(unpacked, plain.to_vec(), "{encoding}");
        assert!(packed.len() * 3 < plain.len(), "{encoding}: {} of {} bytes", packed.len(), plain.len());
    }

    // Relay: every node's global id finds it again, alone and in a batch, with its type.
    let listed: Value = post(json!({ "query": "{ campaigns(first: 1, filter: { status: [ACTIVE] }) { edges { node { nodeId id name
        emailCampaigns { nodeId id sends(first: 1) { edges { node { nodeId id retailer { nodeId id } } } } }
        conversions(first: 1) { edges { node { nodeId id } } } orders(first: 1) { edges { node { nodeId id } } } } } } }" })).answer().await;
    let c = &listed["data"]["campaigns"]["edges"][0]["node"];
    let e = &c["emailCampaigns"][0];
    let s = &e["sends"]["edges"][0]["node"];
    let nodes = [
        ("Campaign", &c["nodeId"], &c["id"]),
        ("EmailCampaign", &e["nodeId"], &e["id"]),
        ("EmailSend", &s["nodeId"], &s["id"]),
        ("User", &s["retailer"]["nodeId"], &s["retailer"]["id"]),
        ("CrmConversion", &c["conversions"]["edges"][0]["node"]["nodeId"], &c["conversions"]["edges"][0]["node"]["id"]),
        ("EcommerceOrder", &c["orders"]["edges"][0]["node"]["nodeId"], &c["orders"]["edges"][0]["node"]["id"]),
    ];
    let node_query = "query($id: ID!) { node(id: $id) { __typename nodeId ... on Campaign { id } ... on EmailCampaign { id } ... on EmailSend { id } ... on User { id } ... on CrmConversion { id } ... on EcommerceOrder { id } } }";
    let mut ids = Vec::new();
    for (typename, node_id, id) in nodes {
        assert!(node_id.is_string(), "{typename}: {listed}");
        let found: Value = post(json!({ "query": node_query, "variables": { "id": node_id } })).answer().await;
        assert_eq!(found["data"]["node"], json!({ "__typename": typename, "nodeId": node_id, "id": id }), "{found}");
        ids.push(node_id.clone());
    }
    ids.push(json!("bm90LWFuLWlk"));
    let batch: Value =
        post(json!({ "query": "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }", "variables": { "ids": ids } }))
            .answer()
            .await;
    assert_eq!(batch["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{batch}");
    ids.pop();
    let batch: Value =
        post(json!({ "query": "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }", "variables": { "ids": ids } }))
            .answer()
            .await;
    let got: Vec<&Value> = batch["data"]["nodes"].as_array().unwrap().iter().map(|n| &n["nodeId"]).collect();
    assert_eq!(got, ids.iter().collect::<Vec<_>>(), "{batch}");

    // The same visibility as every other way in: a retailer finds their own user, not the campaign's other retailers'.
    let cartier =
        campaign_performance::services::users::find_by_email(&*db, campaign_performance::demo::RETAILER_EMAIL)
            .await
            .unwrap()
            .unwrap();
    let own: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token_for(cartier.id))
        .json(&json!({ "query": "{ me { nodeId } }" }))
        .answer()
        .await;
    let own_id = own["data"]["me"]["nodeId"].clone();
    let seen: Value = client.post(format!("{base}/graphql")).bearer_auth(token_for(cartier.id))
        .json(&json!({ "query": "query($ids: [ID!]!) { nodes(ids: $ids) { nodeId } }", "variables": { "ids": [own_id, nodes_user(&listed)] } }))
        .answer().await;
    assert_eq!(seen["data"]["nodes"][0]["nodeId"], own_id, "{seen}");
    assert_ne!(nodes_user(&listed), own_id, "the other retailer must be another one");
    assert!(seen["data"]["nodes"][1].is_null(), "a retailer saw another retailer: {seen}");

    // Roots are named as clients' caches expect.
    let roots: Value =
        post(json!({ "query": "{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }" }))
            .answer()
            .await;
    assert_eq!(
        roots["data"]["__schema"],
        json!({ "queryType": { "name": "Query" }, "mutationType": { "name": "Mutation" }, "subscriptionType": { "name": "Subscription" } })
    );
});

fn nodes_user(listed: &Value) -> Value {
    listed["data"]["campaigns"]["edges"][0]["node"]["emailCampaigns"][0]["sends"]["edges"][0]["node"]["retailer"]["nodeId"]
        .clone()
}

// An error inside a non-null field makes the nearest nullable parent null, as the GraphQL
// spec says (not the failed field alone): `timeline` with too many buckets fails inside
// `campaign` (nullable: it becomes null), and inside `campaigns`' edges (all non-null up
// to the root: `data` becomes null); the error keeps its path.
db_test!(an_error_in_a_non_null_field_nulls_the_nearest_nullable_parent, |db| {
    let c = campaign("Nulls").insert(&*db).await;
    let brand =
        retailer("Brand", entity::enums::Region::East).user_type(entity::enums::UserType::Brand).insert(&*db).await;
    let base = serve(test_state(&db, Default::default())).await;
    let client = reqwest::Client::new();
    let post = |query: &str, variables: Value| {
        client
            .post(format!("{base}/graphql"))
            .bearer_auth(token_for(brand.id))
            .json(&json!({ "query": query, "variables": variables }))
    };
    let too_many =
        r#"timeline(interval: HOUR, from: "2000-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") { bucketStart }"#;
    let one = format!("query($id: UUID!) {{ campaign(id: $id) {{ name {too_many} }} me {{ name }} }}");
    let body: Value = post(&one, json!({ "id": c.id })).answer().await;
    assert_eq!(body["data"], json!({ "campaign": null, "me": { "name": "Brand" } }), "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["campaign", "timeline"]), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    let listed = format!("{{ campaigns {{ edges {{ node {{ name {too_many} }} }} }} }}");
    let body: Value = post(&listed, json!({})).answer().await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["campaigns", "edges", 0, "node", "timeline"]), "{body}");
});
