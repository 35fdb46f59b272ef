use super::{LoadError, LoaderContext, SendId, load_error};
use async_graphql::dataloader::Loader;
use entity::email_events;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The event log of each send, in time order: one statement per batch. The sends come from
/// a resolver that already applied the caller's scope, and a send's events are as visible
/// as the send.
pub struct EventsBySendLoader(pub LoaderContext);

impl Loader<SendId> for EventsBySendLoader {
    type Value = Vec<email_events::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[SendId]) -> Result<HashMap<SendId, Self::Value>, LoadError> {
        let mut out: HashMap<SendId, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let rows = email_events::Entity::find()
            .filter(email_events::Column::EmailSendId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(email_events::Column::OccurredAt)
            .order_by_asc(email_events::Column::Id)
            .all(&self.0.db)
            .await
            .map_err(load_error)?;
        for row in rows {
            out.entry(SendId(row.email_send_id)).or_default().push(row);
        }
        Ok(out)
    }
}
