//! `CrmConversion` and `EcommerceOrder`: the money side.

use super::email::EmailSend;
use super::enums::{ConversionType, OrderStatus, ProductCategory};
use super::node::{Kind, global_id};
use super::user::{PageRetailers, User};
use super::{Campaign, loaders};
use crate::loaders::{CampaignById, SendById};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{crm_conversions, ecommerce_orders};
use rust_decimal::Decimal;
use uuid::Uuid;

async fn campaign(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Campaign>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders(ctx)?.load_one(CampaignById(id)).await?.map(Campaign))
}

/// A conversion recorded by the CRM: a sale, lead, signup or demo request.
pub struct CrmConversion(pub crm_conversions::Model, pub PageRetailers);

/// A conversion recorded by the CRM: a sale, lead, signup or demo request.
#[Object]
impl CrmConversion {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::CrmConversion, self.0.id))
    }
    /// The conversion's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Kind of conversion.
    #[graphql(name = "conversionType")]
    async fn conversion_type(&self) -> Option<ConversionType> {
        self.0.conversion_type.map(Into::into)
    }
    /// Its value (revenue).
    async fn conversion_value(&self) -> Option<Decimal> {
        self.0.conversion_value.map(|m| m.amount())
    }
    /// When it happened.
    async fn conversion_date(&self) -> DateTime<Utc> {
        self.0.conversion_date
    }
    /// Product category involved.
    async fn product_category(&self) -> Option<ProductCategory> {
        self.0.product_category.map(Into::into)
    }
    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The campaign credited with it.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        campaign(ctx, self.0.campaign_id).await
    }
    /// The retailer who converted.
    async fn retailer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.1.get(ctx, self.0.retailer_id).await
    }
    /// The email send that led to it, when attributed.
    async fn email_send(&self, ctx: &Context<'_>) -> Result<Option<EmailSend>> {
        let Some(id) = self.0.email_send_id else { return Ok(None) };
        Ok(loaders(ctx)?.load_one(SendById(id)).await?.map(|send| EmailSend(send, PageRetailers::default())))
    }
}

/// An order placed on the e-commerce platform.
pub struct EcommerceOrder(pub ecommerce_orders::Model, pub PageRetailers);

/// An order placed on the e-commerce platform; only completed orders count as revenue.
#[Object]
impl EcommerceOrder {
    /// The object's global id: opaque, unique across types, and what `node(id:)` takes.
    pub async fn node_id(&self, _ctx: &Context<'_>) -> Result<ID> {
        Ok(global_id(Kind::EcommerceOrder, self.0.id))
    }
    /// The order's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Total order amount.
    async fn order_value(&self) -> Option<Decimal> {
        self.0.order_value.map(|m| m.amount())
    }
    /// When it was placed.
    async fn order_date(&self) -> DateTime<Utc> {
        self.0.order_date
    }
    /// Number of items.
    async fn product_count(&self) -> i32 {
        self.0.product_count
    }
    /// Order state; only completed orders are revenue.
    async fn order_status(&self) -> OrderStatus {
        self.0.order_status.into()
    }
    /// Whether the order is attributed to an email of the campaign.
    async fn attributed_to_email(&self) -> bool {
        self.0.attributed_to_email
    }
    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The campaign credited with it.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        campaign(ctx, self.0.campaign_id).await
    }
    /// The retailer who placed it.
    async fn retailer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        self.1.get(ctx, self.0.retailer_id).await
    }
}
