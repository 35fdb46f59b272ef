use super::{CampaignId, LoadError, LoaderContext, load_error};
use crate::analytics::Window;
use crate::analytics::timeline::{self, Resolution, SlotRow};
use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A campaign's timeline rows at a resolution, within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimelineKey {
    pub campaign: CampaignId,
    pub resolution: Resolution,
    pub window: Window,
}

/// Per campaign: its events inside a window counted per kind and 15-minute slot, hour or day
/// (one statement per batch, resolution and window).
pub struct CampaignTimelineLoader(pub LoaderContext);

impl Loader<TimelineKey> for CampaignTimelineLoader {
    type Value = Arc<Vec<SlotRow>>;
    type Error = LoadError;

    async fn load(&self, keys: &[TimelineKey]) -> Result<HashMap<TimelineKey, Self::Value>, LoadError> {
        let mut groups: HashMap<(Resolution, Window), Vec<Uuid>> = HashMap::new();
        for k in keys {
            groups.entry((k.resolution, k.window)).or_default().push(k.campaign.0);
        }
        let mut out = HashMap::new();
        for ((resolution, window), ids) in groups {
            let rows = timeline::slots(&self.0.db, self.0.scope, resolution, window, &ids).await.map_err(load_error)?;
            out.extend(
                rows.into_iter()
                    .map(|(id, r)| (TimelineKey { campaign: CampaignId(id), resolution, window }, Arc::new(r))),
            );
        }
        Ok(out)
    }
}
