//! The schema as every transport runs it (`Api`): each operation's text parsed once (recent
//! texts remembered), held to the shape bounds (`bounds.rs`: fields, aliases, directives and
//! depth after expanding fragments, in linear time, before async-graphql's own validation)
//! and, over the WebSocket, to subscriptions;
//! then run; then every error given a code. These are plain steps around the schema rather
//! than schema extensions, so that no field of the answer pays for them: async-graphql
//! resolves fields on its direct path only when the schema has no extensions.

use super::AppSchema;
use super::bounds::{self, Bounds};
use super::nulls::{self, Nulls};
use crate::loaders::Loaders;
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Data, Executor, Request, Response, ServerError, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::any::TypeId;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// The id of one HTTP request: in logs, the `x-request-id` header and `INTERNAL` errors.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// What a client is told of an `INTERNAL` error: nothing but this id to quote.
    pub fn internal_message(&self) -> String {
        format!("internal error (request id {})", self.0)
    }

    /// Puts the request id on every `INTERNAL` error, so a user can quote it and an operator
    /// can find the logged detail.
    pub fn stamp(&self, response: &mut Response) {
        for err in &mut response.errors {
            let ext = err.extensions.get_or_insert_with(Default::default);
            if matches!(ext.get("code"), Some(Value::String(c)) if c == "INTERNAL") {
                ext.set("requestId", self.0.clone());
                err.message = self.internal_message();
            }
        }
    }
}

/// True when an answer holds an `INTERNAL` error (a database failure: a replica that went
/// away under the request shows as one).
pub fn has_internal_error(response: &Response) -> bool {
    response
        .errors
        .iter()
        .any(|e| matches!(e.extensions.as_ref().and_then(|x| x.get("code")), Some(Value::String(c)) if c == "INTERNAL"))
}

/// Parsed operation texts remembered (least recently used forgotten first). With texts of
/// at most `MAX_REMEMBERED_TEXT`, what a stream of distinct queries can make the server hold
/// stays at a few MB.
const PARSED_QUERIES: usize = 256;
/// Longer texts are parsed every time rather than remembered (a dashboard's queries are a
/// few hundred bytes to a few KB).
const MAX_REMEMBERED_TEXT: usize = 4 * 1024;

type Parsed = Arc<Mutex<LruCache<String, Arc<ExecutableDocument>>>>;

/// Texts registered by Apollo's automatic persisted queries, by their SHA-256 (hex), least
/// recently used forgotten first. Texts above `MAX_PERSISTED_TEXT` are not kept (the client
/// then keeps sending them whole), so the store holds at most 16 MB.
const PERSISTED_QUERIES: usize = 1024;
const MAX_PERSISTED_TEXT: usize = 16 * 1024;

type Persisted = Arc<Mutex<LruCache<String, Arc<str>>>>;

/// Apollo's message for a hash the server does not know: the client then sends the text.
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PersistedQueryNotFound";

/// Marks a request that came by `GET`: it may run queries only, never mutations.
pub struct QueriesOnly;

/// The refusal of a mutation that came by `GET` (HTTP answers it 405).
pub const MUTATION_OVER_GET: &str = "mutations are not run over GET; POST them as application/json";

/// The schema with the rules every operation meets before validation.
#[derive(Clone)]
pub struct Api {
    schema: AppSchema,
    bounds: Bounds,
    parsed: Parsed,
    persisted: Persisted,
    nulls: Nulls,
    /// Only subscriptions run: queries and mutations go to `POST /graphql`, where the rate
    /// limit, the request timeout and the per-request loaders apply.
    over_websocket: bool,
}

impl Api {
    pub fn new(schema: AppSchema, bounds: Bounds) -> Self {
        let parsed = LruCache::new(NonZeroUsize::new(PARSED_QUERIES).expect("non-zero"));
        let persisted = LruCache::new(NonZeroUsize::new(PERSISTED_QUERIES).expect("non-zero"));
        Api {
            nulls: Nulls::from_sdl(&schema.sdl()),
            schema,
            bounds,
            parsed: Arc::new(Mutex::new(parsed)),
            persisted: Arc::new(Mutex::new(persisted)),
            over_websocket: false,
        }
    }

    /// The same, for the WebSocket: subscriptions only.
    pub fn over_websocket(&self) -> Self {
        Api { over_websocket: true, ..self.clone() }
    }

    /// Parses the request's text (or recalls it) and checks it against the rules; the schema
    /// then runs the parsed form without parsing again. Tells whether it holds a mutation,
    /// and keeps the parsed operation to place its errors' nulls.
    fn admit(&self, request: &mut Request) -> Result<(bool, Ran), ServerError> {
        self.recall_persisted(request)?;
        // Parsing is linear but runs on the request's worker thread: a text is held to a size
        // that parses in about a millisecond before the parser sees it.
        if request.query.len() > bounds::MAX_QUERY_BYTES {
            let message =
                format!("the query text has {} bytes; the limit is {}", request.query.len(), bounds::MAX_QUERY_BYTES);
            return Err(coded(message, "QUERY_TOO_COMPLEX"));
        }
        // Text PostgreSQL cannot store (U+0000) becomes U+FFFD in every variable, as in every
        // webhook item (`ingest::storable`): a name or a reason with it is stored, not a 500.
        for value in request.variables.values_mut() {
            storable_value(value);
        }
        let doc = self.document(&request.query)?;
        bounds::check(&doc, &self.bounds).map_err(|refusal| coded(refusal.to_string(), "QUERY_TOO_COMPLEX"))?;
        let not_subscription = doc.operations.iter().any(|(_, op)| op.node.ty != OperationType::Subscription);
        if not_subscription && self.over_websocket {
            return Err(coded(
                "only subscriptions run over the WebSocket; send queries and mutations to POST /graphql".into(),
                "BAD_USER_INPUT",
            ));
        }
        let mutation = doc.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation);
        if mutation && request.data.get(&TypeId::of::<QueriesOnly>()).is_some() {
            return Err(coded(MUTATION_OVER_GET.into(), "BAD_USER_INPUT"));
        }
        let ran =
            Ran { asks_schema: request.query.contains("__schema"), doc, operation: request.operation_name.clone() };
        request.set_parsed_query(ExecutableDocument::clone(&ran.doc));
        Ok((mutation, ran))
    }

    /// The text parsed (or recalled from the texts parsed before).
    fn document(&self, query: &str) -> Result<Arc<ExecutableDocument>, ServerError> {
        let lock = || self.parsed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(doc) = lock().get(query).cloned() {
            return Ok(doc);
        }
        let mut doc = async_graphql::parser::parse_query(query)?;
        // U+0000 can also be written in the text itself (`"\u0000"`): cleaned alike.
        if query.contains('\0') || query.contains("\\u0000") {
            storable_literals(&mut doc);
        }
        let doc = Arc::new(doc);
        if query.len() <= MAX_REMEMBERED_TEXT {
            lock().put(query.to_owned(), doc.clone());
        }
        Ok(doc)
    }

    /// True when the request holds a mutation: it then reads from the primary, which it
    /// writes to. A text that does not parse (or is too long, or a persisted hash not known)
    /// holds none here; running it refuses it with the reason.
    pub fn writes(&self, request: &Request) -> bool {
        let text = match request.query.as_str() {
            "" => {
                let hash = match request.extensions.get("persistedQuery") {
                    Some(Value::Object(p)) => match p.get("sha256Hash") {
                        Some(Value::String(hash)) => hash.to_ascii_lowercase(),
                        _ => return false,
                    },
                    _ => return false,
                };
                let known =
                    self.persisted.lock().unwrap_or_else(std::sync::PoisonError::into_inner).peek(&hash).cloned();
                match known {
                    Some(text) => std::borrow::Cow::Owned(text.to_string()),
                    None => return false,
                }
            }
            text => std::borrow::Cow::Borrowed(text),
        };
        if text.len() > bounds::MAX_QUERY_BYTES {
            return false;
        }
        self.document(&text).is_ok_and(|doc| doc.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation))
    }

    /// Apollo's automatic persisted queries (`extensions.persistedQuery`): a request with the
    /// hash alone gets its text from the store or `PersistedQueryNotFound` (the client then
    /// sends hash and text); a text with a hash is checked against it and stored.
    fn recall_persisted(&self, request: &mut Request) -> Result<(), ServerError> {
        let Some(persisted) = request.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let bad = |what: &str| coded(format!("`extensions.persistedQuery` {what}"), "BAD_USER_INPUT");
        let Value::Object(persisted) = persisted else {
            return Err(bad("must be an object with `version` and `sha256Hash`"));
        };
        if persisted.get("version") != Some(&Value::from(1)) {
            // Apollo's message: the client stops sending hashes.
            return Err(coded("PersistedQueryNotSupported".into(), "BAD_USER_INPUT"));
        }
        let Some(Value::String(hash)) = persisted.get("sha256Hash") else {
            return Err(bad("needs `sha256Hash`, the SHA-256 of the query text in hex"));
        };
        let hash = hash.to_ascii_lowercase();
        let lock = || self.persisted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if request.query.is_empty() {
            let known = lock().get(&hash).cloned();
            match known {
                Some(text) => request.query = text.to_string(),
                None => return Err(coded(PERSISTED_QUERY_NOT_FOUND.into(), "BAD_USER_INPUT")),
            }
        } else {
            let actual: String = Sha256::digest(request.query.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            if actual != hash {
                return Err(bad("`sha256Hash` is not the SHA-256 of the query text"));
            }
            if request.query.len() <= MAX_PERSISTED_TEXT {
                lock().put(hash, request.query.as_str().into());
            }
        }
        Ok(())
    }
}

impl Executor for Api {
    async fn execute(&self, mut request: Request) -> Response {
        let mut response = match self.admit(&mut request) {
            Ok((mutation, ran)) => {
                // The request's batches run as soon as its resolvers all wait (`batching::Watched`).
                let mut response = match loaders_of(&request) {
                    Some(loaders) => {
                        if mutation {
                            loaders.forget_between_loads();
                        }
                        loaders.watch(self.schema.execute(request)).await
                    }
                    None => self.schema.execute(request).await,
                };
                ran.propagate_nulls(&self.nulls, &mut response);
                response
            }
            Err(refusal) => Response::from_errors(vec![refusal]),
        };
        code_errors(&mut response);
        response
    }

    fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let (responses, ran) = match self.admit(&mut request) {
            Ok((_, ran)) => {
                (self.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default()), Some(ran))
            }
            Err(refusal) => (stream::once(async move { Response::from_errors(vec![refusal]) }).boxed(), None),
        };
        let nulls = self.nulls.clone();
        responses
            .map(move |mut response| {
                if let Some(ran) = &ran {
                    ran.propagate_nulls(&nulls, &mut response);
                }
                code_errors(&mut response);
                response
            })
            .boxed()
    }
}

/// The operation a request ran (its parsed document, shared with the parse cache, and its
/// name), kept to place its errors' nulls.
struct Ran {
    doc: Arc<ExecutableDocument>,
    operation: Option<String>,
    asks_schema: bool,
}

impl Ran {
    /// Spec null propagation (`nulls.rs`), for an answer with errors; and the schema's
    /// description, which async-graphql answers with `__Schema`'s own text: this schema has
    /// none (as `schema.graphql` says).
    fn propagate_nulls(&self, nulls: &Nulls, response: &mut Response) {
        if response.errors.iter().any(|e| !e.path.is_empty()) {
            nulls.propagate(response, &self.doc, self.operation.as_deref());
        }
        if self.asks_schema {
            nulls::no_schema_description(response, &self.doc, self.operation.as_deref());
        }
    }
}

/// The request's loaders (an anonymous request has none).
fn loaders_of(request: &Request) -> Option<Arc<Loaders>> {
    request.data.get(&TypeId::of::<Arc<Loaders>>())?.downcast_ref::<Arc<Loaders>>().cloned()
}

/// Replaces U+0000 in every string of `value` (`ingest::storable`).
fn storable_value(value: &mut async_graphql::Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = crate::ingest::storable(text),
        Value::List(items) => items.iter_mut().for_each(storable_value),
        Value::Object(fields) => fields.values_mut().for_each(storable_value),
        _ => {}
    }
}

/// Replaces U+0000 in every string literal of `doc` (arguments, directives, variables'
/// defaults, in operations and fragments), as `storable_value` does in variables.
fn storable_literals(doc: &mut ExecutableDocument) {
    use async_graphql::parser::Positioned;
    use async_graphql::parser::types::{Directive, DocumentOperations, Selection, SelectionSet};
    use async_graphql_value::Value as Literal;
    fn literal(value: &mut Literal) {
        match value {
            Literal::String(text) if text.contains('\0') => *text = crate::ingest::storable(text),
            Literal::List(items) => items.iter_mut().for_each(literal),
            Literal::Object(fields) => fields.values_mut().for_each(literal),
            _ => {}
        }
    }
    fn directives(list: &mut [Positioned<Directive>]) {
        for d in list {
            d.node.arguments.iter_mut().for_each(|(_, v)| literal(&mut v.node));
        }
    }
    fn selections(set: &mut SelectionSet) {
        for selection in &mut set.items {
            match &mut selection.node {
                Selection::Field(f) => {
                    f.node.arguments.iter_mut().for_each(|(_, v)| literal(&mut v.node));
                    directives(&mut f.node.directives);
                    selections(&mut f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => directives(&mut s.node.directives),
                Selection::InlineFragment(i) => {
                    directives(&mut i.node.directives);
                    selections(&mut i.node.selection_set.node);
                }
            }
        }
    }
    let operations: Vec<_> = match &mut doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values_mut().collect(),
    };
    for op in operations {
        for variable in &mut op.node.variable_definitions {
            if let Some(default) = &mut variable.node.default_value {
                storable_value(&mut default.node);
            }
            directives(&mut variable.node.directives);
        }
        directives(&mut op.node.directives);
        selections(&mut op.node.selection_set.node);
    }
    for fragment in doc.fragments.values_mut() {
        directives(&mut fragment.node.directives);
        selections(&mut fragment.node.selection_set.node);
    }
}

fn coded(message: String, code: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions.get_or_insert_with(Default::default).set("code", code);
    err
}

/// Gives every error a code from the contract's set: depth and complexity refusals become
/// `QUERY_TOO_COMPLEX`, other parse and validation errors `BAD_USER_INPUT`.
fn code_errors(response: &mut Response) {
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        // An argument that parsed badly (a malformed UUID or date) is reported with the
        // field it was given to, and the input types it sat in.
        if err.message.starts_with("Failed to parse")
            && let Some(async_graphql::PathSegment::Field(field)) = err.path.last()
        {
            err.message = format!("invalid argument of `{field}`: {}", err.message);
        }
        if ext.get("code").is_none() {
            let m = err.message.to_lowercase();
            let code = if m.contains("nested too deep") || m.contains("too complex") {
                "QUERY_TOO_COMPLEX"
            } else {
                "BAD_USER_INPUT"
            };
            ext.set("code", code);
        }
    }
}
