use super::{LoadError, LoaderContext, UserId, load_error};
use crate::services;
use async_graphql::dataloader::Loader;
use entity::users;
use std::collections::HashMap;

/// Users by id, within the caller's scope: one statement per batch.
pub struct UserByIdLoader(pub LoaderContext);

impl Loader<UserId> for UserByIdLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = services::users::find_users(&self.0.db, self.0.scope, keys.iter().map(|k| k.0))
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|u| (UserId(u.id), u)).collect())
    }
}
