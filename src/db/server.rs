//! The running server of one engine for one run: its container or URL, the run's
//! lock on it, its migrated template (one file for SQLite, one database on a
//! server), the isolated database each scenario gets (made by [`super::maker`],
//! handed out by [`super::pool`]), and the run's end on it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::mysql::MySqlPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage};

use super::admin::{Admin, HeldLock, checked_identifier};
use super::dialect::{self, RunLock, Server};
use super::health::{self, Health};
use super::login::LOGIN_WAIT;
use super::maker::{Maker, SCENARIO_POOL_SIZE, ScenarioDb, Target, migrate_err, sql_err};
use super::pool::{Dropper, Warm};
use super::redact::redact_url;
use super::{DbError, Engine, ProviderSource, container};

/// Longest a run waits for another to finish making the shared template: making
/// it (creating and migrating one database) takes a few seconds.
const SHARED_TEMPLATE_WAIT: Duration = Duration::from_secs(120);

/// The run's template: the shared one ([`shared_template_name`]) or its own.
fn template_name(shared: bool, migrator: &Migrator, run_id: &str) -> String {
    if shared {
        shared_template_name(migrator)
    } else {
        format!("kensho_tpl_{run_id}")
    }
}

/// One engine's server for this run: owns the container (if it started one), the
/// run's template, and the making, handing out and dropping of the per-scenario
/// databases (through the warm pool once [`EngineServer::warm_up`] started it).
pub struct EngineServer {
    described: String,
    maker: Arc<Maker>,
    container: Mutex<Option<ContainerAsync<GenericImage>>>,
    /// The connection holding this run's lock on the server ([`RunLock`]).
    run_lock: tokio::sync::Mutex<Option<RunLock>>,
    /// What start-up removed of ended runs (or could not), one sentence each.
    leftovers: Vec<String>,
    /// The ready databases, once warmed up.
    warm: Option<Warm>,
    /// Drops used databases in the background, once warmed up.
    dropper: Option<Dropper>,
    /// The template is shared between runs ([`SHARED_TEMPLATES_VAR`]): kept at
    /// the end.
    shared_template: bool,
    /// Whether the server is still there (never lost for SQLite).
    health: Health,
    /// The heartbeat that watches a server's [`Health`], aborted at the end.
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

/// Set (to anything) by a runner of many short runs against servers given by
/// URL (the nextest setup script, `.config/nextest-servers.sh`): the runs share
/// one migrated template per server, `kensho_tpl_shared_<checksum>` named by the
/// checksum of the migrations ([`shared_template_name`]), found again by that
/// name instead of migrating a template per run. The first run makes it under a
/// lock on the server; it stays (it goes with the server's container).
pub const SHARED_TEMPLATES_VAR: &str = "KENSHO_SHARED_TEMPLATES";

/// The shared template's name for `migrator`: its migrations' versions and
/// checksums hashed (FNV-1a, 64 bits), so a changed migration makes a new one.
pub fn shared_template_name(migrator: &Migrator) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in migrator.iter() {
        for byte in m.version.to_le_bytes().iter().chain(m.checksum.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("kensho_tpl_shared_{hash:016x}")
}

/// The server-side lock name (MariaDB) or key (PostgreSQL) under which a run
/// makes a shared template.
fn shared_template_lock(template: &str) -> String {
    format!("{template}_making")
}

/// With `shared`, takes the lock under which a run makes the shared `template`
/// (waiting up to [`SHARED_TEMPLATE_WAIT`] for a run making it); `None` without.
async fn lock_shared_template(
    admin: Admin<'_>,
    engine: Engine,
    shared: bool,
    template: &str,
    location: &str,
) -> Result<Option<HeldLock>, DbError> {
    if !shared {
        return Ok(None);
    }
    match admin
        .lock(&shared_template_lock(template), SHARED_TEMPLATE_WAIT)
        .await
        .map_err(sql_err(engine, "locking the shared template", location))?
    {
        Some(lock) => Ok(Some(lock)),
        None => Err(DbError::Unavailable {
            engine,
            reason: format!(
                "another run held the lock on the shared template {template} for {} s; is a run stuck? (or unset {SHARED_TEMPLATES_VAR})",
                SHARED_TEMPLATE_WAIT.as_secs()
            ),
        }),
    }
}

/// Makes the run's `template` on `server`, migrated by `migrator`: created and
/// migrated, or, when `shared`, found again if a run made it already (the first
/// run makes it under a lock, and never leaves it half-made). Returns whether it
/// was found again.
async fn make_template(
    server: &Server,
    shared: bool,
    template: &str,
    migrator: &Migrator,
    location: &str,
) -> Result<bool, DbError> {
    let admin = server.admin();
    let engine = admin.engine();
    // A shared template is made once, under a lock, by the first run.
    let making = lock_shared_template(admin, engine, shared, template, location).await?;
    let reused = making.is_some()
        && admin.database_exists(template).await.map_err(sql_err(
            engine,
            "looking for the shared template",
            location,
        ))?;
    if !reused {
        admin.create_template(template).await.map_err(sql_err(
            engine,
            "creating the template database",
            location,
        ))?;
        let migrated = server.migrate(template, migrator, location).await;
        if migrated.is_err() && shared {
            // Never leave a half-made shared template for the next run.
            let _ = admin.drop_database(template).await;
        }
        migrated?;
    }
    if let Some(lock) = making {
        lock.release().await;
    }
    Ok(reused)
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
        let mut leftovers = Vec::new();
        let (admin_url, started) = match source {
            ProviderSource::Embedded { dir } => {
                return Self::start_sqlite(dir, &run_id, source.describe(), migrator).await;
            }
            ProviderSource::Url(url) => (url.clone(), None),
            ProviderSource::Container(spec) => {
                leftovers.extend(container::sweep_leftovers(engine).await?);
                let c = container::start(engine, spec).await?;
                (c.admin_url.clone(), Some(c.container))
            }
        };
        let location = redact_url(&admin_url);
        let described = match source {
            ProviderSource::Container(_) => format!("{} at {location}", source.describe()),
            _ => source.describe(),
        };
        let by_url = matches!(source, ProviderSource::Url(_));
        let shared = by_url && std::env::var_os(SHARED_TEMPLATES_VAR).is_some();
        let server = Server::log_in(engine, &admin_url).await?;
        let run_lock = server.take_run_lock(&run_id, &location).await?;
        if by_url {
            leftovers.extend(sweep_ended_runs(server.admin(), &run_id).await);
        }
        let template = template_name(shared, &migrator, &run_id);
        let reused = make_template(&server, shared, &template, &migrator, &location).await?;
        let target = server.into_target(admin_url, template, &location).await?;
        let health = Health::new(engine);
        let heartbeat = Some(dialect::heartbeat(&target, &health));
        let mut maker = Maker::new(engine, run_id, target, migrator);
        // A shared template found again was checked by the run that made it.
        if !reused {
            maker.check_copy().await?;
        }
        Ok(EngineServer {
            described,
            maker: Arc::new(maker),
            container: Mutex::new(started),
            run_lock: tokio::sync::Mutex::new(Some(run_lock)),
            leftovers,
            warm: None,
            dropper: None,
            shared_template: shared,
            health,
            heartbeat,
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
            described,
            maker: Arc::new(Maker::new(
                engine,
                run_id.to_string(),
                Target::Sqlite { dir, template },
                migrator,
            )),
            container: Mutex::new(None),
            run_lock: tokio::sync::Mutex::new(None),
            leftovers: Vec::new(),
            warm: None,
            dropper: None,
            shared_template: false,
            health: Health::new(engine),
            heartbeat: None,
        })
    }

    pub fn engine(&self) -> Engine {
        self.maker.engine
    }

    /// Where this engine's server is, for output (no passwords).
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Whether this run started a container for the engine.
    pub fn owns_container(&self) -> bool {
        self.container.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Whether the engine's server is still there (see [`super::health`]).
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// From now on, keeps up to `size` scenario databases ready in the
    /// background, and drops used ones in the background (see [`super::pool`]).
    pub fn warm_up(&mut self, size: usize) {
        if self.warm.is_none() {
            self.warm = Some(Warm::start(self.maker.clone(), size, self.health.clone()));
            self.dropper = Some(Dropper::start(self.maker.clone(), self.health.clone()));
        }
    }

    /// A fresh, migrated database for one scenario: from the warm pool once
    /// warmed up, else made now. Once the server is lost, the error names the
    /// loss at once.
    pub async fn create_scenario_db(&self) -> Result<ScenarioDb, DbError> {
        let lost = |lost: Arc<health::Lost>| DbError::Unavailable {
            engine: self.engine(),
            reason: lost.message(),
        };
        if let Some(gone) = self.health.is_lost() {
            return Err(lost(gone));
        }
        let made = async {
            match &self.warm {
                Some(warm) => warm.take().await,
                None => self.maker.create(SCENARIO_POOL_SIZE).await,
            }
        };
        tokio::select! {
            made = made => made,
            gone = self.health.lost() => Err(lost(gone)),
        }
    }

    /// A database made now (never from the warm pool) with a pool of
    /// `pool_size` connections (for measurements with many concurrent clients).
    pub async fn create_scenario_db_with_pool(
        &self,
        pool_size: u32,
    ) -> Result<ScenarioDb, DbError> {
        self.maker.create(pool_size).await
    }

    /// Closes a scenario's database and removes it: in the background once
    /// warmed up (the run's end waits for it), else now.
    pub async fn drop_scenario_db(&self, scenario: ScenarioDb) -> Result<(), DbError> {
        if self.health.is_lost().is_some() {
            // Nothing to drop it on; its connections go with the handle.
            return Ok(());
        }
        match &self.dropper {
            Some(dropper) => {
                dropper.drop_later(scenario);
                Ok(())
            }
            None => self.maker.drop_scenario_db(scenario).await,
        }
    }

    /// Closes a failed scenario's database and keeps it for inspection (until the
    /// next run's sweep); returns where it is.
    pub async fn keep_scenario_db(&self, scenario: ScenarioDb) -> String {
        scenario.db.close().await;
        self.maker.keep(&scenario.name);
        scenario.location
    }

    /// What start-up removed of ended runs on this engine (containers, databases on
    /// a server given by URL), or could not, one sentence each.
    pub fn leftovers(&self) -> &[String] {
        &self.leftovers
    }

    /// Why the engine's server is gone, if it is: its container stopped or was
    /// removed during the run, or the server does not answer. `None` for SQLite and
    /// for a server that answers.
    pub async fn gone(&self) -> Option<String> {
        if let Some(lost) = self.health.is_lost() {
            return Some(lost.message());
        }
        let container = self
            .container
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|c| c.id().to_string()));
        if let Some(id) = container {
            let short = &id[..id.len().min(12)];
            match container::state(self.engine(), &id).await {
                Ok(container::State::Running) => {}
                Ok(container::State::Stopped { exit_code }) => {
                    return Some(match exit_code {
                        Some(code) => format!(
                            "its container {short} stopped during the run (exit code {code})"
                        ),
                        None => format!("its container {short} stopped during the run"),
                    });
                }
                Ok(container::State::Missing) => {
                    return Some(format!("its container {short} was removed during the run"));
                }
                Err(e) => return Some(format!("its container {short} cannot be seen: {e}")),
            }
        }
        let answer = match &self.maker.target {
            Target::Sqlite { .. } => return None,
            Target::Postgres { admin, .. } => {
                tokio::time::timeout(LOGIN_WAIT, sqlx::query("SELECT 1").execute(admin))
                    .await
                    .map(|r| r.map(drop))
            }
            Target::MariaDb { admin, .. } => {
                tokio::time::timeout(LOGIN_WAIT, sqlx::query("SELECT 1").execute(admin))
                    .await
                    .map(|r| r.map(drop))
            }
        };
        match answer {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("the server does not answer ({e})")),
            Err(_) => Some(format!(
                "the server does not answer within {} s",
                LOGIN_WAIT.as_secs()
            )),
        }
    }

    /// How another thread removes what this run has on the engine, with
    /// connections of its own, when the runner itself cannot (it is blocked).
    pub fn cleanup_plan(&self) -> CleanupPlan {
        let container = self
            .container
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|c| c.id().to_string()));
        let engine = self.engine();
        match (&self.maker.target, container) {
            (_, Some(id)) => CleanupPlan::Container { engine, id },
            (Target::Sqlite { dir, .. }, None) => CleanupPlan::Folder { dir: dir.clone() },
            (Target::Postgres { admin_url, .. } | Target::MariaDb { admin_url, .. }, None) => {
                CleanupPlan::Databases {
                    engine,
                    admin_url: admin_url.clone(),
                    run_id: self.maker.run_id.clone(),
                }
            }
        }
    }

    /// Ends the run on this engine: drops the databases of scenarios that never
    /// finished (a stopped run), removes the template, releases the run's lock and,
    /// unless `keep` (some scenario failed and its database was kept), the
    /// container. A kept container is removed by the next run's sweep; a container
    /// that stopped during the run is removed, never kept. Returns the id of a kept
    /// container.
    pub async fn finish(mut self, keep: bool) -> Option<String> {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        let gone = self.gone().await.is_some();
        let engine = self.engine();
        // The pool's unused databases are closed here and dropped below with the
        // others still counted; the dropper finishes its queue first.
        if let Some(warm) = self.warm.take() {
            for scenario in warm.stop().await {
                scenario.db.close().await;
            }
        }
        if let Some(dropper) = self.dropper.take() {
            dropper.finish().await;
        }
        let unfinished = self.maker.take_live();
        if !gone {
            for name in unfinished {
                let location = self.maker.location_of(&name);
                if let Err(e) = self.maker.drop_database(&name, &location).await {
                    eprintln!(
                        "kensho: {engine}: could not drop the database of a scenario that did not finish: {e}"
                    );
                }
            }
        }
        let mut kept = None;
        match &self.maker.target {
            Target::Sqlite { dir, template } => {
                let _ = tokio::fs::remove_file(template).await;
                if !keep {
                    let _ = tokio::fs::remove_dir(dir).await;
                }
            }
            Target::Postgres {
                admin, template, ..
            } => {
                if !gone && !self.shared_template {
                    let _ = Admin::Pg(admin).drop_database(template).await;
                }
                admin.close().await;
            }
            Target::MariaDb {
                admin, template, ..
            } => {
                if !gone && !self.shared_template {
                    let _ = Admin::MariaDb(admin).drop_database(template).await;
                }
                admin.close().await;
            }
        }
        if let Some(lock) = self.run_lock.lock().await.take() {
            lock.release().await;
        }
        let container = self.container.lock().ok().and_then(|mut c| c.take());
        if let Some(container) = container {
            if keep && !gone {
                kept = Some(container.id().to_string());
                // Dropping the handle would remove the container; keep it for inspection.
                std::mem::forget(container);
            } else if let Err(e) = container.rm().await {
                tracing::warn!(%engine, "removing the container: {e}");
            }
        }
        kept
    }
}

/// Drops, on a server given by URL, the databases of runs that have ended (their
/// lock is free); `own` is this run. Returns what it did as sentences.
async fn sweep_ended_runs(admin: Admin<'_>, own: &str) -> Vec<String> {
    let owned = match admin.runs_databases().await {
        Ok(owned) => owned,
        Err(e) => {
            return vec![format!(
                "could not list the databases of ended runs ({e}); they stay"
            )];
        }
    };
    let mut removed = Vec::new();
    let mut said = Vec::new();
    let mut checked: Option<(String, bool)> = None;
    for (run, name) in owned {
        if run == own {
            continue;
        }
        let ended = match &checked {
            Some((last, ended)) if *last == run => *ended,
            _ => {
                let ended = match admin.run_is_running(&run).await {
                    Ok(running) => !running,
                    Err(e) => {
                        said.push(format!(
                            "could not tell whether run {run} has ended ({e}); its databases stay"
                        ));
                        false
                    }
                };
                checked = Some((run.clone(), ended));
                ended
            }
        };
        if !ended {
            continue;
        }
        match admin.drop_database(&name).await {
            Ok(()) => removed.push(name),
            Err(e) => said.push(format!(
                "could not drop database {name} left by an ended run: {e}"
            )),
        }
    }
    if !removed.is_empty() {
        said.insert(
            0,
            format!(
                "removed {} database{} left by ended runs: {}",
                removed.len(),
                if removed.len() == 1 { "" } else { "s" },
                removed.join(", ")
            ),
        );
    }
    said
}

/// How to remove what a run has on one engine from another thread, with
/// connections of its own (when the runner is blocked and the process must end).
pub enum CleanupPlan {
    /// The run's SQLite folder.
    Folder {
        /// The folder.
        dir: PathBuf,
    },
    /// The run's databases on a server given by URL.
    Databases {
        /// The engine.
        engine: Engine,
        /// The admin URL (with credentials: never printed).
        admin_url: String,
        /// The run.
        run_id: String,
    },
    /// The container the run started (its databases go with it).
    Container {
        /// The engine.
        engine: Engine,
        /// The container's id.
        id: String,
    },
}

impl CleanupPlan {
    /// The engine the plan is for.
    pub fn engine(&self) -> Engine {
        match self {
            CleanupPlan::Folder { .. } => Engine::Sqlite,
            CleanupPlan::Databases { engine, .. } | CleanupPlan::Container { engine, .. } => {
                *engine
            }
        }
    }

    /// Removes it; says what was removed.
    pub async fn execute(&self) -> Result<String, DbError> {
        match self {
            CleanupPlan::Folder { dir } => match tokio::fs::remove_dir_all(dir).await {
                Ok(()) => Ok(format!("removed {}", dir.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok(format!("{} was already gone", dir.display()))
                }
                Err(source) => Err(DbError::Io {
                    engine: Engine::Sqlite,
                    action: "removing",
                    path: dir.display().to_string(),
                    source,
                }),
            },
            CleanupPlan::Container { engine, id } => {
                container::remove(*engine, id).await?;
                Ok(format!("removed container {}", &id[..id.len().min(12)]))
            }
            CleanupPlan::Databases {
                engine,
                admin_url,
                run_id,
            } => {
                let engine = *engine;
                let location = redact_url(admin_url);
                let failed = sql_err(engine, "dropping this run's databases", &location);
                let names: Vec<String> = match engine {
                    Engine::Postgres => {
                        let pool = PgPoolOptions::new()
                            .max_connections(1)
                            .connect(admin_url)
                            .await
                            .map_err(sql_err(engine, "connecting", &location))?;
                        let admin = Admin::Pg(&pool);
                        drop_run(admin, run_id).await.map_err(failed)?
                    }
                    Engine::MariaDb => {
                        let pool = MySqlPoolOptions::new()
                            .max_connections(1)
                            .connect(admin_url)
                            .await
                            .map_err(sql_err(engine, "connecting", &location))?;
                        let admin = Admin::MariaDb(&pool);
                        drop_run(admin, run_id).await.map_err(failed)?
                    }
                    Engine::Sqlite => Vec::new(),
                };
                Ok(format!(
                    "dropped {} database{} of this run on {location}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                ))
            }
        }
    }
}

/// Drops every database of run `run_id`; returns their names.
async fn drop_run(admin: Admin<'_>, run_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut dropped = Vec::new();
    for (run, name) in admin.runs_databases().await? {
        if run == run_id {
            admin.drop_database(&name).await?;
            dropped.push(name);
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use crate::db::login::LoginFailure;

    use super::*;

    /// Port 1 on the loopback address: nothing listens there, so the connection is
    /// refused.
    const NOTHING_THERE: &str = "127.0.0.1:1";

    #[tokio::test]
    async fn a_server_given_by_url_that_refuses_is_unavailable_with_the_cause_and_no_password() {
        for (engine, url) in [
            (
                Engine::Postgres,
                format!("postgres://postgres:s3cret@{NOTHING_THERE}/postgres?sslpassword=k3y"),
            ),
            (
                Engine::MariaDb,
                format!("mysql://root@{NOTHING_THERE}/mysql?password=s3cret"),
            ),
        ] {
            let source = ProviderSource::Url(url);
            let err = match EngineServer::start(engine, &source, "t", Migrator::DEFAULT).await {
                Ok(_) => panic!("{engine}: a server at {NOTHING_THERE} was reached"),
                Err(e) => e,
            };
            let DbError::Unavailable {
                engine: named,
                reason,
            } = &err
            else {
                panic!("{engine}: {err}");
            };
            assert_eq!(*named, engine);
            assert!(
                reason.contains("connection refused")
                    && reason.contains("check the URL's host and port"),
                "{reason}"
            );
            assert!(
                !reason.contains("s3cret") && !reason.contains("k3y"),
                "{reason}"
            );
        }
    }

    #[test]
    fn authentication_failures_are_told_apart() {
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        assert_eq!(
            LoginFailure::of(&io(std::io::ErrorKind::ConnectionRefused)),
            LoginFailure::Refused
        );
        assert_eq!(
            LoginFailure::of(&io(std::io::ErrorKind::TimedOut)),
            LoginFailure::NoAnswer
        );
        assert_eq!(
            LoginFailure::of(&sqlx::Error::Protocol("x".into())),
            LoginFailure::Other
        );
        // PostgreSQL's wrong password (28P01) and MariaDB's access denied (28000)
        // are rejected logins; an unknown database (3D000) is something else.
        for (code, failure) in [
            ("28P01", LoginFailure::Authentication),
            ("28000", LoginFailure::Authentication),
            ("3D000", LoginFailure::Other),
        ] {
            let e = sqlx::Error::Database(Box::new(ServerSaid(code)));
            assert_eq!(LoginFailure::of(&e), failure, "{code}");
        }
    }

    /// A database error with a SQLSTATE code, as a server sends it at login.
    #[derive(Debug)]
    struct ServerSaid(&'static str);

    impl std::fmt::Display for ServerSaid {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for ServerSaid {}

    impl sqlx::error::DatabaseError for ServerSaid {
        fn message(&self) -> &str {
            "login refused"
        }

        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }

        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }
}
