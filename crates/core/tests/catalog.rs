//! The embedded catalog loads and is complete, broken catalogs fail with the file and the
//! reason, and rows are judged exactly by the catalog's rules.

use gongxin_codes::Whitelist;
use gongxin_core::catalog::{Catalog, Disclosure, Item};
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::problem::Problem;
use gongxin_core::record::{ParseContext, ParsedRow, RecordStatus, SubjectId, Template};

fn catalog() -> Catalog {
    Catalog::embedded().expect("the embedded catalog is valid")
}

fn parse(item: &Item, template: Template, row: &[(&str, &str)]) -> Result<ParsedRow, Vec<Problem>> {
    for (code, _) in row {
        assert!(
            item.field(code).is_some(),
            "test row names unknown field {code}"
        );
    }
    let cells: Vec<Option<&str>> = item
        .fields
        .iter()
        .map(|f| row.iter().find(|(c, _)| *c == f.code).map(|(_, v)| *v))
        .collect();
    let whitelist = Whitelist::new();
    let context = ParseContext {
        catalog_version: "test",
        whitelist: &whitelist,
        personal_key: &test_key(),
        submitting_unit: None,
        template,
    };
    item.parse_row(context, &cells)
}

/// A complete, valid penalty row in the current layout.
const PENALTY: &[(&str, &str)] = &[
    ("CF_XDR_MC", "福州市某某餐饮管理有限公司"),
    ("CF_XDR_LB", "法人及非法人组织"),
    ("CF_XDR_SHXYM", "91350100M000100Y43"),
    ("CF_FRDB", "张三"),
    ("CF_WSH", "榕市监罚〔2024〕118号"),
    ("CF_WFXW", "违反食品安全法"),
    ("CF_SY", "经营超过保质期的食品"),
    ("CF_YJ", "《中华人民共和国食品安全法》第一百二十四条"),
    ("CF_CFLB", "警告；罚款"),
    ("CF_NR", "警告，罚款人民币2000元"),
    ("CF_NR_FK", "0.2"),
    ("CF_JDRQ", "2024/3/5"),
    ("CF_CFJG", "福州市市场监督管理局"),
    ("CF_CFJGDM", "11350100MB01917672"),
    ("CF_SJLY", "福州市市场监督管理局"),
    ("CF_SJLYDM", "11350100MB01917672"),
];

fn with(
    base: &[(&'static str, &'static str)],
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut row: Vec<_> = base
        .iter()
        .filter(|(code, _)| !changes.iter().any(|(c, _)| c == code))
        .copied()
        .collect();
    row.extend(changes.iter().filter(|(_, v)| !v.is_empty()));
    row
}

fn error_codes(result: Result<ParsedRow, Vec<Problem>>) -> Vec<(&'static str, Option<String>)> {
    match result {
        Ok(row) => panic!("expected a rejection, got {:?}", row.record),
        Err(problems) => problems
            .into_iter()
            .filter(Problem::is_error)
            .map(|p| (p.code, p.field))
            .collect(),
    }
}

#[test]
fn the_embedded_catalog_has_every_required_item_with_its_rules() {
    let catalog = catalog();
    for id in [
        "admin_license",
        "admin_penalty",
        "serious_dishonesty",
        "abnormal_operation",
        "dishonest_debtor",
        "honour",
        "credit_commitment",
    ] {
        let item = catalog.item(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(!item.legal_basis.is_empty(), "{id}");
        assert!(catalog.category(&item.category).is_some(), "{id}");
    }
    assert_eq!(
        catalog.categories.len(),
        13,
        "the 2024 national catalog has 13 kinds"
    );
    let rules = gongxin_core::publication::PublicationRules::default_rules();
    catalog
        .check_publication_rules(rules)
        .expect("every item names a defined publication rule");
    let penalty = catalog.item("admin_penalty").unwrap();
    let id_number = penalty.field("CF_FR_ZJHM").unwrap();
    assert!(id_number.personal);
    assert!(penalty.field_disclosure(id_number) > Disclosure::Public);
    assert_eq!(
        penalty.field_disclosure(penalty.field("CF_NR").unwrap()),
        Disclosure::Public
    );
}

#[test]
fn a_broken_catalog_names_the_file_and_the_fault() {
    let (main, items) = Catalog::embedded_sources();
    let penalty = items
        .iter()
        .find(|(name, _)| name.contains("admin_penalty"))
        .unwrap()
        .1;
    let cases = [
        (
            penalty.replace(
                "max_len = 200\nrequired = true",
                "max_len = 200\nrequried = true",
            ),
            "requried",
        ),
        (
            penalty.replace("decision_date = \"CF_JDRQ\"", "decision_date = \"CF_NOPE\""),
            "CF_NOPE",
        ),
        (
            penalty.replace("category = \"administrative\"", "category = \"nowhere\""),
            "nowhere",
        ),
        (
            penalty.replace("type = \"decimal\"\nscale = 6", "type = \"decimal\""),
            "scale",
        ),
        (
            penalty.replace("\"有效\" = \"正常\"", "\"有效\" = \"良好\""),
            "良好",
        ),
    ];
    for (broken, needle) in cases {
        assert_ne!(
            broken, penalty,
            "the case for {needle} did not change the file"
        );
        let error =
            Catalog::from_sources(main, &[("items/admin_penalty.toml", &broken)]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("admin_penalty.toml"), "{message}");
        assert!(
            message.contains(needle),
            "{message} should mention {needle}"
        );
    }
}

#[test]
fn a_complete_penalty_row_becomes_a_normalised_record() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let parsed = parse(item, Template::Current, PENALTY).unwrap();
    let record = parsed.record;
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(record.subject.to_string(), "91350100M000100Y43");
    assert_eq!(record.key.source_unit, "11350100MB01917672");
    assert_eq!(record.key.document_no, "榕市监罚〔2024〕118号");
    assert_eq!(record.decision_date.to_string(), "2024-03-05");
    assert_eq!(record.field("CF_CFLB"), Some("警告;罚款"));
    assert_eq!(record.field("CF_JDRQ"), Some("2024-03-05"));
    assert_eq!(record.status, RecordStatus::Normal);
    assert_eq!(record.catalog_version, "test");
    // The payload round-trips, field order and all, so its hash can be recomputed.
    let payload = record.to_payload();
    let back = gongxin_core::record::Record::from_payload(&payload).unwrap();
    assert_eq!(back.to_payload(), payload);
    assert_eq!(back.content_hash(), record.content_hash());
}

#[test]
fn rows_are_rejected_for_every_rule_of_the_layout() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    // (changes to the valid row, expected (problem code, field) errors)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (&[("CF_NR_FK", "")], &[("required", "CF_NR_FK")]),
        (&[("CF_WSH", "")], &[("required", "CF_WSH")]),
        (&[("CF_JDRQ", "2024-02-30")], &[("bad_date", "CF_JDRQ")]),
        (
            &[("CF_XDR_SHXYM", "91350100M000100Y42")],
            &[("check_char_mismatch", "CF_XDR_SHXYM")],
        ),
        (
            &[("CF_XDR_SHXYM", "9.13501E+17")],
            &[("spreadsheet_scientific", "CF_XDR_SHXYM")],
        ),
        (&[("CF_CFLB", "罚酒")], &[("bad_set_value", "CF_CFLB")]),
        (&[("CF_NR_FK", "2千")], &[("bad_number", "CF_NR_FK")]),
        (&[("CF_SJLYDM", "")], &[("required", "CF_SJLYDM")]),
        (&[("CF_XDR_LB", "外星人")], &[("bad_enum", "CF_XDR_LB")]),
    ];
    for (changes, expected) in cases {
        let row = with(PENALTY, changes);
        let got = error_codes(parse(item, Template::Current, &row));
        let expected: Vec<_> = expected
            .iter()
            .map(|(c, f)| (*c, Some((*f).to_owned())))
            .collect();
        assert_eq!(got, expected, "changes {changes:?}");
    }
}

#[test]
fn natural_persons_are_out_of_scope() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let row = with(PENALTY, &[("CF_XDR_LB", "自然人"), ("CF_XDR_SHXYM", "")]);
    let got = error_codes(parse(item, Template::Current, &row));
    assert_eq!(got[0].0, "natural_person_out_of_scope");
}

#[test]
fn the_placeholder_needs_a_registration_number() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let placeholder = [
        ("CF_XDR_LB", "个体工商户"),
        ("CF_XDR_SHXYM", "00000000000000000X"),
    ];
    let got = error_codes(parse(item, Template::Current, &with(PENALTY, &placeholder)));
    assert_eq!(
        got,
        vec![("missing_subject_code", Some("CF_XDR_GSZC".to_owned()))]
    );

    let mut row = with(PENALTY, &placeholder);
    row.push(("CF_XDR_GSZC", "110108000000016"));
    let record = parse(item, Template::Current, &row).unwrap().record;
    assert_eq!(
        record.subject,
        SubjectId::RegNo("110108000000016".parse().unwrap())
    );
    assert_eq!(record.field("CF_XDR_SHXYM"), Some("00000000000000000X"));
}

#[test]
fn the_2016_template_does_without_the_newer_fields() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let row = [
        ("CF_WSH", "京工商罚字〔2016〕第12号"),
        ("CF_CFMC", "无照经营"),
        ("CF_CFLB", "罚款"),
        ("CF_NR_FK", "1"),
        ("CF_XDR_MC", "北京某某商贸有限公司"),
        ("CF_XDR_GSZC", "110108000000016"),
        ("CF_NR", "罚款一万元"),
        ("CF_JDRQ", "20160412"),
        ("CF_CFJG", "北京市工商行政管理局海淀分局"),
        ("DFBM", "110108"),
    ];
    let record = parse(item, Template::Legacy2016, &row).unwrap().record;
    assert_eq!(record.key.source_unit, "北京市工商行政管理局海淀分局");
    assert_eq!(record.subject.to_string(), "110108000000016");
    // The same row judged by the current template misses what that template requires.
    let missing = error_codes(parse(item, Template::Current, &row));
    assert!(
        missing
            .iter()
            .any(|(_, f)| f.as_deref() == Some("CF_SJLYDM")),
        "{missing:?}"
    );
}

#[test]
fn status_revoked_and_corrections_change_the_content_hash() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let original = parse(item, Template::Current, PENALTY).unwrap().record;
    let revoked = parse(item, Template::Current, &with(PENALTY, &[("CF_ZT", "1")]))
        .unwrap()
        .record;
    assert_eq!(revoked.status, RecordStatus::Revoked);
    assert_eq!(revoked.key, original.key);
    assert_ne!(revoked.content_hash(), original.content_hash());
    // Spelling differences that normalise away are not a correction.
    let respelled = with(
        PENALTY,
        &[
            ("CF_JDRQ", "20240305"),
            ("CF_CFLB", "警告、罚款"),
            ("CF_NR_FK", "0.20"),
        ],
    );
    let same = parse(item, Template::Current, &respelled).unwrap().record;
    assert_eq!(same.content_hash(), original.content_hash());
}

#[test]
fn a_prepared_record_hashes_its_event_as_sealing_does() {
    use gongxin_core::event::{ChainVerifier, EventDraft, EventKind, Hash};
    use gongxin_core::record::PreparedRecord;
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let record = parse(item, Template::Current, PENALTY).unwrap().record;
    let prepared = PreparedRecord::new(record);
    let kind = EventKind::RecordSubmitted;
    let sealed = EventDraft {
        kind,
        subject: prepared.subject().to_owned(),
        record: prepared.id().to_string(),
        recorded_at_us: 1_700_000_000_000_000,
        actor: "test".into(),
        payload: prepared.payload().to_owned(),
    }
    .seal(1, Hash::GENESIS);
    let cheap = prepared.event_hash(kind, 1, &Hash::GENESIS, "test", 1_700_000_000_000_000);
    assert_eq!(cheap, sealed.hash);
    ChainVerifier::default().check(&sealed).unwrap();
}

#[test]
fn old_codes_in_a_row_travel_with_a_uscc_subject() {
    let catalog = catalog();
    let item = catalog.item("admin_penalty").unwrap();
    let mut row = PENALTY.to_vec();
    row.push(("CF_XDR_GSZC", "110108000000016"));
    row.push(("CF_XDR_ZZJG", "D2143569-X"));
    let record = parse(item, Template::Current, &row).unwrap().record;
    let old: Vec<String> = record.old_codes.iter().map(ToString::to_string).collect();
    assert_eq!(old, ["110108000000016", "D2143569X"]);
    let back = gongxin_core::record::Record::from_payload(&record.to_payload()).unwrap();
    assert_eq!(back.old_codes, record.old_codes);
}

/// A fixed key: tests look at sealed values, never at the key.
fn test_key() -> PersonalDataKey {
    PersonalDataKey::from_master(&[7; 32])
}
