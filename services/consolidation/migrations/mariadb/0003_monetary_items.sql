-- 外貨建金銭債権債務: foreign-currency monetary items, remeasured at the closing
-- rate in step 6 (FX gain/loss, 為替差損益).
CREATE TABLE cons_monetary_item (
    company        VARCHAR(32) NOT NULL,
    account        VARCHAR(64) NOT NULL,
    currency       CHAR(3)     NOT NULL,
    foreign_amount DECIMAL(19,4) NOT NULL,
    booked_jpy     DECIMAL(19,4) NOT NULL,
    PRIMARY KEY (company, account, currency)
) ENGINE=InnoDB;
