//! A search request, its validation, and its translation into one tantivy query.
//!
//! The query text is cut by [`text::query_terms`], as names are. Whitespace separates
//! *parts* that must all occur (`华夏 科技` finds `华夏数码科技有限公司`); each part is a phrase
//! of its bigrams, so it matches as a substring. The alternatives below each carry their
//! [`Rule`]'s constant score and are combined by disjunction-max:
//!
//! | rule | sub-query |
//! | --- | --- |
//! | name / former name exact | the text's [`text::key`] as a term of the key field |
//! | name prefix | first part's phrase starting with the anchor term, other parts anywhere |
//! | name / former name substring | every part's phrase |
//! | code / old code exact | the [`gongxin_codes::normalise`]d text as a term |
//! | code / old code prefix | term range `[text, text + U+10FFFF)` (text of 6 to 18 letters or digits) |
//! | legal representative | the key as a term (only if allowed; exact, never a fragment of a person's name) |
//!
//! Region and subject-type filters are required terms with score 0, so they leave the
//! rule's score intact.

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::error::QueryError;
use crate::rank::Rule;
use crate::schema::Fields;
use crate::subject::is_subject_type;
use crate::text;

/// Longest accepted query text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Most hits in one page.
pub const MAX_LIMIT: usize = 100;
/// Deepest hit reachable by paging (`offset + limit`).
pub const MAX_PAGE_END: usize = 1_000;
/// Fewest characters a query must have (after dropping spaces and punctuation).
pub const MIN_QUERY_CHARS: usize = 2;
/// Shortest code prefix searched as one.
const MIN_CODE_PREFIX: usize = 6;
/// Longest code (a USCC).
const MAX_CODE: usize = 18;

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// A name or part of one, or a code or the start of one.
    pub text: String,
    /// Only subjects whose division code starts with these 2, 4 or 6 digits
    /// (province, city, county).
    pub region: Option<String>,
    /// Only subjects of this type (USCC characters 1–2).
    pub subject_type: Option<String>,
    /// Also match legal representatives' names exactly, and return them. Only for callers
    /// entitled to personal data; public searches leave it `false`.
    pub match_legal_representatives: bool,
    /// With `match_legal_representatives`: also find subjects whose records name a person
    /// with this identity number, given as the platform's keyed matching hash.
    pub personal_id_hash: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

impl SearchQuery {
    /// A public search for `text`: the first 20 hits, no filters.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            region: None,
            subject_type: None,
            match_legal_representatives: false,
            personal_id_hash: None,
            limit: 20,
            offset: 0,
        }
    }

    /// Checks the request and works out what to look for.
    pub(crate) fn plan(&self) -> Result<Plan, QueryError> {
        let chars = self.text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong {
                chars,
                max: MAX_QUERY_CHARS,
            });
        }
        let key = text::key(&self.text);
        match key.chars().count() {
            0 => return Err(QueryError::Empty),
            n if n < MIN_QUERY_CHARS => {
                return Err(QueryError::TooShort {
                    min: MIN_QUERY_CHARS,
                });
            }
            _ => {}
        }
        if self.limit > MAX_LIMIT {
            return Err(QueryError::LimitTooLarge {
                limit: self.limit,
                max: MAX_LIMIT,
            });
        }
        let end = self.offset.saturating_add(self.limit);
        if end > MAX_PAGE_END {
            return Err(QueryError::PageTooDeep {
                end,
                max: MAX_PAGE_END,
            });
        }
        if let Some(region) = &self.region
            && !(matches!(region.len(), 2 | 4 | 6) && region.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(QueryError::InvalidRegion(region.clone()));
        }
        let subject_type = self.subject_type.as_deref().map(gongxin_codes::normalise);
        if let Some(kind) = &subject_type
            && !is_subject_type(kind)
        {
            return Err(QueryError::InvalidSubjectType(kind.clone()));
        }
        let code = Some(gongxin_codes::normalise(&self.text)).filter(|code| {
            (MIN_CODE_PREFIX..=MAX_CODE).contains(&code.len())
                && code.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        let parts = self
            .text
            .split_whitespace()
            .map(text::query_terms)
            .filter(|terms| !terms.is_empty())
            .collect();
        Ok(Plan {
            key,
            parts,
            code,
            region: self.region.clone(),
            subject_type,
            persons: self.match_legal_representatives,
            person_hash: self
                .personal_id_hash
                .clone()
                .filter(|_| self.match_legal_representatives),
            offset: self.offset,
            limit: self.limit,
        })
    }
}

/// A validated request.
#[derive(Debug)]
pub(crate) struct Plan {
    key: String,
    /// The terms of each whitespace-separated part; at least one, none empty.
    parts: Vec<Vec<text::Term>>,
    code: Option<String>,
    region: Option<String>,
    subject_type: Option<String>,
    pub(crate) persons: bool,
    person_hash: Option<String>,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
}

impl Plan {
    /// The tantivy query: the rules' alternatives (only the decisive ones if `decisive`),
    /// within the filters.
    pub(crate) fn query(&self, fields: Fields, decisive: bool) -> Box<dyn Query> {
        let mut rules = vec![
            (Rule::NameExact, term(fields.name_key, &self.key)),
            (Rule::NamePrefix, self.phrases(fields.name, true)),
            (Rule::NameSubstring, self.phrases(fields.name, false)),
            (Rule::FormerNameExact, term(fields.former_key, &self.key)),
            (
                Rule::FormerNameSubstring,
                self.phrases(fields.former_names, false),
            ),
        ];
        if self.persons {
            rules.push((
                Rule::LegalRepresentative,
                term(fields.person_key, &self.key),
            ));
        }
        if let Some(hash) = &self.person_hash {
            rules.push((Rule::LegalRepresentative, term(fields.person_key, hash)));
        }
        if let Some(code) = &self.code {
            rules.extend([
                (Rule::CodeExact, term(fields.code, code)),
                (Rule::OldCodeExact, term(fields.old_code_key, code)),
                (Rule::CodePrefix, prefix(fields.code, code)),
                (Rule::OldCodePrefix, prefix(fields.old_code_key, code)),
            ]);
        }
        let alternatives = rules
            .into_iter()
            .filter(|(rule, _)| !decisive || rule.is_decisive())
            .map(|(rule, query)| scored(query, rule.score()))
            .collect();
        let mut clauses = vec![(
            Occur::Must,
            Box::new(DisjunctionMaxQuery::new(alternatives)) as Box<dyn Query>,
        )];
        let filters = [
            (fields.region, &self.region),
            (fields.subject_type, &self.subject_type),
        ];
        for (field, value) in filters {
            if let Some(value) = value {
                clauses.push((Occur::Must, scored(term(field, value), 0.0)));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// All parts as phrases in `field`; with `anchored`, the first at the start of the text.
    fn phrases(&self, field: Field, anchored: bool) -> Box<dyn Query> {
        let mut phrases: Vec<Box<dyn Query>> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, terms)| phrase(field, terms, anchored && i == 0))
            .collect();
        if phrases.len() == 1 {
            phrases.remove(0)
        } else {
            Box::new(BooleanQuery::intersection(phrases))
        }
    }
}

fn scored(query: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, score))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

/// Consecutive `terms` in `field`; with `anchored`, the first as its anchor form (so only at
/// the start of the text). A single term needs no positions.
fn phrase(field: Field, terms: &[text::Term], anchored: bool) -> Box<dyn Query> {
    let mut terms: Vec<(usize, Term)> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let term = if anchored && i == 0 {
                Term::from_field_text(field, &text::anchor(&t.text))
            } else {
                Term::from_field_text(field, &t.text)
            };
            (t.position, term)
        })
        .collect();
    if terms.len() == 1 {
        let (_, single) = terms.remove(0);
        Box::new(TermQuery::new(single, IndexRecordOption::Basic))
    } else {
        Box::new(PhraseQuery::new_with_offset(terms))
    }
}

/// Terms of `field` that start with `prefix`.
fn prefix(field: Field, prefix: &str) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_text(field, prefix)),
        Bound::Excluded(Term::from_field_text(
            field,
            &format!("{prefix}{}", char::MAX),
        )),
    ))
}
