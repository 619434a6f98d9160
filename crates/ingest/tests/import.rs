//! Import end to end: real files (UTF-8 and GB18030 CSV, JSON lines, the 2016 template)
//! into a real SQLite store, with idempotent re-import, corrections, revocations and the
//! per-row report a department gets back.

use std::path::{Path, PathBuf};

use gongxin_codes::Whitelist;
use gongxin_core::catalog::Catalog;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::problem::Severity;
use gongxin_ingest::import::{ImportOptions, ImportReport, Silent, import_files};
use gongxin_store::{SqliteStore, Store, Verification};

const HEADER: &str = "CF_XDR_MC,CF_XDR_LB,CF_XDR_SHXYM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM,CF_ZT";

fn row(name: &str, code: &str, number: u32, fine: &str, status: &str) -> String {
    format!(
        "{name},法人及非法人组织,{code},榕市监罚〔2024〕{number}号,违反食品安全法,经营超过保质期的食品,《中华人民共和国食品安全法》第一百二十四条,罚款,罚款人民币{fine}万元,{fine},2024/03/05,福州市市场监督管理局,11350100MB01917672,福州市市场监督管理局,11350100MB01917672,{status}"
    )
}

struct Fixture {
    dir: tempfile::TempDir,
    catalog: Catalog,
    store: SqliteStore,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in_dir(&dir.path().join("data")).unwrap();
        Self {
            dir,
            catalog: Catalog::embedded().unwrap(),
            store,
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn import(&mut self, item: &str, files: &[&Path]) -> ImportReport {
        let whitelist = Whitelist::new();
        let options = ImportOptions {
            item: self.catalog.item(item).unwrap(),
            catalog_version: &self.catalog.version,
            whitelist: &whitelist,
            personal_key: &PersonalDataKey::from_master(&[7; 32]),
            submitting_unit: None,
            actor: "test",
            batch_rows: 2,
            max_problems: 1000,
        };
        import_files(
            &mut self.store,
            files,
            &options,
            &|| 1_700_000_000_000_000,
            &mut Silent,
        )
        .unwrap()
    }

    fn assert_verified(&self) {
        let verification = self.store.verify(&mut |_| {}).unwrap();
        assert!(
            matches!(verification, Verification::Intact { .. }),
            "{verification:?}"
        );
    }
}

#[test]
fn good_rows_are_stored_bad_rows_reported_and_reimport_changes_nothing() {
    let mut fx = Fixture::new();
    let csv = [
        HEADER.to_owned(),
        row("福州甲有限公司", "91350100M000100Y43", 1, "0.2", ""),
        row("福州乙有限公司", "91350100M000100Y42", 2, "0.2", ""), // wrong check character
        row("福州丙有限公司", "121100004000000014", 3, "1", ""),
        row("福州丁有限公司", "9.13501E+17", 4, "0.5", ""),
        row("福州戊有限公司", "91350100M000100Y43", 5, "0.3", ""),
    ]
    .join("\r\n");
    let file = fx.write("penalties.csv", csv.as_bytes());
    let report = fx.import("admin_penalty", &[&file]);
    assert_eq!(
        (report.rows, report.accepted, report.rejected),
        (5, 3, 2),
        "{report:?}"
    );

    let errors: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.problem.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 2);
    let check = errors[0];
    assert_eq!(
        (
            check.row,
            check.problem.field.as_deref(),
            check.problem.code
        ),
        (3, Some("CF_XDR_SHXYM"), "check_char_mismatch")
    );
    assert_eq!(check.problem.value.as_deref(), Some("91350100M000100Y42"));
    assert!(
        check.problem.message_zh.contains("第18位校验码应为 3"),
        "{}",
        check.problem.message_zh
    );
    assert!(
        check.problem.message_en.contains("position 18"),
        "{}",
        check.problem.message_en
    );
    assert_eq!(errors[1].problem.code, "spreadsheet_scientific");
    assert_eq!(errors[1].row, 5);

    let again = fx.import("admin_penalty", &[&file]);
    assert_eq!((again.accepted, again.unchanged, again.rejected), (0, 3, 2));
    assert_eq!(
        fx.store.counts().unwrap().events,
        3,
        "a re-import records nothing"
    );
    fx.assert_verified();

    // The report keys a department's tooling reads.
    let json = serde_json::to_value(&report).unwrap();
    for key in ["accepted", "rejected", "unchanged", "corrected", "problems"] {
        assert!(json.get(key).is_some(), "report lacks {key}");
    }
    for key in [
        "file",
        "row",
        "field",
        "value",
        "severity",
        "code",
        "message_zh",
        "message_en",
    ] {
        assert!(
            json["problems"][0].get(key).is_some(),
            "problem lacks {key}"
        );
    }
}

#[test]
fn a_changed_row_is_a_correction_and_status_revoked_revokes() {
    let mut fx = Fixture::new();
    let original = fx.write(
        "a.csv",
        [
            HEADER.to_owned(),
            row("福州甲有限公司", "91350100M000100Y43", 1, "0.2", ""),
        ]
        .join("\n")
        .as_bytes(),
    );
    fx.import("admin_penalty", &[&original]);

    let corrected = fx.write(
        "b.csv",
        [
            HEADER.to_owned(),
            row("福州甲有限公司", "91350100M000100Y43", 1, "0.5", ""),
        ]
        .join("\n")
        .as_bytes(),
    );
    let report = fx.import("admin_penalty", &[&corrected]);
    assert_eq!((report.corrected, report.accepted), (1, 0));

    let revoked = fx.write(
        "c.csv",
        [
            HEADER.to_owned(),
            row("福州甲有限公司", "91350100M000100Y43", 1, "0.5", "撤销"),
        ]
        .join("\n")
        .as_bytes(),
    );
    let report = fx.import("admin_penalty", &[&revoked]);
    assert_eq!(report.revoked, 1);

    let records = fx.store.records_of("91350100M000100Y43").unwrap();
    assert_eq!(records.len(), 1);
    let history = fx.store.history(&records[0].id).unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["record_submitted", "record_corrected", "record_revoked"]
    );
    assert_eq!(records[0].record.field("CF_NR_FK"), Some("0.5"));
    fx.assert_verified();
}

#[test]
fn gb18030_files_with_chinese_headers_import_like_utf8_ones() {
    let mut fx = Fixture::new();
    let catalog = Catalog::embedded().unwrap();
    let item = catalog.item("admin_penalty").unwrap();
    let chinese: Vec<String> = HEADER
        .split(',')
        .map(|code| item.field(code).unwrap().name_zh.clone())
        .collect();
    let text = [
        chinese.join(","),
        row("福州甲有限公司", "91350100M000100Y43", 1, "0.2", ""),
    ]
    .join("\r\n");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture really is GB18030"
    );
    let file = fx.write("gbk.csv", &bytes);
    let report = fx.import("admin_penalty", &[&file]);
    assert_eq!(
        (report.accepted, report.rejected),
        (1, 0),
        "{:?}",
        report.problems
    );
    let subject = fx.store.subject("91350100M000100Y43").unwrap().unwrap();
    assert_eq!(subject.name, "福州甲有限公司");
}

#[test]
fn json_lines_and_the_2016_template_are_accepted() {
    let mut fx = Fixture::new();
    let jsonl = concat!(
        r#"{"CF_XDR_MC":"福州甲有限公司","CF_XDR_LB":"法人及非法人组织","CF_XDR_SHXYM":"91350100M000100Y43","CF_WSH":"榕罚1号","CF_WFXW":"x","CF_SY":"x","CF_YJ":"x","CF_CFLB":"警告","CF_NR":"警告","CF_JDRQ":"2024-03-05","CF_CFJG":"福州市市场监督管理局","CF_CFJGDM":"11350100MB01917672","CF_SJLY":"福州市市场监督管理局","CF_SJLYDM":"11350100MB01917672"}"#,
        "\n",
        "{not json}\n",
        r#"{"CF_XDR_MC":"福州乙有限公司","CF_XDR_LB":"法人及非法人组织","CF_XDR_SHXYM":"121100004000000014","CF_WSH":"榕罚2号","CF_WFXW":"x","CF_SY":"x","CF_YJ":"x","CF_CFLB":"罚款","CF_NR":"罚款","CF_NR_FK":0.2,"CF_JDRQ":"2024-03-05","CF_CFJG":"福州市市场监督管理局","CF_CFJGDM":"11350100MB01917672","CF_SJLY":"福州市市场监督管理局","CF_SJLYDM":"11350100MB01917672"}"#,
        "\n",
    );
    let file = fx.write("rows.jsonl", jsonl.as_bytes());
    let report = fx.import("admin_penalty", &[&file]);
    // The third line brings a key (CF_NR_FK) the first lacked: the header grows with it.
    assert_eq!(
        (report.accepted, report.rejected),
        (2, 1),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].problem.code, "unreadable_row");
    let fined = fx.store.records_of("121100004000000014").unwrap();
    assert_eq!(fined[0].record.field("CF_NR_FK"), Some("0.2"));

    let legacy = "CF_WSH,CF_CFMC,CF_CFLB1,CF_XDR_MC,CF_XDR_GSDJ,CF_JG,CF_NR_FK,CF_JDRQ,CF_XZJG,DFBM,SJC\n\
                  京工商罚字〔2016〕第12号,无照经营,罚款,北京某某商贸有限公司,110108000000016,罚款一万元,1,20160412,北京市工商行政管理局海淀分局,110108,2016-04-13 10:00:00\n";
    let file = fx.write("legacy.csv", legacy.as_bytes());
    let report = fx.import("admin_penalty", &[&file]);
    assert_eq!(
        (report.accepted, report.rejected),
        (1, 0),
        "{:?}",
        report.problems
    );
    assert!(fx.store.subject("110108000000016").unwrap().is_some());
    fx.assert_verified();
}

#[test]
fn a_file_of_another_item_is_refused_whole_and_the_others_still_import() {
    let mut fx = Fixture::new();
    let wrong = fx.write(
        "licences.csv",
        "XK_XDR_MC,XK_WSH,XK_JDRQ\n甲,1,2024-01-01\n".as_bytes(),
    );
    let missing = fx.dir.path().join("missing.csv");
    let good = fx.write(
        "good.csv",
        [
            HEADER.to_owned(),
            row("福州甲有限公司", "91350100M000100Y43", 1, "0.2", ""),
        ]
        .join("\n")
        .as_bytes(),
    );
    let report = fx.import("admin_penalty", &[&wrong, &missing, &good]);
    assert_eq!((report.rejected_files, report.accepted), (2, 1));
    let codes: Vec<_> = report.problems.iter().map(|p| p.problem.code).collect();
    assert!(
        codes.contains(&"missing_columns") && codes.contains(&"unreadable_file"),
        "{codes:?}"
    );
}

/// A minimal workbook, one sheet of inline strings, written as Excel lays it out.
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    use std::io::Write;
    let column = |i: usize| char::from(b'A' + i as u8);
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, text) in cells.iter().enumerate() {
            sheet.push_str(&format!(
                r#"<c r="{}{}" t="inlineStr"><is><t>{text}</t></is></c>"#,
                column(c),
                r + 1
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="处罚" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn xlsx_workbooks_import_like_csv() {
    let mut fx = Fixture::new();
    let header: Vec<&str> = HEADER.split(',').collect();
    let good = row("福州甲有限公司", "91350100M000100Y43", 1, "0.2", "");
    let bad = row("福州乙有限公司", "91350100M000100Y43", 2, "", "");
    let rows = vec![header, good.split(',').collect(), bad.split(',').collect()];
    let file = fx.write("penalties.xlsx", &xlsx(&rows));
    let report = fx.import("admin_penalty", &[&file]);
    assert_eq!(
        (report.accepted, report.rejected),
        (1, 1),
        "{:?}",
        report.problems
    );
    let problem = &report.problems[0];
    assert_eq!(
        (
            problem.row,
            problem.problem.field.as_deref(),
            problem.problem.code
        ),
        (3, Some("CF_NR_FK"), "required")
    );
    assert!(
        problem.problem.message_zh.contains("罚款"),
        "{}",
        problem.problem.message_zh
    );
}
