//! Backup and restore of a PostgreSQL store: every table of the schema as one repeatable-read
//! transaction sees it, in one file; and its restoration into an empty schema, in one
//! transaction that commits only after `verify` has passed on what it loaded.
//!
//! **The file.** A line `gongxin-postgresql-backup`, a line of JSON (the [`Header`]: format,
//! schema version, chain head, and each table with its columns and row count), then each
//! table's rows as `COPY … TO STDOUT (FORMAT binary)` wrote them, in frames (a little-endian
//! `u32` length, then that many bytes; a frame of length 0 ends the table), and last the
//! SHA-256 of everything before it. The tables come in an order in which every foreign key
//! refers to a table loaded before, so that a restore loads them as they come.
//!
//! **Consistency.** The backup is one `REPEATABLE READ, READ ONLY` transaction: every table
//! as of one snapshot, taken while writers go on — which never wait for it, nor it for them.
//! Appends commit one at a time under the chain head's lock, so the snapshot holds every batch
//! committed before it and none after: the log up to a head, and projections that match it.
//!
//! **Restore.** Into a schema with no tables and no functions (an existing store is moved
//! aside, whole, with `replace`): one transaction creates the tables of the backup's schema
//! version, loads the rows, checks the row counts and the file's digest, moves the identity
//! columns past the loaded numbers, and runs `verify` on what it loaded. It commits only if
//! all of that holds: otherwise nothing of the backup is left behind, and a store moved aside
//! is back in place.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use chrono::{SecondsFormat, Utc};
use postgres::{GenericClient, IsolationLevel, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Conn, Db, PostgresStore, Target, column, migrate, pg, plain_schema, read, verify};
use crate::{Snapshot, StoreError, Verification};

/// The first line of every backup.
const MAGIC: &[u8] = b"gongxin-postgresql-backup\n";
/// The layout this build writes and reads.
const FORMAT: u32 = 1;
/// Bytes per frame when writing; a frame read may be no longer than this.
const FRAME: usize = 1 << 20;
/// The header line is small (the table list); anything longer is not a backup.
const MAX_HEADER: usize = 1 << 20;

/// What a backup holds, before its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: u32,
    schema_version: u32,
    /// When the snapshot was taken (UTC, RFC 3339).
    taken_at: String,
    /// The chain head of the snapshot: its number of events and the last hash (hex).
    events: u64,
    head: String,
    tables: Vec<Table>,
}

/// One table of a backup, in the order the rows follow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Table {
    name: String,
    columns: Vec<String>,
    rows: u64,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Database(format!("{what}: {e}"))
}

fn damaged(from: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!(
        "the backup {} is damaged or not a gongxin PostgreSQL backup: {why}",
        from.display()
    ))
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_list(table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quoted(c)).collect();
    columns.join(", ")
}

impl PostgresStore {
    /// Writes a consistent snapshot of the whole schema to `out` (which must not exist): one
    /// read-only repeatable-read transaction, so writers go on meanwhile and the file holds
    /// every batch committed before it began and none after.
    ///
    /// # Errors
    /// [`StoreError::Database`] when `out` exists or cannot be written, or the database fails;
    /// a partly written file is removed.
    pub fn backup_to(&self, out: &Path) -> Result<Snapshot, StoreError> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(out)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => StoreError::Database(format!(
                    "{} exists; a backup never overwrites a file",
                    out.display()
                )),
                _ => StoreError::Database(format!("creating {}: {e}", out.display())),
            })?;
        let written = {
            let mut conn = self.conn()?;
            write_backup(&mut conn, file, out)
        };
        match written {
            Ok(header) => {
                let bytes = std::fs::metadata(out)
                    .map_err(io(format!("reading {}", out.display())))?
                    .len();
                Ok(Snapshot {
                    path: out.to_owned(),
                    bytes,
                    events: header.events,
                    head: header.head,
                })
            }
            Err(e) => {
                let _ = std::fs::remove_file(out);
                Err(e)
            }
        }
    }

    /// Restores the backup `from` into the database at `url`, in the first schema of the
    /// URL's search path, which must hold no tables — or, with `replace`, whose tables and
    /// functions are moved aside into a new schema `<schema>_before_restore_<time>`. The
    /// backup is loaded and verified in one transaction: if it does not verify, nothing
    /// changes.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the file is damaged or what it holds does not verify;
    /// [`StoreError::SchemaTooNew`] for a backup of a newer schema; [`StoreError::Database`]
    /// when the schema holds tables and `replace` is unset, for a backup of an older schema
    /// version, or when the database fails.
    pub fn restore(from: &Path, url: &str, replace: bool) -> Result<Snapshot, StoreError> {
        let target = Target::new(url, None)?;
        Self::restore_to(from, &target, replace)
    }

    /// [`restore`](Self::restore) into `schema` (created if missing).
    ///
    /// # Errors
    /// As [`restore`](Self::restore), and for a schema name that is not a plain identifier.
    pub fn restore_in_schema(
        from: &Path,
        url: &str,
        schema: &str,
        replace: bool,
    ) -> Result<Snapshot, StoreError> {
        plain_schema(schema)?;
        let target = Target::new(url, Some(schema))?;
        Self::restore_to(from, &target, replace)
    }

    fn restore_to(from: &Path, target: &Target, replace: bool) -> Result<Snapshot, StoreError> {
        // The client blocks on a runtime of its own: on a thread of its own, whoever calls.
        std::thread::scope(|scope| {
            scope
                .spawn(|| restore_here(from, target, replace))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// A writer that hashes what it writes.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_backup(conn: &mut Conn, file: File, out: &Path) -> Result<Header, StoreError> {
    let what = format!("writing the backup {}", out.display());
    let mut tx = conn
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg("starting the backup's snapshot"))?;
    // The first statement takes the snapshot; every later one reads the same.
    let version: Option<i64> = column(
        &tx.query_one("SELECT max(version) FROM schema_migrations", &[])
            .map_err(pg("reading the schema version"))?,
        0,
        "schema_migrations.version",
    )?;
    let schema_version = u32::try_from(version.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt(format!("schema version {version:?} is out of range")))?;
    let head = read::chain_head(&mut Db {
        client: &mut tx,
        statements: &mut conn.statements,
    })?;
    let mut tables = Vec::new();
    for name in tables_in_load_order(&mut tx)? {
        let columns = columns_of(&mut tx, &name)?;
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", quoted(&name)), &[])
            .map_err(pg(&format!("counting the rows of {name}")))?
            .get(0);
        tables.push(Table {
            name,
            columns,
            rows: u64::try_from(rows).unwrap_or(0),
        });
    }
    let header = Header {
        format: FORMAT,
        schema_version,
        taken_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        events: crate::decode::unsigned(head.seq, "the chain head")?,
        head: head.hash.to_string(),
        tables,
    };
    let mut writer = Hashing {
        inner: BufWriter::with_capacity(FRAME, file),
        hasher: Sha256::new(),
    };
    let line = serde_json::to_string(&header).expect("a header serialises");
    writer
        .write_all(MAGIC)
        .and_then(|()| writer.write_all(line.as_bytes()))
        .and_then(|()| writer.write_all(b"\n"))
        .map_err(io(what.clone()))?;
    let mut frame = vec![0_u8; FRAME];
    for table in &header.tables {
        let mut rows = tx
            .copy_out(&format!(
                "COPY {} ({}) TO STDOUT (FORMAT binary)",
                quoted(&table.name),
                column_list(table)
            ))
            .map_err(pg(&format!("reading table {}", table.name)))?;
        // The rows end once: the stream may not be read again after its end.
        let mut ended = false;
        while !ended {
            let filled;
            (filled, ended) =
                fill(&mut rows, &mut frame).map_err(io(format!("reading table {}", table.name)))?;
            if filled > 0 {
                let length = u32::try_from(filled).expect("a frame fits a u32");
                writer
                    .write_all(&length.to_le_bytes())
                    .and_then(|()| writer.write_all(&frame[..filled]))
                    .map_err(io(what.clone()))?;
            }
        }
        writer
            .write_all(&0_u32.to_le_bytes())
            .map_err(io(what.clone()))?;
    }
    tx.commit().map_err(pg("ending the backup's snapshot"))?;
    let Hashing { mut inner, hasher } = writer;
    inner
        .write_all(&hasher.finalize())
        .and_then(|()| inner.flush())
        .map_err(io(what.clone()))?;
    let file = inner
        .into_inner()
        .map_err(|e| StoreError::Database(format!("{what}: {}", e.error())))?;
    file.sync_all().map_err(io(what))?;
    Ok(header)
}

/// Reads until `buffer` is full or the input ends: how many bytes it holds, and whether the
/// input ended.
fn fill(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<(usize, bool)> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => return Ok((filled, true)),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((filled, false))
}

/// The tables of the connection's schema, each after every table its foreign keys refer to
/// (and otherwise by name).
fn tables_in_load_order(client: &mut impl GenericClient) -> Result<Vec<String>, StoreError> {
    let names: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
             ORDER BY c.relname",
            &[],
        )
        .map_err(pg("listing the tables"))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let references: Vec<(String, String)> = client
        .query(
            "SELECT t.relname::text, r.relname::text FROM pg_catalog.pg_constraint k \
             JOIN pg_catalog.pg_class t ON t.oid = k.conrelid \
             JOIN pg_catalog.pg_class r ON r.oid = k.confrelid \
             WHERE k.contype = 'f' AND t.relnamespace = current_schema()::regnamespace",
            &[],
        )
        .map_err(pg("listing the foreign keys"))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut ordered: Vec<String> = Vec::with_capacity(names.len());
    let mut left = names;
    while !left.is_empty() {
        let ready = left.iter().position(|table| {
            references.iter().all(|(from, to)| {
                from != table || to == table || ordered.contains(to) || !left.contains(to)
            })
        });
        match ready {
            Some(index) => ordered.push(left.remove(index)),
            None => {
                return Err(StoreError::Database(format!(
                    "the foreign keys between {} form a cycle; no load order exists",
                    left.join(", ")
                )));
            }
        }
    }
    Ok(ordered)
}

/// The columns of `table` in the connection's schema, in their order.
fn columns_of(client: &mut impl GenericClient, table: &str) -> Result<Vec<String>, StoreError> {
    Ok(client
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 \
               AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' \
             ORDER BY a.attnum",
            &[&table],
        )
        .map_err(pg(&format!("listing the columns of {table}")))?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// A backup being read: what has been read so far is hashed.
struct Input<'p> {
    from: &'p Path,
    reader: BufReader<File>,
    hasher: Sha256,
}

impl Input<'_> {
    fn exact(&mut self, buffer: &mut [u8], what: &str) -> Result<(), StoreError> {
        self.reader
            .read_exact(buffer)
            .map_err(|e| damaged(self.from, format!("{what}: {e}")))?;
        self.hasher.update(&*buffer);
        Ok(())
    }

    fn header(&mut self) -> Result<Header, StoreError> {
        let mut magic = vec![0_u8; MAGIC.len()];
        self.exact(&mut magic, "its first line")?;
        if magic != MAGIC {
            return Err(damaged(
                self.from,
                "it does not begin with `gongxin-postgresql-backup`",
            ));
        }
        let mut line = Vec::new();
        (&mut self.reader)
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| damaged(self.from, format!("its header: {e}")))?;
        if line.last() != Some(&b'\n') {
            return Err(damaged(self.from, "its header does not end"));
        }
        self.hasher.update(&line);
        let header: Header = serde_json::from_slice(&line)
            .map_err(|e| damaged(self.from, format!("its header: {e}")))?;
        if header.format != FORMAT {
            return Err(damaged(
                self.from,
                format!(
                    "it is in format {}; this gongxin reads format {FORMAT}",
                    header.format
                ),
            ));
        }
        Ok(header)
    }

    /// Copies one table's frames into `out`.
    fn table(&mut self, table: &str, out: &mut impl Write) -> Result<(), StoreError> {
        let mut frame = vec![0_u8; FRAME];
        loop {
            let mut length = [0_u8; 4];
            self.exact(&mut length, &format!("table {table}"))?;
            let length = u32::from_le_bytes(length) as usize;
            if length == 0 {
                return Ok(());
            }
            if length > FRAME {
                return Err(damaged(
                    self.from,
                    format!("table {table}: a frame of {length} bytes"),
                ));
            }
            self.exact(&mut frame[..length], &format!("table {table}"))?;
            out.write_all(&frame[..length])
                .map_err(|e| damaged(self.from, format!("table {table} does not load: {e}")))?;
        }
    }

    /// Reads the digest at the end, which must be the hash of everything before it, and
    /// nothing after it.
    fn end(mut self) -> Result<(), StoreError> {
        let mut stored = [0_u8; 32];
        self.reader
            .read_exact(&mut stored)
            .map_err(|e| damaged(self.from, format!("its digest: {e}")))?;
        let computed = self.hasher.finalize();
        if computed.as_slice() != stored {
            return Err(damaged(self.from, "its SHA-256 does not match its content"));
        }
        let mut more = [0_u8; 1];
        match self.reader.read(&mut more) {
            Ok(0) => Ok(()),
            Ok(_) => Err(damaged(self.from, "bytes follow its digest")),
            Err(e) => Err(damaged(self.from, e)),
        }
    }
}

fn restore_here(from: &Path, target: &Target, replace: bool) -> Result<Snapshot, StoreError> {
    let file = File::open(from).map_err(io(format!("opening {}", from.display())))?;
    let bytes = file
        .metadata()
        .map_err(io(format!("reading {}", from.display())))?
        .len();
    let mut input = Input {
        from,
        reader: BufReader::with_capacity(FRAME, file),
        hasher: Sha256::new(),
    };
    let header = input.header()?;
    if header.schema_version > migrate::LATEST {
        return Err(StoreError::SchemaTooNew {
            found: header.schema_version,
            known: migrate::LATEST,
        });
    }
    if header.schema_version < migrate::LATEST {
        return Err(StoreError::Database(format!(
            "the backup {} is of schema version {}, this gongxin's is {}: restore it with the \
             gongxin that took it, which a newer one then upgrades",
            from.display(),
            header.schema_version,
            migrate::LATEST
        )));
    }
    let mut conn: Conn = target.connect()?;
    let mut tx = conn
        .client
        .transaction()
        .map_err(pg("starting the restore"))?;
    // One restore at a time, and no store migrating the schema meanwhile.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('gongxin-migrate:' || current_schema(), 0))",
        &[],
    )
    .map_err(pg("locking the schema for the restore"))?;
    let schema: String = column(
        &tx.query_one("SELECT current_schema()::text", &[])
            .map_err(pg("reading the schema"))?,
        0,
        "current_schema",
    )?;
    clear_schema(&mut tx, &schema, replace)?;
    migrate::create_tables(&mut tx, header.schema_version)?;
    check_and_empty_tables(&mut tx, &header, from)?;
    for table in &header.tables {
        load_table(&mut tx, &mut input, table)?;
    }
    input.end()?;
    continue_identities(&mut tx)?;

    let mut db = Db {
        client: &mut tx,
        statements: &mut conn.statements,
    };
    let head = read::chain_head(&mut db)?;
    let expected = (header.events, header.head.clone());
    if (
        crate::decode::unsigned(head.seq, "the chain head")?,
        head.hash.to_string(),
    ) != expected
    {
        return Err(StoreError::Corrupt(format!(
            "the backup {} does not verify: its chain_head row names event {} ({}), its header {} ({})",
            from.display(),
            head.seq,
            head.hash,
            header.events,
            header.head
        )));
    }
    match verify::verify_in(&mut db, &mut |_| {})? {
        Verification::Intact { events, head } if (events, head.clone()) == expected => {}
        fault => {
            return Err(StoreError::Corrupt(format!(
                "the backup {} does not verify: {fault:?}",
                from.display()
            )));
        }
    }
    tx.commit().map_err(pg("committing the restore"))?;
    Ok(Snapshot {
        path: from.to_owned(),
        bytes,
        events: header.events,
        head: header.head,
    })
}

/// Makes sure the schema is empty: refuses one that is not, or with `replace` moves
/// everything in it (tables with their indexes, sequences and triggers, views, functions)
/// into a new schema beside it.
fn clear_schema(tx: &mut Transaction<'_>, schema: &str, replace: bool) -> Result<(), StoreError> {
    let relations: Vec<(String, String)> = tx
        .query(
            "SELECT c.relname::text, c.relkind::text FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace \
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') \
               AND NOT c.relispartition \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                     AND d.deptype IN ('a', 'i')) \
             ORDER BY c.relname",
            &[],
        )
        .map_err(pg("listing what the schema holds"))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let functions: Vec<String> = tx
        .query(
            "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p \
             WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1",
            &[],
        )
        .map_err(pg("listing the schema's functions"))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if relations.is_empty() && functions.is_empty() {
        return Ok(());
    }
    if !replace {
        return Err(StoreError::Database(format!(
            "schema {schema} holds {} tables and other objects; restore into an empty schema, \
             or with replace to move what it holds aside",
            relations.len() + functions.len()
        )));
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let base: String = schema
        .chars()
        .take(63 - "_before_restore_".len() - stamp.len())
        .collect();
    let aside = format!("{base}_before_restore_{stamp}");
    let mut statements = vec![format!("CREATE SCHEMA {}", quoted(&aside))];
    for (name, kind) in &relations {
        let what = match kind.as_str() {
            "v" => "VIEW",
            "m" => "MATERIALIZED VIEW",
            "f" => "FOREIGN TABLE",
            "S" => "SEQUENCE",
            _ => "TABLE",
        };
        statements.push(format!(
            "ALTER {what} {} SET SCHEMA {}",
            quoted(name),
            quoted(&aside)
        ));
    }
    for function in &functions {
        statements.push(format!(
            "ALTER ROUTINE {function} SET SCHEMA {}",
            quoted(&aside)
        ));
    }
    for statement in &statements {
        tx.batch_execute(statement).map_err(pg(&format!(
            "moving the schema's content aside: {statement}"
        )))?;
    }
    Ok(())
}

/// The tables the backup holds must be those its schema version has, column for column;
/// then they are emptied of what the migrations put in them.
fn check_and_empty_tables(
    tx: &mut Transaction<'_>,
    header: &Header,
    from: &Path,
) -> Result<(), StoreError> {
    let mut created = tables_in_load_order(tx)?;
    created.sort();
    let mut held: Vec<&str> = header.tables.iter().map(|t| t.name.as_str()).collect();
    held.sort_unstable();
    if created != held {
        return Err(damaged(
            from,
            format!(
                "it holds the tables {held:?}, schema version {} has {created:?}",
                header.schema_version
            ),
        ));
    }
    for table in &header.tables {
        let mut columns = columns_of(tx, &table.name)?;
        let mut held = table.columns.clone();
        columns.sort();
        held.sort();
        if columns != held {
            return Err(damaged(
                from,
                format!(
                    "table {} has the columns {held:?}, schema version {} has {columns:?}",
                    table.name, header.schema_version
                ),
            ));
        }
    }
    // Rows the migrations seeded (the empty chain head, the positions) give way to the
    // backup's. New tables have no rows to refuse deleting.
    for table in header.tables.iter().rev() {
        tx.batch_execute(&format!("DELETE FROM {}", quoted(&table.name)))
            .map_err(pg(&format!("emptying {}", table.name)))?;
    }
    Ok(())
}

fn load_table(
    tx: &mut Transaction<'_>,
    input: &mut Input<'_>,
    table: &Table,
) -> Result<(), StoreError> {
    let mut writer = tx
        .copy_in(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            quoted(&table.name),
            column_list(table)
        ))
        .map_err(pg(&format!("loading table {}", table.name)))?;
    input.table(&table.name, &mut writer)?;
    let rows = writer.finish().map_err(|e| {
        damaged(
            input.from,
            format!(
                "table {} does not load: {}",
                table.name,
                super::describe(&e)
            ),
        )
    })?;
    if rows != table.rows {
        return Err(damaged(
            input.from,
            format!(
                "table {} loaded {rows} rows, its header says {}",
                table.name, table.rows
            ),
        ));
    }
    Ok(())
}

/// Moves every identity column's sequence past the numbers loaded, so that the next row
/// appended gets the next number.
fn continue_identities(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    let identities: Vec<(String, String)> = tx
        .query(
            "SELECT c.relname::text, a.attname::text FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
               AND a.attidentity <> '' AND NOT a.attisdropped",
            &[],
        )
        .map_err(pg("listing the identity columns"))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    for (table, column) in identities {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), \
                     (SELECT coalesce(max({}), 0) + 1 FROM {}), false)",
                quoted(&column),
                quoted(&table)
            ),
            &[&quoted(&table), &column],
        )
        .map_err(pg(&format!("continuing the numbers of {table}.{column}")))?;
    }
    Ok(())
}
