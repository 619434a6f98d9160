//! `gongxin catalog`: the catalog in force, for people (a table) or scripts (`--json`).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::config::RuleArgs;

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Print the whole catalog as JSON, fields and rules included.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: CatalogArgs) -> Result<ExitCode> {
    let catalog = args.rules.catalog()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&catalog)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} (version {}; {})",
        catalog.title, catalog.version, catalog.based_on
    );
    for item in &catalog.items {
        let category = catalog
            .category(&item.category)
            .map_or("?", |c| c.name_zh.as_str());
        println!(
            "\n{}  {} / {}\n  polarity {}, category {}, share {:?}, disclosure {:?}, publication rule {}, repairable {}",
            item.id,
            item.name_zh,
            item.name_en,
            item.polarity,
            category,
            item.share_scope,
            item.disclosure,
            item.publication,
            item.repairable
        );
        for basis in &item.legal_basis {
            let mut line = format!("  依据 basis: {}", basis.title);
            if let Some(no) = &basis.document_no {
                line.push_str(&format!("（{no}）"));
            }
            if let Some(article) = &basis.article {
                line.push_str(&format!(" {article}"));
            }
            println!("{line}");
        }
        let fields: Vec<&str> = item
            .fields
            .iter()
            .filter(|f| !f.legacy)
            .map(|f| f.code.as_str())
            .collect();
        println!("  fields: {}", fields.join(" "));
    }
    Ok(ExitCode::SUCCESS)
}
