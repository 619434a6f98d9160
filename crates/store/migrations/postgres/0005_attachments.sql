-- Attachments: the evidence filed with objections and credit-repair applications, and which
-- cases were filed with which. PostgreSQL twin of migrations/sqlite/0005_attachments.sql.
--
-- No subject column on `attachments` (see the SQLite file): a distributed deployment
-- distributes it by `id`, a SHA-256 and so uniformly spread; the references carry the subject.
CREATE TABLE attachments (
    id             TEXT COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    filename       TEXT COLLATE "C" NOT NULL CHECK (filename <> ''),
    media_type     TEXT COLLATE "C" NOT NULL
        CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size           BIGINT NOT NULL CHECK (size > 0 AND size = octet_length(content)),
    uploaded_at_us BIGINT NOT NULL,
    -- The key id that uploaded it first, or 'public'.
    uploader       TEXT COLLATE "C" NOT NULL CHECK (uploader <> ''),
    content        BYTEA  NOT NULL
);

CREATE TRIGGER attachments_no_update BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION refuse_change('attachments are append-only');
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('attachments are append-only');

-- Which case was filed with which attachment; `case_id` has no foreign key (see SQLite).
CREATE TABLE attachment_refs (
    attachment TEXT COLLATE "C" NOT NULL REFERENCES attachments (id),
    case_id    TEXT COLLATE "C" NOT NULL CHECK (case_id <> ''),
    subject    TEXT COLLATE "C" NOT NULL,
    at_us      BIGINT NOT NULL,
    PRIMARY KEY (attachment, case_id)
);
CREATE INDEX attachment_refs_by_subject ON attachment_refs (subject);

CREATE TRIGGER attachment_refs_no_update BEFORE UPDATE OR DELETE ON attachment_refs
    FOR EACH ROW EXECUTE FUNCTION refuse_change('attachment references are append-only');
CREATE TRIGGER attachment_refs_no_truncate BEFORE TRUNCATE ON attachment_refs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('attachment references are append-only');
