//! Fixtures the domain tests share: dates, a valid USCC and records built by hand.

#![allow(dead_code)] // each test file uses its own part

use chrono::NaiveDate;
use gongxin_codes::{Uscc, uscc_check_char};
use gongxin_core::record::{NaturalKey, Record, RecordStatus, SubjectId};

pub fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
}

pub fn uscc() -> Uscc {
    let first17 = "91350200123456789";
    let check = uscc_check_char(first17).unwrap();
    Uscc::parse(&format!("{first17}{check}")).unwrap()
}

pub fn record(item: &str, document_no: &str, decided: &str, fields: &[(&str, &str)]) -> Record {
    Record {
        key: NaturalKey {
            source_unit: "11350200MB0000000X".to_owned(),
            item: item.to_owned(),
            document_no: document_no.to_owned(),
        },
        subject: SubjectId::Uscc(uscc()),
        subject_name: "厦门市示例贸易有限公司".to_owned(),
        decision_date: date(decided),
        status: RecordStatus::Normal,
        catalog_version: "test".to_owned(),
        fields: fields
            .iter()
            .map(|(c, v)| ((*c).to_owned(), (*v).to_owned()))
            .collect(),
        old_codes: Vec::new(),
    }
}
