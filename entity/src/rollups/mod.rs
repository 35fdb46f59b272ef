//! The rollups: tables over `email_sends`, `crm_conversions` and `ecommerce_orders`, kept exact by
//! triggers, where PostgreSQL and SQLite differ.
//!
//! A rollup is described by its key and count columns and by `rows`: the contribution of
//! the sends of a row source, one output row per (key, …) with signed counts. From that one
//! description come the recount from raw rows, and the triggers: on PostgreSQL one
//! statement-level trigger per operation that adds the net change per key of the whole
//! statement (`REFERENCING OLD/NEW TABLE`), in key order so concurrent writers lock rows in
//! the same order; on SQLite (row-level triggers only) the same for each row.
//!
//! Runtime code reads them (`analytics`) and checks them (`verify`, `rebuild`); the migrations
//! that installed them ran these descriptions' statements once and keep them frozen, as text
//! (`migration/src/frozen/`). A change here that would change a table or a trigger fails the
//! test that compares the two (`tests/it/migrations.rs`): it needs a new migration.

use sea_orm::DbBackend;

pub mod conversion_rollups;
pub mod email_activity;
pub mod email_activity_all;
pub mod email_activity_daily;
pub mod email_activity_hourly;
pub mod email_rollups;
pub mod email_totals;
pub mod order_rollups;
pub mod send_states;

/// Every rollup, with the migration that installed its current form.
pub const ALL: [(&str, &Rollup); 9] = [
    ("m20251125_000002_create_email_rollups", &email_rollups::ROLLUP),
    ("m20251125_000003_create_email_activity", &email_activity::ROLLUP),
    ("m20251125_000004_create_email_totals", &email_totals::ROLLUP),
    ("m20251129_000001_create_email_activity_all", &email_activity_all::ROLLUP),
    ("m20251129_000002_create_conversion_rollups", &conversion_rollups::ROLLUP),
    ("m20251129_000003_create_order_rollups", &order_rollups::ROLLUP),
    ("m20251129_000005_create_email_activity_hourly", &email_activity_hourly::ROLLUP),
    ("m20251129_000006_create_email_activity_daily", &email_activity_daily::ROLLUP),
    ("m20261203_000002_create_send_states", &send_states::ROLLUP),
];

/// Seconds per slot (as `analytics::timeline::SLOT_SECS`).
pub const SLOT_SECS: i64 = 900;

/// The 15-minute UTC slot of a timestamp column.
pub fn slot(backend: DbBackend, column: &str) -> String {
    bucket(backend, column, SLOT_SECS)
}

/// The number of the `secs`-long UTC interval since 1970 that holds a timestamp column.
pub fn bucket(backend: DbBackend, column: &str, secs: i64) -> String {
    match backend {
        DbBackend::Sqlite => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {secs})"),
        _ => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {secs}) AS BIGINT)"),
    }
}

/// A money column as an exact integer number of cents: `NUMERIC × 100` on PostgreSQL; on
/// SQLite the canonical text `"1234.50"` with the point removed (see `entity::money`).
pub fn cents(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("CAST(REPLACE({column}, '.', '') AS INTEGER)"),
        _ => format!("({column} * 100)"),
    }
}

/// The nil UUID, which stands for "no retailer" in rollup keys.
pub fn nil(backend: DbBackend) -> String {
    match backend {
        // SQLite keeps UUIDs as 16-byte blobs.
        DbBackend::Sqlite => "zeroblob(16)".to_owned(),
        _ => "'00000000-0000-0000-0000-000000000000'::uuid".to_owned(),
    }
}

/// The columns of `email_sends` whose change moves an email count.
pub const SEND_COLUMNS: &str =
    "email_campaign_id, retailer_id, sent_at, status, delivered_at, opened_at, human_opened_at, clicked_at";

/// (column, SQL expression) pairs.
pub type Columns = Vec<(&'static str, String)>;

/// A rollup counted row by row, which a period can read in part: each row of `source` where
/// `filter` holds adds its `counts` under its `keys` and the 15-minute slot of `time` (all over
/// the row alias given to `columns`).
pub struct PerRow {
    pub source: &'static str,
    pub time: &'static str,
    /// The name of the slot key.
    pub slot: &'static str,
    /// (keys without the slot, counts) over a row alias.
    pub columns: fn(DbBackend, &str) -> (Columns, Columns),
    pub filter: fn(&str) -> String,
}

impl PerRow {
    /// `SELECT <keys>, <slot>, <sign × counts> FROM … WHERE <filter>` over `source`.
    pub fn rows(&self, backend: DbBackend, source: Source<'_>, sign: &str) -> String {
        self.select(backend, source, sign, true)
    }

    /// The same, with or without the slot.
    pub fn select(&self, backend: DbBackend, source: Source<'_>, sign: &str, with_slot: bool) -> String {
        let r = source.alias();
        let (keys, counts) = (self.columns)(backend, r);
        let mut select: Vec<String> = keys.iter().map(|(n, e)| format!("{e} AS {n}")).collect();
        if with_slot {
            select.push(format!("{} AS {}", slot(backend, &format!("{r}.{}", self.time)), self.slot));
        }
        select.extend(counts.iter().map(|(n, e)| format!("{sign}{e} AS {n}")));
        format!("SELECT {} {} WHERE {}", select.join(", "), source.from(), (self.filter)(r))
    }
}

/// How a row source is named in `Rollup::rows`: a table under an alias, or the trigger's
/// `NEW`/`OLD` row itself (SQLite, no FROM).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Table { table: &'a str, alias: &'a str },
    Row(&'a str),
}

impl Source<'_> {
    /// The alias that column references use.
    pub fn alias(&self) -> &str {
        match self {
            Source::Table { alias, .. } => alias,
            Source::Row(r) => r,
        }
    }

    /// The FROM clause (empty for a trigger row).
    pub fn from(&self) -> String {
        match self {
            Source::Table { table, alias } => format!("FROM {table} {alias}"),
            Source::Row(_) => String::new(),
        }
    }
}

pub struct Rollup {
    pub table: &'static str,
    /// The raw table it counts.
    pub source: &'static str,
    /// The source's columns whose change moves a count (SQLite's update trigger).
    pub counted: &'static str,
    pub keys: &'static [&'static str],
    /// The SQL type of each key column (the counts are BIGINT).
    pub key_types: &'static [&'static str],
    pub counts: &'static [&'static str],
    /// `SELECT <keys>, <counts> FROM … WHERE …` over a source, counts multiplied by `sign`
    /// (`""` or `"-"`).
    pub rows: fn(DbBackend, Source<'_>, &str) -> String,
}

impl Rollup {
    /// Key and count columns, comma-separated.
    pub fn columns(&self) -> String {
        [self.keys, self.counts].concat().join(", ")
    }

    /// `INSERT INTO <table> … <recount>`: fills the (empty) table from the raw rows.
    pub fn backfill(&self, backend: DbBackend) -> String {
        format!("INSERT INTO {} ({}) {}", self.table, self.columns(), self.from_raw(backend))
    }

    /// What installing it runs: creates the table, fills it from the raw rows and installs
    /// the triggers.
    pub fn install(&self, backend: DbBackend) -> Vec<String> {
        let keys: Vec<String> =
            self.keys.iter().zip(self.key_types).map(|(k, t)| format!("{k} {t} NOT NULL")).collect();
        let counts: Vec<String> = self.counts.iter().map(|c| format!("{c} BIGINT NOT NULL DEFAULT 0")).collect();
        let table = format!(
            "CREATE TABLE {} ({}, {}, PRIMARY KEY ({}))",
            self.table,
            keys.join(", "),
            counts.join(", "),
            self.keys.join(", ")
        );
        [vec![table, self.backfill(backend)], self.triggers(backend)].concat()
    }

    /// What removing it runs: drops the triggers and the table.
    pub fn remove(&self, backend: DbBackend) -> Vec<String> {
        [self.drop_triggers(backend), vec![format!("DROP TABLE {}", self.table)]].concat()
    }

    /// The rollup's rows recounted from the raw table.
    pub fn from_raw(&self, backend: DbBackend) -> String {
        let source = (self.rows)(backend, Source::Table { table: self.source, alias: "s" }, "");
        self.summed(&source, false)
    }

    /// `SELECT keys, SUM(counts) … GROUP BY keys` over `source`; `changes_only` leaves out keys
    /// whose counts sum to zero and orders by key.
    fn summed(&self, source: &str, changes_only: bool) -> String {
        let keys = self.keys.join(", ");
        let sums: Vec<String> = self.counts.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
        let mut sql = format!("SELECT {keys}, {} FROM ({source}) AS d WHERE true GROUP BY {keys}", sums.join(", "));
        if changes_only {
            let nonzero: Vec<String> = self.counts.iter().map(|c| format!("SUM({c}) <> 0")).collect();
            sql.push_str(&format!(" HAVING {} ORDER BY {keys}", nonzero.join(" OR ")));
        }
        sql
    }

    /// Adds the net counts of `source` to the table.
    fn upsert(&self, source: &str) -> String {
        let columns = self.columns();
        let sets: Vec<String> =
            self.counts.iter().map(|c| format!("{c} = {t}.{c} + excluded.{c}", t = self.table)).collect();
        format!(
            "INSERT INTO {t} ({columns}) {select} ON CONFLICT ({keys}) DO UPDATE SET {sets};",
            t = self.table,
            select = self.summed(source, true),
            keys = self.keys.join(", "),
            sets = sets.join(", "),
        )
    }

    /// The statements creating the triggers.
    pub fn triggers(&self, backend: DbBackend) -> Vec<String> {
        let (t, on, counted) = (self.table, self.source, self.counted);
        let rows = |source: Source<'_>, sign: &str| (self.rows)(backend, source, sign);
        match backend {
            DbBackend::Sqlite => {
                let (new, old) = (rows(Source::Row("NEW"), ""), rows(Source::Row("OLD"), "-"));
                vec![
                    format!("CREATE TRIGGER {t}_insert AFTER INSERT ON {on} BEGIN {} END", self.upsert(&new)),
                    format!("CREATE TRIGGER {t}_delete AFTER DELETE ON {on} BEGIN {} END", self.upsert(&old)),
                    format!(
                        "CREATE TRIGGER {t}_update AFTER UPDATE OF {counted} ON {on} BEGIN {} END",
                        self.upsert(&format!("{new} UNION ALL {old}"))
                    ),
                ]
            }
            _ => {
                let new = rows(Source::Table { table: "new_rows", alias: "r" }, "");
                let old = rows(Source::Table { table: "old_rows", alias: "r" }, "-");
                vec![
                    format!(
                        "CREATE FUNCTION {t}_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN
                           IF TG_OP = 'INSERT' THEN {insert}
                           ELSIF TG_OP = 'DELETE' THEN {delete}
                           ELSE {update}
                           END IF;
                           RETURN NULL;
                         END $$",
                        insert = self.upsert(&new),
                        delete = self.upsert(&old),
                        update = self.upsert(&format!("{new} UNION ALL {old}")),
                    ),
                    format!(
                        "CREATE TRIGGER {t}_insert AFTER INSERT ON {on} REFERENCING NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION {t}_apply()"
                    ),
                    format!(
                        "CREATE TRIGGER {t}_update AFTER UPDATE ON {on}
                         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION {t}_apply()"
                    ),
                    format!(
                        "CREATE TRIGGER {t}_delete AFTER DELETE ON {on} REFERENCING OLD TABLE AS old_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION {t}_apply()"
                    ),
                ]
            }
        }
    }

    /// The statements dropping the triggers.
    pub fn drop_triggers(&self, backend: DbBackend) -> Vec<String> {
        let (t, on) = (self.table, self.source);
        match backend {
            DbBackend::Sqlite => {
                ["insert", "delete", "update"].iter().map(|op| format!("DROP TRIGGER IF EXISTS {t}_{op}")).collect()
            }
            _ => {
                let mut v: Vec<String> = ["insert", "delete", "update"]
                    .iter()
                    .map(|op| format!("DROP TRIGGER IF EXISTS {t}_{op} ON {on}"))
                    .collect();
                v.push(format!("DROP FUNCTION IF EXISTS {t}_apply()"));
                v
            }
        }
    }
}
