use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::breakdown::{self, GroupFigures, Of, RetailerFigures, Rows};
use crate::auth::Scope;
use async_graphql::dataloader::Loader;
use entity::enums::Region;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Figures per retailer of each campaign; a retailer's scope reads only their own row.
pub struct RetailerBreakdownLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for RetailerBreakdownLoader {
    type Value = Arc<HashMap<Uuid, RetailerFigures>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, Self::Value>, LoadError> {
        let rows = match self.0.scope {
            Scope::All => Rows::All,
            Scope::Retailer(r) => Rows::Retailer(r),
        };
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let by = breakdown::by_retailer(&self.0.db, rows, window, Of::Campaigns(&ids)).await.map_err(load_error)?;
            out.extend(by.into_iter().map(|(c, m)| (InWindow { key: CampaignId(c), window }, Arc::new(m))));
        }
        Ok(out)
    }
}

/// One region's sum in one campaign.
#[derive(Debug, Clone)]
pub struct RegionFigures {
    pub region: Region,
    pub group: GroupFigures,
}

/// Sums one campaign's per-retailer figures by the retailers' regions (East, West, Central,
/// North, South order), through `breakdown::group`.
pub fn sum_by_region(
    campaign: Uuid,
    per_retailer: &HashMap<Uuid, RetailerFigures>,
    region_of: impl Fn(&Uuid) -> Option<Region>,
) -> Vec<RegionFigures> {
    let rows = per_retailer.iter().map(|(retailer, figures)| (campaign, *retailer, *figures));
    breakdown::group(rows, region_of).into_iter().map(|(region, group)| RegionFigures { region, group }).collect()
}
