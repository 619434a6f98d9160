//! How names are cut into terms — the one definition used both when indexing and when querying,
//! so that the two can never disagree.
//!
//! Chinese has no spaces between words and a word segmenter would need a dictionary that
//! misses brand names (华夏, 鑫达), which are exactly what people type. Instead each Han
//! character of a name takes one position and is indexed twice there: alone (a unigram) and
//! with its successor (a bigram): `华夏科` → `华 华夏 | 夏 夏科 | 科`. A query becomes a phrase
//! of its **bigrams** at their positions (`华夏科` → `华夏@0 夏科@1`): a document matches if
//! and only if the query's characters occur consecutively in it — substring search, for any
//! query of two or more Han characters — and the phrase is driven by the rarest bigram. A
//! query's lone Han character between other terms (`第3号`, `7天`) is its unigram.
//!
//! Latin letters and digits form **words** (`ABC`, `3M`, `2024`) matched whole, lower-cased, one
//! position each, so `ABC科技` is `abc@0 科技@1` and `7天连锁` is found by `7天`. Everything
//! else (spaces, brackets, `·`) ends a word and is otherwise skipped, so `华为（深圳）`,
//! `华为(深圳)` and `华为深圳` cut alike. Full-width ASCII (`ＡＢＣ`, `（`) is folded first.
//!
//! The terms at position 0 are also indexed as **anchor** terms (`^华夏`, `^华`): a phrase
//! whose first term is an anchor matches only at the start of the name, which is how a name
//! prefix is found without a second index of prefixes.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name under which [`CjkTokenizer`] is registered on every index.
pub(crate) const TOKENIZER: &str = "gongxin_cjk";

/// Marks the anchor copy of a text's first term. Never part of a real term: every character
/// that is not a letter, digit or Han character is a separator.
const ANCHOR: char = '^';

/// One term of a text and its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) position: usize,
    pub(crate) text: String,
}

impl Term {
    fn new(position: usize, chars: impl IntoIterator<Item = char>) -> Self {
        Self {
            position,
            text: chars.into_iter().collect(),
        }
    }
}

/// Full-width ASCII forms become ASCII and letters lower case; the same folding for index and
/// query.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_lowercase().next().unwrap_or(c)
}

/// Han ideographs: the unified blocks, their extensions and compatibility forms, and 〇.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Word,
    Separator,
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Separator
    }
}

/// The folded characters of `text` grouped into runs of one class, separators dropped. A
/// separator ends a word but not a Han run: `华夏科技（深圳）` is one run, as it is one string
/// of characters to a reader, and so is found by `华夏科技深圳`.
fn runs(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut runs = Vec::new();
    let mut current: Option<(Class, Vec<char>)> = None;
    for c in text.chars().map(fold) {
        match (class(c), &mut current) {
            (Class::Separator, Some((Class::Han, _))) => {}
            (class, Some((run_class, chars))) if *run_class == class => chars.push(c),
            (class, _) => {
                runs.extend(current.take());
                if class != Class::Separator {
                    current = Some((class, vec![c]));
                }
            }
        }
    }
    runs.extend(current);
    runs
}

/// The terms of `text`. Indexing (`all_unigrams`) adds every Han character's unigram; a query
/// needs only its bigrams, plus the unigram of a character that has none.
fn cut(text: &str, all_unigrams: bool) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut position = 0;
    for (class, chars) in runs(text) {
        if class == Class::Han {
            for (i, &c) in chars.iter().enumerate() {
                let next = chars.get(i + 1);
                if all_unigrams || (i == 0 && next.is_none()) {
                    terms.push(Term::new(position + i, [c]));
                }
                if let Some(&next) = next {
                    terms.push(Term::new(position + i, [c, next]));
                }
            }
            position += chars.len();
        } else {
            terms.push(Term::new(position, chars));
            position += 1;
        }
    }
    terms
}

/// The terms a query looks for, at their relative positions (with gaps where a position
/// needs no term).
pub(crate) fn query_terms(text: &str) -> Vec<Term> {
    cut(text, false)
}

/// The terms indexed for a text, including the anchors.
fn index_terms(text: &str) -> Vec<Term> {
    let terms = cut(text, true);
    let anchors: Vec<Term> = terms
        .iter()
        .take_while(|term| term.position == 0)
        .map(|term| Term {
            position: 0,
            text: anchor(&term.text),
        })
        .collect();
    anchors.into_iter().chain(terms).collect()
}

/// The anchor form of a text's first term.
pub(crate) fn anchor(term: &str) -> String {
    format!("{ANCHOR}{term}")
}

/// The key under which a whole name (or person's name) is matched exactly: folded letters,
/// digits and Han characters with the separators removed, so `ABC 科技（北京）` and
/// `ＡＢＣ科技(北京)` are the same name.
pub(crate) fn key(text: &str) -> String {
    text.chars()
        .map(fold)
        .filter(|&c| class(c) != Class::Separator)
        .collect()
}

/// The tantivy side of [`index_terms`].
#[derive(Debug, Clone, Default)]
pub(crate) struct CjkTokenizer;

/// The prepared tokens of one text, handed out one by one.
#[derive(Debug)]
pub(crate) struct CjkTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Tokenizer for CjkTokenizer {
    type TokenStream<'a> = CjkTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream {
        let tokens: Vec<Token> = index_terms(text)
            .into_iter()
            .map(|term| Token {
                position: term.position,
                text: term.text,
                ..Token::default()
            })
            .collect();
        CjkTokenStream {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for CjkTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(terms: Vec<Term>) -> Vec<String> {
        terms
            .into_iter()
            .map(|t| format!("{}@{}", t.text, t.position))
            .collect()
    }

    #[test]
    fn queries_look_for_bigrams_and_whole_words() {
        let cases: &[(&str, &[&str])] = &[
            ("华夏科技", &["华夏@0", "夏科@1", "科技@2"]),
            ("ＡＢＣ科技", &["abc@0", "科技@1"]),
            ("华为（深圳）", &["华为@0", "为深@1", "深圳@2"]),
            ("华夏X", &["华夏@0", "x@2"]),
            ("第3号", &["第@0", "3@1", "号@2"]),
            ("ab-cd 3M", &["ab@0", "cd@1", "3m@2"]),
            (" ·（） ", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(show(query_terms(text)), *expected, "{text}");
        }
    }

    #[test]
    fn indexing_adds_unigrams_and_anchors() {
        assert_eq!(
            show(index_terms("华夏科")),
            [
                "^华@0",
                "^华夏@0",
                "华@0",
                "华夏@0",
                "夏@1",
                "夏科@1",
                "科@2"
            ]
        );
        assert_eq!(show(index_terms("7天")), ["^7@0", "7@0", "天@1"]);
    }

    #[test]
    fn keys_ignore_separators_width_and_case() {
        assert_eq!(key("ABC 科技（北京）"), key("ａｂｃ科技(北京)"));
        assert_eq!(key("阿卜杜·热合曼"), "阿卜杜热合曼");
    }

    #[test]
    fn the_stream_hands_out_the_index_terms() {
        let mut tokenizer = CjkTokenizer;
        let mut stream = tokenizer.token_stream("华夏");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(format!(
                "{}@{}",
                stream.token().text,
                stream.token().position
            ));
        }
        assert_eq!(seen, show(index_terms("华夏")));
    }
}
