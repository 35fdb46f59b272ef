//! Input types shared by the areas: filters, ranges, orderings.

use crate::error::{AppError, AppResult};
use crate::services::campaigns::{CampaignOrdering, CampaignQuery, CampaignSort};
use crate::services::page::Direction;
use async_graphql::{Enum, InputObject};
use chrono::{DateTime, Utc};

use super::enums::CampaignStatus;

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
    pub fn checked(&self, argument: &str) -> AppResult<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
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

/// What campaigns can be sorted by. Ties are broken by id; missing dates sort last.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "CampaignSort")]
pub enum CampaignOrderField {
    /// When the campaign was created.
    #[default]
    CreatedAt,
    /// The campaign's name.
    Name,
    /// When the campaign starts.
    StartDate,
    /// When the campaign ends.
    EndDate,
}

/// How to order campaigns.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct CampaignOrder {
    /// The column to sort by.
    #[graphql(default)]
    pub field: CampaignOrderField,
    /// The direction.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<CampaignOrder> for CampaignOrdering {
    fn from(o: CampaignOrder) -> Self {
        CampaignOrdering { sort: o.field.into(), direction: o.direction.into() }
    }
}
