//! The karte service on a database: customers, photos and handwritten-chart images
//! (metadata in the database, bytes in an [`ObjectStore`]), tags, memos, the trash
//! and its purge. Times are UTC epoch milliseconds from an injectable clock.
//!
//! - Saving writes the bytes first, outside any transaction, then one short
//!   transaction for the row and its tags (pivot rows in tag-id order, so
//!   concurrent saves lock in the same order); if the transaction fails the bytes
//!   are removed, so no orphan remains.
//! - The purge works in chunks by primary key, each one short transaction that
//!   re-checks the 30-day condition inside the delete (a restore that commits first
//!   wins); bytes are removed only after the rows' deletion commits. A purge that
//!   stops part-way is completed by running it again.

use super::storage::{ObjectStore, StoreError as ObjectError};
use crate::db::Db;

/// How long an item stays in the trash before the purge may remove it: 30 days.
pub const RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Photos per purge transaction.
pub const PURGE_CHUNK: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum KarteError {
    #[error("karte: {action}: {source}")]
    Sql {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    #[error("tag {0:?}: a tag is 1 to 64 characters")]
    BadTag(String),
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

fn sql(action: &'static str) -> impl FnOnce(sqlx::Error) -> KarteError {
    move |source| KarteError::Sql { action, source }
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
    pub objects: usize,
    pub chunks: usize,
}

macro_rules! dialect {
    ($module:ident, $db:ty, $conn:ty, lock: $lock:literal, tag_insert: $tag_insert:literal, tag_conflict: $tag_conflict:literal) => {
        pub mod $module {
            use sqlx::{QueryBuilder, Row};

            use super::{KarteError, sql};

            pub type Conn = $conn;

            pub async fn insert_returning_id(
                conn: &mut Conn,
                mut qb: QueryBuilder<$db>,
            ) -> Result<i64, KarteError> {
                qb.push(" RETURNING id");
                let row = qb
                    .build()
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(sql("inserting"))?;
                row.try_get::<i64, _>(0).map_err(sql("inserting"))
            }

            pub async fn execute(
                conn: &mut Conn,
                mut qb: QueryBuilder<$db>,
            ) -> Result<u64, KarteError> {
                Ok(qb
                    .build()
                    .execute(&mut *conn)
                    .await
                    .map_err(sql("writing"))?
                    .rows_affected())
            }

            pub async fn fetch_pairs(
                conn: &mut Conn,
                mut qb: QueryBuilder<$db>,
            ) -> Result<Vec<(i64, String)>, KarteError> {
                let rows = qb
                    .build()
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(sql("reading"))?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<i64, _>(0).map_err(sql("reading"))?,
                            r.try_get::<String, _>(1).map_err(sql("reading"))?,
                        ))
                    })
                    .collect()
            }

            pub async fn fetch_longs(
                conn: &mut Conn,
                mut qb: QueryBuilder<$db>,
            ) -> Result<Vec<i64>, KarteError> {
                let rows = qb
                    .build()
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(sql("reading"))?;
                rows.iter()
                    .map(|r| r.try_get::<i64, _>(0).map_err(sql("reading")))
                    .collect()
            }

            pub fn new(sql_text: &str) -> QueryBuilder<$db> {
                QueryBuilder::<$db>::new(sql_text)
            }

            pub const LOCK: &str = $lock;
            /// SQLite takes the write lock when the transaction starts, so a writer
            /// waits (busy_timeout) instead of failing on a lock upgrade.
            pub const BEGIN: Option<&str> = if LOCK.is_empty() {
                Some("BEGIN IMMEDIATE")
            } else {
                None
            };
            pub const TAG_INSERT: &str = $tag_insert;
            pub const TAG_CONFLICT: &str = $tag_conflict;
        }
    };
}

dialect!(sqlite, sqlx::Sqlite, sqlx::SqliteConnection, lock: "",
    tag_insert: "INSERT INTO karte_tag (name) ", tag_conflict: " ON CONFLICT (name) DO NOTHING");
dialect!(postgres, sqlx::Postgres, sqlx::PgConnection, lock: " FOR UPDATE",
    tag_insert: "INSERT INTO karte_tag (name) ", tag_conflict: " ON CONFLICT (name) DO NOTHING");
dialect!(mariadb, sqlx::MySql, sqlx::MySqlConnection, lock: " FOR UPDATE",
    tag_insert: "INSERT IGNORE INTO karte_tag (name) ", tag_conflict: "");

macro_rules! dispatch {
    ($db:expr, $d:ident, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => {
                use self::sqlite as $d;
                $body
            }
            Db::Postgres($pool) => {
                use self::postgres as $d;
                $body
            }
            Db::MySql($pool) => {
                use self::mariadb as $d;
                $body
            }
        }
    };
}

/// Registers a customer (顧客); returns its id.
pub async fn create_customer(db: &Db, name: &str) -> Result<i64, KarteError> {
    dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::new("INSERT INTO karte_customer (name) VALUES (");
        qb.push_bind(name.to_string()).push(")");
        d::insert_returning_id(&mut conn, qb).await
    })
}

fn object_key(customer: i64, now_ms: i64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "customers/{customer}/{now_ms}-{}-{}.img",
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
    let key = object_key(customer, now_ms);
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
    dispatch!(db, d, pool => {
        let mut tx = match d::BEGIN {
            Some(begin) => pool.begin_with(begin).await,
            None => pool.begin().await,
        }
        .map_err(sql("starting a transaction"))?;
        let mut qb = d::new("INSERT INTO karte_photo (customer_id, kind, object_key, updated_at) VALUES (");
        qb.push_bind(customer).push(", ").push_bind(kind.code()).push(", ").push_bind(key.to_string()).push(", ").push_bind(now_ms).push(")");
        let id = d::insert_returning_id(&mut tx, qb).await?;
        if !tags.is_empty() {
            let mut qb = d::new(d::TAG_INSERT);
            qb.push_values(tags, |mut b, t| {
                b.push_bind(t.to_string());
            });
            qb.push(d::TAG_CONFLICT);
            d::execute(&mut tx, qb).await?;
            let mut qb = d::new("SELECT id FROM karte_tag WHERE name IN (");
            let mut list = qb.separated(", ");
            for t in tags {
                list.push_bind(t.to_string());
            }
            qb.push(") ORDER BY id");
            let tag_ids = d::fetch_longs(&mut tx, qb).await?;
            // Pivot rows in tag-id order: concurrent saves take their locks in one order.
            let mut qb = d::new("INSERT INTO karte_photo_tag (photo_id, tag_id) ");
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
    dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::new("UPDATE ");
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

/// Purges what has been in the trash for [`RETENTION_MS`] or more at `now_ms`:
/// photos in the trash, and customers in the trash with all their photos (rows,
/// tag rows, stored bytes). Chunks of [`PURGE_CHUNK`] photos by id, each a short
/// transaction that re-checks the condition while deleting.
pub async fn purge(
    db: &Db,
    store: &dyn ObjectStore,
    now_ms: i64,
) -> Result<PurgeReport, KarteError> {
    let cutoff = now_ms - RETENTION_MS;
    let mut report = PurgeReport::default();
    let mut after = 0_i64;
    // The purge condition of a photo row `p`, as SQL with the cutoff bound twice.
    macro_rules! expired {
        ($qb:expr) => {{
            $qb.push("(p.trashed_at <= ").push_bind(cutoff);
            $qb.push(
                " OR p.customer_id IN (SELECT c.id FROM karte_customer c WHERE c.trashed_at <= ",
            )
            .push_bind(cutoff)
            .push("))");
        }};
    }
    loop {
        let deleted: Vec<(i64, String)> = dispatch!(db, d, pool => {
            let mut tx = match d::BEGIN {
            Some(begin) => pool.begin_with(begin).await,
            None => pool.begin().await,
        }
        .map_err(sql("starting a transaction"))?;
            let mut qb = d::new("SELECT p.id, p.object_key FROM karte_photo p WHERE p.id > ");
            qb.push_bind(after).push(" AND ");
            expired!(qb);
            qb.push(" ORDER BY p.id LIMIT ").push(PURGE_CHUNK);
            qb.push(d::LOCK);
            let rows = d::fetch_pairs(&mut tx, qb).await?;
            if !rows.is_empty() {
                let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
                let mut qb = d::new("DELETE FROM karte_photo_tag WHERE photo_id IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                qb.push(")");
                d::execute(&mut tx, qb).await?;
                let mut qb = d::new("DELETE FROM karte_photo WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                qb.push(")");
                d::execute(&mut tx, qb).await?;
            }
            tx.commit().await.map_err(sql("committing a purge chunk"))?;
            rows
        });
        if deleted.is_empty() {
            break;
        }
        report.chunks += 1;
        report.photos += deleted.len();
        after = deleted.iter().map(|r| r.0).max().unwrap_or(after);
        // Bytes go only after the rows' deletion has committed.
        for (_, key) in &deleted {
            store.delete(key)?;
            report.objects += 1;
        }
        tracing::info!(
            photos = report.photos,
            chunks = report.chunks,
            "purge progress"
        );
    }
    report.customers = dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let mut qb = d::new("DELETE FROM karte_memo WHERE customer_id IN (SELECT c.id FROM karte_customer c WHERE c.trashed_at <= ");
        qb.push_bind(cutoff).push(" AND NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.customer_id = c.id))");
        d::execute(&mut conn, qb).await?;
        let mut qb = d::new("DELETE FROM karte_customer WHERE trashed_at <= ");
        qb.push_bind(cutoff).push(" AND NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.customer_id = karte_customer.id)");
        d::execute(&mut conn, qb).await? as usize
    });
    Ok(report)
}

/// Photo ids that exist (any trash state), ascending.
pub async fn photo_ids(db: &Db) -> Result<Vec<i64>, KarteError> {
    dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        d::fetch_longs(&mut conn, d::new("SELECT id FROM karte_photo ORDER BY id")).await
    })
}

/// Object keys the photo rows point at.
pub async fn object_keys(db: &Db) -> Result<Vec<String>, KarteError> {
    dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let pairs = d::fetch_pairs(&mut conn, d::new("SELECT id, object_key FROM karte_photo ORDER BY object_key")).await?;
        Ok(pairs.into_iter().map(|p| p.1).collect())
    })
}

/// Tag rows whose photo does not exist (must be none).
pub async fn orphan_tag_rows(db: &Db) -> Result<usize, KarteError> {
    dispatch!(db, d, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let qb = d::new("SELECT t.photo_id FROM karte_photo_tag t WHERE NOT EXISTS (SELECT 1 FROM karte_photo p WHERE p.id = t.photo_id)");
        Ok(d::fetch_longs(&mut conn, qb).await?.len())
    })
}
