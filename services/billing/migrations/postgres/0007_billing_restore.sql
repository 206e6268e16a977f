-- 復元: the front may restore a logically deleted billing record. The record says
-- whether its last write restored it (1) or not (0), so that a batch re-run it
-- outranks leaves it alone with the reason 'restored', not 'corrected'.
ALTER TABLE billing_record ADD COLUMN restored SMALLINT NOT NULL DEFAULT 0 CHECK (restored IN (0, 1));

-- The warnings' reasons gain 'restored'.
ALTER TABLE billing_warning DROP CONSTRAINT billing_warning_reason_check;
ALTER TABLE billing_warning ADD CONSTRAINT billing_warning_reason_check
    CHECK (reason IN ('deleted','corrected','registered','restored'));
