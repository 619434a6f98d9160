//! `gongxin reindex`: rebuild the search index from the store (with the server stopped: one
//! process owns the index).

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::DataArgs;
use crate::progress;

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub data: DataArgs,
}

pub fn run(args: ReindexArgs) -> Result<ExitCode> {
    let platform = args.data.platform()?;
    let store = args.data.open_store()?;
    let total = gongxin_store::Store::counts(&*store)?.subjects;
    let bar = progress::bar(Some(total), "索引 / indexing", false);
    let count = gongxin_server::indexer::rebuild(
        &platform.catalog,
        &*store,
        &platform.search,
        &platform.data_dir,
        &mut |done| bar.set_position(done),
    )
    .context("rebuilding the search index")?;
    bar.finish_and_clear();
    println!("已重建搜索索引 / search index rebuilt: {count} subjects");
    Ok(ExitCode::SUCCESS)
}
