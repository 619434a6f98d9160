//! The behaviour every [`Store`] engine must show, written once, generic over the engine.
//!
//! An engine's test file declares `mod conformance;`, implements [`Harness`] and runs every
//! function here as its own `#[test]`. It lives under `tests/` rather than in the library
//! behind a feature: all engines are in this crate, so nothing outside needs it, and the
//! library ships no test code.

pub mod fixtures;

use std::slice;

use gongxin_core::access::Principal;
use gongxin_core::event::{EventKind, Hash, case_payload, case_state};
use gongxin_core::record::{Change, PreparedRecord, RecordId, RecordStatus, SubjectId};
use gongxin_store::{
    Actor, ApiKey, AuditEntry, AuditQuery, CaseKind, CaseStep, CheckEntry, Counts, Store,
    StoreError, Verification,
};

use fixtures::{
    company, corrected, date, old_org_code, penalty, penalty_for, reg_no, revoked, uscc,
};

/// How a test gets stores of one engine.
pub trait Harness {
    type Store: Store;
    /// A new, empty store of its own.
    fn create(&mut self) -> Self::Store;
    /// Closes `store` and opens the same database again.
    fn reopen(&mut self, store: Self::Store) -> Self::Store;
}

const AT: i64 = 1_709_251_200_000_000; // 2024-03-01T00:00:00Z

fn actor(offset_s: i64) -> Actor<'static> {
    Actor {
        name: "350200-scjg",
        at_us: AT + offset_s * 1_000_000,
    }
}

fn verify<S: Store>(store: &S) -> Verification {
    store.verify(&mut |_| {}).expect("verification runs")
}

fn assert_intact<S: Store>(store: &S, events: u64) {
    match verify(store) {
        Verification::Intact { events: n, .. } => assert_eq!(n, events),
        other => panic!("expected an intact store with {events} events, got {other:?}"),
    }
}

/// A record's life: submitted, re-submitted unchanged, corrected, revoked — and what the log,
/// the projection and the history say at the end.
pub fn record_lifecycle<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let original = penalty_for(1, "厦市监罚〔2024〕1号");
    let id = original.id();

    assert_eq!(
        store
            .apply_records(slice::from_ref(&original), &actor(0))
            .unwrap(),
        [Change::Submitted]
    );
    assert_eq!(
        store
            .apply_records(slice::from_ref(&original), &actor(1))
            .unwrap(),
        [Change::Unchanged]
    );
    assert_eq!(
        store.counts().unwrap().events,
        1,
        "an unchanged record adds no event"
    );

    let fixed = corrected(original.clone(), "CF_NR_FK", "3");
    assert_eq!(
        store
            .apply_records(slice::from_ref(&fixed), &actor(2))
            .unwrap(),
        [Change::Corrected]
    );
    let withdrawn = revoked(fixed);
    assert_eq!(
        store
            .apply_records(slice::from_ref(&withdrawn), &actor(3))
            .unwrap(),
        [Change::Revoked]
    );

    let history = store.history(&id).unwrap();
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::RecordSubmitted,
            EventKind::RecordCorrected,
            EventKind::RecordRevoked
        ]
    );
    assert_eq!(history.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(history[0].prev_hash, Hash::GENESIS);
    for pair in history.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "each event links to its predecessor"
        );
    }
    for (event, at) in history.iter().zip([0, 2, 3]) {
        assert_eq!(event.record, id.to_string());
        assert_eq!(event.subject, uscc(1).to_string());
        assert_eq!(event.actor, "350200-scjg");
        assert_eq!(event.recorded_at_us, actor(at).at_us);
    }
    assert_eq!(history[2].payload, withdrawn.to_payload());

    let stored = store.record(&id).unwrap().expect("the record is stored");
    assert_eq!(stored.id, id);
    assert_eq!(stored.status, RecordStatus::Revoked);
    assert_eq!((stored.first_seq, stored.head_seq), (1, 3));
    assert_eq!(
        stored.first_recorded_at_us, AT,
        "the first submission's time stays"
    );
    assert_eq!(stored.record.to_payload(), withdrawn.to_payload());
    assert_eq!(stored.record.field("CF_NR_FK"), Some("3"));

    // The change feed is the log, in order, in pages.
    let feed = store.events_after(0, 10).unwrap();
    assert_eq!(feed, history);
    assert_eq!(store.events_after(1, 1).unwrap(), &history[1..2]);
    assert!(store.events_after(3, 10).unwrap().is_empty());
    assert!(store.events_after(0, 0).unwrap().is_empty());

    assert_eq!(
        store.counts().unwrap(),
        Counts {
            subjects: 1,
            records: 1,
            events: 3
        }
    );
    let mut progress = Vec::new();
    let verification = store.verify(&mut |n| progress.push(n)).unwrap();
    assert_eq!(
        verification,
        Verification::Intact {
            events: 3,
            head: history[2].hash.to_string()
        }
    );
    assert_eq!(
        progress.last(),
        Some(&3),
        "progress ends with the number of events checked"
    );
}

/// Old codes: a record filed under the organisation code an entity had before its USCC is found
/// through the USCC, and the other way round, whichever arrived first.
pub fn records_found_by_old_code<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let old = old_org_code(7);
    let under_old_code = {
        let mut record = penalty(
            SubjectId::OrgCode(old),
            "厦门市老字号贸易公司",
            "厦工商罚〔2014〕7号",
        );
        record.decision_date = date("2014-06-30");
        record
    };
    let under_uscc = penalty_for(7, "厦市监罚〔2024〕7号");
    // The old record first, the USCC later: the mapping is made when the USCC appears.
    store
        .apply_records(slice::from_ref(&under_old_code), &actor(0))
        .unwrap();
    store
        .apply_records(slice::from_ref(&under_uscc), &actor(1))
        .unwrap();
    // An unrelated individual business known only by its registration number.
    let business = penalty(
        SubjectId::RegNo(reg_no()),
        "海沧区某某小吃店",
        "厦海市监罚〔2024〕3号",
    );
    store
        .apply_records(slice::from_ref(&business), &actor(2))
        .unwrap();

    let code = uscc(7).to_string();
    let subject = store
        .subject(&code)
        .unwrap()
        .expect("the USCC is a subject");
    assert_eq!(subject.code, code);
    assert_eq!(subject.name, company(7));
    assert_eq!(
        subject.names,
        ["厦门市老字号贸易公司".to_owned(), company(7)]
    );
    assert_eq!(subject.old_codes, [old.to_string()]);
    assert_eq!(subject.record_count, 2);
    assert_eq!(
        store.subject(old.as_str()).unwrap(),
        Some(subject),
        "an old code finds the subject it maps to"
    );

    for lookup in [code.as_str(), old.as_str()] {
        let ids: Vec<RecordId> = store
            .records_of(lookup)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids,
            [under_uscc.id(), under_old_code.id()],
            "newest decision first"
        );
    }

    let business_code = reg_no().to_string();
    let found = store
        .subject(&business_code)
        .unwrap()
        .expect("a subject by registration number");
    assert!(found.old_codes.is_empty());
    assert_eq!(found.record_count, 1);
    assert_eq!(store.records_of(&business_code).unwrap().len(), 1);

    // The organisation code and its USCC are one entity.
    assert_eq!(store.counts().unwrap().subjects, 2);
    assert_intact(&store, 3);
}

/// The USCC first, a record under its old code later: the mapping already exists.
pub fn old_code_records_arriving_later<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    store
        .apply_records(&[penalty_for(8, "厦市监罚〔2024〕8号")], &actor(0))
        .unwrap();
    let old = old_org_code(8);
    store
        .apply_records(
            &[penalty(
                SubjectId::OrgCode(old),
                "厦门市旧名公司",
                "厦工商罚〔2013〕8号",
            )],
            &actor(1),
        )
        .unwrap();
    assert_eq!(store.records_of(uscc(8).as_str()).unwrap().len(), 2);
    assert_eq!(
        store.subject(old.as_str()).unwrap().map(|s| s.code),
        Some(uscc(8).to_string())
    );
}

/// Records with the same key inside one batch apply in order.
pub fn duplicate_keys_in_one_batch<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let first = penalty_for(2, "厦市监罚〔2024〕2号");
    let second = corrected(first.clone(), "CF_NR", "警告");
    let other = penalty_for(3, "厦市监罚〔2024〕3号");
    let changes = store
        .apply_records(
            &[first.clone(), first.clone(), other.clone(), second.clone()],
            &actor(0),
        )
        .unwrap();
    assert_eq!(
        changes,
        [
            Change::Submitted,
            Change::Unchanged,
            Change::Submitted,
            Change::Corrected
        ]
    );
    let history = store.history(&first.id()).unwrap();
    assert_eq!(history.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
    let stored = store.record(&first.id()).unwrap().unwrap();
    assert_eq!((stored.first_seq, stored.head_seq), (1, 3));
    assert_eq!(stored.record.field("CF_NR"), Some("警告"));
    assert_eq!(store.counts().unwrap().records, 2);

    // A record that arrives already revoked is recorded as a revocation.
    let born_revoked = revoked(penalty_for(4, "厦市监罚〔2024〕4号"));
    assert_eq!(
        store.apply_records(&[born_revoked], &actor(1)).unwrap(),
        [Change::Revoked]
    );
    assert_intact(&store, 4);
}

/// A batch the store refuses part-way leaves no trace, and the next batch continues the chain
/// from where the last committed one ended.
pub fn failed_batch_leaves_nothing<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    store
        .apply_records(&[penalty_for(10, "厦市监罚〔2024〕10号")], &actor(0))
        .unwrap();
    let before = store.counts().unwrap();
    let head = store.events_after(0, 10).unwrap().remove(0);

    // A natural key needs a document number; the store refuses the third record, after the
    // first two were written inside the transaction.
    let refused = penalty_for(12, "");
    let result = store.apply_records(
        &[
            penalty_for(11, "厦市监罚〔2024〕11号"),
            penalty_for(10, "厦市监罚〔2024〕12号"),
            refused,
            penalty_for(13, "厦市监罚〔2024〕13号"),
        ],
        &actor(1),
    );
    assert!(
        matches!(result, Err(StoreError::Database(_))),
        "got {result:?}"
    );
    assert_eq!(store.counts().unwrap(), before);
    assert!(store.events_after(1, 10).unwrap().is_empty());
    assert!(store.subject(uscc(11).as_str()).unwrap().is_none());
    assert!(
        store
            .record(&penalty_for(11, "厦市监罚〔2024〕11号").id())
            .unwrap()
            .is_none()
    );

    let retry = penalty_for(11, "厦市监罚〔2024〕11号");
    assert_eq!(
        store.apply_records(&[retry], &actor(2)).unwrap(),
        [Change::Submitted]
    );
    let next = store.events_after(1, 10).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].seq, 2);
    assert_eq!(
        next[0].prev_hash, head.hash,
        "the chain continues from the last commit"
    );
    assert_intact(&store, 2);
}

/// Everything committed is there after a reopen, and the chain continues from it.
pub fn persists_across_reopen<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let records = [
        penalty_for(20, "厦市监罚〔2024〕20号"),
        penalty_for(21, "厦市监罚〔2024〕21号"),
    ];
    store.apply_records(&records, &actor(0)).unwrap();
    let before = store.counts().unwrap();
    let last = store.events_after(1, 1).unwrap().remove(0);

    let mut store = harness.reopen(store);
    assert_eq!(store.counts().unwrap(), before);
    assert_eq!(
        store.apply_records(&records, &actor(1)).unwrap(),
        [Change::Unchanged, Change::Unchanged]
    );
    store
        .apply_records(&[penalty_for(22, "厦市监罚〔2024〕22号")], &actor(2))
        .unwrap();
    let third = store.events_after(2, 10).unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].seq, 3);
    assert_eq!(third[0].prev_hash, last.hash);
    assert!(store.record(&records[1].id()).unwrap().is_some());
    assert_intact(&store, 3);
}

/// A correction can move a record to another subject (a mistyped code fixed); a subject can be
/// renamed. Counts and names follow.
pub fn corrections_move_and_rename<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let misfiled = penalty_for(30, "厦市监罚〔2024〕30号");
    store
        .apply_records(slice::from_ref(&misfiled), &actor(0))
        .unwrap();
    // Same document number, so the same key, now about another subject.
    let moved = penalty_for(31, "厦市监罚〔2024〕30号");
    assert_eq!(
        store
            .apply_records(slice::from_ref(&moved), &actor(1))
            .unwrap(),
        [Change::Corrected]
    );
    assert!(store.records_of(uscc(30).as_str()).unwrap().is_empty());
    assert_eq!(
        store
            .subject(uscc(30).as_str())
            .unwrap()
            .unwrap()
            .record_count,
        0
    );
    let now = store.records_of(uscc(31).as_str()).unwrap();
    assert_eq!(
        now.iter().map(|r| r.id).collect::<Vec<_>>(),
        [misfiled.id()]
    );

    let mut renamed = penalty_for(31, "厦市监罚〔2024〕32号");
    renamed.subject_name = "厦门市新名字有限公司".to_owned();
    store.apply_records(&[renamed], &actor(2)).unwrap();
    let subject = store.subject(uscc(31).as_str()).unwrap().unwrap();
    assert_eq!(subject.name, "厦门市新名字有限公司");
    assert_eq!(
        subject.names,
        [company(31), "厦门市新名字有限公司".to_owned()]
    );
    assert_eq!(subject.record_count, 2);
    assert_intact(&store, 3);
}

/// Lookups of what is not there are empty, not errors; an empty batch is a no-op.
pub fn absent_things_are_empty<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    assert_eq!(store.apply_records(&[], &actor(0)).unwrap(), []);
    assert_eq!(store.counts().unwrap(), Counts::default());
    let nowhere = RecordId([7; 16]);
    assert!(store.subject(uscc(40).as_str()).unwrap().is_none());
    assert!(store.subject("not a code").unwrap().is_none());
    assert!(store.records_of(uscc(40).as_str()).unwrap().is_empty());
    assert!(store.record(&nowhere).unwrap().is_none());
    assert!(store.history(&nowhere).unwrap().is_empty());
    assert!(store.events_after(0, 100).unwrap().is_empty());
    assert_eq!(
        verify(&store),
        Verification::Intact {
            events: 0,
            head: Hash::GENESIS.to_string()
        }
    );
}

/// Batches far larger than a handful of records behave the same: repeated keys anywhere in the
/// batch apply in order, and a refusal near the end still undoes everything.
pub fn large_batches<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let mut batch: Vec<_> = (0..1500)
        .map(|n| penalty_for(n % 97, &format!("厦市监罚〔2025〕{n}号")))
        .collect();
    // The same key again, a thousand records later: unchanged, then corrected.
    batch.push(batch[3].clone());
    batch.push(corrected(batch[5].clone(), "CF_NR", "警告"));
    let changes = store.apply_records(&batch, &actor(0)).unwrap();
    assert_eq!(changes.len(), 1502);
    assert!(changes[..1500].iter().all(|c| *c == Change::Submitted));
    assert_eq!(changes[1500..], [Change::Unchanged, Change::Corrected]);
    let history = store.history(&batch[5].id()).unwrap();
    assert_eq!(history.iter().map(|e| e.seq).collect::<Vec<_>>(), [6, 1501]);
    let counts = store.counts().unwrap();
    assert_eq!(
        (counts.subjects, counts.records, counts.events),
        (97, 1500, 1501)
    );

    let mut refused: Vec<_> = (0..1500)
        .map(|n| penalty_for(n % 89, &format!("厦市监罚〔2026〕{n}号")))
        .collect();
    refused[1400].key.document_no.clear();
    assert!(store.apply_records(&refused, &actor(1)).is_err());
    assert_eq!(store.counts().unwrap(), counts);
    assert!(store.record(&refused[0].id()).unwrap().is_none());
    assert_intact(&store, 1501);
}

/// Old codes a row gives for a USCC subject map to it: a record filed earlier under the
/// registration number is then found through the USCC.
pub fn old_codes_given_in_rows_map_to_the_subject<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let business = penalty(
        SubjectId::RegNo(reg_no()),
        "海沧区某某小吃店",
        "厦海市监罚〔2019〕3号",
    );
    store
        .apply_records(slice::from_ref(&business), &actor(0))
        .unwrap();
    let mut with_uscc = penalty_for(31, "厦市监罚〔2024〕31号");
    with_uscc.old_codes = vec![SubjectId::RegNo(reg_no())];
    store
        .apply_records(slice::from_ref(&with_uscc), &actor(1))
        .unwrap();
    let code = uscc(31).to_string();
    let subject = store
        .subject(reg_no().as_ref())
        .unwrap()
        .expect("found by its old number");
    assert_eq!(subject.code, code);
    assert!(
        subject.old_codes.contains(&reg_no().to_string()),
        "{subject:?}"
    );
    assert_eq!(store.records_of(&code).unwrap().len(), 2);
    let stored = store.record(&with_uscc.id()).unwrap().unwrap();
    assert_eq!(
        stored.record.old_codes, with_uscc.old_codes,
        "the mapping travels in the log"
    );
}

fn department_key(id: &str) -> ApiKey {
    ApiKey {
        id: id.to_owned(),
        name: "福州市市场监管局数据报送".to_owned(),
        principal: Principal::Department {
            unit: "11350100003591016B".to_owned(),
            items: vec!["admin_penalty".to_owned()],
        },
        created_at_us: AT,
        created_by: "admin".to_owned(),
        revoked_at_us: None,
    }
}

pub fn keys_are_found_by_secret_digest_and_revoked<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let key = department_key("k1");
    store.add_key(&key, &[1; 32]).unwrap();
    store.add_key(&department_key("k2"), &[2; 32]).unwrap();
    assert_eq!(store.key_by_secret(&[1; 32]).unwrap(), Some(key.clone()));
    assert_eq!(store.key_by_secret(&[3; 32]).unwrap(), None);
    assert!(
        store.add_key(&department_key("k3"), &[1; 32]).is_err(),
        "two keys cannot share a secret"
    );
    assert!(store.revoke_key("k1", AT + 1).unwrap());
    assert!(!store.revoke_key("k1", AT + 2).unwrap(), "already revoked");
    assert!(!store.revoke_key("nope", AT + 2).unwrap());
    let mut store = harness.reopen(store);
    let listed = store.keys().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].revoked_at_us, Some(AT + 1));
    assert_eq!(listed[1].revoked_at_us, None);
    assert!(store.revoke_key("k2", AT + 3).unwrap());
}

pub fn the_audit_log_appends_and_filters<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let entry = |subject: &str, at_us: i64| AuditEntry {
        seq: 0,
        at_us,
        key_id: Some("k1".to_owned()),
        role: "department".to_owned(),
        unit: Some("11350100003591016B".to_owned()),
        subject: Some(subject.to_owned()),
        action: "read_profile".to_owned(),
        target: None,
        purpose: Some("行政许可审查".to_owned()),
        client: Some("127.0.0.1".to_owned()),
    };
    let first = store.append_audit(&entry("A", AT)).unwrap();
    let second = store.append_audit(&entry("B", AT + 10)).unwrap();
    let third = store.append_audit(&entry("A", AT + 20)).unwrap();
    assert!(first < second && second < third);
    let all = store
        .audit(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[1],
        AuditEntry {
            seq: second,
            ..entry("B", AT + 10)
        }
    );
    let about_a = store
        .audit(&AuditQuery {
            subject: Some("A".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(
        about_a.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [first, third]
    );
    let window = store
        .audit(&AuditQuery {
            from_us: Some(AT + 5),
            to_us: Some(AT + 20),
            limit: 10,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(window.iter().map(|e| e.seq).collect::<Vec<_>>(), [second]);
    let page = store
        .audit(&AuditQuery {
            after_seq: first,
            limit: 1,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [second]);
}

pub fn arrivals_count_records_by_day<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let records = [penalty_for(1, "罚1"), penalty_for(1, "罚2")];
    store.apply_records(&records, &actor(0)).unwrap();
    let arrivals = store.arrivals().unwrap();
    assert_eq!(arrivals.len(), 1);
    assert_eq!(arrivals[0].count, 2);
    assert_eq!(arrivals[0].decision_date, records[0].decision_date);
    // AT is 2024-03-01T00:00Z, 08:00 in Beijing.
    assert_eq!(arrivals[0].recorded_on, date("2024-03-01"));
}

pub fn subjects_are_walked_in_code_order<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let records: Vec<_> = (1..=5).map(|n| penalty_for(n, &format!("罚{n}"))).collect();
    store.apply_records(&records, &actor(0)).unwrap();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.subjects_after(&after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        seen.extend(page.into_iter().map(|s| s.code));
    }
    let mut expected: Vec<_> = records.iter().map(|r| r.subject.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
}

fn case_step<'a>(
    id: &'a str,
    event: EventKind,
    subject: &'a str,
    record: RecordId,
    open: bool,
    state: &str,
    expected_head: Option<u64>,
) -> CaseStep<'a> {
    CaseStep {
        id,
        kind: CaseKind::Listing,
        event,
        subject,
        record,
        open,
        due: open.then(|| date("2024-03-08")),
        payload: case_payload(id, &state, &state),
        expected_head,
    }
}

/// A case's steps are events in the chain, linked per case; a decision brings its record in
/// with it, in one transaction; a stale or repeated step is a conflict; `verify` checks it all.
pub fn cases_are_steps_in_the_log<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let entry = penalty_for(1, "厦市监信〔2024〕1号");
    let id = entry.id();
    let subject = entry.subject.to_string();
    let case = "lst_1";

    let (first, changes) = store
        .append_case(
            &case_step(
                case,
                EventKind::ListingProposed,
                &subject,
                id,
                true,
                "proposed",
                None,
            ),
            &mut std::iter::empty(),
            &actor(0),
        )
        .unwrap();
    assert!(changes.is_empty());
    let again = store.append_case(
        &case_step(
            case,
            EventKind::ListingProposed,
            &subject,
            id,
            true,
            "proposed",
            None,
        ),
        &mut std::iter::empty(),
        &actor(1),
    );
    assert!(matches!(again, Err(StoreError::Conflict(_))));

    let (decided, changes) = store
        .append_case(
            &case_step(
                case,
                EventKind::ListingDecided,
                &subject,
                id,
                false,
                "listed",
                Some(first),
            ),
            &mut std::iter::once(PreparedRecord::new(entry.clone())),
            &actor(2),
        )
        .unwrap();
    assert_eq!(changes, [Change::Submitted]);
    assert_eq!(decided, first + 1);
    // The record came in with the decision.
    assert_eq!(store.record(&id).unwrap().unwrap().first_seq, decided + 1);

    // Deciding again on the old head is refused: someone moved the case on.
    let stale = store.append_case(
        &case_step(
            case,
            EventKind::ListingDecided,
            &subject,
            id,
            false,
            "twice",
            Some(first),
        ),
        &mut std::iter::empty(),
        &actor(3),
    );
    assert!(matches!(stale, Err(StoreError::Conflict(_))));

    let stored = store.case(case).unwrap().unwrap();
    assert_eq!(
        (stored.first_seq, stored.head_seq, stored.open, stored.due),
        (first, decided, false, None)
    );
    assert_eq!(
        case_state::<String>(&stored.payload).as_deref(),
        Some("listed")
    );
    assert_eq!(
        store.cases_of(&subject, Some(CaseKind::Listing)).unwrap(),
        slice::from_ref(&stored)
    );
    assert!(
        store
            .cases_of(&subject, Some(CaseKind::Objection))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.cases_of_record(&id).unwrap(), [stored]);
    let kinds: Vec<EventKind> = store
        .case_history(case)
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventKind::ListingProposed, EventKind::ListingDecided]
    );
    // The record's own history is the record's events alone.
    assert_eq!(store.history(&id).unwrap().len(), 1);
    assert_intact(&store, 3);

    // What the platform knew at each point of the log.
    assert!(store.records_as_of(&subject, first).unwrap().is_empty());
    let then = store.cases_as_of(&subject, None, first).unwrap();
    assert_eq!(
        case_state::<String>(&then[0].1).as_deref(),
        Some("proposed")
    );
    store
        .apply_records(&[corrected(entry.clone(), "CF_NR_FK", "9")], &actor(4))
        .unwrap();
    let before = store.records_as_of(&subject, decided + 1).unwrap();
    assert_eq!(before[0].record.field("CF_NR_FK"), Some("5"));
    let now = store.records_as_of(&subject, u64::MAX).unwrap();
    assert_eq!(now[0].record.field("CF_NR_FK"), Some("9"));
    assert_intact(&store, 4);
}

/// The check log keeps every receipt once, and finds a subject's latest checks.
pub fn the_check_log_appends_once<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let entry = |receipt: &str, at: i64, subject: &str| CheckEntry {
        receipt: receipt.to_owned(),
        at_us: AT + at,
        key_id: Some("gx_dept".to_owned()),
        unit: Some("11350200MB0000000X".to_owned()),
        subject: Some(subject.to_owned()),
        scenario: "bidding".to_owned(),
        purpose: "招标资格审查".to_owned(),
        log_seq: 7,
        measures_version: "2026.11.1".to_owned(),
        request: "{}".to_owned(),
        answer: "{\"hits\":[]}".to_owned(),
    };
    let a = uscc(1).to_string();
    let b = uscc(2).to_string();
    store.append_check(&entry("ck_1", 1, &a)).unwrap();
    store.append_check(&entry("ck_2", 2, &a)).unwrap();
    store.append_check(&entry("ck_3", 3, &b)).unwrap();
    assert!(matches!(
        store.append_check(&entry("ck_1", 4, &a)),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.check_entry("ck_2").unwrap(),
        Some(entry("ck_2", 2, &a))
    );
    assert_eq!(store.check_entry("ck_9").unwrap(), None);
    let latest: Vec<String> = store
        .checks_of(&a, 10)
        .unwrap()
        .into_iter()
        .map(|c| c.receipt)
        .collect();
    assert_eq!(latest, ["ck_2", "ck_1"]);
    assert_eq!(store.checks_of(&a, 1).unwrap().len(), 1);
    let store = harness.reopen(store);
    assert_eq!(store.check_entry("ck_3").unwrap().unwrap().subject, Some(b));
}
