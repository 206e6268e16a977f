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
//!     vocabulary: stock::VOCABULARY,
//!     build: &[],
//! };
//! // and where the suite is put together:
//! // Suite::new(root).service(&SERVICE)
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
    /// What its columns mean to a reader (its declared [`Term`]s: money, codes
    /// and their labels), which the reports use; `&[]` when it declares none.
    pub vocabulary: &'static [Term],
    /// Command lines the runner runs once, from the project root, before any
    /// scenario: building the programs its features run (a failure stops the run).
    pub build: &'static [&'static str],
}

/// A registration the harness cannot use.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Two services (or a service and the shared flag table) use one migration
    /// version: the harness applies every service's migrations to one database,
    /// in one sequence of versions.
    #[error(transparent)]
    DuplicateVersion(Box<VersionClash>),
    /// Two services with one name.
    #[error("two services are registered as {0:?}: names must be unique")]
    DuplicateName(String),
    /// A name outside `[a-z_]+`.
    #[error("service name {0:?}: use lowercase letters and '_' only")]
    BadName(String),
}

/// One migration version declared by two services, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub struct VersionClash {
    /// The engines whose migrations clash so (each engine's folder `migrations/<engine>/`).
    pub engines: Vec<Engine>,
    /// The version.
    pub version: i64,
    /// The service (or `shared`) that declared it first.
    pub first: String,
    /// Its migration file (`0001_billing.sql`).
    pub first_file: String,
    /// The other one, registered later: the one to renumber.
    pub second: String,
    /// Its migration file.
    pub second_file: String,
    /// The lowest version above every version the other services (and the
    /// shared flag table) declare on any engine.
    pub next_free: i64,
    /// The second service's migration files, in their order, each with the name
    /// it takes when they are renumbered from `next_free` on: (now, then).
    pub renumbered: Vec<(String, String)>,
}

impl std::fmt::Display for VersionClash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let folders: Vec<String> = self
            .engines
            .iter()
            .map(|e| format!("migrations/{e}/"))
            .collect();
        let folders = match folders.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let renames: Vec<String> = self
            .renumbered
            .iter()
            .map(|(now, then)| format!("{now} to {then}"))
            .collect();
        write!(
            f,
            "migration version {} is declared by both {} ({}) and {} ({}) in {folders}: each service needs version numbers of its own (every service's migrations go into one database); the next free one is {}: renumber {}'s migrations from it, in their order: rename {} in {}",
            self.version,
            self.first,
            self.first_file,
            self.second,
            self.second_file,
            self.next_free,
            self.second,
            renames.join(", "),
            if self.engines.len() > 1 {
                "each of those folders"
            } else {
                "that folder"
            },
        )
    }
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

    /// Adds a service, with its vocabulary.
    pub fn service(mut self, service: &'static Service) -> Suite {
        self.services.push(service);
        self.vocabulary.extend_from_slice(service.vocabulary);
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
        // One clash usually spans the three engines: it is reported once, with
        // every engine's folder that has it.
        let mut clashes: Vec<VersionClash> = Vec::new();
        for engine in Engine::ALL {
            if let Err(RegistrationError::DuplicateVersion(clash)) = self.migrator(engine) {
                match clashes.iter_mut().find(|c| {
                    (
                        c.version,
                        &c.first,
                        &c.first_file,
                        &c.second,
                        &c.second_file,
                    ) == (
                        clash.version,
                        &clash.first,
                        &clash.first_file,
                        &clash.second,
                        &clash.second_file,
                    )
                }) {
                    Some(same) => same.engines.push(engine),
                    None => clashes.push(*clash),
                }
            }
        }
        match clashes.into_iter().next() {
            Some(clash) => Err(RegistrationError::DuplicateVersion(Box::new(clash))),
            None => Ok(()),
        }
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

    /// Every source of migrations: the shared flag table (owner `shared`), then
    /// each service, in registration order.
    fn migration_sources(&self, engine: Engine) -> Vec<(&'static str, &'static Migrator)> {
        std::iter::once(("shared", kensho_shared::flag::migrations(engine)))
            .chain(
                self.services
                    .iter()
                    .map(|s| (s.name, s.migrations.for_engine(engine))),
            )
            .collect()
    }

    /// One migrator for `engine`: the shared flag table, then every service's
    /// migrations, in version order. Two declarations of one version are refused,
    /// naming both services, both files and how to renumber the later one.
    pub fn migrator(&self, engine: Engine) -> Result<Migrator, RegistrationError> {
        let mut all: BTreeMap<i64, (&str, Migration)> = BTreeMap::new();
        for (owner, migrator) in self.migration_sources(engine) {
            for migration in migrator.iter() {
                if let Some((first, earlier)) = all.get(&migration.version) {
                    let next_free = self.next_free_version(owner);
                    let renumbered = migrator
                        .iter()
                        .zip(next_free..)
                        .map(|(m, then)| (migration_file(m, m.version), migration_file(m, then)))
                        .collect();
                    return Err(RegistrationError::DuplicateVersion(Box::new(
                        VersionClash {
                            engines: vec![engine],
                            version: migration.version,
                            first: first.to_string(),
                            first_file: migration_file(earlier, earlier.version),
                            second: owner.to_string(),
                            second_file: migration_file(migration, migration.version),
                            next_free,
                            renumbered,
                        },
                    )));
                }
                all.insert(migration.version, (owner, migration.clone()));
            }
        }
        Ok(Migrator::with_migrations(
            all.into_values().map(|(_, m)| m).collect(),
        ))
    }

    /// The lowest version above every version any source but `owner` declares
    /// on any engine: `owner`'s migrations renumbered from there on, in their
    /// order, clash with none, on all three engines.
    fn next_free_version(&self, owner: &str) -> i64 {
        Engine::ALL
            .into_iter()
            .flat_map(|engine| self.migration_sources(engine))
            .filter(|(source, _)| *source != owner)
            .flat_map(|(_, migrator)| migrator.iter().map(|m| m.version))
            .max()
            .map_or(0, |v| v + 1)
    }
}

/// The name of the file a migration was read from, with `version` as its
/// number: `sqlx::migrate!` takes `<version>_<description>.sql` and turns the `_`
/// of the description into spaces; the project writes versions with four digits.
fn migration_file(migration: &Migration, version: i64) -> String {
    format!(
        "{version:04}_{}.sql",
        migration.description.replace(' ', "_")
    )
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
        vocabulary: &[Term {
            service: "ledger",
            table: "entry",
            column: "amount",
            headers: &[],
            meaning: kensho_shared::vocabulary::Meaning::Money { currency: "JPY" },
        }],
        build: &[],
    };

    /// Migrations of the given versions and descriptions, the same on every engine.
    fn migrations(declared: &[(i64, &'static str)]) -> &'static Migrations {
        use sqlx::SqlSafeStr;
        use sqlx::migrate::MigrationType;
        let one = || {
            Migrator::with_migrations(
                declared
                    .iter()
                    .map(|&(version, description)| {
                        Migration::new(
                            version,
                            description.into(),
                            MigrationType::Simple,
                            "SELECT 1".into_sql_str(),
                            false,
                        )
                    })
                    .collect(),
            )
        };
        Box::leak(Box::new(Migrations {
            sqlite: one(),
            postgres: one(),
            mariadb: one(),
        }))
    }

    /// A service named `name` with `migrations` and nothing else.
    fn with_migrations(name: &'static str, migrations: &'static Migrations) -> &'static Service {
        Box::leak(Box::new(Service {
            name,
            about: "",
            migrations,
            invariants: &[],
            flags: &[],
            features: &[],
            steps: &[],
            amount_tables: &[],
            vocabulary: &[],
            build: &[],
        }))
    }

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
        // What its columns mean comes with the service.
        assert_eq!(suite.terms(), A.vocabulary);
    }

    #[test]
    fn a_clash_of_migration_versions_names_both_files_and_how_to_renumber() {
        let ledger = with_migrations("ledger", migrations(&[(1, "ledger"), (6, "ledger more")]));
        let audit = with_migrations("audit", migrations(&[(12, "audit")]));
        let stock = with_migrations("stock", migrations(&[(6, "stock"), (9, "stock moves")]));
        let suite = Suite::new("/p")
            .service(ledger)
            .service(audit)
            .service(stock);
        assert_eq!(
            suite.validate().unwrap_err().to_string(),
            "migration version 6 is declared by both ledger (0006_ledger_more.sql) and stock \
             (0006_stock.sql) in migrations/sqlite/, migrations/postgres/ and migrations/mariadb/: \
             each service needs version numbers of its own (every service's migrations go into \
             one database); the next free one is 13: renumber stock's migrations from it, in \
             their order: rename 0006_stock.sql to 0013_stock.sql, 0009_stock_moves.sql to \
             0014_stock_moves.sql in each of those folders"
        );
        // One engine's migrator names that engine's folder only.
        let one = suite.migrator(Engine::MariaDb).unwrap_err().to_string();
        assert!(
            one.contains(") in migrations/mariadb/: ") && one.ends_with(" in that folder"),
            "{one}"
        );
        // The shared flag table's version 0 is taken too.
        let zero = with_migrations("zero", migrations(&[(0, "zero")]));
        let err = Suite::new("/p").service(zero).validate().unwrap_err();
        assert!(
            err.to_string().starts_with(
                "migration version 0 is declared by both shared (0000_feature_flag.sql) and zero \
                 (0000_zero.sql) in migrations/sqlite/, "
            ) && err.to_string().contains("the next free one is 1: "),
            "{err}"
        );
        // Renumbered as the message says, they pass, in one sequence.
        let moved = with_migrations("stock", migrations(&[(13, "stock"), (14, "stock moves")]));
        let suite = Suite::new("/p")
            .service(ledger)
            .service(audit)
            .service(moved);
        suite.validate().unwrap();
        let versions: Vec<i64> = suite
            .migrator(Engine::Postgres)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(versions, vec![0, 1, 6, 12, 13, 14]);
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
