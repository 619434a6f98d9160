-- A row trigger on `records` made every insert of a record a multi-table write, and SQLite
-- gives such a statement a statement journal: each page the insert touched was copied first.
-- That was most of the 40% the cache's triggers cost an import (docs/benchmarks.md). New
-- records are written in one place, the batch writer (src/sqlite/apply.rs), which now drops
-- the entry of each subject it writes a record for, once per subject and transaction, in the
-- same transaction. Updates and deletes of records, and every other table a profile reads,
-- keep their triggers: they are rare, and no path that writes them can forget.
DROP TRIGGER records_inserted_drop_profile;
