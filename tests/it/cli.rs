//! The real binary: configuration errors, seeding rules, `schema`, and a served demo that
//! stops cleanly on SIGTERM after finishing the request in flight.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_campaign-performance");

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("DATABASE_URL").env_remove("BIND_ADDR").env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run the binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The error is one line that starts with `error:` and nothing panicked.
fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "must fail: {}", stderr(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {err}");
    assert!(lines[0].contains(needle), "error should mention {needle:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn an_unreachable_database_is_a_one_line_error() {
    let unreachable = [
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("DATABASE_CONNECT_TIMEOUT", "2"),
        ("JWT_SECRET", "a-secret-of-at-least-thirty-two-bytes"),
    ];
    let out = run(&["serve", "--bind", "127.0.0.1:0"], &unreachable);
    assert_one_line_error(&out, "127.0.0.1:1");
    // Without any token key, a server on an external database does not start.
    let out = run(&["serve", "--bind", "127.0.0.1:0"], &unreachable[..2]);
    assert_one_line_error(&out, "no token key configured");
    let out = run(&["migrate", "status"], &[("DATABASE_URL", "mysql://x@127.0.0.1/y")]);
    assert_one_line_error(&out, "unsupported DATABASE_URL");
}

#[test]
fn a_bad_bind_address_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = run(&["serve", "--bind", "localhost-ish"], &[("DATA_DIR", data)]);
    assert_one_line_error(&out, "bad bind address");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve", "--no-demo"], &[("DATA_DIR", data), ("BIND_ADDR", &addr)]);
    assert_one_line_error(&out, &format!("cannot listen on {addr}"));
}

#[test]
fn an_unknown_command_fails_and_says_so() {
    let out = run(&["frobnicate"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unrecognized subcommand 'frobnicate'"), "{}", stderr(&out));
}

#[test]
fn schema_prints_the_committed_sdl() {
    let out = run(&["schema"], &[]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed);
}

#[test]
fn seeding_a_database_that_holds_data_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = run(&["seed", "--demo"], &[("DATA_DIR", data)]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("27037 sends"));
    let again = run(&["seed", "--demo"], &[("DATA_DIR", data)]);
    assert_one_line_error(&again, "already holds data");
    assert!(stderr(&again).contains("--force"));
    let forced = run(&["seed", "--demo", "--force"], &[("DATA_DIR", data)]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let status = run(&["migrate", "status"], &[("DATA_DIR", data)]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("applied  m20250101_000001_create_core_tables"));
}

fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn post_graphql(token: &str, query: &str) -> String {
    let body = json!({ "query": query }).to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Kills the server if the test fails before it stops by itself.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The default command on the embedded database in `dir`, listening on `port`, once it accepts
/// connections.
fn serve_demo(dir: &std::path::Path, port: u16, envs: &[(&str, &str)], stdout: Stdio, stderr: Stdio) -> KillOnDrop {
    let child = Command::new(BIN)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("DATA_DIR", dir)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .envs(envs.iter().copied())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    let child = KillOnDrop(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

#[test]
fn the_default_command_serves_the_demo_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = serve_demo(dir.path(), port, &[], Stdio::piped(), Stdio::null());
    let minted =
        run(&["token", "--email", "marketing@marcobicego.example"], &[("DATA_DIR", dir.path().to_str().unwrap())]);
    assert!(minted.status.success(), "{}", stderr(&minted));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let response = http(
        port,
        &post_graphql(
            &token,
            "{ campaigns(filter: { status: [ACTIVE] }) { edges { node { name performance { totalEmailsSent totalRevenue roiPercentage roas performanceTier } } } } }",
        ),
    );
    let body: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        body["data"]["campaigns"]["edges"][0]["node"],
        json!({ "name": "Marco Bicego New 2025 Campaign", "performance": {
            "totalEmailsSent": 27037, "totalRevenue": "41500.00", "roiPercentage": 23.9, "roas": 1.24, "performanceTier": "STANDARD" } })
    );

    // A request in flight when SIGTERM arrives: its headers are sent, its body is not yet.
    let request = post_graphql(&token, "{ campaigns { totalCount } }");
    let (head, rest) = request.split_at(request.len() - 5);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    in_flight.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "in-flight request was cut: {answer:?}");
    assert!(answer.contains(r#"{"data":{"campaigns":{"totalCount":4}}}"#), "{answer}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    // New connections are refused once it has stopped.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let mut stdout = String::new();
    child.0.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(stdout.contains(&format!("http://127.0.0.1:{port}/graphql")), "{stdout}");
    assert!(stdout.contains("Token for the brand user (marketing@marcobicego.example)"), "{stdout}");
    assert!(stdout.contains("Token for the retailer Cartier Rodeo Drive"), "{stdout}");
}

#[test]
fn generate_then_verify_finds_no_difference_until_a_rollup_is_tampered_with() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let env = [("DATA_DIR", data)];
    let out = run(&["generate", "--sends", "3000", "--seed", "5"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3000 sends"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = run(&["generate", "--sends", "10"], &env);
    assert_one_line_error(&out, "already holds data");

    let out = run(&["verify"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("equal a recount"));

    let file = dir.path().join("campaign-performance.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(format!("sqlite://{}", file.display())).await.unwrap();
        db.execute_unprepared("UPDATE email_totals SET clicked = clicked + 1 WHERE sent > 0").await.unwrap();
    });
    let out = run(&["verify"], &env);
    assert_one_line_error(&out, "differ from the raw rows");
    assert!(String::from_utf8_lossy(&out.stdout).contains("email_totals"));
    let differed: i64 = stderr(&out).trim_start_matches("error: ").split(' ').next().unwrap().parse().unwrap();
    let out = run(&["rebuild-rollups"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(run(&["verify"], &env).status.success());

    // Every run is recorded, and a server reports the last one in its metrics.
    let runs: Vec<i64> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::{EntityTrait, QueryOrder};
        let db = sea_orm::Database::connect(format!("sqlite://{}", file.display())).await.unwrap();
        let runs = entity::prelude::VerifyRuns::find()
            .order_by_asc(entity::verify_runs::Column::FinishedAt)
            .all(&db)
            .await
            .unwrap();
        runs.into_iter().map(|r| r.differences).collect()
    });
    assert_eq!(runs, vec![0, differed, 0]);
    assert!(differed > 0);
    let port = free_port();
    let _server = serve_demo(dir.path(), port, &[("METRICS_TOKEN", "scrape")], Stdio::null(), Stdio::null());
    let scraped = http(
        port,
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer scrape\r\nConnection: close\r\n\r\n",
    );
    assert!(scraped.lines().any(|l| l == "verify_last_differences 0"), "{scraped}");
    let finished = scraped.lines().find_map(|l| l.strip_prefix("verify_last_run_timestamp_seconds ")).unwrap();
    let age = chrono::Utc::now().timestamp() - finished.parse::<i64>().unwrap();
    assert!((0..600).contains(&age), "{scraped}");
}

#[test]
fn every_request_leaves_one_access_line_with_its_id_operation_route_and_caller_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = serve_demo(dir.path(), port, &[("LOG_FORMAT", "json")], Stdio::null(), Stdio::piped());
    let minted =
        run(&["token", "--email", "marketing@marcobicego.example"], &[("DATA_DIR", dir.path().to_str().unwrap())]);
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let claims = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    let brand = claims["sub"].as_str().unwrap().to_owned();

    let body =
        json!({ "query": "query Overview { campaigns { totalCount } }", "operationName": "Overview" }).to_string();
    let named = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nx-request-id: trace-abc-123\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert!(http(port, &named).contains("x-request-id: trace-abc-123"));
    let missing = format!(
        "GET /api/campaigns/{} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        uuid::Uuid::nil()
    );
    assert!(http(port, &missing).starts_with("HTTP/1.1 404"));
    let anonymous = http(port, &post_graphql("not-a-token", "{ campaigns { totalCount } }"));
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");

    Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    let mut log = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(!log.contains(&token), "the token must never be logged");
    let access: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["target"] == "access")
        .map(|l| l["fields"].clone())
        .collect();
    assert_eq!(access.len(), 3, "one line per request: {log}");
    assert_eq!(access[0]["request_id"], "trace-abc-123", "{log}");
    assert_eq!(
        (
            &access[0]["method"],
            &access[0]["route"],
            &access[0]["status"],
            &access[0]["operation"],
            &access[0]["caller"]
        ),
        (&json!("POST"), &json!("/graphql"), &json!(200), &json!("Overview"), &json!(brand)),
    );
    assert!(access[0]["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(
        (&access[1]["route"], &access[1]["status"], &access[1]["error"], &access[1]["caller"]),
        (&json!("/api/campaigns/{id}"), &json!(404), &json!("NOT_FOUND"), &json!(brand)),
        "the route, not the id: {log}"
    );
    assert_eq!((&access[2]["status"], &access[2]["caller"]), (&json!(401), &json!("")), "{log}");
    assert!(access[2]["request_id"].as_str().is_some_and(|id| id.len() == 36), "a new id: {log}");
}

/// The spans an in-process OTLP/HTTP receiver got (`POST /v1/traces`, protobuf), as sent.
type Received = std::sync::Arc<std::sync::Mutex<Vec<opentelemetry_proto::tonic::trace::v1::Span>>>;

/// Starts an OTLP/HTTP receiver on a loopback port in `runtime`; returns its port and what it
/// receives.
fn otlp_receiver(runtime: &tokio::runtime::Runtime) -> (u16, Received) {
    use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
    use prost::Message;
    let received = Received::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
                let spans = request.resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
                kept.lock().unwrap().extend(spans);
                ([("content-type", "application/x-protobuf")], ExportTraceServiceResponse::default().encode_to_vec())
            }
        }),
    );
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, received)
}

fn attribute(span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    let value = span.attributes.iter().find(|a| a.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        V::StringValue(s) => s.clone(),
        V::IntValue(i) => i.to_string(),
        other => format!("{other:?}"),
    })
}

#[test]
fn a_request_s_spans_reach_an_otlp_receiver_under_the_callers_traceparent_with_sql_and_loader_spans() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (receiver, received) = otlp_receiver(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{receiver}");
    let _child = serve_demo(
        dir.path(),
        port,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("OTEL_BSP_SCHEDULE_DELAY", "100")],
        Stdio::null(),
        Stdio::null(),
    );
    let minted =
        run(&["token", "--email", "marketing@marcobicego.example"], &[("DATA_DIR", dir.path().to_str().unwrap())]);
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();

    let (trace, caller_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let body = json!({
        "query": "query Overview { campaigns { edges { node { name performance { totalEmailsSent roas } emailCampaigns { subject } } } } }",
        "operationName": "Overview",
    })
    .to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\ntraceparent: 00-{trace}-{caller_span}-01\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = http(port, &request);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains("\"errors\""), "{answer}");

    // The caller's trace: its spans arrive within a few export intervals.
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let started = Instant::now();
    let spans = loop {
        let spans: Vec<_> = received.lock().unwrap().iter().filter(|s| hex(&s.trace_id) == trace).cloned().collect();
        let has_sql = spans.iter().any(|s| s.name.starts_with("sea_orm."));
        if has_sql && spans.iter().any(|s| s.name == "POST /graphql") && spans.iter().any(|s| s.name == "loader.batch")
        {
            break spans;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "spans of the trace so far: {spans:#?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The request's span continues the caller's: its parent is the caller's span.
    let request_span = spans.iter().find(|s| s.name == "POST /graphql").unwrap();
    assert_eq!(hex(&request_span.parent_span_id), caller_span);
    assert_eq!(attribute(request_span, "graphql.operation.name").as_deref(), Some("Overview"));
    assert_eq!(attribute(request_span, "http.route").as_deref(), Some("/graphql"));
    assert_eq!(attribute(request_span, "http.response.status_code").as_deref(), Some("200"));
    // Every other span of the trace descends from the request's: loader batches, and SQL
    // statements (with their text, never their values).
    let parent_of = |span: &opentelemetry_proto::tonic::trace::v1::Span| {
        spans.iter().find(|p| p.span_id == span.parent_span_id).cloned()
    };
    for span in spans.iter().filter(|s| s.span_id != request_span.span_id) {
        let mut up = parent_of(span).unwrap_or_else(|| panic!("{} has no parent in the trace", span.name));
        while up.span_id != request_span.span_id {
            up = parent_of(&up).unwrap_or_else(|| panic!("{} does not descend from the request", span.name));
        }
    }
    let statements: Vec<_> = spans.iter().filter(|s| s.name.starts_with("sea_orm.")).collect();
    assert!(
        statements.iter().any(|s| attribute(s, "db.statement").is_some_and(|sql| sql.contains("SELECT"))),
        "{statements:#?}"
    );
    let batches: Vec<_> = spans.iter().filter(|s| s.name == "loader.batch").collect();
    assert!(
        batches.iter().any(|b| statements.iter().any(|s| s.parent_span_id == b.span_id)),
        "a loader batch's statements are its children: {spans:#?}"
    );
    assert!(
        !statements.iter().any(|s| attribute(s, "db.statement").is_some_and(|sql| sql.contains("Marco Bicego"))),
        "statement spans carry placeholders, not values"
    );
    // Statements outside any request (start-up's demo load, background tasks) make no traces.
    let roots: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.name.starts_with("sea_orm.") && s.parent_span_id.is_empty())
        .map(|s| s.name.clone())
        .collect();
    assert!(roots.is_empty(), "statements exported as traces of their own: {roots:?}");
}
