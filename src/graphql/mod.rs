//! The GraphQL schema. `schema_builder()` registers types only (SDL export needs no
//! database); `build_api(db, sources, changes, appliers, users, limits)` adds the data and the limits and runs
//! the schema under `Api`'s rules (`limits.rs`). Per-request
//! data (the caller and their loaders) is attached by `prepare_request`.
//! One file per area.

pub mod bounds;
mod campaign;
mod campaign_figures;
mod children;
mod commerce;
pub mod connection;
mod email;
mod enums;
mod ingest;
mod inputs;
mod limits;
mod live;
mod node;
mod nulls;
mod performance;
mod planning;
mod portfolio;
mod retailer;
mod tracking;
mod user;

pub use campaign::Campaign;
pub use limits::{Api, MUTATION_OVER_GET, QueriesOnly, RequestId, has_internal_error};
pub use performance::CampaignPerformance;

use crate::auth::{Caller, Scope, UserCache, Viewer};
use crate::config::Limits;
use crate::error::AppError;
use crate::ingest::{Appliers, Changes};
use crate::loaders::{Loaders, Source, Sources};
use async_graphql::{Context, MergedObject, Schema, SchemaBuilder};
use connection::ListConnection;
use live::SubscriptionRoot;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Every root query field, merged from the areas. Named `Query` (as `Mutation` and
/// `Subscription`), the names clients' caches and tools expect.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    campaign::CampaignQuery,
    portfolio::PortfolioQuery,
    retailer::RetailerQuery,
    user::UserQuery,
    ingest::IngestQuery,
    node::NodeQuery,
);

/// Every mutation, merged from the areas.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    planning::PlanningMutation,
    ingest::IngestMutation,
    user::UserMutation,
    tracking::TrackingMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema's types, without data: what `schema.graphql` is printed from.
pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    // async-graphql's own types have no description of their own: given here.
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .override_output_type_description::<rust_decimal::Decimal>(
            "An exact decimal number (money), as a string such as \"41500.00\"; inputs also accept a JSON number.",
        )
        .override_output_type_description::<async_graphql::ID>(
            "An opaque identifier: here, a global object id (`nodeId`) that `node(id:)` resolves.",
        )
        .override_output_type_description::<ListConnection<Campaign>>("A page of campaigns (a Relay connection).")
        .override_output_type_description::<ListConnection<commerce::CrmConversion>>(
            "A page of CRM conversions (a Relay connection).",
        )
        .override_output_type_description::<ListConnection<commerce::EcommerceOrder>>(
            "A page of e-commerce orders (a Relay connection).",
        )
        .override_output_type_description::<ListConnection<email::EmailSend>>(
            "A page of email sends (a Relay connection).",
        )
        .override_output_type_description::<ListConnection<user::User>>("A page of users (a Relay connection).")
}

/// The schema a server runs, with the rules of `Api`: types, the database connection (and
/// where reads go, for subscriptions), news
/// of changes, the users that tokens name (forgotten by the mutations that change them) and
/// the limits.
pub fn build_api(
    db: DatabaseConnection,
    sources: Sources,
    changes: Changes,
    appliers: Appliers,
    users: UserCache,
    limits: &Limits,
) -> Api {
    // Depth is bounded by `bounds` (data fields only), so that standard introspection queries
    // pass; complexity by async-graphql, once `bounds` has held the document to a size it
    // can walk.
    let mut builder = schema_builder()
        .data(db)
        .data(sources)
        .data(changes)
        .data(appliers)
        .data(users)
        .limit_complexity(limits.max_complexity);
    if limits.disable_introspection {
        builder = builder.disable_introspection();
    }
    let shape = bounds::Bounds {
        max_fields: bounds::MAX_FIELDS,
        max_root_fields: bounds::MAX_ROOT_FIELDS,
        max_aliases: limits.max_aliases as u64,
        max_directives: bounds::MAX_DIRECTIVES,
        max_depth: limits.max_depth as u64,
        max_introspection_depth: bounds::MAX_INTROSPECTION_DEPTH,
    };
    Api::new(builder.finish(), shape)
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    // With `@specifiedBy` on UUID and DateTime, as introspection reports them.
    schema_builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// Attaches what one request needs: where it reads (`source`: its connection for every
/// resolver, in place of the schema's primary), the caller and loaders cut to the caller's
/// scope (fresh per request, so nothing is cached between requests), batching once the
/// resolvers all wait and then `batch_window` passes without a load, and sharing the
/// source's batches with the requests that ask at the same time.
pub fn prepare_request(
    request: async_graphql::Request,
    source: &Source,
    viewer: Viewer,
    batch_window: std::time::Duration,
) -> async_graphql::Request {
    let request = match viewer.scope() {
        Some(scope) => request.data(Arc::new(Loaders::new(&source.db, &source.shared, scope, batch_window))),
        None => request,
    };
    request.data(source.db.clone()).data(viewer)
}

/// The request's database connection: where `prepare_request` says it reads (the primary
/// for a mutation, else perhaps a replica); the primary for a subscription.
pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The authenticated caller, or `UNAUTHENTICATED`. Every root field starts here.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    match ctx.data_opt::<Viewer>() {
        Some(viewer) => Ok(viewer.caller()?),
        None => Err(AppError::Unauthenticated.into()),
    }
}

/// The caller's scope (only reachable below a root field that checked `caller`).
pub(crate) fn scope(ctx: &Context<'_>) -> async_graphql::Result<Scope> {
    caller(ctx).map(Caller::scope)
}

/// The request's loaders, which exist only for an authenticated caller.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Loaders>> {
    caller(ctx)?;
    ctx.data::<Arc<Loaders>>().map_err(|_| AppError::Unauthenticated.into())
}
