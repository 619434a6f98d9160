//! A real server for tests: generated data imported into a store of its own (SQLite in its
//! data directory, or PostgreSQL in a schema of its own), the search index built, keys for
//! every role, and the app listening on a free loopback port.
//!
//! The engine is chosen per test ([`Options::engine`]); [`on_both_engines!`] runs test bodies
//! on both. The store is opened through [`StoreLocation`], as `gongxin` opens it.

#![allow(dead_code)] // Each test file uses the part it needs.

pub mod browser;
pub mod hooks;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gongxin_codes::Whitelist;
use gongxin_core::access::Principal;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::Discipline;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::publication::PublicationRules;
use gongxin_core::repair::RepairRules;
use gongxin_ingest::generate::{GenerateOptions, generate};
use gongxin_ingest::import::{ImportOptions, Silent, import_files};
use gongxin_search::SearchIndex;
use gongxin_server::config::ServerConfig;
use gongxin_server::{AppState, BoxedStore, Clock, Platform, StoreFactory, create_key, indexer};
use gongxin_store::StoreLocation;
use gongxin_testing::TestSchema;
use tempfile::TempDir;

/// The store engine a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite in the server's data directory.
    Sqlite,
    /// PostgreSQL (`GONGXIN_TEST_DATABASE_URL`), in a schema of the server's own, dropped
    /// with it.
    Postgres,
}

impl Engine {
    /// Whether tests on this engine run here: SQLite always; PostgreSQL when a server
    /// answers — otherwise the test says `skipped: postgresql not reachable` and passes,
    /// unless `GONGXIN_REQUIRE_POSTGRES` is set, which makes it fail.
    pub fn available(self) -> bool {
        match self {
            Engine::Sqlite => true,
            Engine::Postgres => gongxin_testing::reachable(),
        }
    }
}

/// Runs each test body named (a `fn(Engine)`) on both engines, as the tests
/// `sqlite::NAME` and `postgres::NAME`.
#[allow(unused_macros)] // Each test file uses the part it needs.
macro_rules! on_both_engines {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::common::Engine::Sqlite);
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    if $crate::common::Engine::Postgres.available() {
                        super::$test($crate::common::Engine::Postgres);
                    }
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_engines;

pub const AT_US: i64 = 1_763_000_000_000_000;

/// The unit that submits the generated penalties' first rows, for department keys.
pub struct TestServer {
    pub base: String,
    pub address: SocketAddr,
    pub data_dir: PathBuf,
    pub incoming: PathBuf,
    pub admin: String,
    pub auditor: String,
    /// A department key for `department_unit`, allowed to submit penalties.
    pub department: String,
    pub department_unit: String,
    /// A subject key for `subject_code`.
    pub subject: String,
    pub subject_code: String,
    /// The platform's clock: fixed (and movable) when the options gave a day.
    pub clock: Clock,
    pub engine: Engine,
    /// Where the store is: what the server opens its connections with.
    pub location: StoreLocation,
    /// The settings a restart starts the server with again.
    relaunch: Relaunch,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: TempDir,
    /// The PostgreSQL schema, if any. Dropped last, after the server has stopped.
    schema: Option<TestSchema>,
}

pub struct Options {
    pub subjects: usize,
    pub records: usize,
    pub public_requests_per_minute: u32,
    /// A fixed day to count in, instead of the system date.
    pub today: Option<chrono::NaiveDate>,
    /// Adjusts the server's settings (e.g. push timings) before it starts.
    pub configure: fn(&mut ServerConfig),
    /// The store's engine. PostgreSQL needs a reachable server: run such tests through
    /// [`on_both_engines!`], or check [`Engine::available`] first.
    pub engine: Engine,
}

/// What [`TestServer::restart`] needs of the [`Options`].
#[derive(Clone)]
struct Relaunch {
    public_requests_per_minute: u32,
    configure: fn(&mut ServerConfig),
    open_store: StoreFactory,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            subjects: 60,
            records: 600,
            public_requests_per_minute: 0,
            today: None,
            configure: |_| {},
            engine: Engine::Sqlite,
        }
    }
}

pub fn personal_key() -> PersonalDataKey {
    PersonalDataKey::from_master(&[42; 32])
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// [`start`](Self::start) on `engine`.
    pub fn start_on(engine: Engine) -> Self {
        Self::start_with(Options {
            engine,
            ..Options::default()
        })
    }

    pub fn start_with(options: Options) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data_dir = dir.path().join("data");
        let incoming = dir.path().join("incoming");
        let catalog = Catalog::embedded().expect("the embedded catalog");
        let whitelist = Whitelist::new();
        let key = personal_key();
        let files = generate(
            &catalog,
            &GenerateOptions {
                subjects: options.subjects,
                records: options.records,
                seed: 7,
                items: Vec::new(),
                bad_per_mille: 10,
            },
            &incoming,
            &mut |_| {},
        )
        .expect("generated files");
        let (location, schema) = match options.engine {
            Engine::Sqlite => (
                StoreLocation::Sqlite {
                    data_dir: data_dir.clone(),
                },
                None,
            ),
            Engine::Postgres => {
                let schema = TestSchema::create("server")
                    .expect("PostgreSQL is reachable (check Engine::available first)");
                (StoreLocation::Postgres { url: schema.url() }, Some(schema))
            }
        };
        let mut store = location.open().expect("a store");
        for file in &files {
            let item = catalog
                .item(&file.item)
                .expect("generated items are in the catalog");
            let options = ImportOptions {
                item,
                catalog_version: &catalog.version,
                whitelist: &whitelist,
                personal_key: &key,
                submitting_unit: None,
                actor: "test",
                batch_rows: 10_000,
                max_problems: 1_000,
            };
            import_files(
                &mut *store,
                &[file.path.as_path()],
                &options,
                &|| AT_US,
                &mut Silent,
            )
            .expect("the generated files import");
        }
        let search = SearchIndex::open(indexer::index_dir(&data_dir)).expect("a search index");
        indexer::rebuild(&catalog, &*store, &search, &data_dir, &mut |_| {}).expect("indexed");
        drop(search);

        let first = store.events_after(0, 1).unwrap().remove(0);
        let subject_code = store.subject(&first.subject).unwrap().unwrap().code;
        let department_unit = store
            .records_of(&subject_code)
            .unwrap()
            .into_iter()
            .find(|r| r.record.key.item == "admin_penalty")
            .map(|r| r.record.key.source_unit)
            .unwrap_or_else(|| "11350100MB01917672".to_owned());
        let mut secret = |principal: Principal| {
            create_key(&mut *store, "test", principal, "test", AT_US)
                .expect("a key")
                .secret
        };
        let admin = secret(Principal::Admin);
        let auditor = secret(Principal::Auditor);
        let department = secret(Principal::Department {
            unit: department_unit.clone(),
            items: vec!["admin_penalty".to_owned()],
        });
        let subject = secret(Principal::Subject {
            code: subject_code.clone(),
        });
        drop(store);

        let clock = options.today.map_or(Clock::System, Clock::fixed);
        let relaunch = Relaunch {
            public_requests_per_minute: options.public_requests_per_minute,
            configure: options.configure,
            open_store: location.factory(),
        };
        let (address, shutdown, thread) = launch(&data_dir, clock.clone(), relaunch.clone());
        TestServer {
            base: format!("http://{address}"),
            address,
            data_dir,
            incoming,
            admin,
            auditor,
            department,
            department_unit,
            subject,
            subject_code,
            clock,
            engine: options.engine,
            location,
            relaunch,
            shutdown: Some(shutdown),
            thread: Some(thread),
            _dir: dir,
            schema,
        }
    }

    /// Stops the server and starts it again over the same data directory, on a new port:
    /// what it held in memory is gone, what it stored is not.
    pub fn restart(&mut self) {
        self.stop();
        let (address, shutdown, thread) =
            launch(&self.data_dir, self.clock.clone(), self.relaunch.clone());
        self.base = format!("http://{address}");
        self.address = address;
        self.shutdown = Some(shutdown);
        self.thread = Some(thread);
    }

    /// Stops the server and waits until it has.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new connection to the server's store, for checking what it wrote (or writing
    /// beside it, as another process would).
    pub fn store(&self) -> BoxedStore {
        self.location.open().expect("the store opens")
    }

    pub fn incoming_file(&self, item: &str) -> PathBuf {
        find_file(&self.incoming, item)
    }

    /// Asserts that the hash chain and every projection check out.
    pub fn assert_intact(&self) {
        let verification = self.store().verify(&mut |_| {}).expect("verification runs");
        assert!(
            matches!(verification, gongxin_store::Verification::Intact { .. }),
            "{verification:?}"
        );
    }

    /// Runs `sql` on the store behind the platform's back, as anyone with the SQLite file or
    /// the database's password could: for what `verify` must then find.
    pub fn tamper(&self, sql: &str) {
        match &self.schema {
            None => rusqlite::Connection::open(self.data_dir.join("gongxin.sqlite"))
                .and_then(|db| db.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Some(schema) => schema
                .client()
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// A new key for `principal`, stored while the server runs.
    pub fn key_for(&self, principal: Principal) -> String {
        create_key(&mut *self.store(), "test", principal, "test", AT_US)
            .expect("a key")
            .secret
    }

    /// `GET path` with an optional key: the status and the body as text.
    pub fn get_text(&self, path: &str, key: Option<&str>) -> (u16, String) {
        let mut request = agent().get(self.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request.call().expect("the server answers");
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().expect("a text body"),
        )
    }

    /// `GET path` with an optional key: the status and the JSON body.
    pub fn get_json(&self, path: &str, key: Option<&str>) -> (u16, serde_json::Value) {
        let (status, body) = self.get_text(path, key);
        (status, parse_json(path, &body))
    }

    /// `POST path` with a JSON body and an optional key: the status and the JSON body.
    pub fn post_json(
        &self,
        path: &str,
        key: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut request = agent().post(self.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        json_answer(path, request.send_json(body))
    }

    /// `POST path` with a raw body and an optional key: the status and the JSON body.
    pub fn post_bytes(
        &self,
        path: &str,
        key: Option<&str>,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        let mut request = agent().post(self.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        json_answer(path, request.send(bytes))
    }
}

/// Starts the app on a free loopback port over the store `options.open_store` opens, with the
/// search index in `data_dir` (both imported and indexed): its address, the sender that
/// stops it, and the thread it runs on.
fn launch(
    data_dir: &Path,
    clock: Clock,
    options: Relaunch,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let catalog = Catalog::embedded().expect("the embedded catalog");
    let search = SearchIndex::open(indexer::index_dir(data_dir)).expect("a search index");
    let open_store = options.open_store.clone();
    let discipline = Discipline::embedded(&catalog).expect("the embedded measures list");
    let repair = RepairRules::embedded(&catalog, &discipline).expect("the embedded repair rules");
    let profile_version =
        gongxin_server::profiles::profile_version(&catalog, PublicationRules::default_rules());
    let platform = Platform {
        data_dir: data_dir.to_owned(),
        discipline,
        repair,
        catalog,
        profile_version,
        rules: PublicationRules::default_rules().clone(),
        calendar: WorkCalendar::embedded(),
        whitelist: Whitelist::new(),
        personal_key: personal_key(),
        search,
        open_store,
        clock,
    };
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_requests_per_minute: options.public_requests_per_minute,
        public_burst: 5,
        index_interval_ms: 50,
        ..ServerConfig::default()
    };
    (options.configure)(&mut config);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
            ready_tx.send(listener.local_addr().unwrap()).unwrap();
            let state = AppState::new(platform, config).expect("the app state");
            gongxin_server::serve(listener, state, async {
                let _ = shutdown_rx.await;
            })
            .await
            .expect("the server runs");
        });
    });
    let address = ready_rx.recv().expect("the server listens");
    (address, shutdown, thread)
}

fn json_answer(
    path: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> (u16, serde_json::Value) {
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("a text body");
    (status, parse_json(path, &body))
}

fn parse_json(path: &str, body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The status and documented error code of an answer.
pub fn error_of((status, answer): (u16, serde_json::Value)) -> (u16, String) {
    let code = answer["error"]["code"].as_str().unwrap_or_default();
    (status, code.to_owned())
}

fn find_file(dir: &Path, item: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_stem().is_some_and(|s| s == item) && p.extension().is_some_and(|e| e != "json")
        })
        .unwrap_or_else(|| panic!("no generated file for {item}"))
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking HTTP agent that returns 4xx/5xx responses instead of errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Percent-encodes a query value (Chinese text included).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn date(iso: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("an ISO date")
}

/// A valid USCC for enterprise `n` of Xiamen, apart from the generated ones.
pub fn company_code(n: u32) -> String {
    let body = format!("MA{n:06}");
    let org = format!(
        "{body}{}",
        gongxin_codes::org_code_check_char(&body).expect("eight symbols")
    );
    let first17 = format!("91350200{org}");
    format!(
        "{first17}{}",
        gongxin_codes::uscc_check_char(&first17).expect("USCC symbols")
    )
}

/// A valid USCC for government unit `n` of Xiamen.
pub fn unit_code(n: u32) -> String {
    let body = format!("{n:08}");
    let org = format!(
        "{body}{}",
        gongxin_codes::org_code_check_char(&body).expect("eight digits")
    );
    let first17 = format!("11350200{org}");
    format!(
        "{first17}{}",
        gongxin_codes::uscc_check_char(&first17).expect("USCC symbols")
    )
}
