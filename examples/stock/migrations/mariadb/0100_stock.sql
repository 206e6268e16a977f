-- 在庫 stock: the quantity of each article, and every change to it.
CREATE TABLE stock_level (
    sku      VARCHAR(32) NOT NULL PRIMARY KEY,
    quantity BIGINT      NOT NULL CHECK (quantity >= 0)
) ENGINE=InnoDB;
CREATE TABLE stock_move (
    id     BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku    VARCHAR(32) NOT NULL,
    delta    BIGINT      NOT NULL
) ENGINE=InnoDB;
