//! The generic steps every suite has, whatever its services: tables
//! ([`tables`]), feature flags ([`flags`]), commands ([`command`]), whole-database
//! comparisons ([`differential`]: differential runs, tables noted and compared) and
//! the closing checks the runner appends (business invariants, differential runs). Authoring
//! aids (dry run, catalogue) live in [`authoring`].

pub mod authoring;
pub mod command;
pub mod differential;
pub mod flags;
pub mod tables;

/// The source files of the harness's generic steps (as step locations name them).
pub const FILES: [&str; 4] = [authoring::FILE, command::FILE, flags::FILE, tables::FILE];
