//! `gongxin verify`: re-check the event chain and the projections; name the first fault.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use gongxin_store::Verification;

use crate::config::DataArgs;
use crate::progress::bar;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    data: DataArgs,
}

pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    let store = args.data.open_store()?;
    let total = store.counts()?.events;
    let progress = bar(Some(total), "verify", false);
    let verification = store.verify(&mut |checked| progress.set_position(checked))?;
    progress.finish_and_clear();
    match verification {
        Verification::Intact { events, head } => {
            println!(
                "完好：{events} 个事件的哈希链与当前状态一致 / intact: {events} events, chain head {head}"
            );
            Ok(ExitCode::SUCCESS)
        }
        Verification::Broken(error) => {
            println!(
                "哈希链断裂，第一个不符的事件 / chain broken at the first event that does not match: {error}"
            );
            Ok(ExitCode::from(1))
        }
        Verification::ProjectionMismatch { record, reason } => {
            println!(
                "当前状态与事件日志不符 / the current state does not match the log: record {record}: {reason}"
            );
            Ok(ExitCode::from(1))
        }
    }
}
