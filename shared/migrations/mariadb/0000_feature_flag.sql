-- Runtime feature flags (shared layer): a service reads its flags here at the start
-- of each operation; a flag that was never set is off.
CREATE TABLE feature_flag (
    name    VARCHAR(100) NOT NULL PRIMARY KEY,
    enabled SMALLINT     NOT NULL CHECK (enabled IN (0, 1))
) ENGINE=InnoDB;
