-- Stored bytes to delete, queued a batch at a time (replaces karte_object_deletion).
-- A purge chunk queues the keys of every photo it deletes in one row, in the same
-- transaction that deletes the rows; an update queues its old key alone. A batch
-- leaves the queue only after all its bytes are deleted, so a purge or update stopped
-- between its commit and the byte deletion is finished by the next purge run: no
-- orphan bytes. One row per key cost a purge a write and a delete per photo, about
-- as much as deleting the photo itself.
-- object_keys: the keys, one per line (a key never holds a line break: see
-- storage::validate_key).
CREATE TABLE karte_deletion_batch (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    object_keys TEXT   NOT NULL,
    queued_at   BIGINT NOT NULL             -- UTC ms
);
INSERT INTO karte_deletion_batch (object_keys, queued_at)
    SELECT object_key, queued_at FROM karte_object_deletion ORDER BY object_key;
DROP TABLE karte_object_deletion;
