-- Credit repair: repair cases join the other due-process cases, and approved repairs mark
-- their records. PostgreSQL twin of migrations/sqlite/0006_repair.sql.

-- PostgreSQL changes a CHECK constraint in place (SQLite rebuilds the table).
ALTER TABLE cases DROP CONSTRAINT cases_kind_check;
ALTER TABLE cases ADD CONSTRAINT cases_kind_check
    CHECK (kind IN ('listing', 'objection', 'repair'));

-- Records whose repair was approved (已修复), with the day: a projection of the approving
-- event (`seq`) of the repair case, written in its transaction and re-checked by `verify`.
CREATE TABLE repairs (
    record      BYTEA PRIMARY KEY CHECK (octet_length(record) = 16),
    subject     TEXT COLLATE "C" NOT NULL,
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    repaired_on DATE   NOT NULL,
    seq         BIGINT NOT NULL REFERENCES events (seq)
);
