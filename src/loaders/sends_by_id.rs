use super::{LoadError, LoaderContext, SendId, load_error};
use crate::services::visibility;
use async_graphql::dataloader::Loader;
use entity::email_sends;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Email sends by id, within the caller's scope (a retailer's own): one statement per batch.
pub struct SendByIdLoader(pub LoaderContext);

impl Loader<SendId> for SendByIdLoader {
    type Value = email_sends::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[SendId]) -> Result<HashMap<SendId, Self::Value>, LoadError> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut select = email_sends::Entity::find().filter(email_sends::Column::Id.is_in(keys.iter().map(|k| k.0)));
        if let Some(own) = visibility::own_rows(self.0.scope, "email_sends.retailer_id") {
            select = select.filter(own);
        }
        let rows = select.all(&self.0.db).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|s| (SendId(s.id), s)).collect())
    }
}
