//! Why a code was rejected.
//!
//! Every error carries a stable snake_case [`code`](CodeError::code) for machines (reports, tests,
//! dashboards that count failures) and a bilingual message for people: Chinese first, then
//! English, separated by ` / `. Positions are 1-based and count characters of the normalised
//! code, which is what a clerk sees on the certificate.

use crate::uscc;

/// Which kind of code a parser was asked for; decides the expected length in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// 统一社会信用代码, GB 32100-2015, 18 characters.
    Uscc,
    /// 组织机构代码, GB 11714, 8-character body + check character.
    OrgCode,
    /// 工商注册号, 15 digits.
    RegNo,
}

impl CodeKind {
    /// Number of characters of a well-formed code of this kind (after normalisation).
    #[must_use]
    pub const fn length(self) -> usize {
        match self {
            Self::Uscc => 18,
            Self::OrgCode => 9,
            Self::RegNo => 15,
        }
    }

    const fn name_zh(self) -> &'static str {
        match self {
            Self::Uscc => "统一社会信用代码",
            Self::OrgCode => "组织机构代码",
            Self::RegNo => "工商注册号",
        }
    }

    const fn name_en(self) -> &'static str {
        match self {
            Self::Uscc => "a unified social credit code",
            Self::OrgCode => "an organisation code",
            Self::RegNo => "a registration number",
        }
    }
}

/// The characters a position admits, named in bad-character messages so the reader knows what
/// to type instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Allowed {
    /// `0`–`9` (USCC positions 3–8, every registration-number position).
    Digit,
    /// The 31-symbol USCC alphabet: digits and capitals except I, O, Z, S, V.
    UsccAlphabet,
    /// `0`–`9` and `A`–`Z` (GB 11714 body).
    DigitOrLetter,
    /// `0`–`9` or `X` (GB 11714 check character).
    DigitOrX,
}

impl Allowed {
    /// Whether the (normalised, upper-case) byte `b` belongs to this class.
    pub(crate) fn admits(self, b: u8) -> bool {
        match self {
            Self::Digit => b.is_ascii_digit(),
            Self::UsccAlphabet => uscc::value(b).is_some(),
            Self::DigitOrLetter => b.is_ascii_digit() || b.is_ascii_uppercase(),
            Self::DigitOrX => b.is_ascii_digit() || b == b'X',
        }
    }

    const fn zh(self) -> &'static str {
        match self {
            Self::Digit => "此处只能是数字",
            Self::UsccAlphabet => "只能是数字或除 I、O、Z、S、V 以外的大写字母",
            Self::DigitOrLetter => "只能是数字或大写字母",
            Self::DigitOrX => "只能是数字或 X",
        }
    }

    const fn en(self) -> &'static str {
        match self {
            Self::Digit => "only a digit is allowed here",
            Self::UsccAlphabet => "only digits and capital letters other than I, O, Z, S, V",
            Self::DigitOrLetter => "only digits and capital letters",
            Self::DigitOrX => "only a digit or X",
        }
    }
}

/// Message shared by [`CodeError::Placeholder`] and
/// [`Warning::Placeholder`](crate::Warning::Placeholder).
pub(crate) const PLACEHOLDER_MESSAGE: &str = "00000000000000000X 是“无代码”占位符，不是有效的统一社会信用代码；\
     该行必须填写工商注册号 / 00000000000000000X is the \"no code\" placeholder, not a valid unified \
     social credit code; the registration number field is mandatory for this row";

/// Why an input is not a valid code.
///
/// [`code`](Self::code) is a stable snake_case identifier; `Display` is bilingual, Chinese then
/// English separated by ` / `; positions are 1-based in the normalised code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// Nothing left after removing spaces and hyphens.
    #[error("代码为空 / the code is empty")]
    Empty,
    /// Wrong number of characters for the requested kind.
    #[error(
        "{}应为{}位，实为{found}位 / {} must have {} characters, found {found}",
        .kind.name_zh(), .kind.length(), .kind.name_en(), .kind.length()
    )]
    BadLength {
        /// The kind that was asked for.
        kind: CodeKind,
        /// Characters after normalisation.
        found: usize,
    },
    /// The length fits none of the known kinds (only from [`analyse`](crate::analyse)).
    #[error(
        "代码为{found}位，不是18位统一社会信用代码、9位组织机构代码或15位数字的工商注册号 / \
         {found} characters: neither an 18-character unified social credit code, a 9-character \
         organisation code nor a 15-digit registration number"
    )]
    UnknownFormat {
        /// Characters after normalisation.
        found: usize,
    },
    /// A character outside the class its position admits.
    #[error(
        "第{position}位字符 {found:?} 无效，{} / character {found:?} at position {position} is not allowed: {}",
        .allowed.zh(), .allowed.en()
    )]
    BadChar {
        /// 1-based position in the normalised code.
        position: usize,
        /// The offending character.
        found: char,
        /// What the position admits.
        allowed: Allowed,
    },
    /// The check character does not match the rest of the code.
    #[error(
        "第{position}位校验码应为 {expected}，实为 {found} / check character at position {position} \
         should be {expected}, found {found}"
    )]
    CheckCharMismatch {
        /// 1-based position of the check character.
        position: usize,
        /// The check character the other characters call for.
        expected: char,
        /// The check character present.
        found: char,
    },
    /// The input is a spreadsheet's scientific rendering of a number, e.g. `9.14E+17`.
    #[error(
        "代码已被电子表格转换为数字（科学计数法），原代码已无法恢复，请将该列设为文本后从源数据重新导出 / \
         the code was converted to a number by a spreadsheet (scientific notation) and the original \
         is lost; re-export the column from the source as text"
    )]
    SpreadsheetScientific,
    /// An all-digit 18-character code ending in `000` that fails the check: the signature of a
    /// spreadsheet that stored the code as a number and kept only 15 significant digits.
    #[error(
        "代码已被电子表格转换为数字：全数字、以000结尾且校验码不符，很可能只保留了前15位有效数字，\
         请将该列设为文本后从源数据重新导出 / the code was converted to a number by a spreadsheet: \
         it is all digits, ends in 000 and fails the check, as if truncated to 15 significant \
         digits; re-export the column from the source as text"
    )]
    SpreadsheetTrailingZeros,
    /// `00000000000000000X`, the 双公示 "no code" placeholder for individual businesses.
    #[error("{}", PLACEHOLDER_MESSAGE)]
    Placeholder,
}

impl CodeError {
    /// Stable snake_case identifier of the error class, for reports and tests.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::BadLength { .. } | Self::UnknownFormat { .. } => "bad_length",
            Self::BadChar { .. } => "bad_char",
            Self::CheckCharMismatch { .. } => "check_char_mismatch",
            Self::SpreadsheetScientific => "spreadsheet_scientific",
            Self::SpreadsheetTrailingZeros => "spreadsheet_trailing_zeros",
            Self::Placeholder => "placeholder",
        }
    }

    /// 1-based position the error points at, if it points at one.
    #[must_use]
    pub const fn position(&self) -> Option<usize> {
        match self {
            Self::BadChar { position, .. } | Self::CheckCharMismatch { position, .. } => {
                Some(*position)
            }
            _ => None,
        }
    }

    /// The character that belongs at [`position`](Self::position), when it is known.
    #[must_use]
    pub const fn expected(&self) -> Option<char> {
        match self {
            Self::CheckCharMismatch { expected, .. } => Some(*expected),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_mismatch_message_names_position_and_expected_char() {
        let e = CodeError::CheckCharMismatch {
            position: 18,
            expected: 'Y',
            found: '3',
        };
        assert_eq!(e.code(), "check_char_mismatch");
        assert_eq!(e.position(), Some(18));
        assert_eq!(e.expected(), Some('Y'));
        assert_eq!(
            e.to_string(),
            "第18位校验码应为 Y，实为 3 / check character at position 18 should be Y, found 3"
        );
    }

    #[test]
    fn bad_char_and_length_messages() {
        let e = CodeError::BadChar {
            position: 3,
            found: 'I',
            allowed: Allowed::Digit,
        };
        assert_eq!(
            e.to_string(),
            "第3位字符 'I' 无效，此处只能是数字 / character 'I' at position 3 is not allowed: only a digit is allowed here"
        );
        let e = CodeError::BadLength {
            kind: CodeKind::Uscc,
            found: 17,
        };
        assert_eq!(
            e.to_string(),
            "统一社会信用代码应为18位，实为17位 / a unified social credit code must have 18 characters, found 17"
        );
    }
}
