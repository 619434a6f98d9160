//! Property tests: what the check-character arithmetic guarantees, and nothing more.
//!
//! - USCC (mod 31, weights 3^(i−1)): 31 is prime and no weight is 0 mod 31, so every single
//!   substitution is caught; adjacent weights differ by a factor 3, so every swap of two adjacent
//!   distinct symbols in positions 1–17 is caught, and (worked out below, and checked
//!   exhaustively) so is a swap of positions 17 and 18.
//! - GB 11714 (mod 11, values 0–35): a substitution is caught unless the two values differ by a
//!   multiple of 11 (`0`↔`B`, `D`↔`2`…); digits-only substitutions are always caught.
//! - ISO 7064 MOD 11,10: every single-digit substitution is caught; adjacent transpositions are
//!   not always (`110108000000678` and `110108000000768` are both valid).

use gongxin_codes::{
    ALPHABET, CodeError, OrgCode, RegNo, Uscc, WEIGHTS, org_code_check_char, reg_no_check_digit,
    uscc_check_char,
};
use proptest::prelude::*;

fn alphabet_char() -> impl Strategy<Value = char> {
    proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>())
}

fn digit() -> impl Strategy<Value = char> {
    proptest::char::range('0', '9')
}

/// Any structurally valid first 17 characters: alphabet, alphabet, 6 digits, 9 alphabet.
fn uscc_first17() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(alphabet_char(), 2),
        proptest::collection::vec(digit(), 6),
        proptest::collection::vec(alphabet_char(), 9),
    )
        .prop_map(|(a, b, c)| a.into_iter().chain(b).chain(c).collect())
}

fn valid_uscc() -> impl Strategy<Value = String> {
    uscc_first17().prop_map(|first17| {
        let check = uscc_check_char(&first17).expect("17 alphabet symbols");
        format!("{first17}{check}")
    })
}

fn org_body() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(DIGITS_AND_CAPITALS.chars().collect::<Vec<_>>()),
        8,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Digits and capitals, the GB 11714 body alphabet and a superset of the USCC alphabet.
const DIGITS_AND_CAPITALS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The character `offset` places after `c` in `set` (cyclically): with 0 < offset < len, a
/// guaranteed different character, so no test case has to be thrown away.
fn other(set: &str, c: char, offset: usize) -> char {
    let chars: Vec<char> = set.chars().collect();
    let index = chars.iter().position(|&x| x == c).expect("c in set");
    chars[(index + offset) % chars.len()]
}

fn org_value(c: char) -> u32 {
    c.to_digit(36).expect("digit or capital")
}

fn replace(code: &str, index: usize, c: char) -> String {
    code.chars()
        .enumerate()
        .map(|(i, old)| if i == index { c } else { old })
        .collect()
}

fn swap(code: &str, index: usize) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    chars.swap(index, index + 1);
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn uscc_with_computed_check_parses(code in valid_uscc()) {
        let parsed = Uscc::parse(&code);
        prop_assert_eq!(parsed.map(|u| u.to_string()), Ok(code.clone()));
        // Normalisation is invisible: lower case, separators, full width.
        let messy: String = code
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let c = if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c)
                };
                [c, if i % 5 == 4 { '-' } else { '\u{3000}' }]
            })
            .collect();
        prop_assert_eq!(Uscc::parse(&messy).map(|u| u.to_string()), Ok(code));
    }

    #[test]
    fn uscc_single_substitution_is_rejected(
        code in valid_uscc(),
        index in 0usize..18,
        // Any other capital or digit, including the five letters outside the alphabet.
        offset in 1usize..36,
    ) {
        let original = code.chars().nth(index).expect("18 chars");
        let replacement = other(DIGITS_AND_CAPITALS, original, offset);
        let changed = replace(&code, index, replacement);
        let err = Uscc::parse(&changed).expect_err("substitution must be caught");
        let structurally_fine = ALPHABET.contains(replacement)
            && (!(2..8).contains(&index) || replacement.is_ascii_digit());
        if structurally_fine {
            // Caught by the check character itself (or its spreadsheet/placeholder readings).
            prop_assert!(
                matches!(
                    err,
                    CodeError::CheckCharMismatch { position: 18, .. }
                        | CodeError::SpreadsheetTrailingZeros
                        | CodeError::Placeholder
                ),
                "{changed}: {err:?}"
            );
        } else {
            prop_assert_eq!(err.code(), "bad_char");
            prop_assert_eq!(err.position(), Some(index + 1));
        }
    }

    #[test]
    fn uscc_adjacent_transposition_is_rejected(code in valid_uscc(), index in 0usize..17) {
        let chars: Vec<char> = code.chars().collect();
        // Swapping equal symbols changes nothing, and the code stays valid.
        let distinct = chars[index] != chars[index + 1];
        prop_assert_eq!(Uscc::parse(&swap(&code, index)).is_err(), distinct);
    }

    #[test]
    fn uscc_letters_in_the_division_code_are_rejected(
        code in valid_uscc(),
        index in 2usize..8,
        letter in proptest::char::range('A', 'Z'),
    ) {
        let err = Uscc::parse(&replace(&code, index, letter)).expect_err("letter in 3–8");
        prop_assert_eq!(err.position(), Some(index + 1));
    }

    #[test]
    fn org_code_with_computed_check_parses(body in org_body()) {
        let check = org_code_check_char(&body).expect("valid body");
        let code = OrgCode::parse(&format!("{body}-{check}")).expect("valid");
        prop_assert_eq!(code.body(), body.as_str());
        prop_assert_eq!(OrgCode::parse(&format!("{body}{check}")), Ok(code));
    }

    #[test]
    fn org_code_substitution_is_caught_unless_values_differ_by_a_multiple_of_11(
        body in org_body(),
        index in 0usize..8,
        offset in 1usize..36,
    ) {
        let original = body.chars().nth(index).expect("8 chars");
        let replacement = other(DIGITS_AND_CAPITALS, original, offset);
        let check = org_code_check_char(&body).expect("valid body");
        let changed = format!("{}{check}", replace(&body, index, replacement));
        let undetectable = org_value(original)
            .abs_diff(org_value(replacement))
            .is_multiple_of(11);
        prop_assert_eq!(OrgCode::parse(&changed).is_ok(), undetectable, "{}", changed);
        if original.is_ascii_digit() && replacement.is_ascii_digit() {
            prop_assert!(!undetectable);
        }
    }

    #[test]
    fn org_code_check_char_substitution_is_caught(
        body in org_body(),
        offset in 1usize..11,
    ) {
        let check = org_code_check_char(&body).expect("valid body");
        let replacement = other("0123456789X", check, offset);
        let changed = format!("{body}{replacement}");
        prop_assert!(OrgCode::parse(&changed).is_err());
    }

    #[test]
    fn reg_no_with_computed_check_parses(first14 in "[0-9]{14}") {
        let check = reg_no_check_digit(&first14).expect("14 digits");
        let code = format!("{first14}{check}");
        prop_assert_eq!(RegNo::parse(&code).map(|r| r.to_string()), Ok(code));
    }

    #[test]
    fn reg_no_single_substitution_is_rejected(
        first14 in "[0-9]{14}",
        index in 0usize..15,
        offset in 1usize..10,
    ) {
        let check = reg_no_check_digit(&first14).expect("14 digits");
        let code = format!("{first14}{check}");
        let original = code.chars().nth(index).expect("15 digits");
        let replacement = other("0123456789", original, offset);
        let changed = replace(&code, index, replacement);
        prop_assert_eq!(
            RegNo::parse(&changed).map_err(|e| e.code()),
            Err("check_char_mismatch")
        );
    }
}

/// The arithmetic behind the USCC transposition property, exhaustively: swapping symbols a ≠ b
/// at positions i, i+1 (both ≤ 17) changes the sum by (a − b)(wᵢ − wᵢ₊₁), never 0 mod 31; and
/// swapping position 17 with the check character is caught whatever the rest of the code is.
#[test]
fn uscc_transposition_arithmetic_exhaustively() {
    for pair in WEIGHTS.windows(2) {
        for a in 0..31u32 {
            for b in 0..31u32 {
                if a != b {
                    let delta = (31 + a - b) * (31 + pair[0] - pair[1]);
                    assert_ne!(delta % 31, 0);
                }
            }
        }
    }
    let w17 = WEIGHTS[16];
    for rest in 0..31u32 {
        for c17 in 0..31u32 {
            let c18 = (31 - (rest + c17 * w17) % 31) % 31;
            if c17 != c18 {
                let check_after_swap = (31 - (rest + c18 * w17) % 31) % 31;
                assert_ne!(check_after_swap, c17, "rest {rest}, c17 {c17}");
            }
        }
    }
}

/// The known blind spots, as concrete examples.
#[test]
fn limits_of_the_weaker_checks() {
    // GB 11714: D (13) and 2 (2) differ by 11.
    assert!(OrgCode::parse("D2143569-X").is_ok());
    assert!(OrgCode::parse("22143569-X").is_ok());
    // MOD 11,10: adjacent transposition 67 ↔ 76 goes unnoticed here.
    assert!(RegNo::parse("110108000000678").is_ok());
    assert!(RegNo::parse("110108000000768").is_ok());
}
