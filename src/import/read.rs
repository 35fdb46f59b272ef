//! Stage 1: reading the files: each row parsed into its table's model, its own problems
//! collected with file, line and column.

use super::{Problem, Table};
use crate::error::AppError;
use crate::ingest::plausible_time;
use crate::services::planning;
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus, UserType};
use entity::{Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use rust_decimal::Decimal;
use sea_orm::ActiveEnum;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use uuid::Uuid;

/// A reference from a row to another table's id.
pub(super) struct Ref {
    pub(super) table: Table,
    pub(super) line: u64,
    pub(super) column: &'static str,
    pub(super) target: Table,
    pub(super) id: Uuid,
    /// The user referred to must be a retailer (`retailer_id`).
    pub(super) retailer: bool,
}

/// The rows read: those that passed every check of their own, with their line.
#[derive(Default)]
pub(super) struct Batch {
    /// The time that fills `created_at` and the like when a file leaves them out.
    pub(super) now: DateTime<Utc>,
    pub(super) users: Vec<(u64, users::Model)>,
    pub(super) campaigns: Vec<(u64, campaigns::Model)>,
    pub(super) email_campaigns: Vec<(u64, email_campaigns::Model)>,
    pub(super) email_sends: Vec<(u64, email_sends::Model)>,
    pub(super) crm_conversions: Vec<(u64, crm_conversions::Model)>,
    pub(super) ecommerce_orders: Vec<(u64, ecommerce_orders::Model)>,
    /// Every id each file holds and its line, of valid rows or not: references to a row
    /// that has problems of its own resolve, so the problem is told once, at that row.
    pub(super) ids: HashMap<Table, HashMap<Uuid, u64>>,
    pub(super) refs: Vec<Ref>,
    /// Email campaigns whose `total_recipients` is the count of their sends (none given).
    pub(super) counted_recipients: HashSet<Uuid>,
    /// Tables whose file could not be read whole or has no id column: references to them
    /// are not checked (the file's own problem says why).
    pub(super) ids_unknown: HashSet<Table>,
}

impl Batch {
    pub(super) fn holds(&self, table: Table, id: Uuid) -> bool {
        self.ids.get(&table).is_some_and(|ids| ids.contains_key(&id))
    }
}

/// One record being checked; every check failing adds a problem and yields `None`.
pub(super) struct Row<'a> {
    pub(super) table: Table,
    pub(super) line: u64,
    pub(super) record: &'a csv::StringRecord,
    pub(super) columns: &'a HashMap<&'static str, usize>,
    pub(super) now: DateTime<Utc>,
    pub(super) problems: &'a mut Vec<Problem>,
    pub(super) refs: &'a mut Vec<Ref>,
}

impl<'a> Row<'a> {
    pub(super) fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The trimmed value; none when the column is left out or the field is empty.
    pub(super) fn value(&self, column: &str) -> Option<&'a str> {
        let record: &'a csv::StringRecord = self.record;
        record.get(*self.columns.get(column)?).map(str::trim).filter(|v| !v.is_empty())
    }

    pub(super) fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.problems.push(Problem::at(self.table, self.line, column, message));
    }

    pub(super) fn parse<T>(
        &mut self,
        column: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(value).map_err(|e| self.fail(column, e)).ok()
    }

    /// A value that must be there. A column missing from the header was reported once.
    pub(super) fn required<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match self.value(column) {
            Some(v) => self.parse(column, v, parse),
            None => {
                if self.has(column) {
                    self.fail(column, "is required");
                }
                None
            }
        }
    }

    /// `Some(None)` for an empty or left-out value.
    pub(super) fn optional<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.value(column) {
            Some(v) => self.parse(column, v, parse).map(Some),
            None => Some(None),
        }
    }

    /// `default` for an empty or left-out value (the column's default in the schema).
    pub(super) fn or<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        default: T,
    ) -> Option<T> {
        self.optional(column, parse).map(|v| v.unwrap_or(default))
    }

    /// An id of `target`, resolved once every file is read.
    pub(super) fn reference(&mut self, column: &'static str, target: Table, retailer: bool) -> Option<Option<Uuid>> {
        let id = self.optional(column, uuid)?;
        if let Some(id) = id {
            self.refs.push(Ref { table: self.table, line: self.line, column, target, id, retailer });
        }
        Some(id)
    }
}

/// Reads one file's rows into `batch`, adding its problems.
pub(super) fn read_file(table: Table, path: &Path, batch: &mut Batch, problems: &mut Vec<Problem>) {
    if !read_rows(table, path, batch, problems) {
        batch.ids_unknown.insert(table);
    }
}

/// Whether every id of the file could be read.
pub(super) fn read_rows(table: Table, path: &Path, batch: &mut Batch, problems: &mut Vec<Problem>) -> bool {
    let file = table.file_name();
    let mut reader = match csv::ReaderBuilder::new().from_path(path) {
        Ok(reader) => reader,
        Err(e) => {
            problems.push(Problem::file(file, format!("cannot be read: {e}")));
            return false;
        }
    };
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            problems.push(Problem::file(file, format!("cannot read the header: {e}")));
            return false;
        }
    };
    if header.iter().all(|name| name.trim().is_empty()) {
        problems.push(Problem::file(file, "is empty: its first line must name the columns"));
        return false;
    }
    let columns = read_header(table, &header, problems);
    let mut complete = columns.contains_key("id");
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let problem = |message: String| Problem { file: file.clone(), line: Some(line), column: None, message };
                match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        problems.push(problem(format!("has {len} field(s) where the header has {expected_len}")));
                        continue;
                    }
                    csv::ErrorKind::Utf8 { .. } => {
                        problems.push(problem("is not valid UTF-8".to_owned()));
                        continue;
                    }
                    _ => {
                        problems.push(Problem::file(file.clone(), format!("cannot be read: {e}")));
                        complete = false;
                        break;
                    }
                }
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let mut row = Row {
            table,
            line,
            record: &record,
            columns: &columns,
            now: batch.now,
            problems: &mut *problems,
            refs: &mut batch.refs,
        };
        let id = row.required("id", uuid);
        if let Some(id) = id {
            match batch.ids.entry(table).or_default().entry(id) {
                Entry::Occupied(first) => {
                    row.fail("id", format!("{id} appears twice in {file} (first on line {})", first.get()))
                }
                Entry::Vacant(v) => {
                    v.insert(line);
                }
            }
        }
        match table {
            Table::Users => {
                if let Some(m) = user(&mut row, id) {
                    batch.users.push((line, m));
                }
            }
            Table::Campaigns => {
                if let Some(m) = campaign(&mut row, id) {
                    batch.campaigns.push((line, m));
                }
            }
            Table::EmailCampaigns => {
                let counted = row.value("total_recipients").is_none();
                if let Some(m) = email_campaign(&mut row, id) {
                    if counted {
                        batch.counted_recipients.insert(m.id);
                    }
                    batch.email_campaigns.push((line, m));
                }
            }
            Table::EmailSends => {
                if let Some(m) = email_send(&mut row, id) {
                    batch.email_sends.push((line, m));
                }
            }
            Table::CrmConversions => {
                if let Some(m) = crm_conversion(&mut row, id) {
                    batch.crm_conversions.push((line, m));
                }
            }
            Table::EcommerceOrders => {
                if let Some(m) = ecommerce_order(&mut row, id) {
                    batch.ecommerce_orders.push((line, m));
                }
            }
        }
    }
    complete
}

/// Where each known column is in the records; unknown, repeated and missing required
/// columns are problems of line 1.
pub(super) fn read_header(
    table: Table,
    header: &csv::StringRecord,
    problems: &mut Vec<Problem>,
) -> HashMap<&'static str, usize> {
    let mut columns = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        match table.columns().iter().find(|c| **c == name) {
            Some(c) => {
                if columns.contains_key(c) {
                    problems.push(Problem::at(table, 1, name, "appears twice in the header"));
                } else {
                    columns.insert(*c, i);
                }
            }
            None if name.is_empty() => problems.push(Problem {
                file: table.file_name(),
                line: Some(1),
                column: None,
                message: format!("column {} has no name", i + 1),
            }),
            None => problems.push(Problem::at(
                table,
                1,
                name,
                format!("is not a column of {table}; its columns are {}", table.columns().join(", ")),
            )),
        }
    }
    for column in table.required() {
        if !columns.contains_key(column) {
            problems.push(Problem::at(table, 1, column, "is required but missing from the header"));
        }
    }
    columns
}

pub(super) fn user(r: &mut Row<'_>, id: Option<Uuid>) -> Option<users::Model> {
    let email = r.required("email", email_address);
    let name = r.required("name", text(255));
    let user_type = r.or("user_type", choice::<UserType>, UserType::Retailer);
    let region = r.optional("region", choice::<Region>);
    let created_at = r.or("created_at", time, r.now);
    let updated_at = r.or("updated_at", time, r.now);
    let is_active = r.or("is_active", flag, true);
    Some(users::Model {
        id: id?,
        email: email?,
        name: name?,
        user_type: user_type?,
        region: region?,
        created_at: created_at?,
        updated_at: updated_at?,
        is_active: is_active?,
    })
}

pub(super) fn campaign(r: &mut Row<'_>, id: Option<Uuid>) -> Option<campaigns::Model> {
    let name = r.required("name", text(255));
    let description = r.optional("description", any_text);
    let status = r.or("status", choice::<CampaignStatus>, CampaignStatus::Draft);
    let start_date = r.optional("start_date", time);
    let end_date = r.optional("end_date", time);
    let budget_allocated = r.optional("budget_allocated", amount);
    let budget_spent = r.or("budget_spent", amount, Money::ZERO);
    let created_by = r.reference("created_by", Table::Users, false);
    let created_at = r.or("created_at", time, r.now);
    let updated_at = r.or("updated_at", time, r.now);
    // Left out: made from the name when written, as `createCampaign` does.
    let utm_code = r.optional("utm_code", utm_code);
    let dates_in_order = match (start_date, end_date) {
        (Some(Some(start)), Some(Some(end))) if end < start => {
            r.fail("end_date", format!("{} is before start_date {}", end.to_rfc3339(), start.to_rfc3339()));
            None
        }
        _ => Some(()),
    };
    dates_in_order?;
    Some(campaigns::Model {
        id: id?,
        name: name?,
        description: description?,
        status: status?,
        start_date: start_date?,
        end_date: end_date?,
        budget_allocated: budget_allocated?,
        budget_spent: budget_spent?,
        created_by: created_by?,
        created_at: created_at?,
        updated_at: updated_at?,
        utm_code: utm_code?,
    })
}

pub(super) fn email_campaign(r: &mut Row<'_>, id: Option<Uuid>) -> Option<email_campaigns::Model> {
    let campaign_id = r.reference("campaign_id", Table::Campaigns, false);
    let subject = r.required("subject", text(500));
    let content = r.optional("content", any_text);
    let sender_email = r.required("sender_email", email_address);
    let sender_name = r.optional("sender_name", text(255));
    let sent_at = r.optional("sent_at", time);
    // Left out: the count of its sends (errata E3), set when written.
    let total_recipients = r.or("total_recipients", count, 0);
    let created_at = r.or("created_at", time, r.now);
    Some(email_campaigns::Model {
        id: id?,
        campaign_id: campaign_id?,
        subject: subject?,
        content: content?,
        sender_email: sender_email?,
        sender_name: sender_name?,
        sent_at: sent_at?,
        total_recipients: total_recipients?,
        created_at: created_at?,
    })
}

pub(super) fn email_send(r: &mut Row<'_>, id: Option<Uuid>) -> Option<email_sends::Model> {
    let email_campaign_id = r.reference("email_campaign_id", Table::EmailCampaigns, false);
    let retailer_id = r.reference("retailer_id", Table::Users, true);
    let recipient_email = r.required("recipient_email", email_address);
    let recipient_name = r.optional("recipient_name", text(255));
    let sent_at = r.or("sent_at", time, r.now);
    let delivered_at = r.optional("delivered_at", time);
    let opened_at = r.optional("opened_at", time);
    let clicked_at = r.optional("clicked_at", time);
    let status = r.optional("status", choice::<SendStatus>);
    let bounce_reason = r.optional("bounce_reason", any_text);
    // Left out: every open counts as a person's, as for sends stored before machine opens
    // were told apart.
    let human_opened_at = if r.has("human_opened_at") { r.optional("human_opened_at", time) } else { opened_at };
    let (delivered_at, opened_at, clicked_at) = (delivered_at?, opened_at?, clicked_at?);
    // No status given: delivered when a delivery, open or click says so (errata E5).
    let engaged = delivered_at.is_some() || opened_at.is_some() || clicked_at.is_some();
    let status = status?.unwrap_or(if engaged { SendStatus::Delivered } else { SendStatus::Sent });
    if status == SendStatus::Delivered && !engaged {
        // The timeline counts a delivery at its time: one without a time would count in the
        // totals and in no bucket.
        r.fail("status", "delivered needs the time it happened: delivered_at, opened_at or clicked_at");
        return None;
    }
    Some(email_sends::Model {
        id: id?,
        email_campaign_id: email_campaign_id?,
        retailer_id: retailer_id?,
        recipient_email: recipient_email?,
        recipient_name: recipient_name?,
        sent_at: sent_at?,
        delivered_at,
        opened_at,
        clicked_at,
        status,
        bounce_reason: bounce_reason?,
        human_opened_at: human_opened_at?,
    })
}

pub(super) fn crm_conversion(r: &mut Row<'_>, id: Option<Uuid>) -> Option<crm_conversions::Model> {
    let campaign_id = r.reference("campaign_id", Table::Campaigns, false);
    let retailer_id = r.reference("retailer_id", Table::Users, true);
    let email_send_id = r.reference("email_send_id", Table::EmailSends, false);
    let conversion_type = r.optional("conversion_type", choice::<ConversionType>);
    let conversion_value = r.optional("conversion_value", amount);
    let conversion_date = r.or("conversion_date", time, r.now);
    let product_category = r.optional("product_category", choice::<ProductCategory>);
    let created_at = r.or("created_at", time, r.now);
    let source = r.optional("source", text(50));
    let external_id = r.optional("external_id", text(255));
    Some(crm_conversions::Model {
        id: id?,
        campaign_id: campaign_id?,
        retailer_id: retailer_id?,
        email_send_id: email_send_id?,
        conversion_type: conversion_type?,
        conversion_value: conversion_value?,
        conversion_date: conversion_date?,
        product_category: product_category?,
        created_at: created_at?,
        source: source?,
        external_id: external_id?,
    })
}

pub(super) fn ecommerce_order(r: &mut Row<'_>, id: Option<Uuid>) -> Option<ecommerce_orders::Model> {
    let campaign_id = r.reference("campaign_id", Table::Campaigns, false);
    let retailer_id = r.reference("retailer_id", Table::Users, true);
    let order_value = r.optional("order_value", amount);
    let order_date = r.or("order_date", time, r.now);
    let product_count = r.or("product_count", count, 1);
    let order_status = r.or("order_status", choice::<OrderStatus>, OrderStatus::Completed);
    let attributed_to_email = r.or("attributed_to_email", flag, false);
    let created_at = r.or("created_at", time, r.now);
    let source = r.optional("source", text(50));
    let external_id = r.optional("external_id", text(255));
    let source_updated_at = r.optional("source_updated_at", time);
    Some(ecommerce_orders::Model {
        id: id?,
        campaign_id: campaign_id?,
        retailer_id: retailer_id?,
        order_value: order_value?,
        order_date: order_date?,
        product_count: product_count?,
        order_status: order_status?,
        attributed_to_email: attributed_to_email?,
        created_at: created_at?,
        source: source?,
        external_id: external_id?,
        source_updated_at: source_updated_at?,
    })
}

// ---- one field: each returns what is wrong with the value ----

pub(super) fn uuid(v: &str) -> Result<Uuid, String> {
    Uuid::parse_str(v).map_err(|_| format!("{v:?} is not a UUID"))
}

/// RFC 3339 (`2025-01-14T09:00:00Z`, `…+01:00`, a space for the `T`), PostgreSQL's text
/// form (`2025-01-14 09:00:00+00`), or a date alone (midnight UTC); between 1970 and 9999.
pub(super) fn time(v: &str) -> Result<DateTime<Utc>, String> {
    let parsed = DateTime::parse_from_rfc3339(v)
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()))
        .map_err(|_| {
            format!(
                "{v:?} is not a date-time (RFC 3339 with its offset, such as 2025-01-14T09:00:00Z, or a date, such as 2025-01-14)"
            )
        })?;
    plausible_time(parsed)
}

/// An exact amount: two decimals at most, not negative (the money columns' CHECK).
pub(super) fn amount(v: &str) -> Result<Money, String> {
    let decimal = Decimal::from_str_exact(v).map_err(|_| format!("{v:?} is not a decimal amount"))?;
    // The service names its argument; here the problem is reported under the column.
    planning::non_negative("amount", decimal).map_err(|e| match e {
        AppError::Invalid { problem, .. } => problem,
        other => other.message(),
    })
}

/// A whole number, not negative (the count columns' CHECK).
pub(super) fn count(v: &str) -> Result<i32, String> {
    let n: i32 = v.parse().map_err(|_| format!("{v:?} is not a whole number"))?;
    if n < 0 { Err(format!("{n} is negative")) } else { Ok(n) }
}

pub(super) fn flag(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "1" => Ok(true),
        "false" | "f" | "no" | "0" => Ok(false),
        _ => Err(format!("{v:?} is not true or false")),
    }
}

/// One of the values the column's CHECK allows (in any letter case).
pub(super) fn choice<E: ActiveEnum<Value = String>>(v: &str) -> Result<E, String> {
    let values = E::values();
    match values.iter().find(|value| value.eq_ignore_ascii_case(v)) {
        Some(value) => E::try_from_value(value).map_err(|e| e.to_string()),
        None => Err(format!("{v:?} is not one of {}", values.join(", "))),
    }
}

pub(super) fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |v| {
        if v.chars().count() > max { Err(format!("is longer than {max} characters")) } else { Ok(v.to_owned()) }
    }
}

pub(super) fn any_text(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

/// An email address, lowercased, of the shape every other path accepts.
pub(super) fn email_address(v: &str) -> Result<String, String> {
    crate::services::users::email_address(v).ok_or_else(|| format!("{v:?} is not an email address"))
}

/// A UTM code as `createCampaign` takes it.
pub(super) fn utm_code(v: &str) -> Result<String, String> {
    if v.chars().count() > 100 {
        return Err("is longer than 100 characters".to_owned());
    }
    if !crate::services::planning::utm_code_is_valid(v) {
        return Err(format!("{v:?} has characters other than letters, digits, '-', '_' and '.'"));
    }
    Ok(v.to_owned())
}
