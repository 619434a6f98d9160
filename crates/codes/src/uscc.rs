//! 统一社会信用代码 — the Unified Social Credit Code of GB 32100-2015.
//!
//! Layout (1-based positions): 1 registration department, 2 organisation type, 3–8 the
//! registering authority's GB/T 2260 division code, 9–17 the GB 11714 organisation code (body +
//! its own check character), 18 the check character over positions 1–17.
//!
//! Only structure, alphabet and the position-18 check character make a code invalid. Everything
//! else — the embedded organisation code's check, the department/type pair, the division code —
//! is reported as a [`Warning`], because real registries contain codes that break those rules and
//! still identify real organisations.

use crate::departments::{self, Department};
use crate::error::{Allowed, CodeError, CodeKind};
use crate::normalise;
use crate::org_code::{self, OrgCode};
use crate::regions::{self, Region};
use crate::warning::Warning;
use crate::whitelist::Whitelist;

/// The 31 symbols of the code alphabet; a symbol's value is its index. I, O, Z, S and V are left
/// out because they are easily confused with 1, 0, 2, 5 and U.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17: 3^(i−1) mod 31. Because 31 is prime and every weight is non-zero
/// mod 31, any single substitution changes the weighted sum mod 31 and is caught; because
/// consecutive weights differ (w₍ᵢ₊₁₎ = 3·wᵢ), so is any swap of two adjacent distinct symbols.
pub const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The 双公示 "no code" placeholder for individual businesses without a USCC. It fails the check
/// (its check character would be `0`) and is never a valid [`Uscc`].
pub const PLACEHOLDER: &str = "00000000000000000X";

/// Byte → symbol value (0–30), `NONE` outside the alphabet; built at compile time so that the
/// lookup on the hot path is one indexed load.
const VALUES: [u8; 128] = {
    let mut table = [NONE; 128];
    let alphabet = ALPHABET.as_bytes();
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const NONE: u8 = u8::MAX;

/// Value of an (upper-case ASCII) symbol, or `None` when it is not in [`ALPHABET`].
pub(crate) fn value(b: u8) -> Option<u8> {
    VALUES.get(usize::from(b)).copied().filter(|&v| v != NONE)
}

/// Check symbol (as a byte) for 17 bytes already known to be in the alphabet.
fn check_byte(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(value(b).unwrap_or(0)) * w)
        .sum();
    ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize]
}

/// The check character (position 18) for the first 17 characters of a USCC.
///
/// Strict: `first17` must be exactly 17 upper-case symbols of [`ALPHABET`], otherwise `None`.
/// The check does not look at structure (positions 3–8 need not be digits).
///
/// ```
/// assert_eq!(gongxin_codes::uscc_check_char("91350100M000100Y4"), Some('3'));
/// ```
#[must_use]
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    (bytes.len() == 17 && bytes.iter().all(|&b| value(b).is_some()))
        .then(|| char::from(check_byte(bytes)))
}

/// Which characters each position admits: the division code (3–8) is digits, the rest the
/// USCC alphabet.
fn allowed(position: usize) -> Allowed {
    if (3..=8).contains(&position) {
        Allowed::Digit
    } else {
        Allowed::UsccAlphabet
    }
}

/// Normalises and checks length, alphabet and structure, but not the check character; rejects
/// the placeholder. Shared by parsing, the whitelist (whose entries fail the check by design)
/// and [`analyse`](crate::analyse), which describes codes even when their check fails.
pub(crate) fn structure(input: &str) -> Result<[u8; 18], CodeError> {
    let bytes = normalise::fixed::<18>(input, CodeKind::Uscc, allowed)?;
    if bytes == *PLACEHOLDER.as_bytes() {
        return Err(CodeError::Placeholder);
    }
    Ok(bytes)
}

/// Verifies the check character of structurally valid bytes, letting whitelisted codes through.
pub(crate) fn verify(bytes: [u8; 18], whitelist: Option<&Whitelist>) -> Result<Uscc, CodeError> {
    let expected = check_byte(&bytes[..17]);
    if bytes[17] == expected || whitelist.is_some_and(|w| w.contains_bytes(&bytes)) {
        return Ok(Uscc(bytes));
    }
    // An 18-digit number ending in 000 is what a spreadsheet leaves after keeping 15
    // significant digits; saying so is far more useful than a bare check-character error.
    if bytes.iter().all(u8::is_ascii_digit) && bytes.ends_with(b"000") {
        return Err(CodeError::SpreadsheetTrailingZeros);
    }
    Err(CodeError::CheckCharMismatch {
        position: 18,
        expected: char::from(expected),
        found: char::from(bytes[17]),
    })
}

/// Warnings that depend only on the characters of a structurally valid code (not on whether
/// its check character is right), so [`analyse`](crate::analyse) can report them for invalid
/// codes too.
pub(crate) fn structural_warnings(bytes: &[u8; 18]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let (department, org_type) = (char::from(bytes[0]), char::from(bytes[1]));
    if departments::department(department)
        .and_then(|d| d.org_type(org_type))
        .is_none()
    {
        warnings.push(Warning::UnknownDepartmentType {
            department,
            org_type,
        });
    }
    warnings.extend(regions::warning_for(ascii(&bytes[2..8])));
    let org_body = &bytes[8..16];
    let expected = org_code::check_byte(org_body);
    if bytes[16] != expected {
        warnings.push(Warning::OrgCodeCheckMismatch {
            position: 17,
            expected: char::from(expected),
            found: char::from(bytes[16]),
        });
    }
    if org_code::is_internal(org_body) {
        warnings.push(Warning::InternalOrgCode);
    }
    warnings
}

/// Views bytes that are ASCII by construction as `&str`.
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("codes are built from ASCII bytes only")
}

/// A Unified Social Credit Code that is valid in structure, alphabet and check character — or
/// that fails only the check and was explicitly whitelisted by the deployment.
///
/// Holding a `Uscc` is the proof: there is no way to build one from unchecked input. It is 18
/// bytes, `Copy`, ordered and hashed like its string form.
///
/// ```
/// use gongxin_codes::Uscc;
/// let code = Uscc::parse(" 91350100-m000100y43 ")?;
/// assert_eq!(code.as_str(), "91350100M000100Y43");
/// assert_eq!(code.region_code(), "350100");
/// assert_eq!(code.check_char(), '3');
/// # Ok::<(), gongxin_codes::CodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc([u8; 18]);

impl Uscc {
    /// Normalises `input` (see [`normalise`](crate::normalise)) and validates it strictly: no
    /// whitelist. Allocates nothing.
    ///
    /// # Errors
    /// [`CodeError::Empty`], [`SpreadsheetScientific`](CodeError::SpreadsheetScientific),
    /// [`BadLength`](CodeError::BadLength), [`BadChar`](CodeError::BadChar),
    /// [`Placeholder`](CodeError::Placeholder),
    /// [`SpreadsheetTrailingZeros`](CodeError::SpreadsheetTrailingZeros) or
    /// [`CheckCharMismatch`](CodeError::CheckCharMismatch), in that order of precedence.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        verify(structure(input)?, None)
    }

    /// Like [`parse`](Self::parse), but a code that fails only its check character is accepted
    /// when `whitelist` contains it; such a code reports [`Warning::Whitelisted`].
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_with(input: &str, whitelist: &Whitelist) -> Result<Self, CodeError> {
        verify(structure(input)?, Some(whitelist))
    }

    /// The normalised 18-character code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }

    /// The code as bytes (ASCII), e.g. for compact storage.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 18] {
        &self.0
    }

    /// Position 1: registration department (登记管理部门), e.g. `9` for market regulation.
    #[must_use]
    pub fn department(&self) -> char {
        char::from(self.0[0])
    }

    /// Position 2: organisation type (机构类别) within the department, e.g. `1` enterprise.
    #[must_use]
    pub fn org_type(&self) -> char {
        char::from(self.0[1])
    }

    /// Positions 3–8: the registering authority's division code (six digits).
    #[must_use]
    pub fn region_code(&self) -> &str {
        ascii(&self.0[2..8])
    }

    /// Positions 9–17: the embedded GB 11714 organisation code, body and check character, as
    /// written. Its own check is not guaranteed (see [`Warning::OrgCodeCheckMismatch`]); use
    /// [`parsed_org_code`](Self::parsed_org_code) for a checked [`OrgCode`].
    #[must_use]
    pub fn org_code(&self) -> &str {
        ascii(&self.0[8..17])
    }

    /// The embedded organisation code as a checked [`OrgCode`].
    ///
    /// # Errors
    /// When positions 9–17 are not a valid GB 11714 code; positions in the error are those
    /// of the organisation code (1–9), not of the USCC.
    pub fn parsed_org_code(&self) -> Result<OrgCode, CodeError> {
        OrgCode::parse(self.org_code())
    }

    /// Position 18: the check character.
    #[must_use]
    pub fn check_char(&self) -> char {
        char::from(self.0[17])
    }

    /// Whether this code got in only through a [`Whitelist`], i.e. its check character is wrong.
    #[must_use]
    pub fn is_whitelisted(&self) -> bool {
        self.0[17] != check_byte(&self.0[..17])
    }

    /// The department of position 1 in the embedded table, if known.
    #[must_use]
    pub fn department_info(&self) -> Option<&'static Department> {
        departments::department(self.department())
    }

    /// The division of positions 3–8, if it is in the embedded division history.
    #[must_use]
    pub fn region(&self) -> Option<&'static Region> {
        regions::region(self.region_code())
    }

    /// Everything questionable about this (valid) code: whitelisted check character, unknown
    /// department/type pair, unknown or retired division, embedded organisation code check,
    /// internal-only organisation code. Allocates; meant for reports, not the import hot path.
    #[must_use]
    pub fn warnings(&self) -> Vec<Warning> {
        let mut warnings = structural_warnings(&self.0);
        if self.is_whitelisted() {
            warnings.insert(
                0,
                Warning::Whitelisted {
                    expected: char::from(check_byte(&self.0[..17])),
                    found: self.check_char(),
                },
            );
        }
        warnings
    }
}

crate::string_code_impls!(Uscc, "a unified social credit code (统一社会信用代码)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_standard() {
        let code = Uscc::parse("91350100M000100Y43").expect("valid");
        assert_eq!(code.department(), '9');
        assert_eq!(code.org_type(), '1');
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.org_code(), "M000100Y4");
        assert_eq!(code.check_char(), '3');
        assert!(!code.is_whitelisted());
        assert_eq!(code.to_string(), "91350100M000100Y43");
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn passing_the_check_proves_nothing_about_existence() {
        assert!(Uscc::parse("123456789012345678").is_ok());
    }

    #[test]
    fn wrong_check_char_names_position_and_expected() {
        let err = Uscc::parse("91350100M000100Y4Y").expect_err("bad check");
        assert_eq!(
            err,
            CodeError::CheckCharMismatch {
                position: 18,
                expected: '3',
                found: 'Y'
            }
        );
        assert_eq!(err.code(), "check_char_mismatch");
    }

    #[test]
    fn structural_errors_name_the_position() {
        assert_eq!(
            Uscc::parse("91350100M000100I43"),
            Err(CodeError::BadChar {
                position: 16,
                found: 'I',
                allowed: Allowed::UsccAlphabet
            })
        );
        assert_eq!(
            Uscc::parse("9135A100M000100Y43"),
            Err(CodeError::BadChar {
                position: 5,
                found: 'A',
                allowed: Allowed::Digit
            })
        );
        assert_eq!(
            Uscc::parse("91350100M000100中43").map_err(|e| e.position()),
            Err(Some(16))
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y4"),
            Err(CodeError::BadLength {
                kind: CodeKind::Uscc,
                found: 17
            })
        );
        assert_eq!(Uscc::parse(" - \u{3000}"), Err(CodeError::Empty));
    }

    #[test]
    fn normalises_before_validating() {
        let code = Uscc::parse("９１３５０１００ｍ０００１００ｙ４３").expect("full-width");
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(
            Uscc::parse(" 9135-0100 m000 100y43\n"),
            Ok(code),
            "spaces, hyphens, case"
        );
    }

    #[test]
    fn placeholder_is_not_a_uscc() {
        assert_eq!(Uscc::parse(PLACEHOLDER), Err(CodeError::Placeholder));
        assert_eq!(
            Uscc::parse("00000000000000000x"),
            Err(CodeError::Placeholder)
        );
        assert_eq!(uscc_check_char("00000000000000000"), Some('0'));
    }

    #[test]
    fn spreadsheet_damage_is_named_as_such() {
        for input in ["9.14E+17", "9.13501E+17", "9.13501e17"] {
            assert_eq!(
                Uscc::parse(input),
                Err(CodeError::SpreadsheetScientific),
                "{input}"
            );
        }
        // 913501001234567057 passes; Excel keeps 15 significant digits → …567000.
        assert!(Uscc::parse("913501001234567057").is_ok());
        assert_eq!(
            Uscc::parse("913501001234567000"),
            Err(CodeError::SpreadsheetTrailingZeros)
        );
    }

    #[test]
    fn whitelist_admits_only_listed_codes() {
        let mut whitelist = Whitelist::new();
        whitelist
            .insert("91350100M000100Y4Y")
            .expect("structurally valid");
        let code = Uscc::parse_with("91350100m000100y4y", &whitelist).expect("whitelisted");
        assert!(code.is_whitelisted());
        assert_eq!(
            code.warnings().first(),
            Some(&Warning::Whitelisted {
                expected: '3',
                found: 'Y'
            })
        );
        assert!(Uscc::parse("91350100M000100Y4Y").is_err());
        assert!(Uscc::parse_with("91350100M000100Y4X", &whitelist).is_err());
    }

    #[test]
    fn warnings_on_valid_codes() {
        let code = Uscc::parse("91350100M000100Y43").expect("valid");
        assert_eq!(code.warnings(), Vec::new());
        assert_eq!(
            code.parsed_org_code().map(|o| o.to_string()),
            Ok("M000100Y4".into())
        );

        // Department G does not exist; region 990000 neither; org code check wrong.
        let first17 = "G1990000M000100Y5";
        let code = Uscc::parse(&format!(
            "{first17}{}",
            uscc_check_char(first17).unwrap_or('?')
        ))
        .expect("valid check");
        let codes: Vec<_> = code.warnings().iter().map(Warning::code).collect();
        assert_eq!(
            codes,
            [
                "unknown_department_type",
                "unknown_region",
                "org_code_check_mismatch"
            ]
        );
    }

    #[test]
    fn internal_org_code_and_retired_region_are_flagged() {
        let body_check = char::from(org_code::check_byte(b"PDY00001"));
        let first17 = format!("91110103PDY00001{body_check}");
        let code = Uscc::parse(&format!(
            "{first17}{}",
            uscc_check_char(&first17).unwrap_or('?')
        ))
        .expect("valid check");
        let codes: Vec<_> = code.warnings().iter().map(Warning::code).collect();
        assert_eq!(codes, ["retired_region", "internal_org_code"]);
    }
}
