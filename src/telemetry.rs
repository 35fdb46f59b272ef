//! Tracing set-up: logs to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON
//! lines; and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, traces exported over OTLP
//! (HTTP/protobuf, to `<endpoint>/v1/traces`; the standard `OTEL_*` variables apply:
//! `OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//! `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_TRACES_SAMPLER` …).
//!
//! A trace holds a span per HTTP request (`request`, named `METHOD /route`, with the GraphQL
//! operation's name), under the caller's W3C `traceparent` when it sends one; below it a span
//! per loader batch (`loader.batch`) and per SQL statement (SeaORM's `sea_orm.*` spans, with
//! the statement's text: its placeholders, never its values).

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::filter::DynFilterFn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The name traces carry unless `OTEL_SERVICE_NAME` says another.
const SERVICE_NAME: &str = "campaign-performance";

/// Keeps the trace exporter while it lives; dropped, it sends what it holds and stops.
#[must_use = "traces stop being exported when the guard is dropped"]
pub struct Guard(Option<SdkTracerProvider>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("warning: the last traces may not have been exported: {e}");
        }
    }
}

pub fn init(format: &crate::config::LogFormat) -> Guard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let logs = match format {
        crate::config::LogFormat::Text => tracing_subscriber::fmt::layer().with_writer(std::io::stderr).boxed(),
        crate::config::LogFormat::Json => tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).boxed(),
    };
    let (traces, provider) = match exporter() {
        Ok(Some(provider)) => {
            // The server's spans, and SeaORM's per statement inside one of them (a request's,
            // a batch's): not the statements of start-up or of background tasks (the replica
            // monitor's polls), each of which would be a trace of its own. The exporter's own
            // logs stay out of the traces it sends.
            let spans = DynFilterFn::new(|meta, cx| {
                if *meta.level() > Level::INFO {
                    return false;
                }
                let target = meta.target();
                if target.starts_with("sea_orm") {
                    return meta.is_span() && cx.lookup_current().is_some();
                }
                target == env!("CARGO_CRATE_NAME") || target.starts_with(concat!(env!("CARGO_CRATE_NAME"), "::"))
            });
            let tracer = provider.tracer(SERVICE_NAME);
            // A span starts (its name and parent fixed) when its first child does, not when it
            // is entered: `access_log` names the request's span after its route and puts it
            // under the caller's trace once routing is done, inside the span.
            let layer = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_context_activation(false)
                .with_tracked_inactivity(false)
                .with_filter(spans);
            (Some(layer), Some(provider))
        }
        Ok(None) => (None, None),
        Err(e) => {
            eprintln!("warning: traces are not exported: {e}");
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry().with(logs.with_filter(filter)).with(traces).try_init();
    Guard(provider)
}

/// The OTLP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces' own endpoint) is set.
fn exporter() -> Result<Option<SdkTracerProvider>, opentelemetry_otlp::ExporterBuildError> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    if !set("OTEL_EXPORTER_OTLP_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if !set("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name(SERVICE_NAME);
    }
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(Some(provider))
}

/// Puts `span` under the trace the request's `traceparent` names (when it names one and
/// traces are exported).
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    // Without the exporter the span has no OpenTelemetry side: nothing to do.
    let _ = span.set_parent(parent);
}

/// `request` carrying the current span's trace as `traceparent` (and `tracestate`): a request
/// this server makes on the way continues the caller's trace (nothing when traces are not
/// exported).
pub fn pass_on(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = tracing::Span::current().context();
    let mut headers = reqwest::header::HeaderMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut Outgoing(&mut headers)));
    request.headers(headers)
}

struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct Outgoing<'a>(&'a mut reqwest::header::HeaderMap);

impl Injector for Outgoing<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) =
            (reqwest::header::HeaderName::from_bytes(key.as_bytes()), reqwest::header::HeaderValue::from_str(&value))
        {
            self.0.insert(name, value);
        }
    }
}
