//! The rollups' own upkeep: `verify` recomputes them from the raw rows and lists every
//! difference; `rebuild` replaces them with that recomputation. The triggers that keep them
//! exact on every change live in the migrations that created them.

use migration::rollup_sql::Rollup;
use migration::{
    m20251125_000002_create_email_rollups as email_rollups, m20251125_000003_create_email_activity as email_activity,
    m20251125_000004_create_email_totals as email_totals,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, Statement, TransactionTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every rollup, each described once in its migration.
const ROLLUPS: [&Rollup; 3] = [&email_rollups::ROLLUP, &email_activity::ROLLUP, &email_totals::ROLLUP];

/// A rollup row that differs from the recount of the raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    /// The key columns, `name=value` each.
    pub key: String,
    /// The counts, in the table's column order.
    pub stored: Vec<i64>,
    pub recounted: Vec<i64>,
}

fn key_of(row: &QueryResult, rollup: &Rollup) -> Result<String, DbErr> {
    let mut parts = Vec::with_capacity(rollup.keys.len());
    for k in rollup.keys {
        let text = match (row.try_get::<Uuid>("", k), row.try_get::<i64>("", k)) {
            (Ok(id), _) => id.to_string(),
            (_, Ok(n)) => n.to_string(),
            _ => row.try_get::<i32>("", k)?.to_string(),
        };
        parts.push(format!("{k}={text}"));
    }
    Ok(parts.join(" "))
}

async fn read(db: &impl ConnectionTrait, rollup: &Rollup, sql: String) -> Result<BTreeMap<String, Vec<i64>>, DbErr> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let counts = rollup.counts.iter().map(|c| row.try_get::<i64>("", c)).collect::<Result<Vec<_>, _>>()?;
        if counts.iter().any(|n| *n != 0) {
            out.insert(key_of(&row, rollup)?, counts);
        }
    }
    Ok(out)
}

/// Every difference between the stored rollups and a recount of the sends.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Vec<Difference>, DbErr> {
    let mut differences = Vec::new();
    for rollup in ROLLUPS {
        let columns = [rollup.keys, rollup.counts].concat().join(", ");
        let stored = read(db, rollup, format!("SELECT {columns} FROM {}", rollup.table)).await?;
        let recount = format!("SELECT {columns} FROM ({}) AS recount", rollup.from_raw(db.get_database_backend()));
        let recounted = read(db, rollup, recount).await?;
        let zero = vec![0; rollup.counts.len()];
        let mut keys: Vec<&String> = stored.keys().chain(recounted.keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let (s, r) = (stored.get(key).unwrap_or(&zero), recounted.get(key).unwrap_or(&zero));
            if s != r {
                differences.push(Difference {
                    table: rollup.table,
                    key: key.clone(),
                    stored: s.clone(),
                    recounted: r.clone(),
                });
            }
        }
    }
    Ok(differences)
}

/// Replaces every rollup with a recount of the sends, in one transaction; returns the rows
/// written.
pub async fn rebuild(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let mut written = 0;
    for rollup in ROLLUPS {
        txn.execute_unprepared(&format!("DELETE FROM {}", rollup.table)).await?;
        let columns = [rollup.keys, rollup.counts].concat().join(", ");
        let sql = format!("INSERT INTO {} ({columns}) {}", rollup.table, rollup.from_raw(txn.get_database_backend()));
        written += txn.execute_unprepared(&sql).await?.rows_affected();
    }
    txn.commit().await?;
    Ok(written)
}
