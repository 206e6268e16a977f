-- 請求 billing: records with status management (seed 003).
CREATE TABLE billing_record (
    id             BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    person         VARCHAR(64)   NOT NULL,           -- 対象者
    period         VARCHAR(7)    NOT NULL,           -- billing period, YYYY-MM
    amount         DECIMAL(19,4) NOT NULL,           -- 請求金額
    status         SMALLINT      NOT NULL CHECK (status IN (0, 1)),               -- ステータス
    initial_source CHAR(1)       NOT NULL CHECK (initial_source IN ('B','T','F','A')), -- 初期登録源泉分類
    last_source    CHAR(1)       NOT NULL CHECK (last_source IN ('B','T','F','A')),    -- 最終更新源泉分類
    KEY billing_record_key (period, person)
) ENGINE=InnoDB;

CREATE TABLE billing_batch_run (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source     CHAR(1)      NOT NULL CHECK (source IN ('B','T','F','A')),
    input_name VARCHAR(255) NOT NULL,
    inserted   INT          NOT NULL DEFAULT 0,
    replaced   INT          NOT NULL DEFAULT 0,
    unchanged  INT          NOT NULL DEFAULT 0,
    skipped    INT          NOT NULL DEFAULT 0,
    finished   SMALLINT     NOT NULL DEFAULT 0
) ENGINE=InnoDB;

CREATE TABLE billing_warning (
    id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id    BIGINT       NOT NULL,
    line_no   INT          NOT NULL,
    person    VARCHAR(64)  NOT NULL,
    period    VARCHAR(7)   NOT NULL,
    reason    VARCHAR(16)  NOT NULL CHECK (reason IN ('deleted','corrected','registered')),
    by_source CHAR(1)      NOT NULL CHECK (by_source IN ('B','T','F','A')),
    message   VARCHAR(500) NOT NULL,
    KEY billing_warning_run (run_id),
    CONSTRAINT billing_warning_run_fk FOREIGN KEY (run_id) REFERENCES billing_batch_run (id)
) ENGINE=InnoDB;
