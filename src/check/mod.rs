//! Harness checks: tables as scenarios write them ([`table`]), the schema that
//! identifiers are checked against ([`schema`]), seeding ([`seed`]) and asserting
//! ([`expect`]) tables, the services' business invariants ([`invariants`]),
//! differential runs ([`differential`]) and concurrency statistics
//! ([`concurrency`]).

pub mod concurrency;
pub mod differential;
pub mod expect;
pub mod invariants;
pub mod schema;
pub mod seed;
pub mod table;
