//! Kensho (検証): a scenario-testing and data-consistency harness.
//!
//! This crate is the harness a team adopts; it never names a service. A service
//! plugs in through one [`Service`] registration (its migrations, invariants,
//! flags, step definitions and features) added to a [`Suite`]; the runner
//! ([`runner`]) runs every feature on every engine, each scenario in its own
//! database, and writes the reports.
//!
//! - [`db`]: engines, providers (embedded SQLite, containers, given URLs) and the
//!   isolated database of each scenario;
//! - [`world`]: the World of one scenario, with each service's own state;
//! - [`definitions`]: the step definitions as text (what kind of step a line is);
//! - [`steps`]: the generic steps (tables, flags, invariants, commands, authoring);
//! - [`check`]: tables, seeding and assertions, invariants, differential runs,
//!   concurrency statistics;
//! - [`command`]: running a program against the scenario's database;
//! - [`report`]: the run's events collected ([`report::collect`]) and written as
//!   JUnit, Cucumber JSON, HTML and Cucumber Messages reports;
//! - [`authoring`]: shards, tag checks, the dry run and the catalogue;
//! - [`selection`]: which scenarios a run takes on which engines, the per-engine
//!   copies of the features, and the scenarios as named tests;
//! - [`runner`]: options, engines, hooks, summary;
//! - [`turns`]: whose turn it is to run (`@serial` alone, `@serial(group)` one
//!   at a time within its group, a measuring step alone).
//!
//! What the harness and the services share (database handle and dialect, exact
//! money, the strict input reader, invariant and flag declarations, fault points)
//! is [`kensho_shared`], re-exported as [`shared`].

pub mod authoring;
pub mod check;
pub mod command;
pub mod db;
pub mod definitions;
#[cfg(test)]
mod fuzz;
pub mod gherkin;
pub mod report;
pub mod runner;
pub mod selection;
pub mod service;
pub mod steps;
pub mod turns;
pub mod world;

pub use kensho_shared as shared;
pub use service::{Service, Suite};
pub use world::{ScenarioWorld, Variant, refused_exactly};
