//! `gongxin subject CODE`: everything the store holds about a subject, as JSON.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use gongxin_core::access::{RecordAccess, shown_fields};
use gongxin_core::catalog::{Catalog, Disclosure};
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::record::Record;
use serde_json::json;

use crate::config::DataArgs;

/// What an operator at the terminal sees: every field, identity numbers masked — this command
/// is for looking things up, and a terminal is no place for whole numbers.
const OPERATOR_VIEW: RecordAccess = RecordAccess {
    level: Disclosure::Closed,
    reveal_personal_ids: false,
    beyond_public: true,
};

fn masked_fields(
    catalog: &Catalog,
    record: &Record,
    key: &PersonalDataKey,
) -> serde_json::Map<String, serde_json::Value> {
    let Some(item) = catalog.item(&record.key.item) else {
        return serde_json::Map::new();
    };
    shown_fields(item, record, OPERATOR_VIEW, key)
        .into_iter()
        .map(|field| (field.code, serde_json::Value::String(field.value)))
        .collect()
}

#[derive(Debug, Args)]
pub struct SubjectArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The subject's USCC, organisation code or registration number.
    #[arg(value_name = "CODE")]
    code: String,
}

pub fn run(args: SubjectArgs) -> Result<ExitCode> {
    let catalog = args.data.rules.catalog()?;
    let store = args.data.open_store()?;
    let key = args.data.personal_key()?;
    let code = gongxin_codes::normalise(&args.code);
    let Some(subject) = store.subject(&code)? else {
        eprintln!("未找到主体 / no subject with code {code}");
        return Ok(ExitCode::from(1));
    };
    let records: Vec<_> = store
        .records_of(&subject.code)?
        .into_iter()
        .map(|stored| {
            json!({
                "id": stored.id.to_string(),
                "item": stored.record.key.item,
                "source_unit": stored.record.key.source_unit,
                "document_no": stored.record.key.document_no,
                "decision_date": stored.record.decision_date,
                "status": stored.status,
                "catalog_version": stored.record.catalog_version,
                "events": [stored.first_seq, stored.head_seq],
                "fields": masked_fields(&catalog, &stored.record, &key),
            })
        })
        .collect();
    let profile = json!({
        "code": subject.code,
        "name": subject.name,
        "names": subject.names,
        "old_codes": subject.old_codes,
        "records": records,
    });
    println!("{}", serde_json::to_string_pretty(&profile)?);
    Ok(ExitCode::SUCCESS)
}
