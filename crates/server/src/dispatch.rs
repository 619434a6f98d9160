//! Push (联合奖惩信息推送): webhook deliveries of what departments must act on, next to the
//! change feed and from the same event stream.
//!
//! The dispatcher follows the event log from a position kept in the store, like the indexer
//! follows it for the search index. For each new event and each subscription it concerns
//! (`core::push::reasons`: the record's item matters in one of the subscription's scenarios,
//! or the unit checked the subject within `push_checked_within_days`) and that the unit's
//! principal sees in the feed, it enqueues a delivery, in the same transaction that moves the
//! position, so that no event is planned twice or skipped.
//!
//! Expiry is not an event: an entry is out of force the day after its last day. Once a day
//! (the first tick on a new platform day) a pass over the list entries finds those that
//! ended since the last pass (`core::push::Expiry`) and enqueues `entry_expired` notices for
//! the same subscribers, recorded with the deliveries (once per record and day), never in
//! the hash chain.
//!
//! Deliveries go out on blocking threads with a blocking HTTP client and a timeout, one
//! subscription at a time in order, several subscriptions at once; requests and the indexer
//! never wait for them. The body is the event as the feed shows it to the subscribing
//! unit, built at each attempt from the log (a copy held in the queue would keep identity
//! numbers the unit may see whole), signed with HMAC-SHA256. A failed attempt is tried again
//! after `push_retry_base_ms`, doubling; after `push_max_attempts` the delivery is dead until
//! replayed. A delivery that leaves the public view is written to the audit log before it
//! is sent, as a read through the API would be.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::event::case_of_payload;
use gongxin_core::push::{
    AfterFailure, CheckSeen, ENTRY_EXPIRED, Expiry, Subscriber, Topic, after_failure, china_day,
    item_of_event, reasons,
};
use gongxin_core::record::RecordId;
use gongxin_store::{
    Attempt, AuditEntry, CheckEntry, Delivery, DispatchPosition, NewDelivery, Store, Subscription,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::Semaphore;

use crate::api::feed::EventViewer;
use crate::api::now_us;
use crate::error::ApiError;
use crate::inbox::responsible_unit;
use crate::state::{AppState, Platform};
use crate::view::{RecordView, record_view};

/// Events planned per step.
const EVENTS_PER_STEP: usize = 1_000;
/// Due deliveries taken per subscription and tick: a subscription with a backlog does not
/// hold up the others.
const DUE_PER_SUBSCRIPTION: usize = 50;
/// Subscriptions delivered to at once.
const PARALLEL_SUBSCRIPTIONS: usize = 8;
/// List holders whose records the daily expiry pass reads at once.
const HOLDERS_PER_READ: usize = 4096;
/// Checks of a subject looked at for the "checked recently" rule: the latest ones.
const CHECKS_LOOKED_AT: usize = 500;

/// Headers of a delivery.
pub const EVENT_HEADER: &str = "X-Gongxin-Event";
pub const DELIVERY_HEADER: &str = "X-Gongxin-Delivery";
pub const SIGNATURE_HEADER: &str = "X-Gongxin-Signature";

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret` (its UTF-8 bytes, as shown to
/// the subscriber).
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The principal a subscription reads as: a department of its unit. The items a key may
/// submit play no part in what it may read.
pub fn principal_of(subscription: &Subscription) -> Principal {
    Principal::Department {
        unit: subscription.unit.clone(),
        items: Vec::new(),
    }
}

/// The body of an `entry_expired` notice: no event of the log, so no `seq` or hash, but the
/// log position it was made at and the entry as the unit may see it.
#[derive(Debug, Serialize)]
pub struct ExpiryNotice {
    pub kind: &'static str,
    pub subject: String,
    pub record: String,
    pub list: String,
    pub last_day: NaiveDate,
    pub ended_on: NaiveDate,
    pub log_seq: u64,
    pub view: RecordView,
}

/// Runs the dispatcher every `push_interval_ms` until the server stops.
pub async fn follow(state: AppState) {
    let interval = Duration::from_millis(state.config.push_interval_ms.max(10));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(
            state.config.push_timeout_ms.max(1),
        )))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("gongxin-push/1")
        .build()
        .into();
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(PARALLEL_SUBSCRIPTIONS));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = plan(&state).await {
            tracing::warn!(?error, "planning deliveries failed; retrying");
        }
        if let Err(error) = send_due(&state, &agent, &in_flight, &permits).await {
            tracing::warn!(?error, "delivering failed; retrying");
        }
    }
}

/// Enqueues the deliveries of new events and, once a day, of expiries.
async fn plan(state: &AppState) -> Result<(), ApiError> {
    loop {
        let planned = state
            .read(|state, store| plan_events(state, store, now_us()))
            .await?;
        let Some((deliveries, position, more)) = planned else {
            break;
        };
        let count = deliveries.len();
        state
            .write(move |_, store| Ok(store.enqueue_deliveries(&deliveries, &position)?))
            .await?;
        tracing::debug!(
            deliveries = count,
            seq = position.event_seq,
            "planned deliveries"
        );
        if !more {
            break;
        }
    }
    let today = state.platform.clock.today();
    let planned = state
        .read(move |state, store| plan_expiries(state, store, today, now_us()))
        .await?;
    if let Some((deliveries, position)) = planned {
        let count = deliveries.len();
        state
            .write(move |_, store| Ok(store.enqueue_deliveries(&deliveries, &position)?))
            .await?;
        tracing::debug!(notices = count, %today, "planned expiry notices");
    }
    Ok(())
}

/// The subscriptions that may be delivered to: not revoked, made with a key not revoked.
fn active_subscriptions(store: &dyn Store) -> Result<Vec<Subscription>, ApiError> {
    let revoked_keys: HashSet<String> = store
        .keys()?
        .into_iter()
        .filter(|key| key.revoked_at_us.is_some())
        .map(|key| key.id)
        .collect();
    Ok(store
        .subscriptions()?
        .into_iter()
        .filter(|s| s.revoked_at_us.is_none() && !revoked_keys.contains(&s.key_id))
        .collect())
}

/// What a step of planning looked up about subjects: their checks.
struct Checks<'s> {
    store: &'s dyn Store,
    by_subject: HashMap<String, Vec<(String, NaiveDate)>>,
}

impl<'s> Checks<'s> {
    fn new(store: &'s dyn Store) -> Self {
        Self {
            store,
            by_subject: HashMap::new(),
        }
    }

    /// The latest checks of `subject`: by which unit, on which day.
    fn of(&mut self, subject: &str) -> Result<&[(String, NaiveDate)], ApiError> {
        if !self.by_subject.contains_key(subject) {
            let seen = self
                .store
                .checks_of(subject, CHECKS_LOOKED_AT)?
                .into_iter()
                .filter_map(|CheckEntry { unit, at_us, .. }| Some((unit?, china_day(at_us))))
                .collect();
            self.by_subject.insert(subject.to_owned(), seen);
        }
        Ok(&self.by_subject[subject])
    }
}

/// The reasons (as JSON) `subscription` has to be told about `topic`, if any.
fn reasons_json(
    platform: &Platform,
    subscription: &Subscription,
    topic: Topic<'_>,
    checks: &[(String, NaiveDate)],
    within_days: u32,
) -> Option<String> {
    let seen: Vec<CheckSeen<'_>> = checks
        .iter()
        .map(|(unit, on)| CheckSeen { unit, on: *on })
        .collect();
    let found = reasons(
        &platform.discipline,
        Subscriber {
            unit: &subscription.unit,
            scenarios: &subscription.scenarios,
        },
        topic,
        &seen,
        within_days,
    );
    (!found.is_empty()).then(|| serde_json::to_string(&found).expect("reasons serialise"))
}

/// Plans the events after the dispatcher's position: the deliveries, the position after
/// them, and whether more events follow. `None` when there is nothing to do.
fn plan_events(
    state: &AppState,
    store: &dyn Store,
    now_us: i64,
) -> Result<Option<(Vec<NewDelivery>, DispatchPosition, bool)>, ApiError> {
    let platform = &state.platform;
    let mut position = store.dispatch_position()?;
    let head = store.log_head()?;
    if position.event_seq >= head {
        return Ok(None);
    }
    // Events no subscription may hear of are passed over without reading them.
    let start = active_subscriptions(store)?
        .iter()
        .map(|s| s.after_seq)
        .min()
        .unwrap_or(head)
        .max(position.event_seq)
        .min(head);
    let events = store.events_after(start, EVENTS_PER_STEP)?;
    let Some(last) = events.last().map(|e| e.seq) else {
        position.event_seq = start;
        return Ok(Some((Vec::new(), position, false)));
    };
    // Read again after the events: a subscription made since the first read starts after
    // the log head of its making, so after every event read; one made before is here.
    let subscriptions = active_subscriptions(store)?;
    let today = platform.clock.today();
    let within = state.config.push_checked_within_days;
    let principals: BTreeMap<&str, Principal> = subscriptions
        .iter()
        .map(|s| (s.unit.as_str(), principal_of(s)))
        .collect();
    let mut viewers: HashMap<&str, EventViewer<'_>> = principals
        .iter()
        .map(|(unit, principal)| (*unit, EventViewer::new(platform, store, principal, today)))
        .collect();
    let admin = Principal::Admin;
    let mut canonical = EventViewer::new(platform, store, &admin, today);
    let mut checks = Checks::new(store);
    let mut deliveries = Vec::new();
    for event in &events {
        let listening: Vec<&Subscription> = subscriptions
            .iter()
            .filter(|s| s.after_seq < event.seq)
            .collect();
        if listening.is_empty() {
            continue;
        }
        let subject = canonical.canonical(&event.subject)?;
        let item = match item_of_event(&platform.discipline, event) {
            Some(item) => Some(item),
            None => match event.record.parse::<RecordId>() {
                Ok(id) => store.record(&id)?.map(|r| r.record.key.item),
                Err(_) => None,
            },
        };
        let responsible = match case_of_payload(&event.payload) {
            Some(case) if !event.kind.is_record_change() => match store.case(&case)? {
                Some(case) => responsible_unit(store, &case)?,
                None => None,
            },
            _ => None,
        };
        let topic = Topic {
            item: item.as_deref(),
            on: china_day(event.recorded_at_us),
            responsible: responsible.as_deref(),
        };
        for subscription in listening {
            let checked = checks.of(&subject)?;
            let Some(why) = reasons_json(platform, subscription, topic, checked, within) else {
                continue;
            };
            let viewer = viewers
                .get_mut(subscription.unit.as_str())
                .expect("a viewer per unit");
            if viewer.show(event)?.is_none() {
                continue;
            }
            deliveries.push(NewDelivery {
                subscription: subscription.id.clone(),
                subject: subject.clone(),
                seq: event.seq,
                kind: event.kind.as_str().to_owned(),
                record: event.record.parse().ok(),
                on: None,
                reasons: why,
                created_at_us: now_us,
            });
        }
    }
    position.event_seq = last;
    Ok(Some((deliveries, position, last < head)))
}

/// Plans the expiry notices of the days since the last pass, through `today`. `None` when
/// the pass has run today already. The first pass tells the entries that end today.
fn plan_expiries(
    state: &AppState,
    store: &dyn Store,
    today: NaiveDate,
    now_us: i64,
) -> Result<Option<(Vec<NewDelivery>, DispatchPosition)>, ApiError> {
    let platform = &state.platform;
    let mut position = store.dispatch_position()?;
    let after = position
        .expiry_through
        .unwrap_or_else(|| today.pred_opt().unwrap_or(today));
    if after >= today {
        return Ok(None);
    }
    position.expiry_through = Some(today);
    let subscriptions = active_subscriptions(store)?;
    let mut deliveries = Vec::new();
    if subscriptions.is_empty() {
        return Ok(Some((deliveries, position)));
    }
    let head = store.log_head()?;
    let within = state.config.push_checked_within_days;
    let items: Vec<&str> = platform
        .discipline
        .lists
        .iter()
        .map(|l| l.item.as_str())
        .collect();
    let principals: Vec<Principal> = subscriptions.iter().map(principal_of).collect();
    let mut checks = Checks::new(store);
    let holders = store.subjects_holding(&items)?;
    for chunk in holders.chunks(HOLDERS_PER_READ) {
        let codes: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let mut held: Vec<(String, Vec<gongxin_store::StoredRecord>)> =
            store.records_of_many(&codes)?.into_iter().collect();
        held.sort_by(|a, b| a.0.cmp(&b.0));
        for (code, stored) in held.into_iter().flat_map(|(code, records)| {
            records
                .into_iter()
                .map(move |stored| (code.clone(), stored))
        }) {
            if !items.contains(&stored.record.key.item.as_str()) {
                continue;
            }
            let Some(expiry) = Expiry::of(
                &platform.discipline,
                &platform.catalog,
                &stored.record,
                stored.status,
            ) else {
                continue;
            };
            if !expiry.ended_within(after, today) {
                continue;
            }
            let topic = Topic {
                item: Some(&stored.record.key.item),
                on: expiry.ended_on,
                responsible: None,
            };
            // Every subscription in force hears of it, also one made since the last pass:
            // an entry that ended today is news to a unit that subscribed today.
            for (subscription, principal) in subscriptions.iter().zip(&principals) {
                let checked = checks.of(&code)?;
                let Some(why) = reasons_json(platform, subscription, topic, checked, within) else {
                    continue;
                };
                if record_view(platform, principal, &code, &stored, today).is_none() {
                    continue;
                }
                deliveries.push(NewDelivery {
                    subscription: subscription.id.clone(),
                    subject: code.clone(),
                    seq: head,
                    kind: ENTRY_EXPIRED.to_owned(),
                    record: Some(stored.id),
                    on: Some(expiry.ended_on),
                    reasons: why,
                    created_at_us: now_us,
                });
            }
        }
    }
    Ok(Some((deliveries, position)))
}

/// A delivery ready to go: where, what, signed.
#[derive(Debug)]
struct Outgoing {
    url: String,
    body: Vec<u8>,
    signature: String,
    /// Written to the audit log before it leaves, when it goes beyond the public view.
    audit: Option<AuditEntry>,
}

/// A due delivery, prepared: ready to go or — when it can no longer be sent (the unit may
/// no longer see it, the notice no longer holds) — dead at once, with the reason.
#[derive(Debug)]
struct Prepared {
    delivery: Delivery,
    outgoing: Result<Outgoing, String>,
}

/// Takes the due deliveries of subscriptions not in flight and sends each subscription's in
/// order, on tasks of their own.
async fn send_due(
    state: &AppState,
    agent: &ureq::Agent,
    in_flight: &Arc<Mutex<HashSet<String>>>,
    permits: &Arc<Semaphore>,
) -> Result<(), ApiError> {
    let busy: HashSet<String> = in_flight.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let now = now_us();
    let groups = state
        .read(move |state, store| prepare_due(state, store, now, &busy))
        .await?;
    for (subscription, prepared) in groups {
        in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(subscription.clone());
        let state = state.clone();
        let agent = agent.clone();
        let in_flight = Arc::clone(in_flight);
        let permits = Arc::clone(permits);
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            if let Err(error) = deliver_in_order(&state, &agent, prepared).await {
                tracing::warn!(?error, subscription, "recording a delivery failed");
            }
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&subscription);
        });
    }
    Ok(())
}

/// The due deliveries, grouped by subscription (skipping `busy` ones), each built and
/// signed.
fn prepare_due(
    state: &AppState,
    store: &dyn Store,
    now_us: i64,
    busy: &HashSet<String>,
) -> Result<Vec<(String, Vec<Prepared>)>, ApiError> {
    let due = store.due_deliveries(now_us, DUE_PER_SUBSCRIPTION)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let revoked_keys: HashSet<String> = store
        .keys()?
        .into_iter()
        .filter(|key| key.revoked_at_us.is_some())
        .map(|key| key.id)
        .collect();
    let mut groups: Vec<(String, Vec<Delivery>)> = Vec::new();
    for delivery in due {
        if busy.contains(&delivery.subscription) {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(id, _)| *id == delivery.subscription)
        {
            Some((_, group)) => group.push(delivery),
            None => groups.push((delivery.subscription.clone(), vec![delivery])),
        }
    }
    let platform = &state.platform;
    let today = platform.clock.today();
    let mut prepared = Vec::with_capacity(groups.len());
    for (id, deliveries) in groups {
        let Some(subscription) = store.subscription(&id)? else {
            continue;
        };
        let Some(secret) = store.subscription_secret(&id)? else {
            continue;
        };
        let principal = principal_of(&subscription);
        let mut viewer = EventViewer::new(platform, store, &principal, today);
        let mut group = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            if revoked_keys.contains(&subscription.key_id) {
                group.push(Prepared {
                    delivery,
                    outgoing: Err("the key that made the subscription was revoked".to_owned()),
                });
                continue;
            }
            let built = match delivery.on {
                None => event_body(store, &mut viewer, &delivery)?,
                Some(_) => notice_body(platform, store, &principal, &delivery, today)?,
            };
            let outgoing = built.map(|(body, beyond_public)| {
                let audit = beyond_public.then(|| AuditEntry {
                    seq: 0,
                    at_us: now_us,
                    key_id: Some(subscription.key_id.clone()),
                    role: principal.role().to_owned(),
                    unit: Some(subscription.unit.clone()),
                    subject: Some(delivery.subject.clone()),
                    action: "push".to_owned(),
                    target: Some(format!(
                        "subscription {} delivery {} ({} seq {})",
                        subscription.id, delivery.id, delivery.kind, delivery.seq
                    )),
                    purpose: Some(subscription.purpose.clone()),
                    client: None,
                });
                Outgoing {
                    signature: signature(&secret, &body),
                    url: subscription.url.clone(),
                    body,
                    audit,
                }
            });
            group.push(Prepared { delivery, outgoing });
        }
        prepared.push((id, group));
    }
    Ok(prepared)
}

/// A body, and whether it goes beyond the public view; or why there is none.
type Built = Result<(Vec<u8>, bool), String>;

fn event_body(
    store: &dyn Store,
    viewer: &mut EventViewer<'_>,
    delivery: &Delivery,
) -> Result<Built, ApiError> {
    let Some(event) = store
        .events_after(delivery.seq.saturating_sub(1), 1)?
        .into_iter()
        .find(|e| e.seq == delivery.seq)
    else {
        return Ok(Err(format!("event {} is not in the log", delivery.seq)));
    };
    Ok(match viewer.show(&event)? {
        Some(shown) => {
            let beyond = shown.payload.is_some()
                || shown.view.as_ref().is_some_and(|view| view.beyond_public);
            Ok((
                serde_json::to_vec(&shown).map_err(ApiError::internal)?,
                beyond,
            ))
        }
        None => Err("the unit may no longer see this event (revoked, or out of its scope)".into()),
    })
}

fn notice_body(
    platform: &Platform,
    store: &dyn Store,
    principal: &Principal,
    delivery: &Delivery,
    today: NaiveDate,
) -> Result<Built, ApiError> {
    let Some(id) = delivery.record else {
        return Ok(Err("a notice without its record".into()));
    };
    let Some(stored) = store.record(&id)? else {
        return Ok(Err("the record is gone".into()));
    };
    let expiry = Expiry::of(
        &platform.discipline,
        &platform.catalog,
        &stored.record,
        stored.status,
    );
    let Some(expiry) = expiry.filter(|e| Some(e.ended_on) == delivery.on) else {
        return Ok(Err(
            "the entry no longer ended on that day (corrected, removed or revoked since)".into(),
        ));
    };
    let Some(view) = record_view(platform, principal, &delivery.subject, &stored, today) else {
        return Ok(Err("the unit may no longer see this entry".into()));
    };
    let beyond = view.beyond_public;
    let notice = ExpiryNotice {
        kind: ENTRY_EXPIRED,
        subject: delivery.subject.clone(),
        record: id.to_string(),
        list: expiry.list,
        last_day: expiry.last_day,
        ended_on: expiry.ended_on,
        log_seq: delivery.seq,
        view,
    };
    Ok(Ok((
        serde_json::to_vec(&notice).map_err(ApiError::internal)?,
        beyond,
    )))
}

/// Sends one subscription's deliveries in order, stopping at the first failure (the rest
/// stay due and go on a later tick, after it).
async fn deliver_in_order(
    state: &AppState,
    agent: &ureq::Agent,
    prepared: Vec<Prepared>,
) -> Result<(), ApiError> {
    let max_attempts = state.config.push_max_attempts;
    let base_ms = state.config.push_retry_base_ms;
    for Prepared { delivery, outgoing } in prepared {
        let outgoing = match outgoing {
            Err(why) => {
                let attempt = Attempt::Failed {
                    at_us: now_us(),
                    error: why,
                    retry_at_us: None,
                };
                state
                    .write(move |_, store| Ok(store.settle_delivery(delivery.id, &attempt)?))
                    .await?;
                continue;
            }
            Ok(outgoing) => outgoing,
        };
        let Outgoing {
            url,
            body,
            signature,
            audit,
        } = outgoing;
        if let Some(entry) = audit {
            state
                .write(move |_, store| Ok(store.append_audit(&entry)?))
                .await?;
        }
        let agent = agent.clone();
        let kind = delivery.kind.clone();
        let id = delivery.id;
        let sent =
            tokio::task::spawn_blocking(move || post(&agent, &url, &kind, id, &body, &signature))
                .await
                .map_err(ApiError::internal)?;
        let at_us = now_us();
        let failed = sent.is_err();
        let attempt = match sent {
            Ok(()) => Attempt::Delivered { at_us },
            Err(error) => {
                let retry_at_us = match after_failure(delivery.attempts + 1, max_attempts, base_ms)
                {
                    AfterFailure::RetryAfterMs(ms) => Some(at_us.saturating_add(
                        i64::try_from(ms.saturating_mul(1_000)).unwrap_or(i64::MAX),
                    )),
                    AfterFailure::Dead => None,
                };
                Attempt::Failed {
                    at_us,
                    error,
                    retry_at_us,
                }
            }
        };
        state
            .write(move |_, store| Ok(store.settle_delivery(id, &attempt)?))
            .await?;
        if failed {
            break;
        }
    }
    Ok(())
}

/// One attempt: POSTs the body; any answer but 2xx, or none in time, is a failure.
fn post(
    agent: &ureq::Agent,
    url: &str,
    kind: &str,
    id: u64,
    body: &[u8],
    signature: &str,
) -> Result<(), String> {
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(EVENT_HEADER, kind)
        .header(DELIVERY_HEADER, &id.to_string())
        .header(SIGNATURE_HEADER, signature)
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
