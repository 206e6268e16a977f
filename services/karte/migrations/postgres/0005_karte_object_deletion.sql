-- Stored bytes whose photo row is gone or points elsewhere (purged, or replaced by an
-- update). A key is queued in the same transaction that drops its row, and leaves the
-- queue only after its bytes are deleted, so a purge or update stopped between the
-- commit and the byte deletion is finished by the next purge run: no orphan bytes.
CREATE TABLE karte_object_deletion (
    object_key VARCHAR(200) NOT NULL PRIMARY KEY,
    queued_at  BIGINT       NOT NULL             -- UTC ms
);
