//! The scenario suite: the three services under test registered with the Kensho
//! harness, and their step definitions (one module per domain, compiled once).
//!
//! The main job (`cargo run`, [`main.rs`]) and `cargo test` (`suite.rs`) both run
//! [`suite`]. A service's registration is the `SERVICE` value beside its steps.

pub mod bad_input;
pub mod billing;
pub mod consolidation;
pub mod fault;
pub mod karte;
pub mod object_store;

use std::path::{Path, PathBuf};

use kensho::{Service, Suite};

/// The project root (the folder holding `features/` and `fixtures/`).
pub fn root() -> PathBuf {
    let steps = Path::new(env!("CARGO_MANIFEST_DIR"));
    steps.parent().unwrap_or(steps).to_path_buf()
}

/// The project root with a trailing `/`, as messages strip it.
pub fn root_prefix() -> String {
    format!("{}/", root().display())
}

/// Every service of this suite, in the order the catalogue lists them.
pub const SERVICES: [&Service; 3] = [&billing::SERVICE, &consolidation::SERVICE, &karte::SERVICE];

/// The suite: the services under test, for the project at [`root`], with what
/// their columns mean to a reader (the reports' money and labels).
pub fn suite() -> Suite {
    SERVICES
        .into_iter()
        .fold(Suite::new(root()), |suite, service| suite.service(service))
        .vocabulary(kensho_billing::VOCABULARY)
        .vocabulary(kensho_consolidation::VOCABULARY)
}
