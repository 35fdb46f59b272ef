//! `totalCount` of the connections of sends, conversions and orders comes from rollups (or,
//! with a time range, from at most 1,000 rows); pages come from the rows. For every filter
//! their input types offer (read from the schema: each value alone, and each pair of values
//! of two list or boolean fields), under every parent, as the brand and as a retailer, the
//! count equals the number of rows its pages hold (sends: in every ordering), capped at
//! 1,000 with a time range.

use crate::common::*;
use entity::users;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

/// Sample values of each field of a filter input type, from its type in the schema; `None`
/// for a field whose values cannot be paired (ids, time ranges).
async fn filter_values(
    db: &DatabaseConnection,
    input: &str,
    retailer: &str,
    windows: &[Value],
) -> Vec<(String, Vec<Value>, bool)> {
    let q = r#"query($n: String!) { __type(name: $n) { inputFields { name type {
        kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"#;
    let data = gql(db, q, json!({ "n": input })).await;
    let mut out = Vec::new();
    for field in data["__type"]["inputFields"].as_array().unwrap() {
        let name = field["name"].as_str().unwrap().to_owned();
        let ty = &field["type"];
        // The innermost named type, and whether it is a list.
        let (mut inner, mut list) = (ty, false);
        while inner["name"].is_null() {
            list |= inner["kind"] == "LIST";
            inner = &inner["ofType"];
        }
        let (values, pairable) = match (inner["kind"].as_str().unwrap(), inner["name"].as_str().unwrap(), list) {
            ("ENUM", enum_name, true) => {
                let values = enum_values(db, enum_name).await.into_iter().map(|v| json!([v])).collect();
                (values, true)
            }
            ("SCALAR", "Boolean", false) => (vec![json!(true), json!(false)], true),
            ("SCALAR", "UUID", false) => (vec![json!(retailer)], false),
            ("INPUT_OBJECT", "DateRange", false) => (windows.to_vec(), false),
            other => panic!("{input}.{name}: no sample values for {other:?}"),
        };
        out.push((name, values, pairable));
    }
    out
}

/// Every filter to try: no filter, each value alone, each pair of pairable values of two
/// fields; and whether it has a time range.
fn filters(fields: &[(String, Vec<Value>, bool)], ranges: &[&str]) -> Vec<(Value, bool)> {
    let mut out = vec![(json!({}), false)];
    for (i, (name, values, pairable)) in fields.iter().enumerate() {
        for v in values {
            out.push((json!({ name: v }), ranges.contains(&name.as_str())));
            if !pairable {
                continue;
            }
            for (other, others, other_pairable) in &fields[i + 1..] {
                if !other_pairable {
                    continue;
                }
                for w in others {
                    out.push((json!({ name: v, other: w }), false));
                }
            }
        }
    }
    out
}

/// The rows of a connection, walked forwards 100 at a time, and the `totalCount` of its
/// first page.
async fn walk(db: &DatabaseConnection, caller: &users::Model, query: &str, vars: &Value, at: &str) -> (u64, u64) {
    let (mut rows, mut after, mut total) = (0, None::<String>, None);
    loop {
        let mut v = vars.clone();
        v["a"] = json!(after);
        let data = gql_as(db, caller, query, v).await;
        let c = data.pointer(at).unwrap_or_else(|| panic!("{at} in {data}"));
        total.get_or_insert(c["totalCount"].as_u64().unwrap());
        rows += c["edges"].as_array().unwrap().len() as u64;
        if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return (rows, total.unwrap());
        }
        after = c["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

db_test!(total_count_equals_the_rows_of_every_filter_under_every_parent_for_brand_and_retailer, |db| {
    let plan = campaign_performance::generate::Plan { sends: 4_000, campaigns: 2, retailers: 2, seed: 5 };
    campaign_performance::generate::generate(&db, &plan, |_| ()).await.unwrap();
    let first = gql(
        &db,
        "{ campaigns(first: 1) { edges { node { id emailCampaigns { id sends(first: 1) { edges { node {
            sentAt retailer { id } } } } } } } } }",
        json!({}),
    )
    .await;
    let campaign = &first["campaigns"]["edges"][0]["node"];
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let send = &campaign["emailCampaigns"][0]["sends"]["edges"][0]["node"];
    let retailer_id = send["retailer"]["id"].as_str().unwrap().to_owned();
    let retailer_user =
        users::Entity::find_by_id(retailer_id.parse::<uuid::Uuid>().unwrap()).one(&*db).await.unwrap().unwrap();
    // A window that holds more than 1,000 rows of some connections, and a narrow one.
    let sent: chrono::DateTime<chrono::Utc> = send["sentAt"].as_str().unwrap().parse().unwrap();
    let windows = [
        json!({ "from": "2000-01-01T00:00:00Z" }),
        json!({ "from": sent - chrono::Duration::minutes(30), "to": sent + chrono::Duration::minutes(30) }),
    ];
    let page = "totalCount pageInfo { hasNextPage endCursor } edges { node { id } }";
    // (filter input, query, where the connection is, the parent's id)
    let cases = [
        (
            "EmailSendFilter",
            format!(
                "query($id: UUID!, $f: EmailSendFilter, $o: EmailSendOrder, $a: String) {{ campaign(id: $id) {{ emailCampaigns {{ sends(filter: $f, orderBy: $o, first: 100, after: $a) {{ {page} }} }} }} }}"
            ),
            "/campaign/emailCampaigns/0/sends",
            &campaign_id,
        ),
        (
            "EmailSendFilter",
            format!(
                "query($id: UUID!, $f: EmailSendFilter, $o: EmailSendOrder, $a: String) {{ retailer(id: $id) {{ sends(filter: $f, orderBy: $o, first: 100, after: $a) {{ {page} }} }} }}"
            ),
            "/retailer/sends",
            &retailer_id,
        ),
        (
            "CrmConversionFilter",
            format!(
                "query($id: UUID!, $f: CrmConversionFilter, $a: String) {{ campaign(id: $id) {{ conversions(filter: $f, first: 100, after: $a) {{ {page} }} }} }}"
            ),
            "/campaign/conversions",
            &campaign_id,
        ),
        (
            "CrmConversionFilter",
            format!(
                "query($id: UUID!, $f: CrmConversionFilter, $a: String) {{ retailer(id: $id) {{ conversions(filter: $f, first: 100, after: $a) {{ {page} }} }} }}"
            ),
            "/retailer/conversions",
            &retailer_id,
        ),
        (
            "EcommerceOrderFilter",
            format!(
                "query($id: UUID!, $f: EcommerceOrderFilter, $a: String) {{ campaign(id: $id) {{ orders(filter: $f, first: 100, after: $a) {{ {page} }} }} }}"
            ),
            "/campaign/orders",
            &campaign_id,
        ),
        (
            "EcommerceOrderFilter",
            format!(
                "query($id: UUID!, $f: EcommerceOrderFilter, $a: String) {{ retailer(id: $id) {{ orders(filter: $f, first: 100, after: $a) {{ {page} }} }} }}"
            ),
            "/retailer/orders",
            &retailer_id,
        ),
    ];
    // Sends are also read in every ordering the schema offers: an ordering by a time that
    // may be missing reads a page in two parts (with the time, without), each skipped when
    // the rollup says no send can fill it; every ordering must still find every row.
    let mut send_orders = Vec::new();
    for field in enum_values(&db, "EmailSendOrderField").await {
        for direction in ["ASC", "DESC"] {
            send_orders.push(json!({ "field": field, "direction": direction }));
        }
    }
    let (mut checked, mut capped, mut empty) = (0, 0, 0);
    for (input, query, at, id) in &cases {
        let fields = filter_values(&db, input, &retailer_id, &windows).await;
        let orders = if query.contains("EmailSendOrder") { send_orders.clone() } else { vec![Value::Null] };
        for (filter, ranged) in filters(&fields, &["sentDuring", "during"]) {
            for (caller, order) in
                [&brand_caller(), &retailer_user].into_iter().flat_map(|c| orders.iter().map(move |o| (c, o)))
            {
                let vars = json!({ "id": id, "f": filter, "o": order });
                let (rows, total) = walk(&db, caller, query, &vars, at).await;
                let expected = if ranged { rows.min(1_000) } else { rows };
                assert_eq!(total, expected, "{input} {filter} {order} at {at} as {:?}: {rows} rows", caller.user_type);
                checked += 1;
                capped += u64::from(ranged && rows > 1_000);
                empty += u64::from(rows == 0);
            }
        }
    }
    // The samples reach every case: counts over the cap, filters that match nothing.
    assert!(checked > 300 && capped > 0 && empty > 0, "{checked} checked, {capped} capped, {empty} empty");
});
