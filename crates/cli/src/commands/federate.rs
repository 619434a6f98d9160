//! `gongxin federate`: pull a peer node's change feed into this node's store, once or
//! following it (see `gongxin_server::federation`). Runs beside the server: the server's
//! indexer picks up what arrives.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use gongxin_server::federation::{Local, Peer, cursor_file, pull};

use crate::config::{DataArgs, now_us};

#[derive(Debug, Args)]
pub struct FederateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The peer node's address, e.g. http://province.example:8080.
    #[arg(long, value_name = "URL")]
    peer: String,
    /// The key the peer's credit office issued to this node (role admin at the peer).
    #[arg(
        long,
        value_name = "KEY",
        env = "GONGXIN_PEER_KEY",
        hide_env_values = true
    )]
    peer_key: String,
    /// This node's id, as its own server's `node_id` says (its changes coming back from the
    /// peer are skipped by it).
    #[arg(long, value_name = "ID", env = "GONGXIN_NODE_ID")]
    node_id: String,
    /// Pull until the peer has nothing more, then stop (default: keep following).
    #[arg(long)]
    once: bool,
    /// Seconds between pulls when following.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    interval: u64,
}

pub fn run(args: FederateArgs) -> Result<ExitCode> {
    let catalog = args.data.rules.catalog()?;
    let whitelist = args.data.rules.whitelist()?;
    let personal_key = args.data.personal_key()?;
    let mut store = args.data.open_store()?;
    let local = Local {
        node_id: &args.node_id,
        catalog: &catalog,
        whitelist: &whitelist,
        personal_key: &personal_key,
    };
    let peer = Peer {
        url: &args.peer,
        key: &args.peer_key,
    };
    let cursor = cursor_file(&args.data.data_dir, &args.peer);
    loop {
        let report = pull(&local, &mut *store, &peer, &cursor, None, &now_us)
            .with_context(|| format!("pulling {}", args.peer))?;
        println!("{}", serde_json::to_string(&report)?);
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_secs(args.interval));
    }
}
