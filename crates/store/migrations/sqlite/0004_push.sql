-- Push and feedback of joint reward and discipline: webhook subscriptions and their
-- deliveries, the implementing units' feedback on checks, and the typical-case register.
--
-- None of this is in the hash chain: deliveries and notices follow from the log (and the
-- calendar), feedback and the register are statements about it. Feedback is append-only
-- like the audit and check logs; a register entry admits one change, its publication.

-- Webhook subscriptions of departments. `scenarios` is a JSON array of scenario ids.
--
-- The signing secret is kept as it is, unlike an API key's, of which a SHA-256 digest is
-- enough: to recognise a key the platform compares digests, but to sign a delivery it must
-- compute an HMAC with the secret itself, on every attempt, so a digest would not do. A copy
-- of the database lets its holder forge deliveries to the subscriber (never read from the
-- platform); a subscriber that fears so subscribes anew and deletes the old subscription.
CREATE TABLE subscriptions (
    id            TEXT    PRIMARY KEY,
    unit          TEXT    NOT NULL CHECK (unit <> ''),
    key_id        TEXT    NOT NULL,
    url           TEXT    NOT NULL CHECK (url GLOB 'http://*' OR url GLOB 'https://*'),
    scenarios     TEXT    NOT NULL,
    purpose       TEXT    NOT NULL CHECK (purpose <> ''),
    secret        TEXT    NOT NULL CHECK (length(secret) >= 32),
    -- The log head when it was made: it is told about later events only.
    after_seq     INTEGER NOT NULL CHECK (after_seq >= 0),
    created_at_us INTEGER NOT NULL,
    revoked_at_us INTEGER
);
CREATE INDEX subscriptions_by_unit ON subscriptions (unit);

-- One row per event (or notice) and subscription, with its attempts. `seq` is the event
-- told; for a notice, which is not in the log, `on_day` is the day it speaks of (an entry's
-- end) and `seq` the log head when it was made. Replays re-queue rows; nothing is deleted.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY CHECK (id > 0),
    subscription    TEXT    NOT NULL REFERENCES subscriptions (id),
    subject         TEXT    NOT NULL,
    seq             INTEGER NOT NULL CHECK (seq >= 0),
    kind            TEXT    NOT NULL,
    record          BLOB    CHECK (record IS NULL OR length(record) = 16),
    on_day          TEXT    CHECK (on_day IS NULL OR on_day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    -- Why the subscription is told, as JSON.
    reasons         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_us INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    last_error      TEXT,
    delivered_at_us INTEGER,
    created_at_us   INTEGER NOT NULL,
    CHECK (on_day IS NULL OR record IS NOT NULL)
);
-- An event is told once per subscription, a notice once per record, kind and day.
CREATE UNIQUE INDEX deliveries_of_events ON deliveries (subscription, seq) WHERE on_day IS NULL;
CREATE UNIQUE INDEX deliveries_of_notices ON deliveries (subscription, record, kind, on_day)
    WHERE on_day IS NOT NULL;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_us);
CREATE INDEX deliveries_by_subject ON deliveries (subject);

-- How far the dispatcher has got: one row.
CREATE TABLE dispatch_position (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    event_seq      INTEGER NOT NULL CHECK (event_seq >= 0),
    expiry_through TEXT    CHECK (expiry_through IS NULL OR expiry_through GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]')
);

-- What implementing units report they did with the measures a check returned (实施反馈):
-- one report per receipt and measure.
CREATE TABLE feedback (
    seq      INTEGER PRIMARY KEY CHECK (seq > 0),
    receipt  TEXT    NOT NULL REFERENCES checks (receipt),
    measure  TEXT    NOT NULL,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('applied', 'not_applicable')),
    reason   TEXT,
    unit     TEXT    NOT NULL,
    subject  TEXT,
    key_id   TEXT,
    at_us    INTEGER NOT NULL,
    UNIQUE (receipt, measure),
    CHECK (outcome = 'applied' OR coalesce(trim(reason), '') <> '')
);
CREATE INDEX feedback_by_unit ON feedback (unit, measure);

CREATE TRIGGER feedback_no_update BEFORE UPDATE ON feedback
BEGIN
    SELECT RAISE(ABORT, 'the feedback log is append-only');
END;
CREATE TRIGGER feedback_no_delete BEFORE DELETE ON feedback
BEGIN
    SELECT RAISE(ABORT, 'the feedback log is append-only');
END;

-- The typical-case register (典型案例). `records` and `cases` are JSON arrays of ids.
CREATE TABLE typical_cases (
    id              TEXT    PRIMARY KEY,
    title           TEXT    NOT NULL CHECK (title <> ''),
    subject         TEXT    NOT NULL,
    subject_name    TEXT    NOT NULL,
    records         TEXT    NOT NULL,
    cases           TEXT    NOT NULL,
    summary_zh      TEXT    NOT NULL CHECK (summary_zh <> ''),
    published       INTEGER NOT NULL CHECK (published IN (0, 1)),
    published_at_us INTEGER,
    created_at_us   INTEGER NOT NULL,
    created_by      TEXT    NOT NULL
);
CREATE INDEX typical_cases_by_subject ON typical_cases (subject);

-- An entry's content never changes; the one update allowed publishes it.
CREATE TRIGGER typical_cases_publish_only BEFORE UPDATE ON typical_cases
WHEN NOT (OLD.published = 0 AND NEW.published = 1 AND NEW.published_at_us IS NOT NULL
          AND NEW.id = OLD.id AND NEW.title = OLD.title AND NEW.subject = OLD.subject
          AND NEW.subject_name = OLD.subject_name AND NEW.records = OLD.records
          AND NEW.cases = OLD.cases AND NEW.summary_zh = OLD.summary_zh
          AND NEW.created_at_us = OLD.created_at_us AND NEW.created_by = OLD.created_by)
BEGIN
    SELECT RAISE(ABORT, 'a typical case can only be published; its content is fixed');
END;
CREATE TRIGGER typical_cases_no_delete BEFORE DELETE ON typical_cases
BEGIN
    SELECT RAISE(ABORT, 'the typical-case register is append-only');
END;
