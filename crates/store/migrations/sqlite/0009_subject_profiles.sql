-- Public profiles as the API last answered them, so that the next request for the same
-- subject is one read instead of a walk over its records. A cache, not a projection: `verify`
-- does not check it and emptying it loses nothing.
--
-- An entry holds on the days [valid_from, valid_until) — a public profile changes with the
-- date only where one of its records' publication windows opens or closes — and only for the
-- catalog, rules and answer layout it was built under (`version`). It is kept only if no
-- event was appended between the reads it was built from and its insertion (see
-- `keep_profiles`), and the triggers below drop a subject's entry in the transaction of every
-- change to what a profile reads: no write path, present or future, can leave one stale.
-- A record, name or repair under an old code belongs to the profile of the subject that code
-- maps to, as reads resolve it.
CREATE TABLE subject_profiles (
    subject     TEXT PRIMARY KEY REFERENCES subjects (code),
    version     TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_until TEXT CHECK (valid_until IS NULL OR valid_until > valid_from),
    body        BLOB NOT NULL
);

CREATE TRIGGER records_inserted_drop_profile AFTER INSERT ON records BEGIN
    DELETE FROM subject_profiles WHERE subject =
        coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject);
END;
CREATE TRIGGER records_updated_drop_profile AFTER UPDATE ON records BEGIN
    DELETE FROM subject_profiles WHERE subject IN
        (coalesce((SELECT subject FROM subject_codes WHERE old_code = OLD.subject), OLD.subject),
         coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject));
END;
CREATE TRIGGER records_deleted_drop_profile AFTER DELETE ON records BEGIN
    DELETE FROM subject_profiles WHERE subject =
        coalesce((SELECT subject FROM subject_codes WHERE old_code = OLD.subject), OLD.subject);
END;

CREATE TRIGGER repairs_inserted_drop_profile AFTER INSERT ON repairs BEGIN
    DELETE FROM subject_profiles WHERE subject =
        coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject);
END;
CREATE TRIGGER repairs_updated_drop_profile AFTER UPDATE ON repairs BEGIN
    DELETE FROM subject_profiles WHERE subject IN
        (coalesce((SELECT subject FROM subject_codes WHERE old_code = OLD.subject), OLD.subject),
         coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject));
END;
CREATE TRIGGER repairs_deleted_drop_profile AFTER DELETE ON repairs BEGIN
    DELETE FROM subject_profiles WHERE subject =
        coalesce((SELECT subject FROM subject_codes WHERE old_code = OLD.subject), OLD.subject);
END;

CREATE TRIGGER subjects_updated_drop_profile AFTER UPDATE ON subjects BEGIN
    DELETE FROM subject_profiles WHERE subject IN (OLD.code, NEW.code);
END;

CREATE TRIGGER subject_names_inserted_drop_profile AFTER INSERT ON subject_names BEGIN
    DELETE FROM subject_profiles WHERE subject =
        coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject);
END;
CREATE TRIGGER subject_names_updated_drop_profile AFTER UPDATE ON subject_names BEGIN
    DELETE FROM subject_profiles WHERE subject IN
        (coalesce((SELECT subject FROM subject_codes WHERE old_code = OLD.subject), OLD.subject),
         coalesce((SELECT subject FROM subject_codes WHERE old_code = NEW.subject), NEW.subject));
END;

-- A code mapped to a subject (or unmapped) changes both: the subject gains or loses the
-- records and names filed under the code, and the code stops or starts being a subject of
-- its own.
CREATE TRIGGER subject_codes_inserted_drop_profile AFTER INSERT ON subject_codes BEGIN
    DELETE FROM subject_profiles WHERE subject IN (NEW.subject, NEW.old_code);
END;
CREATE TRIGGER subject_codes_updated_drop_profile AFTER UPDATE ON subject_codes BEGIN
    DELETE FROM subject_profiles
        WHERE subject IN (OLD.subject, OLD.old_code, NEW.subject, NEW.old_code);
END;
CREATE TRIGGER subject_codes_deleted_drop_profile AFTER DELETE ON subject_codes BEGIN
    DELETE FROM subject_profiles WHERE subject IN (OLD.subject, OLD.old_code);
END;
