//! Versioned schema migrations.
//!
//! Each migration is an SQL file under `migrations/sqlite/`, embedded in the binary, applied at
//! most once and in order, each in its own transaction together with its row in
//! `schema_migrations`. A database written by a newer gongxin is refused rather than guessed at.

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::db;
use crate::StoreError;

/// One step of the schema.
#[derive(Debug)]
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first, versions strictly increasing.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "access",
        sql: include_str!("../../migrations/sqlite/0002_access.sql"),
    },
    Migration {
        version: 3,
        name: "discipline",
        sql: include_str!("../../migrations/sqlite/0003_discipline.sql"),
    },
    Migration {
        version: 4,
        name: "push",
        sql: include_str!("../../migrations/sqlite/0004_push.sql"),
    },
    Migration {
        version: 5,
        name: "attachments",
        sql: include_str!("../../migrations/sqlite/0005_attachments.sql"),
    },
    Migration {
        version: 6,
        name: "repair",
        sql: include_str!("../../migrations/sqlite/0006_repair.sql"),
    },
    Migration {
        version: 7,
        name: "mail",
        sql: include_str!("../../migrations/sqlite/0007_mail.sql"),
    },
    Migration {
        version: 8,
        name: "records_by_item",
        sql: include_str!("../../migrations/sqlite/0008_records_by_item.sql"),
    },
    Migration {
        version: 9,
        name: "subject_profiles",
        sql: include_str!("../../migrations/sqlite/0009_subject_profiles.sql"),
    },
    Migration {
        version: 10,
        name: "records_drop_profiles_in_writer",
        sql: include_str!("../../migrations/sqlite/0010_records_drop_profiles_in_writer.sql"),
    },
];

/// The version a fully migrated database has.
pub(super) const LATEST: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Brings the schema up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    run(conn, MIGRATIONS)
}

fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    let known = migrations.last().map_or(0, |m| m.version);
    // The common case, an up-to-date file, is decided by a read without taking the write lock,
    // so that opening a database another process is writing to does not queue behind it.
    if check_version(conn, known)? == known {
        return Ok(());
    }
    for migration in migrations {
        // Re-read under the write lock: two processes opening a fresh file at the same time
        // must not both apply a migration.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("starting a migration"))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TEXT NOT NULL
             )",
        )
        .map_err(db("creating schema_migrations"))?;
        if check_version(&tx, known)? >= migration.version {
            continue;
        }
        let context = format!(
            "applying migration {:04}_{}",
            migration.version, migration.name
        );
        tx.execute_batch(migration.sql).map_err(db(&context))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            (
                migration.version,
                migration.name,
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
        )
        .map_err(db(&context))?;
        tx.commit().map_err(db(&context))?;
    }
    Ok(())
}

/// The applied version (0 for a new file), refusing one newer than `known`.
fn check_version(conn: &Connection, known: u32) -> Result<u32, StoreError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(db("reading the schema version"))?
        .is_some();
    if !exists {
        return Ok(0);
    }
    let found: Option<i64> = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |row| {
            row.get(0)
        })
        .map_err(db("reading the schema version"))?;
    let found = u32::try_from(found.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt(format!("schema version {found:?} is out of range")))?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Migration = Migration {
        version: 1,
        name: "first",
        sql: "CREATE TABLE a (x INTEGER);",
    };
    const SECOND: Migration = Migration {
        version: 2,
        name: "second",
        sql: "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);",
    };

    fn version(conn: &Connection) -> u32 {
        check_version(conn, u32::MAX).unwrap()
    }

    #[test]
    fn migrations_are_versioned_and_embedded_in_order() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert!(MIGRATIONS.iter().all(|m| !m.sql.trim().is_empty()));
        assert_eq!(MIGRATIONS[0].version, 1);
    }

    #[test]
    fn an_older_database_is_upgraded_step_by_step() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[FIRST]).unwrap();
        assert_eq!(version(&conn), 1);

        run(&mut conn, &[FIRST, SECOND]).unwrap();
        assert_eq!(version(&conn), 2);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "the second migration ran exactly once");

        run(&mut conn, &[FIRST, SECOND]).unwrap();
        let applied: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(applied, 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version_intact() {
        let broken = Migration {
            version: 2,
            name: "broken",
            sql: "CREATE TABLE b (y INTEGER); INSERT INTO missing VALUES (1);",
        };
        let mut conn = Connection::open_in_memory().unwrap();
        let error = run(&mut conn, &[FIRST, broken]).unwrap_err();
        assert!(matches!(error, StoreError::Database(ref m) if m.contains("0002_broken")));
        assert_eq!(version(&conn), 1);
        let b_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            b_exists, 0,
            "the failed migration was rolled back as a whole"
        );
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[FIRST, SECOND]).unwrap();
        let error = run(&mut conn, &[FIRST]).unwrap_err();
        assert!(matches!(
            error,
            StoreError::SchemaTooNew { found: 2, known: 1 }
        ));
    }
}
