//! The index's fields and the mapping between [`SubjectDoc`] / [`SearchHit`] and tantivy
//! documents.
//!
//! Each searchable text has two fields: a tokenised one (bigrams, for prefix and substring
//! phrases) and a raw *key* (for the exact match). Codes are indexed normalised, so any
//! spelling of a code finds them. Only what a hit shows is stored, and personal names are
//! stored apart from the keys that match them.

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{TantivyDocument, Term};

use crate::rank::Rule;
use crate::subject::{SearchHit, SubjectDoc};
use crate::text::{self, TOKENIZER};

/// The record-count fast field, read per matching document to break ranking ties.
pub(crate) const RECORD_COUNT: &str = "record_count";

/// Handles of the schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// Normalised code: identity (deletes), exact and prefix code match, stored.
    pub(crate) code: Field,
    pub(crate) name: Field,
    pub(crate) name_key: Field,
    pub(crate) former_names: Field,
    pub(crate) former_key: Field,
    /// As given, for display.
    pub(crate) old_codes: Field,
    /// Normalised, for matching.
    pub(crate) old_code_key: Field,
    pub(crate) legal_representatives: Field,
    pub(crate) person_key: Field,
    pub(crate) region_code: Field,
    /// The 2-, 4- and 6-digit prefixes of the region code, for the region filter.
    pub(crate) region: Field,
    pub(crate) subject_type: Field,
    pub(crate) record_count: Field,
}

/// The schema every generation of the index is created with, and its fields.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let bigrams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let stored_bigrams = bigrams.clone() | STORED;
    let fields = Fields {
        code: builder.add_text_field("code", STRING | STORED),
        name: builder.add_text_field("name", stored_bigrams.clone()),
        name_key: builder.add_text_field("name_key", STRING),
        former_names: builder.add_text_field("former_names", stored_bigrams),
        former_key: builder.add_text_field("former_key", STRING),
        old_codes: builder.add_text_field("old_codes", STORED),
        old_code_key: builder.add_text_field("old_code_key", STRING),
        legal_representatives: builder.add_text_field("legal_representatives", STORED),
        person_key: builder.add_text_field("person_key", STRING),
        region_code: builder.add_text_field("region_code", STORED),
        region: builder.add_text_field("region", STRING),
        subject_type: builder.add_text_field("subject_type", STRING | STORED),
        record_count: builder.add_u64_field(RECORD_COUNT, FAST),
    };
    (builder.build(), fields)
}

impl Fields {
    /// The term that identifies `code`'s document.
    pub(crate) fn code_term(self, code: &str) -> Term {
        Term::from_field_text(self.code, &gongxin_codes::normalise(code))
    }

    /// The tantivy document for a subject ([`SubjectDoc::check`] has passed).
    pub(crate) fn document(self, subject: &SubjectDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(self.code, gongxin_codes::normalise(&subject.code));
        doc.add_text(self.name, &subject.name);
        doc.add_text(self.name_key, text::key(&subject.name));
        for former in &subject.former_names {
            doc.add_text(self.former_names, former);
            doc.add_text(self.former_key, text::key(former));
        }
        for old in &subject.old_codes {
            doc.add_text(self.old_codes, old);
            doc.add_text(self.old_code_key, gongxin_codes::normalise(old));
        }
        for person in &subject.legal_representatives {
            doc.add_text(self.legal_representatives, person);
            doc.add_text(self.person_key, text::key(person));
        }
        // Hex hashes cannot collide with a name's key, so they share the personal field.
        for hash in &subject.personal_id_hashes {
            doc.add_text(self.person_key, hash);
        }
        if let Some(region) = &subject.region_code {
            doc.add_text(self.region_code, region);
            for len in [2, 4, 6] {
                doc.add_text(self.region, &region[..len]);
            }
        }
        if let Some(kind) = &subject.subject_type {
            doc.add_text(self.subject_type, gongxin_codes::normalise(kind));
        }
        doc.add_u64(self.record_count, subject.record_count);
        doc
    }

    /// A hit from a stored document; personal names only if `persons`.
    pub(crate) fn hit(
        self,
        doc: &TantivyDocument,
        rule: Rule,
        record_count: u64,
        persons: bool,
    ) -> SearchHit {
        let first = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let all = |field| {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let (matched, match_kind) = rule.matched();
        SearchHit {
            code: first(self.code).unwrap_or_default(),
            name: first(self.name).unwrap_or_default(),
            former_names: all(self.former_names),
            old_codes: all(self.old_codes),
            legal_representatives: if persons {
                all(self.legal_representatives)
            } else {
                Vec::new()
            },
            region_code: first(self.region_code),
            subject_type: first(self.subject_type),
            record_count,
            matched,
            match_kind,
        }
    }
}
