//! Users: finding them within a scope, and the admin's changes to them.

use super::listing::{Listing, SortKind, SortValue};
use super::{contains_ignoring_case, visibility};
use crate::auth::Scope;
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::enums::{Region, UserType};
use entity::users::{self, Column};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Select,
};
use std::convert::Infallible;
use uuid::Uuid;

/// Which retailers to list. All conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RetailerQuery {
    pub regions: Vec<Region>,
    pub is_active: Option<bool>,
    pub name_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RetailerSort {
    #[default]
    Name,
    CreatedAt,
}

/// Retailers (users of type retailer) as a listing.
pub struct RetailerListing;

impl Listing for RetailerListing {
    type Entity = users::Entity;
    type Filter = RetailerQuery;
    type Sort = RetailerSort;
    type Parent = Infallible;

    fn select(scope: Scope, q: &RetailerQuery) -> Select<users::Entity> {
        let mut select =
            users::Entity::find().filter(visibility::users(scope)).filter(Column::UserType.eq(UserType::Retailer));
        if !q.regions.is_empty() {
            select = select.filter(Column::Region.is_in(q.regions.iter().copied()));
        }
        if let Some(active) = q.is_active {
            select = select.filter(Column::IsActive.eq(active));
        }
        if let Some(text) = q.name_contains.as_deref().filter(|t| !t.is_empty()) {
            select = select.filter(contains_ignoring_case((users::Entity, Column::Name), text));
        }
        select
    }

    fn sort_column(sort: RetailerSort) -> (Column, SortKind) {
        match sort {
            RetailerSort::Name => (Column::Name, SortKind::Text),
            RetailerSort::CreatedAt => (Column::CreatedAt, SortKind::Time),
        }
    }

    fn id_column() -> Column {
        Column::Id
    }

    fn id(u: &users::Model) -> Uuid {
        u.id
    }

    fn sort_value(sort: RetailerSort, u: &users::Model) -> Option<SortValue> {
        match sort {
            RetailerSort::Name => Some(SortValue::Text(u.name.clone())),
            RetailerSort::CreatedAt => Some(SortValue::Time(u.created_at)),
        }
    }

    fn parent_column(parent: Infallible) -> Column {
        match parent {}
    }

    fn parent_of(parent: Infallible, _: &users::Model) -> Option<Uuid> {
        match parent {}
    }
}

/// Every retailer the scope may see that matches `query` (for ranking them by their figures).
pub async fn all_retailers(
    db: &impl ConnectionTrait,
    scope: Scope,
    query: &RetailerQuery,
) -> Result<Vec<users::Model>, DbErr> {
    RetailerListing::select(scope, query).all(db).await
}

/// Which of `ids` are retailers (read in chunks of `db::CHUNK` ids per statement).
pub async fn retailer_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashSet<Uuid>, DbErr> {
    let mut wanted: Vec<Uuid> = ids.into_iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut retailers = std::collections::HashSet::new();
    for chunk in wanted.chunks(crate::db::CHUNK) {
        let found: Vec<Uuid> = users::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .filter(Column::UserType.eq(entity::enums::UserType::Retailer))
            .into_tuple()
            .all(db)
            .await?;
        retailers.extend(found);
    }
    Ok(retailers)
}

/// Users by id, those the scope may see.
pub async fn find_users(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find().filter(visibility::users(scope)).filter(Column::Id.is_in(ids)).all(db).await
}

/// One user by email (any scope: used by the `token` command).
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find().filter(Column::Email.eq(email.trim().to_lowercase())).one(db).await
}

/// A new user's fields.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub user_type: UserType,
    pub region: Option<Region>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub user_type: Option<UserType>,
    pub region: Option<Option<Region>>,
    pub is_active: Option<bool>,
}

/// `value` as a stored email address (trimmed, lowercased), when it has an address's shape:
/// one `@` with something before it, a dotted domain, no spaces, 255 characters at most.
/// Every path that stores an address checks it here.
pub fn email_address(value: &str) -> Option<String> {
    let email = value.trim().to_lowercase();
    let valid = email.chars().count() <= 255
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'))
        && !email.contains(char::is_whitespace);
    valid.then_some(email)
}

fn checked_email(email: &str) -> AppResult<String> {
    email_address(email).ok_or_else(|| AppError::invalid("email", format!("{email:?} is not an email address")))
}

fn checked_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 255 {
        return Err(AppError::invalid("name", "must be 1 to 255 characters"));
    }
    Ok(name.to_owned())
}

pub async fn create_user(db: &impl ConnectionTrait, new: NewUser) -> AppResult<users::Model> {
    let now = Utc::now();
    let model = users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(checked_email(&new.email)?),
        name: Set(checked_name(&new.name)?),
        user_type: Set(new.user_type),
        region: Set(new.region),
        created_at: Set(now),
        updated_at: Set(now),
        is_active: Set(true),
    };
    model.insert(db).await.map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict(format!("a user with email {} already exists", new.email.trim())),
        other => other,
    })
}

pub async fn update_user(db: &impl ConnectionTrait, id: Uuid, changes: UserChanges) -> AppResult<users::Model> {
    let user = users::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    let mut model: users::ActiveModel = user.into();
    if let Some(email) = &changes.email {
        model.email = Set(checked_email(email)?);
    }
    if let Some(name) = &changes.name {
        model.name = Set(checked_name(name)?);
    }
    if let Some(t) = changes.user_type {
        model.user_type = Set(t);
    }
    if let Some(region) = changes.region {
        model.region = Set(region);
    }
    if let Some(active) = changes.is_active {
        model.is_active = Set(active);
    }
    model.updated_at = Set(Utc::now());
    model.update(db).await.map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("another user already has that email".into()),
        other => other,
    })
}
