//! The one apply path for CRM conversions: each is stored once per (source, external id),
//! provided its campaign, retailer and send (when given) exist, and the send is of that
//! campaign and that retailer.

use super::sql::insert_returning_keys;
use super::{Outcome, Received, Repeats, Report};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use entity::enums::{ConversionType, ProductCategory, QuarantineKind};
use entity::{Money, crm_conversions};
use sea_orm::ActiveValue::Set;
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::OnConflict;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A conversion in the provider-neutral form (also how a quarantined one is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversion {
    pub campaign_id: Uuid,
    pub retailer_id: Uuid,
    pub email_send_id: Option<Uuid>,
    pub conversion_type: ConversionType,
    pub value: Money,
    pub occurred_at: DateTime<Utc>,
    pub product_category: Option<ProductCategory>,
}

/// Reads a quarantined conversion back.
pub fn parse_stored(_source: &str, payload: &str) -> Result<Conversion, String> {
    serde_json::from_str(payload).map_err(|e| format!("unreadable conversion: {e}"))
}

/// Applies a batch of conversions; the outcomes follow the batch's order.
pub async fn apply(db: &DatabaseConnection, batch: Vec<Received<Conversion>>) -> Result<Report, AppError> {
    let repeats = Repeats::of(&batch);
    let mut outcomes = repeats.initial();
    let items = || batch.iter().filter_map(|r| r.item.as_ref().ok());
    let known = super::orders::Known::load(
        db,
        items().map(|c| c.campaign_id),
        items().map(|c| c.retailer_id),
        items().filter_map(|c| c.email_send_id),
    )
    .await?;
    let mut report = Report::default();
    let mut rows = Vec::new();
    for (slot, r) in outcomes.iter_mut().zip(&batch) {
        if slot.is_some() {
            continue;
        }
        let c = match &r.item {
            Err(reason) => {
                *slot = Some(Outcome::Quarantined(reason.clone()));
                continue;
            }
            Ok(c) => c,
        };
        let missing = known
            .missing_campaign(c.campaign_id)
            .or_else(|| known.missing_retailer(c.retailer_id))
            .or_else(|| c.email_send_id.and_then(|s| known.unlinkable_send(s, c.campaign_id, c.retailer_id)))
            .or_else(|| super::untimely("the conversion date", c.occurred_at));
        if let Some(reason) = missing {
            *slot = Some(Outcome::Quarantined(reason));
            continue;
        }
        report.campaigns.insert(c.campaign_id);
        rows.push(crm_conversions::ActiveModel {
            id: Set(Uuid::new_v4()),
            campaign_id: Set(Some(c.campaign_id)),
            retailer_id: Set(Some(c.retailer_id)),
            email_send_id: Set(c.email_send_id),
            conversion_type: Set(Some(c.conversion_type)),
            conversion_value: Set(Some(c.value)),
            conversion_date: Set(c.occurred_at),
            product_category: Set(c.product_category),
            created_at: Set(Utc::now()),
            source: Set(Some(r.source.clone())),
            external_id: Set(Some(r.key.clone())),
        });
    }
    // One insertion order for every batch, so concurrent batches cannot deadlock.
    rows.sort_by(|a, b| (a.source.as_ref(), a.external_id.as_ref()).cmp(&(b.source.as_ref(), b.external_id.as_ref())));
    let txn = crate::db::begin_write(db).await?;
    use crm_conversions::Column as C;
    let conflict = OnConflict::columns([C::Source, C::ExternalId]).do_nothing().to_owned();
    let written = insert_returning_keys(&txn, rows, conflict, (C::Source, C::ExternalId)).await?;
    for (slot, r) in outcomes.iter_mut().zip(&batch) {
        if slot.is_none() && written.contains(&(r.source.clone(), r.key.clone())) {
            *slot = Some(Outcome::Applied);
        }
    }
    report.outcomes = repeats.settle(outcomes);
    super::quarantine::settle(&txn, QuarantineKind::Conversion, &batch, &report.outcomes).await?;
    txn.commit().await?;
    Ok(report)
}
