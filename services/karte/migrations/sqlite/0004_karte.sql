-- カルテ medical-record photos (seed 000). Times are UTC epoch milliseconds, so no
-- session or server time zone can shift them; they are shown in Asia/Tokyo.
CREATE TABLE karte_customer (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       VARCHAR(100) NOT NULL,              -- 顧客
    trashed_at BIGINT NULL                         -- ゴミ箱 since (UTC ms), NULL when not in the trash
);

CREATE TABLE karte_photo (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT       NOT NULL REFERENCES karte_customer (id),
    kind        VARCHAR(8)   NOT NULL CHECK (kind IN ('photo', 'record')),   -- 写真 / 手書きカルテ画像
    object_key  VARCHAR(200) NOT NULL,             -- where the bytes are in the object store
    updated_at  BIGINT       NOT NULL,
    trashed_at  BIGINT NULL
);
CREATE INDEX karte_photo_trash ON karte_photo (trashed_at);
CREATE INDEX karte_photo_customer ON karte_photo (customer_id);

CREATE TABLE karte_tag (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(64) NOT NULL UNIQUE
);

CREATE TABLE karte_photo_tag (
    photo_id BIGINT NOT NULL REFERENCES karte_photo (id),
    tag_id   BIGINT NOT NULL REFERENCES karte_tag (id),
    PRIMARY KEY (photo_id, tag_id)
);

CREATE TABLE karte_memo (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT        NOT NULL REFERENCES karte_customer (id),
    body        VARCHAR(2000) NOT NULL,
    recorded_at BIGINT        NOT NULL             -- UTC ms
);
