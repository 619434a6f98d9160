//! Credit repair: who may apply, from when, with what; and what approval and refusal say.

mod common;

use chrono::NaiveDate;
use common::{date, record, uscc};
use gongxin_core::access::{penalty_decision, record_window};
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::{Discipline, EntryTerm};
use gongxin_core::publication::PublicationRules;
use gongxin_core::record::{Record, RecordStatus};
use gongxin_core::repair::{
    Application, Eligibility, Given, Repair, RepairDeadlines, RepairFacts, RepairOutcome,
    RepairRules, eligibility, entry_removed_by_repair,
};

struct Setup {
    catalog: Catalog,
    discipline: Discipline,
    rules: RepairRules,
    publication: PublicationRules,
}

fn setup() -> Setup {
    let catalog = Catalog::embedded().unwrap();
    let discipline = Discipline::embedded(&catalog).unwrap();
    let rules = RepairRules::embedded(&catalog, &discipline).unwrap();
    Setup {
        catalog,
        discipline,
        rules,
        publication: PublicationRules::default_rules().clone(),
    }
}

/// A fine for a labelling offence, decided under NDRC Order 58 (3 months to 3 years).
fn fine(document_no: &str, decided: &str, offence: &str) -> Record {
    record(
        "admin_penalty",
        document_no,
        decided,
        &[
            ("CF_WFXW", offence),
            ("CF_CFLB", "罚款"),
            ("CF_NR_FK", "1.5"),
        ],
    )
}

fn penalty_eligibility(
    setup: &Setup,
    penalty: &Record,
    others: &[(&Record, RecordStatus)],
    today: &str,
) -> Eligibility {
    let item = setup.catalog.item("admin_penalty").unwrap();
    let decision = penalty_decision(item, penalty, &setup.publication).unwrap();
    eligibility(
        &setup.rules,
        RepairFacts {
            record: penalty,
            id: penalty.id(),
            status: penalty.status,
            repaired_on: None,
            publication: Some(&decision),
            term: None,
            others,
            pending: false,
        },
        date(today),
    )
}

fn bar_codes(eligibility: &Eligibility) -> Vec<&str> {
    eligibility.bars.iter().map(|b| b.code).collect()
}

#[test]
fn a_penalty_opens_to_repair_the_day_after_its_minimum_period() {
    let setup = setup();
    let penalty = fine("厦市监罚〔2024〕1号", "2024-03-15", "虚假标注");
    // Three months from 2024-03-15 run through 2024-06-15 (counted from the next day, ending
    // on the same date): the first day to apply is the 16th.
    let before = penalty_eligibility(&setup, &penalty, &[], "2024-06-15");
    assert!(!before.open);
    assert_eq!(before.from, Some(date("2024-06-16")), "{before:?}");
    assert_eq!(bar_codes(&before), ["too_early"]);
    assert_eq!(before.publication_would_end, None);
    assert!(before.free);

    let on = penalty_eligibility(&setup, &penalty, &[], "2024-06-16");
    assert!(on.open, "{on:?}");
    assert!(on.bars.is_empty());
    // Approved on the first day, it is shown through the day before.
    assert_eq!(on.publication_would_end, Some(date("2024-06-15")));
    let ids: Vec<&str> = on.conditions.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["obligations_fulfilled", "effects_removed", "commitment"]
    );

    // Past its maximum it left publication by itself.
    let over = penalty_eligibility(&setup, &penalty, &[], "2027-03-16");
    assert_eq!(bar_codes(&over), ["term_over"]);
}

#[test]
fn a_later_offence_of_the_same_kind_bars_repair_and_another_kind_does_not() {
    let setup = setup();
    let penalty = fine("厦市监罚〔2024〕1号", "2024-03-15", "虚假标注");
    let same = fine("厦市监罚〔2024〕7号", "2024-05-20", "虚假标注");
    let other = fine("厦市监罚〔2024〕8号", "2024-05-21", "无证经营");
    let earlier = fine("厦市监罚〔2023〕3号", "2023-01-05", "虚假标注");
    let mut revoked = fine("厦市监罚〔2024〕9号", "2024-05-22", "虚假标注");
    revoked.status = RecordStatus::Revoked;

    let barred = penalty_eligibility(
        &setup,
        &penalty,
        &[(&same, RecordStatus::Normal)],
        "2024-07-01",
    );
    assert_eq!(bar_codes(&barred), ["repeat_offence"]);
    assert!(barred.bars[0].zh.contains("厦市监罚〔2024〕7号"));
    assert_eq!(barred.from, None);

    let open = penalty_eligibility(
        &setup,
        &penalty,
        &[
            (&other, RecordStatus::Normal),
            (&earlier, RecordStatus::Normal),
            (&revoked, RecordStatus::Revoked),
            (&penalty, RecordStatus::Normal),
        ],
        "2024-07-01",
    );
    assert!(open.open, "{open:?}");
}

#[test]
fn an_unrepairable_or_unpublished_penalty_says_why() {
    let setup = setup();
    // A large fine under SAMR Order 45 (2021-09 to 2023-04): a fixed three years, with no
    // minimum that repair could end it after.
    let large_fine = record(
        "admin_penalty",
        "厦市监罚〔2022〕5号",
        "2022-06-01",
        &[("CF_CFLB", "罚款"), ("CF_NR_FK", "50")],
    );
    let answer = penalty_eligibility(&setup, &large_fine, &[], "2023-06-01");
    assert!(!answer.open);
    assert_eq!(answer.from, None, "{answer:?}");
    assert_eq!(bar_codes(&answer), ["not_repairable_penalty"], "{answer:?}");
    assert!(
        answer.bars[0].zh.contains("第十三条"),
        "{}",
        answer.bars[0].zh
    );

    // A warning alone under the same order is never published.
    let warning = record(
        "admin_penalty",
        "厦市监罚〔2022〕6号",
        "2022-06-01",
        &[("CF_CFLB", "警告")],
    );
    assert_eq!(
        bar_codes(&penalty_eligibility(&setup, &warning, &[], "2023-06-01")),
        ["not_published"]
    );

    let mut revoked = fine("厦市监罚〔2024〕2号", "2024-03-15", "虚假标注");
    revoked.status = RecordStatus::Revoked;
    assert_eq!(
        bar_codes(&penalty_eligibility(&setup, &revoked, &[], "2024-07-01")),
        ["revoked"]
    );

    let licence = record("admin_license", "厦许〔2024〕1号", "2024-03-15", &[]);
    let answer = eligibility(
        &setup.rules,
        RepairFacts {
            record: &licence,
            id: licence.id(),
            status: RecordStatus::Normal,
            repaired_on: None,
            publication: None,
            term: None,
            others: &[],
            pending: false,
        },
        date("2024-07-01"),
    );
    assert_eq!(bar_codes(&answer), ["not_repairable_item"]);
}

fn entry_eligibility(setup: &Setup, entry: &Record, today: &str) -> Eligibility {
    let list = setup.discipline.list_of_item(&entry.key.item).unwrap();
    let item = setup.catalog.item(&entry.key.item).unwrap();
    eligibility(
        &setup.rules,
        RepairFacts {
            record: entry,
            id: entry.id(),
            status: RecordStatus::Normal,
            repaired_on: None,
            publication: None,
            term: Some(EntryTerm::of(list, item, entry)),
            others: &[],
            pending: false,
        },
        date(today),
    )
}

#[test]
fn list_entries_wait_as_their_target_says_and_end_by_removal() {
    let setup = setup();
    let serious = record(
        "serious_dishonesty",
        "厦发改失信〔2024〕1号",
        "2024-03-12",
        &[],
    );
    let early = entry_eligibility(&setup, &serious, "2025-03-11");
    // A year on the list, counting the day of listing: 2024-03-12 through 2025-03-11.
    assert_eq!(early.from, Some(date("2025-03-12")), "{early:?}");
    assert_eq!(bar_codes(&early), ["too_early"]);
    let ids: Vec<&str> = early.conditions.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "obligations_fulfilled",
            "training",
            "credit_report",
            "commitment"
        ]
    );
    assert!(entry_eligibility(&setup, &serious, "2025-03-12").open);

    let abnormal = record(
        "abnormal_operation",
        "厦市监异〔2026〕3号",
        "2026-01-10",
        &[],
    );
    let answer = entry_eligibility(&setup, &abnormal, "2026-01-12");
    assert!(answer.open, "{answer:?}");
    assert_eq!(answer.publication_would_end, Some(date("2026-01-12")));

    let item = setup.catalog.item("abnormal_operation").unwrap();
    let removed = entry_removed_by_repair(item, &abnormal, date("2026-01-12"), "rep_1");
    let ended_on = item.roles.ended_on.as_deref().unwrap();
    assert_eq!(removed.field(ended_on), Some("2026-01-12"));
    let reason = item.roles.removal_reason.as_deref().unwrap();
    assert_eq!(removed.field(reason), Some("信用修复（rep_1）"));
    assert_eq!(removed.key, abnormal.key, "the same entry, a new version");
    let list = setup.discipline.list_of_item("abnormal_operation").unwrap();
    let term = EntryTerm::of(list, item, &removed);
    assert!(term.in_force_on(date("2026-01-11")));
    assert!(!term.in_force_on(date("2026-01-12")), "out on approval");
    assert_eq!(
        entry_eligibility(&setup, &removed, "2026-01-13").bars[0].code,
        "entry_ended"
    );
}

fn given_all() -> Vec<Given> {
    vec![
        Given {
            condition: "obligations_fulfilled".into(),
            attachments: vec!["a".repeat(64)],
            signed: false,
        },
        Given {
            condition: "effects_removed".into(),
            attachments: vec!["b".repeat(64)],
            signed: false,
        },
        Given {
            condition: "commitment".into(),
            attachments: Vec::new(),
            signed: true,
        },
    ]
}

fn application(given: Vec<Given>) -> Application<'static> {
    Application {
        id: "rep_test".into(),
        subject: uscc().to_string(),
        unit: "11350200MB0000000X".into(),
        statement: "罚款已缴清，标签已全部更正。",
        given,
    }
}

#[test]
fn an_application_needs_every_condition_and_is_reviewed_in_working_days() {
    let setup = setup();
    let calendar = WorkCalendar::embedded();
    let deadlines = RepairDeadlines::default();
    let penalty = fine("厦市监罚〔2025〕1号", "2025-06-03", "虚假标注");
    // Filed the day before the National Day holiday (2025-10-01 to 10-08, with 9-28 and 10-11
    // worked): ten working days are 10-09, 10-10, 10-11 (a Saturday worked) and 10-13 to
    // 10-21.
    let open = penalty_eligibility(&setup, &penalty, &[], "2025-09-30");
    assert!(open.open, "{open:?}");

    let mut missing = given_all();
    missing.retain(|g| g.condition != "commitment");
    let refused = Repair::file(
        &setup.rules,
        &open,
        calendar,
        &deadlines,
        application(missing),
        date("2025-09-30"),
    )
    .unwrap_err();
    assert_eq!(refused.code, "condition_unmet");
    assert!(refused.zh.contains("信用修复承诺书"), "{}", refused.zh);

    let mut unsigned = given_all();
    unsigned[2].signed = false;
    let mut no_evidence = given_all();
    no_evidence[0].attachments.clear();
    for given in [unsigned, no_evidence] {
        let refused = Repair::file(
            &setup.rules,
            &open,
            calendar,
            &deadlines,
            application(given),
            date("2025-09-30"),
        )
        .unwrap_err();
        assert_eq!(refused.code, "condition_unmet");
    }

    let too_early = penalty_eligibility(&setup, &penalty, &[], "2025-08-01");
    let refused = Repair::file(
        &setup.rules,
        &too_early,
        calendar,
        &deadlines,
        application(given_all()),
        date("2025-08-01"),
    )
    .unwrap_err();
    assert_eq!(refused.code, "too_early");

    let (repair, _) = Repair::file(
        &setup.rules,
        &open,
        calendar,
        &deadlines,
        application(given_all()),
        date("2025-09-30"),
    )
    .unwrap();
    assert_eq!(repair.review_by, date("2025-10-21"));
    assert!(repair.is_overdue(date("2025-10-22")));
    assert!(!repair.is_overdue(date("2025-10-21")));

    // Approved on 2025-10-09 (a working day after the holiday): shown through 10-08, and
    // every recipient must have it within three working days (10-11 is a worked Saturday).
    let on = date("2025-10-09");
    let now = penalty_eligibility(&setup, &penalty, &[], "2025-10-09");
    let (approved, _) = repair
        .approve(calendar, &deadlines, &now, on, "材料齐全，符合修复条件")
        .unwrap();
    assert_eq!(approved.outcome, Some(RepairOutcome::Approved));
    assert_eq!(approved.publication_ends, Some(date("2025-10-08")));
    assert_eq!(approved.push_by, Some(date("2025-10-13")));
    assert!(
        approved
            .approve(calendar, &deadlines, &now, on, "again")
            .is_err()
    );

    let item = setup.catalog.item("admin_penalty").unwrap();
    let window = record_window(
        item,
        &penalty,
        RecordStatus::Normal,
        Some(on),
        &setup.publication,
    );
    assert!(window.is_public_on(date("2025-10-08")));
    assert!(!window.is_public_on(on), "off publication on approval");
    assert!(window.reason_zh.contains("已修复"));
}

#[test]
fn a_refusal_gives_reasons_and_the_routes_of_appeal() {
    let setup = setup();
    let calendar = WorkCalendar::embedded();
    let deadlines = RepairDeadlines::default();
    let penalty = fine("厦市监罚〔2025〕1号", "2025-06-03", "虚假标注");
    let open = penalty_eligibility(&setup, &penalty, &[], "2025-09-30");
    let (repair, _) = Repair::file(
        &setup.rules,
        &open,
        calendar,
        &deadlines,
        application(given_all()),
        date("2025-09-30"),
    )
    .unwrap();
    assert_eq!(
        repair.refuse(date("2025-10-09"), " ").unwrap_err().code,
        "reason_required"
    );
    let (refused, _) = repair
        .refuse(date("2025-10-09"), "罚款缴纳凭证与决定书金额不符")
        .unwrap();
    assert_eq!(refused.outcome, Some(RepairOutcome::Refused));
    assert_eq!(refused.publication_ends, None);
    let routes: Vec<(&str, NaiveDate, &str)> = refused
        .appeals
        .iter()
        .map(|a| {
            (
                a.basis.title.as_str(),
                a.by,
                a.basis.article.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("中华人民共和国行政复议法", date("2025-12-08"), "第二十条"),
            ("中华人民共和国行政诉讼法", date("2026-04-09"), "第四十六条"),
        ]
    );
}

#[test]
fn repair_rules_refuse_targets_that_lists_or_the_catalog_do_not_allow() {
    let setup = setup();
    let embedded = include_str!("../../../catalog/repair.toml");
    let broken = [
        (
            embedded.replace(
                "item = \"admin_penalty\"\nname_zh",
                "item = \"no_such\"\nname_zh",
            ),
            "unknown item",
        ),
        (
            embedded.replace(
                "list = \"abnormal_operation\"",
                "list = \"serious_dishonesty\"",
            ),
            "are not `abnormal_operation` records",
        ),
        (
            embedded.replace("article = \"第十七条\"\n", ""),
            "must name its article",
        ),
        (
            embedded.replacen("kind = \"commitment\"", "kind = \"evidence\"", 1),
            "only a commitment",
        ),
    ];
    for (text, expected) in broken {
        let error = RepairRules::from_source(&text, &setup.catalog, &setup.discipline)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
    // A fee would have nowhere to go.
    let with_fee = embedded.replacen(
        "version = \"2026.1\"",
        "version = \"2026.1\"\nfee_yuan = 50",
        1,
    );
    assert!(RepairRules::from_source(&with_fee, &setup.catalog, &setup.discipline).is_err());
}
