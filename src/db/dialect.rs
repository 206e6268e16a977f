//! What each server engine does its own way when a run starts on it: logging in
//! with its connection options, the run's lock, connecting to the template to
//! migrate it, and what the scenario databases' copies need of the migrated
//! template (PostgreSQL's copy strategy by server version, MariaDB's copy
//! script). The steps themselves are written once in `super::server`, over
//! [`Admin`].

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, MySqlConnection, MySqlPool, PgConnection, PgPool};

use super::admin::{Admin, pg_lock_key, run_lock_name};
use super::health::{self, Health};
use super::login::login;
use super::maker::{
    FILE_COPY, STRATEGY_SINCE, Target, copy_script, mariadb_pool, migrate_err, sql_err,
};
use super::redact::redact_url;
use super::{DbError, Engine, LOCK_WAIT};

/// Admin connections per server: one for each of the warm pool's
/// [`FILLERS`](super::pool::FILLERS), one for the dropper, so that a scenario's
/// copy never waits for a drop, and one for the run's own work (its template,
/// the sweep of ended runs).
const ADMIN_CONNECTIONS: u32 = super::pool::FILLERS as u32 + 2;

/// A server logged in to: the admin pool, and the options its connections
/// were made with (for the connections to other databases of the server).
pub(super) enum Server {
    Postgres {
        admin: PgPool,
        base: PgConnectOptions,
    },
    MariaDb {
        admin: MySqlPool,
        base: MySqlConnectOptions,
    },
}

impl Server {
    /// Logs in to `engine`'s server at `admin_url` and opens the admin pool; a
    /// failure names the URL (without password), the cause and what to check.
    pub(super) async fn log_in(engine: Engine, admin_url: &str) -> Result<Server, DbError> {
        let bad_url = |e: sqlx::Error| DbError::Unavailable {
            engine,
            reason: format!("{} is not a usable URL: {e}", redact_url(admin_url)),
        };
        match engine {
            Engine::Postgres => {
                let base = PgConnectOptions::from_str(admin_url)
                    .map_err(bad_url)?
                    .options([("lock_timeout", format!("{}ms", LOCK_WAIT.as_millis()))]);
                let admin = login(engine, admin_url, &base, || {
                    PgPoolOptions::new()
                        .max_connections(ADMIN_CONNECTIONS)
                        .connect_with(base.clone())
                })
                .await?;
                Ok(Server::Postgres { admin, base })
            }
            Engine::MariaDb => {
                let base = MySqlConnectOptions::from_str(admin_url).map_err(bad_url)?;
                let admin = login(engine, admin_url, &base, || {
                    MySqlPoolOptions::new()
                        .max_connections(ADMIN_CONNECTIONS)
                        .connect_with(base.clone())
                })
                .await?;
                Ok(Server::MariaDb { admin, base })
            }
            Engine::Sqlite => unreachable!("SQLite is embedded"),
        }
    }

    /// The admin operations on this server.
    pub(super) fn admin(&self) -> Admin<'_> {
        match self {
            Server::Postgres { admin, .. } => Admin::Pg(admin),
            Server::MariaDb { admin, .. } => Admin::MariaDb(admin),
        }
    }

    fn engine(&self) -> Engine {
        self.admin().engine()
    }

    /// Takes run `run_id`'s lock on the server ([`RunLock`]).
    pub(super) async fn take_run_lock(
        &self,
        run_id: &str,
        location: &str,
    ) -> Result<RunLock, DbError> {
        let engine = self.engine();
        let connecting = || sql_err(engine, "connecting to hold the run's lock", location);
        let taking = || sql_err(engine, "taking the run's lock", location);
        let (lock, taken) = match self {
            Server::Postgres { base, .. } => {
                let mut connection = PgConnection::connect_with(base)
                    .await
                    .map_err(connecting())?;
                let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(pg_lock_key(run_id))
                    .fetch_one(&mut connection)
                    .await
                    .map_err(taking())?;
                (RunLock::Postgres(connection), taken)
            }
            Server::MariaDb { base, .. } => {
                let mut connection = MySqlConnection::connect_with(base)
                    .await
                    .map_err(connecting())?;
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)")
                        .bind(run_lock_name(run_id))
                        .fetch_one(&mut connection)
                        .await
                        .map_err(taking())?;
                (RunLock::MariaDb(connection), taken == Some(1))
            }
        };
        if !taken {
            lock.release().await;
            return Err(DbError::Unavailable {
                engine,
                reason: format!(
                    "another run with the same id ({run_id}) holds its lock on the server; start again"
                ),
            });
        }
        Ok(lock)
    }

    /// Runs `migrator` on database `template` of the server, on a connection of
    /// its own, closed afterwards.
    pub(super) async fn migrate(
        &self,
        template: &str,
        migrator: &Migrator,
        location: &str,
    ) -> Result<(), DbError> {
        let engine = self.engine();
        let connecting = sql_err(engine, "connecting to the template database", location);
        let named = format!("template {template}");
        let migrating = migrate_err(engine, &named);
        match self {
            Server::Postgres { base, .. } => {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(base.clone().database(template))
                    .await
                    .map_err(connecting)?;
                let result = migrator.run(&pool).await.map_err(migrating);
                pool.close().await;
                result
            }
            Server::MariaDb { base, .. } => {
                let pool = mariadb_pool(base, template, 1).await.map_err(connecting)?;
                let result = migrator.run(&pool).await.map_err(migrating);
                pool.close().await;
                result
            }
        }
    }

    /// Where the scenario databases are made, from the migrated `template`: on
    /// PostgreSQL with the copy strategy the server's version knows, on MariaDB
    /// with the template's copy script (none when the template holds more than
    /// tables).
    pub(super) async fn into_target(
        self,
        admin_url: String,
        template: String,
        location: &str,
    ) -> Result<Target, DbError> {
        let engine = self.engine();
        match self {
            Server::Postgres { admin, base } => {
                let version: String = sqlx::query_scalar("SHOW server_version_num")
                    .fetch_one(&admin)
                    .await
                    .map_err(sql_err(engine, "reading the server's version", location))?;
                let strategy = match version.trim().parse::<i64>() {
                    Ok(n) if n >= STRATEGY_SINCE => FILE_COPY,
                    _ => "",
                };
                Ok(Target::Postgres {
                    admin,
                    base,
                    admin_url,
                    template,
                    strategy,
                })
            }
            Server::MariaDb { admin, base } => {
                let pool = mariadb_pool(&base, &template, 1).await.map_err(sql_err(
                    engine,
                    "connecting to the template database",
                    location,
                ))?;
                let copy = copy_script(&pool, &template).await;
                pool.close().await;
                let copy =
                    copy.map_err(sql_err(engine, "reading the template's tables", location))?;
                if copy.is_none() {
                    tracing::info!(%engine, "the template holds more than tables: each scenario database runs the migrations");
                }
                Ok(Target::MariaDb {
                    admin,
                    base,
                    admin_url,
                    template,
                    copy,
                })
            }
        }
    }
}

/// Starts the heartbeat that watches the server of `target` ([`health::watch`]).
pub(super) fn heartbeat(target: &Target, health: &Health) -> tokio::task::JoinHandle<()> {
    match target {
        Target::Postgres {
            base, admin_url, ..
        } => health::watch(health.clone(), base.clone(), admin_url),
        Target::MariaDb {
            base, admin_url, ..
        } => health::watch(health.clone(), base.clone(), admin_url),
        Target::Sqlite { .. } => unreachable!("SQLite is embedded"),
    }
}

/// A run's mark on a server given by URL (or in its container): a session lock it
/// holds on a connection of its own from before it creates its first database
/// until it ends. The server releases it when that connection ends, however the
/// run ends (`kill -9` included), so another run tells an ended run from a
/// running one by whether its lock is held — on any host, without clocks. On
/// PostgreSQL it is a session advisory lock (seen by every database of the server
/// in `pg_locks`); on MariaDB a named lock (`GET_LOCK`, server-wide).
pub(super) enum RunLock {
    Postgres(PgConnection),
    MariaDb(MySqlConnection),
}

impl RunLock {
    /// Releases the lock by closing its connection.
    pub(super) async fn release(self) {
        let _ = match self {
            RunLock::Postgres(connection) => connection.close().await,
            RunLock::MariaDb(connection) => connection.close().await,
        };
    }
}
