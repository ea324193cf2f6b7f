DROP FUNCTION archive_history(INTEGER, INTEGER);
DROP TABLE history_archive;
DROP TABLE history;
DROP FUNCTION history_refuse_edits();
ALTER TABLE events DROP COLUMN version;
