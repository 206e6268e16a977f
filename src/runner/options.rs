//! The runner's options: Kensho's own command-line options (next to cucumber's),
//! the entry point that runs, and what only test code sets.

use std::path::PathBuf;
use std::sync::Arc;

use crate::world::ScenarioWorld;

/// Kensho's own options, next to cucumber's (`--name`, `--tags`, `--concurrency`, ...).
#[derive(clap::Args, Debug, Clone)]
pub struct KenshoArgs {
    /// Engines to run on: comma-separated sqlite, postgres, mariadb, or all.
    /// Default: sqlite for the main job; every available engine for the test suite.
    #[arg(long, env = "KENSHO_ENGINES", value_name = "list")]
    pub engines: Option<String>,
    /// Engines whose absence is an error (postgres,mariadb are required when CI=true).
    #[arg(long, env = "KENSHO_REQUIRE", value_name = "list")]
    pub require: Option<String>,
    /// Folder of feature files (default: `features/` of the project).
    #[arg(long, value_name = "dir")]
    pub features: Option<PathBuf>,
    /// Only the features of these registered services (comma-separated names).
    #[arg(long, value_name = "list")]
    pub service: Option<String>,
    /// Folder for the reports (junit.xml, cucumber.json, report.html; default:
    /// `target/kensho/reports` of the project).
    #[arg(long, value_name = "dir")]
    pub reports: Option<PathBuf>,
    /// The reports' title (default: the feature folders run and the commit,
    /// e.g. `Kensho: features/billing, features/consolidation @ 53da3ab`).
    #[arg(long, env = "KENSHO_TITLE", value_name = "text")]
    pub title: Option<String>,
    /// Also run the scenarios tagged `@slow` (large variants; left out by default).
    #[arg(long, env = "KENSHO_SLOW")]
    pub slow: bool,
    /// Run only this part of the suite: INDEX/TOTAL (e.g. 2/4); the TOTAL shards
    /// of a suite are disjoint and together are the whole suite, of about equal
    /// time by the last run's `timings.json` (in the reports folder), else of
    /// equal count.
    #[arg(long, env = "KENSHO_SHARD", value_name = "INDEX/TOTAL")]
    pub shard: Option<crate::authoring::Shard>,
    /// Run again exactly the scenarios, on exactly the engines, that a rerun file
    /// lists (default: `rerun.txt` in the reports folder, `--reports` or the
    /// default, which every run writes: one failed scenario a line,
    /// `path:line @engine...`).
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub rerun: Option<Option<PathBuf>>,
    /// Parse every feature and match every step without touching a database; list
    /// undefined and ambiguous steps with the closest known step texts and a step
    /// definition to paste.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the step catalogue (every step pattern with an example) as Markdown.
    #[arg(long)]
    pub catalogue: bool,
    /// Print the registered services, one per line: name, a tab, and its feature
    /// paths (comma-separated). For tools such as the mutation driver.
    #[arg(long)]
    pub services: bool,
    /// Longest a scenario may run, in seconds (its databases' set-up included); a
    /// step still running then is stopped and the scenario fails naming it.
    #[arg(
        long,
        env = "KENSHO_SCENARIO_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = super::limits::DEFAULT_SCENARIO_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub scenario_timeout: u64,
    /// Fail the run when a scenario passed only on a retry (`--retry N` runs a
    /// failed scenario again; one that then passes is flaky, and by default
    /// counts as passed).
    #[arg(long, env = "KENSHO_FAIL_ON_FLAKY")]
    pub fail_on_flaky: bool,
    /// Print every step as it runs (cucumber's own output), instead of a line
    /// per finished scenario (or, on a terminal, a progress line).
    #[arg(long = "verbose", id = "kensho_verbose")]
    pub verbose: bool,
    /// Folder of the SQLite run folders (default: `target/kensho/sqlite` of the
    /// project). Each run works in a folder of its own there and removes the
    /// folders of runs that have ended.
    #[arg(long, env = "KENSHO_SQLITE_DIR", value_name = "dir")]
    pub sqlite_dir: Option<PathBuf>,
}

/// How many scenarios run at once (across engines) unless `--concurrency`
/// says otherwise: enough to keep two cores busy while scenarios wait on
/// locks, sleeps and the databases' disks.
pub const MAX_CONCURRENT_SCENARIOS: usize = 16;

/// Which entry point runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The main job: SQLite unless told otherwise.
    Main,
    /// `cargo test`: every engine available; PostgreSQL and MariaDB required in CI.
    Suite,
}

/// Whether this is a CI run (`CI=true`, `1` or `yes`).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// A test's own adjustment of every World before its first step (a suite's teeth
/// checks use it to force a naive policy, say). No option or variable reaches it.
pub type Setup = Arc<dyn Fn(&mut ScenarioWorld) + Send + Sync>;

/// What only a suite's own checks set; no option or variable reaches it.
#[derive(Clone)]
pub struct RunOptions {
    /// Keep a failing scenario's database for inspection (off where failure is the
    /// expected outcome).
    pub keep_failed: bool,
    /// Write the reports (off for the suite's own checks, which must not overwrite
    /// the main run's).
    pub reports: bool,
    /// Applied to every World before its first step.
    pub setup: Option<Setup>,
    /// Only these scenarios, on these engines: a test harness's selection by test
    /// name (`cargo test <filter>`, one `cargo nextest` test), as a rerun list.
    /// Without `--engines` the run starts only the engines it names; `@slow`
    /// scenarios it names run.
    pub only: Option<crate::authoring::Rerun>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_failed: true,
            reports: true,
            setup: None,
            only: None,
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("keep_failed", &self.keep_failed)
            .field("reports", &self.reports)
            .field("setup", &self.setup.is_some())
            .field("only", &self.only)
            .finish()
    }
}
