//! Publication periods against STANDARDS.md §4: the regimes, their boundaries, and the rule
//! file's validation.

use chrono::NaiveDate;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::publication::{
    ItemFacts, PENALTY_RULE, PenaltyFacts, PenaltyKind, PublicationDecision, PublicationRules,
    RuleError, Sector, Severity,
};

/// The shipped rule file, as text, to derive jurisdiction variants from.
const DEFAULT_TOML: &str = include_str!("../../../catalog/publication.toml");
const GUIZHOU_THRESHOLD_COMMENT: &str =
    "# small_fine_below_yuan = { person = 5000, organisation = 50000 }";

fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("test date {text}: {e}"))
}

fn defaults() -> &'static PublicationRules {
    PublicationRules::default_rules()
}

/// The default rules with a different jurisdiction block line.
fn variant(from: &str, to: &str) -> PublicationRules {
    assert!(
        DEFAULT_TOML.contains(from),
        "default file contains {from:?}"
    );
    PublicationRules::from_toml(&DEFAULT_TOML.replacen(from, to, 1))
        .unwrap_or_else(|e| panic!("variant rules: {e}"))
}

/// A province that has set the SAMR small-fine threshold (Guizhou's figures).
fn with_small_fine_threshold() -> PublicationRules {
    variant(
        GUIZHOU_THRESHOLD_COMMENT,
        "small_fine_below_yuan = { person = 5000, organisation = 50000 }",
    )
}

/// One row of a case table.
struct Case {
    name: &'static str,
    decided: &'static str,
    kinds: &'static str,
    severity: Option<Severity>,
    sector: Option<Sector>,
    fine_yuan: Option<f64>,
    organisation: bool,
    simple: bool,
    /// `None` = not published; else (min_until, until).
    expect: Option<(Option<&'static str>, &'static str)>,
    regime: &'static str,
    /// Text that must appear in the Chinese reason.
    reason_has: &'static str,
}

impl Case {
    const fn new(name: &'static str, decided: &'static str, kinds: &'static str) -> Self {
        Self {
            name,
            decided,
            kinds,
            severity: None,
            sector: None,
            fine_yuan: None,
            organisation: true,
            simple: false,
            expect: None,
            regime: "",
            reason_has: "",
        }
    }
    const fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
    const fn sector(mut self, sector: Sector) -> Self {
        self.sector = Some(sector);
        self
    }
    const fn fine(mut self, yuan: f64, organisation: bool) -> Self {
        self.fine_yuan = Some(yuan);
        self.organisation = organisation;
        self
    }
    const fn simple(mut self) -> Self {
        self.simple = true;
        self
    }
    const fn shown(
        mut self,
        min_until: Option<&'static str>,
        until: &'static str,
        regime: &'static str,
    ) -> Self {
        self.expect = Some((min_until, until));
        self.regime = regime;
        self
    }
    const fn hidden(mut self, regime: &'static str) -> Self {
        self.expect = None;
        self.regime = regime;
        self
    }
    const fn because(mut self, text: &'static str) -> Self {
        self.reason_has = text;
        self
    }

    fn facts(&self) -> PenaltyFacts {
        let parsed = PenaltyKind::parse_list(self.kinds);
        assert!(
            parsed.unknown.is_empty(),
            "{}: {:?}",
            self.name,
            parsed.unknown
        );
        PenaltyFacts {
            decision_date: date(self.decided),
            kinds: parsed.kinds,
            severity: self.severity,
            sector: self.sector,
            simple_procedure: self.simple,
            fine_yuan: self.fine_yuan,
            subject_is_organisation: self.organisation,
        }
    }

    fn check(&self, rules: &PublicationRules) -> PublicationDecision {
        let decision = rules.penalty_window(&self.facts());
        let name = self.name;
        assert_eq!(decision.regime, self.regime, "{name}: regime");
        assert_eq!(decision.from, date(self.decided), "{name}: from");
        match self.expect {
            None => assert!(!decision.publish, "{name}: not published: {decision:?}"),
            Some((min_until, until)) => {
                assert!(decision.publish, "{name}: published: {decision:?}");
                assert_eq!(decision.until, date(until), "{name}: until");
                assert_eq!(decision.min_until, min_until.map(date), "{name}: min_until");
                assert_eq!(
                    decision.repairable,
                    min_until.is_some(),
                    "{name}: repairable"
                );
            }
        }
        assert!(
            decision.reason_zh.contains(self.reason_has),
            "{name}: reason {:?} lacks {:?}",
            decision.reason_zh,
            self.reason_has
        );
        assert!(!decision.reason_en.is_empty(), "{name}: English reason");
        decision
    }
}

use Sector::{ConstructionQuality, Drug, Environment, Fire, Food, SpecialEquipment, WorkSafety};
use Severity::{General, Minor, Serious};

const ND527: &str = "ndrc-2019-527";
const SAMR45: &str = "samr-order-45";
const NDRC58: &str = "ndrc-order-58";
const NDRC36: &str = "ndrc-order-36";

/// The default (national) rules, case by case.
const DEFAULT_CASES: &[Case] = &[
    // --- 发改办财金〔2019〕527号, from 2019-07-01 ---
    Case::new("before the first regime", "2019-06-30", "罚款")
        .severity(General)
        .shown(Some("2019-09-30"), "2020-06-30", ND527)
        .because("早于最早规则"),
    Case::new("527 first day, general", "2019-07-01", "罚款")
        .severity(General)
        .shown(Some("2019-10-01"), "2020-07-01", ND527)
        .because("一般失信行为"),
    Case::new("527 minor counts as general", "2020-01-31", "罚款")
        .severity(Minor)
        .shown(Some("2020-04-30"), "2021-01-31", ND527),
    Case::new("527 serious", "2020-03-15", "罚款")
        .severity(Serious)
        .shown(Some("2020-09-15"), "2023-03-15", ND527)
        .because("严重失信行为"),
    Case::new(
        "527 severity unknown: held to serious",
        "2020-03-15",
        "罚款",
    )
    .shown(Some("2020-09-15"), "2023-03-15", ND527)
    .because("从严按“严重”处理"),
    Case::new(
        "527 specific serious: food revocation",
        "2020-05-20",
        "罚款;吊销许可证件",
    )
    .severity(General)
    .sector(Food)
    .shown(None, "2023-05-20", ND527)
    .because("特定严重失信行为"),
    Case::new(
        "527 specific serious: closure, construction",
        "2020-05-20",
        "责令关闭",
    )
    .sector(ConstructionQuality)
    .shown(None, "2023-05-20", ND527),
    Case::new(
        "527 revocation outside the listed sectors",
        "2020-05-20",
        "吊销许可证件",
    )
    .severity(General)
    .sector(Sector::Other)
    .shown(Some("2020-08-20"), "2021-05-20", ND527),
    Case::new("527 last day: warning published", "2021-08-31", "警告")
        .severity(General)
        .shown(Some("2021-11-30"), "2022-08-31", ND527),
    // --- SAMR Order 45, from 2021-09-01 ---
    Case::new("SAMR first day: warning alone", "2021-09-01", "警告")
        .hidden(SAMR45)
        .because("仅受到警告"),
    Case::new("SAMR public criticism", "2022-01-10", "通报批评").shown(None, "2022-04-10", SAMR45),
    Case::new(
        "SAMR warning and public criticism",
        "2022-01-10",
        "警告、通报批评",
    )
    .shown(None, "2022-04-10", SAMR45),
    Case::new("SAMR fine, no threshold set", "2022-01-10", "罚款")
        .fine(1000.0, false)
        .shown(None, "2025-01-10", SAMR45)
        .because("未设定“较低数额罚款”标准"),
    Case::new("SAMR confiscation", "2022-08-31", "没收违法所得").shown(None, "2025-08-31", SAMR45),
    Case::new("SAMR simple procedure", "2022-01-10", "罚款")
        .fine(100.0, false)
        .simple()
        .hidden(SAMR45)
        .because("简易程序"),
    Case::new("SAMR last day", "2023-04-30", "罚款").shown(None, "2026-04-30", SAMR45),
    // --- NDRC Order 58, from 2023-05-01 ---
    Case::new("58 first day", "2023-05-01", "罚款")
        .shown(Some("2023-08-01"), "2026-05-01", NDRC58)
        .because("最短公示3个月"),
    Case::new("58 warning alone is published", "2023-05-01", "警告").shown(
        Some("2023-08-01"),
        "2026-05-01",
        NDRC58,
    ),
    Case::new("58 month end", "2023-11-30", "罚款").shown(Some("2024-02-29"), "2026-11-30", NDRC58),
    Case::new("58 food", "2024-03-01", "罚款")
        .sector(Food)
        .shown(Some("2025-03-01"), "2027-03-01", NDRC58)
        .because("食品、药品"),
    Case::new("58 drug", "2024-03-01", "罚款")
        .sector(Drug)
        .shown(Some("2025-03-01"), "2027-03-01", NDRC58),
    Case::new("58 special equipment", "2024-03-01", "罚款")
        .sector(SpecialEquipment)
        .shown(Some("2025-03-01"), "2027-03-01", NDRC58),
    Case::new("58 work safety", "2024-03-01", "罚款")
        .sector(WorkSafety)
        .shown(Some("2025-03-01"), "2027-03-01", NDRC58),
    Case::new("58 fire", "2024-03-01", "罚款")
        .sector(Fire)
        .shown(Some("2025-03-01"), "2027-03-01", NDRC58),
    Case::new(
        "58 environment is not a 1-year sector",
        "2024-03-01",
        "罚款",
    )
    .sector(Environment)
    .shown(Some("2024-06-01"), "2027-03-01", NDRC58),
    Case::new(
        "58 simple procedure published nationally",
        "2024-03-01",
        "罚款",
    )
    .fine(100.0, false)
    .simple()
    .shown(Some("2024-06-01"), "2027-03-01", NDRC58),
    Case::new("58 no kinds given", "2024-03-01", "")
        .shown(Some("2024-06-01"), "2027-03-01", NDRC58)
        .because("未载明处罚类型"),
    Case::new("58 minor, last day", "2026-03-31", "罚款")
        .severity(Minor)
        .shown(Some("2026-06-30"), "2029-03-31", NDRC58),
    // --- NDRC Order 36, from 2026-04-01 ---
    Case::new("36 first day: minor", "2026-04-01", "罚款")
        .severity(Minor)
        .hidden(NDRC36)
        .because("轻微失信行为"),
    Case::new("36 general", "2026-04-01", "罚款")
        .severity(General)
        .shown(Some("2026-07-01"), "2027-04-01", NDRC36),
    Case::new("36 serious", "2026-04-01", "罚款;吊销许可证件")
        .severity(Serious)
        .shown(Some("2027-04-01"), "2029-04-01", NDRC36),
    Case::new("36 severity unknown: held to serious", "2026-08-31", "罚款")
        .shown(Some("2027-08-31"), "2029-08-31", NDRC36)
        .because("从严按“严重”处理"),
];

#[test]
fn default_rules_case_table() {
    for case in DEFAULT_CASES {
        case.check(defaults());
    }
}

#[test]
fn several_kinds_take_the_longest() {
    let rules = with_small_fine_threshold();
    let cases = [
        Case::new("small fine alone", "2022-06-15", "罚款")
            .fine(4999.0, false)
            .shown(None, "2022-09-15", SAMR45)
            .because("较低数额罚款"),
        Case::new("warning and small fine", "2022-06-15", "警告；罚款")
            .fine(4999.0, false)
            .shown(None, "2022-09-15", SAMR45),
        Case::new(
            "small fine and confiscation",
            "2022-06-15",
            "罚款、没收违法所得",
        )
        .fine(4999.0, false)
        .shown(None, "2025-06-15", SAMR45)
        .because("多种处罚类型，按期限最长的“没收违法所得”确定"),
        Case::new("threshold is strict", "2022-06-15", "罚款")
            .fine(5000.0, false)
            .shown(None, "2025-06-15", SAMR45),
        Case::new(
            "organisations have their own threshold",
            "2022-06-15",
            "罚款",
        )
        .fine(49_999.0, true)
        .shown(None, "2022-09-15", SAMR45),
        // Equal windows: the first kind given is named.
        Case::new("tie", "2022-06-15", "罚款;没收违法所得")
            .fine(9000.0, false)
            .shown(None, "2025-06-15", SAMR45)
            .because("按期限最长的“罚款”确定"),
        Case::new("amount unknown", "2022-06-15", "罚款")
            .shown(None, "2025-06-15", SAMR45)
            .because("罚款金额不详"),
        // 527: the specific-serious kind outlasts the general one, and cannot be repaired.
        Case::new("527 mixed", "2020-05-20", "警告,责令停产停业")
            .severity(General)
            .sector(Fire)
            .shown(None, "2023-05-20", ND527)
            .because("按期限最长的“责令停产停业”"),
        // 36: all kinds share the severity, so several kinds change nothing.
        Case::new("36 several kinds", "2026-05-06", "警告;罚款;没收违法所得")
            .severity(General)
            .shown(Some("2026-08-06"), "2027-05-06", NDRC36),
    ];
    for case in &cases {
        case.check(&rules);
    }
}

#[test]
fn provinces_may_exclude_simple_procedure_penalties() {
    let province = variant(
        "publish_simple_procedure = true",
        "publish_simple_procedure = false",
    );
    Case::new("province, simple", "2024-03-01", "罚款")
        .fine(100.0, false)
        .simple()
        .hidden(NDRC58)
        .because("不将简易程序")
        .check(&province);
    Case::new("province, ordinary", "2024-03-01", "罚款")
        .fine(100.0, false)
        .shown(Some("2024-06-01"), "2027-03-01", NDRC58)
        .check(&province);
}

#[test]
fn public_on_and_repair() {
    let decision = Case::new("58", "2023-05-01", "罚款")
        .shown(Some("2023-08-01"), "2026-05-01", NDRC58)
        .check(defaults());
    for (day, public) in [
        ("2023-04-30", false),
        ("2023-05-01", true),
        ("2026-05-01", true),
        ("2026-05-02", false),
    ] {
        assert_eq!(decision.is_public_on(date(day)), public, "{day}");
    }
    for (repaired, end) in [
        ("2023-06-01", Some("2023-08-01")), // before the minimum: waits for it
        ("2023-08-01", Some("2023-08-01")),
        ("2024-01-10", Some("2024-01-10")),
        ("2026-05-01", None), // too late to shorten anything
    ] {
        assert_eq!(
            decision.end_after_repair(date(repaired)),
            end.map(date),
            "repair on {repaired}"
        );
    }

    let specific = Case::new("527 specific", "2020-05-20", "吊销许可证件")
        .sector(Drug)
        .shown(None, "2023-05-20", ND527)
        .check(defaults());
    assert_eq!(specific.end_after_repair(date("2022-01-01")), None);

    let hidden = Case::new("36 minor", "2026-04-01", "罚款")
        .severity(Minor)
        .hidden(NDRC36)
        .check(defaults());
    assert!(!hidden.is_public_on(date("2026-04-01")));
    assert_eq!(hidden.end_after_repair(date("2026-05-01")), None);
}

#[test]
fn regimes_are_chosen_by_decision_date() {
    let ids: Vec<_> = defaults()
        .regimes()
        .iter()
        .map(|r| (r.id.as_str(), r.in_force_from))
        .collect();
    assert_eq!(
        ids,
        [
            (ND527, date("2019-07-01")),
            (SAMR45, date("2021-09-01")),
            (NDRC58, date("2023-05-01")),
            (NDRC36, date("2026-04-01")),
        ]
    );
    for (day, expected) in [
        ("2019-06-30", None),
        ("2019-07-01", Some(ND527)),
        ("2021-08-31", Some(ND527)),
        ("2021-09-01", Some(SAMR45)),
        ("2023-04-30", Some(SAMR45)),
        ("2023-05-01", Some(NDRC58)),
        ("2026-03-31", Some(NDRC58)),
        ("2026-04-01", Some(NDRC36)),
        ("2040-01-01", Some(NDRC36)),
    ] {
        assert_eq!(
            defaults().regime_on(date(day)).map(|r| r.id.as_str()),
            expected,
            "{day}"
        );
    }
}

#[test]
fn penalty_kind_lists() {
    use PenaltyKind::*;
    let cases: &[(&str, &[PenaltyKind], &[&str])] = &[
        (
            "罚款;没收违法所得",
            &[Fine, ConfiscationOfIllegalGains],
            &[],
        ),
        (
            "警告；通报批评、罚款,没收非法财物，暂扣许可证件",
            &[
                Warning,
                PublicCriticism,
                Fine,
                ConfiscationOfIllegalProperty,
                LicenceSuspension,
            ],
            &[],
        ),
        (
            "降低资质等级;吊销许可证件;限制开展生产经营活动;责令停产停业;责令关闭;限制从业;行政拘留",
            &[
                QualificationDowngrade,
                LicenceRevocation,
                BusinessRestriction,
                ProductionSuspension,
                ClosureOrder,
                EmploymentRestriction,
                Detention,
            ],
            &[],
        ),
        // The 1996 law wrote both confiscations as one item.
        (
            "没收违法所得、没收非法财物",
            &[ConfiscationOfIllegalGains, ConfiscationOfIllegalProperty],
            &[],
        ),
        ("吊销营业执照", &[LicenceRevocation], &[]),
        (
            "罚款;其他：责令改正",
            &[Fine, Other(Some("责令改正".to_owned()))],
            &[],
        ),
        ("其它", &[Other(None)], &[]),
        ("其他（取缔）", &[Other(Some("取缔".to_owned()))], &[]),
        ("罚款、罚款", &[Fine], &[]),
        (" 罚款 ; ; 罚金 ;没收", &[Fine], &["罚金", "没收"]),
        ("", &[], &[]),
    ];
    for (text, kinds, unknown) in cases {
        let parsed = PenaltyKind::parse_list(text);
        assert_eq!(parsed.kinds, *kinds, "{text}");
        assert_eq!(parsed.unknown, *unknown, "{text}");
    }
    assert_eq!(
        Other(Some("取缔".to_owned())).to_string(),
        "其他（取缔）",
        "display keeps the text"
    );
    assert_eq!("严重".parse::<Severity>(), Ok(Serious));
    assert_eq!("general".parse::<Severity>(), Ok(General));
    assert!("很严重".parse::<Severity>().is_err());
    assert_eq!("安全生产".parse::<Sector>(), Ok(WorkSafety));
    assert_eq!("special_equipment".parse::<Sector>(), Ok(SpecialEquipment));
}

#[test]
fn licences_and_list_entries() {
    let rules = defaults();
    assert!(rules.has_rule(PENALTY_RULE));
    assert!(rules.has_rule("licence"));
    assert!(rules.has_rule("list_entry"));
    assert!(rules.has_rule("honour") && rules.has_rule("commitment"));
    assert!(!rules.has_rule("nonsense"));
    let facts = |valid_to: Option<&str>, ended_on: Option<&str>| ItemFacts {
        start: date("2024-03-01"),
        valid_to: valid_to.map(date),
        ended_on: ended_on.map(date),
    };
    // (rule, valid_to, ended_on, until)
    let cases = [
        ("licence", Some("2029-02-28"), None, Some("2029-02-28")),
        ("licence", None, None, None),
        (
            "licence",
            Some("2029-02-28"),
            Some("2025-06-30"),
            Some("2025-06-30"),
        ),
        ("licence", None, Some("2025-06-30"), Some("2025-06-30")),
        ("list_entry", Some("2029-02-28"), None, None),
        ("list_entry", None, Some("2025-06-30"), Some("2025-06-30")),
    ];
    for (rule, valid_to, ended_on, until) in cases {
        let window = rules
            .item_window(rule, &facts(valid_to, ended_on))
            .unwrap_or_else(|| panic!("rule {rule}"));
        assert_eq!(window.from, date("2024-03-01"));
        assert_eq!(
            window.until,
            until.map(date),
            "{rule} {valid_to:?} {ended_on:?}"
        );
        assert!(!window.reason_zh.is_empty());
    }
    let open = rules
        .item_window("licence", &facts(None, None))
        .unwrap_or_else(|| panic!("licence rule"));
    assert!(open.is_public_on(date("2099-01-01")));
    assert!(!open.is_public_on(date("2024-02-29")));
    assert!(rules.item_window("nonsense", &facts(None, None)).is_none());

    let fixed = PublicationRules::from_toml(&format!(
        "{DEFAULT_TOML}\n[items.award]\nname_zh = \"奖励\"\nname_en = \"award\"\n\
         period = \"3 years\"\nnote_zh = \"公示3年\"\nnote_en = \"3 years\"\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let award = fixed
        .item_window("award", &facts(None, None))
        .unwrap_or_else(|| panic!("award rule"));
    assert_eq!(award.until, Some(date("2027-03-01")));
}

#[test]
fn publication_deadline_is_seven_working_days() {
    let deadline = defaults().publication_deadline(WorkCalendar::embedded(), date("2025-09-26"));
    assert_eq!(deadline.value, date("2025-10-13"));
    assert!(deadline.is_exact());
    assert_eq!(defaults().jurisdiction().publish_within_working_days, 7);
}

/// A rule file made of a jurisdiction block and the given regimes.
fn file(regimes: &str) -> String {
    format!(
        "[jurisdiction]\nid = \"t\"\nname_zh = \"测试\"\nname_en = \"test\"\n\
         publish_within_working_days = 7\npublish_simple_procedure = true\n{regimes}"
    )
}

/// A regime with the given header lines and rules.
fn regime(id: &str, from: &str, rules: &str) -> String {
    format!(
        "\n[[regime]]\nid = \"{id}\"\nsource_zh = \"z\"\nsource_en = \"e\"\n\
         in_force_from = {from}\n{rules}"
    )
}

const CATCH_ALL: &str =
    "\n[[regime.rule]]\nmin = \"3 months\"\nmax = \"3 years\"\nnote_zh = \"z\"\nnote_en = \"e\"\n";

/// Whether an error is the expected variant.
type ErrorCheck = fn(&RuleError) -> bool;

fn load_error(text: &str) -> RuleError {
    match PublicationRules::from_toml(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error) => error,
    }
}

#[test]
fn rule_files_are_validated() {
    let two = |a: &str, b: &str| file(&(regime("a", a, CATCH_ALL) + &regime("b", b, CATCH_ALL)));
    assert!(PublicationRules::from_toml(&two("2020-01-01", "2021-01-01")).is_ok());

    let rule = |body: &str| {
        file(&regime(
            "r",
            "2020-01-01",
            &format!("\n[[regime.rule]]\n{body}\nnote_zh = \"z\"\nnote_en = \"e\"\n"),
        ))
    };
    let guarded = |body: &str| {
        file(&regime(
            "r",
            "2020-01-01",
            &format!("\n[[regime.rule]]\n{body}\nnote_zh = \"z\"\nnote_en = \"e\"\n{CATCH_ALL}"),
        ))
    };

    let cases: Vec<(&str, String, ErrorCheck)> = vec![
        ("not sorted", two("2021-01-01", "2020-01-01"), |e| {
            matches!(e, RuleError::NotSorted { .. })
        }),
        ("same start", two("2020-01-01", "2020-01-01"), |e| {
            matches!(e, RuleError::Overlap { .. })
        }),
        (
            "same id",
            file(&(regime("a", "2020-01-01", CATCH_ALL) + &regime("a", "2021-01-01", CATCH_ALL))),
            |e| matches!(e, RuleError::DuplicateRegime(_)),
        ),
        ("no regimes", file(""), |e| matches!(e, RuleError::NoRegimes)),
        (
            "date with a time",
            file(&regime("a", "2020-01-01T00:00:00", CATCH_ALL)),
            |e| matches!(e, RuleError::BadDate { .. }),
        ),
        ("zero period", rule("max = \"0 months\""), |e| {
            matches!(e, RuleError::ZeroPeriod { .. })
        }),
        ("bad period", rule("max = \"three years\""), |e| {
            matches!(e, RuleError::BadPeriod { .. })
        }),
        ("min over max", rule("min = \"2 years\"\nmax = \"1 year\""), |e| {
            matches!(e, RuleError::MinExceedsMax { .. })
        }),
        // 31 days outlast one month whenever February is involved.
        ("31 days over a month", rule("min = \"31 days\"\nmax = \"1 month\""), |e| {
            matches!(e, RuleError::MinExceedsMax { .. })
        }),
        ("published without max", rule("min = \"1 year\""), |e| {
            matches!(e, RuleError::InvalidRule { .. })
        }),
        (
            "unpublished with a period",
            rule("publish = false\nmax = \"1 year\""),
            |e| matches!(e, RuleError::InvalidRule { .. }),
        ),
        (
            "no catch-all",
            file(&regime(
                "r",
                "2020-01-01",
                &CATCH_ALL.replace("min =", "kinds = [\"罚款\"]\nmin ="),
            )),
            |e| matches!(e, RuleError::NoCatchAll(_)),
        ),
        ("unknown kind", guarded("kinds = [\"罚金\"]\nmax = \"1 year\""), |e| {
            matches!(e, RuleError::UnknownKind { .. })
        }),
        ("empty kinds", guarded("kinds = []\nmax = \"1 year\""), |e| {
            matches!(e, RuleError::InvalidRule { .. })
        }),
        (
            "severity without a default",
            guarded("severities = [\"minor\"]\npublish = false"),
            |e| matches!(e, RuleError::MissingUnknownSeverity(_)),
        ),
        ("unknown sector", guarded("sectors = [\"banking\"]\nmax = \"1 year\""), |e| {
            matches!(e, RuleError::Syntax(_))
        }),
        ("misspelt field", guarded("maxx = \"1 year\""), |e| {
            matches!(e, RuleError::Syntax(_))
        }),
        (
            "reserved item id",
            file(&regime("a", "2020-01-01", CATCH_ALL))
                + "\n[items.penalty]\nname_zh = \"z\"\nname_en = \"e\"\nperiod = \"while_in_force\"\nnote_zh = \"z\"\nnote_en = \"e\"\n",
            |e| matches!(e, RuleError::ReservedItemId(_)),
        ),
        (
            "zero working days",
            file(&regime("a", "2020-01-01", CATCH_ALL))
                .replace("publish_within_working_days = 7", "publish_within_working_days = 0"),
            |e| matches!(e, RuleError::InvalidJurisdiction(_)),
        ),
        (
            "negative threshold",
            file(&regime("a", "2020-01-01", CATCH_ALL)).replace(
                "publish_simple_procedure = true",
                "publish_simple_procedure = true\nsmall_fine_below_yuan = { person = -1, organisation = 3000 }",
            ),
            |e| matches!(e, RuleError::InvalidJurisdiction(_)),
        ),
    ];
    for (name, text, expected) in cases {
        let error = load_error(&text);
        assert!(expected(&error), "{name}: unexpected error {error:?}");
        assert!(!error.to_string().is_empty());
    }
    // Equal periods of different units are fine; so are 28 days within a month.
    assert!(PublicationRules::from_toml(&rule("min = \"12 months\"\nmax = \"1 year\"")).is_ok());
    assert!(PublicationRules::from_toml(&rule("min = \"28 days\"\nmax = \"1 month\"")).is_ok());
}
