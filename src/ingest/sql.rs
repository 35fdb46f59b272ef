//! Batched statements whose spelling differs between PostgreSQL and SQLite.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Insert, QueryTrait, Statement, Value,
};
use std::collections::HashSet;

pub use crate::db::CHUNK;

/// `UPDATE table SET col = v.col, … FROM (VALUES …) v WHERE table.key = v.key`: many rows,
/// each with its own values, in one statement per `CHUNK` rows. `columns[0]` is the key; each
/// column comes with its PostgreSQL type (SQLite keeps the bound value's own type).
pub async fn update_from_values(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[(&str, &str)],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let key = names[0];
    let assignments: Vec<String> = names[1..].iter().map(|c| format!("{c} = v.{c}")).collect();
    for chunk in rows.chunks(CHUNK) {
        let mut values = Vec::with_capacity(chunk.len() * columns.len());
        let mut tuples = Vec::with_capacity(chunk.len());
        for row in chunk {
            let cells: Vec<String> = columns
                .iter()
                .zip(row)
                .map(|((_, pg_type), value)| {
                    values.push(value.clone());
                    match backend {
                        DbBackend::Postgres => format!("${}::{pg_type}", values.len()),
                        _ => "?".to_owned(),
                    }
                })
                .collect();
            tuples.push(format!("({})", cells.join(", ")));
        }
        let sql = format!(
            "WITH v({}) AS (VALUES {}) UPDATE {table} SET {} FROM v WHERE {table}.{key} = v.{key}",
            names.join(", "),
            tuples.join(", "),
            assignments.join(", "),
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// Inserts `models` (in `CHUNK`s) with `on_conflict`; returns the (source, key) pairs of
/// the rows actually written (a conflict that does nothing returns no row).
pub async fn insert_returning_keys<A>(
    db: &impl ConnectionTrait,
    models: Vec<A>,
    on_conflict: OnConflict,
    (source, key): (<A::Entity as EntityTrait>::Column, <A::Entity as EntityTrait>::Column),
) -> Result<HashSet<(String, String)>, DbErr>
where
    A: ActiveModelTrait,
{
    let mut written = HashSet::new();
    let backend = db.get_database_backend();
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<A> = models.by_ref().take(CHUNK).collect();
        let mut insert = Insert::many(chunk).into_query();
        insert.on_conflict(on_conflict.clone()).returning(Query::returning().columns([source, key]));
        let source_name = source.as_str();
        let key_name = key.as_str();
        for row in db.query_all_raw(backend.build(&insert)).await? {
            written.insert((row.try_get::<String>("", source_name)?, row.try_get::<String>("", key_name)?));
        }
    }
    Ok(written)
}
