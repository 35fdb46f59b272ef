//! Column shapes shared by the migrations, where PostgreSQL and SQLite differ.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Primary key `id UUID`; PostgreSQL fills it when omitted (`gen_random_uuid()`).
pub fn uuid_pk<T: IntoIden>(backend: DbBackend, name: T) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    col.uuid().not_null().primary_key();
    if backend == DbBackend::Postgres {
        col.default(Expr::cust("gen_random_uuid()"));
    }
    col
}

/// `TIMESTAMP WITH TIME ZONE DEFAULT NOW()`, NOT NULL: the application always knows the time.
pub fn created_now<T: IntoIden>(name: T) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    col.timestamp_with_time_zone().not_null().default(Expr::current_timestamp());
    col
}

/// A money column: `NUMERIC(12,2) CHECK (col >= 0)` on PostgreSQL; on SQLite `TEXT` holding
/// the canonical `"1234.50"` form (see `entity::money`), checked for that shape, which also
/// rules out negative amounts.
pub fn money<T: IntoIden>(backend: DbBackend, name: T) -> ColumnDef {
    let iden = name.into_iden();
    let col_name = iden.to_string();
    let mut col = ColumnDef::new(iden.clone());
    match backend {
        DbBackend::Sqlite => {
            col.custom(Alias::new("TEXT")).check(Expr::cust(format!(
                "\"{col_name}\" IS NULL OR typeof(\"{col_name}\") = 'text' AND \"{col_name}\" GLOB '[0-9]*.[0-9][0-9]' \
                 AND \"{col_name}\" NOT GLOB '*[^0-9.]*' AND length(\"{col_name}\") <= 13"
            )));
        }
        _ => {
            col.decimal_len(12, 2).check(Expr::col(iden).gte(0));
        }
    }
    col
}

/// A `VARCHAR(len)` whose values are limited to `values` by a CHECK constraint.
pub fn enum_string<T: IntoIden>(name: T, len: u32, values: &[&str]) -> ColumnDef {
    let iden = name.into_iden();
    let mut col = ColumnDef::new(iden.clone());
    col.string_len(len).check(Expr::col(iden).is_in(values.iter().copied()));
    col
}
