-- A subject's records by item, newest first: what a page of them (the profile's latest
-- records per catalog group, the paged records list) walks, stopping at its limit, instead of
-- reading every record the subject holds. It serves every read by subject alone as well, so
-- it replaces the index on the subject.
DROP INDEX records_by_subject;
CREATE INDEX records_by_subject_item ON records (subject, item, decision_date, first_seq);
