-- 連結会計 consolidated accounting (seed 002).
-- One row: core operations lock it, so they never interleave.
CREATE TABLE cons_lock (
    id SMALLINT NOT NULL PRIMARY KEY
);
INSERT INTO cons_lock (id) VALUES (1);

CREATE TABLE cons_company (
    code      VARCHAR(32) NOT NULL PRIMARY KEY,   -- 会社
    currency  CHAR(3)     NOT NULL,
    is_parent VARCHAR(3)  NOT NULL CHECK (is_parent IN ('yes', 'no'))
);

CREATE TABLE cons_account (
    code VARCHAR(64) NOT NULL PRIMARY KEY,        -- 勘定科目
    kind VARCHAR(24) NOT NULL
);

CREATE TABLE cons_rate (
    currency   CHAR(3) NOT NULL PRIMARY KEY,      -- 換算レート, JPY per unit
    closing    NUMERIC(19, 6) NOT NULL,
    average    NUMERIC(19, 6) NOT NULL,
    historical NUMERIC(19, 6) NOT NULL
);

-- 残高試算表: trial balances in each company's currency.
CREATE TABLE cons_trial_balance (
    company VARCHAR(32) NOT NULL,
    account VARCHAR(64) NOT NULL,
    amount  NUMERIC(19, 4) NOT NULL,
    PRIMARY KEY (company, account)
);

-- 個別修正 (stage local) and 換算修正 (stage jpy).
CREATE TABLE cons_adjustment (
    company VARCHAR(32) NOT NULL,
    stage   VARCHAR(8)  NOT NULL CHECK (stage IN ('local', 'jpy')),
    account VARCHAR(64) NOT NULL,
    amount  NUMERIC(19, 4) NOT NULL,
    PRIMARY KEY (company, stage, account)
);

-- 連結仕訳: consolidation journal entries.
CREATE TABLE cons_journal (
    entry   VARCHAR(64) NOT NULL,
    line_no INTEGER     NOT NULL,
    account VARCHAR(64) NOT NULL,
    side    CHAR(1)     NOT NULL CHECK (side IN ('D', 'C')),
    amount  NUMERIC(19, 4) NOT NULL,
    PRIMARY KEY (entry, line_no)
);

-- Statements in JPY: one per company, and the consolidated one (company '*').
-- The primary key is the business rule: an account appears once per statement.
CREATE TABLE cons_statement_line (
    company VARCHAR(32) NOT NULL,
    account VARCHAR(64) NOT NULL,
    kind    VARCHAR(24) NOT NULL,
    amount  NUMERIC(19, 4) NOT NULL,
    PRIMARY KEY (company, account)
);
