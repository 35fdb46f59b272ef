//! Every query shape the schema offers, at two sizes of data of the same shape, from outside
//! over HTTP against the real server binary on PostgreSQL. The shapes come from the schema
//! itself (introspection), not from a list:
//!
//! - every connection field (on `Query` and on every `Node` type) × every ordering its
//!   arguments offer (each value of an order input's enum × each direction, each value of an
//!   enum argument such as `rankBy`), × no filter or each filter field alone (and each other
//!   argument, such as a `from`/`to` window), × with and without `totalCount`;
//! - every figure field (fields of `Query` and of `Node` types that return figures, not rows),
//!   with and without a `from`/`to` window when it takes one; a field with an interval
//!   argument (`timeline`) in every interval, in UTC, a whole-hour zone and Asia/Kolkata;
//! - each as the brand and as a retailer (their own figures only).
//!
//! Each shape is asked once to warm up, then `BENCH_RUNS` times (default 5) one after the
//! other; the table gives the p50 at each size and their ratio, worst first, and the worst
//! ratio. The data is `generate`'s (conversions and orders follow clicks, bounces, machine
//! opens, weekly campaigns), the same plan at each size.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench shapes
//!
//! Knobs: `BENCH_SIZES` (sends, default `27037,10000000`), `BENCH_CAMPAIGNS` (default 4),
//! `BENCH_RETAILERS` (default 15), `BENCH_RUNS`, `BENCH_ONLY` (measure only shapes whose name
//! contains this text). Each size works in a schema of its own, dropped at the end.

#[expect(dead_code, reason = "the shapes post no events: fresh sends and server settings are the ingestion benches'")]
mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use campaign_performance::auth::Minter;
use campaign_performance::db;
use campaign_performance::generate::{Plan, generate};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use support::{SECRET, Server, env, new_schema, percentile};
use uuid::Uuid;

/// A week inside the generated history (its first campaign's second email goes out in it).
const WINDOW: (&str, &str) = ("2024-01-15T00:00:00Z", "2024-01-21T23:59:59Z");
/// The time zones a timeline is asked in: UTC, a whole-hour zone, a half-hour one.
const ZONES: [&str; 3] = ["UTC", "Europe/Paris", "Asia/Kolkata"];
/// No shape is repeated for longer than this.
const SHAPE_BUDGET: Duration = Duration::from_secs(30);

const INTROSPECTION: &str = r#"{ __schema { queryType { name } types { name kind
  fields { name args { name type { ...T } defaultValue } type { ...T } }
  inputFields { name type { ...T } defaultValue }
  enumValues { name } interfaces { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

#[derive(Debug, Deserialize, Clone)]
struct TypeRef {
    kind: String,
    name: Option<String>,
    #[serde(rename = "ofType")]
    of_type: Option<Box<TypeRef>>,
}

impl TypeRef {
    fn named(&self) -> &str {
        match (&self.name, &self.of_type) {
            (Some(n), _) => n,
            (None, Some(inner)) => inner.named(),
            (None, None) => "",
        }
    }
    fn required(&self) -> bool {
        self.kind == "NON_NULL"
    }
    fn is_list(&self) -> bool {
        self.kind == "LIST" || self.of_type.as_ref().is_some_and(|t| t.is_list())
    }
}

#[derive(Debug, Deserialize, Clone)]
struct InputValue {
    name: String,
    #[serde(rename = "type")]
    ty: TypeRef,
    #[serde(rename = "defaultValue")]
    default: Option<String>,
}

impl InputValue {
    /// Must be given: non-null without a default.
    fn required(&self) -> bool {
        self.ty.required() && self.default.is_none()
    }
}

#[derive(Debug, Deserialize, Clone)]
struct Field {
    name: String,
    args: Vec<InputValue>,
    #[serde(rename = "type")]
    ty: TypeRef,
}

#[derive(Debug, Deserialize, Clone)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize, Clone)]
struct FullType {
    name: String,
    kind: String,
    fields: Option<Vec<Field>>,
    #[serde(rename = "inputFields")]
    input_fields: Option<Vec<InputValue>>,
    #[serde(rename = "enumValues")]
    enum_values: Option<Vec<Named>>,
    interfaces: Option<Vec<Named>>,
}

struct Schema {
    query: String,
    types: HashMap<String, FullType>,
}

impl Schema {
    fn of(answer: &Value) -> anyhow::Result<Schema> {
        let s = &answer["data"]["__schema"];
        let types: Vec<FullType> = serde_json::from_value(s["types"].clone())?;
        Ok(Schema {
            query: s["queryType"]["name"].as_str().unwrap_or("Query").to_owned(),
            types: types.into_iter().map(|t| (t.name.clone(), t)).collect(),
        })
    }
    fn get(&self, name: &str) -> Option<&FullType> {
        self.types.get(name)
    }
    fn kind(&self, name: &str) -> &str {
        self.get(name).map_or("", |t| t.kind.as_str())
    }
    fn enum_values(&self, name: &str) -> Vec<String> {
        self.get(name).and_then(|t| t.enum_values.clone()).unwrap_or_default().into_iter().map(|v| v.name).collect()
    }
    fn inputs(&self, name: &str) -> Vec<InputValue> {
        self.get(name).and_then(|t| t.input_fields.clone()).unwrap_or_default()
    }
    fn is_node(&self, name: &str) -> bool {
        self.get(name).and_then(|t| t.interfaces.as_ref()).is_some_and(|i| i.iter().any(|i| i.name == "Node"))
    }
    fn is_connection(&self, field: &Field) -> bool {
        let t = field.ty.named();
        self.kind(t) == "OBJECT" && t.ends_with("Connection") && self.fields(t).iter().any(|f| f.name == "edges")
    }
    fn fields(&self, name: &str) -> Vec<Field> {
        self.get(name).and_then(|t| t.fields.clone()).unwrap_or_default()
    }

    /// The leaves of a type (fields without required arguments), and one level of the objects
    /// and lists of objects under it that are neither rows (`Node`) nor connections.
    fn selection(&self, name: &str, depth: usize) -> String {
        if matches!(self.kind(name), "SCALAR" | "ENUM") {
            return String::new();
        }
        let mut parts = Vec::new();
        for f in self.fields(name) {
            if f.args.iter().any(InputValue::required) {
                continue;
            }
            let t = f.ty.named();
            match self.kind(t) {
                "SCALAR" | "ENUM" => parts.push(f.name.clone()),
                "OBJECT" if depth > 0 && !self.is_node(t) && !self.is_connection(&f) => {
                    let inner = self.selection(t, depth - 1);
                    if !inner.is_empty() {
                        parts.push(format!("{} {{ {inner} }}", f.name));
                    }
                }
                _ => {}
            }
        }
        parts.join(" ")
    }

    /// A value of an input type that selects a real, narrow part of the data.
    fn sample(&self, name: &str, ty: &TypeRef, ids: &Ids) -> Value {
        let one = match ty.named() {
            "Boolean" => json!(true),
            "Int" => json!(1),
            "Float" => json!(0.0),
            "Decimal" => json!("0"),
            "String" => json!("a"),
            "DateTime" => json!(if name == "to" { WINDOW.1 } else { WINDOW.0 }),
            "UUID" if name.contains("retailer") => json!(ids.retailer),
            "UUID" => json!(ids.campaign),
            other if self.kind(other) == "ENUM" => {
                enum_value(&self.enum_values(other).first().cloned().unwrap_or_default())
            }
            other if self.kind(other) == "INPUT_OBJECT" => {
                let mut object = Map::new();
                for f in self.inputs(other) {
                    let value = match f.ty.named() {
                        // A figure range that lets every campaign through.
                        "Float" if f.name == "max" => json!(1e12),
                        "Decimal" if f.name == "max" => json!("1000000000000"),
                        _ => self.sample(&f.name, &f.ty, ids),
                    };
                    object.insert(f.name.clone(), value);
                }
                Value::Object(object)
            }
            _ => Value::Null,
        };
        if ty.is_list() { json!([one]) } else { one }
    }
}

/// The rows a shape is asked about, per role.
#[derive(Clone)]
struct Ids {
    campaign: Uuid,
    retailer: Uuid,
    /// Global ids of one row of each `Node` type that has something to ask.
    nodes: BTreeMap<String, String>,
}

/// One query to measure.
struct Shape {
    name: String,
    query: String,
    variables: Value,
}

/// Every shape for one role.
fn shapes(schema: &Schema, ids: &Ids) -> Vec<Shape> {
    let mut out = Vec::new();
    for t in schema.types.values().filter(|t| schema.is_node(&t.name) && !ids.nodes.contains_key(&t.name)) {
        let asks = schema.fields(&t.name).iter().any(|f| {
            let ty = f.ty.named();
            schema.is_connection(f) || (schema.kind(ty) == "OBJECT" && !schema.is_node(ty))
        });
        if asks {
            eprintln!("  warning: no sample {} to ask its connections and figures of: not measured", t.name);
        }
    }
    let mut parents: Vec<(String, Option<String>)> = vec![(schema.query.clone(), None)];
    parents.extend(ids.nodes.iter().map(|(t, id)| (t.clone(), Some(id.clone()))));
    for (parent, node_id) in parents {
        let wrap = |inner: &str| match &node_id {
            None => format!("{{ {inner} }}"),
            Some(_) => format!("query($id: ID!) {{ node(id: $id) {{ ... on {parent} {{ {inner} }} }} }}"),
        };
        let variables = node_id.as_ref().map_or(json!({}), |id| json!({ "id": id }));
        for field in schema.fields(&parent) {
            // Required arguments other than a timeline's interval (which every shape gives)
            // are the row accessors of `Query` (`campaign(id:)`, `node(id:)`).
            if field.args.iter().any(|a| a.required() && a.name != "interval") || field.name.starts_with("__") {
                continue;
            }
            let t = field.ty.named();
            if schema.is_connection(&field) {
                for (label, args) in connection_variants(schema, &field, ids) {
                    for total in [false, true] {
                        let node = schema.selection(&edge_node(schema, t), 0);
                        let select = format!(
                            "{}edges {{ cursor node {{ {node} }} }} pageInfo {{ hasNextPage endCursor }}",
                            if total { "totalCount " } else { "" }
                        );
                        out.push(Shape {
                            name: format!(
                                "{parent}.{}({label}){}",
                                field.name,
                                if total { " +totalCount" } else { "" }
                            ),
                            query: wrap(&format!("{}{} {{ {select} }}", field.name, arguments(&args))),
                            variables: variables.clone(),
                        });
                    }
                }
            } else if !schema.is_node(t) && schema.kind(t) == "OBJECT" {
                let select = schema.selection(t, 2);
                for (label, args) in figure_variants(schema, &field) {
                    out.push(Shape {
                        name: format!("{parent}.{}({label})", field.name),
                        query: wrap(&format!("{}{} {{ {select} }}", field.name, arguments(&args))),
                        variables: variables.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The type of a connection's `edges.node`.
fn edge_node(schema: &Schema, connection: &str) -> String {
    let edge = schema.fields(connection).into_iter().find(|f| f.name == "edges").map(|f| f.ty.named().to_owned());
    let node = edge.and_then(|e| schema.fields(&e).into_iter().find(|f| f.name == "node"));
    node.map(|n| n.ty.named().to_owned()).unwrap_or_default()
}

type Args = Vec<(String, Value)>;

fn arguments(args: &Args) -> String {
    if args.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = args.iter().map(|(n, v)| format!("{n}: {}", literal(v))).collect();
    format!("({})", parts.join(", "))
}

/// An enum value among JSON values (written without quotes by `literal`).
fn enum_value(name: &str) -> Value {
    json!({ "$enum": name })
}

/// A JSON value as a GraphQL literal.
fn literal(v: &Value) -> String {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("$enum") => m["$enum"].as_str().unwrap_or("").to_owned(),
        Value::Array(items) => format!("[{}]", items.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            format!("{{{}}}", m.iter().map(|(k, v)| format!("{k}: {}", literal(v))).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// A sample value as a shape's name shows it: the sample rows by role, not by id, so the same
/// shape has the same name at every size (the busiest retailer may differ between sizes).
fn label(v: &Value, ids: &Ids) -> String {
    literal(v)
        .replace(&ids.retailer.to_string(), "<busiest retailer>")
        .replace(&ids.campaign.to_string(), "<busiest campaign>")
}

const PAGING: [&str; 4] = ["first", "after", "last", "before"];

/// A connection's orderings × its filters (each alone).
fn connection_variants(schema: &Schema, field: &Field, ids: &Ids) -> Vec<(String, Args)> {
    let mut orderings: Vec<(String, Args)> = vec![("default order".into(), vec![])];
    let mut filters: Vec<(String, Args)> = vec![("no filter".into(), vec![])];
    for arg in &field.args {
        if PAGING.contains(&arg.name.as_str()) {
            continue;
        }
        let t = arg.ty.named();
        let inputs = schema.inputs(t);
        let direction = inputs.iter().find(|f| f.name == "direction");
        let key = inputs.iter().find(|f| f.name != "direction" && schema.kind(f.ty.named()) == "ENUM");
        match (schema.kind(t), direction, key) {
            ("INPUT_OBJECT", Some(direction), Some(key)) if !arg.ty.is_list() => {
                for value in schema.enum_values(key.ty.named()) {
                    for dir in schema.enum_values(direction.ty.named()) {
                        let order = json!({ key.name.clone(): enum_value(&value), "direction": enum_value(&dir) });
                        orderings.push((format!("{} {value} {dir}", arg.name), vec![(arg.name.clone(), order)]));
                    }
                }
            }
            ("ENUM", _, _) => {
                for value in schema.enum_values(t) {
                    orderings.push((format!("{} {value}", arg.name), vec![(arg.name.clone(), enum_value(&value))]));
                }
            }
            ("INPUT_OBJECT", _, _) if arg.name == "filter" => {
                for f in inputs {
                    let value = schema.sample(&f.name, &f.ty, ids);
                    filters.push((
                        format!("{}: {}", f.name, label(&value, ids)),
                        vec![(arg.name.clone(), json!({ f.name.clone(): value }))],
                    ));
                }
            }
            _ if arg.name == "to" => {}
            _ if arg.name == "from" => {
                let window = vec![("from".to_owned(), json!(WINDOW.0)), ("to".to_owned(), json!(WINDOW.1))];
                filters.push(("window".into(), window));
            }
            _ => {
                let value = schema.sample(&arg.name, &arg.ty, ids);
                filters.push((format!("{}: {}", arg.name, label(&value, ids)), vec![(arg.name.clone(), value)]));
            }
        }
    }
    let mut out = Vec::new();
    for (o, oargs) in &orderings {
        for (f, fargs) in &filters {
            let mut args = oargs.clone();
            args.extend(fargs.iter().cloned());
            out.push((format!("{o}; {f}"), args));
        }
    }
    out
}

/// A figure field without and with its window; every interval × zone for a timeline.
fn figure_variants(schema: &Schema, field: &Field) -> Vec<(String, Args)> {
    let has = |name: &str| field.args.iter().any(|a| a.name == name);
    let mut bases: Vec<(String, Args)> = vec![(String::new(), vec![])];
    if let Some(interval) = field.args.iter().find(|a| a.name == "interval") {
        bases = Vec::new();
        for value in schema.enum_values(interval.ty.named()) {
            let zones: &[&str] = if has("timeZone") { &ZONES } else { &["UTC"] };
            for zone in zones {
                let mut args = vec![("interval".to_owned(), enum_value(&value))];
                if has("timeZone") {
                    args.push(("timeZone".to_owned(), json!(zone)));
                }
                bases.push((format!("{value} {zone}"), args));
            }
        }
    }
    let mut out = Vec::new();
    for (label, args) in bases {
        out.push((if label.is_empty() { "all time".into() } else { format!("{label}; all time") }, args.clone()));
        if has("from") && has("to") {
            let mut windowed = args;
            windowed.push(("from".into(), json!(WINDOW.0)));
            windowed.push(("to".into(), json!(WINDOW.1)));
            out.push((if label.is_empty() { "window".into() } else { format!("{label}; window") }, windowed));
        }
    }
    out
}

#[derive(FromQueryResult)]
struct IdRow {
    id: Uuid,
}

async fn one_id(conn: &DatabaseConnection, sql: &str) -> anyhow::Result<Uuid> {
    let row = IdRow::find_by_statement(Statement::from_string(conn.get_database_backend(), sql)).one(conn).await?;
    row.map(|r| r.id).ok_or_else(|| anyhow::anyhow!("no row for {sql}"))
}

fn global(kind: &str, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The `key` with the most rows in `from` (whose sends are `s`), among the retailer's own
/// when `own` names one.
async fn busiest(conn: &DatabaseConnection, key: &str, from: &str, own: Option<Uuid>) -> anyhow::Result<Uuid> {
    let own = own.map(|r| format!("AND s.retailer_id = '{r}'")).unwrap_or_default();
    let sql = format!(
        "SELECT {key} AS id FROM {from} WHERE {key} IS NOT NULL {own} GROUP BY {key} ORDER BY COUNT(*) DESC, {key} LIMIT 1"
    );
    one_id(conn, &sql).await
}

/// The busiest campaign, email, retailer and converting send; as a retailer, their own.
async fn ids(conn: &DatabaseConnection, own: Option<Uuid>) -> anyhow::Result<Ids> {
    let sends_of_emails = "email_sends s JOIN email_campaigns e ON e.id = s.email_campaign_id";
    let campaign = busiest(conn, "e.campaign_id", sends_of_emails, own).await?;
    let email = busiest(conn, "s.email_campaign_id", "email_sends s", own).await?;
    let retailer = match own {
        Some(r) => r,
        None => busiest(conn, "s.retailer_id", "email_sends s", None).await?,
    };
    let converting = "crm_conversions c JOIN email_sends s ON s.id = c.email_send_id";
    let send = busiest(conn, "c.email_send_id", converting, own).await?;
    let nodes = BTreeMap::from([
        ("Campaign".to_owned(), global("Campaign", campaign)),
        ("EmailCampaign".to_owned(), global("EmailCampaign", email)),
        ("User".to_owned(), global("User", retailer)),
        ("EmailSend".to_owned(), global("EmailSend", send)),
    ]);
    Ok(Ids { campaign, retailer, nodes })
}

/// What one shape measured at one size.
#[derive(Clone)]
enum Measured {
    P50(Duration),
    Refused(String),
}

async fn measure(client: &reqwest::Client, base: &str, token: &str, shape: &Shape, runs: usize) -> Measured {
    let body = json!({ "query": shape.query, "variables": shape.variables });
    let mut times = Vec::new();
    let started = Instant::now();
    for i in 0..=runs {
        let t = Instant::now();
        let answer = client.post(format!("{base}/graphql")).bearer_auth(token).json(&body).send().await;
        let answer: Value = match answer {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(e) => return Measured::Refused(e.to_string()),
        };
        if let Some(errors) = answer.get("errors") {
            let first = &errors[0];
            let code = first["extensions"]["code"].as_str().unwrap_or("");
            return Measured::Refused(format!("{code}: {}", first["message"].as_str().unwrap_or("")));
        }
        if i > 0 {
            times.push(t.elapsed());
        }
        if started.elapsed() > SHAPE_BUDGET && !times.is_empty() {
            break;
        }
    }
    times.sort();
    Measured::P50(percentile(&times, 0.5))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = support::database_url() else {
        eprintln!("set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database to run this benchmark");
        return Ok(());
    };
    let sizes: Vec<u64> = support::sizes("27037,10000000")?;
    let runs: usize = env("BENCH_RUNS", 5);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let admin = db::connect(&url, Duration::from_secs(10), None).await?;
    let client = reqwest::Client::new();
    // (role, shape) → p50 per size.
    let mut results: BTreeMap<(String, String), Vec<Measured>> = BTreeMap::new();
    let mut peak_rss = 0;
    for &sends in &sizes {
        let (schema_name, conn, schema_url) = new_schema(&admin, &url).await?;
        let result = async {
            db::migrate_up(&conn).await?;
            let plan =
                Plan { sends, campaigns: env("BENCH_CAMPAIGNS", 4), retailers: env("BENCH_RETAILERS", 15), seed: 1 };
            let started = Instant::now();
            let made = generate(&conn, &plan, |n| eprint!("\r  generating: {n} sends")).await?;
            conn.execute_unprepared("VACUUM ANALYZE").await?;
            // Write the generated pages out now, not while shapes are timed.
            conn.execute_unprepared("CHECKPOINT").await?;
            eprintln!("\r  {made:?} in {:.0?}", started.elapsed());
            let server = Server::start(&schema_url).await?;
            let answer: Value = client
                .post(format!("{}/graphql", server.base))
                .json(&json!({ "query": INTROSPECTION }))
                .send()
                .await?
                .json()
                .await?;
            let schema = Schema::of(&answer)?;
            let brand = one_id(&conn, "SELECT id FROM users WHERE user_type = 'brand' ORDER BY id LIMIT 1").await?;
            let brand_ids = ids(&conn, None).await?;
            let retailer_ids = ids(&conn, Some(brand_ids.retailer)).await?;
            let minter = Minter::new(SECRET.as_bytes(), None, None);
            let roles = [("brand", brand, brand_ids.clone()), ("retailer", brand_ids.retailer, retailer_ids)];
            // A first pass, unmeasured, over every shape: each size is measured warm, not its
            // first shapes cold from the data just written.
            for (role, user, ids) in &roles {
                let token = minter.mint(*user, 24 * 3600);
                let shapes: Vec<Shape> = shapes(&schema, ids).into_iter().filter(|s| s.name.contains(&only)).collect();
                eprintln!("  {sends} sends, {role}: warming {} shapes", shapes.len());
                for shape in &shapes {
                    measure(&client, &server.base, &token, shape, 1).await;
                }
            }
            for (role, user, ids) in roles {
                let token = minter.mint(user, 24 * 3600);
                let shapes: Vec<Shape> = shapes(&schema, &ids).into_iter().filter(|s| s.name.contains(&only)).collect();
                eprintln!("  {sends} sends, {role}: {} shapes", shapes.len());
                for (n, shape) in shapes.iter().enumerate() {
                    let m = measure(&client, &server.base, &token, shape, runs).await;
                    let key = (role.to_owned(), shape.name.clone());
                    results.entry(key).or_default().push(m);
                    if (n + 1) % 100 == 0 {
                        eprintln!("  {}/{}", n + 1, shapes.len());
                    }
                }
            }
            peak_rss = peak_rss.max(server.stop());
            anyhow::Ok(())
        }
        .await;
        conn.close().await.ok();
        admin.execute_unprepared(&format!("DROP SCHEMA {schema_name} CASCADE")).await?;
        result?;
    }
    print_table(&sizes, &results, peak_rss);
    Ok(())
}

fn print_table(sizes: &[u64], results: &BTreeMap<(String, String), Vec<Measured>>, peak_rss: u64) {
    let ratio = |ms: &[Measured]| match (ms.first(), ms.last()) {
        (Some(Measured::P50(a)), Some(Measured::P50(b))) if ms.len() > 1 => {
            Some(b.as_secs_f64() / a.as_secs_f64().max(1e-6))
        }
        _ => None,
    };
    let mut rows: Vec<(&(String, String), &Vec<Measured>)> = results.iter().collect();
    rows.sort_by(|a, b| ratio(b.1).unwrap_or(0.0).total_cmp(&ratio(a.1).unwrap_or(0.0)));
    println!("\nevery query shape of the schema: real server binary over HTTP, PostgreSQL, sequential p50");
    let heads: Vec<String> = sizes.iter().map(|s| format!("{s} sends")).collect();
    println!(
        "{:>7} | {:>8} | {} | shape",
        "ratio",
        "role",
        heads.iter().map(|h| format!("{h:>16}")).collect::<Vec<_>>().join(" | ")
    );
    let mut refused = 0;
    for ((role, name), ms) in rows {
        let cells: Vec<String> = ms
            .iter()
            .map(|m| match m {
                Measured::P50(d) => format!("{:>16}", format!("{d:.1?}")),
                Measured::Refused(_) => format!("{:>16}", "refused"),
            })
            .collect();
        let r = ratio(ms).map_or("-".to_owned(), |r| format!("{r:.2}x"));
        println!("{r:>7} | {role:>8} | {} | {name}", cells.join(" | "));
        if let Some(Measured::Refused(why)) = ms.iter().find(|m| matches!(m, Measured::Refused(_))) {
            refused += 1;
            println!("{:>7} | {:>8} | refused: {why}", "", "");
        }
    }
    let worst = results.values().filter_map(|ms| ratio(ms)).fold(0.0_f64, f64::max);
    let unpaired = results.values().filter(|ms| ms.len() != sizes.len()).count();
    if unpaired > 0 {
        println!("{unpaired} shapes were not measured at every size (no ratio)");
    }
    println!(
        "\n{} shapes measured, {refused} refused; worst ratio {worst:.2}x; server peak RSS {:.1} MB",
        results.len(),
        peak_rss as f64 / 1024.0
    );
}
