use super::{LoadError, UserId, load_error};
use async_graphql::dataloader::Loader;
use entity::users;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Users by id: one statement per batch.
pub struct UserByIdLoader {
    pub db: DatabaseConnection,
}

impl Loader<UserId> for UserByIdLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|u| (UserId(u.id), u)).collect())
    }
}
