//! The karte service on a database: customers, photos and handwritten-chart images
//! (metadata in the database, bytes in an [`ObjectStore`]), tags, memos, the trash
//! and its purge. Times are UTC epoch milliseconds from an injectable clock.
//!
//! - Saving writes the bytes first, outside any transaction, then one short
//!   transaction for the row and its tags (pivot rows in tag-id order, so
//!   concurrent saves lock in the same order); if the transaction fails the bytes
//!   are removed, so no orphan remains.
//! - Updating an image writes the new bytes under a new key first, then one short
//!   transaction points the row at them and sets `updated_at`; the old bytes are
//!   deleted after the commit.
//! - The purge works in chunks by primary key, each one short transaction that
//!   re-checks the 30-day condition inside the delete (a restore that commits first
//!   wins); bytes are removed only after the rows' deletion commits.
//! - Bytes whose row is gone are queued (`karte_deletion_batch`, a row per purge
//!   chunk or update) in the same transaction that drops the rows, and the batch
//!   leaves the queue once all its bytes are deleted, so a purge or update stopped
//!   between its commit and the byte deletion is finished by the next purge run. A
//!   purge that stops part-way is completed by running it again.
//! - Memo times are UTC epoch milliseconds from the caller's clock, shown in
//!   Asia/Tokyo by [`super::time`]; the database never converts them.

use super::storage::{ObjectStore, StoreError as ObjectError};
use kensho_shared::db::Db;

/// How long an item stays in the trash before the purge may remove it: 30 days.
pub const RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Photos in the purge's first transaction, by default.
pub const PURGE_CHUNK: usize = 50;

/// Most photos in one purge transaction, by default, per engine, while a writer
/// may be waiting behind it (see [`PURGE_ALONE_MAX_CHUNK`]). On SQLite every save
/// waits for the whole chunk, and a long chunk on a busy machine held saves past a
/// second: 500. PostgreSQL and MariaDB lock only the chunk's expired rows: 5,000,
/// so that a long purge is not mostly per-statement work; chunks still shrink to
/// the engine's [`purge_target`] under load.
pub fn purge_max_chunk(engine: kensho_shared::db::Engine) -> usize {
    match engine {
        kensho_shared::db::Engine::Sqlite => 500,
        kensho_shared::db::Engine::Postgres | kensho_shared::db::Engine::MariaDb => 5_000,
    }
}

/// How long one purge transaction should take, by default, per engine: chunks grow
/// while they take less than half of it and shrink when they take more. On
/// PostgreSQL and MariaDB a chunk locks only the expired rows it deletes (no save
/// waits for them), so it may run longer; on SQLite every writer waits for it.
pub fn purge_target(engine: kensho_shared::db::Engine) -> std::time::Duration {
    std::time::Duration::from_millis(match engine {
        kensho_shared::db::Engine::Sqlite => 50,
        kensho_shared::db::Engine::Postgres | kensho_shared::db::Engine::MariaDb => 1_000,
    })
}

/// Most photos in one purge transaction while nobody else writes to the database
/// (nobody waits behind the purge at SQLite's write gate, and nobody wrote since
/// its last chunk; the other engines cannot tell, and keep to [`purge_max_chunk`]).
/// Alone, every chunk's commit costs a flush of the database file: 500-photo
/// chunks made the purge of 100,000 photos 7–10× as long as deleting them in one
/// statement. The chunk still grows and shrinks by [`purge_target`] (times
/// [`PURGE_ALONE_TARGET_FACTOR`]), and falls back to [`purge_max_chunk`] as soon as
/// another writer shows up.
pub const PURGE_ALONE_MAX_CHUNK: usize = 50_000;

/// How many times [`purge_target`] a purge transaction may take while nobody else
/// writes (see [`PURGE_ALONE_MAX_CHUNK`]): a writer that comes then waits for one
/// such chunk.
pub const PURGE_ALONE_TARGET_FACTOR: u32 = 2;

/// Queued deletion batches read per statement.
const QUEUE_CHUNK: usize = 50;

/// What separates the keys of a batch in `karte_deletion_batch.object_keys`: a
/// line break, which no key holds ([`crate::storage::validate_key`]).
const KEY_SEPARATOR: char = '\n';

#[derive(Debug, thiserror::Error)]
pub enum KarteError {
    #[error("karte: {action}: {source}")]
    Sql {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "karte: {0}; the transaction in progress rolled back: run it again (the purge goes on where it stopped)"
    )]
    ConnectionLost(#[from] kensho_shared::fault::ConnectionLost),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    #[error("photo {0} is in the trash: restore it before updating it")]
    InTrash(i64),
    #[error(
        "karte: the purge chunk of photos after {after} up to {last} removed {removed} photos where it had locked {chosen}; it rolled back and no bytes were deleted: run the purge again"
    )]
    /// A purge chunk's delete removed other photos than those it had locked (the
    /// keys queued must be exactly the rows removed).
    PurgeChunkChanged {
        after: i64,
        last: i64,
        chosen: usize,
        removed: u64,
    },
    #[error("tag {0:?}: a tag is 1 to 64 characters")]
    BadTag(String),
    #[error("memo for customer {customer}: {reason}")]
    BadMemo { customer: i64, reason: String },
    #[error("time zone {0:?}: write it as an offset from UTC, +HH:MM or -HH:MM (e.g. +09:00)")]
    BadTimeZone(String),
}

impl KarteError {
    /// The database's error code and message, when the database refused the work
    /// (for classifying lock waits, deadlocks and busy errors).
    pub fn database_code(&self) -> Option<(Option<String>, String)> {
        match self {
            KarteError::Sql {
                source: sqlx::Error::Database(e),
                ..
            } => Some((e.code().map(|c| c.into_owned()), e.message().to_string())),
            _ => None,
        }
    }
}

/// Attaches the action to a database error, saying so when the connection was lost.
fn sql(action: &'static str) -> impl FnOnce(sqlx::Error) -> KarteError {
    move |source| match kensho_shared::fault::classify(action, source) {
        Ok(lost) => KarteError::ConnectionLost(lost),
        Err(source) => KarteError::Sql { action, source },
    }
}

/// What kind of image a photo row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// 写真.
    Photo,
    /// 手書きカルテ画像.
    Record,
}

impl ImageKind {
    pub fn code(self) -> &'static str {
        match self {
            ImageKind::Photo => "photo",
            ImageKind::Record => "record",
        }
    }
}

/// What one purge run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub photos: usize,
    pub customers: usize,
    /// Stored objects deleted (the purged photos' and any left queued before).
    pub objects: usize,
    pub chunks: usize,
    /// Whether the run stopped at [`PurgeOptions::max_chunks`] with work left.
    pub stopped_early: bool,
}

/// How the purge runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeOptions {
    /// Photos in the first transaction (and the least a later one takes).
    pub chunk: usize,
    /// Most photos in one transaction; `None`: [`purge_max_chunk`] of the engine,
    /// or up to [`PURGE_ALONE_MAX_CHUNK`] while nobody else writes.
    pub max_chunk: Option<usize>,
    /// How long one transaction should hold its locks: the chunk doubles while a
    /// transaction takes under half of this, and halves when one takes longer.
    /// `None`: [`purge_target`] of the engine ([`PURGE_ALONE_TARGET_FACTOR`] times
    /// that while nobody else writes). Given either this or
    /// `max_chunk`, the purge keeps to exactly what is given.
    pub target: Option<std::time::Duration>,
    /// Stop after this many chunks (a bounded run; the next run goes on).
    pub max_chunks: Option<usize>,
    /// Fault injection, for fault scenarios only (point `n`: chunk `n`, after its
    /// deletes and before its commit). See [`kensho_shared::fault`].
    /// Only in a build with the `fault-points` feature, which the scenario suite
    /// enables and the service's own build does not.
    #[cfg(feature = "fault-points")]
    pub fault: Option<kensho_shared::fault::Fault>,
    /// Race scenarios only: the first chunk waits here after choosing its photos and
    /// before locking them. See [`kensho_shared::fault::Pause`].
    /// Only in a build with the `fault-points` feature, which the scenario suite
    /// enables and the service's own build does not.
    #[cfg(feature = "fault-points")]
    pub pause_before_lock: Option<kensho_shared::fault::Pause>,
}

impl PurgeOptions {
    /// The fault to inject (none in a build without fault points).
    fn fault(&self) -> Option<kensho_shared::fault::Fault> {
        #[cfg(feature = "fault-points")]
        return self.fault;
        #[cfg(not(feature = "fault-points"))]
        return None;
    }

    /// Where the first chunk waits before locking (none without fault points).
    fn pause_before_lock(&self) -> Option<&kensho_shared::fault::Pause> {
        #[cfg(feature = "fault-points")]
        return self.pause_before_lock.as_ref();
        #[cfg(not(feature = "fault-points"))]
        return None;
    }
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            chunk: PURGE_CHUNK,
            max_chunk: None,
            target: None,
            max_chunks: None,
            #[cfg(feature = "fault-points")]
            fault: None,
            #[cfg(feature = "fault-points")]
            pause_before_lock: None,
        }
    }
}

/// A photo row's metadata.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PhotoRow {
    pub id: i64,
    #[sqlx(rename = "customer_id")]
    pub customer: i64,
    pub object_key: String,
    pub updated_at: i64,
    pub trashed_at: Option<i64>,
}

/// A text memo (テキストメモ) and when it was recorded (UTC ms).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Memo {
    pub id: i64,
    pub body: String,
    pub recorded_at: i64,
}

/// Longest memo, in characters.
pub const MEMO_MAX_CHARS: usize = 2000;

// The statements' helpers, written once per engine; every engine fact (row locks,
// how a write transaction begins, the SQLite write gate, READ COMMITTED on MariaDB,
// `INSERT IGNORE`, `RETURNING id`) comes from `dialect`, the engine's module of
// the shared dialect layer. The operations below run them through
// `kensho_shared::dispatch!(db, crate::service, d, pool => ..)`.
kensho_shared::per_engine! {
    use sqlx::QueryBuilder;

    use super::{KarteError, sql};

    /// One connection of this engine.
    pub type Conn = dialect::Conn;

    /// Runs an insert (up to the end of its values); returns the new row's id.
    pub async fn insert_returning_id(
        conn: &mut Conn,
        qb: QueryBuilder<dialect::Database>,
    ) -> Result<i64, KarteError> {
        dialect::insert_returning_id(conn, qb)
            .await
            .map_err(sql("inserting"))
    }

    /// Queues `keys` (in the caller's transaction) as one batch for deletion;
    /// returns the batch's id.
    pub async fn queue_deletions(
        conn: &mut Conn,
        keys: &[&str],
        now_ms: i64,
    ) -> Result<i64, KarteError> {
        let mut qb = dialect::builder("INSERT INTO karte_deletion_batch (object_keys, queued_at) VALUES (");
        qb.push_bind(keys.join(&super::KEY_SEPARATOR.to_string()))
            .push(", ")
            .push_bind(now_ms)
            .push(")");
        insert_returning_id(conn, qb).await
    }

    /// Runs a statement; returns the rows it affected.
    pub async fn execute(
        conn: &mut Conn,
        mut qb: QueryBuilder<dialect::Database>,
    ) -> Result<u64, KarteError> {
        Ok(qb
            .build()
            .execute(&mut *conn)
            .await
            .map_err(sql("writing"))?
            .rows_affected())
    }

    /// Every row of the query, decoded as `T` (a tuple or a row struct).
    pub async fn fetch<T>(
        conn: &mut Conn,
        mut qb: QueryBuilder<dialect::Database>,
    ) -> Result<Vec<T>, KarteError>
    where
        T: for<'r> sqlx::FromRow<'r, <dialect::Database as sqlx::Database>::Row> + Send + Unpin,
    {
        qb.build_query_as::<T>()
            .fetch_all(&mut *conn)
            .await
            .map_err(sql("reading"))
    }

    /// Every row of the query as (id, text).
    pub async fn fetch_pairs(
        conn: &mut Conn,
        qb: QueryBuilder<dialect::Database>,
    ) -> Result<Vec<(i64, String)>, KarteError> {
        fetch(conn, qb).await
    }

    /// The first column of every row, as text.
    pub async fn fetch_strings(
        conn: &mut Conn,
        qb: QueryBuilder<dialect::Database>,
    ) -> Result<Vec<String>, KarteError> {
        Ok(fetch::<(String,)>(conn, qb)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }

    /// The first column of every row, as an integer.
    pub async fn fetch_longs(
        conn: &mut Conn,
        qb: QueryBuilder<dialect::Database>,
    ) -> Result<Vec<i64>, KarteError> {
        Ok(fetch::<(i64,)>(conn, qb)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect())
    }

    /// A write transaction ([`dialect::begin`]: on SQLite one that takes the write
    /// lock at once, after queueing at the database's write gate; the gate is held
    /// until the returned guard drops, after the commit).
    pub async fn begin(pool: &dialect::Pool) -> Result<dialect::Tx, KarteError> {
        dialect::begin(pool)
            .await
            .map_err(sql("starting a transaction"))
    }

    /// A write transaction in READ COMMITTED where the engine's default is stricter
    /// ([`dialect::begin_read_committed`]: on MariaDB a purge chunk would otherwise
    /// lock rows and gaps it does not delete and deadlock with saves).
    pub async fn begin_read_committed(pool: &dialect::Pool) -> Result<dialect::Tx, KarteError> {
        dialect::begin_read_committed(pool)
            .await
            .map_err(|e| sql(e.action)(e.source))
    }
}

/// Registers a customer (顧客); returns its id.
pub async fn create_customer(db: &Db, name: &str) -> Result<i64, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("INSERT INTO karte_customer (name) VALUES (");
        qb.push_bind(name.to_string()).push(")");
        d::insert_returning_id(&mut conn, qb).await
    })
}

/// A fresh object key under `prefix`: keys are never reused, so an update's new
/// bytes never overwrite the bytes a committed row still points at.
fn object_key(prefix: &str, now_ms: i64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}/{now_ms}-{}-{}.img",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Saves a new image with its tags; returns the photo id.
pub async fn save_photo(
    db: &Db,
    store: &dyn ObjectStore,
    customer: i64,
    kind: ImageKind,
    bytes: &[u8],
    tags: &[&str],
    now_ms: i64,
) -> Result<i64, KarteError> {
    let key = object_key(&format!("customers/{customer}"), now_ms);
    store.put(&key, bytes)?;
    let result = save_row(db, customer, kind, &key, tags, now_ms).await;
    if result.is_err() {
        let _ = store.delete(&key);
    }
    result
}

async fn save_row(
    db: &Db,
    customer: i64,
    kind: ImageKind,
    key: &str,
    tags: &[&str],
    now_ms: i64,
) -> Result<i64, KarteError> {
    for tag in tags {
        if tag.is_empty() || tag.chars().count() > 64 {
            return Err(KarteError::BadTag(tag.to_string()));
        }
    }
    let mut names: Vec<&str> = tags.to_vec();
    names.sort_unstable();
    names.dedup();
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        // New tags first, each in a statement of its own, outside the photo's
        // transaction: two saves adding the same new tags in one transaction each
        // deadlock on the tag index (MariaDB, INSERT IGNORE). Tags are a vocabulary;
        // one left unused by a failed save does no harm.
        if !names.is_empty() {
            let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
            let mut qb = d::dialect::builder("SELECT name FROM karte_tag WHERE name IN (");
            let mut list = qb.separated(", ");
            for t in &names {
                list.push_bind(t.to_string());
            }
            qb.push(")");
            let known = d::fetch_strings(&mut conn, qb).await?;
            for t in names.iter().filter(|t| !known.iter().any(|k| k == *t)) {
                let mut qb = d::dialect::builder(d::dialect::INSERT_IGNORE);
                qb.push(" karte_tag (name) VALUES (").push_bind(t.to_string()).push(")");
                qb.push(d::dialect::ON_CONFLICT_IGNORE.replace("{key}", "name"));
                d::execute(&mut conn, qb).await?;
            }
        }
        let (_gate, mut tx) = d::begin(pool).await?;
        let mut qb = d::dialect::builder("INSERT INTO karte_photo (customer_id, kind, object_key, updated_at) VALUES (");
        qb.push_bind(customer).push(", ").push_bind(kind.code()).push(", ").push_bind(key.to_string()).push(", ").push_bind(now_ms).push(")");
        let id = d::insert_returning_id(&mut tx, qb).await?;
        if !names.is_empty() {
            let tags = &names;
            let mut qb = d::dialect::builder("SELECT id FROM karte_tag WHERE name IN (");
            let mut list = qb.separated(", ");
            for t in tags {
                list.push_bind(t.to_string());
            }
            qb.push(") ORDER BY id");
            let tag_ids = d::fetch_longs(&mut tx, qb).await?;
            // Pivot rows in tag-id order: concurrent saves take their locks in one order.
            let mut qb = d::dialect::builder("INSERT INTO karte_photo_tag (photo_id, tag_id) ");
            qb.push_values(&tag_ids, |mut b, tag| {
                b.push_bind(id).push_bind(*tag);
            });
            d::execute(&mut tx, qb).await?;
        }
        tx.commit().await.map_err(sql("committing"))?;
        Ok(id)
    })
}

async fn set_trashed(
    db: &Db,
    table: &'static str,
    id: i64,
    trashed_at: Option<i64>,
) -> Result<(), KarteError> {
    let what = if table == "karte_photo" {
        "photo"
    } else {
        "customer"
    };
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("UPDATE ");
        qb.push(table).push(" SET trashed_at = ").push_bind(trashed_at).push(" WHERE id = ").push_bind(id);
        if d::execute(&mut conn, qb).await? == 0 {
            return Err(KarteError::NotFound { what, id });
        }
        Ok(())
    })
}

/// Moves a photo to the trash (ゴミ箱).
pub async fn trash_photo(db: &Db, photo: i64, now_ms: i64) -> Result<(), KarteError> {
    set_trashed(db, "karte_photo", photo, Some(now_ms)).await
}

/// Brings a photo back from the trash (復元).
pub async fn restore_photo(db: &Db, photo: i64) -> Result<(), KarteError> {
    set_trashed(db, "karte_photo", photo, None).await
}

/// Moves a customer (and so all their photos) to the trash.
pub async fn trash_customer(db: &Db, customer: i64, now_ms: i64) -> Result<(), KarteError> {
    set_trashed(db, "karte_customer", customer, Some(now_ms)).await
}

/// Brings a customer back from the trash.
pub async fn restore_customer(db: &Db, customer: i64) -> Result<(), KarteError> {
    set_trashed(db, "karte_customer", customer, None).await
}

/// Replaces a photo's bytes (画像の更新): the new bytes go under a new key first;
/// one short transaction points the row at them, sets `updated_at` to `now_ms` and
/// queues the old key; the old bytes are deleted after the commit. If the
/// transaction fails, the new bytes are removed. A photo in the trash is refused.
pub async fn update_photo(
    db: &Db,
    store: &dyn ObjectStore,
    photo: i64,
    bytes: &[u8],
    now_ms: i64,
) -> Result<(), KarteError> {
    let key = object_key(&format!("photos/{photo}"), now_ms);
    store.put(&key, bytes)?;
    let (old_key, batch) = match replace_object_key(db, photo, &key, now_ms).await {
        Ok(old) => old,
        Err(e) => {
            let _ = store.delete(&key);
            return Err(e);
        }
    };
    // After the commit; if this fails the queue keeps the key for the next purge.
    if store.delete(&old_key).is_ok() {
        let _ = dequeue(db, batch).await;
    }
    Ok(())
}

async fn replace_object_key(
    db: &Db,
    photo: i64,
    key: &str,
    now_ms: i64,
) -> Result<(String, i64), KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let (_gate, mut tx) = d::begin(pool).await?;
        let mut qb = d::dialect::builder("SELECT id, object_key FROM karte_photo WHERE id = ");
        qb.push_bind(photo).push(" AND trashed_at IS NULL").push(d::dialect::FOR_UPDATE);
        let Some((_, old_key)) = d::fetch_pairs(&mut tx, qb).await?.pop() else {
            let mut qb = d::dialect::builder("SELECT id, object_key FROM karte_photo WHERE id = ");
            qb.push_bind(photo);
            return Err(if d::fetch_pairs(&mut tx, qb).await?.is_empty() {
                KarteError::NotFound { what: "photo", id: photo }
            } else {
                KarteError::InTrash(photo)
            });
        };
        let mut qb = d::dialect::builder("UPDATE karte_photo SET object_key = ");
        qb.push_bind(key.to_string()).push(", updated_at = ").push_bind(now_ms).push(" WHERE id = ").push_bind(photo);
        d::execute(&mut tx, qb).await?;
        let batch = d::queue_deletions(&mut tx, &[old_key.as_str()], now_ms).await?;
        tx.commit().await.map_err(sql("committing"))?;
        Ok((old_key, batch))
    })
}

/// Removes a batch whose bytes are all deleted from the deletion queue.
async fn dequeue(db: &Db, batch: i64) -> Result<(), KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        // A write like any other: on SQLite it queues at the write gate.
        let _gate = d::dialect::gate(pool).await;
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("DELETE FROM karte_deletion_batch WHERE id = ");
        qb.push_bind(batch);
        d::execute(&mut conn, qb).await?;
        Ok(())
    })
}

/// The keys of a batch as `karte_deletion_batch.object_keys` holds them.
fn batch_keys(object_keys: &str) -> impl Iterator<Item = &str> {
    object_keys
        .split(KEY_SEPARATOR)
        .filter(|key| !key.is_empty())
}

/// Deletes the bytes of every queued key (left by a purge or update that stopped
/// after its commit), a batch at a time, each batch leaving the queue once its
/// bytes are gone; returns how many keys.
pub async fn finish_queued_deletions(
    db: &Db,
    store: &dyn ObjectStore,
) -> Result<usize, KarteError> {
    let mut done = 0;
    loop {
        let batches: Vec<(i64, String)> = kensho_shared::dispatch!(db, crate::service, d, pool => {
            let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
            let mut qb = d::dialect::builder("SELECT id, object_keys FROM karte_deletion_batch ORDER BY id LIMIT ");
            qb.push(QUEUE_CHUNK);
            d::fetch_pairs(&mut conn, qb).await?
        });
        if batches.is_empty() {
            return Ok(done);
        }
        for (batch, keys) in &batches {
            for key in batch_keys(keys) {
                store.delete(key)?;
                done += 1;
            }
            dequeue(db, *batch).await?;
        }
    }
}

/// Keys waiting in the deletion queue, sorted.
pub async fn queued_deletions(db: &Db) -> Result<Vec<String>, KarteError> {
    let batches = kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        d::fetch_strings(&mut conn, d::dialect::builder("SELECT object_keys FROM karte_deletion_batch")).await?
    });
    let mut keys: Vec<String> = batches
        .iter()
        .flat_map(|keys| batch_keys(keys))
        .map(str::to_string)
        .collect();
    keys.sort();
    Ok(keys)
}

/// Purges what has been in the trash for [`RETENTION_MS`] or more at `now_ms`, with
/// the default [`PurgeOptions`].
pub async fn purge(
    db: &Db,
    store: &dyn ObjectStore,
    now_ms: i64,
) -> Result<PurgeReport, KarteError> {
    purge_with(db, store, now_ms, &PurgeOptions::default()).await
}

/// The purge condition of a `karte_photo` row, as SQL with the cutoff bound twice.
/// Its columns are unqualified, so that it also serves a `DELETE` (MariaDB names no
/// alias there).
macro_rules! expired {
    ($qb:expr, $cutoff:expr) => {{
        $qb.push("(trashed_at <= ").push_bind($cutoff);
        $qb.push(" OR customer_id IN (SELECT c.id FROM karte_customer c WHERE c.trashed_at <= ")
            .push_bind($cutoff)
            .push("))");
    }};
}

/// The photos a purge chunk removes, as SQL over `karte_photo`'s columns: ids after
/// `$after` up to `$last`, checked against [`expired!`] again by whatever statement
/// it is part of. The locking read, both deletes and so the rows removed all follow
/// from it, by a range of the primary key rather than a list of ids: a list of
/// thousands of ids cost MariaDB three times what the range does.
macro_rules! chosen {
    ($qb:expr, $after:expr, $last:expr, $cutoff:expr) => {{
        $qb.push("id > ")
            .push_bind($after)
            .push(" AND id <= ")
            .push_bind($last)
            .push(" AND ");
        expired!($qb, $cutoff);
    }};
}

/// Purges what has been in the trash for [`RETENTION_MS`] or more at `now_ms`:
/// photos in the trash, and customers in the trash with all their photos (rows,
/// tag rows, memos, stored bytes). First it finishes deletions queued by an earlier
/// run; then chunks of photos by id, each a short transaction that re-checks the
/// condition while deleting and queues the keys; after each commit the bytes are
/// deleted and the keys leave the queue. Chunks start at
/// [`PurgeOptions::chunk`] photos and adapt to [`PurgeOptions::target`]. Progress is
/// logged per chunk.
pub async fn purge_with(
    db: &Db,
    store: &dyn ObjectStore,
    now_ms: i64,
    options: &PurgeOptions,
) -> Result<PurgeReport, KarteError> {
    let cutoff = now_ms - RETENTION_MS;
    let mut report = PurgeReport {
        objects: finish_queued_deletions(db, store).await?,
        ..PurgeReport::default()
    };
    let least = options.chunk.max(1);
    let most = options
        .max_chunk
        .unwrap_or_else(|| purge_max_chunk(db.engine()))
        .max(least);
    // Alone, past the engine's defaults only: a caller that names its most or its
    // target gets exactly those.
    let defaults = options.max_chunk.is_none() && options.target.is_none();
    let alone = if defaults {
        PURGE_ALONE_MAX_CHUNK.max(most)
    } else {
        most
    };
    let mut chunk = least;
    let target = options.target.unwrap_or_else(|| purge_target(db.engine()));
    let mut after = 0_i64;
    // Writers the write gate had let in when this purge's last chunk was done
    // (SQLite; `None` before the first chunk and on the other engines).
    let mut last_seen: Option<u64> = None;
    // Held for the whole purge, so that the gate's counts last between chunks.
    let gate = db.write_gate();
    loop {
        if options.max_chunks.is_some_and(|max| report.chunks >= max) {
            report.stopped_early = true;
            return Ok(report);
        }
        let began: std::time::Instant;
        let alone_now: bool;
        let deleted: (Option<i64>, Vec<String>, Option<i64>) = kensho_shared::dispatch!(db, crate::service, d, pool => {
            let (_gate, mut tx) = d::begin_read_committed(pool).await?;
            // Past the engine's usual most only while nobody else writes: nobody
            // queues behind the purge, and nobody wrote since its last chunk.
            alone_now = defaults
                && gate.as_ref().is_some_and(|gate| {
                    gate.waiting() == 0 && last_seen.is_some_and(|last| gate.entered() == last + 1)
                });
            if !alone_now {
                chunk = chunk.min(most);
            }
            // The chunk's size adapts to how long it holds the database, not to how
            // long it queued for it.
            began = std::time::Instant::now();
            // The keys of the photos the chunk removes.
            let mut keys: Vec<String> = Vec::new();
            let mut batch = None;
            let last: Option<i64>;
            if d::dialect::WRITE_LOCKS_DATABASE {
                // SQLite: nothing can change what this transaction reads until it
                // ends, so the expired photos, read once, are the ones to delete. Their
                // keys come as one line-separated text (a row per photo cost as much
                // as deleting it).
                let mut qb = d::dialect::builder("SELECT COUNT(*), MAX(id), group_concat(object_key, char(10)) FROM (SELECT id, object_key FROM karte_photo WHERE id > ");
                qb.push_bind(after).push(" AND ");
                expired!(qb, cutoff);
                qb.push(" ORDER BY id LIMIT ").push(chunk).push(")");
                let (count, most, joined) = d::fetch::<(i64, Option<i64>, Option<String>)>(&mut tx, qb)
                    .await?
                    .pop()
                    .unwrap_or_default();
                keys = batch_keys(joined.as_deref().unwrap_or_default()).map(str::to_string).collect();
                debug_assert_eq!(keys.len() as i64, count, "a key holds no line break");
                last = most;
                if let (0, Some(pause)) = (report.chunks, options.pause_before_lock()) {
                    pause.hold().await;
                }
            } else {
                // Where the chunk ends, by a plain read (no locks: a locking read up to
                // a LIMIT could reach saves' new rows at the end of the table and wait
                // for them).
                let mut qb = d::dialect::builder("SELECT MAX(id) FROM (SELECT id FROM karte_photo WHERE id > ");
                qb.push_bind(after).push(" AND ");
                expired!(qb, cutoff);
                qb.push(" ORDER BY id LIMIT ").push(chunk).push(") chunk");
                last = d::fetch::<(Option<i64>,)>(&mut tx, qb).await?.pop().and_then(|(most,)| most);
                if let (0, Some(pause)) = (report.chunks, options.pause_before_lock()) {
                    pause.hold().await;
                }
                if let Some(last) = last {
                    // Lock the chunk's photos that are still expired on what is now
                    // current: a restore that committed first wins. Read-committed
                    // locks only the rows that match, so no save waits for the range.
                    let mut qb = d::dialect::builder("SELECT customer_id, object_key, trashed_at FROM karte_photo WHERE ");
                    chosen!(qb, after, last, cutoff);
                    qb.push(" ORDER BY id").push(d::dialect::FOR_UPDATE);
                    let locked = d::fetch::<(i64, String, Option<i64>)>(&mut tx, qb).await?;
                    // Their customers are read again with a shared lock (saves take the
                    // same to check their customer exists), so that a customer's
                    // restore either waits for this chunk or wins before it.
                    let mut customers: Vec<i64> = locked.iter().map(|(customer, _, _)| *customer).collect();
                    customers.sort_unstable();
                    customers.dedup();
                    let mut customers_expired = Vec::new();
                    if !customers.is_empty() {
                        let mut qb = d::dialect::builder("SELECT id FROM karte_customer WHERE trashed_at <= ");
                        qb.push_bind(cutoff).push(" AND ");
                        d::dialect::in_ids(&mut qb, "id", &customers);
                        qb.push(d::dialect::FOR_SHARE);
                        customers_expired = d::fetch_longs(&mut tx, qb).await?;
                        customers_expired.sort_unstable();
                    }
                    keys = locked
                        .into_iter()
                        .filter(|(customer, _, trashed_at)| trashed_at.is_some_and(|t| t <= cutoff) || customers_expired.binary_search(customer).is_ok())
                        .map(|(_, key, _)| key)
                        .collect();
                }
            }
            if let (Some(last), false) = (last, keys.is_empty()) {
                // The tag rows first (they refer to the photos), then the photos: both
                // by the chunk's range and the condition, which the rows locked above
                // (or, on SQLite, the whole database) hold still.
                let mut qb = d::dialect::builder("DELETE FROM karte_photo_tag WHERE photo_id > ");
                qb.push_bind(after).push(" AND photo_id <= ").push_bind(last);
                qb.push(" AND photo_id IN (SELECT id FROM karte_photo WHERE ");
                chosen!(qb, after, last, cutoff);
                qb.push(")");
                d::execute(&mut tx, qb).await?;
                let mut qb = d::dialect::builder("DELETE FROM karte_photo WHERE ");
                chosen!(qb, after, last, cutoff);
                let removed = d::execute(&mut tx, qb).await?;
                // The keys queued below must be exactly the rows removed: anything else
                // rolls the chunk back rather than delete bytes whose row remains.
                if removed != keys.len() as u64 {
                    return Err(KarteError::PurgeChunkChanged { after, last, chosen: keys.len(), removed });
                }
                let listed: Vec<&str> = keys.iter().map(String::as_str).collect();
                batch = Some(d::queue_deletions(&mut tx, &listed, now_ms).await?);
            }
            kensho_shared::fault::in_transaction(options.fault(), report.chunks + 1, &mut *tx, "committing a purge chunk").await?;
            tx.commit().await.map_err(sql("committing a purge chunk"))?;
            (last, keys, batch)
        });
        let took = began.elapsed();
        let (Some(last), keys, batch) = deleted else {
            break;
        };
        report.chunks += 1;
        report.photos += keys.len();
        after = last;
        // Bytes go only after the rows' deletion has committed.
        for key in &keys {
            store.delete(key)?;
        }
        // Then the batch leaves the queue, in a statement of its own: a purge
        // transaction that also emptied the queue would hold the queue's locks
        // (MariaDB) while it works, and photo updates queue keys there.
        if let Some(batch) = batch {
            dequeue(db, batch).await?;
        }
        last_seen = gate.as_ref().map(|gate| gate.entered());
        report.objects += keys.len();
        // Nobody waiting behind a chunk, it may take longer: a writer that comes
        // then waits for one such chunk, and the next ones are short again.
        let target = if alone_now {
            target * PURGE_ALONE_TARGET_FACTOR
        } else {
            target
        };
        if took < target / 2 {
            chunk = (chunk * 2).min(alone);
        } else if took > target {
            chunk = (chunk / 2).max(least);
        }
        tracing::info!(
            photos = report.photos,
            chunks = report.chunks,
            next_chunk = chunk,
            took_ms = took.as_millis() as u64,
            "purge progress"
        );
    }
    report.customers = purge_customers(db, cutoff).await?;
    Ok(report)
}

/// Deletes customers in the trash since `cutoff` or earlier that have no photo left,
/// with their memos.
async fn purge_customers(db: &Db, cutoff: i64) -> Result<usize, KarteError> {
    Ok(kensho_shared::dispatch!(db, crate::service, d, pool => {
        let (_gate, mut tx) = d::begin(pool).await?;
        let mut qb = d::dialect::builder("DELETE FROM karte_memo WHERE customer_id IN (SELECT c.id FROM karte_customer c WHERE c.trashed_at <= ");
        qb.push_bind(cutoff).push(" AND NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.customer_id = c.id))");
        d::execute(&mut tx, qb).await?;
        let mut qb = d::dialect::builder("DELETE FROM karte_customer WHERE trashed_at <= ");
        qb.push_bind(cutoff).push(" AND NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.customer_id = karte_customer.id)");
        let n = d::execute(&mut tx, qb).await? as usize;
        tx.commit().await.map_err(sql("committing"))?;
        n
    }))
}

/// The purge as it ran in the incident (seed 000), kept as the baseline that the
/// benchmark and the incident replay compare [`purge_with`] against: one
/// transaction locks every expired photo, deletes them row by row and calls the
/// object store inside the transaction, so it holds its locks for as long as all of
/// that takes. Not for production use.
pub async fn purge_as_in_the_incident(
    db: &Db,
    store: &dyn ObjectStore,
    now_ms: i64,
) -> Result<PurgeReport, KarteError> {
    let cutoff = now_ms - RETENTION_MS;
    let mut report = PurgeReport::default();
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let (_gate, mut tx) = d::begin(pool).await?;
        let mut qb = d::dialect::builder("SELECT id, object_key FROM karte_photo WHERE ");
        expired!(qb, cutoff);
        qb.push(" ORDER BY id").push(d::dialect::FOR_UPDATE);
        let rows = d::fetch_pairs(&mut tx, qb).await?;
        for (id, key) in &rows {
            for table in ["DELETE FROM karte_photo_tag WHERE photo_id = ", "DELETE FROM karte_photo WHERE id = "] {
                let mut qb = d::dialect::builder(table);
                qb.push_bind(*id);
                d::execute(&mut tx, qb).await?;
            }
            store.delete(key)?;
            report.photos += 1;
            report.objects += 1;
        }
        let mut qb = d::dialect::builder("DELETE FROM karte_memo WHERE customer_id IN (SELECT c.id FROM karte_customer c WHERE c.trashed_at <= ");
        qb.push_bind(cutoff).push(")");
        d::execute(&mut tx, qb).await?;
        let mut qb = d::dialect::builder("DELETE FROM karte_customer WHERE trashed_at <= ");
        qb.push_bind(cutoff);
        report.customers = d::execute(&mut tx, qb).await? as usize;
        tx.commit().await.map_err(sql("committing the purge"))?;
    });
    report.chunks = 1;
    Ok(report)
}

/// A photo's row, in any trash state.
pub async fn photo(db: &Db, photo: i64) -> Result<PhotoRow, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("SELECT id, customer_id, object_key, updated_at, trashed_at FROM karte_photo WHERE id = ");
        qb.push_bind(photo);
        d::fetch::<PhotoRow>(&mut conn, qb).await?.pop().ok_or(KarteError::NotFound { what: "photo", id: photo })
    })
}

/// Records a text memo for a customer at `now_ms` (UTC ms, from the caller's clock).
pub async fn add_memo(db: &Db, customer: i64, body: &str, now_ms: i64) -> Result<i64, KarteError> {
    let bad = |reason: &str| KarteError::BadMemo {
        customer,
        reason: reason.to_string(),
    };
    if body.trim().is_empty() {
        return Err(bad("the memo is empty"));
    }
    if body.chars().count() > MEMO_MAX_CHARS {
        return Err(bad(&format!(
            "the memo is longer than {MEMO_MAX_CHARS} characters"
        )));
    }
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("INSERT INTO karte_memo (customer_id, body, recorded_at) VALUES (");
        qb.push_bind(customer).push(", ").push_bind(body.to_string()).push(", ").push_bind(now_ms).push(")");
        d::insert_returning_id(&mut conn, qb).await
    })
}

/// A customer's memos, oldest first.
pub async fn memos(db: &Db, customer: i64) -> Result<Vec<Memo>, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::dialect::builder("SELECT id, body, recorded_at FROM karte_memo WHERE customer_id = ");
        qb.push_bind(customer).push(" ORDER BY recorded_at, id");
        d::fetch::<Memo>(&mut conn, qb).await
    })
}

/// Sets the session time zone of every connection the pool may hold to `offset`
/// (`+HH:MM` / `-HH:MM`), as an administrator's configuration change would. SQLite
/// has no session time zone: returns `false` and changes nothing.
pub async fn set_session_time_zone(db: &Db, offset: &str) -> Result<bool, KarteError> {
    let valid = offset.len() == 6
        && matches!(offset.as_bytes()[0], b'+' | b'-')
        && offset.as_bytes()[3] == b':'
        && offset[1..3].parse::<u8>().is_ok_and(|h| h <= 14)
        && offset[4..6].parse::<u8>().is_ok_and(|m| m < 60)
        && offset[1..3]
            .bytes()
            .chain(offset[4..6].bytes())
            .all(|b| b.is_ascii_digit());
    if !valid {
        return Err(KarteError::BadTimeZone(offset.to_string()));
    }
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        // Validated above: the offset is plain digits and signs.
        let Some(set) = d::dialect::set_time_zone(offset) else {
            return Ok(false);
        };
        let n = pool.options().get_max_connections() as usize;
        let mut held = Vec::with_capacity(n);
        for _ in 0..n {
            held.push(pool.acquire().await.map_err(sql("connecting"))?);
        }
        for conn in &mut held {
            sqlx::query(sqlx::AssertSqlSafe(set.clone()))
                .execute(&mut **conn)
                .await
                .map_err(sql("setting the session time zone"))?;
        }
    });
    Ok(true)
}

/// Photo ids that exist (any trash state), ascending.
pub async fn photo_ids(db: &Db) -> Result<Vec<i64>, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        d::fetch_longs(&mut conn, d::dialect::builder("SELECT id FROM karte_photo ORDER BY id")).await
    })
}

/// Object keys the photo rows point at.
pub async fn object_keys(db: &Db) -> Result<Vec<String>, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        d::fetch_strings(&mut conn, d::dialect::builder("SELECT object_key FROM karte_photo ORDER BY object_key")).await
    })
}

/// Tag rows whose photo does not exist (must be none).
pub async fn orphan_tag_rows(db: &Db) -> Result<usize, KarteError> {
    kensho_shared::dispatch!(db, crate::service, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let qb = d::dialect::builder("SELECT t.photo_id FROM karte_photo_tag t WHERE NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.id = t.photo_id)");
        Ok(d::fetch_longs(&mut conn, qb).await?.len())
    })
}
