-- Joint reward and discipline: the cases of the due-process workflows, and the checks
-- approving departments ran. PostgreSQL twin of migrations/sqlite/0003_discipline.sql.

-- One row per case, a projection of the log like `records`.
CREATE TABLE cases (
    id        TEXT COLLATE "C" PRIMARY KEY,
    kind      TEXT COLLATE "C" NOT NULL CHECK (kind IN ('listing', 'objection')),
    subject   TEXT COLLATE "C" NOT NULL,
    record    BYTEA   NOT NULL CHECK (octet_length(record) = 16),
    open      BOOLEAN NOT NULL,
    due       DATE,
    first_seq BIGINT  NOT NULL REFERENCES events (seq),
    head_seq  BIGINT  NOT NULL REFERENCES events (seq) CHECK (head_seq >= first_seq)
);
CREATE INDEX cases_by_subject ON cases (subject, kind);
CREATE INDEX cases_by_record ON cases (record);
CREATE INDEX cases_open ON cases (kind, open, due);

-- Every check (应查必查) with what was asked and answered and the log position at the time.
-- Not in the hash chain, but append-only.
CREATE TABLE checks (
    receipt          TEXT COLLATE "C" PRIMARY KEY,
    at_us            BIGINT NOT NULL,
    key_id           TEXT COLLATE "C",
    unit             TEXT COLLATE "C",
    -- The subject checked; NULL for a name-only check that matched no code.
    subject          TEXT COLLATE "C",
    scenario         TEXT COLLATE "C" NOT NULL,
    purpose          TEXT COLLATE "C" NOT NULL,
    log_seq          BIGINT NOT NULL CHECK (log_seq >= 0),
    measures_version TEXT COLLATE "C" NOT NULL,
    request          TEXT COLLATE "C" NOT NULL,
    answer           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX checks_by_subject ON checks (subject, at_us);

CREATE TRIGGER checks_no_update BEFORE UPDATE OR DELETE ON checks
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the check log is append-only');
CREATE TRIGGER checks_no_truncate BEFORE TRUNCATE ON checks
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the check log is append-only');

-- `value` as JSON, or NULL when it is not JSON: the statistics read the logged answers, and a
-- row that holds no JSON must count as an empty answer rather than fail the whole query
-- (SQLite's json_valid; PostgreSQL 15 has no `IS JSON`).
CREATE FUNCTION try_jsonb(value TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;
