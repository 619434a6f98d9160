//! What can go wrong, split so that the HTTP layer can tell the caller's mistakes
//! ([`QueryError`], a 400) from the platform's ([`SearchError`]'s other variants, a 500).

use std::path::PathBuf;

/// A search request that cannot be answered as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to search for: empty, blank, or only punctuation.
    #[error("the query is empty")]
    Empty,
    /// One character matches too much to be useful (and is not indexed as a term of its own).
    #[error("the query needs at least {min} characters")]
    TooShort { min: usize },
    /// Longer than any name; a cap keeps the number of phrase terms (and the cost) bounded.
    #[error("the query has {chars} characters, at most {max} are allowed")]
    TooLong { chars: usize, max: usize },
    /// A region filter must be a 2-, 4- or 6-digit division code prefix.
    #[error("region filter {0:?} is not 2, 4 or 6 digits")]
    InvalidRegion(String),
    /// A subject-type filter must be the two leading characters of a USCC.
    #[error("subject type filter {0:?} is not two letters or digits")]
    InvalidSubjectType(String),
    /// Too many hits asked for in one page.
    #[error("limit {limit} exceeds the maximum of {max}")]
    LimitTooLarge { limit: usize, max: usize },
    /// Deep pages cost as much as all pages before them; refine the query instead.
    #[error("offset + limit = {end} exceeds the maximum of {max}; refine the query")]
    PageTooDeep { end: usize, max: usize },
}

/// Any failure of the search engine.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The caller's query is invalid (HTTP 400).
    #[error("invalid search: {0}")]
    Query(#[from] QueryError),
    /// A subject handed to [`crate::SearchIndex::upsert`] or a rebuild is malformed; nothing of
    /// its batch was written.
    #[error("subject {code:?} cannot be indexed: {reason}")]
    InvalidSubject { code: String, reason: &'static str },
    /// The iterator feeding a rebuild failed; the old index stays in place.
    #[error("reading subjects for the rebuild failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Only one rebuild may run at a time.
    #[error("a rebuild of the search index is already running")]
    RebuildInProgress,
    /// The index directory could not be read or written.
    #[error("search index directory {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed (corrupt files, a lock held by another process, …).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl SearchError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
