//! Kensho (検証): a scenario-testing and data-consistency harness.
//!
//! The services under test ([`billing`]) and the harness machinery ([`db`],
//! [`check`], [`report`]) live side by side and never import each other;
//! [`money`], [`input`] and [`invariant`] (the declaration of business
//! invariants, which each service states and the harness checks) are shared.

pub mod authoring;
pub mod billing;
pub mod check;
pub mod consolidation;
pub mod db;
pub mod flags;
pub mod input;
pub mod invariant;
pub mod karte;
pub mod money;
pub mod report;
