//! SQL shared by the rollup migrations, where PostgreSQL and SQLite differ.

use sea_orm_migration::sea_orm::DbBackend;

/// Seconds per slot (as `analytics::timeline::SLOT_SECS`).
pub const SLOT_SECS: i64 = 900;

/// The 15-minute UTC slot of a timestamp column.
pub fn slot(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {SLOT_SECS})"),
        _ => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {SLOT_SECS}) AS BIGINT)"),
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

/// The columns of `email_sends` whose change moves a count.
pub const COUNTED: &str =
    "email_campaign_id, retailer_id, sent_at, status, delivered_at, opened_at, human_opened_at, clicked_at";

/// Triggers on `email_sends` that run `apply(row, sign)` — SQL statements adding `sign` ×
/// the row's contribution — for the old row (sign `-`) and the new row (sign empty) of every
/// insert, delete and update of a counted column. `name` prefixes the triggers and function.
pub fn triggers(backend: DbBackend, name: &str, apply: impl Fn(&str, &str) -> String) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => vec![
            format!(
                "CREATE TRIGGER {name}_insert AFTER INSERT ON email_sends WHEN NEW.email_campaign_id IS NOT NULL
                 BEGIN {} END",
                apply("NEW", "")
            ),
            format!(
                "CREATE TRIGGER {name}_delete AFTER DELETE ON email_sends WHEN OLD.email_campaign_id IS NOT NULL
                 BEGIN {} END",
                apply("OLD", "-")
            ),
            format!(
                "CREATE TRIGGER {name}_update_old AFTER UPDATE OF {COUNTED} ON email_sends WHEN OLD.email_campaign_id IS NOT NULL
                 BEGIN {} END",
                apply("OLD", "-")
            ),
            format!(
                "CREATE TRIGGER {name}_update_new AFTER UPDATE OF {COUNTED} ON email_sends WHEN NEW.email_campaign_id IS NOT NULL
                 BEGIN {} END",
                apply("NEW", "")
            ),
        ],
        _ => vec![
            format!(
                "CREATE FUNCTION {name}_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.email_campaign_id IS NOT NULL THEN {} END IF;
                   IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.email_campaign_id IS NOT NULL THEN {} END IF;
                   RETURN NULL;
                 END $$",
                apply("OLD", "-"),
                apply("NEW", "")
            ),
            format!(
                "CREATE TRIGGER {name}_insert_delete AFTER INSERT OR DELETE ON email_sends
                 FOR EACH ROW EXECUTE FUNCTION {name}_apply()"
            ),
            format!(
                "CREATE TRIGGER {name}_update AFTER UPDATE OF {COUNTED} ON email_sends
                 FOR EACH ROW EXECUTE FUNCTION {name}_apply()"
            ),
        ],
    }
}

/// Statements dropping what `triggers` created.
pub fn drop_triggers(backend: DbBackend, name: &str) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => ["insert", "delete", "update_old", "update_new"]
            .iter()
            .map(|t| format!("DROP TRIGGER IF EXISTS {name}_{t}"))
            .collect(),
        _ => vec![
            format!("DROP TRIGGER IF EXISTS {name}_insert_delete ON email_sends"),
            format!("DROP TRIGGER IF EXISTS {name}_update ON email_sends"),
            format!("DROP FUNCTION IF EXISTS {name}_apply()"),
        ],
    }
}
