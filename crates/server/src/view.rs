//! Records and subjects as a principal may see them: the JSON the API answers and the data
//! the portal renders, built once by the access policy of `gongxin_core::access`.

use chrono::NaiveDate;
use gongxin_core::access::{
    Principal, ShownField, Window, record_access, record_window, shown_fields,
};
use gongxin_core::catalog::Catalog;
use gongxin_core::event::Event;
use gongxin_core::record::RecordStatus;
use gongxin_store::{StoredRecord, Subject};
use serde::Serialize;

use crate::state::Platform;

/// One record as shown to one principal.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub id: String,
    pub item: String,
    pub item_name_zh: String,
    pub item_name_en: String,
    pub category: String,
    pub source_unit: String,
    pub document_no: String,
    pub decision_date: NaiveDate,
    pub status: RecordStatus,
    /// The day its credit repair was approved (已修复), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repaired_on: Option<NaiveDate>,
    /// Whether the public sees it today.
    pub public: bool,
    pub window: Window,
    /// When it reached the platform (first publication), RFC 3339.
    pub first_recorded_at: String,
    pub fields: Vec<ShownField>,
    /// Whether this view holds more than the public sees: such reads are audited.
    #[serde(skip)]
    pub beyond_public: bool,
}

/// The records of `stored` that `principal` may see, newest first, and whether any of them
/// goes beyond the public view.
pub fn record_views(
    platform: &Platform,
    principal: &Principal,
    subject_code: &str,
    stored: &[StoredRecord],
    today: NaiveDate,
) -> Vec<RecordView> {
    stored
        .iter()
        .filter_map(|stored| record_view(platform, principal, subject_code, stored, today))
        .collect()
}

pub fn record_view(
    platform: &Platform,
    principal: &Principal,
    subject_code: &str,
    stored: &StoredRecord,
    today: NaiveDate,
) -> Option<RecordView> {
    let record = &stored.record;
    let item = platform.catalog.item(&record.key.item)?;
    let window = record_window(
        item,
        record,
        stored.status,
        stored.repaired_on,
        &platform.rules,
    );
    let public = window.is_public_on(today);
    let access = record_access(principal, subject_code, item, record, public)?;
    Some(RecordView {
        id: stored.id.to_string(),
        item: item.id.clone(),
        item_name_zh: item.name_zh.clone(),
        item_name_en: item.name_en.clone(),
        category: item.category.clone(),
        source_unit: record.key.source_unit.clone(),
        document_no: record.key.document_no.clone(),
        decision_date: record.decision_date,
        status: stored.status,
        repaired_on: stored.repaired_on,
        public,
        window,
        first_recorded_at: rfc3339(stored.first_recorded_at_us),
        fields: shown_fields(item, record, access, &platform.personal_key),
        beyond_public: access.beyond_public,
    })
}

pub fn rfc3339(at_us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(at_us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Records grouped as the catalog groups them (its categories, in catalog order).
#[derive(Debug, Clone, Serialize)]
pub struct RecordGroup {
    pub category: String,
    pub name_zh: String,
    pub name_en: String,
    pub records: Vec<RecordView>,
}

pub fn group_by_category(catalog: &Catalog, records: Vec<RecordView>) -> Vec<RecordGroup> {
    let mut groups: Vec<RecordGroup> = catalog
        .categories
        .iter()
        .map(|c| RecordGroup {
            category: c.id.clone(),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            records: Vec::new(),
        })
        .collect();
    for record in records {
        if let Some(group) = groups.iter_mut().find(|g| g.category == record.category) {
            group.records.push(record);
        }
    }
    groups.retain(|g| !g.records.is_empty());
    groups
}

/// A subject's basic information.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectView {
    pub code: String,
    pub name: String,
    pub former_names: Vec<String>,
    pub old_codes: Vec<String>,
    pub region: Option<RegionView>,
    /// The USCC's registering department and type characters, e.g. `91` (enterprise).
    pub subject_type: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionView {
    pub code: String,
    pub name: String,
}

pub fn subject_view(subject: &Subject) -> SubjectView {
    let uscc = gongxin_codes::Uscc::parse(&subject.code).ok();
    let region = uscc.as_ref().map(|code| {
        let region_code = code.as_str()[2..8].to_owned();
        let name = gongxin_codes::regions::region(&region_code)
            .map(|r| r.full_name())
            .unwrap_or_default();
        RegionView {
            code: region_code,
            name,
        }
    });
    SubjectView {
        code: subject.code.clone(),
        name: subject.name.clone(),
        former_names: subject
            .names
            .iter()
            .filter(|n| **n != subject.name)
            .cloned()
            .collect(),
        old_codes: subject.old_codes.clone(),
        region,
        subject_type: uscc.map(|code| code.as_str()[..2].to_owned()),
    }
}

/// One event of a record's history; who made it is shown only beyond the public view.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: u64,
    pub kind: String,
    pub recorded_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub hash: String,
}

pub fn event_view(event: &Event, show_actor: bool) -> EventView {
    EventView {
        seq: event.seq,
        kind: event.kind.to_string(),
        recorded_at: rfc3339(event.recorded_at_us),
        actor: show_actor.then(|| event.actor.clone()),
        hash: event.hash.to_string(),
    }
}
