//! What a scope may see, as SQL conditions. Every service and loader applies these, so a
//! retailer's view is cut in the query itself, never filtered afterwards.

use crate::auth::Scope;
use entity::{campaigns, email_campaigns};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

/// Email campaigns that sent at least one email to `retailer`, read from the `email_totals`
/// rollup (one row per email × retailer, kept exact with every send) by its retailer index:
/// a retailer's visibility costs the number of their emails, not of their sends.
fn emails_sent_to(retailer: uuid::Uuid) -> sea_orm::sea_query::SelectStatement {
    let totals = sea_orm::sea_query::Alias::new("email_totals");
    Query::select()
        .expr(super::column("email_totals", "email_campaign_id"))
        .from(totals)
        .and_where(super::column("email_totals", "retailer_id").eq(retailer))
        .and_where(super::column("email_totals", "sent").gt(0))
        .to_owned()
}

/// Campaign rows the scope may see: all, or those that sent at least one email to the retailer.
pub fn campaigns(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Retailer(r) => {
            let targeted = Query::select()
                .column((email_campaigns::Entity, email_campaigns::Column::CampaignId))
                .from(email_campaigns::Entity)
                .and_where(
                    Expr::col((email_campaigns::Entity, email_campaigns::Column::Id)).in_subquery(emails_sent_to(r)),
                )
                .to_owned();
            Condition::all().add(Expr::col((campaigns::Entity, campaigns::Column::Id)).in_subquery(targeted))
        }
    }
}

/// Email campaigns the scope may see: all, or those sent to the retailer.
pub fn email_campaigns(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Retailer(r) => Condition::all().add(email_campaigns::Column::Id.in_subquery(emails_sent_to(r))),
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
