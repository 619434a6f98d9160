-- gongxin schema, version 1: the event log and its projections.
--
-- The log (`events`) is the truth; every other table is derived from it inside the same
-- transaction and is re-checked by `verify`. Every table carries the subject code so that a
-- PostgreSQL deployment can partition or distribute (Citus) by it.
--
-- Portability notes for the PostgreSQL twin of this file (same tables, same columns):
--   INTEGER       -> BIGINT
--   BLOB          -> BYTEA (length checks: octet_length)
--   decision_date -> DATE (kept as ISO-8601 TEXT here, which sorts the same)
--   WITHOUT ROWID -> (omit; PostgreSQL tables are heaps with a separate primary-key index)
--   GLOB          -> SIMILAR TO / a regex

-- The hash-chained log. `seq` is the rowid, so appending is a sequential write at the end of
-- the table. The hash covers kind, subject, record (as hex), recorded_at_us, actor, payload,
-- seq and prev_hash; `prev_record_seq` is storage only (not hashed) and links the events of one
-- record so that its history is a walk back from its head without an index on `record`.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY CHECK (seq > 0),
    kind            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    record          BLOB    CHECK (record IS NULL OR length(record) = 16),
    prev_record_seq INTEGER CHECK (prev_record_seq IS NULL OR prev_record_seq < seq),
    recorded_at_us  INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    -- TEXT, not JSON/JSONB in PostgreSQL: the hash covers these exact bytes.
    payload         TEXT    NOT NULL,
    prev_hash       BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash            BLOB    NOT NULL CHECK (length(hash) = 32)
);

-- Market entities by the code their records carry: a USCC, or the old code of an individual
-- business that has none. `name` is the name of the latest event about the subject.
-- No stored record count: it would turn every import batch into an update of every subject it
-- touches (and a hot row under concurrent writers in PostgreSQL); counting a subject's entries
-- in `records_by_subject` when it is read is cheap and cannot drift.
CREATE TABLE subjects (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (name <> '')
) WITHOUT ROWID;

-- Every name a subject was submitted under, with the event that first used it.
CREATE TABLE subject_names (
    subject   TEXT    NOT NULL REFERENCES subjects (code),
    name      TEXT    NOT NULL,
    first_seq INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (subject, name)
) WITHOUT ROWID;

-- Old codes (organisation code, registration number) that now belong to a USCC subject.
-- Records filed under an old code stay under it; reads join them in through this table.
CREATE TABLE subject_codes (
    old_code TEXT PRIMARY KEY,
    subject  TEXT NOT NULL REFERENCES subjects (code)
) WITHOUT ROWID;
CREATE INDEX subject_codes_by_subject ON subject_codes (subject);

-- The current state of every record. The key is the seq of the record's first event, so new
-- records are appended in log order; the random 128-bit `id` lives in a narrow unique index
-- instead of being the clustering key, which keeps the pages a batch dirties (and the WAL it
-- writes) small. The record's fields are read from the head event's payload.
--
-- No foreign keys here, unlike the tables above: this is the hot path of an import, and the
-- three parent look-ups per row (two events, one subject) cost about a tenth of the write
-- throughput. `verify` checks these links, and more, against the log.
CREATE TABLE records (
    first_seq            INTEGER PRIMARY KEY,
    id                   BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    subject              TEXT    NOT NULL,
    item                 TEXT    NOT NULL CHECK (item <> ''),
    source_unit          TEXT    NOT NULL CHECK (source_unit <> ''),
    document_no          TEXT    NOT NULL CHECK (document_no <> ''),
    decision_date        TEXT    NOT NULL
        CHECK (decision_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    status               TEXT    NOT NULL CHECK (status IN ('normal', 'revoked')),
    content_hash         BLOB    NOT NULL CHECK (length(content_hash) = 32),
    catalog_version      TEXT    NOT NULL,
    head_seq             INTEGER NOT NULL CHECK (head_seq >= first_seq),
    first_recorded_at_us INTEGER NOT NULL
);
CREATE INDEX records_by_subject ON records (subject);
