//! `GET /api/v1/feed?after=`: the event log as a change feed, for departments and, later,
//! federated peer nodes to follow.
//!
//! A page holds the events after the cursor that the caller may see, oldest first, with each
//! record as that caller may see it. Events the caller may not see, or that the filters
//! leave out, are skipped but still move the cursor: `next` is the last event *examined*, so
//! a filtered-out tail is not scanned again, and no event is skipped or repeated between
//! pages. A page is built from the same log prefix and the same policy, so re-reading a
//! cursor gives the same page as long as what the caller may see has not changed (a
//! revocation or the end of a publication window hides a record's events from then on, as
//! it hides the record itself).

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use gongxin_codes::Uscc;
use gongxin_core::access::Principal;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::Discipline;
use gongxin_core::event::{Event, EventKind, case_of_payload, case_state};
use gongxin_core::record::{Record, RecordId, SubjectId};
use gongxin_core::repair::{Repair, RepairOutcome};
use gongxin_store::{Store, StoredRecord};
use serde::Serialize;

use super::records::unknown_item;
use super::{PurposeParam, audit_entry, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::inbox::{Notice, notice, responsible_unit};
use crate::state::{AppState, Platform};
use crate::view::{EventView, RecordView, event_view, record_view};

/// Events per page unless the caller asks otherwise.
const DEFAULT_LIMIT: usize = 100;
/// The most events one page delivers; a larger `limit` is reduced to it.
const MAX_LIMIT: usize = 1_000;
/// The most events one request examines, so that a sparse filter cannot make one request
/// read the whole log: the page then ends early with `has_more`.
const SCAN_BUDGET: usize = 10_000;
/// The most events read from the store at once. The first read is `limit + 1` (when every
/// event is visible, that one read fills the page and tells whether there is more); each
/// further read doubles up to this.
const MAX_BATCH: usize = 500;

/// One page of the feed.
#[derive(Debug, Serialize)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// The cursor for the next page: the `seq` of the last event examined (delivered or
    /// not), or `after` when none was.
    pub next: u64,
    /// Whether events after `next` exist (the page stopped at `limit` or the scan budget).
    pub has_more: bool,
    /// Whether any event delivered goes beyond the public view: the read is audited.
    #[serde(skip)]
    pub beyond_public: bool,
    /// The node serving the feed (`node_id`): the origin of every event without one.
    pub node: String,
}

/// One event as the caller may see it.
#[derive(Debug, Serialize)]
pub struct FeedEvent {
    /// `seq`, `kind`, `recorded_at`, `hash`, and `actor` beyond the public view only, as a
    /// record's history shows them.
    #[serde(flatten)]
    pub event: EventView,
    pub prev_hash: String,
    /// The subject code the event is filed under (a USCC, or an old code).
    pub subject: String,
    /// The record id (hex), or empty for events not about one record.
    pub record: String,
    /// The node a record change came from when it arrived by federation; absent when it was
    /// made at the serving node (see `FeedPage::node`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The record as of this event, as the caller may see it: the single-record view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<RecordView>,
    /// The raw payload of an event kind the feed does not know how to show (admin only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// For an approved credit repair: what changed for the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<RepairNotice>,
    /// For a step of a case the caller's unit must act on: the notice its inbox shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

/// The actor of events a node applies from a peer: `node:` and the node the change came from.
pub const NODE_ACTOR_PREFIX: &str = "node:";

/// The node an event's change came from, when it arrived by federation.
pub fn origin_of(actor: &str) -> Option<&str> {
    actor.strip_prefix(NODE_ACTOR_PREFIX)
}

impl FeedEvent {
    /// `event` with nothing shown beyond its place in the chain; the caller adds the view.
    fn of(event: &Event, show_actor: bool) -> FeedEvent {
        FeedEvent {
            event: event_view(event, show_actor),
            prev_hash: event.prev_hash.to_string(),
            subject: event.subject.clone(),
            record: event.record.clone(),
            origin: origin_of(&event.actor).map(str::to_owned),
            view: None,
            payload: None,
            repair: None,
            notice: None,
        }
    }

    fn with_view(self, view: RecordView) -> FeedEvent {
        FeedEvent {
            view: Some(view),
            ..self
        }
    }
}

/// An approved credit repair as recipients of the record hear of it: its publication ends
/// and the discipline it triggered stops (`view` shows the record as it now stands).
#[derive(Debug, Clone, Serialize)]
pub struct RepairNotice {
    pub case: String,
    pub repaired_on: NaiveDate,
    /// The last day the record is shown; `None` for a list entry, which ends by its removal.
    pub publication_ends: Option<NaiveDate>,
}

/// The query, checked. Parsed by hand from the pairs because `item` may repeat.
#[derive(Debug, Clone)]
struct FeedParams {
    after: u64,
    limit: usize,
    /// Catalog item ids; empty means every item.
    items: Vec<String>,
    /// A subject code, normalised (resolved to its subject in the scan).
    subject: Option<String>,
    /// A division-code prefix of 2 to 6 digits.
    region: Option<String>,
    purpose: Option<String>,
}

fn bad_parameter(name: &str, value: &str, zh: &str, en: &str) -> ApiError {
    ApiError::with_message(
        ErrorCode::BadRequest,
        format!("参数 {name} 应为{zh}：{value}"),
        format!("parameter {name} must be {en}: {value}"),
    )
}

/// Rejects a second value for a parameter that takes one.
fn once<T>(name: &str, slot: &Option<T>) -> Result<(), ApiError> {
    if slot.is_some() {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            format!("参数 {name} 只能出现一次"),
            format!("parameter {name} may be given only once"),
        ));
    }
    Ok(())
}

impl FeedParams {
    fn parse(
        pairs: Vec<(String, String)>,
        catalog: &Catalog,
        discipline: &Discipline,
    ) -> Result<Self, ApiError> {
        let mut after = None;
        let mut limit = None;
        let mut items: Vec<String> = Vec::new();
        let mut subject = None;
        let mut region = None;
        let mut purpose = None;
        for (name, value) in pairs {
            match name.as_str() {
                "after" => {
                    once(&name, &after)?;
                    let cursor = value.trim().parse::<u64>().map_err(|_| {
                        bad_parameter("after", &value, "非负整数", "a non-negative integer")
                    })?;
                    after = Some(cursor);
                }
                "limit" => {
                    once(&name, &limit)?;
                    let count = value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            bad_parameter("limit", &value, "正整数", "a positive integer")
                        })?;
                    limit = Some(count.min(MAX_LIMIT));
                }
                "item" => {
                    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        if catalog.item(item).is_none() {
                            return Err(unknown_item(item));
                        }
                        if !items.iter().any(|i| i == item) {
                            items.push(item.to_owned());
                        }
                    }
                }
                // A list type filters by the item holding its entries.
                "list" => {
                    for id in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        let list = discipline
                            .list(id)
                            .ok_or_else(|| bad_parameter("list", id, "名单类型", "a list type"))?;
                        if !items.contains(&list.item) {
                            items.push(list.item.clone());
                        }
                    }
                }
                "subject" => {
                    once(&name, &subject)?;
                    subject = Some(gongxin_codes::normalise(&value));
                }
                "region" => {
                    once(&name, &region)?;
                    let prefix = value.trim();
                    if !(2..=6).contains(&prefix.len())
                        || !prefix.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(bad_parameter(
                            "region",
                            &value,
                            "2 至 6 位行政区划代码前缀",
                            "a division-code prefix of 2 to 6 digits",
                        ));
                    }
                    region = Some(prefix.to_owned());
                }
                "purpose" => {
                    once(&name, &purpose)?;
                    purpose = Some(value);
                }
                // Unknown parameters are ignored, as serde ignores them on the other
                // endpoints.
                _ => {}
            }
        }
        Ok(Self {
            after: after.unwrap_or(0),
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            items,
            subject,
            region,
            purpose,
        })
    }
}

/// `GET /api/v1/feed?after=&limit=&item=&subject=&region=`: the events after `after` that the
/// caller may see. A key is required; departments and the credit office state a purpose,
/// and a page beyond the public view is audited (one entry per page).
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Json<FeedPage>, ApiError> {
    caller.require_key("订阅变更", "the change feed")?;
    let params = FeedParams::parse(pairs, &state.platform.catalog, &state.platform.discipline)?;
    let purpose = PurposeParam {
        purpose: params.purpose.clone(),
    }
    .check(&caller)?;
    let principal = caller.principal.clone();
    let query = params.clone();
    let (page, subject) = state
        .read(move |state, store| {
            let today = state.platform.clock.today();
            let mut scan = Scan::new(&state.platform, store, &principal, today);
            let subject = match &query.subject {
                Some(code) => Some(scan.filter_subject(code)?),
                None => None,
            };
            let mut page = scan.page(&query, subject.as_deref())?;
            page.node.clone_from(&state.config.node_id);
            Ok((page, subject))
        })
        .await?;
    if page.beyond_public {
        let subject = subject.or_else(|| match &caller.principal {
            Principal::Subject { code } => Some(code.clone()),
            _ => None,
        });
        let target = format!("seq {}-{}", params.after.saturating_add(1), page.next);
        let entry = audit_entry(
            &caller,
            "read_feed",
            subject.as_deref(),
            Some(target),
            purpose,
        );
        record_audit(&state, entry).await?;
    }
    Ok(Json(page))
}

/// A record whose events this scan shows, as it stands.
#[derive(Debug, Clone)]
struct Current {
    first_seq: u64,
    head_seq: u64,
    first_recorded_at_us: i64,
    repaired_on: Option<NaiveDate>,
}

/// Which events a walk leaves out, besides those the caller may not see.
#[derive(Debug, Clone, Copy, Default)]
struct Filters<'f> {
    /// Catalog item ids; empty means every item.
    items: &'f [String],
    /// A division-code prefix.
    region: Option<&'f str>,
    /// The subject's code.
    subject: Option<&'f str>,
}

/// Shows events one at a time to one principal, exactly as the feed shows them to it
/// without filters: what a webhook delivery carries. It remembers what it looked up, so
/// use one for a batch of events.
pub(crate) struct EventViewer<'a> {
    scan: Scan<'a>,
}

impl<'a> EventViewer<'a> {
    pub(crate) fn new(
        platform: &'a Platform,
        store: &'a dyn Store,
        principal: &'a Principal,
        today: NaiveDate,
    ) -> Self {
        Self {
            scan: Scan::new(platform, store, principal, today),
        }
    }

    /// The event as the feed shows it to the principal, or `None` if the feed skips it.
    pub(crate) fn show(&mut self, event: &Event) -> Result<Option<FeedEvent>, ApiError> {
        self.scan.show(event, Filters::default())
    }

    /// The code of the subject `code` is filed under (a USCC an old code maps to, or the
    /// code itself).
    pub(crate) fn canonical(&mut self, code: &str) -> Result<String, ApiError> {
        self.scan.canonical(code)
    }
}

/// One request's walk over the log, with what it has looked up so far.
struct Scan<'a> {
    platform: &'a Platform,
    store: &'a dyn Store,
    principal: &'a Principal,
    today: NaiveDate,
    /// Subject codes as filed (USCC or old code) to the code of their subject.
    canonical: HashMap<String, String>,
    /// Record ids to the record as it stands, if this scan shows its events.
    current: HashMap<String, Option<Current>>,
    /// Records read ahead for the events of the batch at hand, not yet decided on.
    read_ahead: HashMap<RecordId, StoredRecord>,
}

impl<'a> Scan<'a> {
    fn new(
        platform: &'a Platform,
        store: &'a dyn Store,
        principal: &'a Principal,
        today: NaiveDate,
    ) -> Self {
        Self {
            platform,
            store,
            principal,
            today,
            canonical: HashMap::new(),
            current: HashMap::new(),
            read_ahead: HashMap::new(),
        }
    }

    /// The subject a `subject` filter names: the one the store knows by that code, or — for
    /// a well-formed code the store does not know yet — the code itself, so that a follower
    /// may subscribe before the first record arrives.
    fn filter_subject(&mut self, code: &str) -> Result<String, ApiError> {
        if let Some(subject) = self.store.subject(code)? {
            return Ok(subject.code);
        }
        let well_formed = Uscc::parse_with(code, &self.platform.whitelist).is_ok()
            || code.parse::<SubjectId>().is_ok();
        if well_formed {
            Ok(code.to_owned())
        } else {
            Err(ApiError::with_message(
                ErrorCode::BadCode,
                format!("参数 subject 不是有效的主体代码：{code}"),
                format!("parameter subject is not a valid subject code: {code}"),
            ))
        }
    }

    /// The code of the subject `code` is filed under, as the record endpoints resolve it.
    fn canonical(&mut self, code: &str) -> Result<String, ApiError> {
        if let Some(found) = self.canonical.get(code) {
            return Ok(found.clone());
        }
        let resolved = self.store.subject_code(code)?;
        self.canonical.insert(code.to_owned(), resolved.clone());
        Ok(resolved)
    }

    fn page(&mut self, params: &FeedParams, subject: Option<&str>) -> Result<FeedPage, ApiError> {
        let filters = Filters {
            items: &params.items,
            region: params.region.as_deref(),
            subject,
        };
        let limit = params.limit;
        let mut cursor = params.after;
        let mut examined = 0;
        let mut events = Vec::new();
        let mut batch = (limit + 1).min(MAX_BATCH);
        let has_more = loop {
            if events.len() >= limit || examined >= SCAN_BUDGET {
                break !self.store.events_after(cursor, 1)?.is_empty();
            }
            let want = batch.min(SCAN_BUDGET - examined);
            let read = self.store.events_after(cursor, want)?;
            self.read_ahead(&read)?;
            let at_end = read.len() < want;
            let mut read = read.into_iter();
            for event in read.by_ref() {
                cursor = event.seq;
                examined += 1;
                if let Some(shown) = self.show(&event, filters)? {
                    events.push(shown);
                    if events.len() >= limit {
                        break;
                    }
                }
            }
            if !read.as_slice().is_empty() {
                break true;
            }
            if at_end {
                break false;
            }
            batch = (batch * 2).min(MAX_BATCH);
        };
        let beyond_public = events
            .iter()
            .any(|e| e.payload.is_some() || e.view.as_ref().is_some_and(|view| view.beyond_public));
        Ok(FeedPage {
            events,
            next: cursor,
            has_more,
            beyond_public,
            node: String::new(),
        })
    }

    /// Looks up the subjects and records of `events` this scan has not met yet, each kind
    /// in one read: on PostgreSQL two round trips a batch instead of two an event.
    fn read_ahead(&mut self, events: &[Event]) -> Result<(), ApiError> {
        let subjects: BTreeSet<&str> = events
            .iter()
            .map(|e| e.subject.as_str())
            .filter(|code| !self.canonical.contains_key(*code))
            .collect();
        if !subjects.is_empty() {
            let codes: Vec<&str> = subjects.into_iter().collect();
            self.canonical.extend(self.store.subject_codes(&codes)?);
        }
        let ids: BTreeSet<RecordId> = events
            .iter()
            .filter(|e| e.kind.is_record_change() || e.kind == EventKind::RepairDecided)
            .filter(|e| !self.current.contains_key(&e.record))
            .filter_map(|e| e.record.parse().ok())
            .collect();
        if !ids.is_empty() {
            let ids: Vec<RecordId> = ids.into_iter().collect();
            self.read_ahead = self.store.records_by_id(&ids)?;
        }
        Ok(())
    }

    /// The event as the caller may see it, or `None` when the caller may not see it or the
    /// filters leave it out.
    fn show(&mut self, event: &Event, filters: Filters<'_>) -> Result<Option<FeedEvent>, ApiError> {
        // Which subject the event is about, for the subject key's scope and the filters.
        let about = self.canonical(&event.subject)?;
        if let Principal::Subject { code } = self.principal
            && *code != about
        {
            return Ok(None);
        }
        if filters.subject.is_some_and(|s| s != about) {
            return Ok(None);
        }
        if let Some(prefix) = filters.region
            && !region_digits(&about).is_some_and(|digits| digits.starts_with(prefix))
        {
            return Ok(None);
        }
        if event.kind.is_record_change() {
            return self.show_record(event, filters.items);
        }
        if event.kind == EventKind::RepairDecided
            && let Some(repair) = case_state::<Repair>(&event.payload)
            && let (Some(RepairOutcome::Approved), Some(on)) = (repair.outcome, repair.decided_on)
        {
            return self.show_repair(event, filters.items, repair, on);
        }
        // A step of a case goes to the unit that must act on it, as its inbox notice.
        if let Principal::Department { unit, .. } = self.principal
            && filters.items.is_empty()
            && let Some(case) = case_of_payload(&event.payload)
            && let Some(case) = self.store.case(&case)?
            && responsible_unit(self.store, &case)?.as_deref() == Some(unit.as_str())
        {
            let Some(notice) = notice(event, &case, Some(unit.clone()), self.today) else {
                return Ok(None);
            };
            return Ok(Some(FeedEvent {
                notice: Some(notice),
                ..FeedEvent::of(event, true)
            }));
        }
        // Other case events have no view the access policy can decide on: they go to the
        // credit office alone, whose role may read everything, with the raw payload.
        // Everyone else skips them. An item filter leaves them out, since they name no item.
        if *self.principal != Principal::Admin || !filters.items.is_empty() {
            return Ok(None);
        }
        Ok(Some(FeedEvent {
            payload: Some(event.payload.clone()),
            ..FeedEvent::of(event, true)
        }))
    }

    /// A record event, if the caller may see it. Visibility is decided by [`record_view`],
    /// the function behind `GET /api/v1/records/{id}`, twice:
    ///
    /// 1. on the record as it stands now, exactly as the record endpoint decides: a record
    ///    it answers "not found" for (revoked, past its window, not shared with this
    ///    caller) has none of its events in the feed either;
    /// 2. on the record as of this event (its payload), which gives the fields shown,
    ///    masked for this caller; a version the caller may not see is skipped. For the
    ///    record's latest event, that version is the record as it stands, so the view of
    ///    step 1 is used.
    fn show_record(
        &mut self,
        event: &Event,
        items: &[String],
    ) -> Result<Option<FeedEvent>, ApiError> {
        let Some((current, head_view)) = self.current(&event.record, items)? else {
            return Ok(None);
        };
        let view = match head_view {
            Some(view) if current.head_seq == event.seq => view,
            _ => {
                let record = Record::from_payload(&event.payload)
                    .map_err(|e| ApiError::internal(format!("event {}: {e}", event.seq)))?;
                let stored = StoredRecord {
                    id: record.id(),
                    status: record.status,
                    record,
                    first_seq: current.first_seq,
                    head_seq: event.seq,
                    first_recorded_at_us: current.first_recorded_at_us,
                    repaired_on: current.repaired_on,
                };
                match self.view_of(&stored)? {
                    Some(view) => view,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(
            FeedEvent::of(event, view.beyond_public).with_view(view),
        ))
    }

    /// The view of `stored` for this caller: what the record endpoint would answer.
    fn view_of(&mut self, stored: &StoredRecord) -> Result<Option<RecordView>, ApiError> {
        let subject_code = self.canonical(stored.record.subject.as_str())?;
        Ok(record_view(
            self.platform,
            self.principal,
            &subject_code,
            stored,
            self.today,
        ))
    }

    /// An approved repair, to whoever may see its record as it stands (by the record
    /// endpoint's rule, as for the record's own events) — the recipients of the record.
    fn show_repair(
        &mut self,
        event: &Event,
        items: &[String],
        repair: Repair,
        repaired_on: NaiveDate,
    ) -> Result<Option<FeedEvent>, ApiError> {
        let Some((_, head_view)) = self.current(&event.record, items)? else {
            return Ok(None);
        };
        let view = match head_view {
            Some(view) => view,
            None => {
                let Some(stored) = self.store.record(&repair.record)? else {
                    return Ok(None);
                };
                match self.view_of(&stored)? {
                    Some(view) => view,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(FeedEvent {
            repair: Some(RepairNotice {
                case: repair.id,
                repaired_on,
                publication_ends: repair.publication_ends,
            }),
            ..FeedEvent::of(event, view.beyond_public).with_view(view)
        }))
    }

    /// Whether this scan shows events of the record `id`: the caller may see the record as
    /// it stands, by the record endpoint's rule, and its item passes the filter. Decided
    /// once per record; the first time, the view of the record as it stands comes too.
    fn current(
        &mut self,
        id: &str,
        items: &[String],
    ) -> Result<Option<(Current, Option<RecordView>)>, ApiError> {
        if let Some(known) = self.current.get(id) {
            return Ok(known.clone().map(|current| (current, None)));
        }
        let stored = match id.parse::<RecordId>() {
            Ok(record_id) => match self.read_ahead.remove(&record_id) {
                Some(stored) => Some(stored),
                None => self.store.record(&record_id)?,
            },
            Err(_) => None,
        };
        let mut decided = None;
        if let Some(stored) = stored
            && (items.is_empty() || items.contains(&stored.record.key.item))
        {
            decided = self.view_of(&stored)?.map(|view| {
                let current = Current {
                    first_seq: stored.first_seq,
                    head_seq: stored.head_seq,
                    first_recorded_at_us: stored.first_recorded_at_us,
                    repaired_on: stored.repaired_on,
                };
                (current, Some(view))
            });
        }
        self.current
            .insert(id.to_owned(), decided.as_ref().map(|(c, _)| c.clone()));
        Ok(decided)
    }
}

/// The division-code digits of a USCC (its 3rd to 8th characters); `None` for a subject
/// known only by an old code.
fn region_digits(code: &str) -> Option<&str> {
    code.get(2..8)
        .filter(|_| code.len() == 18)
        .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_digits_are_those_of_a_uscc_only() {
        assert_eq!(region_digits("91350100M000100Y43"), Some("350100"));
        assert_eq!(region_digits("350100400012345"), None);
        assert_eq!(region_digits("M0001000Y"), None);
    }
}
