//! The behaviour every [`Store`] engine must show, written once, generic over the engine.
//!
//! An engine's test file declares `mod conformance;`, implements [`Harness`] and runs every
//! function here as its own `#[test]`. It lives under `tests/` rather than in the library
//! behind a feature: all engines are in this crate, so nothing outside needs it, and the
//! library ships no test code.

mod attachments;
pub mod fixtures;
mod mail;
mod profiles;
mod repairs;

use std::slice;

use gongxin_core::access::Principal;
use gongxin_core::event::{EventKind, Hash, case_payload, case_state};
use gongxin_core::record::{Change, PreparedRecord, RecordId, RecordStatus, SubjectId};
use gongxin_store::{
    Actor, ApiKey, Attempt, AuditEntry, AuditQuery, CaseKind, CaseStep, CheckEntry, CheckTally,
    Counts, DeliveryQuery, DeliveryStatus, DispatchPosition, Feedback, FeedbackOutcome,
    MeasureTally, NewDelivery, RecordPosition, RecordRange, Store, StoreError, Subscription,
    TypicalCase, Verification,
};

pub use attachments::attachments_are_stored_once_by_content;
use fixtures::{
    company, corrected, date, old_org_code, penalty, penalty_for, reg_no, revoked, uscc,
};
pub use mail::mails_are_planned_once_per_event_and_party;
pub use profiles::cached_profiles_hold_until_what_they_read_changes;
pub use repairs::repairs_mark_their_record;

/// Declares one `#[test]` per conformance function, each running it on the harness that
/// `$harness(test_name)` returns; `None` means the engine is not available here (the harness
/// said why), and the test passes without running. Every engine's test file invokes it once,
/// so that every engine runs the same list: a new conformance function goes here, and only
/// here.
macro_rules! suite {
    ($harness:path) => {
        $crate::conformance::suite!(@tests $harness;
            record_lifecycle,
            repairs_mark_their_record,
            records_found_by_old_code,
            old_code_records_arriving_later,
            duplicate_keys_in_one_batch,
            failed_batch_leaves_nothing,
            persists_across_reopen,
            corrections_move_and_rename,
            absent_things_are_empty,
            large_batches,
            subjects_across_chunks_and_batches,
            old_codes_given_in_rows_map_to_the_subject,
            keys_are_found_by_secret_digest_and_revoked,
            the_audit_log_appends_and_filters,
            arrivals_count_records_by_day,
            subjects_are_walked_in_code_order,
            cases_are_steps_in_the_log,
            the_check_log_appends_once,
            subscriptions_and_their_deliveries,
            feedback_is_reported_once_and_tallied,
            the_typical_case_register_publishes_once,
            records_of_many_agrees_with_records_of,
            records_are_paged_newest_first_by_item,
            records_and_subject_codes_are_looked_up_many_at_once,
            attachments_are_stored_once_by_content,
            mails_are_planned_once_per_event_and_party,
            cached_profiles_hold_until_what_they_read_changes,
        );
    };
    (@tests $harness:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(mut harness) = $harness(stringify!($name)) {
                    $crate::conformance::$name(&mut harness);
                }
            }
        )*
    };
}
pub(crate) use suite;

/// How a test gets stores of one engine.
pub trait Harness {
    type Store: Store;
    /// A new, empty store of its own.
    fn create(&mut self) -> Self::Store;
    /// Closes `store` and opens the same database again.
    fn reopen(&mut self, store: Self::Store) -> Self::Store;
}

const AT: i64 = 1_709_251_200_000_000; // 2024-03-01T00:00:00Z

pub(crate) fn actor(offset_s: i64) -> Actor<'static> {
    Actor {
        name: "350200-scjg",
        at_us: AT + offset_s * 1_000_000,
    }
}

fn verify<S: Store>(store: &S) -> Verification {
    store.verify(&mut |_| {}).expect("verification runs")
}

pub(crate) fn assert_intact<S: Store>(store: &S, events: u64) {
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
    assert_eq!(store.subject_code(old.as_str()).unwrap(), code);
    assert_eq!(store.subject_code(&code).unwrap(), code);
    assert_eq!(
        store.subject_code("91350200MA00000019").unwrap(),
        "91350200MA00000019",
        "a code no record names stands for itself"
    );
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
    assert_eq!(store.records_of(uscc(31).as_str()).unwrap().len(), 2);
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

/// A batch several times larger than a write chunk (PostgreSQL decides 4,096 records at a
/// time), then more batches on the same store: a subject renamed in one chunk and back in a
/// later one, an old code claimed again chunks after its first mapping, a record repeated
/// chunks apart — and a refused batch, after which the store assumes nothing it did to the
/// subjects (an engine that remembers subjects across batches must forget what a rolled-back
/// batch taught it).
pub fn subjects_across_chunks_and_batches<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let other_name = "厦门市新名称贸易有限公司";
    let mut batch: Vec<_> = (0..10_000u32)
        .map(|n| {
            let mut record = penalty_for(n % 50 + 1, &format!("厦市监罚〔2025〕{n}号"));
            // Subject 3 is renamed in the second chunk and renamed back in the third.
            if n % 50 == 2 && (5_000..8_200).contains(&n) {
                other_name.clone_into(&mut record.subject_name);
            }
            record
        })
        .collect();
    // Subject 1 gives a registration number in the first chunk; subject 2 claims it in the
    // third: the first mapping stays.
    batch[0].old_codes = vec![SubjectId::RegNo(reg_no())];
    batch[9_001].old_codes = vec![SubjectId::RegNo(reg_no())];
    batch.push(batch[7].clone());
    batch.push(corrected(batch[8].clone(), "CF_NR", "警告"));
    let changes = store.apply_records(&batch, &actor(0)).unwrap();
    assert!(changes[..10_000].iter().all(|c| *c == Change::Submitted));
    assert_eq!(changes[10_000..], [Change::Unchanged, Change::Corrected]);
    let owner = store.subject(reg_no().as_ref()).unwrap().expect("mapped");
    assert_eq!(owner.code, uscc(1).to_string());
    let renamed = store.subject(uscc(3).as_str()).unwrap().unwrap();
    assert_eq!(renamed.name, company(3));
    assert_eq!(renamed.names, [company(3), other_name.to_owned()]);
    assert_eq!(store.records_of(uscc(3).as_str()).unwrap().len(), 200);

    // Refused after it renamed subject 4 and created subject 60 inside its transaction.
    let mut renaming = penalty_for(4, "厦市监罚〔2026〕1号");
    renaming.subject_name = "厦门市未成名称有限公司".to_owned();
    let refused = [
        renaming,
        penalty_for(60, "厦市监罚〔2026〕2号"),
        penalty_for(61, ""),
    ];
    assert!(store.apply_records(&refused, &actor(1)).is_err());
    let after = [
        penalty_for(4, "厦市监罚〔2026〕3号"),
        penalty_for(60, "厦市监罚〔2026〕4号"),
    ];
    assert_eq!(
        store.apply_records(&after, &actor(2)).unwrap(),
        [Change::Submitted, Change::Submitted]
    );
    assert_eq!(
        store.subject(uscc(4).as_str()).unwrap().unwrap().names,
        [company(4)]
    );
    let created = store.subject(uscc(60).as_str()).unwrap().expect("created");
    assert_eq!(created.name, company(60));
    assert_eq!(store.records_of(uscc(60).as_str()).unwrap().len(), 1);
    let counts = store.counts().unwrap();
    assert_eq!((counts.subjects, counts.records), (51, 10_002));
    assert_intact(&store, 10_003);
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
        repaired_on: None,
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
    let open: Vec<String> = store
        .open_cases(CaseKind::Listing)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(open, [case]);

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

    assert!(store.open_cases(CaseKind::Listing).unwrap().is_empty());
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

fn subscription(id: &str, unit: &str, after_seq: u64) -> Subscription {
    Subscription {
        id: id.to_owned(),
        unit: unit.to_owned(),
        key_id: "kdept".to_owned(),
        url: "http://127.0.0.1:9/hook".to_owned(),
        scenarios: vec!["bidding".to_owned(), "government_procurement".to_owned()],
        purpose: "招标投标资格审查".to_owned(),
        after_seq,
        created_at_us: AT,
        revoked_at_us: None,
    }
}

fn delivery_of(subscription: &str, seq: u64, on: Option<&str>) -> NewDelivery {
    NewDelivery {
        subscription: subscription.to_owned(),
        subject: uscc(1).to_string(),
        seq,
        kind: match on {
            Some(_) => "entry_expired".to_owned(),
            None => "record_submitted".to_owned(),
        },
        record: Some(penalty_for(1, "罚1").id()),
        on: on.map(date),
        reasons: r#"[{"why":"scenario","scenario":"bidding"}]"#.to_owned(),
        created_at_us: AT,
    }
}

/// Subscriptions keep their secret apart; deliveries are enqueued once per event (or notice)
/// and subscription, together with the dispatcher's position; attempts move them from
/// pending to delivered or, after the last, to the dead letters, from which a replay takes
/// them back; a revoked subscription has nothing due.
pub fn subscriptions_and_their_deliveries<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    assert_eq!(
        store.dispatch_position().unwrap(),
        DispatchPosition::default()
    );
    let a = subscription("sub_a", "11350200MB0000000X", 0);
    let b = subscription("sub_b", "11350200MB0000001X", 0);
    store
        .add_subscription(&a, &format!("whsec_{}", "a".repeat(64)))
        .unwrap();
    store
        .add_subscription(&b, &format!("whsec_{}", "b".repeat(64)))
        .unwrap();
    assert!(matches!(
        store.add_subscription(&a, &format!("whsec_{}", "c".repeat(64))),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.subscription("sub_a").unwrap(), Some(a.clone()));
    assert_eq!(store.subscription("nope").unwrap(), None);
    assert_eq!(
        store.subscription_secret("sub_b").unwrap(),
        Some(format!("whsec_{}", "b".repeat(64)))
    );
    assert_eq!(store.subscriptions().unwrap(), [a.clone(), b.clone()]);

    let position = DispatchPosition {
        event_seq: 7,
        expiry_through: Some(date("2025-10-15")),
    };
    let batch = [
        delivery_of("sub_a", 5, None),
        delivery_of("sub_b", 5, None),
        delivery_of("sub_a", 7, None),
        delivery_of("sub_a", 7, Some("2025-10-15")),
    ];
    assert_eq!(store.enqueue_deliveries(&batch, &position).unwrap(), 4);
    assert_eq!(store.dispatch_position().unwrap(), position);
    // The same event or notice again, for the same subscription: nothing new.
    let again = [
        delivery_of("sub_a", 5, None),
        delivery_of("sub_a", 8, Some("2025-10-15")),
        delivery_of("sub_a", 8, Some("2025-10-16")),
    ];
    let later = DispatchPosition {
        event_seq: 9,
        ..position
    };
    assert_eq!(store.enqueue_deliveries(&again, &later).unwrap(), 1);
    assert_eq!(store.dispatch_position().unwrap(), later);

    let due = store.due_deliveries(AT, 10).unwrap();
    assert_eq!(due.len(), 5);
    assert!(
        due.iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    assert_eq!(due.iter().filter(|d| d.subscription == "sub_a").count(), 4);
    let first = due[0].clone();
    assert_eq!(
        (first.seq, first.on, first.kind.as_str(), first.record),
        (
            5,
            None,
            "record_submitted",
            Some(penalty_for(1, "罚1").id())
        )
    );
    assert_eq!(first.subject, uscc(1).to_string());
    assert!(store.due_deliveries(AT - 1, 10).unwrap().is_empty());
    // At most so many of each subscription, its oldest: a backlog holds up nobody else.
    let one_each: Vec<(String, u64)> = store
        .due_deliveries(AT, 1)
        .unwrap()
        .into_iter()
        .map(|d| (d.subscription, d.seq))
        .collect();
    assert_eq!(one_each, [("sub_a".to_owned(), 5), ("sub_b".to_owned(), 5)]);

    // A failure puts it off; delivered ones are done.
    assert!(
        store
            .settle_delivery(
                first.id,
                &Attempt::Failed {
                    at_us: AT,
                    error: "HTTP 500".to_owned(),
                    retry_at_us: Some(AT + 1_000),
                },
            )
            .unwrap()
    );
    assert!(
        store
            .settle_delivery(due[1].id, &Attempt::Delivered { at_us: AT })
            .unwrap()
    );
    assert!(
        !store
            .settle_delivery(due[1].id, &Attempt::Delivered { at_us: AT })
            .unwrap(),
        "settled already"
    );
    let now: Vec<u64> = store
        .due_deliveries(AT, 10)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert!(!now.contains(&first.id) && !now.contains(&due[1].id));
    let retried = store.due_deliveries(AT + 1_000, 10).unwrap();
    let retried = retried.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!(
        (retried.attempts, retried.last_error.as_deref()),
        (1, Some("HTTP 500"))
    );
    // The last attempt fails: dead, and in the dead-letter view.
    store
        .settle_delivery(
            first.id,
            &Attempt::Failed {
                at_us: AT + 1_000,
                error: "timed out".to_owned(),
                retry_at_us: None,
            },
        )
        .unwrap();
    let dead = store
        .deliveries(&DeliveryQuery {
            subscription: Some("sub_a".to_owned()),
            status: Some(DeliveryStatus::Dead),
            after_id: 0,
            limit: 10,
        })
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].id, dead[0].attempts, dead[0].last_error.as_deref()),
        (first.id, 2, Some("timed out"))
    );
    let delivered = store
        .deliveries(&DeliveryQuery {
            status: Some(DeliveryStatus::Delivered),
            limit: 10,
            ..DeliveryQuery::default()
        })
        .unwrap();
    assert_eq!(delivered[0].delivered_at_us, Some(AT));
    let paged = store
        .deliveries(&DeliveryQuery {
            subscription: Some("sub_a".to_owned()),
            after_id: first.id,
            limit: 2,
            ..DeliveryQuery::default()
        })
        .unwrap();
    assert_eq!(paged.len(), 2);
    assert!(
        paged
            .iter()
            .all(|d| d.id > first.id && d.subscription == "sub_a")
    );

    // Replay: the dead ones, then everything from a position.
    assert_eq!(store.requeue_deliveries("sub_a", None, AT + 5).unwrap(), 1);
    let requeued = store.due_deliveries(AT + 5, 10).unwrap();
    let back = requeued.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!((back.status, back.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!(store.requeue_deliveries("sub_a", None, AT + 6).unwrap(), 0);
    assert_eq!(
        store.requeue_deliveries("sub_a", Some(7), AT + 6).unwrap(),
        3
    );

    // Revoked: nothing of it is due, and it says so.
    assert!(store.revoke_subscription("sub_a", AT + 7).unwrap());
    assert!(!store.revoke_subscription("sub_a", AT + 8).unwrap());
    let store = harness.reopen(store);
    let due = store.due_deliveries(AT + 1_000_000, 10).unwrap();
    assert!(due.iter().all(|d| d.subscription == "sub_b"), "{due:?}");
    assert_eq!(due.len(), 0, "sub_b's one delivery was delivered");
    assert_eq!(
        store.subscription("sub_a").unwrap().unwrap().revoked_at_us,
        Some(AT + 7)
    );
    assert_eq!(store.dispatch_position().unwrap(), later);
}

/// A check log entry whose answer returned `measures` (id, suspended) and `rewards`.
fn answered(receipt: &str, unit: &str, at: i64, measures: &[(&str, bool)]) -> CheckEntry {
    let listed: Vec<serde_json::Value> = measures
        .iter()
        .map(|(id, suspended)| serde_json::json!({"id": id, "suspended": suspended}))
        .collect();
    CheckEntry {
        receipt: receipt.to_owned(),
        at_us: AT + at,
        key_id: Some("kdept".to_owned()),
        unit: Some(unit.to_owned()),
        subject: Some(uscc(1).to_string()),
        scenario: "bidding".to_owned(),
        purpose: "招标资格审查".to_owned(),
        log_seq: 3,
        measures_version: "2026.11.1".to_owned(),
        request: "{}".to_owned(),
        answer: serde_json::json!({
            "measures": listed,
            "rewards": [{"id": "credit_bonus", "suspended": false}],
        })
        .to_string(),
    }
}

fn report(receipt: &str, unit: &str, measure: &str, outcome: FeedbackOutcome) -> Feedback {
    Feedback {
        seq: 0,
        receipt: receipt.to_owned(),
        measure: measure.to_owned(),
        outcome,
        reason: (outcome == FeedbackOutcome::NotApplicable)
            .then(|| "合同已于核查前签订".to_owned()),
        unit: unit.to_owned(),
        subject: Some(uscc(1).to_string()),
        key_id: Some("kdept".to_owned()),
        at_us: AT + 100,
    }
}

/// Feedback is one report per receipt and measure, about a check in the log; the tallies
/// count checks by scenario and unit, and the measures answers returned against the reports.
pub fn feedback_is_reported_once_and_tallied<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let (a, b) = ("11350200MB0000000X", "11350200MB0000001X");
    store
        .append_check(&answered("ck_1", a, 0, &[("restrict", false)]))
        .unwrap();
    store
        .append_check(&answered(
            "ck_2",
            a,
            10,
            &[("restrict", true), ("review", false)],
        ))
        .unwrap();
    store
        .append_check(&answered("ck_3", b, 20, &[("restrict", false)]))
        .unwrap();

    let first = store
        .append_feedback(&report("ck_1", a, "restrict", FeedbackOutcome::Applied))
        .unwrap();
    let second = store
        .append_feedback(&report("ck_2", a, "review", FeedbackOutcome::NotApplicable))
        .unwrap();
    assert!(first < second);
    assert!(matches!(
        store.append_feedback(&report(
            "ck_1",
            a,
            "restrict",
            FeedbackOutcome::NotApplicable
        )),
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .append_feedback(&report("ck_9", a, "restrict", FeedbackOutcome::Applied))
            .is_err(),
        "feedback is about a check in the log"
    );
    let on_second = store.feedback_of("ck_2").unwrap();
    assert_eq!(
        on_second,
        [Feedback {
            seq: second,
            ..report("ck_2", a, "review", FeedbackOutcome::NotApplicable)
        }]
    );
    assert!(store.feedback_of("ck_3").unwrap().is_empty());

    let checks = store.check_tallies(None, None).unwrap();
    assert_eq!(
        checks,
        [
            CheckTally {
                scenario: "bidding".to_owned(),
                unit: Some(a.to_owned()),
                checks: 2
            },
            CheckTally {
                scenario: "bidding".to_owned(),
                unit: Some(b.to_owned()),
                checks: 1
            },
        ]
    );
    let tally = |tallies: &[MeasureTally], measure: &str, unit: &str| {
        tallies
            .iter()
            .find(|t| t.measure == measure && t.unit.as_deref() == Some(unit))
            .cloned()
            .unwrap_or_default()
    };
    let measures = store.measure_tallies(None, None).unwrap();
    let restrict_a = tally(&measures, "restrict", a);
    assert_eq!(
        (
            restrict_a.returned,
            restrict_a.suspended,
            restrict_a.applied,
            restrict_a.not_applicable
        ),
        (2, 1, 1, 0)
    );
    let review_a = tally(&measures, "review", a);
    assert_eq!((review_a.returned, review_a.not_applicable), (1, 1));
    assert_eq!(tally(&measures, "restrict", b).returned, 1);
    assert_eq!(
        tally(&measures, "credit_bonus", a).returned,
        2,
        "rewards count too"
    );
    assert_eq!(measures.len(), 5);

    // A period counts the checks made in it, and the feedback on them.
    let late = store.measure_tallies(Some(AT + 10), None).unwrap();
    let restrict_a = tally(&late, "restrict", a);
    assert_eq!((restrict_a.returned, restrict_a.applied), (1, 0));
    assert_eq!(
        store
            .check_tallies(Some(AT), Some(AT + 10))
            .unwrap()
            .iter()
            .map(|t| t.checks)
            .sum::<u64>(),
        1
    );
    let store = harness.reopen(store);
    assert_eq!(store.feedback_of("ck_1").unwrap()[0].seq, first);
}

fn typical(id: &str, published: bool) -> TypicalCase {
    TypicalCase {
        id: id.to_owned(),
        title: "拒不履行行政处罚决定被列入严重失信主体名单".to_owned(),
        subject: uscc(1).to_string(),
        subject_name: company(1),
        records: vec![penalty_for(1, "罚1").id().to_string()],
        cases: vec!["lst_1".to_owned()],
        summary_zh: "该公司拒不履行生效处罚决定，经告知、异议和认定程序列入名单。".to_owned(),
        published,
        published_at_us: published.then_some(AT),
        created_at_us: AT,
        created_by: "admin (key k1)".to_owned(),
    }
}

/// The register keeps entries as written; publication is the one change, made once.
pub fn the_typical_case_register_publishes_once<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    store.add_typical_case(&typical("tc_1", false)).unwrap();
    store.add_typical_case(&typical("tc_2", true)).unwrap();
    assert!(matches!(
        store.add_typical_case(&typical("tc_1", true)),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.typical_cases(false).unwrap(),
        [typical("tc_1", false), typical("tc_2", true)]
    );
    assert_eq!(store.typical_cases(true).unwrap(), [typical("tc_2", true)]);
    assert!(store.publish_typical_case("tc_1", AT + 5).unwrap());
    assert!(!store.publish_typical_case("tc_1", AT + 6).unwrap());
    assert!(!store.publish_typical_case("tc_9", AT + 6).unwrap());
    let store = harness.reopen(store);
    let published = store.typical_cases(true).unwrap();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].published_at_us, Some(AT + 5));
}

/// Many subjects' records at once are each subject's records, old codes included.
pub fn records_of_many_agrees_with_records_of<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let mut records: Vec<_> = (1..=4)
        .map(|n| penalty_for(n, &format!("厦市监罚〔2024〕{n}号")))
        .collect();
    // A record filed under the old organisation code of subject 1.
    records.push(penalty(
        SubjectId::OrgCode(old_org_code(1)),
        &company(1),
        "厦市监罚〔2015〕1号",
    ));
    store.apply_records(&records, &actor(0)).unwrap();
    let codes: Vec<String> = (1..=3).map(|n| uscc(n).to_string()).collect();
    let mut asked: Vec<&str> = codes.iter().map(String::as_str).collect();
    asked.push("91350200MA00000019");
    let many = store.records_of_many(&asked).unwrap();
    assert_eq!(many.len(), 3);
    for code in &codes {
        let one: Vec<RecordId> = store
            .records_of(code)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        let together: Vec<RecordId> = many[code].iter().map(|r| r.id).collect();
        assert_eq!(one, together, "{code}");
    }
    assert_eq!(
        many[&codes[0]].len(),
        2,
        "the old code's record counts for its USCC"
    );
}

pub fn records_are_paged_newest_first_by_item<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let on = |mut record: gongxin_core::record::Record, day: &str| {
        record.decision_date = date(day);
        record
    };
    let mut records = vec![
        on(penalty_for(1, "厦市监罚〔2024〕1号"), "2024-03-01"),
        // Two on one day: the one stored later comes first.
        on(penalty_for(1, "厦市监罚〔2024〕2号"), "2024-05-01"),
        on(penalty_for(1, "厦市监罚〔2024〕3号"), "2024-05-01"),
        on(penalty_for(1, "厦市监罚〔2023〕9号"), "2023-12-31"),
        // Filed under the subject's old code, older than the rest.
        on(
            penalty(
                SubjectId::OrgCode(old_org_code(1)),
                &company(1),
                "厦市监罚〔2015〕1号",
            ),
            "2015-07-01",
        ),
        // Another subject's penalty, and the subject's record of another item.
        on(penalty_for(2, "厦市监罚〔2024〕4号"), "2024-04-01"),
    ];
    let mut license = on(penalty_for(1, "厦市监许〔2024〕1号"), "2024-06-01");
    license.key.item = "XK".to_owned();
    records.push(license);
    store.apply_records(&records, &actor(0)).unwrap();

    let code = uscc(1).to_string();
    let numbers = |page: &[gongxin_store::StoredRecord]| -> Vec<String> {
        page.iter()
            .map(|r| r.record.key.document_no.clone())
            .collect()
    };
    let all_penalties: Vec<String> = store
        .records_of(&code)
        .unwrap()
        .iter()
        .filter(|r| r.record.key.item == "CF")
        .map(|r| r.record.key.document_no.clone())
        .collect();
    assert_eq!(
        all_penalties,
        [
            "厦市监罚〔2024〕3号",
            "厦市监罚〔2024〕2号",
            "厦市监罚〔2024〕1号",
            "厦市监罚〔2023〕9号",
            "厦市监罚〔2015〕1号"
        ]
    );

    // Pages of two, each after the last one's end, give the same records in the same order.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let range = RecordRange {
            items: &["CF"],
            from: None,
            to: None,
            after,
            per_item: 2,
        };
        let page = store.records_page(&code, &range).unwrap();
        assert!(page.len() <= 2);
        paged.extend(numbers(&page));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(RecordPosition::of(last)),
            _ => break,
        }
    }
    assert_eq!(paged, all_penalties);

    // By the old code as well; dates bound it inclusively; another item is apart.
    let range = RecordRange {
        items: &["CF"],
        from: Some(date("2015-07-01")),
        to: Some(date("2024-03-01")),
        after: None,
        per_item: 10,
    };
    assert_eq!(
        numbers(
            &store
                .records_page(old_org_code(1).as_str(), &range)
                .unwrap()
        ),
        [
            "厦市监罚〔2024〕1号",
            "厦市监罚〔2023〕9号",
            "厦市监罚〔2015〕1号"
        ]
    );
    let licenses = RecordRange {
        items: &["XK"],
        ..range
    };
    assert!(store.records_page(&code, &licenses).unwrap().is_empty());
    // The limit is per item: the newest of each, newest first.
    let both = RecordRange {
        items: &["CF", "XK"],
        to: None,
        per_item: 1,
        ..range
    };
    assert_eq!(
        numbers(&store.records_page(&code, &both).unwrap()),
        ["厦市监许〔2024〕1号", "厦市监罚〔2024〕3号"]
    );
    // However many items are asked for, the same records in the same order; and none when
    // no item is.
    let mut many: Vec<String> = (0..600).map(|n| format!("ITEM{n}")).collect();
    many[0] = "CF".to_owned();
    many[599] = "XK".to_owned();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let wide = RecordRange {
        items: &many,
        ..both
    };
    assert_eq!(
        numbers(&store.records_page(&code, &wide).unwrap()),
        ["厦市监许〔2024〕1号", "厦市监罚〔2024〕3号"]
    );
    let no_items = RecordRange { items: &[], ..both };
    assert!(store.records_page(&code, &no_items).unwrap().is_empty());
    let nobody = RecordRange {
        items: &["CF"],
        from: None,
        to: None,
        after: None,
        per_item: 10,
    };
    assert!(
        store
            .records_page("91350200MA00000019", &nobody)
            .unwrap()
            .is_empty()
    );
}

pub fn records_and_subject_codes_are_looked_up_many_at_once<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let old = old_org_code(1);
    let records = vec![
        penalty_for(1, "厦市监罚〔2024〕1号"),
        penalty_for(2, "厦市监罚〔2024〕2号"),
        penalty(SubjectId::OrgCode(old), &company(1), "厦市监罚〔2015〕1号"),
    ];
    store.apply_records(&records, &actor(0)).unwrap();
    let absent = penalty_for(3, "厦市监罚〔2024〕3号").id();
    let ids = [records[0].id(), records[2].id(), absent];
    let found = store.records_by_id(&ids).unwrap();
    assert_eq!(found.len(), 2, "the absent one is left out");
    for id in &ids[..2] {
        let one = store.record(id).unwrap().unwrap();
        let many = &found[id];
        assert_eq!(
            (many.id, many.first_seq, many.head_seq, &many.record.key),
            (one.id, one.first_seq, one.head_seq, &one.record.key)
        );
    }

    let code = uscc(1).to_string();
    let unknown = "91350200MA00000019";
    let codes = store
        .subject_codes(&[old.as_str(), code.as_str(), unknown])
        .unwrap();
    assert_eq!(codes.len(), 3);
    assert_eq!(codes[old.as_str()], code);
    assert_eq!(codes[code.as_str()], code);
    assert_eq!(codes[unknown], unknown);
}
