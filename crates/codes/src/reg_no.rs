//! 工商注册号 — the 15-digit business registration number used before the USCC (2015): 6-digit
//! first registration authority, 8-digit sequence, check digit by ISO 7064 MOD 11,10.
//!
//! It is not embedded in the USCC; old records carry it in its own field, and a 双公示 row with
//! the placeholder USCC must carry it.

use crate::error::{Allowed, CodeError, CodeKind};
use crate::normalise;
use crate::regions::{self, Region};
use crate::uscc::ascii;
use crate::warning::Warning;

/// ISO 7064 MOD 11,10 check digit (as a byte) over digits already known to be ASCII digits.
///
/// P starts at 10; for each digit a: S = (P + a) mod 10, read as 10 when 0; P = 2S mod 11.
/// The check digit is (11 − P) mod 10. This hybrid system catches every single-digit error.
fn check_byte(digits: &[u8]) -> u8 {
    let p = digits.iter().fold(10, |p, &d| {
        let s = match (p + u32::from(d - b'0')) % 10 {
            0 => 10,
            s => s,
        };
        2 * s % 11
    });
    // (11 − P) mod 10 is 0..=9, so the cast cannot truncate.
    b'0' + ((11 - p) % 10) as u8
}

/// The check digit for the first 14 digits of a registration number, else `None`.
///
/// ```
/// assert_eq!(gongxin_codes::reg_no_check_digit("11010800000001"), Some('6'));
/// ```
#[must_use]
pub fn reg_no_check_digit(first14: &str) -> Option<char> {
    let bytes = first14.as_bytes();
    (bytes.len() == 14 && bytes.iter().all(u8::is_ascii_digit))
        .then(|| char::from(check_byte(bytes)))
}

/// Normalises and checks length and digits, not the check digit.
pub(crate) fn structure(input: &str) -> Result<[u8; 15], CodeError> {
    normalise::fixed::<15>(input, CodeKind::RegNo, |_| Allowed::Digit)
}

/// Verifies the check digit of structurally valid bytes.
pub(crate) fn verify(bytes: [u8; 15]) -> Result<RegNo, CodeError> {
    let expected = check_byte(&bytes[..14]);
    if bytes[14] == expected {
        Ok(RegNo(bytes))
    } else {
        Err(CodeError::CheckCharMismatch {
            position: 15,
            expected: char::from(expected),
            found: char::from(bytes[14]),
        })
    }
}

/// A 15-digit business registration number with a correct check digit.
///
/// ```
/// use gongxin_codes::RegNo;
/// let reg = RegNo::parse("110108000000016")?;
/// assert_eq!(reg.region_code(), "110108");
/// assert_eq!(reg.sequence(), "00000001");
/// assert!(RegNo::parse("110108000000017").is_err());
/// # Ok::<(), gongxin_codes::CodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegNo([u8; 15]);

impl RegNo {
    /// Normalises `input` and validates length, digits and check digit. Allocates nothing.
    ///
    /// # Errors
    /// [`CodeError::Empty`], [`SpreadsheetScientific`](CodeError::SpreadsheetScientific),
    /// [`BadLength`](CodeError::BadLength), [`BadChar`](CodeError::BadChar) or
    /// [`CheckCharMismatch`](CodeError::CheckCharMismatch) at position 15.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        verify(structure(input)?)
    }

    /// The 15 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        ascii(&self.0)
    }

    /// Digits 1–6: the first registration authority's division code.
    #[must_use]
    pub fn region_code(&self) -> &str {
        ascii(&self.0[..6])
    }

    /// Digits 7–14: the sequence number.
    #[must_use]
    pub fn sequence(&self) -> &str {
        ascii(&self.0[6..14])
    }

    /// Digit 15: the check digit.
    #[must_use]
    pub fn check_digit(&self) -> char {
        char::from(self.0[14])
    }

    /// The division of digits 1–6, if it is in the embedded division history.
    #[must_use]
    pub fn region(&self) -> Option<&'static Region> {
        regions::region(self.region_code())
    }

    /// [`Warning::UnknownRegion`] or [`Warning::RetiredRegion`] for the authority code. A
    /// retired code is normal for numbers issued before the division changed.
    #[must_use]
    pub fn warnings(&self) -> Vec<Warning> {
        regions::warning_for(self.region_code())
            .into_iter()
            .collect()
    }
}

crate::string_code_impls!(RegNo, "a business registration number (工商注册号)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        assert!(RegNo::parse("110108000000016").is_ok());
        assert!(RegNo::parse("450703583197518").is_ok());
        assert_eq!(
            RegNo::parse("110108000000017"),
            Err(CodeError::CheckCharMismatch {
                position: 15,
                expected: '6',
                found: '7'
            })
        );
        assert_eq!(
            RegNo::parse("11010800000001A"),
            Err(CodeError::BadChar {
                position: 15,
                found: 'A',
                allowed: Allowed::Digit
            })
        );
        assert_eq!(
            RegNo::parse("1.10108E+14"),
            Err(CodeError::SpreadsheetScientific)
        );
        assert_eq!(reg_no_check_digit("4507035831975"), None);
    }

    #[test]
    fn retired_authority_is_a_warning() {
        let reg = RegNo::parse(&format!(
            "11010300000001{}",
            reg_no_check_digit("11010300000001").unwrap_or('?')
        ))
        .expect("valid");
        assert_eq!(reg.region().map(|r| r.name), Some("崇文区"));
        let codes: Vec<_> = reg.warnings().iter().map(Warning::code).collect();
        assert_eq!(codes, ["retired_region"]);
    }
}
