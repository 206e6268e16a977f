//! The scenario suite: the three services under test registered with the Kensho
//! harness, and their step definitions (one module per domain, compiled once).
//!
//! The main job (`cargo run`, [`main.rs`]) and `cargo test` (`suite.rs`) both run
//! [`suite`]. A service's registration is the `SERVICE` value beside its steps,
//! named once in `services!` below.

pub mod bad_input;
pub mod fault;
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

/// Declares each service's module (`steps/<name>.rs`: its steps and its
/// registration `SERVICE`) and lists the registrations in [`SERVICES`], in the
/// order written: a service is added to the suite by one line here, its name.
macro_rules! services {
    ($($name:ident),+ $(,)?) => {
        $(pub mod $name;)+

        /// Every service of this suite, in the order the catalogue lists them.
        pub const SERVICES: &[&Service] = &[$(&$name::SERVICE),+];
    };
}

services! {
    billing,
    consolidation,
    karte,
}

/// The suite: the services under test (with what their columns mean to a
/// reader), for the project at [`root`].
pub fn suite() -> Suite {
    SERVICES
        .iter()
        .fold(Suite::new(root()), |suite, service| suite.service(service))
}

/// The one command that rewrites the step catalogue from the step definitions
/// and the features, run from the project root.
pub const CATALOGUE_COMMAND: &str = "cargo run -- --catalogue > docs/steps.md";

/// What is wrong with the committed step catalogue `docs/steps.md` (its text,
/// `None` when there is none) against the one `--catalogue` generates now:
/// `None` when they are the same, else a message giving the command that
/// rewrites it.
pub fn stale_catalogue(committed: Option<&str>, generated: &str) -> Option<String> {
    match committed {
        Some(text) if text == generated => None,
        Some(_) => Some(format!(
            "docs/steps.md is out of date (a step, a service or a feature changed since it was written): run `{CATALOGUE_COMMAND}`"
        )),
        None => Some(format!(
            "docs/steps.md is missing: run `{CATALOGUE_COMMAND}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stale_or_missing_catalogue_is_told_the_command_that_rewrites_it() {
        let generated = "# Step catalogue\n";
        assert_eq!(crate::stale_catalogue(Some(generated), generated), None);
        assert_eq!(
            crate::stale_catalogue(Some("# Step catalogue\nold\n"), generated).as_deref(),
            Some(
                "docs/steps.md is out of date (a step, a service or a feature changed since it was written): run `cargo run -- --catalogue > docs/steps.md`"
            )
        );
        assert_eq!(
            crate::stale_catalogue(None, generated).as_deref(),
            Some("docs/steps.md is missing: run `cargo run -- --catalogue > docs/steps.md`")
        );
    }

    /// The catalogue names the same command in its own header, so a reader of
    /// the file and of the failure run the same one.
    #[test]
    fn the_catalogue_names_the_command_that_rewrites_it() {
        let committed = std::fs::read_to_string(crate::root().join("docs/steps.md")).unwrap();
        assert!(
            committed.contains(&format!("`{}`", crate::CATALOGUE_COMMAND)),
            "docs/steps.md does not name {}",
            crate::CATALOGUE_COMMAND
        );
    }

    use kensho::db::Engine;
    use kensho::runner::features::scenario_tests;

    /// The scenario target's test names over the real features: every one unique
    /// (the listing refuses two scenarios with one name), stable for the
    /// scenarios the README and CI name, Japanese scenarios named by line.
    #[test]
    fn scenario_test_names_are_unique_and_stable() {
        let root = crate::root();
        let tests = scenario_tests(&root, &root.join("features"), &Engine::ALL)
            .unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
        let mut names: Vec<&str> = tests.iter().map(|t| t.name.as_str()).collect();
        let listed = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), listed, "test names repeat");
        for name in [
            "billing::rerun::the_article_s_steps_1_to_5_leave_exactly_the_expected_billing_table::postgres",
            "billing::rerun::running_the_batch_again_changes_nothing::sqlite",
            "consolidation::consolidated_statement_ja::line_22::mariadb",
        ] {
            assert!(names.binary_search(&name).is_ok(), "{name} is not listed");
        }
        let main = tests
            .iter()
            .find(|t| {
                t.name
                    .starts_with("billing::rerun::the_article_s_steps_1_to_5")
            })
            .expect("the main billing scenario is listed");
        assert_eq!(
            (main.path.as_str(), main.engine),
            ("features/billing/rerun.feature", Engine::Sqlite)
        );
        assert!(tests.iter().any(|t| t.slow), "@slow scenarios are marked");
        assert!(
            tests.iter().all(|t| t.name.is_ascii()),
            "a test name outside ASCII"
        );
    }
}
