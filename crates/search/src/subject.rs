//! What is indexed about a subject and what a search returns about it.

use gongxin_codes::{RegNo, Uscc};

use crate::error::SearchError;

/// Everything the index knows about one subject, as the store hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubjectDoc {
    /// The USCC, or the old code of a subject known only by one. The identity in the index: an
    /// upsert replaces the document with the same (normalised) code.
    pub code: String,
    /// The current name.
    pub name: String,
    /// Names the subject was known by before, found with a lower rank than the current name.
    pub former_names: Vec<String>,
    /// Organisation codes (`12345678-9`) and 15-digit registration numbers.
    pub old_codes: Vec<String>,
    /// Legal representatives or persons in charge. Matched and returned only by a search that
    /// sets [`crate::SearchQuery::match_legal_representatives`].
    pub legal_representatives: Vec<String>,
    /// Keyed hashes of the personal identity numbers in the subject's records (the platform's
    /// matching hash, never the numbers): found, like legal representatives, only by searches
    /// entitled to personal data, through [`crate::SearchQuery::personal_id_hash`]. Not stored.
    pub personal_id_hashes: Vec<String>,
    /// The 6-digit division code (USCC characters 3–8).
    pub region_code: Option<String>,
    /// USCC characters 1–2, e.g. `91` for an enterprise.
    pub subject_type: Option<String>,
    /// How many records the subject has; breaks ties in the ranking.
    pub record_count: u64,
}

impl SubjectDoc {
    /// A document for `code` and `name`, with the region and subject type read from the code
    /// when it is a valid USCC (or the region when it is a registration number).
    #[must_use]
    pub fn new(code: &str, name: &str) -> Self {
        let (region_code, subject_type) = if let Ok(uscc) = Uscc::parse(code) {
            (
                Some(uscc.region_code().to_owned()),
                Some(uscc.as_str()[..2].to_owned()),
            )
        } else if let Ok(reg_no) = RegNo::parse(code) {
            (Some(reg_no.region_code().to_owned()), None)
        } else {
            (None, None)
        };
        Self {
            code: code.to_owned(),
            name: name.to_owned(),
            region_code,
            subject_type,
            ..Self::default()
        }
    }

    /// Refuses a document the index could not find again: without a code it cannot be
    /// replaced, and a malformed region or type would silently escape the filters.
    pub(crate) fn check(&self) -> Result<(), SearchError> {
        let invalid = |reason| {
            Err(SearchError::InvalidSubject {
                code: self.code.clone(),
                reason,
            })
        };
        if gongxin_codes::normalise(&self.code).is_empty() {
            return invalid("the code is empty");
        }
        if let Some(region) = &self.region_code
            && !(region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()))
        {
            return invalid("the region code is not 6 digits");
        }
        if let Some(kind) = &self.subject_type
            && !is_subject_type(&gongxin_codes::normalise(kind))
        {
            return invalid("the subject type is not two letters or digits");
        }
        Ok(())
    }
}

/// Whether the normalised `kind` has the shape of USCC characters 1–2.
pub(crate) fn is_subject_type(kind: &str) -> bool {
    kind.len() == 2
        && kind
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Which of a subject's fields a search matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matched {
    Name,
    FormerName,
    Code,
    OldCode,
    LegalRepresentative,
}

impl Matched {
    /// The stable name used in API responses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::FormerName => "former_name",
            Self::Code => "code",
            Self::OldCode => "old_code",
            Self::LegalRepresentative => "legal_representative",
        }
    }
}

/// How the query matched the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The whole field (ignoring case, width, spaces and punctuation).
    Exact,
    /// The start of the field.
    Prefix,
    /// Somewhere inside the field.
    Substring,
}

impl MatchKind {
    /// The stable name used in API responses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Prefix => "prefix",
            Self::Substring => "substring",
        }
    }
}

/// One subject found, in rank order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The normalised code.
    pub code: String,
    pub name: String,
    pub former_names: Vec<String>,
    pub old_codes: Vec<String>,
    /// Empty unless the query allowed matching legal representatives.
    pub legal_representatives: Vec<String>,
    pub region_code: Option<String>,
    pub subject_type: Option<String>,
    pub record_count: u64,
    /// The best-ranked field the query matched.
    pub matched: Matched,
    pub match_kind: MatchKind,
}

/// A page of hits and how many subjects matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResults {
    /// How many subjects matched; a lower bound unless `exhaustive`.
    pub total: u64,
    /// Whether every match was scored. `false` when more than [`crate::MAX_SCORED`] subjects
    /// matched: exact and prefix matches are still all ranked first, but the substring matches
    /// shown are the best of the first [`crate::MAX_SCORED`] only — ask for a narrower query.
    pub exhaustive: bool,
    pub hits: Vec<SearchHit>,
}
