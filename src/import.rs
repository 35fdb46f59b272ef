//! `import <DIR or FILES…>`: loads CSV files of the spec's six tables, all or nothing.
//!
//! Each file is named after its table (`users.csv`, `campaigns.csv`, `email_campaigns.csv`,
//! `email_sends.csv`, `crm_conversions.csv`, `ecommerce_orders.csv`) and starts with a header
//! row of the table's column names; columns the schema can fill by itself may be left out.
//! Every row of every file is checked before anything is written: each field is parsed into
//! its column's type (UUID, time, exact amount, count, flag, one of the CHECK's values, email
//! address), the schema's rules hold (required values, non-negative amounts and counts, end not
//! before start), ids, user emails, UTM codes and external ids are unique within the files and
//! against what is stored, and every reference resolves to a row of the files or of the
//! database. Every problem is collected, each naming its file, line and column. With none,
//! all rows are written in foreign-key order in one transaction; the rollups follow by their
//! triggers.
//!
//! The rows are held in memory until written: meant for exports and migrations of real data
//! (millions of rows), not for `generate`'s tens of millions.

use crate::ingest::{CHUNK, plausible_time};
use crate::services::campaigns::utm_code_from;
use crate::services::planning;
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus, UserType};
use entity::{Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, ModelTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Most problems the `import` command prints; the rest are counted.
pub const MAX_PRINTED: usize = 100;
/// Rows per multi-row INSERT (12 columns at most: well under SQLite's 32,766 parameters).
const INSERT_ROWS: usize = 1_000;

/// The six tables, in foreign-key order: each refers only to tables before it, and they are
/// written in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Users,
    Campaigns,
    EmailCampaigns,
    EmailSends,
    CrmConversions,
    EcommerceOrders,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Users,
        Table::Campaigns,
        Table::EmailCampaigns,
        Table::EmailSends,
        Table::CrmConversions,
        Table::EcommerceOrders,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Campaigns => "campaigns",
            Table::EmailCampaigns => "email_campaigns",
            Table::EmailSends => "email_sends",
            Table::CrmConversions => "crm_conversions",
            Table::EcommerceOrders => "ecommerce_orders",
        }
    }

    /// The file that holds the table's rows: its name and `.csv`.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.name())
    }

    /// The columns a header may name: the table's columns.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Users => &["id", "email", "name", "user_type", "region", "created_at", "updated_at", "is_active"],
            Table::Campaigns => &[
                "id",
                "name",
                "description",
                "status",
                "start_date",
                "end_date",
                "budget_allocated",
                "budget_spent",
                "created_by",
                "created_at",
                "updated_at",
                "utm_code",
            ],
            Table::EmailCampaigns => &[
                "id",
                "campaign_id",
                "subject",
                "content",
                "sender_email",
                "sender_name",
                "sent_at",
                "total_recipients",
                "created_at",
            ],
            Table::EmailSends => &[
                "id",
                "email_campaign_id",
                "retailer_id",
                "recipient_email",
                "recipient_name",
                "sent_at",
                "delivered_at",
                "opened_at",
                "clicked_at",
                "status",
                "bounce_reason",
                "human_opened_at",
            ],
            Table::CrmConversions => &[
                "id",
                "campaign_id",
                "retailer_id",
                "email_send_id",
                "conversion_type",
                "conversion_value",
                "conversion_date",
                "product_category",
                "created_at",
                "source",
                "external_id",
            ],
            Table::EcommerceOrders => &[
                "id",
                "campaign_id",
                "retailer_id",
                "order_value",
                "order_date",
                "product_count",
                "order_status",
                "attributed_to_email",
                "created_at",
                "source",
                "external_id",
                "source_updated_at",
            ],
        }
    }

    /// The columns every header must name: NOT NULL without a default, and the id (what
    /// references point at).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Table::Users => &["id", "email", "name"],
            Table::Campaigns => &["id", "name"],
            Table::EmailCampaigns => &["id", "subject", "sender_email"],
            Table::EmailSends => &["id", "recipient_email"],
            Table::CrmConversions | Table::EcommerceOrders => &["id"],
        }
    }

    /// One row, for messages.
    fn noun(self) -> &'static str {
        match self {
            Table::Users => "user",
            Table::Campaigns => "campaign",
            Table::EmailCampaigns => "email campaign",
            Table::EmailSends => "email send",
            Table::CrmConversions => "conversion",
            Table::EcommerceOrders => "order",
        }
    }

    fn from_file_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.file_name() == name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing wrong with the files, shown as `file:line: column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The table's file name (`email_sends.csv`), or the path given when it names no table.
    pub file: String,
    /// 1-based, the header being line 1; none for a problem with the whole file.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    fn at(table: Table, line: u64, column: &str, message: impl Into<String>) -> Problem {
        Problem { file: table.file_name(), line: Some(line), column: Some(column.to_owned()), message: message.into() }
    }

    fn file(file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { file: file.into(), line: None, column: None, message: message.into() }
    }

    /// Files in foreign-key order (paths that name no table first), then lines.
    fn order(&self) -> (usize, u64) {
        (Table::from_file_name(&self.file).map_or(0, |t| t as usize + 1), self.line.unwrap_or(0))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(column) = &self.column {
            write!(f, "{column}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The files have problems, all of them listed in file (foreign-key) and line order;
    /// nothing was written.
    #[error("{} problem(s) in the CSV files; nothing was imported", .0.len())]
    Invalid(Vec<Problem>),
    /// The database failed while checking or writing; nothing was written.
    #[error("nothing was imported: {0}")]
    Database(#[from] DbErr),
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Rows written per table, in `Table::ALL` order.
    pub rows: [u64; 6],
    pub elapsed: Duration,
}

impl Imported {
    pub fn rows_of(&self, table: Table) -> u64 {
        self.rows[table as usize]
    }

    pub fn total(&self) -> u64 {
        self.rows.iter().sum()
    }

    pub fn per_table(&self) -> impl Iterator<Item = (Table, u64)> + '_ {
        Table::ALL.into_iter().map(|t| (t, self.rows_of(t)))
    }
}

/// Imports the CSV files found at `paths` (folders, whose `<table>.csv` files are taken, or
/// files): checks every row, then writes them all in one transaction, or nothing.
pub async fn import(db: &DatabaseConnection, paths: &[PathBuf]) -> Result<Imported, ImportError> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let files = find_files(paths, &mut problems);
    if files.is_empty() && problems.is_empty() {
        problems.push(Problem::file("(no path)", "no file to import"));
    }
    let mut batch = Batch { now: Utc::now(), ..Batch::default() };
    for (table, path) in &files {
        read_file(*table, path, &mut batch, &mut problems);
    }
    check_unique_values(&batch, &mut problems);
    check_against_database(db, &batch, &mut problems).await?;
    if !problems.is_empty() {
        problems.sort_by_key(Problem::order);
        return Err(ImportError::Invalid(problems));
    }
    let rows = write(db, batch).await?;
    Ok(Imported { rows, elapsed: started.elapsed() })
}

// ---- finding the files ----

fn table_files() -> String {
    Table::ALL.map(Table::file_name).join(", ")
}

/// The file of each table named by `paths`, in foreign-key order.
fn find_files(paths: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<(Table, PathBuf)> {
    let mut found: BTreeMap<Table, PathBuf> = BTreeMap::new();
    let mut add = |path: PathBuf, problems: &mut Vec<Problem>| {
        let table = path.file_name().and_then(|n| n.to_str()).and_then(Table::from_file_name);
        match table {
            None => problems.push(Problem::file(
                path.display().to_string(),
                format!("is not named after a table: the files are {}", table_files()),
            )),
            Some(t) => match found.entry(t) {
                std::collections::btree_map::Entry::Occupied(first) => problems.push(Problem::file(
                    path.display().to_string(),
                    format!("a second file for {t} (the first is {})", first.get().display()),
                )),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(path);
                }
            },
        }
    };
    for path in paths {
        if path.is_dir() {
            let entries = match std::fs::read_dir(path) {
                Ok(entries) => entries,
                Err(e) => {
                    problems.push(Problem::file(path.display().to_string(), format!("cannot be read: {e}")));
                    continue;
                }
            };
            let mut csvs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "csv"))
                .collect();
            csvs.sort();
            if csvs.is_empty() {
                problems.push(Problem::file(
                    path.display().to_string(),
                    format!("holds no CSV file; expected one or more of {}", table_files()),
                ));
            }
            for csv in csvs {
                add(csv, problems);
            }
        } else if path.is_file() {
            add(path.clone(), problems);
        } else {
            problems.push(Problem::file(path.display().to_string(), "no such file or folder"));
        }
    }
    found.into_iter().collect()
}

// ---- reading and checking the rows ----

/// A reference from a row to another table's id.
struct Ref {
    table: Table,
    line: u64,
    column: &'static str,
    target: Table,
    id: Uuid,
    /// The user referred to must be a retailer (`retailer_id`).
    retailer: bool,
}

/// The rows read: those that passed every check of their own, with their line.
#[derive(Default)]
struct Batch {
    /// The time that fills `created_at` and the like when a file leaves them out.
    now: DateTime<Utc>,
    users: Vec<(u64, users::Model)>,
    campaigns: Vec<(u64, campaigns::Model)>,
    email_campaigns: Vec<(u64, email_campaigns::Model)>,
    email_sends: Vec<(u64, email_sends::Model)>,
    crm_conversions: Vec<(u64, crm_conversions::Model)>,
    ecommerce_orders: Vec<(u64, ecommerce_orders::Model)>,
    /// Every id each file holds and its line, of valid rows or not: references to a row
    /// that has problems of its own resolve, so the problem is told once, at that row.
    ids: HashMap<Table, HashMap<Uuid, u64>>,
    refs: Vec<Ref>,
    /// Email campaigns whose `total_recipients` is the count of their sends (none given).
    counted_recipients: HashSet<Uuid>,
    /// Tables whose file could not be read whole or has no id column: references to them
    /// are not checked (the file's own problem says why).
    ids_unknown: HashSet<Table>,
}

impl Batch {
    fn holds(&self, table: Table, id: Uuid) -> bool {
        self.ids.get(&table).is_some_and(|ids| ids.contains_key(&id))
    }
}

/// One record being checked; every check failing adds a problem and yields `None`.
struct Row<'a> {
    table: Table,
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<&'static str, usize>,
    now: DateTime<Utc>,
    problems: &'a mut Vec<Problem>,
    refs: &'a mut Vec<Ref>,
}

impl<'a> Row<'a> {
    fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The trimmed value; none when the column is left out or the field is empty.
    fn value(&self, column: &str) -> Option<&'a str> {
        let record: &'a csv::StringRecord = self.record;
        record.get(*self.columns.get(column)?).map(str::trim).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.problems.push(Problem::at(self.table, self.line, column, message));
    }

    fn parse<T>(&mut self, column: &str, value: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        parse(value).map_err(|e| self.fail(column, e)).ok()
    }

    /// A value that must be there. A column missing from the header was reported once.
    fn required<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
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
    fn optional<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<Option<T>> {
        match self.value(column) {
            Some(v) => self.parse(column, v, parse).map(Some),
            None => Some(None),
        }
    }

    /// `default` for an empty or left-out value (the column's default in the schema).
    fn or<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>, default: T) -> Option<T> {
        self.optional(column, parse).map(|v| v.unwrap_or(default))
    }

    /// An id of `target`, resolved once every file is read.
    fn reference(&mut self, column: &'static str, target: Table, retailer: bool) -> Option<Option<Uuid>> {
        let id = self.optional(column, uuid)?;
        if let Some(id) = id {
            self.refs.push(Ref { table: self.table, line: self.line, column, target, id, retailer });
        }
        Some(id)
    }
}

/// Reads one file's rows into `batch`, adding its problems.
fn read_file(table: Table, path: &Path, batch: &mut Batch, problems: &mut Vec<Problem>) {
    if !read_rows(table, path, batch, problems) {
        batch.ids_unknown.insert(table);
    }
}

/// Whether every id of the file could be read.
fn read_rows(table: Table, path: &Path, batch: &mut Batch, problems: &mut Vec<Problem>) -> bool {
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
fn read_header(table: Table, header: &csv::StringRecord, problems: &mut Vec<Problem>) -> HashMap<&'static str, usize> {
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

fn user(r: &mut Row<'_>, id: Option<Uuid>) -> Option<users::Model> {
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

fn campaign(r: &mut Row<'_>, id: Option<Uuid>) -> Option<campaigns::Model> {
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

fn email_campaign(r: &mut Row<'_>, id: Option<Uuid>) -> Option<email_campaigns::Model> {
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

fn email_send(r: &mut Row<'_>, id: Option<Uuid>) -> Option<email_sends::Model> {
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

fn crm_conversion(r: &mut Row<'_>, id: Option<Uuid>) -> Option<crm_conversions::Model> {
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

fn ecommerce_order(r: &mut Row<'_>, id: Option<Uuid>) -> Option<ecommerce_orders::Model> {
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

fn uuid(v: &str) -> Result<Uuid, String> {
    Uuid::parse_str(v).map_err(|_| format!("{v:?} is not a UUID"))
}

/// RFC 3339 (`2025-01-14T09:00:00Z`, `…+01:00`, a space for the `T`), PostgreSQL's text
/// form (`2025-01-14 09:00:00+00`), or a date alone (midnight UTC); between 1970 and 9999.
fn time(v: &str) -> Result<DateTime<Utc>, String> {
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
fn amount(v: &str) -> Result<Money, String> {
    let decimal = Decimal::from_str_exact(v).map_err(|_| format!("{v:?} is not a decimal amount"))?;
    planning::non_negative("amount", decimal).map_err(|e| {
        // The service's message names its argument; here the column is named already.
        let message = e.message();
        message.split_once("`: ").map_or(message.clone(), |(_, problem)| problem.to_owned())
    })
}

/// A whole number, not negative (the count columns' CHECK).
fn count(v: &str) -> Result<i32, String> {
    let n: i32 = v.parse().map_err(|_| format!("{v:?} is not a whole number"))?;
    if n < 0 { Err(format!("{n} is negative")) } else { Ok(n) }
}

fn flag(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "1" => Ok(true),
        "false" | "f" | "no" | "0" => Ok(false),
        _ => Err(format!("{v:?} is not true or false")),
    }
}

/// One of the values the column's CHECK allows (in any letter case).
fn choice<E: ActiveEnum<Value = String>>(v: &str) -> Result<E, String> {
    let values = E::values();
    match values.iter().find(|value| value.eq_ignore_ascii_case(v)) {
        Some(value) => E::try_from_value(value).map_err(|e| e.to_string()),
        None => Err(format!("{v:?} is not one of {}", values.join(", "))),
    }
}

fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |v| {
        if v.chars().count() > max { Err(format!("is longer than {max} characters")) } else { Ok(v.to_owned()) }
    }
}

fn any_text(v: &str) -> Result<String, String> {
    Ok(v.to_owned())
}

/// An email address, lowercased, of the shape every other path accepts.
fn email_address(v: &str) -> Result<String, String> {
    crate::services::users::email_address(v).ok_or_else(|| format!("{v:?} is not an email address"))
}

/// A UTM code as `createCampaign` takes it.
fn utm_code(v: &str) -> Result<String, String> {
    if v.chars().count() > 100 {
        return Err("is longer than 100 characters".to_owned());
    }
    if !crate::services::planning::utm_code_is_valid(v) {
        return Err(format!("{v:?} has characters other than letters, digits, '-', '_' and '.'"));
    }
    Ok(v.to_owned())
}

// ---- across rows and against the database ----

/// The line `key` was first seen on, or none (and it is remembered at `line`).
fn seen_before<K: Hash + Eq>(seen: &mut HashMap<K, u64>, key: K, line: u64) -> Option<u64> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(v) => {
            v.insert(line);
            None
        }
    }
}

/// Values the schema keeps unique, within the files (ids are checked as they are read).
fn check_unique_values(batch: &Batch, problems: &mut Vec<Problem>) {
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
async fn stored<E: EntityTrait>(
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

async fn stored_ids(db: &impl ConnectionTrait, table: Table, ids: &[Uuid]) -> Result<HashSet<Uuid>, DbErr> {
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
async fn stored_user_types(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, DbErr> {
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
async fn check_conversion_links(
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
async fn check_against_database(
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
async fn stored_holders<E: EntityTrait>(
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

async fn check_external_ids<E: EntityTrait>(
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

/// Writes every row in foreign-key order in one transaction; returns the rows per table.
async fn write(db: &DatabaseConnection, mut batch: Batch) -> Result<[u64; 6], DbErr> {
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
async fn insert_all<M>(txn: &DatabaseTransaction, rows: Vec<(u64, M)>) -> Result<u64, DbErr>
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
