//! `gongxin keys create|list|revoke`: API keys, shown once, stored as digests.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use gongxin_core::access::Principal;
use serde_json::json;

use crate::config::{DataArgs, now_us};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once and cannot be shown again.
    Create(CreateArgs),
    /// List keys (never their secrets), as JSON lines.
    List(ListArgs),
    /// Revoke a key by its id: it stops working at once.
    Revoke(RevokeArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    /// A market entity reading about itself (needs --subject).
    Subject,
    /// A department user (needs --unit; may submit the --items given).
    Department,
    /// The credit office.
    Admin,
    /// Reads the audit log.
    Auditor,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long, value_enum)]
    role: Role,
    /// What the key is for, e.g. the person or system holding it.
    #[arg(long)]
    name: String,
    /// Department: its source-unit code as its records carry it.
    #[arg(long)]
    unit: Option<String>,
    /// Department: catalog items it may submit, comma-separated.
    #[arg(long, value_delimiter = ',')]
    items: Vec<String>,
    /// Subject: the USCC it acts for.
    #[arg(long)]
    subject: Option<String>,
    /// Recorded as the key's creator.
    #[arg(long, default_value = "cli")]
    created_by: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The key's id (as `keys list` shows it).
    id: String,
}

pub fn run(command: KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::Create(args) => create(args),
        KeysCommand::List(args) => {
            let store = args.data.open_store()?;
            for key in store.keys()? {
                println!(
                    "{}",
                    json!({
                        "id": key.id,
                        "name": key.name,
                        "principal": key.principal,
                        "created_at_us": key.created_at_us,
                        "created_by": key.created_by,
                        "revoked_at_us": key.revoked_at_us,
                    })
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Revoke(args) => {
            let mut store = args.data.open_store()?;
            if store.revoke_key(&args.id, now_us())? {
                println!("已吊销 / revoked {}", args.id);
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("没有可吊销的密钥 / no active key {}", args.id);
                Ok(ExitCode::from(1))
            }
        }
    }
}

fn create(args: CreateArgs) -> Result<ExitCode> {
    let catalog = args.data.rules.catalog()?;
    let principal = match args.role {
        Role::Admin => Principal::Admin,
        Role::Auditor => Principal::Auditor,
        Role::Subject => {
            let Some(code) = args.subject else {
                bail!("--role subject needs --subject USCC");
            };
            let code = gongxin_codes::Uscc::parse(&code)
                .map_err(|e| anyhow::anyhow!("--subject {code}: {e}"))?;
            Principal::Subject {
                code: code.to_string(),
            }
        }
        Role::Department => {
            let Some(unit) = args.unit else {
                bail!("--role department needs --unit (its source-unit code)");
            };
            for item in &args.items {
                if catalog.item(item).is_none() {
                    bail!("--items: the catalog has no item `{item}`");
                }
            }
            Principal::Department {
                unit,
                items: args.items,
            }
        }
    };
    let mut store = args.data.open_store()?;
    let created = gongxin_server::create_key(
        &mut *store,
        &args.name,
        principal,
        &args.created_by,
        now_us(),
    )?;
    println!(
        "{}",
        json!({ "id": created.key.id, "secret": created.secret, "principal": created.key.principal })
    );
    eprintln!("请妥善保存密钥，之后无法再次显示 / keep the secret: it cannot be shown again");
    Ok(ExitCode::SUCCESS)
}
