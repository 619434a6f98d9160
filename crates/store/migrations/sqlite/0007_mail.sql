-- E-mail notices of case steps through an SMTP relay: the addresses the parties gave, the
-- mails planned from the case events of the log with their attempts, and how far the mailer
-- has got.
--
-- None of this is in the hash chain: a mail follows from a case event of the log, and an
-- address is a party's own setting, not a fact the platform records about anyone.

-- The address each party gets its case notices at, one per party. `party_kind` is
-- `subject`, `unit` or `credit_office`; `party` is the subject's code, the unit's code, or
-- `credit_office`. `party` is the partition column: for a subject it is the subject code,
-- so a subject's address lives with the rest of its data; a unit's address belongs to no
-- subject and goes by the unit's code, the credit office's by the word `credit_office` (a
-- handful of rows in all). A subject's address is shown to its own key only.
CREATE TABLE contacts (
    party_kind TEXT    NOT NULL CHECK (party_kind IN ('subject', 'unit', 'credit_office')),
    party      TEXT    NOT NULL CHECK (party <> ''),
    address    TEXT    NOT NULL CHECK (length(address) BETWEEN 3 AND 254 AND address GLOB '?*@?*'),
    set_at_us  INTEGER NOT NULL,
    -- The key that set it.
    set_by     TEXT    NOT NULL,
    PRIMARY KEY (party, party_kind),
    CHECK (party_kind <> 'credit_office' OR party = 'credit_office')
) WITHOUT ROWID;

-- One row per case event and party told by mail, with its attempts. `subject` is the
-- case's subject: the partition column, as everywhere. The address is not kept here but
-- read from `contacts` at each attempt, so that a party that changes its address is mailed
-- at the new one, one that removed it is not mailed, and the list of mails the credit office
-- reads holds no subject's address. `due` is the case's deadline after the step, as it was
-- when the mail was planned.
CREATE TABLE mails (
    id              INTEGER PRIMARY KEY CHECK (id > 0),
    subject         TEXT    NOT NULL,
    party_kind      TEXT    NOT NULL CHECK (party_kind IN ('subject', 'unit', 'credit_office')),
    party           TEXT    NOT NULL CHECK (party <> ''),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    case_id         TEXT    NOT NULL,
    due             TEXT    CHECK (due IS NULL OR due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_us INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    last_error      TEXT,
    sent_at_us      INTEGER,
    created_at_us   INTEGER NOT NULL
);
-- An event is mailed once per party.
CREATE UNIQUE INDEX mails_once ON mails (seq, party_kind, party);
CREATE INDEX mails_due ON mails (status, next_attempt_us);
CREATE INDEX mails_by_subject ON mails (subject);

-- How far the mailer has got: the last event it planned mails for, moved in the transaction
-- that enqueues them, so that no event is planned twice or skipped across restarts. One row,
-- the mailer's own: it is about no subject or party and so has no such column; a
-- partitioned deployment keeps it whole, like `dispatch_position`.
CREATE TABLE mail_position (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    event_seq INTEGER NOT NULL CHECK (event_seq >= 0)
);
