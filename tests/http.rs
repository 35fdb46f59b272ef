//! The real HTTP server on a loopback port: routes, status codes, GraphiQL.

mod common;

use common::*;
use serde_json::{Value, json};

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
    assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));

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
