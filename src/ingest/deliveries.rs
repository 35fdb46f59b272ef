//! Deliveries already handled, by scope and key (a Shopify webhook's event id, a spend's
//! idempotency key): a retry is recognised and answered without being applied again.

use chrono::Utc;
use entity::idempotency_keys::{self, Column};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

/// Records `key` in `scope`; false when it was already there (the delivery is a repeat).
pub async fn first_time(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<bool, DbErr> {
    let row = idempotency_keys::ActiveModel {
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        created_at: Set(Utc::now()),
    };
    let inserted = idempotency_keys::Entity::insert(row)
        .on_conflict(OnConflict::columns([Column::Scope, Column::Key]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Removes `key` from `scope` (a delivery that was recorded but could not be applied).
pub async fn forget(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<(), DbErr> {
    idempotency_keys::Entity::delete_by_id((scope.to_owned(), key.to_owned())).exec(db).await?;
    Ok(())
}

/// Whether `key` was already recorded in `scope`.
pub async fn seen(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<bool, DbErr> {
    Ok(idempotency_keys::Entity::find_by_id((scope.to_owned(), key.to_owned())).one(db).await?.is_some())
}
