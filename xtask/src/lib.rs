//! Kensho's test tooling, kept out of the harness and the services: what the
//! scenario suite's `cargo test` target (`steps/suite.rs`, through a
//! dev-dependency) and the `xtask` binary (`cargo xtask mutation`) use.
//!
//! - [`browser`]: renders a page in headless Chromium and returns its DOM, for
//!   the check that the HTML report shows what a reader must see;
//! - [`mutants`]: the semantic mutants, each an edit of a service's code and the
//!   scenario that must kill it, tried in a copy of the tree ([`mutants::Lab`]);
//! - [`hack`]: the workspace hack, one feature set per third-party crate for
//!   every build (`cargo xtask hack` writes it, its test checks it is current);
//! - [`imports`]: the import graph of the workspace's files, which must have no
//!   circle (its test checks the workspace);
//! - [`new_service`]: the example service added to the suite in a copy of the
//!   tree with only the edits the README lists, its features run there;
//! - [`nextest`]: the nextest configuration against the features (every
//!   `@serial` feature one test at a time).
//!
//! Nothing here links the harness or a service: the mutants' lab builds the
//! suite's main job with cargo and runs it by its command line.

#![warn(missing_docs)]

pub mod browser;
pub mod hack;
pub mod imports;
pub mod mutants;
pub mod new_service;
pub mod nextest;
