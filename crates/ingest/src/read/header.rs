//! Header-cell normalisation, so that a catalog can match the many spellings departments use
//! for the same column (STANDARDS.md §2: full- or half-width brackets, stray spaces, names
//! with a code prefix such as `行政相对人代码_1(统一社会信用代码)`).

/// Returns the key used to match a header cell against a catalog.
///
/// Rules, applied character by character:
/// - every whitespace character is removed — ASCII spaces and tabs, the full-width space
///   U+3000, the no-break space U+00A0 and the rest of Unicode `White_Space` — because
///   spreadsheets and hand-edited templates scatter them anywhere, even inside words;
/// - invisible characters are removed: the byte-order mark U+FEFF (which survives as part of
///   the first header cell when a file has a BOM the reader did not strip, or two BOMs) and
///   the zero-width U+200B–U+200D and U+2060;
/// - full-width ASCII forms U+FF01–U+FF5E become their half-width originals, so `（）` → `()`,
///   `：` → `:`, `＿` → `_`, `Ａ` → `A`, `１` → `1`;
/// - the CJK brackets `【】` and `〔〕` become `[]` (full-width `［］` are covered above);
/// - ASCII letters are lower-cased (field codes such as `CF_NR_FK` arrive in either case);
/// - finally leading and trailing `*` are removed: templates mark required columns as
///   `*行政相对人名称`, and no field name contains an asterisk.
///
/// So `罚款金额（万元）`, `罚款金额 (万元)` and `\u{feff}罚款金额(万元) ` all normalise to
/// `罚款金额(万元)`. Chinese characters and other punctuation are kept as they are.
pub fn normalise_header(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_whitespace() || is_invisible(c) {
            continue;
        }
        out.push(to_half_width(c).to_ascii_lowercase());
    }
    let trimmed = out.trim_matches('*');
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

/// Returns the forms of a header cell a catalog matcher should try, best first, without
/// duplicates or empty strings.
///
/// The first entry is always [`normalise_header`]`(raw)` (unless it is empty). Then, while
/// the text ends in a bracketed group — `(...)` or `[...]`, after normalisation — the text
/// inside the brackets and the text before them are added, innermost-last:
///
/// | raw header | variants |
/// | --- | --- |
/// | `行政相对人代码_1(统一社会信用代码)` | `行政相对人代码_1(统一社会信用代码)`, `统一社会信用代码`, `行政相对人代码_1` |
/// | `罚款金额（万元）` | `罚款金额(万元)`, `万元`, `罚款金额` |
/// | `罚款金额(万元)(必填)` | `罚款金额(万元)(必填)`, `必填`, `罚款金额(万元)`, `万元`, `罚款金额` |
/// | `XK_XDR_MC` | `xk_xdr_mc` |
///
/// Both halves are offered because either may carry the field's name: the inner text in
/// `code(name)` headers, the outer text in `name(unit)` headers. A matcher that tries the
/// variants in order and takes the first known one gets the right field in both cases, since
/// neither a unit (`万元`) nor a code prefix (`行政相对人代码_1`) is a field name.
pub fn header_variants(raw: &str) -> Vec<String> {
    let full = normalise_header(raw);
    let mut variants: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !variants.iter().any(|v| v == s) {
            variants.push(s.to_owned());
        }
    };
    push(&full);
    let mut rest = full.as_str();
    while let Some((outer, inner)) = split_trailing_group(rest) {
        push(inner);
        push(outer);
        rest = outer;
    }
    variants
}

/// Zero-width characters that are invisible in every editor yet break a plain comparison.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{200b}'..='\u{200d}' | '\u{2060}')
}

/// Maps full-width ASCII forms and CJK square brackets to their half-width equivalents.
fn to_half_width(c: char) -> char {
    match c {
        // The full-width block mirrors printable ASCII at a fixed offset.
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        '【' | '〔' => '[',
        '】' | '〕' => ']',
        _ => c,
    }
}

/// Splits `outer(inner)` or `outer[inner]` at its last, balanced bracket group.
///
/// Returns `None` when the text does not end with a closing bracket or the bracket has no
/// matching opener.
fn split_trailing_group(s: &str) -> Option<(&str, &str)> {
    let close = s.chars().next_back()?;
    let open = match close {
        ')' => '(',
        ']' => '[',
        _ => return None,
    };
    let body = &s[..s.len() - close.len_utf8()];
    let mut depth = 0usize;
    for (i, c) in body.char_indices().rev() {
        if c == close {
            depth += 1;
        } else if c == open {
            if depth == 0 {
                return Some((&body[..i], &body[i + open.len_utf8()..]));
            }
            depth -= 1;
        }
    }
    None
}
