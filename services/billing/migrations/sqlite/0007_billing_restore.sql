-- 復元: the front may restore a logically deleted billing record. The record says
-- whether its last write restored it (1) or not (0), so that a batch re-run it
-- outranks leaves it alone with the reason 'restored', not 'corrected'.
ALTER TABLE billing_record ADD COLUMN restored INTEGER NOT NULL DEFAULT 0 CHECK (restored IN (0, 1));

-- The warnings' reasons gain 'restored'. SQLite cannot change a CHECK constraint:
-- the table is made again with its rows (no other table refers to it).
CREATE TABLE billing_warning_next (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id    INTEGER NOT NULL REFERENCES billing_batch_run (id),
    line_no   INTEGER NOT NULL,
    person    TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    reason    TEXT    NOT NULL CHECK (reason IN ('deleted','corrected','registered','restored')),
    by_source TEXT    NOT NULL CHECK (by_source IN ('B','T','F','A')),
    message   TEXT    NOT NULL
);
INSERT INTO billing_warning_next (id, run_id, line_no, person, period, reason, by_source, message)
    SELECT id, run_id, line_no, person, period, reason, by_source, message FROM billing_warning;
DROP TABLE billing_warning;
ALTER TABLE billing_warning_next RENAME TO billing_warning;
CREATE INDEX billing_warning_run ON billing_warning (run_id);
