//! The server engine: a PostgreSQL database, through the synchronous `postgres` client.
//!
//! Layout as for SQLite: [`migrate`] owns the schema versions, [`apply`] the write path and
//! the chain head, [`read`] the queries and row decoding, [`verify`] the re-check of the chain
//! and the projections, the others one part of the trait each.
//!
//! Many processes and connections write at once. Every transaction that appends to the log
//! first locks the one row of `chain_head` (`SELECT … FOR UPDATE`), appends after the head it
//! found, moves the row to its last event and commits, which releases the lock to the next
//! writer: appends are serial, in commit order, and the chain cannot fork. A case step reads
//! its case under the same lock, so a stale `expected_head` is always seen as a conflict.

mod access;
mod apply;
mod attachments;
mod backup;
mod cases;
mod mail;
mod migrate;
mod profiles;
mod push;
mod read;
mod verify;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use gongxin_core::event::{Event, Hash};
use gongxin_core::record::{Change, PreparedRecord, RecordId};
use postgres::types::ToSql;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls, Row, Statement, Transaction};

use crate::{
    Actor, ApiKey, ArrivalCount, Attachment, AttachmentReference, Attempt, AuditEntry, AuditQuery,
    CaseKind, CaseStep, CheckEntry, CheckTally, Contact, Counts, Delivery, DeliveryQuery,
    DispatchPosition, Feedback, Mail, MailQuery, MeasureTally, NewAttachment, NewDelivery, NewMail,
    Party, RecordRange, Store, StoreError, StoredCase, StoredRecord, Subject, Subscription,
    TypicalCase, Verification,
};

/// A [`Store`] in a PostgreSQL database (one schema of it).
///
/// One connection, serving one thread at a time (`Send`, not `Sync`), like a `SqliteStore`:
/// the server opens one per pooled reader and one writer. Any number of processes may open
/// the same database; writers queue on the chain head.
///
/// Its calls block, like SQLite's: make them where blocking is allowed (not on a thread that
/// drives async tasks; the server makes them in `spawn_blocking`). Opening and dropping a
/// store are safe anywhere.
pub struct PostgresStore {
    /// `None` only while it is being dropped, or after connecting again failed.
    conn: RefCell<Option<Conn>>,
    target: Target,
    /// The last event this store committed, to notice a log that was cut or rewritten behind
    /// its back (see [`apply::lock_head`]).
    head: ChainHead,
    /// What this store learned about the subjects as its last commit left them (valid while
    /// the chain head is `head`: see [`apply::KnownSubjects`]).
    known: apply::KnownSubjects,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// The position and hash of the last event: what the next event links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChainHead {
    seq: i64,
    hash: Hash,
}

impl ChainHead {
    const EMPTY: ChainHead = ChainHead {
        seq: 0,
        hash: Hash::GENESIS,
    };
}

/// The connection and the statements prepared on it, each prepared once: a statement sent
/// as text would be parsed and planned at every call, and costs a round trip more.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    /// Statements outside a transaction: each its own snapshot.
    fn db(&mut self) -> Db<'_, Client> {
        Db {
            client: &mut self.client,
            statements: &mut self.statements,
        }
    }

    /// Runs `f` in a read-write transaction and commits it; an error rolls it back.
    fn write<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Db<'_, Transaction<'_>>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tx = self.client.transaction().map_err(pg(what))?;
        let value = f(&mut Db {
            client: &mut tx,
            statements: &mut self.statements,
        })?;
        tx.commit().map_err(pg(what))?;
        Ok(value)
    }

    /// Runs `f` in a read-only transaction on one snapshot: reads of several statements that
    /// must agree with each other.
    fn read<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Db<'_, Transaction<'_>>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg(what))?;
        let value = f(&mut Db {
            client: &mut tx,
            statements: &mut self.statements,
        })?;
        tx.commit().map_err(pg(what))?;
        Ok(value)
    }
}

/// A client (the connection, or a transaction on it) with the connection's statement cache.
struct Db<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<C: GenericClient> Db<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Every row `sql` returns; `what` names the read in errors.
    fn query(&mut self, sql: &str, params: Params<'_>, what: &str) -> Result<Vec<Row>, StoreError> {
        self.try_query(sql, params).map_err(pg(what))
    }

    fn try_query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    /// The one row `sql` returns, if any (more than one is an error).
    fn query_opt(
        &mut self,
        sql: &str,
        params: Params<'_>,
        what: &str,
    ) -> Result<Option<Row>, StoreError> {
        self.statement(sql)
            .and_then(|statement| self.client.query_opt(&statement, params))
            .map_err(pg(what))
    }

    /// The one row `sql` returns.
    fn query_one(&mut self, sql: &str, params: Params<'_>, what: &str) -> Result<Row, StoreError> {
        self.statement(sql)
            .and_then(|statement| self.client.query_one(&statement, params))
            .map_err(pg(what))
    }

    /// Runs `sql` and returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: Params<'_>, what: &str) -> Result<u64, StoreError> {
        self.try_execute(sql, params).map_err(pg(what))
    }

    /// [`execute`](Self::execute) leaving the engine error to the caller, which may make a
    /// conflict of it.
    fn try_execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }
}

/// What an engine error says: the server's message (with its detail) rather than the
/// client's summary ("db error").
fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return db.to_string();
    }
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// Wraps an engine error with what the store was doing.
fn pg(context: &str) -> impl FnOnce(postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Database(format!("{context}: {}", describe(&e)))
}

/// A constraint the statement broke (SQLSTATE class 23): a conflict the caller can act on,
/// not an engine failure.
fn is_constraint(error: &postgres::Error) -> bool {
    error
        .code()
        .is_some_and(|code| code.code().starts_with("23"))
}

/// Column `index` as `T`; a value of another type, or a NULL where none may be, is
/// corruption. `what` names the value in an error.
fn column<'r, T: postgres::types::FromSql<'r>>(
    row: &'r Row,
    index: usize,
    what: impl Display,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|e| crate::decode::corrupt(format!("{what}: {}", describe(&e))))
}

/// How long opening a connection may take before the store gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl PostgresStore {
    /// The schema version this build creates and understands.
    pub const SCHEMA_VERSION: u32 = migrate::LATEST;

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`,
    /// with libpq's parameters, e.g. `?options=-c%20search_path%3Dgongxin` for a schema of its
    /// own) and brings its schema up to date. The tables live in the first schema of the
    /// connection's search path (normally `public`).
    ///
    /// # Errors
    /// [`StoreError::SchemaTooNew`] when a newer gongxin wrote the schema, otherwise
    /// [`StoreError::Database`] when the database cannot be reached or migrated.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::connect(url, None)
    }

    /// [`open`](Self::open), with the tables in `schema` (created if missing): several
    /// platforms, or tests, in one database. `schema` is a lower-case SQL identifier.
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`StoreError::Database`] for a schema name that is not a
    /// plain identifier.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        plain_schema(schema)?;
        Self::connect(url, Some(schema))
    }

    fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        // The client blocks on a runtime of its own while it connects, which is not allowed
        // on a thread that drives async tasks (a server opening its writer connection). A
        // thread of its own may, whoever calls.
        std::thread::scope(|scope| {
            scope
                .spawn(|| Self::connect_here(url, schema))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    fn connect_here(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let target = Target::new(url, schema)?;
        let mut conn = target.connect()?;
        migrate::migrate(&mut conn.client)?;
        let head = read::chain_head(&mut conn.db())?;
        Ok(PostgresStore {
            conn: RefCell::new(Some(conn)),
            target,
            head,
            known: apply::KnownSubjects::default(),
        })
    }

    /// The connection, opened again if the server closed it (a restart, a failover, an
    /// administrator ending it): the call that met the closed connection failed, the next
    /// one goes through.
    fn conn(&self) -> Result<std::cell::RefMut<'_, Conn>, StoreError> {
        let mut conn = self.conn.borrow_mut();
        if conn.as_mut().is_none_or(|c| c.client.is_closed()) {
            *conn = Some(self.target.connect()?);
        }
        Ok(std::cell::RefMut::map(conn, |conn| {
            conn.as_mut().expect("connected just now")
        }))
    }

    fn conn_mut(&mut self) -> Result<&mut Conn, StoreError> {
        live(&mut self.conn, &self.target)
    }
}

/// A schema name that needs no quoting: lower-case letters, digits and `_`.
fn plain_schema(schema: &str) -> Result<(), StoreError> {
    let plain = schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        Ok(())
    } else {
        Err(StoreError::Database(format!(
            "`{schema}` is not a schema name (lower-case letters, digits and _)"
        )))
    }
}

/// [`PostgresStore::conn`] for a store borrowed mutably.
fn live<'c>(
    conn: &'c mut RefCell<Option<Conn>>,
    target: &Target,
) -> Result<&'c mut Conn, StoreError> {
    let conn = conn.get_mut();
    if conn.as_mut().is_none_or(|c| c.client.is_closed()) {
        *conn = Some(target.connect()?);
    }
    Ok(conn.as_mut().expect("connected just now"))
}

/// Where a store connects: enough to connect again.
struct Target {
    config: Config,
    schema: Option<String>,
    /// The hosts and database, for messages (never the URL, which may hold a password).
    name: String,
}

impl Target {
    /// Where `url` points, in `schema` if given (else the first schema of the URL's search
    /// path).
    fn new(url: &str, schema: Option<&str>) -> Result<Target, StoreError> {
        // The URL may hold a password: errors name the host and database, never the URL.
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            StoreError::Database(format!("the database URL is not valid: {}", describe(&e)))
        })?;
        if config.get_application_name().is_none() {
            config.application_name("gongxin");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        Ok(Target {
            name: format!(
                "{} database `{}`",
                hosts(&config),
                config.get_dbname().unwrap_or("(default)")
            ),
            config,
            schema: schema.map(str::to_owned),
        })
    }

    /// A new connection, in the store's schema, checked.
    fn connect(&self) -> Result<Conn, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(|e| {
            StoreError::Database(format!(
                "connecting to PostgreSQL at {}: {}",
                self.name,
                describe(&e)
            ))
        })?;
        if let Some(schema) = &self.schema {
            let context = format!("selecting schema {schema}");
            // Created only when missing: creating needs a right on the database that a role
            // working in a schema made for it need not have.
            let exists: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)",
                    &[schema],
                )
                .map_err(pg(&context))?
                .get(0);
            if !exists {
                client
                    .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                    .map_err(pg(&context))?;
            }
            client
                .batch_execute(&format!("SET search_path TO \"{schema}\""))
                .map_err(pg(&context))?;
        }
        // The store's reads are short index look-ups: compiling one (as PostgreSQL does for a
        // plan whose estimated cost is high, e.g. a generic plan) costs more than running it.
        client
            .batch_execute("SET jit = off")
            .map_err(pg("configuring the session"))?;
        check_database(&mut client, &self.name)?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing blocks too (the client says goodbye and stops its runtime): on a thread of
        // its own, so that a server may drop its connections from async code.
        if let Some(conn) = self.conn.get_mut().take() {
            std::thread::scope(|scope| {
                scope.spawn(move || drop(conn));
            });
        }
    }
}

/// The hosts of a configuration, for messages.
fn hosts(config: &Config) -> String {
    let ports = config.get_ports();
    let names: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(path) => path.display().to_string(),
            };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    if names.is_empty() {
        "the default host".to_owned()
    } else {
        names.join(",")
    }
}

/// The database must store text as UTF-8, and the connection must have a schema to create
/// its tables in.
fn check_database(client: &mut Client, target: &str) -> Result<(), StoreError> {
    let row = client
        .query_one(
            "SELECT current_setting('server_encoding'), current_schema(), \
             current_setting('search_path')",
            &[],
        )
        .map_err(pg("reading the database settings"))?;
    let encoding: String = column(&row, 0, "server_encoding")?;
    if encoding != "UTF8" {
        return Err(StoreError::Database(format!(
            "the {target} stores text as {encoding}; gongxin needs a UTF8 database \
             (CREATE DATABASE … ENCODING 'UTF8')"
        )));
    }
    let schema: Option<String> = column(&row, 1, "current_schema")?;
    if schema.is_none() {
        let path: String = column(&row, 2, "search_path")?;
        return Err(StoreError::Database(format!(
            "the {target} has no schema to create the tables in: none of the search path \
             `{path}` exists (create the schema, or name another)"
        )));
    }
    Ok(())
}

impl Store for PostgresStore {
    fn reads_in_process(&self) -> bool {
        false
    }

    fn apply(
        &mut self,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<Vec<Change>, StoreError> {
        let PostgresStore {
            conn,
            target,
            head,
            known,
        } = self;
        apply::apply(live(conn, target)?, head, known, records, actor)
    }

    fn refresh_statistics(&mut self) -> Result<(), StoreError> {
        // The tables an import writes; the schema's others change a row at a time, which
        // autovacuum keeps up with.
        self.conn_mut()?
            .client
            .batch_execute("ANALYZE events, records, subjects, subject_names, subject_codes")
            .map_err(pg("refreshing statistics"))
    }

    fn subject(&self, code: &str) -> Result<Option<Subject>, StoreError> {
        read::subject(&mut self.conn()?.db(), code)
    }

    fn subject_code(&self, code: &str) -> Result<String, StoreError> {
        read::subject_code(&mut self.conn()?.db(), code)
    }

    fn records_of(&self, subject_code: &str) -> Result<Vec<StoredRecord>, StoreError> {
        read::records_of(&mut self.conn()?.db(), subject_code)
    }

    fn records_page(
        &self,
        subject_code: &str,
        range: &RecordRange<'_>,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        read::records_page(&mut self.conn()?.db(), subject_code, range)
    }

    fn subjects_after(&self, after: &str, limit: usize) -> Result<Vec<Subject>, StoreError> {
        read::subjects_after(&mut self.conn()?.db(), after, limit)
    }

    fn record(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
        read::record(&mut self.conn()?.db(), id)
    }

    fn records_by_id(
        &self,
        ids: &[RecordId],
    ) -> Result<HashMap<RecordId, StoredRecord>, StoreError> {
        read::records_by_id(&mut self.conn()?.db(), ids)
    }

    fn subject_codes(&self, codes: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        read::subject_codes(&mut self.conn()?.db(), codes)
    }

    fn history(&self, id: &RecordId) -> Result<Vec<Event>, StoreError> {
        read::history(&mut self.conn()?.db(), id)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        read::events_after(&mut self.conn()?.db(), after, limit)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        read::counts(&mut self.conn()?.db())
    }

    fn subjects_holding(&self, items: &[&str]) -> Result<Vec<String>, StoreError> {
        read::subjects_holding(&mut self.conn()?.db(), items)
    }

    fn records_of_many(
        &self,
        codes: &[&str],
    ) -> Result<HashMap<String, Vec<StoredRecord>>, StoreError> {
        read::records_of_many(&mut self.conn()?.db(), codes)
    }

    fn open_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
        cases::open_cases(&mut self.conn()?.db(), kind)
    }

    fn all_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
        cases::all_cases(&mut self.conn()?.db(), kind)
    }

    fn log_head(&self) -> Result<u64, StoreError> {
        let head = read::chain_head(&mut self.conn()?.db())?;
        crate::decode::unsigned(head.seq, "the chain head")
    }

    fn cached_profile(
        &self,
        code: &str,
        version: &str,
        today: chrono::NaiveDate,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        profiles::cached_profile(&mut self.conn()?.db(), code, version, today)
    }

    fn keep_profiles(
        &mut self,
        head: u64,
        kept: &[crate::CachedProfile],
    ) -> Result<bool, StoreError> {
        profiles::keep_profiles(self.conn_mut()?, head, kept)
    }

    fn subjects_without_profile(
        &self,
        after: &str,
        version: &str,
        today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        profiles::subjects_without_profile(&mut self.conn()?.db(), after, version, today, limit)
    }

    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<Verification, StoreError> {
        verify::verify(&mut *self.conn()?, progress)
    }

    fn backup_to(&self, out: &std::path::Path) -> Result<crate::Snapshot, StoreError> {
        PostgresStore::backup_to(self, out)
    }

    fn add_key(&mut self, key: &ApiKey, secret_sha256: &[u8; 32]) -> Result<(), StoreError> {
        access::add_key(&mut self.conn_mut()?.db(), key, secret_sha256)
    }

    fn key_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        access::key_by_secret(&mut self.conn()?.db(), secret_sha256)
    }

    fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        access::keys(&mut self.conn()?.db())
    }

    fn revoke_key(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        access::revoke_key(&mut self.conn_mut()?.db(), id, at_us)
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<u64, StoreError> {
        access::append_audit(self.conn_mut()?, entry)
    }

    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        access::audit(&mut self.conn()?.db(), query)
    }

    fn arrivals(&self) -> Result<Vec<ArrivalCount>, StoreError> {
        access::arrivals(&mut self.conn()?.db())
    }

    fn append_case(
        &mut self,
        step: &CaseStep<'_>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<(u64, Vec<Change>), StoreError> {
        let PostgresStore {
            conn,
            target,
            head,
            known,
        } = self;
        cases::append_case(live(conn, target)?, head, known, step, records, actor)
    }

    fn case(&self, id: &str) -> Result<Option<StoredCase>, StoreError> {
        cases::case(&mut self.conn()?.db(), id)
    }

    fn cases_of(
        &self,
        subject: &str,
        kind: Option<CaseKind>,
    ) -> Result<Vec<StoredCase>, StoreError> {
        cases::cases_of(&mut self.conn()?.db(), subject, kind)
    }

    fn cases_of_record(&self, record: &RecordId) -> Result<Vec<StoredCase>, StoreError> {
        cases::cases_of_record(&mut self.conn()?.db(), record)
    }

    fn case_history(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        cases::case_history(&mut self.conn()?.db(), id)
    }

    fn append_check(&mut self, entry: &CheckEntry) -> Result<(), StoreError> {
        cases::append_check(&mut self.conn_mut()?.db(), entry)
    }

    fn check_entry(&self, receipt: &str) -> Result<Option<CheckEntry>, StoreError> {
        cases::check_entry(&mut self.conn()?.db(), receipt)
    }

    fn checks_of(&self, subject: &str, limit: usize) -> Result<Vec<CheckEntry>, StoreError> {
        cases::checks_of(&mut self.conn()?.db(), subject, limit)
    }

    fn add_subscription(
        &mut self,
        subscription: &Subscription,
        secret: &str,
    ) -> Result<(), StoreError> {
        push::add_subscription(&mut self.conn_mut()?.db(), subscription, secret)
    }

    fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        push::subscriptions(&mut self.conn()?.db())
    }

    fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        push::subscription(&mut self.conn()?.db(), id)
    }

    fn subscription_secret(&self, id: &str) -> Result<Option<String>, StoreError> {
        push::subscription_secret(&mut self.conn()?.db(), id)
    }

    fn revoke_subscription(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        push::revoke_subscription(&mut self.conn_mut()?.db(), id, at_us)
    }

    fn dispatch_position(&self) -> Result<DispatchPosition, StoreError> {
        push::dispatch_position(&mut self.conn()?.db())
    }

    fn enqueue_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        position: &DispatchPosition,
    ) -> Result<u64, StoreError> {
        push::enqueue_deliveries(self.conn_mut()?, deliveries, position)
    }

    fn due_deliveries(
        &self,
        now_us: i64,
        per_subscription: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        push::due_deliveries(&mut self.conn()?.db(), now_us, per_subscription)
    }

    fn settle_delivery(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError> {
        push::settle_delivery(&mut self.conn_mut()?.db(), id, attempt)
    }

    fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        push::deliveries(&mut self.conn()?.db(), query)
    }

    fn requeue_deliveries(
        &mut self,
        subscription: &str,
        from_seq: Option<u64>,
        at_us: i64,
    ) -> Result<u64, StoreError> {
        push::requeue_deliveries(&mut self.conn_mut()?.db(), subscription, from_seq, at_us)
    }

    fn append_feedback(&mut self, feedback: &Feedback) -> Result<u64, StoreError> {
        push::append_feedback(self.conn_mut()?, feedback)
    }

    fn feedback_of(&self, receipt: &str) -> Result<Vec<Feedback>, StoreError> {
        push::feedback_of(&mut self.conn()?.db(), receipt)
    }

    fn check_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<CheckTally>, StoreError> {
        push::check_tallies(&mut self.conn()?.db(), from_us, to_us)
    }

    fn measure_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<MeasureTally>, StoreError> {
        push::measure_tallies(&mut self.conn()?.db(), from_us, to_us)
    }

    fn add_typical_case(&mut self, case: &TypicalCase) -> Result<(), StoreError> {
        push::add_typical_case(&mut self.conn_mut()?.db(), case)
    }

    fn typical_cases(&self, published_only: bool) -> Result<Vec<TypicalCase>, StoreError> {
        push::typical_cases(&mut self.conn()?.db(), published_only)
    }

    fn publish_typical_case(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        push::publish_typical_case(&mut self.conn_mut()?.db(), id, at_us)
    }

    fn add_attachment(&mut self, new: &NewAttachment<'_>) -> Result<Attachment, StoreError> {
        attachments::add_attachment(&mut self.conn_mut()?.db(), new)
    }

    fn attachment(&self, id: &str) -> Result<Option<Attachment>, StoreError> {
        attachments::attachment(&mut self.conn()?.db(), id)
    }

    fn attachment_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        attachments::attachment_content(&mut self.conn()?.db(), id)
    }

    fn reference_attachments(
        &mut self,
        case: &str,
        subject: &str,
        ids: &[String],
        at_us: i64,
    ) -> Result<(), StoreError> {
        attachments::reference_attachments(self.conn_mut()?, case, subject, ids, at_us)
    }

    fn attachment_references(&self, id: &str) -> Result<Vec<AttachmentReference>, StoreError> {
        attachments::attachment_references(&mut self.conn()?.db(), id)
    }

    fn set_contact(&mut self, contact: &Contact) -> Result<(), StoreError> {
        mail::set_contact(&mut self.conn_mut()?.db(), contact)
    }

    fn remove_contact(&mut self, party: &Party) -> Result<bool, StoreError> {
        mail::remove_contact(&mut self.conn_mut()?.db(), party)
    }

    fn contact(&self, party: &Party) -> Result<Option<Contact>, StoreError> {
        mail::contact(&mut self.conn()?.db(), party)
    }

    fn mail_position(&self) -> Result<Option<u64>, StoreError> {
        mail::mail_position(&mut self.conn()?.db())
    }

    fn enqueue_mails(&mut self, mails: &[NewMail], position: u64) -> Result<u64, StoreError> {
        mail::enqueue_mails(self.conn_mut()?, mails, position)
    }

    fn settle_mail(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError> {
        mail::settle_mail(&mut self.conn_mut()?.db(), id, attempt)
    }

    fn mails(&self, query: &MailQuery) -> Result<Vec<Mail>, StoreError> {
        mail::mails(&mut self.conn()?.db(), query)
    }
}
