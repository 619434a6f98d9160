-- Attachments: the evidence filed with objections and credit-repair applications, and which
-- cases were filed with which.
--
-- Not in the hash chain, but append-only: a case's step in the chain lists its attachments
-- by id, and the id is the SHA-256 of the content, so the chain fixes what was filed and the
-- store re-checks the content against its id whenever it is read.

-- One row per distinct content (content-addressed: the same file uploaded twice is stored
-- once, with the name, type and uploader of its first upload). A rowid table, unlike the
-- small-row tables: contents of up to several MiB belong in overflow pages off the key's
-- b-tree.
--
-- No subject column, unlike the other tables: an attachment is uploaded before the case it
-- is filed with exists (a person objecting may have no key and names the record only when
-- filing), and the same content may be filed in cases about several subjects. Its id, a
-- SHA-256, is itself uniformly distributed, so a PostgreSQL deployment partitions this
-- table by `id`; the subject is carried by the references below.
CREATE TABLE attachments (
    id             TEXT    PRIMARY KEY
        CHECK (length(id) = 64 AND id NOT GLOB '*[^0-9a-f]*'),
    filename       TEXT    NOT NULL CHECK (filename <> ''),
    media_type     TEXT    NOT NULL
        CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size           INTEGER NOT NULL CHECK (size > 0 AND size = length(content)),
    uploaded_at_us INTEGER NOT NULL,
    -- The key id that uploaded it first, or 'public'.
    uploader       TEXT    NOT NULL CHECK (uploader <> ''),
    content        BLOB    NOT NULL
);

CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments are append-only');
END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'attachments are append-only');
END;

-- Which case was filed with which attachment: how a download finds the cases whose readers
-- may have it (each is then checked against the case as the chain has it). Written just
-- before the case's first step, in its own transaction, so `case_id` has no foreign key:
-- a reference whose step then failed names no case and grants nothing.
CREATE TABLE attachment_refs (
    attachment TEXT    NOT NULL REFERENCES attachments (id),
    case_id    TEXT    NOT NULL CHECK (case_id <> ''),
    subject    TEXT    NOT NULL,
    at_us      INTEGER NOT NULL,
    PRIMARY KEY (attachment, case_id)
) WITHOUT ROWID;
CREATE INDEX attachment_refs_by_subject ON attachment_refs (subject);

CREATE TRIGGER attachment_refs_no_update BEFORE UPDATE ON attachment_refs
BEGIN
    SELECT RAISE(ABORT, 'attachment references are append-only');
END;
CREATE TRIGGER attachment_refs_no_delete BEFORE DELETE ON attachment_refs
BEGIN
    SELECT RAISE(ABORT, 'attachment references are append-only');
END;
