//! The GraphQL schema. `schema_builder()` registers types only (SDL export needs no
//! database); `build_schema(db)` adds the connection. Per-request data (loaders) is attached
//! by `prepare_request`. One file per area.

mod campaign;
mod connection;
mod email;
mod enums;
mod inputs;
mod performance;
mod user;

pub use campaign::Campaign;
pub use performance::CampaignPerformance;

use crate::loaders::Loaders;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

/// Every root query field, merged from the areas.
#[derive(MergedObject, Default)]
pub struct QueryRoot(campaign::CampaignQuery);

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// The schema's types, without data: what `schema.graphql` is printed from.
pub fn schema_builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
}

/// The schema a server runs: types plus the database connection.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    schema_builder().data(db).finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// Attaches what one request needs: fresh loaders (so nothing is cached between requests).
pub fn prepare_request(
    request: async_graphql::Request,
    db: &DatabaseConnection,
) -> async_graphql::Request {
    request.data(Loaders::new(db))
}

/// The request's database connection.
pub(crate) fn db<'a>(ctx: &async_graphql::Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The request's loaders.
pub(crate) fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}
