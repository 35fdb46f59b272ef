//! Who the caller is (bearer tokens, `token`), and what they may see (`Scope`, applied by
//! every service and loader, not on top of them).

mod cache;
pub mod keys;
pub mod session;
pub mod token;

use crate::error::AppError;
use entity::enums::UserType;
use entity::users;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

pub use cache::UserCache;
pub use session::{Holdings, Session};
pub use token::{Minter, TokenError, Verifier};

/// An authenticated, active user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: users::Model,
}

/// The rows a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Admins and brand users: everything.
    All,
    /// A retailer: campaigns that targeted them, and only their own sends, conversions,
    /// orders and figures.
    Retailer(Uuid),
}

/// What a retailer may see of figures, the one rule every figure follows (README "Who sees
/// what" has the threat model): their own rows only. No figure that sums other retailers'
/// rows (a regional sum read twice, or for two periods, and subtracted would single out
/// whoever moved in between), and nothing of the brand's spend (budgets, ROI, ROAS: the spend
/// is the brand's, and a retailer's revenue against it would be a meaningless return).
impl Scope {
    /// Whether figures summing several retailers' rows (regions) are shown.
    pub fn sees_other_retailers(self) -> bool {
        matches!(self, Scope::All)
    }

    /// Whether the brand's spend (budgets, and the ROI and ROAS computed from it) is shown.
    pub fn sees_spend(self) -> bool {
        matches!(self, Scope::All)
    }
}

impl Caller {
    pub fn scope(&self) -> Scope {
        match self.user.user_type {
            UserType::Admin | UserType::Brand => Scope::All,
            UserType::Retailer => Scope::Retailer(self.user.id),
        }
    }

    /// Brand users and administrators manage campaigns and feed in data; retailers only read.
    pub fn require_brand(&self) -> Result<(), AppError> {
        match self.user.user_type {
            UserType::Admin | UserType::Brand => Ok(()),
            UserType::Retailer => Err(AppError::Forbidden("only brand users and administrators may do this".into())),
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.user_type == UserType::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("only administrators may do this".into()))
        }
    }
}

/// The caller of one request: nobody (no `Authorization` header) or a user.
#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    User(Caller),
}

impl Viewer {
    /// The caller, or `UNAUTHENTICATED`.
    pub fn caller(&self) -> Result<&Caller, AppError> {
        match self {
            Viewer::User(c) => Ok(c),
            Viewer::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// The rows this viewer may see; `None` for anonymous callers, who see nothing.
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Viewer::User(c) => Some(c.scope()),
            Viewer::Anonymous => None,
        }
    }
}

/// Resolves an `Authorization` header: absent → anonymous; a bearer token that verifies and
/// names an active user → that user; anything else → `UNAUTHENTICATED`. The user comes from
/// `users` (memory that forgets a user as their change commits), so deactivation takes
/// effect at once.
pub async fn authenticate(
    db: &DatabaseConnection,
    users: &UserCache,
    verifier: &Verifier,
    authorization: Option<&str>,
) -> Result<Viewer, AppError> {
    let Some(value) = authorization else { return Ok(Viewer::Anonymous) };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthenticated)?;
    let user_id = verifier.verify(token).map_err(|reason| {
        tracing::debug!(%reason, "token refused");
        AppError::Unauthenticated
    })?;
    match users.user(db, user_id).await? {
        Some(user) if user.is_active => Ok(Viewer::User(Caller { user })),
        _ => Err(AppError::Unauthenticated),
    }
}
