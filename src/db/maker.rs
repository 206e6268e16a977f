//! Making and removing the scenario databases of one engine for one run, each an
//! exact copy of the run's migrated template:
//!
//! - SQLite: a copy of the template file;
//! - PostgreSQL: `CREATE DATABASE .. TEMPLATE ..`;
//! - MariaDB: the template's tables made again from their `SHOW CREATE TABLE`
//!   and their rows copied, in one round trip ([`copy_script`]); a template that
//!   holds more than tables (views, triggers, routines, events, sequences) is
//!   not copied and each database runs the migrations instead.
//!
//! [`Maker`] is shared between the runner and the warm pool's background task
//! ([`super::pool`]), which is why it owns everything it needs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, MySqlPool, PgPool, Row as _};

use super::admin::{Admin, MARIADB_CHARSET, checked_identifier};
use super::redact::redact_url;
use super::{Db, DbError, Engine, LOCK_WAIT};

/// Connections per scenario database.
pub const SCENARIO_POOL_SIZE: u32 = 5;

/// Where the run's scenario databases are made, and from what.
pub(super) enum Target {
    Sqlite {
        dir: PathBuf,
        template: PathBuf,
    },
    Postgres {
        admin: PgPool,
        base: PgConnectOptions,
        admin_url: String,
        template: String,
        /// What follows `TEMPLATE ..` in a copy: [`FILE_COPY`] on servers that
        /// know the option (PostgreSQL 15 and later), else nothing.
        strategy: &'static str,
    },
    MariaDb {
        admin: MySqlPool,
        base: MySqlConnectOptions,
        admin_url: String,
        template: String,
        /// The statements that make a database a copy of the template, or
        /// `None` when it cannot be copied so (each database is migrated).
        copy: Option<String>,
    },
}

/// A fresh, migrated database that belongs to one scenario.
pub struct ScenarioDb {
    pub engine: Engine,
    /// The database's name on its server (or its file, for SQLite).
    pub name: String,
    /// Where a person finds it (URL without password, or file path).
    pub location: String,
    /// How a program connects to it (`DATABASE_URL`): with credentials, so never
    /// printed; [`ScenarioDb::location`] is the printable form.
    pub url: String,
    pub db: Db,
    /// How long the scenario waited for it: taking it from the warm pool, or
    /// making it when there is no pool.
    pub handed_out_in: Duration,
}

impl std::fmt::Debug for ScenarioDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScenarioDb({} {})", self.engine, self.location)
    }
}

pub(super) fn sql_err(
    engine: Engine,
    action: impl Into<String>,
    location: &str,
) -> impl FnOnce(sqlx::Error) -> DbError {
    let action = action.into();
    let location = location.to_string();
    move |source| DbError::Sql {
        engine,
        action,
        location,
        source,
    }
}

pub(super) fn migrate_err(
    engine: Engine,
    location: &str,
) -> impl FnOnce(sqlx::migrate::MigrateError) -> DbError {
    let location = location.to_string();
    move |source| DbError::Migrate {
        engine,
        location,
        source,
    }
}

/// How PostgreSQL 15 and later copy the template: file by file. Their default
/// (`WAL_LOG`) writes every page of the copy to the write-ahead log: 62–74 ms for
/// the migrated template (8 MB) on an idle server here, against 22 ms file by
/// file (which costs a checkpoint, cheap when the data is in memory).
pub(super) const FILE_COPY: &str = " STRATEGY FILE_COPY";

/// The first PostgreSQL version (`server_version_num`) that takes `STRATEGY`.
pub(super) const STRATEGY_SINCE: i64 = 150_000;

/// Makes, drops and keeps count of one engine's scenario databases in a run.
pub(super) struct Maker {
    pub engine: Engine,
    pub run_id: String,
    next: AtomicU64,
    pub target: Target,
    /// The scenario databases made and neither dropped nor kept yet: those
    /// waiting in the warm pool, those of running scenarios, and those of
    /// scenarios a stopped run never finished, which the run's end drops.
    live: Mutex<BTreeSet<String>>,
    /// The schema every scenario database gets (the registered services').
    migrator: Migrator,
}

impl Maker {
    pub fn new(engine: Engine, run_id: String, target: Target, migrator: Migrator) -> Maker {
        Maker {
            engine,
            run_id,
            next: AtomicU64::new(1),
            target,
            live: Mutex::default(),
            migrator,
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a fresh copy of the template with a pool of `pool_size` connections.
    pub async fn create(&self, pool_size: u32) -> Result<ScenarioDb, DbError> {
        self.make(pool_size, false).await
    }

    /// Checks, on MariaDB, that a database made by the copy script is exactly
    /// what the migrations make: every table as `SHOW CREATE TABLE` gives it
    /// and its rows (`CHECKSUM TABLE`). If not, the scenario databases are
    /// migrated one by one, and the difference is logged. Both probes are
    /// dropped.
    pub async fn check_copy(&mut self) -> Result<(), DbError> {
        let Target::MariaDb {
            copy: Some(_),
            admin_url,
            ..
        } = &self.target
        else {
            return Ok(());
        };
        let location = redact_url(admin_url);
        let copied = self.make(1, false).await?;
        let migrated = self.make(1, true).await?;
        let fingerprints = async {
            let Db::MySql(a) = &copied.db else {
                unreachable!("a MariaDB target makes MariaDB databases")
            };
            let Db::MySql(b) = &migrated.db else {
                unreachable!("a MariaDB target makes MariaDB databases")
            };
            Ok::<_, sqlx::Error>((
                fingerprint(a, &copied.name).await?,
                fingerprint(b, &migrated.name).await?,
            ))
        }
        .await;
        self.drop_scenario_db(copied).await?;
        self.drop_scenario_db(migrated).await?;
        let (copied, migrated) = fingerprints.map_err(sql_err(
            self.engine,
            "comparing a copy of the template with a migrated database",
            &location,
        ))?;
        if copied != migrated {
            let differ: Vec<&str> = copied
                .iter()
                .zip(&migrated)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| a.0.as_str())
                .collect();
            tracing::warn!(
                engine = %self.engine,
                tables = ?differ,
                "a copy of the template differs from a migrated database; each scenario database runs the migrations"
            );
            if let Target::MariaDb { copy, .. } = &mut self.target {
                *copy = None;
            }
        }
        Ok(())
    }

    /// Makes a database: a copy of the template, or (on MariaDB, `migrate`)
    /// migrated.
    async fn make(&self, pool_size: u32, migrate: bool) -> Result<ScenarioDb, DbError> {
        let began = Instant::now();
        let engine = self.engine;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("kensho_{}_{n:05}", self.run_id);
        let name = checked_identifier(&name).to_string();
        // Counted before it exists: a creation stopped half-way is dropped too.
        self.live().insert(name.clone());
        let pool_size = pool_size.max(1);
        let (location, url, db) = match &self.target {
            Target::Sqlite { dir, template } => {
                self.copy_file(dir, template, &name, pool_size).await?
            }
            Target::Postgres { .. } => self.copy_pg(&name, pool_size).await?,
            Target::MariaDb { .. } => self.copy_mariadb(&name, pool_size, migrate).await?,
        };
        tracing::debug!(%engine, database = %name, elapsed = ?began.elapsed(), "made from the template");
        kensho_shared::secret::register_url(&url);
        Ok(ScenarioDb {
            engine,
            name,
            location,
            url,
            db,
            handed_out_in: began.elapsed(),
        })
    }

    /// SQLite database `name`: a copy of the `template` file in `dir`; its
    /// location, URL and pool.
    async fn copy_file(
        &self,
        dir: &Path,
        template: &Path,
        name: &str,
        pool_size: u32,
    ) -> Result<(String, String, Db), DbError> {
        let engine = self.engine;
        let path = dir.join(format!("{name}.sqlite"));
        let location = path.display().to_string();
        let url = format!("sqlite://{location}");
        tokio::fs::copy(template, &path)
            .await
            .map_err(|source| DbError::Io {
                engine,
                action: "copying the template to",
                path: location.clone(),
                source,
            })?;
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&path)
                    .busy_timeout(LOCK_WAIT)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true),
            )
            .await
            .map_err(sql_err(engine, "opening", &location))?;
        Ok((location, url, Db::Sqlite(pool)))
    }

    /// PostgreSQL database `name`: `CREATE DATABASE .. TEMPLATE ..`; its
    /// location, URL and pool.
    async fn copy_pg(&self, name: &str, pool_size: u32) -> Result<(String, String, Db), DbError> {
        let Target::Postgres {
            admin,
            base,
            admin_url,
            template,
            strategy,
        } = &self.target
        else {
            unreachable!("called for a PostgreSQL target")
        };
        let engine = self.engine;
        let location = scenario_location(admin_url, name);
        // Copies of one template may be made at once: PostgreSQL only
        // refuses a template a session is connected to, and nothing
        // connects to it after its migrations.
        Admin::Pg(admin)
            .create_database(name, &format!("TEMPLATE \"{template}\"{strategy}"))
            .await
            .map_err(sql_err(engine, "creating the scenario database", &location))?;
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            .connect_with(base.clone().database(name))
            .await
            .map_err(sql_err(engine, "connecting", &location))?;
        Ok((location, scenario_url(admin_url, name), Db::Postgres(pool)))
    }

    /// MariaDB database `name`: the template's copy script run in it, or (with
    /// `migrate`, or without a script) the migrations; its location, URL and
    /// pool.
    async fn copy_mariadb(
        &self,
        name: &str,
        pool_size: u32,
        migrate: bool,
    ) -> Result<(String, String, Db), DbError> {
        let Target::MariaDb {
            admin,
            base,
            admin_url,
            copy,
            ..
        } = &self.target
        else {
            unreachable!("called for a MariaDB target")
        };
        let engine = self.engine;
        let location = scenario_location(admin_url, name);
        Admin::MariaDb(admin)
            .create_database(name, MARIADB_CHARSET)
            .await
            .map_err(sql_err(engine, "creating the scenario database", &location))?;
        let pool = mariadb_pool(base, name, pool_size).await.map_err(sql_err(
            engine,
            "connecting",
            &location,
        ))?;
        match copy.as_ref().filter(|_| !migrate) {
            Some(script) => {
                // On a connection of its own, closed afterwards: the script
                // switches foreign key checks off for its session.
                let mut connection = pool
                    .acquire()
                    .await
                    .map_err(sql_err(engine, "connecting", &location))?
                    .detach();
                let copied = sqlx::raw_sql(AssertSqlSafe(script.clone()))
                    .execute(&mut connection)
                    .await
                    .map_err(sql_err(engine, "copying the template's tables", &location));
                let _ = sqlx::Connection::close(connection).await;
                copied?;
            }
            None => self
                .migrator
                .run(&pool)
                .await
                .map_err(migrate_err(engine, &location))?,
        }
        Ok((location, scenario_url(admin_url, name), Db::MySql(pool)))
    }

    /// Forgets a kept database: the run's end leaves it in place.
    pub fn keep(&self, name: &str) {
        self.live().remove(name);
    }

    /// The databases made and neither dropped nor kept, emptied.
    pub fn take_live(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.live())
    }

    /// Where database `name` of this run is, for output.
    pub fn location_of(&self, name: &str) -> String {
        match &self.target {
            Target::Sqlite { dir, .. } => dir.join(format!("{name}.sqlite")).display().to_string(),
            Target::Postgres { admin_url, .. } | Target::MariaDb { admin_url, .. } => {
                scenario_location(admin_url, name)
            }
        }
    }

    /// Closes a scenario database and removes it.
    pub async fn drop_scenario_db(&self, scenario: ScenarioDb) -> Result<(), DbError> {
        scenario.db.close().await;
        self.drop_database(&scenario.name, &scenario.location).await
    }

    /// Removes database `name` of this run (already closed).
    pub async fn drop_database(&self, name: &str, location: &str) -> Result<(), DbError> {
        let engine = self.engine;
        let name = checked_identifier(name);
        match &self.target {
            Target::Sqlite { .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let path = format!("{location}{suffix}");
                    match tokio::fs::remove_file(&path).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => {
                            return Err(DbError::Io {
                                engine,
                                action: "removing",
                                path,
                                source,
                            });
                        }
                    }
                }
            }
            Target::Postgres { admin, .. } => Admin::Pg(admin)
                .drop_database(name)
                .await
                .map_err(sql_err(engine, "dropping", location))?,
            Target::MariaDb { admin, .. } => Admin::MariaDb(admin)
                .drop_database(name)
                .await
                .map_err(sql_err(engine, "dropping", location))?,
        }
        self.live().remove(name);
        Ok(())
    }
}

/// A pool of `size` connections to MariaDB database `name`, each connection
/// waiting at most [`LOCK_WAIT`] for a row lock.
pub(super) async fn mariadb_pool(
    base: &MySqlConnectOptions,
    name: &str,
    size: u32,
) -> Result<MySqlPool, sqlx::Error> {
    let lock_wait = format!(
        "SET SESSION innodb_lock_wait_timeout = {}",
        LOCK_WAIT.as_secs()
    );
    MySqlPoolOptions::new()
        .max_connections(size)
        .after_connect(move |conn, _| {
            let sql = lock_wait.clone();
            Box::pin(async move {
                sqlx::query(AssertSqlSafe(sql)).execute(conn).await?;
                Ok(())
            })
        })
        .connect_with(base.clone().database(name))
        .await
}

/// A MariaDB identifier quoted for SQL.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The statements that make an empty MariaDB database an exact copy of the
/// migrated template `template` (reached through `pool`): every table as `SHOW
/// CREATE TABLE` gives it (columns, keys, foreign keys, checks, the
/// auto-increment counter), then every row of the tables that hold any.
///
/// `Ok(None)` when the template holds anything but tables, which this copy
/// would miss: the scenario databases are then migrated one by one.
pub(super) async fn copy_script(
    pool: &MySqlPool,
    template: &str,
) -> Result<Option<String>, sqlx::Error> {
    let others: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'BASE TABLE') \
         + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) \
         + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) \
         + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?)",
    )
    .bind(template)
    .bind(template)
    .bind(template)
    .bind(template)
    .fetch_one(pool)
    .await?;
    if others > 0 {
        return Ok(None);
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    )
    .bind(template)
    .fetch_all(pool)
    .await?;
    let mut creates = String::from("SET SESSION FOREIGN_KEY_CHECKS = 0;\n");
    let mut rows = String::new();
    for table in &tables {
        let source = format!("{}.{}", quoted(template), quoted(table));
        let shown = sqlx::query(AssertSqlSafe(format!("SHOW CREATE TABLE {source}")))
            .fetch_one(pool)
            .await?;
        let create: String = shown.try_get(1)?;
        creates.push_str(&create);
        creates.push_str(";\n");
        let filled: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {source})"
        )))
        .fetch_one(pool)
        .await?;
        if filled != 0 {
            rows.push_str(&format!(
                "INSERT INTO {} SELECT * FROM {source};\n",
                quoted(table)
            ));
        }
    }
    creates.push_str(&rows);
    creates.push_str("SET SESSION FOREIGN_KEY_CHECKS = 1;\n");
    Ok(Some(creates))
}

/// The table where sqlx records the migrations it ran: when each ran and how
/// long it took differ between any two migrated databases, so only what ran is
/// compared.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What a MariaDB database `schema` holds, table by table (sorted by name): its
/// definition as `SHOW CREATE TABLE` gives it (with the auto-increment counter)
/// and the checksum of its rows (of [`MIGRATIONS_TABLE`], the migrations that
/// ran: version, description, success and checksum).
async fn fingerprint(
    pool: &MySqlPool,
    schema: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    )
    .bind(schema)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for table in tables {
        let source = format!("{}.{}", quoted(schema), quoted(&table));
        let shown = sqlx::query(AssertSqlSafe(format!("SHOW CREATE TABLE {source}")))
            .fetch_one(pool)
            .await?;
        let create: String = shown.try_get(1)?;
        let rows: String = if table == MIGRATIONS_TABLE {
            sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(format!(
                "SELECT CAST(GROUP_CONCAT(CONCAT_WS(',', version, description, success, HEX(checksum)) \
                 ORDER BY version SEPARATOR ';') AS CHAR) FROM {source}"
            )))
            .fetch_one(pool)
            .await?
            .unwrap_or_default()
        } else {
            let summed = sqlx::query(AssertSqlSafe(format!("CHECKSUM TABLE {source}")))
                .fetch_one(pool)
                .await?;
            let checksum: Option<i64> = summed.try_get(1)?;
            checksum.map(|c| c.to_string()).unwrap_or_default()
        };
        out.push((table, create, rows));
    }
    Ok(out)
}

/// The URL of database `name` on the server of `admin_url`, credentials included.
pub(super) fn scenario_url(admin_url: &str, name: &str) -> String {
    match url::Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(name);
            url.to_string()
        }
        Err(_) => admin_url.to_string(),
    }
}

/// Where database `name` on the server of `admin_url` is, for output.
pub(super) fn scenario_location(admin_url: &str, name: &str) -> String {
    match url::Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(name);
            redact_url(url.as_str())
        }
        Err(_) => format!("{} database {name}", redact_url(admin_url)),
    }
}
