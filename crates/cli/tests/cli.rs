//! The `gongxin` binary as users and scripts run it: real processes, real files, real SQLite.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{gongxin, path, stdout};
use gongxin_store::{SqliteStore, Store};
use serde_json::Value;

/// Generates `records` rows of `item` about `subjects` subjects under `dir` and imports them
/// into a data directory there, which it returns.
fn generated_and_imported(dir: &Path, item: &str, subjects: u32, records: u32) -> PathBuf {
    let file = common::generated(&dir.join("in"), item, subjects, records);
    let data = dir.join("data");
    let imported = gongxin(&[
        "import",
        "--data-dir",
        path(&data),
        "--item",
        item,
        path(&file),
    ]);
    assert!(imported.status.success(), "{}", stdout(&imported));
    data
}

#[test]
fn every_command_has_help() {
    for command in [
        vec!["--help"],
        vec!["code", "validate", "--help"],
        vec!["import", "--help"],
        vec!["verify", "--help"],
        vec!["subject", "--help"],
        vec!["generate", "--help"],
        vec!["demo", "--help"],
        vec!["catalog", "--help"],
        vec!["bench", "ingest", "--help"],
        vec!["bench", "serve", "--help"],
        vec!["bench", "screen", "--help"],
        vec!["bench", "federate", "--help"],
        vec!["serve", "--help"],
        vec!["keys", "create", "--help"],
        vec!["keys", "list", "--help"],
        vec!["keys", "revoke", "--help"],
        vec!["reindex", "--help"],
        vec!["screen", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["federate", "--help"],
    ] {
        let output = gongxin(&command);
        assert!(output.status.success(), "{command:?}");
        assert!(stdout(&output).contains("Usage"), "{command:?}");
    }
}

#[test]
fn keys_are_created_shown_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = path(dir.path());
    let created = gongxin(&[
        "keys",
        "create",
        "--data-dir",
        data,
        "--role",
        "department",
        "--name",
        "福州市场监管",
        "--unit",
        "11350100MB01917672",
        "--items",
        "admin_penalty,admin_license",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key: Value = serde_json::from_str(&stdout(&created)).unwrap();
    let secret = key["secret"].as_str().unwrap();
    assert!(secret.starts_with("gx_"));
    let id = key["id"].as_str().unwrap();
    let listed = stdout(&gongxin(&["keys", "list", "--data-dir", data]));
    assert!(
        listed.contains(id) && listed.contains("福州市场监管"),
        "{listed}"
    );
    assert!(!listed.contains(secret), "secrets are never listed");
    assert!(
        gongxin(&["keys", "revoke", "--data-dir", data, id])
            .status
            .success()
    );
    let listed: Value =
        serde_json::from_str(stdout(&gongxin(&["keys", "list", "--data-dir", data])).trim())
            .unwrap();
    assert!(listed["revoked_at_us"].as_i64().is_some());
    assert_eq!(
        gongxin(&["keys", "revoke", "--data-dir", data, id])
            .status
            .code(),
        Some(1)
    );
    let bad = gongxin(&[
        "keys",
        "create",
        "--data-dir",
        data,
        "--role",
        "department",
        "--name",
        "x",
        "--unit",
        "u",
        "--items",
        "nonsense",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nonsense"));
}

#[test]
fn code_validate_prints_one_json_object_per_code() {
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codes/data/uscc_valid_stdnum.txt"
    );
    let codes: Vec<&str> = include_str!("../../codes/data/uscc_valid_stdnum.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let output = gongxin(&["code", "validate", "--file", reference]);
    assert!(output.status.success(), "all reference codes are valid");
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), codes.len());
    assert_eq!(lines.len(), 200);
    for line in &lines {
        for key in [
            "input", "code", "kind", "valid", "errors", "warnings", "parts",
        ] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert_eq!(line["kind"], "uscc");
    }

    let output = gongxin(&[
        "code",
        "validate",
        "91350100M000100Y42",
        "9.14E+17",
        "00000000000000000X",
        "110108000000016",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an invalid code makes the exit status 1"
    );
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["errors"][0]["code"], "check_char_mismatch");
    assert_eq!(lines[0]["errors"][0]["position"], 18);
    assert_eq!(lines[0]["errors"][0]["expected"], "3");
    assert_eq!(lines[1]["errors"][0]["code"], "spreadsheet_scientific");
    assert_eq!(lines[2]["kind"], "placeholder");
    assert_eq!(
        (lines[3]["kind"].as_str(), lines[3]["valid"].as_bool()),
        (Some("reg_no"), Some(true))
    );
    assert_eq!(lines[3]["parts"]["region"]["county"], "海淀区");
}

#[test]
fn a_killed_import_leaves_whole_batches_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let data = dir.path().join("data");
    let rows = 60_000;
    let generated = gongxin(&[
        "generate",
        "--subjects",
        "5000",
        "--records",
        &rows.to_string(),
        "--item",
        "admin_penalty",
        "--bad-per-mille",
        "0",
        "--out",
        path(&input),
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let file = input.join("admin_penalty.csv");
    let batch = 2_000;
    let import_args = [
        "import",
        "--data-dir",
        path(&data),
        "--item",
        "admin_penalty",
        "--batch-rows",
        "2000",
        path(&file),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args(import_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as some batches are committed, while it is still working.
    let started = Instant::now();
    loop {
        let stored = SqliteStore::open_in_dir(&data)
            .and_then(|s| s.counts())
            .map_or(0, |c| c.records);
        if stored > 0 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let store = SqliteStore::open_in_dir(&data).unwrap();
    let after_kill = store.counts().unwrap();
    assert!(
        !status.success() || after_kill.records == rows,
        "the import was killed mid-way"
    );
    assert_eq!(
        after_kill.records % batch,
        0,
        "no half batch: {after_kill:?}"
    );
    assert_eq!(after_kill.events, after_kill.records);
    drop(store);
    let verify = gongxin(&["verify", "--data-dir", path(&data)]);
    assert!(verify.status.success(), "{}", stdout(&verify));

    let report = dir.path().join("report.json");
    let mut args = import_args.to_vec();
    args.extend(["--report", path(&report)]);
    let rerun = gongxin(&args);
    assert!(rerun.status.success());
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let accepted = report["accepted"].as_u64().unwrap();
    let unchanged = report["unchanged"].as_u64().unwrap();
    assert_eq!(
        unchanged, after_kill.records,
        "what was stored before the kill is unchanged"
    );
    assert_eq!(accepted + unchanged, rows);
    assert_eq!(
        SqliteStore::open_in_dir(&data)
            .unwrap()
            .counts()
            .unwrap()
            .records,
        rows
    );
    let verify = gongxin(&["verify", "--data-dir", path(&data)]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}

#[test]
fn verify_names_the_event_edited_behind_the_platforms_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated_and_imported(dir.path(), "admin_penalty", 50, 200);
    let verify = gongxin(&["verify", "--data-dir", path(&data)]);
    assert!(verify.status.success(), "{}", stdout(&verify));

    // Someone marks a penalty revoked directly in the database file.
    let db = rusqlite::Connection::open(data.join("gongxin.sqlite")).unwrap();
    let changed = db
        .execute(
            "UPDATE events SET payload = replace(payload, '\"status\":\"normal\"', '\"status\":\"revoked\"') \
             WHERE seq = 57 AND payload LIKE '%\"status\":\"normal\"%'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let verify = gongxin(&["verify", "--data-dir", path(&data)]);
    assert_eq!(verify.status.code(), Some(1));
    let text = stdout(&verify);
    assert!(text.contains("event 57"), "{text}");
}

#[test]
fn identity_numbers_are_stored_sealed_and_shown_masked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("p.csv");
    std::fs::write(
        &file,
        "CF_XDR_MC,CF_XDR_LB,CF_XDR_SHXYM,CF_FRDB,CF_FR_ZJHM,CF_WSH,CF_WFXW,CF_SY,CF_YJ,CF_CFLB,CF_NR,CF_JDRQ,CF_CFJG,CF_CFJGDM,CF_SJLY,CF_SJLYDM\n\
         福州甲有限公司,法人及非法人组织,91350100M000100Y43,张三,11010519491231002X,榕罚1号,x,x,x,警告,警告,2024-03-05,福州市市场监督管理局,11350100MB01917672,福州市市场监督管理局,11350100MB01917672\n",
    )
    .unwrap();
    assert!(
        gongxin(&[
            "import",
            "--data-dir",
            path(&data),
            "--item",
            "admin_penalty",
            path(&file)
        ])
        .status
        .success()
    );
    // Found by its embedded organisation code too.
    for code in ["91350100M000100Y43", "M000100Y4"] {
        let output = gongxin(&["subject", "--data-dir", path(&data), code]);
        assert!(output.status.success(), "{code}");
        let profile: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(profile["name"], "福州甲有限公司");
        assert_eq!(
            profile["records"][0]["fields"]["CF_FR_ZJHM"],
            "110105********002X"
        );
    }
    // At rest the number is sealed: neither the database nor its log holds it, and the key
    // lives apart from the database.
    for entry in std::fs::read_dir(&data).unwrap() {
        let file = entry.unwrap().path();
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if file.ends_with("personal-data.key") {
            assert_eq!(text.trim().len(), 64);
        } else {
            assert!(!text.contains("11010519491231002X"), "{}", file.display());
            assert!(!text.contains("110105194912"), "{}", file.display());
        }
    }
    let missing = gongxin(&[
        "subject",
        "--data-dir",
        path(&data),
        "91350100M000100Y43".replace('9', "5").as_str(),
    ]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn screen_writes_one_row_per_applicant_and_logs_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated_and_imported(dir.path(), "serious_dishonesty", 60, 120);

    let store = SqliteStore::open_in_dir(&data).unwrap();
    let listed = store.subjects_holding(&["serious_dishonesty"]).unwrap();
    let listed_name = store.subject(&listed[1]).unwrap().unwrap().name;
    drop(store);
    // A listed subject by code, one by name only, a clean code, a mistyped code.
    let applicants = dir.path().join("applicants.csv");
    std::fs::write(
        &applicants,
        format!(
            "编号,统一社会信用代码,企业名称\nA1,{},\nA2,,{listed_name}\nA3,91350200MA00000019,\nA4,9135020,坏代码\n",
            listed[0]
        ),
    )
    .unwrap();
    let results = dir.path().join("results.jsonl");
    // In the scenario of the serious list's restrictions; a day before every entry ends.
    let screened = gongxin(&[
        "screen",
        "--data-dir",
        path(&data),
        "--scenario",
        "bidding",
        "--input",
        path(&applicants),
        "--output",
        path(&results),
        "--purpose",
        "招标资格审查",
        "--today",
        "2026-11-01",
    ]);
    assert!(screened.status.success(), "{}", stdout(&screened));
    assert!(stdout(&screened).contains("screened 4 applicants"));
    let rows: Vec<Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["applicant"]["matched_by"], "code");
    assert_eq!(rows[1]["applicant"]["matched_by"], "name");
    assert_eq!(rows[1]["applicant"]["code"], listed[1].as_str());
    assert!(rows[1]["name_candidates"][0]["score"].as_f64().unwrap() >= 0.8);
    assert!(rows[2]["hits"].as_array().unwrap().is_empty());
    assert_eq!(rows[2]["applicant"]["known"], false);
    assert!(rows[3]["problem"].as_str().unwrap().contains("9135020"));
    let receipt = rows[0]["receipt"]
        .as_str()
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    assert!(receipt.starts_with("ckb_"));

    // The batch is in the check log with the digests of both files.
    let store = SqliteStore::open_in_dir(&data).unwrap();
    let entry = store
        .check_entry(&receipt)
        .unwrap()
        .expect("the batch is logged");
    let answer: Value = serde_json::from_str(&entry.answer).unwrap();
    assert_eq!(answer["rows"], 4);
    assert_eq!(answer["output_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(entry.purpose, "招标资格审查");

    // An unknown scenario is refused with the known ones named.
    let refused = gongxin(&[
        "screen",
        "--data-dir",
        path(&data),
        "--scenario",
        "lottery",
        "--input",
        path(&applicants),
        "--output",
        path(&results),
        "--purpose",
        "x",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("government_procurement"));
}

#[test]
fn a_backup_taken_while_importing_restores_to_a_store_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated_and_imported(dir.path(), "admin_penalty", 100, 1_000);
    // A larger import goes on while the backup is taken.
    let more = dir.path().join("more");
    common::generated(&more, "admin_license", 2000, 20000);
    let mut import = Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args([
            "import",
            "--data-dir",
            path(&data),
            "--item",
            "admin_license",
            path(&more.join("admin_license.csv")),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let snapshot = dir.path().join("backup.sqlite");
    let backup = gongxin(&[
        "backup",
        "--data-dir",
        path(&data),
        "--out",
        path(&snapshot),
    ]);
    assert!(backup.status.success(), "{}", stdout(&backup));
    let taken: Value = serde_json::from_str(stdout(&backup).trim()).unwrap();
    assert!(taken["events"].as_u64().unwrap() >= 1_000, "{taken}");
    assert!(import.wait().unwrap().success());
    // Never over an existing file.
    let again = gongxin(&[
        "backup",
        "--data-dir",
        path(&data),
        "--out",
        path(&snapshot),
    ]);
    assert!(!again.status.success());

    // Restored into a new data directory: it verifies, with the head the backup reported,
    // and its search index is rebuilt.
    let restored = dir.path().join("restored");
    let restore = gongxin(&["restore", "--data-dir", path(&restored), path(&snapshot)]);
    assert!(restore.status.success(), "{}", stdout(&restore));
    let verify = gongxin(&["verify", "--data-dir", path(&restored)]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    let head = taken["head"].as_str().unwrap();
    assert!(stdout(&verify).contains(head), "{}", stdout(&verify));
    assert!(stdout(&restore).contains("search index rebuilt"));

    // An existing store is kept aside only when asked.
    let refused = gongxin(&["restore", "--data-dir", path(&restored), path(&snapshot)]);
    assert!(!refused.status.success());
    let replaced = gongxin(&[
        "restore",
        "--data-dir",
        path(&restored),
        "--replace",
        path(&snapshot),
    ]);
    assert!(replaced.status.success(), "{}", stdout(&replaced));
    assert!(restored.join("gongxin.sqlite.before-restore").exists());

    // A backup edited behind the platform's back is refused, and nothing is installed.
    let tampered = dir.path().join("tampered.sqlite");
    std::fs::copy(&snapshot, &tampered).unwrap();
    let db = rusqlite::Connection::open(&tampered).unwrap();
    db.execute("UPDATE events SET actor = 'someone' WHERE seq = 10", [])
        .unwrap();
    drop(db);
    let elsewhere = dir.path().join("elsewhere");
    let refused = gongxin(&["restore", "--data-dir", path(&elsewhere), path(&tampered)]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));
    assert!(!elsewhere.join("gongxin.sqlite").exists());
}
