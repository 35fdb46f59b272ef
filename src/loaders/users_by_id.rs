use super::{LoadError, LoaderContext, UserId, load_error};
use crate::services;
use async_graphql::dataloader::Loader;
use entity::users;
use std::collections::HashMap;

/// Users by id, within the caller's scope: one statement per batch, shared with the requests
/// of the same scope that ask at the same time (`SharedReads`).
pub struct UserByIdLoader(pub LoaderContext);

impl Loader<UserId> for UserByIdLoader {
    type Value = users::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let LoaderContext { db, shared, scope } = &self.0;
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = shared
            .users
            .load(*scope, &ids, |ids| async move {
                let rows = services::users::find_users(db, *scope, ids).await.map_err(load_error)?;
                Ok(rows.into_iter().map(|u| (u.id, u)).collect())
            })
            .await?;
        Ok(rows.into_iter().map(|(id, u)| (UserId(id), u)).collect())
    }
}
