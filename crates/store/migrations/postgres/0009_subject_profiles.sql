-- Public profiles as the API last answered them: a cache, not a projection. PostgreSQL twin
-- of migrations/sqlite/0009_subject_profiles.sql, which says what an entry holds and when.
--
-- The triggers are per statement, over the rows the statement changed: an import's batch
-- drops the profiles of its subjects with one delete, not one per row.
CREATE TABLE subject_profiles (
    subject     TEXT COLLATE "C" PRIMARY KEY REFERENCES subjects (code),
    version     TEXT COLLATE "C" NOT NULL,
    valid_from  DATE  NOT NULL,
    valid_until DATE  CHECK (valid_until IS NULL OR valid_until > valid_from),
    body        BYTEA NOT NULL
);

-- Tables whose rows name a subject by the code they were filed under (`subject`).
CREATE FUNCTION drop_profiles_of_subjects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subject_profiles WHERE subject IN (
        SELECT subject FROM changed
        UNION SELECT m.subject FROM subject_codes m JOIN changed c ON m.old_code = c.subject);
    RETURN NULL;
END $$;

CREATE FUNCTION drop_profiles_of_codes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subject_profiles WHERE subject IN (SELECT code FROM changed);
    RETURN NULL;
END $$;

-- A code mapped to a subject (or unmapped) changes both.
CREATE FUNCTION drop_profiles_of_mappings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subject_profiles WHERE subject IN (
        SELECT subject FROM changed UNION SELECT old_code FROM changed);
    RETURN NULL;
END $$;

-- A trigger with transition tables takes one event; an update is seen by its new rows and
-- by its old ones.
CREATE TRIGGER records_inserted_drop_profiles AFTER INSERT ON records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER records_updated_drop_profiles AFTER UPDATE ON records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER records_updated_old_drop_profiles AFTER UPDATE ON records
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER records_deleted_drop_profiles AFTER DELETE ON records
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();

CREATE TRIGGER repairs_inserted_drop_profiles AFTER INSERT ON repairs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER repairs_updated_drop_profiles AFTER UPDATE ON repairs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER repairs_updated_old_drop_profiles AFTER UPDATE ON repairs
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER repairs_deleted_drop_profiles AFTER DELETE ON repairs
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();

CREATE TRIGGER subjects_updated_drop_profiles AFTER UPDATE ON subjects
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_codes();
CREATE TRIGGER subjects_updated_old_drop_profiles AFTER UPDATE ON subjects
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_codes();

CREATE TRIGGER subject_names_inserted_drop_profiles AFTER INSERT ON subject_names
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER subject_names_updated_drop_profiles AFTER UPDATE ON subject_names
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();
CREATE TRIGGER subject_names_updated_old_drop_profiles AFTER UPDATE ON subject_names
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_subjects();

CREATE TRIGGER subject_codes_inserted_drop_profiles AFTER INSERT ON subject_codes
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_mappings();
CREATE TRIGGER subject_codes_updated_drop_profiles AFTER UPDATE ON subject_codes
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_mappings();
CREATE TRIGGER subject_codes_updated_old_drop_profiles AFTER UPDATE ON subject_codes
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_mappings();
CREATE TRIGGER subject_codes_deleted_drop_profiles AFTER DELETE ON subject_codes
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION drop_profiles_of_mappings();
