//! Records built directly from core types, without the catalog: the store must not care which
//! items exist, only that records have keys, subjects and content.

use chrono::NaiveDate;
use gongxin_codes::{OrgCode, RegNo, Uscc, org_code_check_char, uscc_check_char};
use gongxin_core::record::{NaturalKey, Record, RecordStatus, SubjectId};

/// A valid USCC of a Xiamen enterprise, distinct for every `n`, embedding a valid organisation
/// code (so that it maps to an old code).
pub fn uscc(n: u32) -> Uscc {
    let body = format!("{n:08}");
    let org_check = org_code_check_char(&body).expect("eight digits are an organisation code body");
    let first17 = format!("91350200{body}{org_check}");
    let check = uscc_check_char(&first17).expect("17 digits and X are USCC symbols");
    Uscc::parse(&format!("{first17}{check}")).expect("a computed USCC is valid")
}

/// The organisation code embedded in [`uscc`]`(n)`: the code the entity had before 2015.
pub fn old_org_code(n: u32) -> OrgCode {
    uscc(n)
        .parsed_org_code()
        .expect("fixture USCCs embed valid organisation codes")
}

/// An individual business known only by its registration number.
pub fn reg_no() -> RegNo {
    RegNo::parse("110108000000016").expect("a valid registration number")
}

/// An administrative penalty about `subject`, keyed by `document_no`.
pub fn penalty(subject: SubjectId, name: &str, document_no: &str) -> Record {
    let subject_code = subject.to_string();
    Record {
        key: NaturalKey {
            source_unit: "厦门市市场监督管理局".to_owned(),
            item: "CF".to_owned(),
            document_no: document_no.to_owned(),
        },
        subject,
        subject_name: name.to_owned(),
        decision_date: date("2024-03-01"),
        status: RecordStatus::Normal,
        catalog_version: "2021.1".to_owned(),
        fields: [
            ("CF_XDR_MC", name),
            ("CF_XDR_SHXYM", subject_code.as_str()),
            ("CF_WSH", document_no),
            ("CF_CFLB", "警告;罚款"),
            ("CF_NR", "警告，罚款人民币五万元"),
            ("CF_NR_FK", "5"),
        ]
        .into_iter()
        .map(|(code, value)| (code.to_owned(), value.to_owned()))
        .collect(),
        old_codes: Vec::new(),
    }
}

/// [`penalty`] for [`uscc`]`(n)`, named after `n`.
pub fn penalty_for(n: u32, document_no: &str) -> Record {
    penalty(SubjectId::Uscc(uscc(n)), &company(n), document_no)
}

pub fn company(n: u32) -> String {
    format!("厦门市第{n}贸易有限公司")
}

pub fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").expect("fixture dates are ISO dates")
}

/// `record` with one field's value replaced: a correction.
pub fn corrected(mut record: Record, code: &str, value: &str) -> Record {
    match record.fields.iter_mut().find(|(c, _)| c == code) {
        Some((_, v)) => *v = value.to_owned(),
        None => record.fields.push((code.to_owned(), value.to_owned())),
    }
    record
}

/// `record` marked 撤销.
pub fn revoked(mut record: Record) -> Record {
    record.status = RecordStatus::Revoked;
    record
}
