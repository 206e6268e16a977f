-- 請求 billing: records with status management (seed 003).
-- Amounts are DECIMAL_TEXT: text affinity (SQLite has no exact decimal type, and
-- NUMERIC affinity would turn them into floats); the name tells the schema reader
-- they are decimals. The code converts at the boundary.
CREATE TABLE billing_record (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person         TEXT    NOT NULL,                 -- 対象者
    period         TEXT    NOT NULL,                 -- billing period, YYYY-MM
    amount         DECIMAL_TEXT    NOT NULL,                 -- 請求金額
    status         INTEGER NOT NULL CHECK (status IN (0, 1)),              -- ステータス 0 active, 1 logically deleted
    initial_source TEXT    NOT NULL CHECK (initial_source IN ('B','T','F','A')), -- 初期登録源泉分類
    last_source    TEXT    NOT NULL CHECK (last_source IN ('B','T','F','A'))     -- 最終更新源泉分類
);
CREATE INDEX billing_record_key ON billing_record (period, person);

CREATE TABLE billing_batch_run (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     TEXT    NOT NULL CHECK (source IN ('B','T','F','A')),
    input_name TEXT    NOT NULL,
    inserted   INTEGER NOT NULL DEFAULT 0,
    replaced   INTEGER NOT NULL DEFAULT 0,
    unchanged  INTEGER NOT NULL DEFAULT 0,
    skipped    INTEGER NOT NULL DEFAULT 0,
    finished   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE billing_warning (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id    INTEGER NOT NULL REFERENCES billing_batch_run (id),
    line_no   INTEGER NOT NULL,
    person    TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    reason    TEXT    NOT NULL CHECK (reason IN ('deleted','corrected','registered')),
    by_source TEXT    NOT NULL CHECK (by_source IN ('B','T','F','A')),
    message   TEXT    NOT NULL
);
CREATE INDEX billing_warning_run ON billing_warning (run_id);
