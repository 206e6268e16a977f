//! Harness checks: table comparison (and, as the harness grows, invariants,
//! differential runs and concurrency statistics).

pub mod concurrency;
pub mod differential;
pub mod expect;
pub mod schema;
pub mod seed;
pub mod table;
