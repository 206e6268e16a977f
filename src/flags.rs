//! Runtime feature flags, stored in the database (`feature_flag`) so they can be
//! switched while the services run: every operation reads its flag when it starts.
//! A flag that was never set is off.

use sqlx::{AssertSqlSafe, Row};

use crate::db::Db;

/// Feature flags the services know.
pub mod names {
    /// 連結会計: run the pipeline in memory and save once (on), or load and save
    /// the statement around every step, the original design (off).
    pub const CONSOLIDATION_IN_MEMORY: &str = "consolidation.in_memory";
}

/// Every flag the services read; a name outside this list is refused.
pub const KNOWN: [&str; 1] = [names::CONSOLIDATION_IN_MEMORY];

#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    #[error("unknown feature flag {0:?}; known flags: {known}", known = KNOWN.join(", "))]
    Unknown(String),
    #[error("feature flag {name}: {source}")]
    Sql {
        name: String,
        #[source]
        source: sqlx::Error,
    },
}

fn known(name: &str) -> Result<&'static str, FlagError> {
    KNOWN
        .into_iter()
        .find(|k| *k == name)
        .ok_or_else(|| FlagError::Unknown(name.to_string()))
}

/// Whether `name` is on.
pub async fn is_on(db: &Db, name: &str) -> Result<bool, FlagError> {
    let name = known(name)?;
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

/// Switches `name` on or off.
pub async fn set(db: &Db, name: &str, on: bool) -> Result<(), FlagError> {
    let name = known(name)?;
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
