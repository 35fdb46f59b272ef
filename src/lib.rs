//! campaign-performance: a GraphQL server that tells a brand and its retailers how their
//! marketing campaigns perform, from email sent to revenue and ROI.
//!
//! HTTP → handler (`http`) → schema (`graphql`) → resolver → loader (`loaders`) or service
//! (`analytics`) → SeaORM (`entity`) → database.

pub mod analytics;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod http;
pub mod loaders;
pub mod services;
pub mod telemetry;

pub use http::app;

use sea_orm::DatabaseConnection;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: graphql::AppSchema,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> Self {
        let schema = graphql::build_schema(db.clone());
        AppState { db, schema }
    }
}
