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
         cargo run -- schema > schema.graphql\n\n(or UPDATE_SCHEMA=1 cargo test --test schema_sdl), then commit it."
    );
}
