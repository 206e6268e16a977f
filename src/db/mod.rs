//! Databases: engines, providers and per-scenario isolated databases.
//!
//! - [`Engine`]: SQLite (embedded default), PostgreSQL, MariaDB (MySQL-compatible).
//! - [`provider`]: where an engine's server comes from: embedded files, an explicit
//!   URL, or a container started through testcontainers (one per engine per run).
//! - [`EngineServer`]: the running server of one engine for one run; it migrates a
//!   template once and hands every scenario its own fresh [`ScenarioDb`].
//!
//! Services receive a [`Db`] and write one SQL text per dialect where dialects differ.

mod container;
pub mod provider;
pub mod redact;
mod server;

use std::fmt;
use std::time::Duration;

pub use provider::{ImageSpec, ProviderSource};
pub use server::{EngineServer, ScenarioDb};

/// How long a statement waits for a lock before failing (`innodb_lock_wait_timeout`,
/// PostgreSQL `lock_timeout`, SQLite `busy_timeout`): short, so a blocked write shows
/// up as an error instead of a hung suite.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A database engine Kensho runs scenarios on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    Sqlite,
    Postgres,
    MariaDb,
}

impl Engine {
    /// Every engine, in the order runs and summaries list them.
    pub const ALL: [Engine; 3] = [Engine::Sqlite, Engine::Postgres, Engine::MariaDb];

    /// The engine's name as written in options, tags and output.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::MariaDb => "mariadb",
        }
    }

    /// Parses an engine name (`sqlite`, `postgres`/`postgresql`, `mariadb`/`mysql`).
    pub fn parse(text: &str) -> Result<Engine, DbError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Engine::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            "mariadb" | "mysql" => Ok(Engine::MariaDb),
            other => Err(DbError::UnknownEngine(other.to_string())),
        }
    }

    /// Parses a comma-separated list of engines, or `all`.
    pub fn parse_list(text: &str) -> Result<Vec<Engine>, DbError> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(Engine::ALL.to_vec());
        }
        let mut engines = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let engine = Engine::parse(part)?;
            if !engines.contains(&engine) {
                engines.push(engine);
            }
        }
        if engines.is_empty() {
            return Err(DbError::UnknownEngine(text.to_string()));
        }
        engines.sort();
        Ok(engines)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A connection pool to one database, by dialect.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

impl Db {
    /// The engine behind this handle.
    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
            Db::MySql(_) => Engine::MariaDb,
        }
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
            Db::MySql(p) => p.close().await,
        }
    }
}

/// Errors of the database layer. Each names the engine and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unknown engine {0:?}: use sqlite, postgres or mariadb (comma-separated), or all")]
    UnknownEngine(String),
    #[error("engine {engine} unavailable: {reason}")]
    Unavailable { engine: Engine, reason: String },
    #[error("{engine}: {action} on {location}: {source}")]
    Sql {
        engine: Engine,
        action: String,
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{engine}: migrating {location}: {source}")]
    Migrate {
        engine: Engine,
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("{engine}: {action} {path}: {source}")]
    Io {
        engine: Engine,
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The write gate of one SQLite database file: SQLite lets one writer in at a time,
/// and a writer that finds the database locked polls with growing sleeps (up to
/// 100 ms), so under contention a write can wait far longer than the writes ahead
/// of it take. Writers of this process that take the gate first queue in order
/// (first come, first served) instead. Other engines need none.
pub fn sqlite_write_gate(pool: &sqlx::SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, Weak};
    static GATES: Mutex<Option<HashMap<std::path::PathBuf, Weak<tokio::sync::Mutex<()>>>>> =
        Mutex::new(None);
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut gates = GATES.lock().unwrap_or_else(|e| e.into_inner());
    let gates = gates.get_or_insert_with(HashMap::new);
    gates.retain(|_, gate| gate.strong_count() > 0);
    if let Some(gate) = gates.get(&file).and_then(Weak::upgrade) {
        return gate;
    }
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    gates.insert(file, Arc::downgrade(&gate));
    gate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_lists_parse_and_reject_unknown_names() {
        assert_eq!(
            Engine::parse_list("mysql, sqlite,postgresql").unwrap(),
            vec![Engine::Sqlite, Engine::Postgres, Engine::MariaDb]
        );
        assert_eq!(Engine::parse_list("all").unwrap(), Engine::ALL.to_vec());
        let err = Engine::parse_list("sqlite,oracle").unwrap_err().to_string();
        assert!(err.contains("\"oracle\""), "{err}");
        assert!(Engine::parse_list(" , ").is_err());
    }
}
