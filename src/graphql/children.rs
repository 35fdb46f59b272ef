//! The child connections several types offer — `sends`, `conversions`, `orders` — each declared
//! once, with its arguments, and flattened into every parent type that has it
//! (`#[graphql(flatten)] fn sends_connection(&self) -> Sends<OfRetailer>`).
//!
//! Each parent gets its own GraphQL type for the flattened part (`Sends<OfRetailer>` is
//! `RetailerSends`, never reachable by itself and dropped from the schema): async-graphql copies
//! a flattened type's fields out of its registry, and the types refer to each other
//! (`EmailSend.emailCampaign.sends`), so a part shared by two parents would be copied into the
//! second while still half-registered, and that parent would silently lose the field.

use super::commerce::{CrmConversion, EcommerceOrder};
use super::connection::{ListConnection, Paging, children, connection_cost};
use super::email::EmailSend;
use super::inputs::{
    CrmConversionFilter, CrmConversionOrder, EcommerceOrderFilter, EcommerceOrderOrder, EmailSendFilter, EmailSendOrder,
};
use crate::services::conversions::{ConversionListing, ConversionParent};
use crate::services::orders::{OrderListing, OrderParent};
use crate::services::sends::{SendListing, SendParent};
use async_graphql::{Context, Object, Result};
use std::marker::PhantomData;
use uuid::Uuid;

/// A parent that lists sends, and which relation of `email_sends` it is.
pub trait SendsParent: Send + Sync + 'static {
    const SENDS: SendParent;
}

/// A parent that lists CRM conversions, and which relation it is.
pub trait ConversionsParent: Send + Sync + 'static {
    const CONVERSIONS: ConversionParent;
}

/// A parent that lists e-commerce orders, and which relation it is.
pub trait OrdersParent: Send + Sync + 'static {
    const ORDERS: OrderParent;
}

/// Under a campaign.
pub struct OfCampaign;
/// Under one email of a campaign.
pub struct OfEmailCampaign;
/// Under a retailer.
pub struct OfRetailer;
/// Under one send.
pub struct OfSend;

impl SendsParent for OfEmailCampaign {
    const SENDS: SendParent = SendParent::EmailCampaign;
}
impl SendsParent for OfRetailer {
    const SENDS: SendParent = SendParent::Retailer;
}
impl ConversionsParent for OfCampaign {
    const CONVERSIONS: ConversionParent = ConversionParent::Campaign;
}
impl ConversionsParent for OfRetailer {
    const CONVERSIONS: ConversionParent = ConversionParent::Retailer;
}
impl ConversionsParent for OfSend {
    const CONVERSIONS: ConversionParent = ConversionParent::EmailSend;
}
impl OrdersParent for OfCampaign {
    const ORDERS: OrderParent = OrderParent::Campaign;
}
impl OrdersParent for OfRetailer {
    const ORDERS: OrderParent = OrderParent::Retailer;
}

/// The `sends` connection of the parent with this id.
pub struct Sends<P>(Uuid, PhantomData<P>);
/// The `conversions` connection of the parent with this id.
pub struct Conversions<P>(Uuid, PhantomData<P>);
/// The `orders` connection of the parent with this id.
pub struct Orders<P>(Uuid, PhantomData<P>);

impl<P> Sends<P> {
    pub fn of(parent_id: Uuid) -> Self {
        Sends(parent_id, PhantomData)
    }
}
impl<P> Conversions<P> {
    pub fn of(parent_id: Uuid) -> Self {
        Conversions(parent_id, PhantomData)
    }
}
impl<P> Orders<P> {
    pub fn of(parent_id: Uuid) -> Self {
        Orders(parent_id, PhantomData)
    }
}

#[Object(
    concrete(name = "EmailCampaignSends", params(OfEmailCampaign)),
    concrete(name = "RetailerSends", params(OfRetailer))
)]
impl<P: SendsParent> Sends<P> {
    /// Sends under this email or retailer (a retailer sees their own), as a connection.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn sends(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which sends to include.")] filter: Option<EmailSendFilter>,
        #[graphql(
            desc = "Sort order; default: by send time. Each ordering is read from an index on (parent, time, id), so a page costs its size at any history; delivery time and recipient address are not offered (three more indexes each, paid by every send stored and, for delivery time, every delivery recorded)."
        )]
        order_by: Option<EmailSendOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<EmailSend>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = EmailSendOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<SendListing, _>(ctx, self.0, P::SENDS, query, spec, EmailSend).await
    }
}

#[Object(
    concrete(name = "CampaignConversions", params(OfCampaign)),
    concrete(name = "RetailerConversions", params(OfRetailer)),
    concrete(name = "SendConversions", params(OfSend))
)]
impl<P: ConversionsParent> Conversions<P> {
    /// CRM conversions under this campaign, retailer or send (a retailer sees their own), as a
    /// connection.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn conversions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which conversions to include.")] filter: Option<CrmConversionFilter>,
        #[graphql(desc = "Sort order; default: by conversion date.")] order_by: Option<CrmConversionOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<CrmConversion>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = CrmConversionOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<ConversionListing, _>(ctx, self.0, P::CONVERSIONS, query, spec, CrmConversion).await
    }
}

#[Object(concrete(name = "CampaignOrders", params(OfCampaign)), concrete(name = "RetailerOrders", params(OfRetailer)))]
impl<P: OrdersParent> Orders<P> {
    /// E-commerce orders under this campaign or retailer (a retailer sees their own), as a
    /// connection.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "a connection's GraphQL arguments")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which orders to include.")] filter: Option<EcommerceOrderFilter>,
        #[graphql(desc = "Sort order; default: by order date.")] order_by: Option<EcommerceOrderOrder>,
        #[graphql(desc = "Page size reading forwards: 20 when omitted, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Page size reading backwards (the rows before `before`): at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first row of the next page (read backwards with `last`).")] before: Option<
            String,
        >,
    ) -> Result<ListConnection<EcommerceOrder>> {
        let query = filter.unwrap_or_default().into_query()?;
        let spec = EcommerceOrderOrder::spec(order_by, &Paging::new(first, after, last, before))?;
        children::<OrderListing, _>(ctx, self.0, P::ORDERS, query, spec, EcommerceOrder).await
    }
}
