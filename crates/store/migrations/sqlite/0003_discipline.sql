-- Joint reward and discipline: the cases of the due-process workflows, and the checks
-- approving departments ran.

-- One row per case (a listing, an objection). Like `records`, a projection of the log: the
-- case's state after each step is in the payload of its latest event (`head_seq`), and its
-- events link through `prev_record_seq`. `open` and `due` are here to be searched.
CREATE TABLE cases (
    id        TEXT    PRIMARY KEY,
    kind      TEXT    NOT NULL CHECK (kind IN ('listing', 'objection')),
    subject   TEXT    NOT NULL,
    record    BLOB    NOT NULL CHECK (length(record) = 16),
    open      INTEGER NOT NULL CHECK (open IN (0, 1)),
    due       TEXT    CHECK (due IS NULL OR due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    first_seq INTEGER NOT NULL REFERENCES events (seq),
    head_seq  INTEGER NOT NULL REFERENCES events (seq) CHECK (head_seq >= first_seq)
) WITHOUT ROWID;
CREATE INDEX cases_by_subject ON cases (subject, kind);
CREATE INDEX cases_by_record ON cases (record);
CREATE INDEX cases_open ON cases (kind, open, due);

-- Every check (应查必查) with what was asked and what was answered, and the position of the
-- log at the time: enough to show the answer again and to recompute it from what the
-- platform knew then. Not in the hash chain (a check changes no data), but append-only.
CREATE TABLE checks (
    receipt          TEXT    PRIMARY KEY,
    at_us            INTEGER NOT NULL,
    key_id           TEXT,
    unit             TEXT,
    -- The subject checked; NULL for a name-only check that matched no code.
    subject          TEXT,
    scenario         TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    log_seq          INTEGER NOT NULL CHECK (log_seq >= 0),
    measures_version TEXT    NOT NULL,
    request          TEXT    NOT NULL,
    answer           TEXT    NOT NULL
);
CREATE INDEX checks_by_subject ON checks (subject, at_us);

CREATE TRIGGER checks_no_update BEFORE UPDATE ON checks
BEGIN
    SELECT RAISE(ABORT, 'the check log is append-only');
END;
CREATE TRIGGER checks_no_delete BEFORE DELETE ON checks
BEGIN
    SELECT RAISE(ABORT, 'the check log is append-only');
END;
