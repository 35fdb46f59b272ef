//! Stage 3: writing every row in foreign-key order, in one transaction.

use super::INSERT_ROWS;
use super::read::Batch;
use crate::services::campaigns::utm_code_from;
use entity::{campaigns, email_campaigns};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel,
    ModelTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Writes every row in foreign-key order in one transaction; returns the rows per table.
pub(super) async fn write(db: &DatabaseConnection, mut batch: Batch) -> Result<[u64; 6], DbErr> {
    let txn = db.begin().await?;

    // Campaigns without a UTM code get one made from their name, unique as `createCampaign`
    // makes it.
    if batch.campaigns.iter().any(|(_, c)| c.utm_code.is_none()) {
        let mut taken: HashSet<String> = campaigns::Entity::find()
            .select_only()
            .column(campaigns::Column::UtmCode)
            .filter(campaigns::Column::UtmCode.is_not_null())
            .into_tuple()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        taken.extend(batch.campaigns.iter().filter_map(|(_, c)| c.utm_code.clone()));
        for (_, c) in batch.campaigns.iter_mut().filter(|(_, c)| c.utm_code.is_none()) {
            let base = Some(utm_code_from(&c.name))
                .filter(|code| !code.is_empty())
                .unwrap_or_else(|| format!("campaign-{}", &c.id.simple().to_string()[..8]));
            let mut code = base.clone();
            let mut n = 2;
            while !taken.insert(code.clone()) {
                code = format!("{base}-{n}");
                n += 1;
            }
            c.utm_code = Some(code);
        }
    }

    // E3: an email campaign's recipients are its sends. Those of the files without a total
    // get their count; stored ones grow by the sends added, as `registerSends` does.
    let mut sends_per_email: HashMap<Uuid, i64> = HashMap::new();
    for (_, s) in &batch.email_sends {
        if let Some(e) = s.email_campaign_id {
            *sends_per_email.entry(e).or_default() += 1;
        }
    }
    for (_, e) in &mut batch.email_campaigns {
        let sends = sends_per_email.remove(&e.id).unwrap_or(0);
        if batch.counted_recipients.contains(&e.id) {
            e.total_recipients = i32::try_from(sends).unwrap_or(i32::MAX);
        }
    }

    let rows = [
        insert_all(&txn, batch.users).await?,
        insert_all(&txn, batch.campaigns).await?,
        insert_all(&txn, batch.email_campaigns).await?,
        insert_all(&txn, batch.email_sends).await?,
        insert_all(&txn, batch.crm_conversions).await?,
        insert_all(&txn, batch.ecommerce_orders).await?,
    ];
    let mut stored_emails: Vec<(Uuid, i64)> = sends_per_email.into_iter().collect();
    stored_emails.sort_unstable();
    for (email_campaign, sends) in stored_emails {
        let sends = i32::try_from(sends).unwrap_or(i32::MAX);
        email_campaigns::Entity::update_many()
            .col_expr(
                email_campaigns::Column::TotalRecipients,
                Expr::col(email_campaigns::Column::TotalRecipients).add(sends),
            )
            .filter(email_campaigns::Column::Id.eq(email_campaign))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows)
}

/// Inserts `rows` in multi-row statements; returns how many.
pub(super) async fn insert_all<M>(txn: &DatabaseTransaction, rows: Vec<(u64, M)>) -> Result<u64, DbErr>
where
    M: ModelTrait + IntoActiveModel<<<M as ModelTrait>::Entity as EntityTrait>::ActiveModel>,
    <<M as ModelTrait>::Entity as EntityTrait>::ActiveModel: ActiveModelTrait + Send,
{
    let n = rows.len() as u64;
    let mut rows = rows.into_iter().map(|(_, m)| m.into_active_model()).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_ROWS).collect();
        <M as ModelTrait>::Entity::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(n)
}
