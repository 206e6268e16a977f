//! Kensho (検証): a scenario-testing and data-consistency harness.
//!
//! The services under test ([`billing`]) and the harness machinery ([`db`],
//! [`check`], [`report`]) live side by side and never import each other;
//! [`money`], [`input`], [`invariant`] (the declaration of business
//! invariants, which each service states and the harness checks) and [`fault`]
//! (lost connections, and the fault points scenarios inject them at) are shared.

pub mod authoring;
pub mod billing;
pub mod check;
pub mod consolidation;
pub mod db;
pub mod fault;
pub mod flags;
#[cfg(test)]
mod fuzz;
pub mod input;
pub mod invariant;
pub mod karte;
pub mod money;
pub mod report;
