//! Versioned schema migrations, in step with SQLite's: the same versions and names, each
//! the PostgreSQL twin of the SQLite file of its number.
//!
//! Each migration is an SQL file under `migrations/postgres/`, embedded in the binary, applied
//! at most once and in order, each in its own transaction together with its row in
//! `schema_migrations` (PostgreSQL's DDL is transactional: a failed migration leaves nothing).
//! Concurrent openers of a fresh schema queue on a transaction-scoped advisory lock named
//! after the schema. A schema written by a newer gongxin is refused rather than guessed at.

use chrono::{SecondsFormat, Utc};
use postgres::{Client, GenericClient};

use super::{column, pg};
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
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "access",
        sql: include_str!("../../migrations/postgres/0002_access.sql"),
    },
    Migration {
        version: 3,
        name: "discipline",
        sql: include_str!("../../migrations/postgres/0003_discipline.sql"),
    },
    Migration {
        version: 4,
        name: "push",
        sql: include_str!("../../migrations/postgres/0004_push.sql"),
    },
    Migration {
        version: 5,
        name: "attachments",
        sql: include_str!("../../migrations/postgres/0005_attachments.sql"),
    },
    Migration {
        version: 6,
        name: "repair",
        sql: include_str!("../../migrations/postgres/0006_repair.sql"),
    },
    Migration {
        version: 7,
        name: "mail",
        sql: include_str!("../../migrations/postgres/0007_mail.sql"),
    },
    Migration {
        version: 8,
        name: "records_by_item",
        sql: include_str!("../../migrations/postgres/0008_records_by_item.sql"),
    },
    Migration {
        version: 9,
        name: "subject_profiles",
        sql: include_str!("../../migrations/postgres/0009_subject_profiles.sql"),
    },
    Migration {
        version: 10,
        name: "records_drop_profiles_in_writer",
        sql: include_str!("../../migrations/postgres/0010_records_drop_profiles_in_writer.sql"),
    },
];

/// The version a fully migrated schema has.
pub(super) const LATEST: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The table of applied migrations, which every version has.
const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

/// Creates the tables of schema `version` in the schema of `client` (a transaction, which
/// the caller commits or not), without rows in `schema_migrations`: for a restore, which
/// brings the rows of every table with it.
pub(super) fn create_tables(
    client: &mut impl GenericClient,
    version: u32,
) -> Result<(), StoreError> {
    client
        .batch_execute(SCHEMA_MIGRATIONS)
        .map_err(pg("creating schema_migrations"))?;
    for migration in MIGRATIONS.iter().filter(|m| m.version <= version) {
        let context = format!(
            "creating the tables of migration {:04}_{}",
            migration.version, migration.name
        );
        client.batch_execute(migration.sql).map_err(pg(&context))?;
    }
    Ok(())
}

/// Brings the schema (the first of the connection's search path) up to date.
pub(super) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    run(client, MIGRATIONS)
}

fn run(client: &mut Client, migrations: &[Migration]) -> Result<(), StoreError> {
    let known = migrations.last().map_or(0, |m| m.version);
    // The common case, an up-to-date schema, is decided by a read without taking the lock.
    if check_version(client, known)? == known {
        return Ok(());
    }
    for migration in migrations {
        let context = format!(
            "applying migration {:04}_{}",
            migration.version, migration.name
        );
        let mut tx = client.transaction().map_err(pg(&context))?;
        // Two processes opening a fresh schema at once: the second waits here until the first
        // committed, then finds the migration applied.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('gongxin-migrate:' || current_schema(), 0))",
            &[],
        )
        .map_err(pg("locking the schema for migrations"))?;
        tx.batch_execute(SCHEMA_MIGRATIONS)
            .map_err(pg("creating schema_migrations"))?;
        if check_version(&mut tx, known)? >= migration.version {
            continue;
        }
        tx.batch_execute(migration.sql).map_err(pg(&context))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[
                &i64::from(migration.version),
                &migration.name,
                &Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            ],
        )
        .map_err(pg(&context))?;
        tx.commit().map_err(pg(&context))?;
    }
    Ok(())
}

/// The applied version (0 for a new schema), refusing one newer than `known`.
fn check_version(client: &mut impl GenericClient, known: u32) -> Result<u32, StoreError> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = 'schema_migrations')",
            &[],
        )
        .map_err(pg("reading the schema version"))?;
    if !column::<bool>(&row, 0, "schema_migrations")? {
        return Ok(0);
    }
    let row = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(pg("reading the schema version"))?;
    let found: Option<i64> = column(&row, 0, "schema_migrations.version")?;
    let found = u32::try_from(found.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt(format!("schema version {found:?} is out of range")))?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! Against a real server, in a schema of their own: skipped (and passing) when none is
    //! reachable, unless `GONGXIN_REQUIRE_POSTGRES` is set.

    use super::*;

    const FIRST: Migration = Migration {
        version: 1,
        name: "first",
        sql: "CREATE TABLE a (x BIGINT);",
    };
    const SECOND: Migration = Migration {
        version: 2,
        name: "second",
        sql: "CREATE TABLE b (y BIGINT); INSERT INTO a VALUES (1);",
    };

    /// A connection whose search path is a new, empty schema, dropped with the value.
    struct Scratch {
        client: Client,
        _schema: gongxin_testing::TestSchema,
    }

    impl Scratch {
        fn new(name: &str) -> Option<Scratch> {
            let schema = gongxin_testing::TestSchema::create(&format!("migrate_{name}"))?;
            Some(Scratch {
                client: schema.client(),
                _schema: schema,
            })
        }

        fn version(&mut self) -> u32 {
            check_version(&mut self.client, u32::MAX).unwrap()
        }

        fn count(&mut self, sql: &str) -> i64 {
            self.client.query_one(sql, &[]).unwrap().get(0)
        }
    }

    #[test]
    fn migrations_are_versioned_embedded_in_order_and_in_step_with_sqlite() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert!(MIGRATIONS.iter().all(|m| !m.sql.trim().is_empty()));
        assert_eq!(MIGRATIONS[0].version, 1);
        assert_eq!(LATEST, crate::SqliteStore::SCHEMA_VERSION);
        let files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        for migration in MIGRATIONS {
            let twin = format!("{:04}_{}.sql", migration.version, migration.name);
            assert!(files.contains(&twin), "no SQLite twin {twin}");
        }
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
    }

    #[test]
    fn an_older_schema_is_upgraded_step_by_step() {
        let Some(mut scratch) = Scratch::new("upgrade") else {
            return;
        };
        run(&mut scratch.client, &[FIRST]).unwrap();
        assert_eq!(scratch.version(), 1);
        run(&mut scratch.client, &[FIRST, SECOND]).unwrap();
        assert_eq!(scratch.version(), 2);
        assert_eq!(
            scratch.count("SELECT count(*) FROM a"),
            1,
            "the second migration ran exactly once"
        );
        run(&mut scratch.client, &[FIRST, SECOND]).unwrap();
        assert_eq!(scratch.count("SELECT count(*) FROM schema_migrations"), 2);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version_intact() {
        let Some(mut scratch) = Scratch::new("failing") else {
            return;
        };
        let broken = Migration {
            version: 2,
            name: "broken",
            sql: "CREATE TABLE b (y BIGINT); INSERT INTO missing VALUES (1);",
        };
        let error = run(&mut scratch.client, &[FIRST, broken]).unwrap_err();
        assert!(matches!(error, StoreError::Database(ref m) if m.contains("0002_broken")));
        assert_eq!(scratch.version(), 1);
        assert_eq!(
            scratch.count(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename = 'b'"
            ),
            0,
            "the failed migration was rolled back as a whole"
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let Some(mut scratch) = Scratch::new("newer") else {
            return;
        };
        run(&mut scratch.client, &[FIRST, SECOND]).unwrap();
        let error = run(&mut scratch.client, &[FIRST]).unwrap_err();
        assert!(matches!(
            error,
            StoreError::SchemaTooNew { found: 2, known: 1 }
        ));
    }
}
