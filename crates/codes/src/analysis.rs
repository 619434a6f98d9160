//! `analyse`: a full, serialisable account of one input, for `gongxin code validate` and for
//! import reports. Unlike the parsers it guesses the kind of code, describes the parts even of
//! codes whose check fails, and collects every warning; it allocates freely.

use serde::Serialize;

use crate::departments;
use crate::error::CodeError;
use crate::normalise::{normalise, scientific_exponent};
use crate::org_code;
use crate::reg_no;
use crate::regions::{self, Status};
use crate::uscc::{self, PLACEHOLDER, ascii};
use crate::warning::Warning;
use crate::whitelist::Whitelist;

/// What kind of code an input was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 18 characters: unified social credit code.
    Uscc,
    /// 9 characters (or 8 + hyphen + 1): organisation code.
    OrgCode,
    /// 15 digits: registration number.
    RegNo,
    /// `00000000000000000X`: "no code".
    Placeholder,
    /// Anything else.
    Unknown,
}

/// One error or warning, as it appears in the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable snake_case code, e.g. `check_char_mismatch`.
    pub code: &'static str,
    /// Chinese and English, separated by ` / `.
    pub message: String,
    /// 1-based position in the normalised code, when the finding points at one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// The character that belongs at `position`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<char>,
}

impl From<&CodeError> for Finding {
    fn from(e: &CodeError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            position: e.position(),
            expected: e.expected(),
        }
    }
}

impl From<&Warning> for Finding {
    fn from(w: &Warning) -> Self {
        Self {
            code: w.code(),
            message: w.to_string(),
            position: w.position(),
            expected: w.expected(),
        }
    }
}

/// A symbol and its name in the department table, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labelled {
    /// The symbol.
    pub code: char,
    /// Its name, or `None` when unknown.
    pub name: Option<&'static str>,
}

/// A division code and its names. For an unknown code the province and prefecture names come
/// from its `xx0000` and `xxxx00` parents when those are known, since development-zone codes
/// usually sit under a real city.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionParts {
    /// Six digits.
    pub code: String,
    /// The division's own name (e.g. `崇文区`, `福州市`, `中央` for `100000`), `None` if unknown.
    pub name: Option<&'static str>,
    /// Province-level name.
    pub province: Option<&'static str>,
    /// Prefecture-level name.
    pub city: Option<&'static str>,
    /// County-level name.
    pub county: Option<&'static str>,
    /// `in_use`, `retired`, `standard_only`, or `null` when the code is unknown.
    pub status: Option<Status>,
}

impl RegionParts {
    fn of(code: &str) -> Self {
        match regions::region(code) {
            Some(r) => Self {
                code: code.to_owned(),
                name: Some(r.name),
                province: r.province,
                city: r.city,
                county: r.county,
                status: Some(r.status),
            },
            None => {
                let parent = |suffix: &str| {
                    code.get(..6 - suffix.len())
                        .and_then(|p| regions::region(&format!("{p}{suffix}")))
                };
                Self {
                    code: code.to_owned(),
                    name: None,
                    province: parent("0000").and_then(|r| r.province),
                    city: parent("00").and_then(|r| r.city),
                    county: None,
                    status: None,
                }
            }
        }
    }
}

/// Parts of a structurally valid USCC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsccParts {
    /// Position 1.
    pub department: Labelled,
    /// Position 2.
    pub org_type: Labelled,
    /// Positions 3–8.
    pub region: RegionParts,
    /// Positions 9–17.
    pub org_code: String,
    /// Position 18.
    pub check_char: char,
}

/// Parts of a structurally valid organisation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgCodeParts {
    /// The 8-character body.
    pub body: String,
    /// The check character.
    pub check_char: char,
}

/// Parts of a structurally valid registration number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegNoParts {
    /// Digits 1–6.
    pub region: RegionParts,
    /// Digits 7–14.
    pub sequence: String,
    /// Digit 15.
    pub check_digit: char,
}

/// The decomposition of a code, shaped by its kind (serialised without a tag; `kind` says which).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Parts {
    /// For [`Kind::Uscc`].
    Uscc(UsccParts),
    /// For [`Kind::OrgCode`].
    OrgCode(OrgCodeParts),
    /// For [`Kind::RegNo`].
    RegNo(RegNoParts),
}

/// Everything [`analyse`] found out about one input; serialises to one JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// The input as given.
    pub input: String,
    /// The normalised code, or `None` when the input is not recognisably a code.
    pub code: Option<String>,
    /// What the input was taken for.
    pub kind: Kind,
    /// Whether it is a valid code of that kind (errors empty; never for the placeholder).
    pub valid: bool,
    /// Why it is invalid.
    pub errors: Vec<Finding>,
    /// Remarks that do not invalidate it.
    pub warnings: Vec<Finding>,
    /// Its parts, whenever the structure allows reading them (even if the check fails).
    pub parts: Option<Parts>,
}

impl Analysis {
    fn fail(&mut self, error: &CodeError) {
        self.valid = false;
        self.errors.push(error.into());
    }

    fn warn(&mut self, warnings: &[Warning]) {
        self.warnings.extend(warnings.iter().map(Finding::from));
    }
}

/// Analyses one input: guesses its kind from its normalised length (18 → USCC; 9, or 8, hyphen
/// and 1 → organisation code; 15 digits → registration number), after first recognising empty
/// input, spreadsheet damage and the placeholder; then validates it as that kind.
///
/// ```
/// use gongxin_codes::{analyse, Whitelist, Kind};
/// let a = analyse("91350100M000100Y4Y", &Whitelist::new());
/// assert_eq!((a.kind, a.valid), (Kind::Uscc, false));
/// assert_eq!(a.errors[0].code, "check_char_mismatch");
/// assert_eq!(a.errors[0].expected, Some('3'));
/// ```
#[must_use]
pub fn analyse(input: &str, whitelist: &Whitelist) -> Analysis {
    let normalised = normalise(input);
    let mut analysis = Analysis {
        input: input.to_owned(),
        code: None,
        kind: Kind::Unknown,
        valid: true,
        errors: Vec::new(),
        warnings: Vec::new(),
        parts: None,
    };
    let len = normalised.chars().count();
    if len == 0 {
        analysis.fail(&CodeError::Empty);
        return analysis;
    }
    if let Some(exponent) = scientific_exponent(&normalised) {
        // The exponent gives the number of digits the code had: 18 or 15.
        analysis.kind = match exponent {
            17 => Kind::Uscc,
            14 => Kind::RegNo,
            _ => Kind::Unknown,
        };
        analysis.fail(&CodeError::SpreadsheetScientific);
        return analysis;
    }
    if normalised == PLACEHOLDER {
        analysis.kind = Kind::Placeholder;
        analysis.valid = false;
        analysis.warn(&[Warning::Placeholder]);
        analysis.code = Some(normalised);
        return analysis;
    }
    analysis.kind = match len {
        18 => Kind::Uscc,
        9 => Kind::OrgCode,
        15 if normalised.bytes().all(|b| b.is_ascii_digit()) => Kind::RegNo,
        _ => Kind::Unknown,
    };
    match analysis.kind {
        Kind::Uscc => analyse_uscc(&mut analysis, &normalised, whitelist),
        Kind::OrgCode => analyse_org_code(&mut analysis, &normalised),
        Kind::RegNo => analyse_reg_no(&mut analysis, &normalised),
        Kind::Placeholder | Kind::Unknown => {
            analysis.fail(&CodeError::UnknownFormat { found: len });
            return analysis;
        }
    }
    analysis.code = Some(normalised);
    analysis
}

fn analyse_uscc(analysis: &mut Analysis, normalised: &str, whitelist: &Whitelist) {
    let bytes = match uscc::structure(normalised) {
        Ok(bytes) => bytes,
        Err(e) => return analysis.fail(&e),
    };
    let (department, org_type) = (char::from(bytes[0]), char::from(bytes[1]));
    let department_info = departments::department(department);
    analysis.parts = Some(Parts::Uscc(UsccParts {
        department: Labelled {
            code: department,
            name: department_info.map(|d| d.name),
        },
        org_type: Labelled {
            code: org_type,
            name: department_info
                .and_then(|d| d.org_type(org_type))
                .map(|t| t.name),
        },
        region: RegionParts::of(ascii(&bytes[2..8])),
        org_code: ascii(&bytes[8..17]).to_owned(),
        check_char: char::from(bytes[17]),
    }));
    match uscc::verify(bytes, Some(whitelist)) {
        Ok(code) => analysis.warn(&code.warnings()),
        Err(e) => {
            analysis.fail(&e);
            analysis.warn(&uscc::structural_warnings(&bytes));
        }
    }
}

fn analyse_org_code(analysis: &mut Analysis, normalised: &str) {
    let bytes = match org_code::structure(normalised) {
        Ok(bytes) => bytes,
        Err(e) => return analysis.fail(&e),
    };
    analysis.parts = Some(Parts::OrgCode(OrgCodeParts {
        body: ascii(&bytes[..8]).to_owned(),
        check_char: char::from(bytes[8]),
    }));
    if org_code::is_internal(&bytes[..8]) {
        analysis.warn(&[Warning::InternalOrgCode]);
    }
    if let Err(e) = org_code::verify(bytes) {
        analysis.fail(&e);
    }
}

fn analyse_reg_no(analysis: &mut Analysis, normalised: &str) {
    let bytes = match reg_no::structure(normalised) {
        Ok(bytes) => bytes,
        Err(e) => return analysis.fail(&e),
    };
    let region = ascii(&bytes[..6]);
    analysis.parts = Some(Parts::RegNo(RegNoParts {
        region: RegionParts::of(region),
        sequence: ascii(&bytes[6..14]).to_owned(),
        check_digit: char::from(bytes[14]),
    }));
    analysis.warn(&regions::warning_for(region).into_iter().collect::<Vec<_>>());
    if let Err(e) = reg_no::verify(bytes) {
        analysis.fail(&e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn valid_uscc_with_parts() {
        let a = analyse("91350100M000100Y43", &Whitelist::new());
        assert_eq!((a.kind, a.valid), (Kind::Uscc, true));
        assert_eq!(a.code.as_deref(), Some("91350100M000100Y43"));
        assert!(a.errors.is_empty() && a.warnings.is_empty());
        let Some(Parts::Uscc(parts)) = &a.parts else {
            panic!("USCC parts expected: {a:?}");
        };
        assert_eq!(parts.department.name, Some("工商（市场监管）"));
        assert_eq!(parts.org_type.name, Some("企业"));
        assert_eq!(parts.region.name, Some("福州市"));
        assert_eq!(parts.region.province, Some("福建省"));
        assert_eq!(parts.region.city, Some("福州市"));
        assert_eq!(parts.org_code, "M000100Y4");
        assert_eq!(parts.check_char, '3');
    }

    #[test]
    fn json_shape() {
        let a = analyse(" 91350100M000100Y4Y", &Whitelist::new());
        let json = serde_json::to_value(&a).expect("serialisable");
        assert_eq!(json["input"], " 91350100M000100Y4Y");
        assert_eq!(json["code"], "91350100M000100Y4Y");
        assert_eq!(json["kind"], "uscc");
        assert_eq!(json["valid"], false);
        assert_eq!(json["errors"][0]["code"], "check_char_mismatch");
        assert_eq!(json["errors"][0]["position"], 18);
        assert_eq!(json["errors"][0]["expected"], "3");
        assert_eq!(
            json["errors"][0]["message"],
            "第18位校验码应为 3，实为 Y / check character at position 18 should be 3, found Y"
        );
        assert_eq!(json["warnings"], serde_json::json!([]));
        assert_eq!(json["parts"]["department"]["code"], "9");
        assert_eq!(json["parts"]["region"]["code"], "350100");
        assert_eq!(json["parts"]["region"]["status"], "in_use");
        assert_eq!(json["parts"]["region"]["county"], serde_json::Value::Null);

        let json = serde_json::to_value(analyse("", &Whitelist::new())).expect("serialisable");
        assert_eq!(json["code"], serde_json::Value::Null);
        assert_eq!(json["kind"], "unknown");
        assert_eq!(json["parts"], serde_json::Value::Null);
    }

    #[test]
    fn placeholder() {
        let a = analyse("00000000000000000X", &Whitelist::new());
        assert_eq!((a.kind, a.valid), (Kind::Placeholder, false));
        assert!(a.errors.is_empty(), "no check error for the placeholder");
        assert_eq!(codes(&a.warnings), ["placeholder"]);
        assert!(
            a.warnings[0]
                .message
                .contains("registration number field is mandatory")
        );
        assert!(a.warnings[0].message.contains("工商注册号"));
    }

    #[test]
    fn spreadsheet_damage() {
        for (input, kind) in [
            ("9.14E+17", Kind::Uscc),
            ("9.13501E+17", Kind::Uscc),
            ("1.10108E+14", Kind::RegNo),
        ] {
            let a = analyse(input, &Whitelist::new());
            assert_eq!(
                (a.kind, a.valid, a.code.as_deref()),
                (kind, false, None),
                "{input}"
            );
            assert_eq!(codes(&a.errors), ["spreadsheet_scientific"]);
            assert!(
                a.errors[0]
                    .message
                    .contains("converted to a number by a spreadsheet")
            );
        }
        let a = analyse("913501001234567000", &Whitelist::new());
        assert_eq!(codes(&a.errors), ["spreadsheet_trailing_zeros"]);
        assert!(a.errors[0].message.contains("15 significant digits"));
        assert!(a.parts.is_some());
    }

    #[test]
    fn whitelisted_code_is_valid_with_a_warning() {
        let mut whitelist = Whitelist::new();
        whitelist.insert("91350100M000100Y4Y").expect("well-formed");
        let a = analyse("91350100M000100Y4Y", &whitelist);
        assert!(a.valid);
        assert_eq!(codes(&a.warnings), ["whitelisted"]);
        assert_eq!(a.warnings[0].expected, Some('3'));
    }

    #[test]
    fn org_code_and_reg_no() {
        let a = analyse("D2143569-X", &Whitelist::new());
        assert_eq!((a.kind, a.valid), (Kind::OrgCode, true));
        assert_eq!(a.code.as_deref(), Some("D2143569X"));
        assert_eq!(
            a.parts,
            Some(Parts::OrgCode(OrgCodeParts {
                body: "D2143569".into(),
                check_char: 'X'
            }))
        );
        let a = analyse("D21435691", &Whitelist::new());
        assert_eq!(codes(&a.errors), ["check_char_mismatch"]);
        assert_eq!(a.errors[0].position, Some(9));

        let a = analyse("110108000000016", &Whitelist::new());
        assert_eq!((a.kind, a.valid), (Kind::RegNo, true));
        let Some(Parts::RegNo(parts)) = &a.parts else {
            panic!("reg no parts expected: {a:?}");
        };
        assert_eq!(parts.region.county, Some("海淀区"));
        assert_eq!(parts.sequence, "00000001");
        assert_eq!(parts.check_digit, '6');
        let a = analyse("110108000000017", &Whitelist::new());
        assert_eq!(codes(&a.errors), ["check_char_mismatch"]);
        assert_eq!(a.errors[0].expected, Some('6'));
    }

    #[test]
    fn unknown_inputs() {
        let a = analyse("hello", &Whitelist::new());
        assert_eq!((a.kind, a.valid, a.code), (Kind::Unknown, false, None));
        assert_eq!(codes(&a.errors), ["bad_length"]);
        let a = analyse("11010800000001A", &Whitelist::new());
        assert_eq!(a.kind, Kind::Unknown, "15 characters but not all digits");
        let a = analyse("   ", &Whitelist::new());
        assert_eq!(codes(&a.errors), ["empty"]);
    }

    #[test]
    fn invalid_code_still_gets_parts_and_warnings() {
        // Unknown region 350171 under 福州市, and a wrong check character.
        let first17 = "91350171M000100Y4";
        let check = crate::uscc_check_char(first17).unwrap_or('0');
        let wrong = if check == '0' { '1' } else { '0' };
        let a = analyse(&format!("{first17}{wrong}"), &Whitelist::new());
        assert_eq!(codes(&a.errors), ["check_char_mismatch"]);
        assert_eq!(codes(&a.warnings), ["unknown_region"]);
        let Some(Parts::Uscc(parts)) = &a.parts else {
            panic!("USCC parts expected: {a:?}");
        };
        assert_eq!((parts.region.status, parts.region.name), (None, None));
        assert_eq!(parts.region.province, Some("福建省"));
        assert_eq!(parts.region.city, Some("福州市"));
    }

    #[test]
    fn central_and_retired_divisions() {
        let a = analyse("11100000000013127D", &Whitelist::new());
        assert!(a.valid && a.warnings.is_empty(), "{a:?}");
        let Some(Parts::Uscc(parts)) = &a.parts else {
            panic!("USCC parts expected: {a:?}");
        };
        assert_eq!(parts.region.name, Some("中央"));

        let org_check = char::from(org_code::check_byte(b"MA000000"));
        let first17 = format!("91110103MA000000{org_check}");
        let check = crate::uscc_check_char(&first17).unwrap_or('?');
        let a = analyse(&format!("{first17}{check}"), &Whitelist::new());
        assert!(a.valid);
        assert_eq!(codes(&a.warnings), ["retired_region"]);
        assert!(a.warnings[0].message.contains("2010"));
        assert!(a.warnings[0].message.contains("110101"));
    }

    #[test]
    fn bad_char_has_no_parts() {
        let a = analyse("91350100M000100I43", &Whitelist::new());
        assert_eq!(codes(&a.errors), ["bad_char"]);
        assert_eq!(a.errors[0].position, Some(16));
        assert_eq!(a.parts, None);
        assert_eq!(a.code.as_deref(), Some("91350100M000100I43"));
    }
}
