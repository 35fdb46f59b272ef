//! Email campaigns by id and by campaign, within the caller's scope (a retailer sees those
//! they were sent email of).

use super::visibility;
use crate::auth::Scope;
use entity::email_campaigns::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// Email campaigns by id, those the scope may see.
pub async fn find_email_campaigns(
    db: &impl ConnectionTrait,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<email_campaigns::Model>, DbErr> {
    email_campaigns::Entity::find()
        .filter(visibility::email_campaigns(scope))
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await
}

/// The email campaigns of each campaign the scope may see, in send order (a campaign with
/// none is absent).
pub async fn of_campaigns(
    db: &impl ConnectionTrait,
    scope: Scope,
    campaigns: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<email_campaigns::Model>>, DbErr> {
    let rows = email_campaigns::Entity::find()
        .filter(visibility::email_campaigns(scope))
        .filter(Column::CampaignId.is_in(campaigns))
        .order_by_asc(Column::SentAt)
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<_, Vec<_>> = HashMap::new();
    for row in rows {
        if let Some(campaign_id) = row.campaign_id {
            out.entry(campaign_id).or_default().push(row);
        }
    }
    Ok(out)
}
