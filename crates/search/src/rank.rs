//! Ranking: which match counts for how much, and the collector that keeps the best page.
//!
//! Relevance here is not a text statistic but a fixed order of *how* a subject matched
//! (exact code or name, then prefixes, …), because someone typing a name wants that subject,
//! not the one where the characters are rarest. Each [`Rule`] is a sub-query wrapped in a
//! constant score equal to its rank; a disjunction-max of them gives each document the score of
//! its best rule, so the score alone tells both the tier and which field matched. Ties within a
//! tier go to the subject with more records, then to the older document (stable pages).
//!
//! The collector reads nothing but the score and the record-count fast column per matching
//! document, and keeps `offset + limit` entries in a min-heap; stored fields are loaded
//! afterwards for the returned page only.
//!
//! A query like `有限公司` matches most of the index, and checking a bigram phrase costs a few
//! hundred nanoseconds per document, so scoring all of them would take far longer than a search
//! may. The collector therefore scores at most [`MAX_SCORED`] documents and says whether it
//! stopped early; the index then runs a second, selective query for the [decisive] rules only,
//! so exact and prefix matches are never lost to the cap — only the order among the
//! (hundreds of thousands of) substring matches becomes approximate.
//!
//! [decisive]: Rule::is_decisive

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use std::sync::atomic::{AtomicU64, Ordering as Atomic};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, DocSet as _, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::schema::RECORD_COUNT;
use crate::subject::{MatchKind, Matched};

/// The ways a subject can match, from weakest to strongest; the discriminant is the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rule {
    FormerNameSubstring = 1,
    LegalRepresentative,
    NameSubstring,
    FormerNameExact,
    OldCodePrefix,
    CodePrefix,
    NamePrefix,
    OldCodeExact,
    CodeExact,
    NameExact,
}

impl Rule {
    const ALL: [Self; 10] = [
        Self::FormerNameSubstring,
        Self::LegalRepresentative,
        Self::NameSubstring,
        Self::FormerNameExact,
        Self::OldCodePrefix,
        Self::CodePrefix,
        Self::NamePrefix,
        Self::OldCodeExact,
        Self::CodeExact,
        Self::NameExact,
    ];

    /// The constant score of this rule's sub-query.
    pub(crate) fn score(self) -> Score {
        Score::from(self as u8)
    }

    /// The strongest rule whose score the document reached.
    fn from_score(score: Score) -> Self {
        Self::ALL
            .into_iter()
            .rev()
            .find(|rule| rule.score() <= score)
            .unwrap_or(Self::FormerNameSubstring)
    }

    /// Rules of one tier rank alike; record counts decide between them. Exact identity first,
    /// then prefixes, then an exact former name, then substrings; a legal representative's
    /// name (matched exactly, when allowed) ranks above a fragment of a former name.
    fn tier(self) -> u8 {
        match self {
            Self::NameExact | Self::CodeExact | Self::OldCodeExact => 6,
            Self::NamePrefix | Self::CodePrefix | Self::OldCodePrefix => 5,
            Self::FormerNameExact => 4,
            Self::NameSubstring => 3,
            Self::LegalRepresentative => 2,
            Self::FormerNameSubstring => 1,
        }
    }

    /// Whether the rule matches few documents (an exact key, an anchored phrase, a code range)
    /// and ranks above every substring match: these are searched again when a query matched
    /// too much to score it all.
    pub(crate) fn is_decisive(self) -> bool {
        self.tier() >= Self::FormerNameExact.tier()
    }

    /// The field and the kind of match this rule reports.
    pub(crate) fn matched(self) -> (Matched, MatchKind) {
        match self {
            Self::NameExact => (Matched::Name, MatchKind::Exact),
            Self::NamePrefix => (Matched::Name, MatchKind::Prefix),
            Self::NameSubstring => (Matched::Name, MatchKind::Substring),
            Self::FormerNameExact => (Matched::FormerName, MatchKind::Exact),
            Self::FormerNameSubstring => (Matched::FormerName, MatchKind::Substring),
            Self::CodeExact => (Matched::Code, MatchKind::Exact),
            Self::CodePrefix => (Matched::Code, MatchKind::Prefix),
            Self::OldCodeExact => (Matched::OldCode, MatchKind::Exact),
            Self::OldCodePrefix => (Matched::OldCode, MatchKind::Prefix),
            Self::LegalRepresentative => (Matched::LegalRepresentative, MatchKind::Exact),
        }
    }
}

/// A matching document and what it is ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ranked {
    pub(crate) rule: Rule,
    pub(crate) record_count: u64,
    pub(crate) doc: DocAddress,
}

impl Ord for Ranked {
    /// Greater is better.
    fn cmp(&self, other: &Self) -> Ordering {
        (
            self.rule.tier(),
            self.record_count,
            self.rule,
            Reverse(self.doc),
        )
            .cmp(&(
                other.rule.tier(),
                other.record_count,
                other.rule,
                Reverse(other.doc),
            ))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Most documents one search scores: matching a bigram phrase costs up to ~300 ns a document
/// on a busy 2-core machine, so this bounds the worst query to about 10 ms.
pub const MAX_SCORED: u64 = 30_000;

/// What a search collected: how many documents matched (all of them, if `exhaustive`), and the
/// best, best first.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) total: u64,
    pub(crate) exhaustive: bool,
    pub(crate) best: Vec<Ranked>,
}

/// Counts matches and keeps the best `keep`, best first, scoring at most [`MAX_SCORED`].
#[derive(Debug)]
pub(crate) struct RankCollector {
    keep: usize,
    /// Documents left to score, shared by the segments (searched one after another).
    budget: AtomicU64,
}

impl RankCollector {
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            keep,
            budget: AtomicU64::new(MAX_SCORED),
        }
    }
}

impl Collected {
    /// Both searches' best, each document once with its best rule; `self`'s count.
    pub(crate) fn merge(mut self, other: Self, keep: usize) -> Self {
        let mut heap = BinaryHeap::with_capacity(keep);
        self.best.extend(other.best);
        self.best.sort_by(|a, b| a.doc.cmp(&b.doc).then(b.cmp(a)));
        self.best.dedup_by_key(|r| r.doc);
        for ranked in self.best {
            offer(&mut heap, keep, ranked);
        }
        self.best = best(heap);
        self
    }
}

/// The best `keep` documents of a heap, best first.
fn best(heap: BinaryHeap<Reverse<Ranked>>) -> Vec<Ranked> {
    // Ascending order of `Reverse` is descending order of rank.
    heap.into_sorted_vec()
        .into_iter()
        .map(|Reverse(r)| r)
        .collect()
}

/// Offers `ranked` to a min-heap of at most `keep` entries.
fn offer(heap: &mut BinaryHeap<Reverse<Ranked>>, keep: usize, ranked: Ranked) {
    if heap.len() < keep {
        heap.push(Reverse(ranked));
    } else if let Some(mut worst) = heap.peek_mut()
        && ranked > worst.0
    {
        *worst = Reverse(ranked);
    }
}

impl Collector for RankCollector {
    type Fruit = Collected;
    type Child = RankSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<RankSegmentCollector> {
        Ok(RankSegmentCollector {
            segment,
            record_counts: reader.fast_fields().u64(RECORD_COUNT)?,
            keep: self.keep,
            collected: Collected {
                exhaustive: true,
                ..Collected::default()
            },
            heap: BinaryHeap::with_capacity(self.keep),
        })
    }

    /// The default loop, but stopping when the budget is spent.
    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Collected> {
        let mut collector = self.for_segment(segment, reader)?;
        let mut budget = self.budget.load(Atomic::Relaxed);
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                if budget == 0 {
                    collector.collected.exhaustive = false;
                    break;
                }
                budget -= 1;
                collector.collect(doc, scorer.score());
            }
            doc = scorer.advance();
        }
        self.budget.store(budget, Atomic::Relaxed);
        Ok(collector.harvest())
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut merged = Collected {
            exhaustive: true,
            ..Collected::default()
        };
        let mut heap = BinaryHeap::with_capacity(self.keep);
        for fruit in fruits {
            merged.total += fruit.total;
            merged.exhaustive &= fruit.exhaustive;
            for r in fruit.best {
                offer(&mut heap, self.keep, r);
            }
        }
        merged.best = best(heap);
        Ok(merged)
    }
}

/// [`RankCollector`] within one segment.
pub(crate) struct RankSegmentCollector {
    segment: SegmentOrdinal,
    record_counts: Column<u64>,
    keep: usize,
    collected: Collected,
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl SegmentCollector for RankSegmentCollector {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.collected.total += 1;
        if self.keep == 0 {
            return;
        }
        let ranked = Ranked {
            rule: Rule::from_score(score),
            record_count: self.record_counts.first(doc).unwrap_or(0),
            doc: DocAddress::new(self.segment, doc),
        };
        offer(&mut self.heap, self.keep, ranked);
    }

    fn harvest(mut self) -> Collected {
        self.collected.best = best(self.heap);
        self.collected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_decode_to_their_rules() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_score(rule.score()), rule);
        }
        assert!(Rule::ALL.windows(2).all(|w| w[0] < w[1]), "ALL is in order");
    }
}
