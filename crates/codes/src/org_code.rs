//! 组织机构代码 — the GB 11714 organisation code: an 8-character body of digits and capital
//! letters plus a check character. Printed as `D2143569-X`; the hyphen is for display only.
//!
//! Before 2015 this code identified organisations on its own; since then it survives as positions
//! 9–17 of the USCC and in old records' own field.

use crate::error::{Allowed, CodeError, CodeKind};
use crate::normalise;
use crate::uscc::ascii;
use crate::warning::Warning;

/// Weights of the 8 body positions.
const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Value of a body character: `0`–`9` → 0–9, `A`–`Z` → 10–35 (the full Latin alphabet).
fn value(b: u8) -> u32 {
    match b {
        b'0'..=b'9' => u32::from(b - b'0'),
        b'A'..=b'Z' => u32::from(b - b'A') + 10,
        _ => 0,
    }
}

/// Check character (as a byte) for a body already known to be digits and capitals:
/// 11 − (Σ mod 11), with 10 written `X` and 11 written `0`.
pub(crate) fn check_byte(body: &[u8]) -> u8 {
    let sum: u32 = body.iter().zip(WEIGHTS).map(|(&b, w)| value(b) * w).sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        // 1..=9 after the arms above, so the cast cannot truncate.
        d => b'0' + d as u8,
    }
}

/// Whether a body lies in `PDY00001`–`PDY99999`, the range reserved for internal use: such a
/// code identifies nothing outside the issuing system.
pub(crate) fn is_internal(body: &[u8]) -> bool {
    match body {
        [b'P', b'D', b'Y', digits @ ..] => {
            digits.iter().all(u8::is_ascii_digit) && digits.iter().any(|&d| d != b'0')
        }
        _ => false,
    }
}

/// The check character for an 8-character body of digits and upper-case letters, else `None`.
///
/// ```
/// assert_eq!(gongxin_codes::org_code_check_char("D2143569"), Some('X'));
/// ```
#[must_use]
pub fn org_code_check_char(body: &str) -> Option<char> {
    let bytes = body.as_bytes();
    (bytes.len() == 8 && bytes.iter().all(|&b| Allowed::DigitOrLetter.admits(b)))
        .then(|| char::from(check_byte(bytes)))
}

/// Normalises and checks length and alphabet, not the check character (see
/// [`uscc::structure`](crate::uscc)).
pub(crate) fn structure(input: &str) -> Result<[u8; 9], CodeError> {
    normalise::fixed::<9>(input, CodeKind::OrgCode, |position| {
        if position == 9 {
            Allowed::DigitOrX
        } else {
            Allowed::DigitOrLetter
        }
    })
}

/// A GB 11714 organisation code with a correct check character, stored without the hyphen.
///
/// ```
/// use gongxin_codes::OrgCode;
/// let code = OrgCode::parse("D2143569-X")?;
/// assert_eq!(code.as_str(), "D2143569X");
/// assert_eq!(code.hyphenated(), "D2143569-X");
/// # Ok::<(), gongxin_codes::CodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgCode([u8; 9]);

impl OrgCode {
    /// Normalises `input` (hyphen optional) and validates length, alphabet and check character.
    /// Allocates nothing.
    ///
    /// # Errors
    /// [`CodeError::Empty`], [`SpreadsheetScientific`](CodeError::SpreadsheetScientific),
    /// [`BadLength`](CodeError::BadLength), [`BadChar`](CodeError::BadChar) or
    /// [`CheckCharMismatch`](CodeError::CheckCharMismatch) at position 9.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let bytes = structure(input)?;
        verify(bytes)
    }

    /// The 9 characters without hyphen, e.g. `D2143569X`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }

    /// The 8-character body.
    #[must_use]
    pub fn body(&self) -> &str {
        ascii(&self.0[..8])
    }

    /// The check character (`0`–`9` or `X`).
    #[must_use]
    pub fn check_char(&self) -> char {
        char::from(self.0[8])
    }

    /// The display form with hyphen, e.g. `D2143569-X`.
    #[must_use]
    pub fn hyphenated(&self) -> String {
        format!("{}-{}", self.body(), self.check_char())
    }

    /// Whether the body is in the internal-only range `PDY00001`–`PDY99999`.
    #[must_use]
    pub fn is_internal(&self) -> bool {
        is_internal(&self.0[..8])
    }

    /// [`Warning::InternalOrgCode`] for internal-only codes; nothing else can be wrong with a
    /// parsed organisation code.
    #[must_use]
    pub fn warnings(&self) -> Vec<Warning> {
        if self.is_internal() {
            vec![Warning::InternalOrgCode]
        } else {
            Vec::new()
        }
    }
}

/// Verifies the check character of structurally valid bytes.
pub(crate) fn verify(bytes: [u8; 9]) -> Result<OrgCode, CodeError> {
    let expected = check_byte(&bytes[..8]);
    if bytes[8] == expected {
        Ok(OrgCode(bytes))
    } else {
        Err(CodeError::CheckCharMismatch {
            position: 9,
            expected: char::from(expected),
            found: char::from(bytes[8]),
        })
    }
}

crate::string_code_impls!(OrgCode, "an organisation code (组织机构代码)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_from_the_standard() {
        let code = OrgCode::parse("D2143569-X").expect("valid");
        assert_eq!(code.body(), "D2143569");
        assert_eq!(code.check_char(), 'X');
        assert_eq!(OrgCode::parse("d2143569x"), Ok(code));
        assert_eq!(
            OrgCode::parse("D2143569-1"),
            Err(CodeError::CheckCharMismatch {
                position: 9,
                expected: 'X',
                found: '1'
            })
        );
        assert_eq!(
            OrgCode::parse("D2143569-A"),
            Err(CodeError::BadChar {
                position: 9,
                found: 'A',
                allowed: Allowed::DigitOrX
            })
        );
        assert_eq!(
            OrgCode::parse("D214356-X"),
            Err(CodeError::BadLength {
                kind: CodeKind::OrgCode,
                found: 8
            })
        );
    }

    #[test]
    fn check_values_ten_and_eleven() {
        // Σ for 00000000 is 0 → 11 − 0 = 11 → '0'.
        assert_eq!(org_code_check_char("00000000"), Some('0'));
        // Σ for 00000001 is 2 → 9; for 00000005 is 10 → 1.
        assert_eq!(org_code_check_char("00000001"), Some('9'));
        assert_eq!(org_code_check_char("00000005"), Some('1'));
        // Σ = 1 → 10 → 'X': 00000006 gives 12 ≡ 1.
        assert_eq!(org_code_check_char("00000006"), Some('X'));
        assert_eq!(org_code_check_char("0000000"), None);
        assert_eq!(org_code_check_char("0000000a"), None);
    }

    #[test]
    fn internal_range() {
        let code = |body: &str| {
            let check = org_code_check_char(body).unwrap_or('?');
            OrgCode::parse(&format!("{body}{check}")).expect("valid")
        };
        assert!(code("PDY00001").is_internal());
        assert!(code("PDY99999").is_internal());
        assert!(!code("PDY00000").is_internal());
        assert!(!code("PDX00001").is_internal());
        assert!(!code("PDY0000A").is_internal());
        assert_eq!(code("PDY12345").warnings(), [Warning::InternalOrgCode]);
    }
}
