use super::{CampaignId, InWindow, LoadError, LoaderContext, by_window, load_error};
use crate::analytics::Window;
use crate::analytics::breakdown::{self, GroupFigures, Of, RetailerFigures, Rows};
use crate::auth::Scope;
use async_graphql::dataloader::Loader;
use entity::enums::Region;
use entity::users;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Retailers a region needs before a retailer may see its aggregate: fewer, and the sum
/// would give away the others' figures.
pub const MIN_RETAILERS_FOR_REGION: usize = 3;

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

/// Figures per region of each campaign, for a retailer: only their own region, and only when
/// it spans at least `MIN_RETAILERS_FOR_REGION` retailers. (Callers who see everything sum the
/// leaderboard's rows instead, with `sum_by_region`, so the page reads them once.)
pub struct RegionalBreakdownLoader(pub LoaderContext);

impl Loader<InWindow<CampaignId>> for RegionalBreakdownLoader {
    type Value = Arc<Vec<RegionFigures>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InWindow<CampaignId>],
    ) -> Result<HashMap<InWindow<CampaignId>, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        for (window, ids) in by_window(keys, |k| k.0) {
            let regions = self.regions(window, &ids).await?;
            out.extend(regions.into_iter().map(|(c, r)| (InWindow { key: c, window }, r)));
        }
        Ok(out)
    }
}

impl RegionalBreakdownLoader {
    async fn regions(
        &self,
        window: Window,
        ids: &[Uuid],
    ) -> Result<HashMap<CampaignId, Arc<Vec<RegionFigures>>>, LoadError> {
        let db = &self.0.db;
        let (rows, own_region) = match self.0.scope {
            Scope::All => (Rows::All, None),
            Scope::Retailer(r) => {
                let me = users::Entity::find_by_id(r).one(db).await.map_err(load_error)?;
                match me.and_then(|u| u.region) {
                    Some(region) => (Rows::Region(region), Some(region)),
                    None => return Ok(ids.iter().map(|id| (CampaignId(*id), Arc::new(Vec::new()))).collect()),
                }
            }
        };
        let by = breakdown::by_retailer(db, rows, window, Of::Campaigns(ids)).await.map_err(load_error)?;
        let retailer_ids: Vec<Uuid> = by.values().flat_map(|m| m.keys().copied()).collect();
        let regions: HashMap<Uuid, Option<Region>> = if retailer_ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .filter(users::Column::Id.is_in(retailer_ids))
                .all(db)
                .await
                .map_err(load_error)?
                .into_iter()
                .map(|u| (u.id, u.region))
                .collect()
        };
        Ok(by
            .into_iter()
            .map(|(campaign, per_retailer)| {
                let visible: Vec<RegionFigures> =
                    sum_by_region(campaign, &per_retailer, |r| regions.get(r).copied().flatten())
                        .into_iter()
                        .filter(|r| match own_region {
                            None => true,
                            Some(own) => r.region == own && r.group.retailers.len() >= MIN_RETAILERS_FOR_REGION,
                        })
                        .collect();
                (CampaignId(campaign), Arc::new(visible))
            })
            .collect())
    }
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
