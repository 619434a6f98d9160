//! The cache of public profiles: an entry answers only for its version and days, is kept only
//! if the log has not moved since the reads it was built from, and goes with every change to
//! what a profile reads.

use std::slice;

use gongxin_core::record::SubjectId;
use gongxin_store::{CachedProfile, Store};

use super::fixtures::{corrected, date, old_org_code, penalty, penalty_for, uscc};
use super::{Harness, actor};

fn entry(subject: &str, body: &str) -> CachedProfile {
    CachedProfile {
        subject: subject.to_owned(),
        version: "v1".into(),
        valid_from: date("2025-01-01"),
        valid_until: Some(date("2025-06-01")),
        body: body.as_bytes().to_vec(),
    }
}

fn cached<S: Store>(store: &S, code: &str) -> Option<String> {
    store
        .cached_profile(code, "v1", date("2025-03-01"))
        .unwrap()
        .map(|body| String::from_utf8(body).unwrap())
}

fn keep<S: Store>(store: &mut S, profile: CachedProfile) {
    let head = store.log_head().unwrap();
    assert!(store.keep_profiles(head, &[profile]).unwrap());
}

pub fn cached_profiles_hold_until_what_they_read_changes<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let first = penalty_for(1, "厦市监罚〔2024〕1号");
    store
        .apply_records(
            &[first.clone(), penalty_for(2, "厦市监罚〔2024〕2号")],
            &actor(0),
        )
        .unwrap();
    let (one, two) = (uscc(1).to_string(), uscc(2).to_string());
    assert_eq!(cached(&store, &one), None);
    keep(&mut store, entry(&one, "一"));

    // Only its version, only its days.
    assert_eq!(cached(&store, &one).as_deref(), Some("一"));
    let on = |day| store.cached_profile(&one, "v1", date(day)).unwrap();
    assert!(on("2025-01-01").is_some() && on("2025-05-31").is_some());
    assert!(on("2024-12-31").is_none() && on("2025-06-01").is_none());
    assert!(
        store
            .cached_profile(&one, "v2", date("2025-03-01"))
            .unwrap()
            .is_none()
    );
    let missing = |store: &H::Store, version| {
        store
            .subjects_without_profile("", version, date("2025-03-01"), 10)
            .unwrap()
    };
    assert_eq!(missing(&store, "v1"), [two.as_str()]);
    assert_eq!(missing(&store, "v2"), [one.as_str(), two.as_str()]);
    assert_eq!(
        store
            .subjects_without_profile(&one, "v2", date("2025-03-01"), 10)
            .unwrap(),
        [two.as_str()]
    );

    // Built before an event that came in since: not kept, whatever subject the event is about.
    let before = store.log_head().unwrap();
    store
        .apply_records(&[penalty_for(3, "厦市监罚〔2024〕3号")], &actor(1))
        .unwrap();
    assert!(!store.keep_profiles(before, &[entry(&two, "二")]).unwrap());
    assert_eq!(cached(&store, &two), None);
    // Kept again, it replaces the entry.
    keep(&mut store, entry(&one, "一之二"));
    assert_eq!(cached(&store, &one).as_deref(), Some("一之二"));

    // An import that re-states the record changes nothing, and the entry stays.
    store
        .apply_records(slice::from_ref(&first), &actor(2))
        .unwrap();
    assert_eq!(cached(&store, &one).as_deref(), Some("一之二"));
    // A correction drops it; the other subject's entry stays.
    keep(&mut store, entry(&two, "二"));
    store
        .apply_records(&[corrected(first, "CF_NR", "警告")], &actor(3))
        .unwrap();
    assert_eq!(cached(&store, &one), None);
    assert_eq!(cached(&store, &two).as_deref(), Some("二"));

    // A record filed under an old code belongs to the subject the code maps to: its entry,
    // also found by the old code, goes when such a record arrives.
    let seven = uscc(7).to_string();
    store
        .apply_records(&[penalty_for(7, "厦市监罚〔2024〕7号")], &actor(4))
        .unwrap();
    keep(&mut store, entry(&seven, "七"));
    let old = old_org_code(7);
    assert_eq!(cached(&store, old.as_str()).as_deref(), Some("七"));
    store
        .apply_records(
            &[penalty(
                SubjectId::OrgCode(old),
                "厦门市老字号贸易公司",
                "厦工商罚〔2014〕7号",
            )],
            &actor(5),
        )
        .unwrap();
    assert_eq!(cached(&store, &seven), None);
    assert_eq!(cached(&store, &two).as_deref(), Some("二"));

    // A new record of a subject drops its entry, also when the batch has several records of
    // it, and whether the subject comes first in the batch or later.
    keep(&mut store, entry(&seven, "七之二"));
    store
        .apply_records(
            &[
                penalty_for(7, "厦市监罚〔2024〕71号"),
                penalty_for(2, "厦市监罚〔2024〕21号"),
                penalty_for(7, "厦市监罚〔2024〕72号"),
            ],
            &actor(6),
        )
        .unwrap();
    assert_eq!(cached(&store, &seven), None);
    assert_eq!(cached(&store, &two), None);
    // Kept again once the batch is in: the store is left with an entry (the PostgreSQL backup
    // round trip needs rows in every table).
    keep(&mut store, entry(&two, "二之二"));
    assert_eq!(cached(&store, &two).as_deref(), Some("二之二"));
}
