//! Stage 2: checks across rows and against what is stored: unique values, references,
//! conversions' sends.

use super::read::Batch;
use super::{Problem, Table};
use crate::db::CHUNK;
use entity::enums::UserType;
use entity::{campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use uuid::Uuid;

/// The line `key` was first seen on, or none (and it is remembered at `line`).
pub(super) fn seen_before<K: Hash + Eq>(seen: &mut HashMap<K, u64>, key: K, line: u64) -> Option<u64> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(v) => {
            v.insert(line);
            None
        }
    }
}

/// Values the schema keeps unique, within the files (ids are checked as they are read).
pub(super) fn check_unique_values(batch: &Batch, problems: &mut Vec<Problem>) {
    let mut emails = HashMap::new();
    for (line, u) in &batch.users {
        if let Some(first) = seen_before(&mut emails, &u.email, *line) {
            problems.push(Problem::at(Table::Users, *line, "email", format!("{} is also on line {first}", u.email)));
        }
    }
    let mut codes = HashMap::new();
    for (line, c) in &batch.campaigns {
        if let Some(code) = &c.utm_code
            && let Some(first) = seen_before(&mut codes, code, *line)
        {
            problems.push(Problem::at(Table::Campaigns, *line, "utm_code", format!("{code} is also on line {first}")));
        }
    }
    let external = |table: Table, rows: Vec<(u64, Option<&String>, Option<&String>)>, problems: &mut Vec<Problem>| {
        let mut seen = HashMap::new();
        for (line, source, external_id) in rows {
            if let (Some(source), Some(external_id)) = (source, external_id)
                && let Some(first) = seen_before(&mut seen, (source, external_id), line)
            {
                problems.push(Problem::at(
                    table,
                    line,
                    "external_id",
                    format!("{external_id} of source {source} is also on line {first}"),
                ));
            }
        }
    };
    external(
        Table::CrmConversions,
        batch.crm_conversions.iter().map(|(l, c)| (*l, c.source.as_ref(), c.external_id.as_ref())).collect(),
        problems,
    );
    external(
        Table::EcommerceOrders,
        batch.ecommerce_orders.iter().map(|(l, o)| (*l, o.source.as_ref(), o.external_id.as_ref())).collect(),
        problems,
    );
}

/// The ids among `ids` that `E` stores.
pub(super) async fn stored<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, DbErr> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Uuid> =
            E::find().select_only().column(id).filter(id.is_in(chunk.iter().copied())).into_tuple().all(db).await?;
        found.extend(rows);
    }
    Ok(found)
}

pub(super) async fn stored_ids(db: &impl ConnectionTrait, table: Table, ids: &[Uuid]) -> Result<HashSet<Uuid>, DbErr> {
    match table {
        Table::Users => stored::<users::Entity>(db, users::Column::Id, ids).await,
        Table::Campaigns => stored::<campaigns::Entity>(db, campaigns::Column::Id, ids).await,
        Table::EmailCampaigns => stored::<email_campaigns::Entity>(db, email_campaigns::Column::Id, ids).await,
        Table::EmailSends => stored::<email_sends::Entity>(db, email_sends::Column::Id, ids).await,
        Table::CrmConversions => stored::<crm_conversions::Entity>(db, crm_conversions::Column::Id, ids).await,
        Table::EcommerceOrders => stored::<ecommerce_orders::Entity>(db, ecommerce_orders::Column::Id, ids).await,
    }
}

/// The stored users among `ids`, with their type.
pub(super) async fn stored_user_types(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, DbErr> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(Uuid, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::UserType)
            .filter(users::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// A conversion linked to a send must be of that send's campaign and retailer (the same rule
/// as `recordConversions`, `ingest::orders::Known::unlinkable_send`). Sends that exist nowhere
/// were reported by the reference check.
pub(super) async fn check_conversion_links(
    db: &DatabaseConnection,
    batch: &Batch,
    problems: &mut Vec<Problem>,
) -> Result<(), DbErr> {
    let linked: Vec<(u64, &crm_conversions::Model, Uuid)> =
        batch.crm_conversions.iter().filter_map(|(l, c)| Some((*l, c, c.email_send_id?))).collect();
    if linked.is_empty() {
        return Ok(());
    }
    let stored_sends = linked.iter().map(|(_, _, s)| *s).filter(|s| !batch.holds(Table::EmailSends, *s));
    let mut known = crate::ingest::orders::Known::load(db, std::iter::empty(), std::iter::empty(), stored_sends)
        .await
        .map_err(|e| DbErr::Custom(e.message()))?;
    // The campaigns of the email campaigns the file's own sends are of, in the files or stored.
    let mut campaign_of: HashMap<Uuid, Option<Uuid>> =
        batch.email_campaigns.iter().map(|(_, e)| (e.id, e.campaign_id)).collect();
    let stored_emails: Vec<Uuid> = batch
        .email_sends
        .iter()
        .filter_map(|(_, s)| s.email_campaign_id)
        .filter(|e| !campaign_of.contains_key(e))
        .collect();
    for chunk in stored_emails.chunks(CHUNK) {
        let rows: Vec<(Uuid, Option<Uuid>)> = email_campaigns::Entity::find()
            .select_only()
            .column(email_campaigns::Column::Id)
            .column(email_campaigns::Column::CampaignId)
            .filter(email_campaigns::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        campaign_of.extend(rows);
    }
    for (_, s) in &batch.email_sends {
        let campaign = s.email_campaign_id.and_then(|e| campaign_of.get(&e).copied().flatten());
        known.add_send(s.id, campaign, s.retailer_id);
    }
    for (line, c, send) in linked {
        let (Some(campaign), Some(retailer)) = (c.campaign_id, c.retailer_id) else {
            problems.push(Problem::at(
                Table::CrmConversions,
                line,
                "email_send_id",
                "a conversion linked to a send needs the send's campaign_id and retailer_id",
            ));
            continue;
        };
        if !known.has_send(send) {
            continue;
        }
        if let Some(reason) = known.unlinkable_send(send, campaign, retailer) {
            problems.push(Problem::at(Table::CrmConversions, line, "email_send_id", reason));
        }
    }
    Ok(())
}

/// Ids already stored, references to nothing (or to a user who is no retailer), and unique
/// values that stored rows hold.
pub(super) async fn check_against_database(
    db: &DatabaseConnection,
    batch: &Batch,
    problems: &mut Vec<Problem>,
) -> Result<(), DbErr> {
    for table in Table::ALL {
        let Some(ids) = batch.ids.get(&table) else { continue };
        let list: Vec<Uuid> = ids.keys().copied().collect();
        let mut clashes: Vec<(u64, Uuid)> =
            stored_ids(db, table, &list).await?.into_iter().map(|id| (ids[&id], id)).collect();
        clashes.sort_unstable();
        for (line, id) in clashes {
            problems.push(Problem::at(table, line, "id", format!("{id} is already stored in {table}")));
        }
    }

    let mut wanted: HashMap<Table, HashSet<Uuid>> = HashMap::new();
    let checked = || batch.refs.iter().filter(|r| !batch.ids_unknown.contains(&r.target));
    for r in checked().filter(|r| !batch.holds(r.target, r.id)) {
        wanted.entry(r.target).or_default().insert(r.id);
    }
    let mut found: HashMap<Table, HashSet<Uuid>> = HashMap::new();
    let mut stored_types = HashMap::new();
    for (target, ids) in wanted {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        if target == Table::Users {
            stored_types = stored_user_types(db, &ids).await?;
            found.insert(target, stored_types.keys().copied().collect());
        } else {
            found.insert(target, stored_ids(db, target, &ids).await?);
        }
    }
    let import_types: HashMap<Uuid, String> = batch.users.iter().map(|(_, u)| (u.id, u.user_type.to_value())).collect();
    let retailer = UserType::Retailer.to_value();
    for r in checked() {
        let user_type = if batch.holds(r.target, r.id) {
            import_types.get(&r.id)
        } else if found.get(&r.target).is_some_and(|ids| ids.contains(&r.id)) {
            stored_types.get(&r.id)
        } else {
            problems.push(Problem::at(
                r.table,
                r.line,
                r.column,
                format!(
                    "no {} has the id {}: it is neither in {} nor in the database",
                    r.target.noun(),
                    r.id,
                    r.target.file_name()
                ),
            ));
            continue;
        };
        if r.retailer
            && let Some(kind) = user_type.filter(|t| **t != retailer)
        {
            problems.push(Problem::at(r.table, r.line, r.column, format!("user {} is a {kind}, not a retailer", r.id)));
        }
    }

    let emails: Vec<&String> = batch.users.iter().map(|(_, u)| &u.email).collect();
    let owners = stored_holders::<users::Entity>(db, users::Column::Id, users::Column::Email, &emails).await?;
    for (line, u) in &batch.users {
        if let Some(owner) = owners.get(&u.email).filter(|owner| **owner != u.id) {
            problems.push(Problem::at(
                Table::Users,
                *line,
                "email",
                format!("{} is the email of the stored user {owner}", u.email),
            ));
        }
    }

    let codes: Vec<&String> = batch.campaigns.iter().filter_map(|(_, c)| c.utm_code.as_ref()).collect();
    let holders =
        stored_holders::<campaigns::Entity>(db, campaigns::Column::Id, campaigns::Column::UtmCode, &codes).await?;
    for (line, c) in &batch.campaigns {
        if let Some(code) = &c.utm_code
            && let Some(holder) = holders.get(code).filter(|holder| **holder != c.id)
        {
            problems.push(Problem::at(
                Table::Campaigns,
                *line,
                "utm_code",
                format!("{code} is the UTM code of the stored campaign {holder}"),
            ));
        }
    }

    check_conversion_links(db, batch, problems).await?;

    let conversions: Vec<(u64, Uuid, Option<&String>, Option<&String>)> =
        batch.crm_conversions.iter().map(|(l, c)| (*l, c.id, c.source.as_ref(), c.external_id.as_ref())).collect();
    check_external_ids::<crm_conversions::Entity>(
        db,
        Table::CrmConversions,
        (crm_conversions::Column::Id, crm_conversions::Column::Source, crm_conversions::Column::ExternalId),
        &conversions,
        problems,
    )
    .await?;
    let orders: Vec<(u64, Uuid, Option<&String>, Option<&String>)> =
        batch.ecommerce_orders.iter().map(|(l, o)| (*l, o.id, o.source.as_ref(), o.external_id.as_ref())).collect();
    check_external_ids::<ecommerce_orders::Entity>(
        db,
        Table::EcommerceOrders,
        (ecommerce_orders::Column::Id, ecommerce_orders::Column::Source, ecommerce_orders::Column::ExternalId),
        &orders,
        problems,
    )
    .await
}

/// (source, external_id) pairs of `rows` (line, id, source, external id) that a stored row
/// of another id holds.
/// The stored rows (value → id) whose unique text `column` holds one of `values`.
pub(super) async fn stored_holders<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    column: E::Column,
    values: &[&String],
) -> Result<HashMap<String, Uuid>, DbErr> {
    let mut holders = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let rows: Vec<(Uuid, String)> = E::find()
            .select_only()
            .column(id)
            .column(column)
            .filter(column.is_in(chunk.iter().map(|v| v.as_str())))
            .into_tuple()
            .all(db)
            .await?;
        holders.extend(rows.into_iter().map(|(id, value)| (value, id)));
    }
    Ok(holders)
}

pub(super) async fn check_external_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    table: Table,
    (id, source, external_id): (E::Column, E::Column, E::Column),
    rows: &[(u64, Uuid, Option<&String>, Option<&String>)],
    problems: &mut Vec<Problem>,
) -> Result<(), DbErr> {
    let wanted: Vec<&str> = rows.iter().filter(|r| r.2.is_some()).filter_map(|r| r.3.map(String::as_str)).collect();
    let mut holders = HashMap::new();
    for chunk in wanted.chunks(CHUNK) {
        let found: Vec<(Uuid, String, String)> = E::find()
            .select_only()
            .column(id)
            .column(source)
            .column(external_id)
            .filter(source.is_not_null())
            .filter(external_id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        holders.extend(found.into_iter().map(|(id, source, external)| ((source, external), id)));
    }
    for (line, row_id, s, e) in rows {
        if let (Some(s), Some(e)) = (s, e)
            && let Some(holder) = holders.get(&((*s).clone(), (*e).clone())).filter(|h| **h != *row_id)
        {
            problems.push(Problem::at(
                table,
                *line,
                "external_id",
                format!("{e} of source {s} is stored already, as {} {holder}", table.noun()),
            ));
        }
    }
    Ok(())
}

// ---- writing ----
