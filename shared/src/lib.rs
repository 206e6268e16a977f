//! Kensho's shared layer: what the harness and the services under test both use,
//! and nothing else.
//!
//! - [`db`]: the database handle ([`db::Db`]) and the engine it runs on;
//! - [`dialect`]: where SQLite, PostgreSQL and MariaDB differ in SQL, in one place;
//! - [`money`]: exact amounts (never floating point);
//! - [`input`]: the strict reader of input files (CSV);
//! - [`invariant`] and [`flag`]: how a service declares its business invariants
//!   and feature flags, which the harness checks and switches;
//! - [`vocabulary`]: what a service's columns mean to a reader (money, codes
//!   and their labels), which the harness's reports show;
//! - [`fault`]: lost connections, and the fault points scenarios inject them at;
//! - [`text`]: the closest known names, for error messages;
//! - [`calendar`]: civil dates as day counts, for times kept in milliseconds;
//! - [`secret`]: the passwords a process knows, masked in any text it shows.
//!
//! A service depends on this crate only; the harness depends on it and never on a
//! service.

pub mod calendar;
pub mod db;
pub mod dialect;
pub mod fault;
pub mod flag;
pub mod input;
pub mod invariant;
pub mod money;
pub mod secret;
pub mod text;
pub mod vocabulary;
