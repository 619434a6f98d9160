//! Input normalisation shared by every code type.
//!
//! Codes arrive typed by hand, pasted from PDFs and round-tripped through spreadsheets, so before
//! anything is judged the input is reduced to the characters that matter: separators are dropped,
//! full-width forms (common with Chinese input methods) become ASCII, letters become upper case.
//! Normalisation is an iterator so that the hot parse path never allocates.

use crate::error::{Allowed, CodeError, CodeKind};

/// Maps one input character to its normalised form, or `None` for a separator to drop.
fn normalise_char(c: char) -> Option<char> {
    let c = match c {
        // Full-width ASCII variants (Ａ, ５, －, ．, ＋ …) sit at a fixed offset from ASCII.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    let separator = c.is_whitespace() // includes the ideographic space U+3000 and NBSP
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' // hyphens, dashes, minus sign
                | '\u{200B}' | '\u{FEFF}' // zero-width space, byte-order mark
        );
    (!separator).then(|| c.to_ascii_uppercase())
}

/// The normalised characters of `input`, lazily.
pub(crate) fn chars(input: &str) -> impl Iterator<Item = char> + '_ {
    input.chars().filter_map(normalise_char)
}

/// Normalises `input` the way every parser in this crate does: spaces (including full-width
/// ones) and hyphens are removed, full-width letters and digits become ASCII, letters are
/// upper-cased. Useful for storing or comparing codes that failed to parse.
///
/// ```
/// assert_eq!(gongxin_codes::normalise(" ９１３５０１００ｍ000100y-43 "), "91350100M000100Y43");
/// ```
#[must_use]
pub fn normalise(input: &str) -> String {
    chars(input).collect()
}

/// Whether the normalised input looks like a spreadsheet's scientific rendering of a number,
/// such as `9.14E+17` or `9.13501E+17`: one digit, an optional decimal part, `E`, an optional
/// `+`, and a one- or two-digit exponent. Returns the exponent, which tells how many digits the
/// number had (17 → 18 digits, a USCC; 14 → 15 digits, a registration number).
///
/// No well-formed code has this shape: with a `.`, `,` or `+` it is not alphanumeric, and
/// without them it is at most four characters long (`9E17`).
pub(crate) fn scientific_exponent(input: &str) -> Option<u32> {
    let mut it = chars(input).peekable();
    if !it.next()?.is_ascii_digit() {
        return None;
    }
    if it.next_if(|&c| c == '.' || c == ',').is_some() {
        while it.next_if(char::is_ascii_digit).is_some() {}
    }
    if it.next()? != 'E' {
        return None;
    }
    it.next_if_eq(&'+');
    let mut exponent = 0;
    let mut digits = 0;
    for c in it {
        exponent = exponent * 10 + c.to_digit(10)?;
        digits += 1;
    }
    (1..=2).contains(&digits).then_some(exponent)
}

/// Normalises `input` into exactly `N` ASCII bytes, checking each position against the class
/// `allowed(position)` returns (1-based). Errors come in a fixed order so that the most useful
/// diagnosis wins: empty input, spreadsheet damage, wrong length, then the first bad character.
///
/// Does not allocate: characters are buffered on the stack, because the bad-character error
/// must name the offending character even when it is not ASCII.
pub(crate) fn fixed<const N: usize>(
    input: &str,
    kind: CodeKind,
    allowed: impl Fn(usize) -> Allowed,
) -> Result<[u8; N], CodeError> {
    let mut chars_buf = ['\0'; N];
    let mut len = 0;
    for c in chars(input) {
        if let Some(slot) = chars_buf.get_mut(len) {
            *slot = c;
        }
        len += 1;
    }
    if len == 0 {
        return Err(CodeError::Empty);
    }
    let clean = len == N && chars_buf.iter().all(char::is_ascii_alphanumeric);
    if !clean && scientific_exponent(input).is_some() {
        return Err(CodeError::SpreadsheetScientific);
    }
    if len != N {
        return Err(CodeError::BadLength { kind, found: len });
    }
    let mut bytes = [0; N];
    for (i, (&c, byte)) in chars_buf.iter().zip(&mut bytes).enumerate() {
        let class = allowed(i + 1);
        match u8::try_from(c) {
            Ok(b) if class.admits(b) => *byte = b,
            _ => {
                return Err(CodeError::BadChar {
                    position: i + 1,
                    found: c,
                    allowed: class,
                });
            }
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_separators_and_folds_width_and_case() {
        assert_eq!(
            normalise("\u{FEFF} 9135\u{3000}0100-m000\u{2014}100y43\t"),
            "91350100M000100Y43"
        );
        assert_eq!(normalise("ｄ２１４３５６９－ｘ"), "D2143569X");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn recognises_scientific_notation() {
        assert_eq!(scientific_exponent("9.14E+17"), Some(17));
        assert_eq!(scientific_exponent("9.13501e+17"), Some(17));
        assert_eq!(scientific_exponent("9,13501E17"), Some(17));
        assert_eq!(scientific_exponent("1.10108E+14"), Some(14));
        assert_eq!(scientific_exponent("9E17"), Some(17));
        assert_eq!(scientific_exponent("91350100M000100Y43"), None);
        assert_eq!(scientific_exponent("9.14E+"), None);
        assert_eq!(scientific_exponent("9.14E+171"), None);
        assert_eq!(scientific_exponent("9.14X+17"), None);
        assert_eq!(scientific_exponent(""), None);
    }
}
