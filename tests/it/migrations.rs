//! Migrations go down and up again on both backends, leaving a working schema.

use crate::common::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn table_count(db: &impl ConnectionTrait) -> i64 {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type IN ('table', 'view') \
                              AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() \
              AND table_name <> 'seaql_migrations'"
        }
    };
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

db_test!(migrations_go_down_and_up_again, |db| {
    assert_eq!(
        table_count(&*db).await,
        20,
        "six tables, the summary view, the event log, the quarantine, the idempotency keys, nine rollups and the verify runs"
    );
    assert!(Migrator::get_pending_migrations(&*db).await.unwrap().is_empty());

    Migrator::down(&*db, None).await.expect("down");
    assert_eq!(table_count(&*db).await, 0, "down removes every table and the view");
    assert_eq!(Migrator::get_pending_migrations(&*db).await.unwrap().len(), Migrator::migrations().len());

    Migrator::up(&*db, None).await.expect("up again");
    assert_eq!(table_count(&*db).await, 20);
    // The schema works after the round trip.
    let c = campaign("after round trip").insert(&*db).await;
    let data = gql(&db, "{ campaigns { totalCount edges { node { id } } } }", serde_json::json!({})).await;
    assert_eq!(data["campaigns"]["totalCount"], 1);
    assert_eq!(data["campaigns"]["edges"][0]["node"]["id"], c.id.to_string());
});

db_test!(check_constraints_refuse_negative_money_and_unknown_enum_values, |db| {
    let c = campaign("checks").insert(&*db).await;
    let id = c.id;
    let backend = db.backend();
    let (neg_spent, bad_status) = match backend {
        DbBackend::Sqlite => (
            "UPDATE campaigns SET budget_spent = '-1.00' WHERE id = ?",
            "UPDATE campaigns SET status = 'archived' WHERE id = ?",
        ),
        _ => (
            "UPDATE campaigns SET budget_spent = -1 WHERE id = $1",
            "UPDATE campaigns SET status = 'archived' WHERE id = $1",
        ),
    };
    for sql in [neg_spent, bad_status] {
        let result = db.execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()])).await;
        assert!(result.is_err(), "{sql} must be refused");
    }
    if backend == DbBackend::Sqlite {
        // A float or an amount with three decimals is not the canonical money text.
        for bad in [
            "UPDATE campaigns SET budget_spent = 12.5 WHERE id = ?",
            "UPDATE campaigns SET budget_spent = '1.005' WHERE id = ?",
        ] {
            let result = db.execute_raw(Statement::from_sql_and_values(backend, bad, [id.into()])).await;
            assert!(result.is_err(), "{bad} must be refused");
        }
    }
});

/// The rollups the server reads (`entity::rollups`) are the ones the migrations installed:
/// each description's statements equal, on both backends, the frozen statements of the
/// migration it names. A change to a description that would change a table or a trigger
/// fails here; it needs a new migration (and `ALL` naming it).
#[test]
fn rollup_descriptions_match_the_statements_their_migrations_froze() {
    assert_eq!(entity::rollups::ALL.len(), 9);
    for (name, rollup) in entity::rollups::ALL {
        let frozen = migration::frozen(name).unwrap_or_else(|| panic!("{name} is not a frozen migration"));
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let up: Vec<&str> = frozen.statements(backend, true).collect();
            let down: Vec<&str> = frozen.statements(backend, false).collect();
            assert!(up.len() >= 3 && !down.is_empty(), "{name}: {backend:?} has statements");
            assert_eq!(rollup.install(backend), up, "{name} ({backend:?}): the description's install");
            assert_eq!(rollup.remove(backend), down, "{name} ({backend:?}): the description's removal");
        }
    }
    // The channel the server listens on is the one the migration announces changes on.
    assert_eq!(entity::users::CHANGES_CHANNEL, migration::m20251129_000007_create_users_notify::CHANNEL);
}
