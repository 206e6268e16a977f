//! Databases: engines, providers and per-scenario isolated databases.
//!
//! - [`Engine`] and [`Db`] (from the shared layer): SQLite (embedded default),
//!   PostgreSQL, MariaDB (MySQL-compatible), and the connection pool by dialect.
//! - [`provider`]: where an engine's server comes from: embedded files, an explicit
//!   URL, or a container started through testcontainers (one per engine per run).
//! - [`EngineServer`]: the running server of one engine for one run; it migrates a
//!   template once (with every registered service's migrations) and hands every
//!   scenario its own fresh [`ScenarioDb`].

mod admin;
mod container;
mod dialect;
pub mod health;
mod login;
mod maker;
mod pool;
pub mod provider;
pub mod redact;
mod server;

pub use health::{Health, Lost};
pub use kensho_shared::db::{Db, DbError, Engine, LOCK_WAIT, sqlite_write_gate};
pub use maker::ScenarioDb;
pub use provider::{ImageSpec, ProviderSource};
pub use server::{CleanupPlan, EngineServer};
