//! Where the platform's data and configuration come from: the data directory, the catalog
//! (embedded, or a deployment's directory) and the code whitelist.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use gongxin_codes::Whitelist;

use gongxin_core::calendar::WorkCalendar;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::Discipline;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::publication::PublicationRules;
use gongxin_core::repair::RepairRules;
use gongxin_search::SearchIndex;
use gongxin_server::{BoxedStore, Clock, Platform, StoreFactory};
use gongxin_store::StoreLocation;

/// Options every command that reads or writes the platform's data takes.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory of the platform's data: the SQLite database (unless --database-url names
    /// another), the search index and the personal-data key.
    #[arg(long, value_name = "DIR", env = "GONGXIN_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Keep the store in this PostgreSQL database instead of SQLite in the data directory:
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (docs/postgresql.md). The data
    /// directory still holds the search index and the personal-data key.
    #[arg(
        long,
        value_name = "URL",
        env = "GONGXIN_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<DatabaseUrl>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Count days as if today were DATE (YYYY-MM-DD) instead of the system date: for drills
    /// and rehearsals of deadlines. Leave unset in production.
    #[arg(long, value_name = "DATE", env = "GONGXIN_TODAY")]
    pub today: Option<chrono::NaiveDate>,
}

/// Where the key that seals personal identity numbers comes from. It never goes into the
/// database: whoever copies the database without it reads no identity number.
#[derive(Debug, Clone, Default, Args)]
pub struct KeyArgs {
    /// File holding the personal-data key (64 hex digits) [default: <data-dir>/personal-data.key,
    /// created on first use; keep it, and back it up, apart from the data in production].
    #[arg(long, value_name = "FILE", env = "GONGXIN_PERSONAL_DATA_KEY_FILE")]
    pub personal_data_key_file: Option<PathBuf>,
}

/// The key itself, for deployments that pass secrets in the environment.
const KEY_VARIABLE: &str = "GONGXIN_PERSONAL_DATA_KEY";
const DEFAULT_KEY_FILE: &str = "personal-data.key";

impl KeyArgs {
    /// The key from the variable, the file given, or the data directory's default file
    /// (created with fresh random bytes when missing).
    pub fn personal_key(&self, data_dir: &Path) -> Result<PersonalDataKey> {
        if let Ok(text) = std::env::var(KEY_VARIABLE) {
            return PersonalDataKey::from_hex(&text).with_context(|| format!("in {KEY_VARIABLE}"));
        }
        let path = match &self.personal_data_key_file {
            Some(path) => path.clone(),
            None => {
                let path = data_dir.join(DEFAULT_KEY_FILE);
                if !path.exists() {
                    create_key_file(&path)?;
                }
                path
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the personal-data key {}", path.display()))?;
        PersonalDataKey::from_hex(&text).with_context(|| format!("in {}", path.display()))
    }
}

fn create_key_file(path: &Path) -> Result<()> {
    let mut master = [0u8; 32];
    getrandom::fill(&mut master).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the personal-data key {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", hex::encode(master)).as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the personal-data key {}", path.display()))?;
    eprintln!(
        "已生成个人信息密钥 / created the personal-data key: {} (keep it apart from the data in production)",
        path.display()
    );
    Ok(())
}

/// The deployment's rules: catalog and whitelist.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleArgs {
    /// A catalog directory (catalog.toml and items/*.toml) instead of the embedded default.
    #[arg(long, value_name = "DIR", env = "GONGXIN_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// A file of real USCCs that fail their check character, one per line (`#` comments).
    #[arg(long, value_name = "FILE", env = "GONGXIN_WHITELIST")]
    pub whitelist: Option<PathBuf>,
}

impl DataArgs {
    /// Everything the server needs from this data directory: rules, key, search index and a
    /// way to open store connections.
    pub fn platform(&self) -> Result<Platform> {
        let catalog = self.rules.catalog()?;
        let discipline = self.rules.discipline(&catalog)?;
        let repair = self.rules.repair(&catalog, &discipline)?;
        let whitelist = self.rules.whitelist()?;
        let personal_key = self.personal_key()?;
        // Creates the schema before any reader connects.
        drop(self.open_store()?);
        let index_dir = gongxin_server::indexer::index_dir(&self.data_dir);
        let search = SearchIndex::open(&index_dir)
            .with_context(|| format!("opening the search index in {}", index_dir.display()))?;
        let open_store = self.store_factory();
        let profile_version =
            gongxin_server::profiles::profile_version(&catalog, PublicationRules::default_rules());
        Ok(Platform {
            data_dir: self.data_dir.clone(),
            catalog,
            discipline,
            repair,
            profile_version,
            rules: PublicationRules::default_rules().clone(),
            calendar: WorkCalendar::embedded(),
            whitelist,
            personal_key,
            search,
            open_store,
            clock: self.clock(),
        })
    }

    /// The system clock, or the fixed day of `--today`.
    pub fn clock(&self) -> Clock {
        self.today.map_or(Clock::System, Clock::fixed)
    }

    pub fn personal_key(&self) -> Result<PersonalDataKey> {
        self.key.personal_key(&self.data_dir)
    }

    /// A connection to the platform's store: PostgreSQL when a database URL is given,
    /// otherwise SQLite in the data directory.
    pub fn open_store(&self) -> Result<BoxedStore> {
        let location = self.location();
        location
            .open()
            .with_context(|| format!("opening the store {}", location.describe()))
    }

    /// Where the platform's store is: the engine is chosen here, once, and nothing after
    /// this sees which one it is.
    pub fn location(&self) -> StoreLocation {
        match &self.database_url {
            None => StoreLocation::Sqlite {
                data_dir: self.data_dir.clone(),
            },
            Some(DatabaseUrl(url)) => StoreLocation::Postgres { url: url.clone() },
        }
    }

    /// How to open connections to the platform's store.
    pub fn store_factory(&self) -> StoreFactory {
        self.location().factory()
    }
}

/// A PostgreSQL URL. It may hold a password, so its `Debug` shows only the scheme.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(postgres://…)")
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl(url.to_owned()))
        } else {
            Err(
                "not a PostgreSQL URL (postgres://USER@HOST/DATABASE); without \
                 --database-url the store is SQLite in the data directory"
                    .to_owned(),
            )
        }
    }
}

impl RuleArgs {
    /// The list types and measures: `lists.toml` and `measures.toml` of the catalog directory,
    /// or the embedded ones; checked against `catalog`.
    pub fn discipline(&self, catalog: &Catalog) -> Result<Discipline> {
        match &self.catalog {
            None => Discipline::embedded(catalog).context("the embedded measures list is invalid"),
            Some(dir) => {
                let read = |name: &str| {
                    let path = dir.join(name);
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading catalog file {}", path.display()))
                };
                Discipline::from_sources(&read("lists.toml")?, &read("measures.toml")?, catalog)
                    .with_context(|| format!("the measures list in {} is invalid", dir.display()))
            }
        }
    }

    /// The credit-repair targets: `repair.toml` of the catalog directory if it has one, or
    /// the embedded ones; checked against `catalog` and the list types.
    pub fn repair(&self, catalog: &Catalog, discipline: &Discipline) -> Result<RepairRules> {
        let path = self.catalog.as_ref().map(|dir| dir.join("repair.toml"));
        match path.filter(|path| path.exists()) {
            None => RepairRules::embedded(catalog, discipline)
                .context("the embedded credit-repair rules are invalid"),
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading catalog file {}", path.display()))?;
                RepairRules::from_source(&text, catalog, discipline)
                    .with_context(|| format!("{} is invalid", path.display()))
            }
        }
    }

    /// Loads and checks the catalog; a broken catalog stops the command with its reason.
    pub fn catalog(&self) -> Result<Catalog> {
        let catalog = match &self.catalog {
            None => Catalog::embedded().context("the embedded catalog is invalid")?,
            Some(dir) => load_catalog_dir(dir)?,
        };
        catalog.check_publication_rules(PublicationRules::default_rules())?;
        Ok(catalog)
    }

    pub fn whitelist(&self) -> Result<Whitelist> {
        match &self.whitelist {
            None => Ok(Whitelist::new()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the whitelist {}", path.display()))?;
                Whitelist::from_lines(&text)
                    .with_context(|| format!("in the whitelist {}", path.display()))
            }
        }
    }
}

fn load_catalog_dir(dir: &Path) -> Result<Catalog> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading catalog file {}", path.display()))
    };
    let main = read(&dir.join("catalog.toml"))?;
    let mut items = Vec::new();
    let items_dir = dir.join("items");
    let entries = std::fs::read_dir(&items_dir)
        .with_context(|| format!("listing catalog items in {}", items_dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = format!(
                "items/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            items.push((name, read(&path)?));
        }
    }
    items.sort();
    let borrowed: Vec<(&str, &str)> = items
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Catalog::from_sources(&main, &borrowed)
        .with_context(|| format!("the catalog in {} is invalid", dir.display()))
}

/// Microseconds since the Unix epoch: the one place the platform reads the clock.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
