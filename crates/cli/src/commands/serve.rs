//! `gongxin serve`: the API and the portal over a data directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use gongxin_server::config::ServerConfig;
use gongxin_server::{AppState, Platform};

use crate::config::DataArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// A TOML configuration file (see docs/configuration.md); `GONGXIN_*` variables override it.
    #[arg(long, value_name = "FILE", env = "GONGXIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on, overriding the configuration (e.g. 127.0.0.1:8080, or port 0).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut config = ServerConfig::load(args.config.as_deref(), |name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    init_logging(config.log_json);
    let platform = args.data.platform()?;
    serve(platform, config)?;
    Ok(ExitCode::SUCCESS)
}

/// Logs to stderr; `RUST_LOG` chooses what (default: info).
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (demo after demo in one process) keeps the first.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub fn serve(platform: Platform, config: ServerConfig) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let address = listener.local_addr()?;
        let state = AppState::new(platform, config)?;
        println!("公信平台已启动 / gongxin is serving at http://{address}/  (API docs: http://{address}/api/docs)");
        println!("按 Ctrl-C 停止 / press Ctrl-C to stop");
        gongxin_server::serve(listener, state, shutdown_signal())
            .await
            .context("serving")?;
        println!("已停止 / stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
