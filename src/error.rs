//! `AppError`: what went wrong, said in terms of what the client should do, and its one
//! mapping to GraphQL `extensions.code` and HTTP status.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use std::sync::Arc;

/// What went wrong, for the client.
///
/// It has no `Display`, on purpose: so that `?` in a resolver converts it with its code
/// (`From<AppError> for async_graphql::Error`), where async-graphql's blanket conversion of
/// any `Display` would keep the message and drop the code. `message` is its text.
#[derive(Debug, Clone)]
pub enum AppError {
    /// The thing asked for does not exist (or the caller may not see it).
    NotFound(String),
    /// An argument (or a column, or a field of an input) is wrong: which one, and how. The
    /// one vocabulary of validation shared by mutations, REST, webhooks and `import`, which
    /// each name the place in their own terms (`extensions.argument` in GraphQL; the column
    /// in `import`).
    Invalid {
        argument: String,
        problem: String,
    },
    /// The input is wrong in a way no single argument names; the message says how.
    InvalidInput(String),
    Unauthenticated,
    Forbidden(String),
    /// The change clashes with what is stored (a duplicate, a stale update).
    Conflict(String),
    /// Anything the database refused for reasons the client cannot fix. The detail is
    /// logged, never sent.
    Database(Arc<DbErr>),
}

impl AppError {
    pub fn invalid(argument: &str, problem: impl std::fmt::Display) -> Self {
        AppError::Invalid { argument: argument.to_owned(), problem: problem.to_string() }
    }

    /// What the client is told.
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::Invalid { argument, problem } => format!("invalid `{argument}`: {problem}"),
            AppError::InvalidInput(problem) | AppError::Conflict(problem) => problem.clone(),
            AppError::Unauthenticated => "authentication required".into(),
            AppError::Forbidden(why) => format!("not allowed: {why}"),
            // The detail is logged where it happened, never sent.
            AppError::Database(_) => "internal error".into(),
        }
    }

    /// The GraphQL error code of the contract's fixed set.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Invalid { .. } | AppError::InvalidInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Database(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } | AppError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Statements that found no pooled connection within the acquire timeout, in this process
/// (`/metrics`: `db_pool_acquire_timeouts_total`).
pub static POOL_TIMEOUTS: std::sync::LazyLock<prometheus_client::metrics::counter::Counter> =
    std::sync::LazyLock::new(Default::default);

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
        if let DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) = &err {
            POOL_TIMEOUTS.inc();
        }
        if matches!(&err, DbErr::Query(RuntimeErr::SqlxError(_)) | DbErr::Exec(RuntimeErr::SqlxError(_))) {
            tracing::error!(error = %err, "database statement failed");
        } else {
            tracing::error!(error = %err, "database error");
        }
        AppError::Database(Arc::new(err))
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let AppError::Invalid { argument, .. } = self {
                ext.set("argument", argument.as_str());
            }
        })
    }
}

/// `?` in a resolver: the error with its code.
impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// `?` on a database call in a resolver: classified (`From<DbErr>`), with its code.
pub fn db_error(err: DbErr) -> async_graphql::Error {
    AppError::from(err).extend()
}

pub type AppResult<T> = Result<T, AppError>;
