//! What every request handler shares: the rules, the store connections, the search index.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use gongxin_codes::Whitelist;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::Discipline;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::publication::PublicationRules;
use gongxin_core::repair::RepairRules;
use gongxin_search::SearchIndex;
use gongxin_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::limit::RateLimiter;
use crate::metrics::Metrics;
use crate::profiles::PendingProfiles;

/// A store connection that can move between threads, and how the server opens them (one per
/// pooled reader and one writer): [`gongxin_store::StoreLocation::factory`] makes one.
pub use gongxin_store::{BoxedStore, StoreFactory};

/// The platform's rules and data, as the server was started with them.
pub struct Platform {
    /// The data directory: the store, the search index, spooled uploads.
    pub data_dir: std::path::PathBuf,
    pub catalog: Catalog,
    /// List types, scenarios and measures of joint reward and discipline.
    pub discipline: Discipline,
    /// What can be repaired and what an application must carry.
    pub repair: RepairRules,
    pub rules: PublicationRules,
    /// The version of the public profiles built under this catalog and these rules
    /// ([`crate::profiles::profile_version`]).
    pub profile_version: String,
    pub calendar: &'static WorkCalendar,
    pub whitelist: Whitelist,
    pub personal_key: PersonalDataKey,
    pub search: SearchIndex,
    pub open_store: StoreFactory,
    pub clock: Clock,
}

/// The day the platform counts in: windows, deadlines and terms are days in China Standard
/// Time. Normally the system clock; a fixed day for rehearsals and tests (`today` setting).
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Fixed(Arc<Mutex<NaiveDate>>),
}

impl Clock {
    pub fn fixed(day: NaiveDate) -> Clock {
        Clock::Fixed(Arc::new(Mutex::new(day)))
    }

    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive(),
            Clock::Fixed(day) => *day.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Moves a fixed clock to `day`; the system clock cannot be moved.
    pub fn set(&self, day: NaiveDate) {
        if let Clock::Fixed(fixed) = self {
            *fixed.lock().unwrap_or_else(|p| p.into_inner()) = day;
        }
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("catalog", &self.catalog.version)
            .finish_non_exhaustive()
    }
}

/// Shared by all handlers; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub platform: Platform,
    pub config: ServerConfig,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
    /// Public profiles requests built, for [`crate::profiles::follow`] to keep.
    pub pending_profiles: PendingProfiles,
    readers: Pool,
    /// The store's reads never wait on a server ([`Store::reads_in_process`]): point reads
    /// may run on the request's own thread ([`AppState::read_now`]).
    point_reads_inline: bool,
    /// SQLite has one writer at a time anyway; holding one connection for it keeps writes in
    /// order and leaves the readers free.
    writer: Arc<Mutex<BoxedStore>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("platform", &self.platform)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(platform: Platform, config: ServerConfig) -> Result<Self, StoreError> {
        let writer = (platform.open_store)()?;
        let point_reads_inline = writer.reads_in_process();
        let limiter = RateLimiter::new(config.public_requests_per_minute, config.public_burst);
        Ok(Self(Arc::new(Inner {
            readers: Pool::new(config.read_connections),
            point_reads_inline,
            writer: Arc::new(Mutex::new(writer)),
            metrics: Metrics::default(),
            limiter,
            pending_profiles: PendingProfiles::default(),
            platform,
            config,
        })))
    }

    /// Runs `work` with a read connection, on a blocking thread.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let _permit = self
            .readers
            .permits
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let state = self.clone();
        run_blocking(move || {
            let store = match state.readers.idle.lock().expect("pool lock").pop() {
                Some(store) => store,
                None => (state.platform.open_store)()?,
            };
            let result = work(&state, store.as_ref());
            state.readers.idle.lock().expect("pool lock").push(store);
            result
        })
        .await
    }

    /// Runs `work`, a point read, with an idle read connection on this thread, when the store
    /// reads in process: a read of a few microseconds costs less than the hand-off to a
    /// blocking thread and back, which under load was a third of a cached profile's time.
    /// `None`, with nothing run, when the store reads over a network or no connection is
    /// idle; the caller then uses [`read`](Self::read).
    pub fn read_now<T>(
        &self,
        work: impl FnOnce(&AppState, &dyn Store) -> Result<T, ApiError>,
    ) -> Option<Result<T, ApiError>> {
        if !self.point_reads_inline {
            return None;
        }
        let _permit = self.readers.permits.try_acquire().ok()?;
        let store = self.readers.idle.lock().expect("pool lock").pop()?;
        let result = work(self, store.as_ref());
        self.readers.idle.lock().expect("pool lock").push(store);
        Some(result)
    }

    /// Runs `work` with the writer connection, on a blocking thread.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        run_blocking(move || {
            let writer = Arc::clone(&state.writer);
            let mut store = writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&state, store.as_mut())
        })
        .await
    }
}

async fn run_blocking<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}

/// Idle read connections, opened on demand up to the permit count.
struct Pool {
    permits: Semaphore,
    idle: Mutex<Vec<BoxedStore>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl Pool {
    fn new(size: usize) -> Self {
        Self {
            permits: Semaphore::new(size),
            idle: Mutex::new(Vec::with_capacity(size)),
        }
    }
}
