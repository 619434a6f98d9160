//! Tests against real reference data copied into `data/` (never read from outside the crate).

use gongxin_codes::regions::{Status, region};
use gongxin_codes::{Kind, Uscc, Whitelist, analyse};

/// 200 real codes collected by python-stdnum (see the file's header for provenance).
const STDNUM: &str = include_str!("../data/uscc_valid_stdnum.txt");

/// Division codes in use at the end of 2024, `code name` per line.
const MCA_2024: &str = include_str!("../data/mca_county_level_codes_2024.txt");

fn stdnum_codes() -> impl Iterator<Item = &'static str> {
    STDNUM
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn all_stdnum_codes_validate_without_errors() {
    let whitelist = Whitelist::new();
    let mut count = 0;
    for code in stdnum_codes() {
        let parsed = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(parsed.as_str(), code);
        let analysis = analyse(code, &whitelist);
        assert_eq!(analysis.kind, Kind::Uscc, "{code}");
        assert!(analysis.valid, "{code}: {:?}", analysis.errors);
        assert!(analysis.errors.is_empty(), "{code}");
        count += 1;
    }
    assert_eq!(count, 200);
}

/// Real codes are the best check that warnings are rare and sensible: every warning raised on
/// this sample is one of the kinds real registries are known to produce.
#[test]
fn stdnum_codes_raise_only_expected_warnings() {
    for code in stdnum_codes() {
        let parsed = Uscc::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        for warning in parsed.warnings() {
            assert!(
                [
                    "unknown_region",
                    "retired_region",
                    "org_code_check_mismatch"
                ]
                .contains(&warning.code()),
                "{code}: {warning}"
            );
        }
        assert!(parsed.department_info().is_some(), "{code}");
    }
}

#[test]
fn every_2024_division_code_looks_up_as_in_use() {
    let mut count = 0;
    for line in MCA_2024.lines().filter(|l| !l.trim().is_empty()) {
        let (code, name) = line.split_once(' ').unwrap_or_else(|| panic!("{line:?}"));
        let r = region(code).unwrap_or_else(|| panic!("{code} {name} missing"));
        assert_eq!(r.status, Status::InUse, "{code} {name}");
        assert_eq!(r.name, name.trim(), "{code}");
        count += 1;
    }
    assert!(count > 3000, "{count}");
}
