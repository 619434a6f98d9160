//! Parsing one raw cell into the normalised text a record stores, by the field's type.
//!
//! Departments write the same value many ways (`2024/3/5`, `20240305`, full-width digits,
//! `罚款、警告`); a record stores one spelling so that re-submissions compare equal and
//! searches find them. Every rejection says what was expected, in Chinese and English.

use std::collections::HashMap;

use chrono::NaiveDate;
use gongxin_codes::{CodeError, OrgCode, RegNo, Uscc, Whitelist};

use crate::catalog::FieldType;
use crate::problem::{Problem, Severity};

/// Fines above this many 万元 (one hundred million yuan) are almost always yuan typed into a
/// 万元 column, so they are kept but flagged.
const SUSPICIOUS_WAN_YUAN: f64 = 10_000.0;

/// Separators departments use between several values of a set field.
const SET_SEPARATORS: &[char] = &[';', '；', '、', ',', '，', '|'];

/// Normalises full-width ASCII variants (`２０２４`, `ＡＢ`) and the ideographic space to their
/// ASCII forms, and trims. Returns the input unchanged (no allocation) when nothing changes.
pub fn to_half_width(raw: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    // Full-width forms (U+FF01–U+FF5E) start with byte 0xEF and U+3000 with 0xE3 in UTF-8: a
    // byte search rules most cells out without decoding them.
    let may_have_full_width = trimmed.bytes().any(|b| b == 0xEF || b == 0xE3);
    if !may_have_full_width || !trimmed.chars().any(is_full_width) {
        return std::borrow::Cow::Borrowed(trimmed);
    }
    let converted: String = trimmed
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect();
    std::borrow::Cow::Owned(converted.trim().to_owned())
}

fn is_full_width(c: char) -> bool {
    c == '\u{3000}' || ('\u{ff01}'..='\u{ff5e}').contains(&c)
}

/// Parses a date as departments write it: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`,
/// `YYYYMMDD`, `YYYY年M月D日`, with one- or two-digit month and day, optionally followed by a
/// time of day, which is ignored.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let text = to_half_width(raw);
    let date_part = text.split([' ', 'T']).next().unwrap_or("");
    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        let number = |range: std::ops::Range<usize>| date_part[range].parse::<u32>().ok();
        let year = i32::try_from(number(0..4)?).ok()?;
        return NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?);
    }
    let mut parts = date_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty());
    let year: i32 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let month: u32 = parts.next().filter(|p| p.len() <= 2)?.parse().ok()?;
    let day: u32 = parts.next().filter(|p| p.len() <= 2)?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// A cell parsed by its field type: the normalised text, and warnings that keep the row.
#[derive(Debug)]
pub struct Parsed {
    pub text: String,
    pub warnings: Vec<Problem>,
}

impl Parsed {
    fn clean(text: String) -> Self {
        Self {
            text,
            warnings: Vec::new(),
        }
    }
}

/// Parses a non-empty raw cell of `field` by its type. `whitelist` holds the deployment's real
/// codes that fail their check character.
pub fn parse_value(
    field_code: &str,
    ty: &FieldType,
    raw: &str,
    whitelist: &Whitelist,
) -> Result<Parsed, Problem> {
    let text = to_half_width(raw);
    let reject = |code, zh: String, en: String| Problem::error(code, zh, en).at(field_code, raw);
    // A control character (a NUL from a broken export, say) is never part of a value, and
    // PostgreSQL cannot store U+0000 at all: refused on every engine alike.
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(reject(
            "control_character",
            format!("含有控制字符 U+{:04X}", u32::from(c)),
            format!("holds the control character U+{:04X}", u32::from(c)),
        ));
    }
    match ty {
        FieldType::Text { max_len } => {
            // A text has at most as many characters as bytes: most cells need no count.
            let chars = if text.len() <= *max_len {
                text.len()
            } else {
                text.chars().count()
            };
            if chars > *max_len {
                return Err(reject(
                    "too_long",
                    format!("长度为 {chars} 个字符，超过上限 {max_len}"),
                    format!("{chars} characters, more than the limit of {max_len}"),
                ));
            }
            Ok(Parsed::clean(text.into_owned()))
        }
        FieldType::Date => match parse_date(&text) {
            // `Display` writes `YYYY-MM-DD` directly; `format(...)` would interpret a pattern.
            Some(date) => Ok(Parsed::clean(date.to_string())),
            None => Err(reject(
                "bad_date",
                "不是有效日期，应为 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD".into(),
                "not a valid date; expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD".into(),
            )),
        },
        FieldType::Decimal { scale } => parse_decimal(field_code, raw, &text, *scale),
        FieldType::Enum { values, aliases } => {
            if let Some(value) = values.iter().find(|v| **v == text) {
                return Ok(Parsed::clean(value.clone()));
            }
            match aliases.get(text.as_ref()) {
                Some(canonical) => Ok(Parsed::clean(canonical.clone())),
                None => Err(reject(
                    "bad_enum",
                    format!("不是允许的取值，应为：{}", values.join("、")),
                    format!(
                        "not an allowed value; expected one of: {}",
                        values.join(", ")
                    ),
                )),
            }
        }
        FieldType::Set {
            values,
            aliases,
            open_other,
        } => parse_set(field_code, raw, &text, values, aliases, *open_other),
        FieldType::OrgCode => code_value(field_code, raw, OrgCode::parse(&text)),
        FieldType::RegNo => code_value(field_code, raw, RegNo::parse(&text)),
        FieldType::Uscc => code_value(field_code, raw, Uscc::parse_with(&text, whitelist)),
        FieldType::IdNumber => Ok(parse_id_number(field_code, raw, &text)),
    }
}

/// A parsed code in its normalised spelling, or the code's own bilingual reason.
fn code_value<C: std::fmt::Display>(
    field_code: &str,
    raw: &str,
    parsed: Result<C, CodeError>,
) -> Result<Parsed, Problem> {
    parsed
        .map(|code| Parsed::clean(code.to_string()))
        .map_err(|error| {
            Problem::bilingual(Severity::Error, error.code(), &error.to_string())
                .at(field_code, raw)
        })
}

fn parse_decimal(field_code: &str, raw: &str, text: &str, scale: u32) -> Result<Parsed, Problem> {
    let reject = |code, zh: String, en: String| Problem::error(code, zh, en).at(field_code, raw);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if text.starts_with('-') {
        return Err(reject(
            "negative_amount",
            "金额不能为负数".into(),
            "an amount cannot be negative".into(),
        ));
    }
    if whole.is_empty() && fraction.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(reject(
            "bad_number",
            "不是数字（金额以万元为单位，例如 0.2 表示 2000 元）".into(),
            "not a number (amounts are in 10,000 yuan, e.g. 0.2 means 2,000 yuan)".into(),
        ));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > scale as usize {
        return Err(reject(
            "too_many_decimals",
            format!("小数位数超过 {scale} 位"),
            format!("more than {scale} decimal places"),
        ));
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let normalised = if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    };
    let mut parsed = Parsed::clean(normalised);
    if parsed
        .text
        .parse::<f64>()
        .is_ok_and(|v| v > SUSPICIOUS_WAN_YUAN)
    {
        parsed.warnings.push(
            Problem::warning(
                "amount_unit_suspicious",
                "金额超过 1 亿元（本字段单位为万元），请核实是否误按元填写",
                "amount above 100 million yuan (this field is in 10,000 yuan); check it was not entered in yuan",
            )
            .at(field_code, raw),
        );
    }
    Ok(parsed)
}

fn parse_set(
    field_code: &str,
    raw: &str,
    text: &str,
    values: &[String],
    aliases: &HashMap<String, String>,
    open_other: bool,
) -> Result<Parsed, Problem> {
    let mut chosen: Vec<&str> = Vec::new();
    let mut other_text: Vec<&str> = Vec::new();
    for part in text
        .split(SET_SEPARATORS)
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let known = values
            .iter()
            .find(|v| *v == part)
            .or_else(|| aliases.get(part));
        if let Some(value) = known {
            if !chosen.contains(&value.as_str()) {
                chosen.push(value);
            }
            continue;
        }
        // `其他：责令改正` or `其他-责令改正`: the value 其他 with its free text.
        let other = values
            .iter()
            .find(|v| v.as_str() == "其他")
            .filter(|_| open_other)
            .and_then(|other| part.strip_prefix(other.as_str()).map(|rest| (other, rest)));
        match other {
            Some((other, rest)) => {
                if !chosen.contains(&other.as_str()) {
                    chosen.push(other);
                }
                let rest = rest.trim_start_matches([':', '：', '-', '—', '(', '（']);
                let rest = rest.trim_end_matches([')', '）']);
                if !rest.is_empty() {
                    other_text.push(rest);
                }
            }
            None if open_other && chosen.contains(&"其他") => other_text.push(part),
            None => {
                return Err(Problem::error(
                    "bad_set_value",
                    format!("“{part}”不是允许的取值，应为：{}", values.join("、")),
                    format!(
                        "`{part}` is not an allowed value; expected: {}",
                        values.join(", ")
                    ),
                )
                .at(field_code, raw));
            }
        }
    }
    if chosen.is_empty() {
        return Err(Problem::error(
            "bad_set_value",
            format!("没有可识别的取值，应为：{}", values.join("、")),
            format!("no recognised value; expected: {}", values.join(", ")),
        )
        .at(field_code, raw));
    }
    let mut normalised = chosen.join(";");
    if !other_text.is_empty() {
        normalised.push('：');
        normalised.push_str(&other_text.join(";"));
    }
    Ok(Parsed::clean(normalised))
}

/// Resident identity card numbers (GB 11643) carry a check character; other documents are
/// kept as given. A wrong check character is a warning: the number still identifies a person
/// to the source department, which is asked to correct it.
fn parse_id_number(field_code: &str, raw: &str, text: &str) -> Parsed {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let upper = text.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut parsed = Parsed::clean(upper.clone());
    if bytes.len() == 18 && bytes[..17].iter().all(u8::is_ascii_digit) {
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let expected = CHECKS[(sum % 11) as usize];
        if bytes[17] != expected {
            parsed.warnings.push(
                Problem::warning(
                    "id_number_check",
                    format!("身份证号码第18位校验码应为 {}", expected as char),
                    format!(
                        "identity card number: check character at position 18 should be {}",
                        expected as char
                    ),
                )
                .at(field_code, &mask_id(raw)),
            );
        }
    }
    parsed
}

/// Masks a personal identity number for display and for problem reports, which travel back
/// to departments by mail and must not spread the number further: `110105********123X`.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep_head = if chars.len() >= 15 { 6 } else { 1 };
    let keep_tail = if chars.len() >= 15 { 4 } else { 1 };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_head || i >= chars.len() - keep_tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_in_every_type() {
        let whitelist = Whitelist::new();
        for ty in [FieldType::Text { max_len: 100 }, FieldType::Date] {
            let problem = parse_value("F", &ty, "2024-01-01\u{0}", &whitelist).unwrap_err();
            assert_eq!(problem.code, "control_character");
            assert!(
                problem.message_en.contains("U+0000"),
                "{}",
                problem.message_en
            );
        }
        let kept = parse_value(
            "F",
            &FieldType::Text { max_len: 100 },
            "第一行\n第二行",
            &whitelist,
        );
        assert_eq!(kept.unwrap().text, "第一行\n第二行");
    }

    #[test]
    fn dates_in_every_layout_departments_use() {
        let expected = NaiveDate::from_ymd_opt(2024, 3, 5);
        for raw in [
            "2024-03-05",
            "2024/03/05",
            "2024/3/5",
            "20240305",
            "2024.03.05",
            "2024年3月5日",
            "２０２４－０３－０５",
            "2024-03-05 00:00:00",
            " 2024-03-05\u{3000}",
        ] {
            assert_eq!(parse_date(raw), expected, "{raw}");
        }
        for bad in [
            "2024-02-30",
            "24-03-05",
            "2024",
            "20241305",
            "2024-03-05-01",
            "三月",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimals_are_normalised_and_checked() {
        let ty = FieldType::Decimal { scale: 6 };
        let ok = |raw| {
            parse_value("CF_NR_FK", &ty, raw, &Whitelist::new())
                .unwrap()
                .text
        };
        assert_eq!(ok("0.2"), "0.2");
        assert_eq!(ok("0.200000"), "0.2");
        assert_eq!(ok("007"), "7");
        assert_eq!(ok(".5"), "0.5");
        assert_eq!(ok("１２"), "12");
        let code = |raw| {
            parse_value("CF_NR_FK", &ty, raw, &Whitelist::new())
                .unwrap_err()
                .code
        };
        assert_eq!(code("-1"), "negative_amount");
        assert_eq!(code("1,000"), "bad_number");
        assert_eq!(code("2万"), "bad_number");
        assert_eq!(code("0.1234567"), "too_many_decimals");
        let big = parse_value("CF_NR_FK", &ty, "200000", &Whitelist::new()).unwrap();
        assert_eq!(big.warnings[0].code, "amount_unit_suspicious");
    }

    #[test]
    fn sets_accept_several_separators_and_free_text_after_other() {
        let ty = FieldType::Set {
            values: ["警告", "罚款", "其他"].map(String::from).to_vec(),
            aliases: HashMap::from([("罚金".to_owned(), "罚款".to_owned())]),
            open_other: true,
        };
        let ok = |raw| {
            parse_value("CF_CFLB", &ty, raw, &Whitelist::new())
                .unwrap()
                .text
        };
        assert_eq!(ok("罚款;警告"), "罚款;警告");
        assert_eq!(ok("警告、罚款、警告"), "警告;罚款");
        assert_eq!(ok("其他：责令改正"), "其他：责令改正");
        assert_eq!(ok("罚款；其他-责令改正"), "罚款;其他：责令改正");
        assert_eq!(ok("罚金，警告"), "罚款;警告");
        let err = parse_value("CF_CFLB", &ty, "罚酒", &Whitelist::new()).unwrap_err();
        assert_eq!(err.code, "bad_set_value");
        assert!(err.message_zh.contains("罚酒"));
    }

    #[test]
    fn text_length_counts_characters_not_bytes() {
        let ty = FieldType::Text { max_len: 4 };
        assert!(parse_value("F", &ty, "信用中国", &Whitelist::new()).is_ok());
        assert_eq!(
            parse_value("F", &ty, "信用中国网", &Whitelist::new())
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn id_numbers_are_checked_and_masked_in_reports() {
        let parsed = parse_value(
            "CF_FR_ZJHM",
            &FieldType::IdNumber,
            "11010519491231002X",
            &Whitelist::new(),
        )
        .unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let wrong = parse_value(
            "CF_FR_ZJHM",
            &FieldType::IdNumber,
            "110105194912310021",
            &Whitelist::new(),
        )
        .unwrap();
        assert_eq!(wrong.warnings[0].code, "id_number_check");
        assert_eq!(
            wrong.warnings[0].value.as_deref(),
            Some("110105********0021")
        );
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
    }
}
