//! Request-wide rules of the schema: the alias limit, and error codes on every error.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, Value, Variables};
use std::sync::Arc;

/// The id of one HTTP request: in logs, the `x-request-id` header and `INTERNAL` errors.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// Puts the request id on every `INTERNAL` error, so a user can quote it and an operator
    /// can find the logged detail.
    pub fn stamp(&self, response: &mut Response) {
        for err in &mut response.errors {
            let ext = err.extensions.get_or_insert_with(Default::default);
            if matches!(ext.get("code"), Some(Value::String(c)) if c == "INTERNAL") {
                ext.set("requestId", self.0.clone());
                err.message = format!("internal error (request id {})", self.0);
            }
        }
    }
}

/// Refuses requests with more than N aliases (`QUERY_TOO_COMPLEX`), before validation.
pub struct AliasLimit(pub usize);

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension(self.0))
    }
}

struct AliasLimitExtension(usize);

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn aliases_in(doc: &ExecutableDocument) -> usize {
    let operations: usize = doc.operations.iter().map(|(_, op)| count_aliases(&op.node.selection_set.node)).sum();
    let fragments: usize = doc.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
    operations + fragments
}

fn coded(message: String, code: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions.get_or_insert_with(Default::default).set("code", code);
    err
}

#[async_graphql::async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = aliases_in(&doc);
        if aliases > self.0 {
            return Err(coded(
                format!("the query uses {aliases} aliases; the limit is {}", self.0),
                "QUERY_TOO_COMPLEX",
            ));
        }
        Ok(doc)
    }
}

/// Gives every error a code from the contract's set: depth and complexity refusals become
/// `QUERY_TOO_COMPLEX`, other parse and validation errors `BAD_USER_INPUT`.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
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
        response
    }
}

/// Marks the requests that arrive over the WebSocket (`/graphql/ws`).
#[derive(Debug, Clone, Copy)]
pub struct OverWebSocket;

/// Over the WebSocket only subscriptions run: queries and mutations go to `POST /graphql`,
/// where the rate limit, the request timeout and the per-request loaders apply.
pub struct SubscriptionsOnlyOverWebSocket;

impl ExtensionFactory for SubscriptionsOnlyOverWebSocket {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionsOnlyOverWebSocket)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SubscriptionsOnlyOverWebSocket {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let not_subscription = doc.operations.iter().any(|(_, op)| op.node.ty != OperationType::Subscription);
        if not_subscription && ctx.data_opt::<OverWebSocket>().is_some() {
            return Err(coded(
                "only subscriptions run over the WebSocket; send queries and mutations to POST /graphql".into(),
                "BAD_USER_INPUT",
            ));
        }
        Ok(doc)
    }
}
