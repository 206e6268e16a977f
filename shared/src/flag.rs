//! Runtime feature flags, stored in the database (`feature_flag`, created by the
//! shared migration) so they can be switched while the services run: every
//! operation reads its flag when it starts. A flag that was never set is off.
//!
//! A service declares each flag it reads as a [`Flag`] (name and meaning) and lists
//! them in its registration; the harness refuses any other name in scenarios and in
//! `@differential(flag)` tags.

use sqlx::migrate::Migrator;
use sqlx::{AssertSqlSafe, Row};

use crate::db::{Db, Engine};

/// The `feature_flag` table, per engine: applied before any service's migrations.
pub static MIGRATIONS_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
/// See [`MIGRATIONS_SQLITE`].
pub static MIGRATIONS_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
/// See [`MIGRATIONS_SQLITE`].
pub static MIGRATIONS_MARIADB: Migrator = sqlx::migrate!("migrations/mariadb");

/// The `feature_flag` migrations for `engine`.
pub fn migrations(engine: Engine) -> &'static Migrator {
    match engine {
        Engine::Sqlite => &MIGRATIONS_SQLITE,
        Engine::Postgres => &MIGRATIONS_POSTGRES,
        Engine::MariaDb => &MIGRATIONS_MARIADB,
    }
}

/// A feature flag a service reads: its name (`service.what`) and what on means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name scenarios and `@differential(...)` tags use.
    pub name: &'static str,
    /// What the flag switches, as a person would say it (shown in the catalogue).
    pub meaning: &'static str,
}

/// Errors reading or switching a flag.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// The name is not among the flags the registered services declare.
    #[error("unknown feature flag {name:?}; known flags: {known}")]
    Unknown {
        /// The name as written.
        name: String,
        /// The declared flags, comma-separated.
        known: String,
    },
    /// The database refused the read or write.
    #[error("feature flag {name}: {source}")]
    Sql {
        /// The flag.
        name: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl Flag {
    /// Whether the flag is on in `db`.
    pub async fn is_on(&self, db: &Db) -> Result<bool, FlagError> {
        is_on(db, self.name).await
    }
}

/// Whether the flag `name` is on in `db` (off when never set). The caller vouches
/// for the name (a declared [`Flag`], or one checked with [`check_known`]).
pub async fn is_on(db: &Db, name: &str) -> Result<bool, FlagError> {
    let err = |source| FlagError::Sql {
        name: name.to_string(),
        source,
    };
    let sql = match db {
        Db::Postgres(_) => "SELECT enabled FROM feature_flag WHERE name = $1",
        _ => "SELECT enabled FROM feature_flag WHERE name = ?",
    };
    let row = match db {
        Db::Sqlite(p) => sqlx::query(AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(p)
            .await
            .map_err(err)?
            .map(|r| r.try_get::<i16, _>(0)),
        Db::Postgres(p) => sqlx::query(AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(p)
            .await
            .map_err(err)?
            .map(|r| r.try_get::<i16, _>(0)),
        Db::MySql(p) => sqlx::query(AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(p)
            .await
            .map_err(err)?
            .map(|r| r.try_get::<i16, _>(0)),
    };
    Ok(row.transpose().map_err(err)?.unwrap_or(0) == 1)
}

/// `name` if it is one of `known`, else the error listing them.
pub fn check_known<'a>(name: &str, known: &[&'a Flag]) -> Result<&'a Flag, FlagError> {
    known
        .iter()
        .find(|f| f.name == name)
        .copied()
        .ok_or_else(|| FlagError::Unknown {
            name: name.to_string(),
            known: known.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
        })
}

/// Switches `flag` on or off in `db`.
pub async fn set(db: &Db, flag: &Flag, on: bool) -> Result<(), FlagError> {
    let name = flag.name;
    let err = |source| FlagError::Sql {
        name: name.to_string(),
        source,
    };
    let enabled = i16::from(on);
    match db {
        Db::Sqlite(p) => {
            sqlx::query("INSERT INTO feature_flag (name, enabled) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled")
                .bind(name).bind(enabled).execute(p).await.map_err(err)?;
        }
        Db::Postgres(p) => {
            sqlx::query("INSERT INTO feature_flag (name, enabled) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled")
                .bind(name).bind(enabled).execute(p).await.map_err(err)?;
        }
        Db::MySql(p) => {
            sqlx::query("INSERT INTO feature_flag (name, enabled) VALUES (?, ?) ON DUPLICATE KEY UPDATE enabled = VALUES(enabled)")
                .bind(name).bind(enabled).execute(p).await.map_err(err)?;
        }
    }
    Ok(())
}
