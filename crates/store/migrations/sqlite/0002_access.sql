-- API keys and the audit log: who may ask, and who asked what.

-- Only a SHA-256 of each secret is kept: a copy of the database gives no working key.
CREATE TABLE api_keys (
    id            TEXT    PRIMARY KEY,
    secret_sha256 BLOB    NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    name          TEXT    NOT NULL,
    -- The principal the key acts as, as JSON (role, unit, subject code, items).
    principal     TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    revoked_at_us INTEGER
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY CHECK (seq > 0),
    at_us      INTEGER NOT NULL,
    key_id     TEXT,
    role       TEXT    NOT NULL,
    unit       TEXT,
    subject    TEXT,
    action     TEXT    NOT NULL,
    target     TEXT,
    purpose    TEXT,
    client     TEXT
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

-- Append-only: the engine refuses to rewrite history, whoever asks.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
