//! The one-stop search over market entities ("subjects"): a full-text index of names, former
//! names and codes on [tantivy], knowing nothing of HTTP or SQL.
//!
//! - **CJK aware.** Each Han character of a name is indexed alone and with its successor
//!   (a bigram), Latin letters and digits as whole words (see `text`); a query becomes a phrase
//!   of its bigrams, so any 2+ Han characters find every name containing them. A query of one
//!   character is refused ([`QueryError::TooShort`]).
//! - **Ranked** by how a subject matched, not by term statistics: exact code or name, then
//!   prefixes, an exact former name, name substrings, a legal representative's name (only when
//!   the query allows it), former-name substrings; ties by record count. Each [`SearchHit`]
//!   says which field matched and how.
//! - **Codes** in any spelling (case, width, hyphens): exact USCC, organisation code or
//!   registration number, or a prefix of 6+ characters.
//! - **Filters** by region (2/4/6-digit division prefix) and subject type; pages with a total.
//! - **Bounded cost**: a search scores at most [`MAX_SCORED`] documents (then re-runs only the
//!   exact and prefix rules, so those are never lost) and loads stored fields only for the page
//!   returned; [`SearchResults::exhaustive`] says whether the total is exact.
//! - **Updated** by [`SearchIndex::upsert`] as records arrive, **rebuilt** from the store by
//!   [`SearchIndex::rebuild`] beside the live index and swapped in atomically.
//!
//! ```no_run
//! # fn main() -> Result<(), gongxin_search::SearchError> {
//! use gongxin_search::{SearchIndex, SearchQuery, SubjectDoc};
//!
//! let index = SearchIndex::open("data/search")?;
//! index.upsert(&[SubjectDoc::new("91350100M000100Y43", "福州华夏科技有限公司")])?;
//! let results = index.search(&SearchQuery::new("华夏科技"))?;
//! assert_eq!(results.hits[0].matched.as_str(), "name");
//! # Ok(())
//! # }
//! ```

mod error;
mod index;
mod query;
mod rank;
mod schema;
mod subject;
mod text;

pub use error::{QueryError, SearchError};
pub use index::SearchIndex;
pub use query::{MAX_LIMIT, MAX_PAGE_END, MAX_QUERY_CHARS, MIN_QUERY_CHARS, SearchQuery};
pub use rank::MAX_SCORED;
pub use subject::{MatchKind, Matched, SearchHit, SearchResults, SubjectDoc};
