//! What a scope may see, as SQL conditions. Every service and loader applies these, so a
//! retailer's view is cut in the query itself, never filtered afterwards.

use crate::auth::Scope;
use entity::{campaigns, email_campaigns, email_sends};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

/// Campaigns that sent at least one email to `retailer`.
fn campaigns_targeting(retailer: uuid::Uuid) -> SimpleExpr {
    let targeted = Query::select()
        .column((email_campaigns::Entity, email_campaigns::Column::CampaignId))
        .from(email_campaigns::Entity)
        .inner_join(
            email_sends::Entity,
            Expr::col((email_sends::Entity, email_sends::Column::EmailCampaignId))
                .equals((email_campaigns::Entity, email_campaigns::Column::Id)),
        )
        .and_where(Expr::col((email_sends::Entity, email_sends::Column::RetailerId)).eq(retailer))
        .to_owned();
    Expr::col((campaigns::Entity, campaigns::Column::Id)).in_subquery(targeted)
}

/// Campaign rows the scope may see: all, or those that targeted the retailer.
pub fn campaigns(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Retailer(r) => Condition::all().add(campaigns_targeting(r)),
    }
}

/// Email campaigns the scope may see: all, or those sent to the retailer.
pub fn email_campaigns(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Retailer(r) => {
            let sent_to = Query::select()
                .column(email_sends::Column::EmailCampaignId)
                .from(email_sends::Entity)
                .and_where(email_sends::Column::RetailerId.eq(r))
                .to_owned();
            Condition::all().add(email_campaigns::Column::Id.in_subquery(sent_to))
        }
    }
}

/// Users the scope may see: all, or the retailer themselves.
pub fn users(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Retailer(r) => Condition::all().add(entity::users::Column::Id.eq(r)),
    }
}

/// Fact rows (sends, conversions, orders) the scope may count, by the `retailer_id` column
/// of `table` (a table or its alias): all, or the retailer's own.
pub fn own_rows(scope: Scope, table: &str) -> Option<SimpleExpr> {
    own_retailer(scope).map(|r| super::column(table, "retailer_id").eq(r))
}

/// The retailer whose rows a scope is limited to, if any.
pub fn own_retailer(scope: Scope) -> Option<uuid::Uuid> {
    match scope {
        Scope::All => None,
        Scope::Retailer(r) => Some(r),
    }
}

/// The spend that ROI and ROAS are computed against: the campaign's, for those who see the
/// spend (`Scope::sees_spend`); nothing for a retailer (so a retailer sees ROI 0, ROAS 0,
/// `STANDARD`).
pub fn spend_for(scope: Scope, campaign: &campaigns::Model) -> entity::Money {
    if scope.sees_spend() { campaign.budget_spent } else { entity::Money::ZERO }
}

/// The campaign's budget as `scope` may see it (`Scope::sees_spend`).
pub fn budget_for(scope: Scope, campaign: &campaigns::Model) -> crate::analytics::metrics::Budget {
    if scope.sees_spend() {
        crate::analytics::metrics::Budget::of(campaign.budget_allocated, campaign.budget_spent)
    } else {
        crate::analytics::metrics::Budget::HIDDEN
    }
}
