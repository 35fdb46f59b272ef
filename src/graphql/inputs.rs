//! Input types shared by the areas: filters, ranges, orderings.

use super::connection::{Paging, page_spec};
use super::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus};
use crate::error::{AppError, AppResult};
use crate::services::campaigns::{CampaignQuery, CampaignSort};
use crate::services::conversions::{ConversionQuery, ConversionSort};
use crate::services::listing::PageSpec;
use crate::services::orders::{OrderQuery, OrderSort};
use crate::services::page::Direction;
use crate::services::sends::{SendQuery, SendSort};
use crate::services::users::{RetailerQuery, RetailerSort};
use async_graphql::{Enum, InputObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The two ends of a range, either open.
pub type TimeBounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A time range; either end may be left open. Both ends are inclusive.
#[derive(InputObject, Clone, Debug, Default)]
pub struct DateRange {
    /// Start of the range (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// End of the range (inclusive).
    pub to: Option<DateTime<Utc>>,
}

impl DateRange {
    /// Checks that `from` is not after `to`; `argument` names the input in the error.
    pub fn checked(&self, argument: &str) -> AppResult<TimeBounds> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(AppError::invalid(argument, format!("`from` ({from}) is after `to` ({to})")));
        }
        Ok((self.from, self.to))
    }
}

/// Which campaigns to include. All conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CampaignFilter {
    /// Campaigns in any of these statuses.
    pub status: Option<Vec<CampaignStatus>>,
    /// Campaigns running at some time inside this range (a missing start or end date
    /// counts as open-ended).
    pub active_during: Option<DateRange>,
    /// Campaigns whose name contains this text, ignoring case.
    pub name_contains: Option<String>,
}

impl CampaignFilter {
    pub fn to_query(&self) -> AppResult<CampaignQuery> {
        let (active_from, active_to) = match &self.active_during {
            Some(range) => range.checked("filter.activeDuring")?,
            None => (None, None),
        };
        Ok(CampaignQuery {
            statuses: self.status.iter().flatten().map(|s| (*s).into()).collect(),
            active_from,
            active_to,
            name_contains: self.name_contains.clone(),
            ids: None,
        })
    }
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl From<SortDirection> for Direction {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => Direction::Asc,
            SortDirection::Desc => Direction::Desc,
        }
    }
}

/// An `orderBy` input: a field enum mirroring a listing's sort, and a direction.
macro_rules! order_input {
    ($(#[$attr:meta])* $input:ident, $field:ident, $sort:ty, $remote:literal, $what:literal, { $($(#[$doc:meta])* $variant:ident),+ $(,)? }) => {
        #[doc = concat!("What ", $what, " can be sorted by. Ties are broken by id; missing values sort last.")]
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
        #[graphql(remote = $remote)]
        $(#[$attr])*
        pub enum $field {
            #[default]
            $($(#[$doc])* $variant),+
        }

        #[doc = concat!("How to order ", $what, ".")]
        #[derive(InputObject, Clone, Copy, Debug, Default)]
        pub struct $input {
            /// The column to sort by.
            #[graphql(default)]
            pub field: $field,
            /// The direction.
            #[graphql(default)]
            pub direction: SortDirection,
        }

        impl $input {
            /// The page asked for in this order.
            pub fn spec(order: Option<Self>, paging: &Paging) -> AppResult<PageSpec<$sort>> {
                let o = order.unwrap_or_default();
                page_spec(<$sort>::from(o.field), o.direction.into(), paging)
            }
        }
    };
}

order_input!(CampaignOrder, CampaignOrderField, CampaignSort, "crate::services::campaigns::CampaignSort", "campaigns", {
    /// When the campaign was created.
    CreatedAt,
    /// The campaign's name.
    Name,
    /// When the campaign starts.
    StartDate,
    /// When the campaign ends.
    EndDate,
});

order_input!(RetailerOrder, RetailerOrderField, RetailerSort, "crate::services::users::RetailerSort", "retailers", {
    /// The retailer's name.
    Name,
    /// When the account was created.
    CreatedAt,
});

order_input!(
    #[expect(clippy::enum_variant_names, reason = "the variants name the GraphQL values SENT_AT, OPENED_AT, CLICKED_AT")]
    EmailSendOrder, EmailSendOrderField, SendSort, "crate::services::sends::SendSort", "email sends", {
    /// When the email was sent.
    SentAt,
    /// When it was first opened (never opened: last).
    OpenedAt,
    /// When it was first clicked (never clicked: last).
    ClickedAt,
});

order_input!(CrmConversionOrder, CrmConversionOrderField, ConversionSort, "crate::services::conversions::ConversionSort", "conversions", {
    /// When the conversion happened.
    ConversionDate,
    /// When it was recorded.
    CreatedAt,
});

order_input!(EcommerceOrderOrder, EcommerceOrderOrderField, OrderSort, "crate::services::orders::OrderSort", "orders", {
    /// When the order was placed.
    OrderDate,
    /// When it was recorded.
    CreatedAt,
});

/// Which retailers to include. All conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct RetailerFilter {
    /// Retailers in any of these regions.
    pub region: Option<Vec<Region>>,
    /// Active (or deactivated) retailers only.
    pub is_active: Option<bool>,
    /// Retailers whose name contains this text, ignoring case.
    pub name_contains: Option<String>,
}

impl From<RetailerFilter> for RetailerQuery {
    fn from(f: RetailerFilter) -> Self {
        RetailerQuery {
            regions: f.region.unwrap_or_default().into_iter().map(Into::into).collect(),
            is_active: f.is_active,
            name_contains: f.name_contains,
        }
    }
}

/// Which email sends to include. All conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct EmailSendFilter {
    /// Sends in any of these delivery states.
    pub status: Option<Vec<SendStatus>>,
    /// Sends to this retailer.
    pub retailer_id: Option<Uuid>,
    /// Opened (true) or never opened (false); a click counts as an open.
    pub opened: Option<bool>,
    /// Clicked (true) or never clicked (false).
    pub clicked: Option<bool>,
    /// Sent inside this time range (`totalCount` then counts up to 1,000).
    pub sent_during: Option<DateRange>,
}

impl EmailSendFilter {
    pub fn into_query(self) -> AppResult<SendQuery> {
        let (sent_from, sent_to) = self.sent_during.map_or(Ok((None, None)), |r| r.checked("filter.sentDuring"))?;
        Ok(SendQuery {
            statuses: self.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            retailer: self.retailer_id,
            opened: self.opened,
            clicked: self.clicked,
            sent_from,
            sent_to,
        })
    }
}

/// Which CRM conversions to include. All conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CrmConversionFilter {
    /// Conversions of any of these types.
    #[graphql(name = "type")]
    pub kind: Option<Vec<ConversionType>>,
    /// Conversions in any of these product categories.
    pub category: Option<Vec<ProductCategory>>,
    /// Conversions that happened inside this time range (`totalCount` then counts up to
    /// 1,000).
    pub during: Option<DateRange>,
}

impl CrmConversionFilter {
    pub fn into_query(self) -> AppResult<ConversionQuery> {
        let (from, to) = self.during.map_or(Ok((None, None)), |r| r.checked("filter.during"))?;
        Ok(ConversionQuery {
            types: self.kind.unwrap_or_default().into_iter().map(Into::into).collect(),
            categories: self.category.unwrap_or_default().into_iter().map(Into::into).collect(),
            from,
            to,
        })
    }
}

/// Which orders to include. All conditions must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct EcommerceOrderFilter {
    /// Orders in any of these states.
    pub status: Option<Vec<OrderStatus>>,
    /// Orders attributed (true) or not attributed (false) to email.
    pub attributed_to_email: Option<bool>,
    /// Orders placed inside this time range (`totalCount` then counts up to 1,000).
    pub during: Option<DateRange>,
}

impl EcommerceOrderFilter {
    pub fn into_query(self) -> AppResult<OrderQuery> {
        let (from, to) = self.during.map_or(Ok((None, None)), |r| r.checked("filter.during"))?;
        Ok(OrderQuery {
            statuses: self.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            attributed_to_email: self.attributed_to_email,
            from,
            to,
        })
    }
}

/// `MaybeUndefined` as "leave" (`None`), "clear" (`Some(None)`) or "set" (`Some(Some(v))`).
pub fn optional<T>(value: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
