-- Credit repair: repair cases join the other due-process cases, and approved repairs mark
-- their records.

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with `repair` among
-- the kinds, rows and indexes unchanged.
CREATE TABLE cases_next (
    id        TEXT    PRIMARY KEY,
    kind      TEXT    NOT NULL CHECK (kind IN ('listing', 'objection', 'repair')),
    subject   TEXT    NOT NULL,
    record    BLOB    NOT NULL CHECK (length(record) = 16),
    open      INTEGER NOT NULL CHECK (open IN (0, 1)),
    due       TEXT    CHECK (due IS NULL OR due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    first_seq INTEGER NOT NULL REFERENCES events (seq),
    head_seq  INTEGER NOT NULL REFERENCES events (seq) CHECK (head_seq >= first_seq)
) WITHOUT ROWID;
INSERT INTO cases_next SELECT id, kind, subject, record, open, due, first_seq, head_seq FROM cases;
DROP TABLE cases;
ALTER TABLE cases_next RENAME TO cases;
CREATE INDEX cases_by_subject ON cases (subject, kind);
CREATE INDEX cases_by_record ON cases (record);
CREATE INDEX cases_open ON cases (kind, open, due);

-- Records whose repair was approved (已修复), with the day: a projection of the approving
-- event (`seq`) of the repair case, written in its transaction and re-checked by `verify`.
-- Reads of records join it in, so that every view computes the publication window with it.
CREATE TABLE repairs (
    record      BLOB    PRIMARY KEY CHECK (length(record) = 16),
    subject     TEXT    NOT NULL,
    case_id     TEXT    NOT NULL REFERENCES cases (id),
    repaired_on TEXT    NOT NULL
        CHECK (repaired_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    seq         INTEGER NOT NULL REFERENCES events (seq)
) WITHOUT ROWID;
