//! The README's tour query returns exactly the answer the README shows, on the demo data.

use crate::common::*;
use campaign_performance::demo;
use serde_json::Value;

/// The body of the first fenced block after `marker` in the README.
fn block_after(readme: &str, marker: &str) -> String {
    let start = readme.find(marker).unwrap_or_else(|| panic!("README lacks {marker}"));
    let fence = readme[start..].find("```").unwrap() + start;
    let body = readme[fence..].find('\n').unwrap() + fence + 1;
    let end = readme[body..].find("```").unwrap() + body;
    readme[body..end].to_owned()
}

db_test!(the_readme_tour_answer_is_what_the_server_says, |db| {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let query = block_after(&readme, "<!-- tour-query -->");
    let answer: Value = serde_json::from_str(&block_after(&readme, "<!-- tour-answer -->")).unwrap();
    demo::load(&*db, false).await.unwrap();
    assert_eq!(gql(&db, &query, serde_json::json!({})).await, answer);
});
