//! The running server of one engine for one run, and the isolated database each
//! scenario gets on it.
//!
//! - SQLite: one migrated template file per run; a scenario gets a copy of it.
//! - PostgreSQL: one migrated template database per run; a scenario gets
//!   `CREATE DATABASE .. TEMPLATE ..`.
//! - MariaDB: no templates; a scenario gets `CREATE DATABASE` plus the migrations.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, MySqlPool, PgPool};
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage};

use super::redact::redact_url;
use super::{Db, DbError, Engine, LOCK_WAIT, ProviderSource, container};

/// Connections per scenario database.
const SCENARIO_POOL_SIZE: u32 = 5;
/// How long to keep trying to log in to a server that has just started.
const LOGIN_PATIENCE: Duration = Duration::from_secs(60);

enum Target {
    Sqlite {
        dir: PathBuf,
        template: PathBuf,
    },
    Postgres {
        admin: PgPool,
        base: PgConnectOptions,
        admin_url: String,
        template: String,
    },
    MariaDb {
        admin: MySqlPool,
        base: MySqlConnectOptions,
        admin_url: String,
    },
}

/// One engine's server for this run: owns the container (if it started one) and
/// creates and drops the per-scenario databases.
pub struct EngineServer {
    engine: Engine,
    described: String,
    run_id: String,
    next: AtomicU64,
    target: Target,
    /// Serialises `CREATE DATABASE .. TEMPLATE`: PostgreSQL refuses to copy a
    /// template another session is copying at the same moment.
    create_lock: tokio::sync::Mutex<()>,
    container: Mutex<Option<ContainerAsync<GenericImage>>>,
    /// The schema every scenario database gets (the registered services').
    migrator: Migrator,
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
    /// How long creating it took.
    pub created_in: Duration,
}

impl std::fmt::Debug for ScenarioDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScenarioDb({} {})", self.engine, self.location)
    }
}

fn sql_err(
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

fn migrate_err(
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

/// Names Kensho generates are plain identifiers; this guards the places where they
/// are spliced into DDL.
fn checked_identifier(name: &str) -> &str {
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "generated database name {name:?} is not a plain identifier"
    );
    name
}

async fn retry_login<T, F, Fut>(engine: Engine, url: &str, mut connect: F) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let deadline = Instant::now() + LOGIN_PATIENCE;
    loop {
        match connect().await {
            Ok(value) => return Ok(value),
            Err(e) if Instant::now() < deadline => {
                tracing::debug!(%engine, error = %e, "server not ready yet");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                return Err(DbError::Unavailable {
                    engine,
                    reason: format!(
                        "cannot log in to {} within {LOGIN_PATIENCE:?}: {e}",
                        redact_url(url)
                    ),
                });
            }
        }
    }
}

impl EngineServer {
    /// Brings up the engine's server for a run: starts a container or connects to the
    /// given URL, and prepares the template the scenario databases are made from,
    /// migrated by `migrator` (see [`crate::Suite::migrator`]).
    pub async fn start(
        engine: Engine,
        source: &ProviderSource,
        run_id: &str,
        migrator: Migrator,
    ) -> Result<EngineServer, DbError> {
        let run_id = checked_identifier(run_id).to_string();
        let mut started = None;
        let admin_url = match source {
            ProviderSource::Embedded { dir } => {
                return Self::start_sqlite(dir, &run_id, source.describe(), migrator).await;
            }
            ProviderSource::Url(url) => url.clone(),
            ProviderSource::Container(spec) => {
                match container::sweep_leftovers(engine).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(%engine, "removed {n} container(s) left by earlier runs")
                    }
                    Err(e) => return Err(e),
                }
                let c = container::start(engine, spec).await?;
                let url = c.admin_url.clone();
                started = Some(c.container);
                url
            }
        };
        let described = match source {
            ProviderSource::Container(_) => {
                format!("{} at {}", source.describe(), redact_url(&admin_url))
            }
            _ => source.describe(),
        };
        let bad_url = |e: sqlx::Error| DbError::Unavailable {
            engine,
            reason: format!("{} is not a usable URL: {e}", redact_url(&admin_url)),
        };
        let target = match engine {
            Engine::Postgres => {
                let base = PgConnectOptions::from_str(&admin_url)
                    .map_err(bad_url)?
                    .options([("lock_timeout", format!("{}ms", LOCK_WAIT.as_millis()))]);
                let admin = retry_login(engine, &admin_url, || {
                    PgPoolOptions::new()
                        .max_connections(2)
                        .connect_with(base.clone())
                })
                .await?;
                let template = format!("kensho_tpl_{run_id}");
                let location = redact_url(&admin_url);
                // UTF-8 with byte-order collation whatever the server's defaults (a
                // cluster initialised as SQL_ASCII counts VARCHAR lengths in bytes), as
                // MariaDB's utf8mb4_bin and SQLite do.
                sqlx::query(AssertSqlSafe(format!(
                    "CREATE DATABASE \"{template}\" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
                )))
                    .execute(&admin)
                    .await
                    .map_err(sql_err(engine, "creating the template database", &location))?;
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(base.clone().database(&template))
                    .await
                    .map_err(sql_err(
                        engine,
                        "connecting to the template database",
                        &location,
                    ))?;
                migrator
                    .run(&pool)
                    .await
                    .map_err(migrate_err(engine, &format!("template {template}")))?;
                pool.close().await;
                Target::Postgres {
                    admin,
                    base,
                    admin_url,
                    template,
                }
            }
            Engine::MariaDb => {
                let base = MySqlConnectOptions::from_str(&admin_url).map_err(bad_url)?;
                let admin = retry_login(engine, &admin_url, || {
                    MySqlPoolOptions::new()
                        .max_connections(2)
                        .connect_with(base.clone())
                })
                .await?;
                Target::MariaDb {
                    admin,
                    base,
                    admin_url,
                }
            }
            Engine::Sqlite => unreachable!("SQLite is embedded"),
        };
        Ok(EngineServer {
            engine,
            described,
            run_id,
            next: AtomicU64::new(1),
            target,
            create_lock: tokio::sync::Mutex::new(()),
            container: Mutex::new(started),
            migrator,
        })
    }

    async fn start_sqlite(
        base_dir: &Path,
        run_id: &str,
        described: String,
        migrator: Migrator,
    ) -> Result<EngineServer, DbError> {
        let engine = Engine::Sqlite;
        let dir = base_dir.join(run_id);
        std::fs::create_dir_all(&dir).map_err(|source| DbError::Io {
            engine,
            action: "creating folder",
            path: dir.display().to_string(),
            source,
        })?;
        let template = dir.join("template.sqlite");
        let location = template.display().to_string();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&template)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Delete),
            )
            .await
            .map_err(sql_err(engine, "creating the template database", &location))?;
        migrator
            .run(&pool)
            .await
            .map_err(migrate_err(engine, &location))?;
        pool.close().await;
        Ok(EngineServer {
            engine,
            described,
            run_id: run_id.to_string(),
            next: AtomicU64::new(1),
            target: Target::Sqlite { dir, template },
            create_lock: tokio::sync::Mutex::new(()),
            container: Mutex::new(None),
            migrator,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Where this engine's server is, for output (no passwords).
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Whether this run started a container for the engine.
    pub fn owns_container(&self) -> bool {
        self.container.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Creates a fresh, migrated database for one scenario.
    pub async fn create_scenario_db(&self) -> Result<ScenarioDb, DbError> {
        self.create_scenario_db_with_pool(SCENARIO_POOL_SIZE).await
    }

    /// As [`EngineServer::create_scenario_db`], with a pool of `pool_size`
    /// connections (for measurements with many concurrent clients).
    pub async fn create_scenario_db_with_pool(
        &self,
        pool_size: u32,
    ) -> Result<ScenarioDb, DbError> {
        let began = Instant::now();
        let engine = self.engine;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("kensho_{}_{n:05}", self.run_id);
        let name = checked_identifier(&name).to_string();
        let (location, url, db) = match &self.target {
            Target::Sqlite { dir, template } => {
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
                    .max_connections(pool_size.max(1))
                    .connect_with(
                        SqliteConnectOptions::new()
                            .filename(&path)
                            .busy_timeout(LOCK_WAIT)
                            .journal_mode(SqliteJournalMode::Wal)
                            .foreign_keys(true),
                    )
                    .await
                    .map_err(sql_err(engine, "opening", &location))?;
                (location, url, Db::Sqlite(pool))
            }
            Target::Postgres {
                admin,
                base,
                admin_url,
                template,
            } => {
                let location = scenario_location(admin_url, &name);
                {
                    let _one_at_a_time = self.create_lock.lock().await;
                    sqlx::query(AssertSqlSafe(format!(
                        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                    )))
                    .execute(admin)
                    .await
                    .map_err(sql_err(
                        engine,
                        "creating the scenario database",
                        &location,
                    ))?;
                }
                tracing::debug!(%engine, database = %name, elapsed = ?began.elapsed(), "created from the template");
                let pool = PgPoolOptions::new()
                    .max_connections(pool_size.max(1))
                    .connect_with(base.clone().database(&name))
                    .await
                    .map_err(sql_err(engine, "connecting", &location))?;
                (location, scenario_url(admin_url, &name), Db::Postgres(pool))
            }
            Target::MariaDb {
                admin,
                base,
                admin_url,
            } => {
                let location = scenario_location(admin_url, &name);
                sqlx::query(AssertSqlSafe(format!(
                    "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )))
                .execute(admin)
                .await
                .map_err(sql_err(
                    engine,
                    "creating the scenario database",
                    &location,
                ))?;
                let lock_wait = format!(
                    "SET SESSION innodb_lock_wait_timeout = {}",
                    LOCK_WAIT.as_secs()
                );
                let pool = MySqlPoolOptions::new()
                    .max_connections(pool_size.max(1))
                    .after_connect(move |conn, _| {
                        let sql = lock_wait.clone();
                        Box::pin(async move {
                            sqlx::query(AssertSqlSafe(sql)).execute(conn).await?;
                            Ok(())
                        })
                    })
                    .connect_with(base.clone().database(&name))
                    .await
                    .map_err(sql_err(engine, "connecting", &location))?;
                self.migrator
                    .run(&pool)
                    .await
                    .map_err(migrate_err(engine, &location))?;
                (location, scenario_url(admin_url, &name), Db::MySql(pool))
            }
        };
        Ok(ScenarioDb {
            engine,
            name,
            location,
            url,
            db,
            created_in: began.elapsed(),
        })
    }

    /// Closes a scenario's database and removes it.
    pub async fn drop_scenario_db(&self, scenario: ScenarioDb) -> Result<(), DbError> {
        scenario.db.close().await;
        let engine = self.engine;
        let name = checked_identifier(&scenario.name);
        match &self.target {
            Target::Sqlite { .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let path = format!("{}{suffix}", scenario.location);
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
            Target::Postgres { admin, .. } => {
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(admin)
                .await
                .map_err(sql_err(engine, "dropping", &scenario.location))?;
            }
            Target::MariaDb { admin, .. } => {
                sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
                    .execute(admin)
                    .await
                    .map_err(sql_err(engine, "dropping", &scenario.location))?;
            }
        }
        Ok(())
    }

    /// Ends the run on this engine: removes the template and, unless `keep` (some
    /// scenario failed and its database was kept), the container. A kept container
    /// is removed by the next run's sweep.
    pub async fn finish(self, keep: bool) -> Option<String> {
        let mut kept = None;
        match &self.target {
            Target::Sqlite { dir, template } => {
                let _ = tokio::fs::remove_file(template).await;
                if !keep {
                    let _ = tokio::fs::remove_dir(dir).await;
                }
            }
            Target::Postgres {
                admin, template, ..
            } => {
                let _ = sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"
                )))
                .execute(admin)
                .await;
                admin.close().await;
            }
            Target::MariaDb { admin, .. } => admin.close().await,
        }
        let container = self.container.lock().ok().and_then(|mut c| c.take());
        if let Some(container) = container {
            if keep {
                kept = Some(container.id().to_string());
                // Dropping the handle would remove the container; keep it for inspection.
                std::mem::forget(container);
            } else if let Err(e) = container.rm().await {
                tracing::warn!(engine = %self.engine, "removing the container: {e}");
            }
        }
        kept
    }
}

/// The URL of database `name` on the server of `admin_url`, credentials included.
fn scenario_url(admin_url: &str, name: &str) -> String {
    match url::Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(name);
            url.to_string()
        }
        Err(_) => admin_url.to_string(),
    }
}

fn scenario_location(admin_url: &str, name: &str) -> String {
    match url::Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(name);
            redact_url(url.as_str())
        }
        Err(_) => format!("{} database {name}", redact_url(admin_url)),
    }
}
