//! Credit repair: an approved repair marks its record (已修复), as a projection of the
//! approving step that `verify` checks, and reads as of an earlier point do not see it.

use gongxin_core::event::{EventKind, case_payload};
use gongxin_core::record::PreparedRecord;
use gongxin_core::repair::{Repair, RepairOutcome, RepairStep};
use gongxin_store::{CaseKind, CaseStep, Store};

use super::fixtures::{date, penalty_for};
use super::{Harness, actor, assert_intact};

fn repair(record: gongxin_core::record::RecordId, subject: &str) -> Repair {
    Repair {
        id: "rep_1".into(),
        record,
        subject: subject.to_owned(),
        target: "admin_penalty".into(),
        unit: "11350200MB0000000X".into(),
        filed_on: date("2024-09-02"),
        statement: "罚款已缴清".into(),
        given: Vec::new(),
        review_by: date("2024-09-13"),
        outcome: None,
        decided_on: None,
        reason: None,
        publication_ends: None,
        push_by: None,
        appeals: Vec::new(),
    }
}

pub fn repairs_mark_their_record<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let record = penalty_for(1, "厦市监罚〔2024〕5号");
    let id = record.id();
    let subject = record.subject.to_string();
    store
        .apply(&mut std::iter::once(PreparedRecord::new(record)), &actor(0))
        .unwrap();
    let filed = repair(id, &subject);
    let step = |event, open, state: &Repair, repaired_on, head| CaseStep {
        id: "rep_1",
        kind: CaseKind::Repair,
        event,
        subject: &subject,
        record: id,
        open,
        due: open.then_some(state.review_by),
        payload: case_payload("rep_1", &RepairStep::Filed { on: state.filed_on }, state),
        expected_head: head,
        repaired_on,
    };
    let (filed_seq, _) = store
        .append_case(
            &step(EventKind::RepairFiled, true, &filed, None, None),
            &mut std::iter::empty(),
            &actor(1),
        )
        .unwrap();
    assert_eq!(store.record(&id).unwrap().unwrap().repaired_on, None);
    assert_eq!(store.open_cases(CaseKind::Repair).unwrap().len(), 1);

    // A cached public profile of the subject: the approval must drop it.
    let cached = gongxin_store::CachedProfile {
        subject: subject.clone(),
        version: "v1".into(),
        valid_from: date("2024-09-01"),
        valid_until: None,
        body: b"{}".to_vec(),
    };
    assert!(store.keep_profiles(filed_seq, &[cached]).unwrap());
    let today = date("2024-09-05");
    assert!(
        store
            .cached_profile(&subject, "v1", today)
            .unwrap()
            .is_some()
    );

    let mut approved = filed.clone();
    approved.outcome = Some(RepairOutcome::Approved);
    approved.decided_on = Some(date("2024-09-10"));
    store
        .append_case(
            &step(
                EventKind::RepairDecided,
                false,
                &approved,
                Some(date("2024-09-10")),
                Some(filed_seq),
            ),
            &mut std::iter::empty(),
            &actor(2),
        )
        .unwrap();

    assert_eq!(store.cached_profile(&subject, "v1", today).unwrap(), None);
    let repaired = Some(date("2024-09-10"));
    assert_eq!(store.record(&id).unwrap().unwrap().repaired_on, repaired);
    assert_eq!(store.records_of(&subject).unwrap()[0].repaired_on, repaired);
    let many = store.records_of_many(&[subject.as_str()]).unwrap();
    assert_eq!(many[&subject][0].repaired_on, repaired);
    // As the log stood before the approval, the record was not repaired yet.
    assert_eq!(
        store.records_as_of(&subject, filed_seq).unwrap()[0].repaired_on,
        None
    );
    assert_eq!(
        store.records_as_of(&subject, u64::MAX).unwrap()[0].repaired_on,
        repaired
    );
    assert!(store.open_cases(CaseKind::Repair).unwrap().is_empty());
    assert_eq!(store.all_cases(CaseKind::Repair).unwrap().len(), 1);
    assert!(store.all_cases(CaseKind::Objection).unwrap().is_empty());
    assert_intact(&store, 3);
}
