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
//! Three stages, a module each: `read` (files → rows, each row's own problems), `check`
//! (across rows and against the database), `write` (one transaction, foreign-key order).
//! Fields are checked with the services' own rules where a mutation takes the same value
//! (`planning::non_negative`, `utm_code_is_valid`, `users::email_address`), their problems
//! reported under the column.
//!
//! The rows are held in memory until written: meant for exports and migrations of real data
//! (millions of rows), not for `generate`'s tens of millions.

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hash;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod check;
mod read;
mod write;

use check::{check_against_database, check_unique_values};
use read::{Batch, read_file};
use write::write;

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
