//! The generic steps every suite has, whatever its services: tables
//! ([`tables`]), feature flags ([`flags`]), commands ([`command`]), whole-database
//! comparisons ([`differential`]: differential runs, tables noted and compared),
//! what a project file holds ([`files`]) and the closing checks the runner appends
//! (business invariants, differential runs). Authoring
//! aids (dry run, catalogue) live in [`authoring`]; the files a step may read in
//! [`paths`]; proofs that an assertion step can
//! fail in [`proof`].

pub mod authoring;
pub mod command;
pub mod differential;
pub mod files;
pub mod flags;
pub mod paths;
pub mod proof;
pub mod tables;

/// The source files of the harness's generic steps (as step locations name them).
pub const FILES: [&str; 6] = [
    authoring::FILE,
    command::FILE,
    files::FILE,
    flags::FILE,
    proof::FILE,
    tables::FILE,
];
