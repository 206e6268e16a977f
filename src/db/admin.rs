//! The names Kensho gives what it makes on a server, and the admin operations on
//! them by engine: listing a run's databases, telling whether a run is still
//! running, dropping a database. The maker, the sweep of ended runs and the run's
//! end all go through [`Admin`], so what differs per engine is written once.

use sqlx::{AssertSqlSafe, MySqlPool, PgPool};

use super::Engine;

/// The character set of every MariaDB database Kensho makes (template and
/// scenario copies): UTF-8 compared byte by byte, as PostgreSQL's `C` collation
/// and SQLite compare.
pub(super) const MARIADB_CHARSET: &str = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

/// Names Kensho generates are plain identifiers; this guards the places where they
/// are spliced into DDL.
pub(super) fn checked_identifier(name: &str) -> &str {
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "generated database name {name:?} is not a plain identifier"
    );
    name
}

/// The name of run `run_id`'s lock on a server.
pub(super) fn run_lock_name(run_id: &str) -> String {
    format!("kensho_run_{run_id}")
}

/// The PostgreSQL advisory lock key of run `run_id`: a 63-bit FNV-1a hash of its
/// lock name (two runs with the same key would only make an ended one look alive).
pub(super) fn pg_lock_key(run_id: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run_lock_name(run_id).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash & 0x7fff_ffff_ffff_ffff) as i64
}

/// The run a database name belongs to, if Kensho named it: `kensho_tpl_<run>` (a
/// PostgreSQL template) or `kensho_<run>_<n>` (a scenario's), `<run>` being
/// `<pid>_<start>`.
pub(super) fn run_of_database(name: &str) -> Option<&str> {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let is_run = |run: &str| matches!(run.split_once('_'), Some((pid, start)) if digits(pid) && digits(start));
    let rest = name.strip_prefix("kensho_")?;
    if let Some(run) = rest.strip_prefix("tpl_") {
        return is_run(run).then_some(run);
    }
    let (run, n) = rest.rsplit_once('_')?;
    (is_run(run) && n.len() >= 5 && digits(n)).then_some(run)
}

/// How often a PostgreSQL session asks again for a lock another holds (its
/// advisory locks have no wait with a limit).
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// A server-wide lock taken by [`Admin::lock`], on the connection that holds it.
pub(super) enum HeldLock {
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>, i64),
    MariaDb(sqlx::pool::PoolConnection<sqlx::MySql>, String),
}

impl HeldLock {
    /// Releases the lock (a failure leaves it to the connection's end).
    pub(super) async fn release(self) {
        match self {
            HeldLock::Pg(mut conn, key) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut *conn)
                    .await;
            }
            HeldLock::MariaDb(mut conn, name) => {
                let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(name)
                    .execute(&mut *conn)
                    .await;
            }
        }
    }
}

/// An admin connection pool, by engine.
#[derive(Clone, Copy)]
pub(super) enum Admin<'a> {
    Pg(&'a PgPool),
    MariaDb(&'a MySqlPool),
}

/// The options PostgreSQL creates a template with: UTF-8 with byte-order
/// collation whatever the server's defaults (a cluster initialised as SQL_ASCII
/// counts VARCHAR lengths in bytes), as MariaDB's utf8mb4_bin and SQLite do.
const PG_TEMPLATE_OPTIONS: &str = "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0";

impl Admin<'_> {
    /// The engine of the server.
    pub(super) fn engine(self) -> Engine {
        match self {
            Admin::Pg(_) => Engine::Postgres,
            Admin::MariaDb(_) => Engine::MariaDb,
        }
    }

    /// Creates the run's template database `name` (a name Kensho made), empty,
    /// with the character set and collation every database Kensho makes has.
    pub(super) async fn create_template(self, name: &str) -> Result<(), sqlx::Error> {
        let options = match self {
            Admin::Pg(_) => PG_TEMPLATE_OPTIONS,
            Admin::MariaDb(_) => MARIADB_CHARSET,
        };
        self.create_database(name, options).await
    }

    /// The databases on the server named as Kensho names its own, by run.
    pub(super) async fn runs_databases(self) -> Result<Vec<(String, String)>, sqlx::Error> {
        let pattern = "kensho\\_%";
        let names: Vec<String> = match self {
            Admin::Pg(pool) => {
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
                    .bind(pattern)
                    .fetch_all(pool)
                    .await?
            }
            Admin::MariaDb(pool) => {
                sqlx::query_scalar(
                    "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE ?",
                )
                .bind(pattern)
                .fetch_all(pool)
                .await?
            }
        };
        let mut owned: Vec<(String, String)> = names
            .into_iter()
            .filter_map(|name| Some((run_of_database(&name)?.to_string(), name)))
            .collect();
        owned.sort();
        Ok(owned)
    }

    /// Whether run `run_id`'s lock is held on the server (the run is running).
    pub(super) async fn run_is_running(self, run_id: &str) -> Result<bool, sqlx::Error> {
        match self {
            Admin::Pg(pool) => {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                     AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)",
                )
                .bind(pg_lock_key(run_id))
                .fetch_one(pool)
                .await
            }
            Admin::MariaDb(pool) => {
                let holder: Option<i64> =
                    sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
                        .bind(run_lock_name(run_id))
                        .fetch_one(pool)
                        .await?;
                Ok(holder.is_some())
            }
        }
    }

    /// Creates database `name` (a name Kensho made), `options` following its name
    /// (on PostgreSQL the template to copy, on MariaDB the character set).
    pub(super) async fn create_database(
        self,
        name: &str,
        options: &str,
    ) -> Result<(), sqlx::Error> {
        let name = checked_identifier(name);
        let sql = match self {
            Admin::Pg(_) => format!("CREATE DATABASE \"{name}\" {options}"),
            Admin::MariaDb(_) => format!("CREATE DATABASE `{name}` {options}"),
        };
        match self {
            Admin::Pg(pool) => sqlx::query(AssertSqlSafe(sql))
                .execute(pool)
                .await
                .map(drop),
            Admin::MariaDb(pool) => sqlx::query(AssertSqlSafe(sql))
                .execute(pool)
                .await
                .map(drop),
        }
    }

    /// Whether database `name` exists on the server.
    pub(super) async fn database_exists(self, name: &str) -> Result<bool, sqlx::Error> {
        match self {
            Admin::Pg(pool) => {
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(name)
                    .fetch_one(pool)
                    .await
            }
            Admin::MariaDb(pool) => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
                )
                .bind(name)
                .fetch_one(pool)
                .await?;
                Ok(n > 0)
            }
        }
    }

    /// Takes the server-wide lock `name` on a connection of its own, waiting up to
    /// `wait` for another session to release it: `Ok(None)` when it did not. The
    /// lock is held until [`HeldLock::release`] (or until the connection closes).
    pub(super) async fn lock(
        self,
        name: &str,
        wait: std::time::Duration,
    ) -> Result<Option<HeldLock>, sqlx::Error> {
        match self {
            Admin::Pg(pool) => {
                let mut conn = pool.acquire().await?;
                let key = pg_lock_key(name);
                let began = std::time::Instant::now();
                loop {
                    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                        .bind(key)
                        .fetch_one(&mut *conn)
                        .await?;
                    if got {
                        return Ok(Some(HeldLock::Pg(conn, key)));
                    }
                    if began.elapsed() >= wait {
                        return Ok(None);
                    }
                    tokio::time::sleep(LOCK_POLL).await;
                }
            }
            Admin::MariaDb(pool) => {
                let mut conn = pool.acquire().await?;
                let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
                    .bind(name)
                    .bind(wait.as_secs())
                    .fetch_one(&mut *conn)
                    .await?;
                Ok((got == Some(1)).then(|| HeldLock::MariaDb(conn, name.to_string())))
            }
        }
    }

    /// Drops database `name` (a name Kensho made) if it exists.
    pub(super) async fn drop_database(self, name: &str) -> Result<(), sqlx::Error> {
        let name = checked_identifier(name);
        match self {
            Admin::Pg(pool) => {
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(pool)
                .await?;
            }
            Admin::MariaDb(pool) => {
                sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_kensho_gives_its_databases_belong_to_a_run() {
        assert_eq!(
            run_of_database("kensho_4218_159581_00002"),
            Some("4218_159581")
        );
        assert_eq!(
            run_of_database("kensho_tpl_4218_159581"),
            Some("4218_159581")
        );
        assert_eq!(
            run_of_database("kensho_4218_159581_123456"),
            Some("4218_159581")
        );
        for other in [
            "kensho",
            "kensho_",
            "kensho_app",
            "kensho_tpl_x",
            "kensho_t_00001",
            "kensho_4218_00001",
            "kensho_4218_159581_0001",
            "kensho_4218_159581_0000a",
            "kensho_tpl_4218_159581_00001",
            "billing_4218_159581_00001",
            "postgres",
        ] {
            assert_eq!(run_of_database(other), None, "{other}");
        }
    }

    #[test]
    fn each_run_has_its_own_lock() {
        assert_eq!(run_lock_name("4218_159581"), "kensho_run_4218_159581");
        let key = pg_lock_key("4218_159581");
        assert!(key >= 0);
        assert_eq!(key, pg_lock_key("4218_159581"));
        assert_ne!(key, pg_lock_key("4218_159582"));
        assert_ne!(key, pg_lock_key("4219_159581"));
    }
}
