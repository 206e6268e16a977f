//! How a service plugs into the harness: one [`Service`] value per service, and the
//! [`Suite`] of the services a run tests.
//!
//! ```ignore
//! // steps/stock.rs, next to the service's step definitions
//! pub static SERVICE: kensho::Service = kensho::Service {
//!     name: "stock",
//!     about: "在庫 stock levels per warehouse",
//!     migrations: &stock::MIGRATIONS,
//!     invariants: stock::INVARIANTS,
//!     flags: stock::FLAGS,
//!     features: &["features/stock/"],
//!     steps: &[file!()],
//!     amount_tables: &["stock_level"],
//!     build: &[],
//! };
//! // and where the suite is put together, what its columns mean to a reader:
//! // Suite::new(root).service(&SERVICE).vocabulary(stock::VOCABULARY)
//! ```
//!
//! The step definitions are the `#[given]`/`#[when]`/`#[then]` functions on
//! [`crate::ScenarioWorld`] in the file `steps` names; per-scenario state of the
//! service lives in the World through [`crate::ScenarioWorld::state`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kensho_shared::db::{Engine, Migrations};
use kensho_shared::flag::Flag;
use kensho_shared::invariant::Invariant;
use kensho_shared::vocabulary::Term;
use sqlx::migrate::{Migration, Migrator};

/// One service under test, as the harness needs to know it.
#[derive(Debug)]
pub struct Service {
    /// Short name (`[a-z_]+`): used in `--service`, invariant reports and the catalogue.
    pub name: &'static str,
    /// One line saying what the service is (shown in the catalogue).
    pub about: &'static str,
    /// Its tables, per engine; applied to every scenario database.
    pub migrations: &'static Migrations,
    /// The business invariants checked after every scenario.
    pub invariants: &'static [Invariant],
    /// The feature flags it reads (switchable in scenarios and `@differential`).
    pub flags: &'static [Flag],
    /// Feature files or folders that exercise it, relative to the project root
    /// (prefixes: `features/fault/ledger_` takes every file whose path starts so).
    pub features: &'static [&'static str],
    /// The source files of its step definitions (`file!()` there).
    pub steps: &'static [&'static str],
    /// Tables whose rows the report shows after each scenario (amounts and the
    /// like an accountant reads).
    pub amount_tables: &'static [&'static str],
    /// Command lines the runner runs once, from the project root, before any
    /// scenario: building the programs its features run (a failure stops the run).
    pub build: &'static [&'static str],
}

/// A registration the harness cannot use.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Two services (or a service and the shared flag table) use one migration version.
    #[error(
        "migration version {version} of {engine} is declared by both {first} and {second}: give each service its own version numbers"
    )]
    DuplicateVersion {
        /// The engine whose migrations clash.
        engine: Engine,
        /// The version.
        version: i64,
        /// The service (or `shared`) that declared it first.
        first: String,
        /// The other one.
        second: String,
    },
    /// Two services with one name.
    #[error("two services are registered as {0:?}: names must be unique")]
    DuplicateName(String),
    /// A name outside `[a-z_]+`.
    #[error("service name {0:?}: use lowercase letters and '_' only")]
    BadName(String),
}

/// The services one run tests, and where the project lives.
#[derive(Debug, Clone)]
pub struct Suite {
    root: PathBuf,
    services: Vec<&'static Service>,
    vocabulary: Vec<Term>,
}

impl Suite {
    /// A suite of no service yet, for the project at `root` (the folder holding
    /// `features/` and `fixtures/`).
    pub fn new(root: impl Into<PathBuf>) -> Suite {
        Suite {
            root: root.into(),
            services: Vec::new(),
            vocabulary: Vec::new(),
        }
    }

    /// Adds a service.
    pub fn service(mut self, service: &'static Service) -> Suite {
        self.services.push(service);
        self
    }

    /// Adds what a service's columns mean to a reader (its declared
    /// [`Term`]s: money, codes and their labels), which the reports use.
    pub fn vocabulary(mut self, terms: &'static [Term]) -> Suite {
        self.vocabulary.extend_from_slice(terms);
        self
    }

    /// Every declared term of every service, in registration order.
    pub fn terms(&self) -> &[Term] {
        &self.vocabulary
    }

    /// Checks the registrations (names, migration versions per engine).
    pub fn validate(&self) -> Result<(), RegistrationError> {
        let mut names = std::collections::BTreeSet::new();
        for s in &self.services {
            if s.name.is_empty() || !s.name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(RegistrationError::BadName(s.name.to_string()));
            }
            if !names.insert(s.name) {
                return Err(RegistrationError::DuplicateName(s.name.to_string()));
            }
        }
        for engine in Engine::ALL {
            self.migrator(engine)?;
        }
        Ok(())
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The registered services, in registration order.
    pub fn services(&self) -> &[&'static Service] {
        &self.services
    }

    /// The service named `name`.
    pub fn find(&self, name: &str) -> Option<&'static Service> {
        self.services.iter().copied().find(|s| s.name == name)
    }

    /// Every invariant of every service.
    pub fn invariants(&self) -> Vec<Invariant> {
        self.services
            .iter()
            .flat_map(|s| s.invariants.iter().copied())
            .collect()
    }

    /// Every flag of every service.
    pub fn flags(&self) -> Vec<&'static Flag> {
        self.services.iter().flat_map(|s| s.flags.iter()).collect()
    }

    /// Every table whose rows the report shows.
    pub fn amount_tables(&self) -> Vec<&'static str> {
        self.services
            .iter()
            .flat_map(|s| s.amount_tables.iter().copied())
            .collect()
    }

    /// The feature paths of the named services (project-relative prefixes).
    pub fn features_of(&self, names: &[String]) -> Vec<String> {
        self.services
            .iter()
            .filter(|s| names.iter().any(|n| n == s.name))
            .flat_map(|s| s.features.iter().map(|f| f.to_string()))
            .collect()
    }

    /// One migrator for `engine`: the shared flag table, then every service's
    /// migrations, in version order. Two declarations of one version are refused.
    pub fn migrator(&self, engine: Engine) -> Result<Migrator, RegistrationError> {
        let mut all: BTreeMap<i64, (String, Migration)> = BTreeMap::new();
        let sources = std::iter::once(("shared", kensho_shared::flag::migrations(engine))).chain(
            self.services
                .iter()
                .map(|s| (s.name, s.migrations.for_engine(engine))),
        );
        for (owner, migrator) in sources {
            for migration in migrator.iter() {
                if let Some((first, _)) = all.get(&migration.version) {
                    return Err(RegistrationError::DuplicateVersion {
                        engine,
                        version: migration.version,
                        first: first.clone(),
                        second: owner.to_string(),
                    });
                }
                all.insert(migration.version, (owner.to_string(), migration.clone()));
            }
        }
        Ok(Migrator::with_migrations(
            all.into_values().map(|(_, m)| m).collect(),
        ))
    }
}

/// A suite shared by the runner, its hooks and every World.
pub type SharedSuite = Arc<Suite>;

#[cfg(test)]
mod tests {
    use super::*;
    use kensho_shared::invariant::Rule;

    static ONE: Migrations = Migrations {
        sqlite: Migrator::DEFAULT,
        postgres: Migrator::DEFAULT,
        mariadb: Migrator::DEFAULT,
    };

    static A: Service = Service {
        name: "ledger",
        about: "a ledger",
        migrations: &ONE,
        invariants: &[Invariant {
            service: "ledger",
            name: "one entry per key",
            rule: Rule::Unique {
                table: "entry",
                columns: &["key"],
                only_where: None,
            },
        }],
        flags: &[Flag {
            name: "ledger.fast",
            meaning: "fast path",
        }],
        features: &["features/ledger/"],
        steps: &["steps/ledger.rs"],
        amount_tables: &["entry"],
        build: &[],
    };

    #[test]
    fn a_suite_collects_what_its_services_declare() {
        let suite = Suite::new("/p").service(&A);
        suite.validate().unwrap();
        assert_eq!(suite.invariants().len(), 1);
        assert_eq!(suite.flags()[0].name, "ledger.fast");
        assert_eq!(
            suite.features_of(&["ledger".into()]),
            vec!["features/ledger/"]
        );
        assert!(suite.features_of(&["other".into()]).is_empty());
        // The shared flag table is always there.
        let versions: Vec<i64> = suite
            .migrator(Engine::Sqlite)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, vec![0]);
    }

    #[test]
    fn names_are_checked() {
        let twice = Suite::new("/p").service(&A).service(&A);
        assert_eq!(
            twice.validate().unwrap_err().to_string(),
            "two services are registered as \"ledger\": names must be unique"
        );
    }
}
