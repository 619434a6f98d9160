//! The list types and measures list as data, and the check that applies them.

mod common;

use common::{date, record};
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::{
    AppliedMeasure, CheckError, Discipline, HeldRecord, HitKind, ListKind, MeasureClass, check,
};
use gongxin_core::record::{Record, RecordStatus};

const LISTS: &str = include_str!("../../../catalog/lists.toml");
const MEASURES: &str = include_str!("../../../catalog/measures.toml");

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn held(record: &Record) -> HeldRecord<'_> {
    HeldRecord {
        id: record.id(),
        record,
        status: record.status,
        under_objection: false,
        repaired_on: None,
    }
}

fn measure_ids<'a>(outcome: &[AppliedMeasure<'a>]) -> Vec<&'a str> {
    outcome.iter().map(|m| m.measure.id.as_str()).collect()
}

#[test]
fn the_embedded_lists_and_measures_load_and_cover_the_required_scenarios() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    for list in [
        "serious_dishonesty",
        "abnormal_operation",
        "key_attention",
        "dishonest_debtor",
        "red_list",
    ] {
        let list = discipline.list(list).unwrap();
        assert!(!list.basis.is_empty() && !list.removal_conditions_zh.is_empty());
    }
    for scenario in [
        "government_procurement",
        "bidding",
        "fiscal_funds",
        "admin_licensing",
        "executive_qualification",
        "state_land_assets",
        "honours",
        "financing",
        "customs",
        "sector_permits",
    ] {
        let covered = discipline
            .measures
            .iter()
            .any(|m| m.scenarios.iter().any(|s| s == scenario));
        assert!(covered, "no measure for scenario {scenario}");
    }
    for measure in &discipline.measures {
        assert!(measure.basis.iter().all(|b| b.article.is_some()));
    }
    let rewards: Vec<_> = discipline
        .measures
        .iter()
        .filter(|m| m.class == MeasureClass::Reward)
        .map(|m| m.id.as_str())
        .collect();
    for reward in ["green_channel", "tolerance_acceptance", "fewer_inspections"] {
        assert!(rewards.contains(&reward), "{reward} missing");
    }
    assert_eq!(discipline.list("red_list").unwrap().kind, ListKind::Red);
}

/// Loads the embedded measures with one edit applied, expecting a refusal that names `why`.
fn refused(from: &str, to: &str, why: &str) {
    let catalog = catalog();
    assert!(MEASURES.contains(from), "fixture text `{from}` not found");
    let edited = MEASURES.replacen(from, to, 1);
    let error = Discipline::from_sources(LISTS, &edited, &catalog)
        .unwrap_err()
        .to_string();
    assert!(error.contains(why), "{error}");
}

#[test]
fn disproportionate_or_baseless_measures_are_refused_at_load() {
    // A rights-reducing measure may not follow the key-attention list.
    refused(
        "[[measures.triggers]]\nlist = \"abnormal_operation\"\n\n[[measures.triggers]]\nlist = \"serious_dishonesty\"\n\n[[measures]]\nid = \"executive_bar_serious_list\"",
        "[[measures.triggers]]\nlist = \"key_attention\"\n\n[[measures.triggers]]\nlist = \"serious_dishonesty\"\n\n[[measures]]\nid = \"executive_bar_serious_list\"",
        "过惩相当",
    );
    // Market measures cannot be made mandatory.
    refused(
        "class = \"market\"\nmandatory = false",
        "class = \"market\"\nmandatory = true",
        "cannot be mandatory",
    );
    // A basis without its article.
    refused("article = \"第十九条\"\n", "", "must name the article");
    // A trigger naming severity the list does not have.
    refused(
        "[[measures.triggers]]\nlist = \"abnormal_operation\"\n",
        "[[measures.triggers]]\nlist = \"abnormal_operation\"\nmin_severity = \"serious\"\n",
        "could never apply",
    );
    // Rewards follow red lists only.
    refused(
        "[[measures.triggers]]\nlist = \"red_list\"\n\n[[measures]]\nid = \"tolerance_acceptance\"",
        "[[measures.triggers]]\nlist = \"serious_dishonesty\"\n\n[[measures]]\nid = \"tolerance_acceptance\"",
        "a reward cannot follow",
    );
    // A scenario that is not defined.
    refused(
        "scenarios = [\"customs\"]",
        "scenarios = [\"customs_clearance\"]",
        "customs_clearance",
    );
}

#[test]
fn a_serious_dishonesty_entry_restricts_procurement_with_its_basis() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let entry = record(
        "serious_dishonesty",
        "厦市监信〔2025〕1号",
        "2025-06-10",
        &[("YZSX_YXQZ", "2028-06-09")],
    );
    let outcome = check(
        &discipline,
        &catalog,
        "government_procurement",
        date("2026-01-05"),
        &[held(&entry)],
    )
    .unwrap();
    assert_eq!(outcome.hits.len(), 1);
    assert!(
        matches!(&outcome.hits[0].kind, HitKind::ListEntry { list, .. } if list == "serious_dishonesty")
    );
    assert_eq!(
        measure_ids(&outcome.measures),
        ["public_resources_restriction"]
    );
    let applied = &outcome.measures[0];
    assert!(applied.measure.mandatory && !applied.suspended);
    assert_eq!(
        applied.measure.basis[0].article.as_deref(),
        Some("第十八条")
    );
    assert_eq!(applied.triggered_by, [entry.id()]);
}

#[test]
fn an_entry_is_in_force_to_its_last_day_and_not_a_day_longer() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let entry = record(
        "serious_dishonesty",
        "厦市监信〔2025〕2号",
        "2025-06-10",
        &[("YZSX_YXQZ", "2026-06-09")],
    );
    let on = |day: &str| {
        check(&discipline, &catalog, "bidding", date(day), &[held(&entry)])
            .unwrap()
            .measures
            .len()
    };
    assert_eq!(on("2025-06-09"), 0, "not before it is decided");
    assert_eq!(on("2025-06-10"), 1);
    assert_eq!(on("2026-06-09"), 1, "in force on its last day");
    assert_eq!(on("2026-06-10"), 0, "expired the day after");

    // Without its own end, the list's maximum (3 years) ends it.
    let open = record(
        "serious_dishonesty",
        "厦市监信〔2025〕3号",
        "2025-06-10",
        &[],
    );
    let open_on = |day: &str| {
        check(&discipline, &catalog, "bidding", date(day), &[held(&open)])
            .unwrap()
            .measures
            .len()
    };
    assert_eq!(open_on("2028-06-09"), 1);
    assert_eq!(open_on("2028-06-10"), 0);

    // Removed early: out from the removal day on.
    let removed = record(
        "serious_dishonesty",
        "厦市监信〔2025〕4号",
        "2025-06-10",
        &[("YZSX_YXQZ", "2028-06-09"), ("YZSX_YCRQ", "2026-02-02")],
    );
    let removed_on = |day: &str| {
        check(
            &discipline,
            &catalog,
            "bidding",
            date(day),
            &[held(&removed)],
        )
        .unwrap()
        .measures
        .len()
    };
    assert_eq!(removed_on("2026-02-01"), 1);
    assert_eq!(removed_on("2026-02-02"), 0);

    // A revoked entry never counts.
    let mut revoked = entry.clone();
    revoked.status = RecordStatus::Revoked;
    let outcome = check(
        &discipline,
        &catalog,
        "bidding",
        date("2025-12-01"),
        &[held(&revoked)],
    )
    .unwrap();
    assert!(outcome.hits.is_empty() && outcome.measures.is_empty());
}

#[test]
fn a_hit_under_objection_is_shown_but_suspended() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let entry = record("dishonest_debtor", "(2025)闽0203执123号", "2025-03-01", &[]);
    let mut objected = held(&entry);
    objected.under_objection = true;
    let outcome = check(
        &discipline,
        &catalog,
        "financing",
        date("2025-09-01"),
        &[objected],
    )
    .unwrap();
    assert!(outcome.hits[0].suspended);
    assert!(!outcome.measures.is_empty());
    assert!(outcome.measures.iter().all(|m| m.suspended));

    // A second, unobjected entry keeps the measure enforced.
    let other = record("dishonest_debtor", "(2025)闽0203执124号", "2025-04-01", &[]);
    let outcome = check(
        &discipline,
        &catalog,
        "financing",
        date("2025-09-01"),
        &[objected, held(&other)],
    )
    .unwrap();
    assert_eq!(outcome.hits.len(), 2);
    assert!(outcome.measures.iter().all(|m| !m.suspended));
}

#[test]
fn measures_follow_only_the_lists_they_name() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let watched = record("key_attention", "厦市监关〔2025〕1号", "2025-06-10", &[]);
    let on = date("2025-10-01");
    // The key-attention list brings closer supervision …
    let supervision = check(&discipline, &catalog, "supervision", on, &[held(&watched)]).unwrap();
    assert_eq!(measure_ids(&supervision.measures), ["key_supervision"]);
    // … and nothing in procurement, bidding or financing (过惩相当).
    for scenario in ["government_procurement", "bidding", "financing", "honours"] {
        let outcome = check(&discipline, &catalog, scenario, on, &[held(&watched)]).unwrap();
        assert!(
            outcome.measures.is_empty(),
            "{scenario}: {:?}",
            measure_ids(&outcome.measures)
        );
    }
    // The abnormal-operation list restricts procurement but does not bar executives.
    let abnormal = record(
        "abnormal_operation",
        "厦市监异〔2025〕1号",
        "2025-06-10",
        &[],
    );
    let executives = check(
        &discipline,
        &catalog,
        "executive_qualification",
        on,
        &[held(&abnormal)],
    )
    .unwrap();
    assert!(executives.measures.is_empty());
    assert_eq!(executives.hits.len(), 1, "the entry is still shown");
}

#[test]
fn penalty_records_trigger_by_kind_basis_and_age() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let revocation = record(
        "admin_penalty",
        "厦市监罚〔2023〕9号",
        "2023-05-04",
        &[
            ("CF_CFLB", "吊销许可证件;罚款"),
            ("CF_YJ", "《中华人民共和国食品安全法》第一百二十四条"),
        ],
    );
    let fine = record(
        "admin_penalty",
        "厦市监罚〔2023〕10号",
        "2023-05-04",
        &[
            ("CF_CFLB", "罚款"),
            ("CF_YJ", "《中华人民共和国食品安全法》第一百二十四条"),
        ],
    );
    let procurement = |day: &str, records: &[HeldRecord<'_>]| {
        measure_ids(
            &check(
                &discipline,
                &catalog,
                "government_procurement",
                date(day),
                records,
            )
            .unwrap()
            .measures,
        )
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        procurement("2025-01-01", &[held(&revocation)]),
        ["procurement_major_illegal_record"]
    );
    assert!(
        procurement("2025-01-01", &[held(&fine)]).is_empty(),
        "a fine is no major illegal record"
    );
    assert_eq!(procurement("2026-05-03", &[held(&revocation)]).len(), 1);
    assert!(
        procurement("2026-05-04", &[held(&revocation)]).is_empty(),
        "three years have passed"
    );

    let permits = check(
        &discipline,
        &catalog,
        "sector_permits",
        date("2027-01-01"),
        &[held(&revocation)],
    )
    .unwrap();
    let food = permits
        .measures
        .iter()
        .find(|m| m.measure.id == "food_licence_bar")
        .expect("a food licence revoked bars a new one for five years");
    assert!(food.measure.reaches_responsible_persons);
}

#[test]
fn rewards_follow_the_red_list_and_yield_to_black_entries() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let honour = record("honour", "厦府〔2025〕5号", "2025-01-10", &[]);
    let on = date("2025-10-01");
    let outcome = check(
        &discipline,
        &catalog,
        "admin_licensing",
        on,
        &[held(&honour)],
    )
    .unwrap();
    assert_eq!(
        measure_ids(&outcome.rewards),
        ["green_channel", "tolerance_acceptance"]
    );
    let entry = record(
        "serious_dishonesty",
        "厦市监信〔2025〕9号",
        "2025-06-10",
        &[],
    );
    let outcome = check(
        &discipline,
        &catalog,
        "admin_licensing",
        on,
        &[held(&honour), held(&entry)],
    )
    .unwrap();
    assert!(outcome.rewards.is_empty());
    assert_eq!(outcome.withheld_rewards.len(), 2);
    assert_eq!(measure_ids(&outcome.measures), ["strict_licensing_review"]);
}

#[test]
fn an_unknown_scenario_is_an_error() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let error = check(&discipline, &catalog, "lottery", date("2025-01-01"), &[]).unwrap_err();
    assert_eq!(error, CheckError::UnknownScenario("lottery".into()));
}

#[test]
fn the_items_that_matter_depend_on_the_scenario() {
    let catalog = catalog();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let mut bidding = discipline.items_relevant_to("bidding");
    bidding.sort_unstable();
    // Black lists always; the red list for its rewards; no penalties, no key attention.
    assert_eq!(
        bidding,
        [
            "abnormal_operation",
            "dishonest_debtor",
            "honour",
            "serious_dishonesty"
        ]
    );
    let procurement = discipline.items_relevant_to("government_procurement");
    assert!(procurement.contains(&"admin_penalty"));
    let supervision = discipline.items_relevant_to("supervision");
    assert!(supervision.contains(&"key_attention"));
}
