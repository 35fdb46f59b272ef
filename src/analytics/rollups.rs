//! The rollups' own upkeep: `verify` recomputes them from the raw rows and lists every
//! difference; `rebuild` replaces them with that recomputation. The triggers that keep them
//! exact on every change were installed by the migrations that created them.

use entity::rollups::Rollup;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, Statement, TransactionTrait};
use uuid::Uuid;

/// Every rollup, each described once (`entity::rollups`).
fn rollups() -> impl Iterator<Item = &'static Rollup> {
    entity::rollups::ALL.into_iter().map(|(_, rollup)| rollup)
}

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
        let text = if let Ok(id) = row.try_get::<Uuid>("", k) {
            id.to_string()
        } else if let Ok(n) = row.try_get::<i64>("", k) {
            n.to_string()
        } else if let Ok(n) = row.try_get::<i32>("", k) {
            n.to_string()
        } else if let Ok(b) = row.try_get::<bool>("", k) {
            b.to_string()
        } else {
            format!("{:?}", row.try_get::<String>("", k)?)
        };
        parts.push(format!("{k}={text}"));
    }
    Ok(parts.join(" "))
}

/// Most differences `verify` lists per rollup (the database compares everything; only the
/// differences travel, so a check of 10 million sends stays small in memory).
pub const MAX_LISTED: usize = 10_000;

/// The differences between the stored rollups and a recount of the sends (at most
/// `MAX_LISTED` per rollup), found by the database with one full outer join per rollup.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Vec<Difference>, DbErr> {
    let mut differences = Vec::new();
    for rollup in rollups() {
        let columns = rollup.columns();
        let nonzero = rollup.counts.iter().map(|c| format!("{c} <> 0")).collect::<Vec<_>>().join(" OR ");
        let stored = format!("SELECT {columns} FROM {} WHERE {nonzero}", rollup.table);
        let recount = format!(
            "SELECT {columns} FROM ({}) AS recount WHERE {nonzero}",
            rollup.from_raw(db.get_database_backend())
        );
        let keys: Vec<String> = rollup.keys.iter().map(|k| format!("COALESCE(s.{k}, r.{k}) AS {k}")).collect();
        let counts: Vec<String> = rollup
            .counts
            .iter()
            .flat_map(|c| [format!("COALESCE(s.{c}, 0) AS stored_{c}"), format!("COALESCE(r.{c}, 0) AS recounted_{c}")])
            .collect();
        let on = rollup.keys.iter().map(|k| format!("s.{k} = r.{k}")).collect::<Vec<_>>().join(" AND ");
        let differ =
            rollup.counts.iter().map(|c| format!("COALESCE(s.{c}, 0) <> COALESCE(r.{c}, 0)")).collect::<Vec<_>>();
        let sql = format!(
            "SELECT {}, {} FROM ({stored}) AS s FULL OUTER JOIN ({recount}) AS r ON {on} WHERE {} LIMIT {MAX_LISTED}",
            keys.join(", "),
            counts.join(", "),
            differ.join(" OR "),
        );
        for row in db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await? {
            let get = |prefix: &str| {
                rollup
                    .counts
                    .iter()
                    .map(|c| row.try_get::<i64>("", &format!("{prefix}_{c}")))
                    .collect::<Result<Vec<_>, _>>()
            };
            differences.push(Difference {
                table: rollup.table,
                key: key_of(&row, rollup)?,
                stored: get("stored")?,
                recounted: get("recounted")?,
            });
        }
    }
    Ok(differences)
}

/// Replaces every rollup with a recount of the sends, in one transaction; returns the rows
/// written.
pub async fn rebuild(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let mut written = 0;
    for rollup in rollups() {
        txn.execute_unprepared(&format!("DELETE FROM {}", rollup.table)).await?;
        written += txn.execute_unprepared(&rollup.backfill(txn.get_database_backend())).await?.rows_affected();
    }
    txn.commit().await?;
    Ok(written)
}
