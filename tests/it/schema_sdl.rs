//! `schema.graphql` is generated from the code and committed; this fails when they drift.

#[test]
fn schema_graphql_matches_the_code() {
    let generated = campaign_performance::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is out of date with the code. Regenerate it with\n\n    \
         cargo run -- schema > schema.graphql\n\n(or UPDATE_SCHEMA=1 cargo test --test it schema_sdl), then commit it."
    );
}

/// Every element a client sees has a description: each type, field, argument, enum value
/// and input field, read by introspection (graphql-js's full query, the one GraphiQL's docs
/// are built from), so nothing the schema grows can slip by.
#[tokio::test]
async fn every_element_of_the_schema_has_a_description() {
    let schema = campaign_performance::graphql::schema_builder().finish();
    let query = include_str!("../fixtures/graphql-js-introspection.graphql");
    let response = schema.execute(query).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let mut missing = Vec::new();
    let mut counted = 0;
    let mut check = |what: String, value: &serde_json::Value| {
        counted += 1;
        if value["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
            missing.push(what);
        }
    };
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") {
            continue;
        }
        check(format!("type {name}"), ty);
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap();
            check(format!("field {name}.{field_name}"), field);
            for arg in field["args"].as_array().into_iter().flatten() {
                check(format!("argument {name}.{field_name}({})", arg["name"].as_str().unwrap()), arg);
            }
        }
        for input in ty["inputFields"].as_array().into_iter().flatten() {
            check(format!("input field {name}.{}", input["name"].as_str().unwrap()), input);
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            check(format!("enum value {name}.{}", value["name"].as_str().unwrap()), value);
        }
    }
    assert!(counted > 600, "introspection found only {counted} elements");
    assert!(missing.is_empty(), "{} of {counted} elements have no description:\n{}", missing.len(), missing.join("\n"));
}
