//! `AppError`: what went wrong, said in terms of what the client should do, and its one
//! mapping to GraphQL `extensions.code` and HTTP status.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (or the caller may not see it).
    #[error("{0} not found")]
    NotFound(String),
    /// An argument is wrong; the message names it.
    #[error("{0}")]
    InvalidInput(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The change clashes with what is stored (a duplicate, a stale update).
    #[error("{0}")]
    Conflict(String),
    /// Anything the database refused for reasons the client cannot fix. The detail is
    /// logged, never sent.
    #[error("internal error")]
    Database(Arc<DbErr>),
}

impl AppError {
    pub fn invalid(argument: &str, problem: impl std::fmt::Display) -> Self {
        AppError::InvalidInput(format!("invalid `{argument}`: {problem}"))
    }

    /// The GraphQL error code of the contract's fixed set.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::InvalidInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Database(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The one place database errors are classified.
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let DbErr::RecordNotFound(what) = &err {
            return AppError::NotFound(what.clone());
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return AppError::Conflict("a record with the same unique value already exists".into());
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return AppError::Conflict("a referenced record does not exist or is still referenced".into());
            }
            _ => {}
        }
        if matches!(&err, DbErr::Query(RuntimeErr::SqlxError(_)) | DbErr::Exec(RuntimeErr::SqlxError(_))) {
            tracing::error!(error = %err, "database statement failed");
        } else {
            tracing::error!(error = %err, "database error");
        }
        AppError::Database(Arc::new(err))
    }
}

impl From<Arc<AppError>> for AppError {
    fn from(err: Arc<AppError>) -> Self {
        (*err).clone()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| ext.set("code", self.code()))
    }
}

/// Resolvers end with `.map_err(gql)` (or `?` on `AppResult`) so that the code survives.
pub type AppResult<T> = Result<T, AppError>;

/// Turns any `AppError`-convertible error into a GraphQL error that carries its code.
pub fn gql(err: impl Into<AppError>) -> async_graphql::Error {
    err.into().extend()
}
