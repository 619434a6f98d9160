//! Records and subjects as a principal may see them: the JSON the API answers and the data
//! the portal renders, built once by the access policy of `gongxin_core::access`.

use std::collections::HashMap;

use chrono::NaiveDate;
use gongxin_core::access::{
    Principal, ShownField, Window, record_access, record_window, shown_fields,
};
use gongxin_core::catalog::Item;
use gongxin_core::event::Event;
use gongxin_core::record::RecordStatus;
use gongxin_store::{RecordPosition, RecordRange, Store, StoreError, StoredRecord, Subject};
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
    /// Its place in the subject's newest-first order, where a page of records ends.
    #[serde(skip)]
    pub position: RecordPosition,
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
    let window = window_of(platform, item, stored);
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
        position: RecordPosition::of(stored),
    })
}

/// Which of a subject's records [`visible_records`] pages through.
pub struct RecordSelection<'a> {
    pub items: Vec<&'a Item>,
    /// Decision dates from and to (inclusive).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only records after this place in the newest-first order.
    pub after: Option<RecordPosition>,
    /// At least 1.
    pub limit: usize,
}

/// A page of records as one principal may see them.
pub struct RecordPage {
    /// Newest first.
    pub records: Vec<RecordView>,
    /// Where the next page starts, if more records are to be seen.
    pub next: Option<RecordPosition>,
}

/// Up to `selection.limit` of a subject's records that `principal` may see, newest first.
pub fn visible_records(
    platform: &Platform,
    store: &dyn Store,
    principal: &Principal,
    subject_code: &str,
    selection: &RecordSelection<'_>,
    today: NaiveDate,
) -> Result<RecordPage, StoreError> {
    let newest = newest_visible(platform, store, principal, subject_code, selection, today)?;
    Ok(page_of(newest.views, selection.limit))
}

/// What [`newest_visible`] found, and until when it holds.
pub struct NewestVisible {
    pub views: Vec<RecordView>,
    /// The first day after `today` on which a record it read enters or leaves publication, if
    /// any: until then the same reads would give the same views.
    pub changes_on: Option<NaiveDate>,
}

/// The newest `selection.limit + 1` records of each item of the selection that `principal`
/// may see (fewer where an item has no more; the one beyond the limit tells that a next page
/// exists), in no particular order. One read of the store gives them,
/// unless records hidden from this principal are among an item's newest: that item is then
/// read on, a page at a time, past them.
///
/// Every record that could enter the answer on a later day is read: an item with fewer than
/// `wanted` visible records is read to its end, and a record older than an item's `wanted`
/// newest visible ones can enter it only once one of those has left publication.
pub fn newest_visible(
    platform: &Platform,
    store: &dyn Store,
    principal: &Principal,
    subject_code: &str,
    selection: &RecordSelection<'_>,
    today: NaiveDate,
) -> Result<NewestVisible, StoreError> {
    let wanted = selection.limit.saturating_add(1);
    let mut shown = Vec::new();
    let mut changes_on: Option<NaiveDate> = None;
    let mut note_change = |day: Option<NaiveDate>| {
        changes_on = match (changes_on, day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    };
    let mut after: HashMap<&str, RecordPosition> = HashMap::new();
    let mut found: HashMap<&str, usize> = HashMap::new();
    // First every item at once; then, one at a time, each item to read on from its own place.
    let mut items: Vec<&str> = selection.items.iter().map(|i| i.id.as_str()).collect();
    let mut start = selection.after;
    let mut unfinished: Vec<&str> = Vec::new();
    loop {
        let range = RecordRange {
            items: &items,
            from: selection.from,
            to: selection.to,
            after: start,
            per_item: wanted,
        };
        let mut read: HashMap<&str, usize> = HashMap::new();
        for stored in &store.records_page(subject_code, &range)? {
            let Some(item) = items.iter().copied().find(|i| *i == stored.record.key.item) else {
                continue;
            };
            *read.entry(item).or_default() += 1;
            after.insert(item, RecordPosition::of(stored));
            let count = found.entry(item).or_default();
            if *count >= wanted {
                continue;
            }
            match record_view(platform, principal, subject_code, stored, today) {
                Some(view) => {
                    note_change(view.window.changes_after(today));
                    shown.push(view);
                    *count += 1;
                }
                None => note_change(hidden_record_changes(platform, stored, today)),
            }
        }
        // Read on only where the store had more and the page is not yet full.
        unfinished.extend(items.iter().copied().filter(|item| {
            read.get(item) == Some(&wanted) && found.get(item).copied().unwrap_or(0) < wanted
        }));
        let Some(next) = unfinished.pop() else {
            break;
        };
        items = vec![next];
        start = after.get(next).copied();
    }
    Ok(NewestVisible {
        views: shown,
        changes_on,
    })
}

/// When a record hidden today enters or leaves publication, which may show it.
fn hidden_record_changes(
    platform: &Platform,
    stored: &StoredRecord,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let item = platform.catalog.item(&stored.record.key.item)?;
    window_of(platform, item, stored).changes_after(today)
}

/// The publication window of `stored`, a record of `item`.
fn window_of(platform: &Platform, item: &Item, stored: &StoredRecord) -> Window {
    record_window(
        item,
        &stored.record,
        stored.status,
        stored.repaired_on,
        &platform.rules,
    )
}

/// `views` as one page of `limit`, newest first, and where the next one starts.
pub fn page_of(mut views: Vec<RecordView>, limit: usize) -> RecordPage {
    views.sort_by_key(|view| std::cmp::Reverse(view.position));
    let next = (views.len() > limit && limit > 0).then(|| views[limit - 1].position);
    views.truncate(limit);
    RecordPage {
        records: views,
        next,
    }
}

/// A place in a subject's records as the API writes it: `{decision date}.{event}`, e.g.
/// `2024-05-01.1234`.
pub fn cursor_text(position: RecordPosition) -> String {
    format!("{}.{}", position.decision_date, position.first_seq)
}

/// The place [`cursor_text`] wrote, if `text` is one.
pub fn parse_cursor(text: &str) -> Option<RecordPosition> {
    let (date, seq) = text.split_once('.')?;
    Some(RecordPosition {
        decision_date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
        first_seq: seq.parse().ok()?,
    })
}

pub fn rfc3339(at_us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(at_us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// One catalog group's records in a profile: the newest ones shown.
#[derive(Debug, Clone, Serialize)]
pub struct RecordGroup {
    pub category: String,
    pub name_zh: String,
    pub name_en: String,
    pub records: Vec<RecordView>,
    /// Where the group's further records start (`after` of the records endpoint), if it
    /// holds more than the profile shows.
    pub next: Option<String>,
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
