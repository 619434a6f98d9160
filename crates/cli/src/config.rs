//! Where the platform's data and configuration come from: the data directory, the catalog
//! (embedded, or a deployment's directory) and the code whitelist.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use gongxin_codes::Whitelist;
use gongxin_core::catalog::Catalog;
use gongxin_core::publication::PublicationRules;
use gongxin_store::SqliteStore;

/// Options every command that reads or writes the platform's data takes.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory of the platform's data (the SQLite database lives in it).
    #[arg(long, value_name = "DIR", env = "GONGXIN_DATA_DIR")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
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
    pub fn open_store(&self) -> Result<SqliteStore> {
        SqliteStore::open_in_dir(&self.data_dir)
            .with_context(|| format!("opening the store in {}", self.data_dir.display()))
    }
}

impl RuleArgs {
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
