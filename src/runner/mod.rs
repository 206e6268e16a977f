//! The scenario runner: chooses engines, brings up their servers, runs every feature
//! once per engine (each scenario in its own database), and prints a summary per
//! engine. A suite's main job and its `cargo test` target both call [`run`] with
//! the [`Suite`] of their services.
//!
//! - [`options`]: the command line and what only test code sets;
//! - [`features`]: which scenarios run ([`features::Selection`]), the per-engine
//!   copies of every feature, and the engine of a copy;
//! - [`inputs`]: every input checked before anything starts;
//! - [`history`]: what a run leaves for the next (failed scenarios, timings);
//! - [`engines`]: which engines run, and bringing up their servers;
//! - `hooks`: before each scenario its databases (one per differential setting),
//!   after it the report's tables and dropping or keeping the databases;
//! - [`limits`]: the scenario time limit, and the watchdog of a blocked runner;
//! - [`interrupt`]: ending a run on SIGINT or SIGTERM;
//! - [`leftovers`]: what ended runs left, and removing it;
//! - [`summary`]: the counts of a run and the closing summary;
//! - [`progress`]: what the run prints while it runs (a line per scenario, a
//!   progress line on a terminal, every step with `--verbose`).
//!
//! Whose turn it is to run (`@serial`, `@serial(group)`) is [`crate::turns`].

pub mod engines;
pub mod features;
pub mod history;
mod hooks;
pub mod inputs;
pub mod interrupt;
pub mod leftovers;
pub mod limits;
pub mod options;
pub mod progress;
mod run;
pub mod summary;

use std::sync::Arc;

pub use crate::selection::{DIFFERENTIAL_STEP, INVARIANTS_STEP};
pub use options::{KenshoArgs, Mode, RunOptions, Setup, in_ci};
pub use run::{PROGRAMS_BUILT_VAR, run};
pub use summary::{EngineStats, Report};

use crate::service::Suite;

/// A suite's `main`: runs `suite` as [`Mode::Main`] on the process's arguments
/// and turns the outcome into the exit code (0 all passed, 1 a failure, 2 the run
/// could not start; 130 when a signal stopped it, see [`run`]).
pub async fn main(suite: Suite, mode: Mode) -> std::process::ExitCode {
    init_logging();
    match run(
        Arc::new(suite),
        mode,
        std::env::args().collect(),
        RunOptions::default(),
    )
    .await
    {
        Ok(report) if !report.failed => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kensho: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// What `--help` says Kensho is, first.
const ABOUT: &str = "Kensho (検証) runs Gherkin business scenarios against real databases, each scenario in a fresh database of its own.";

/// The rest of `--help`'s introduction: what runs where, and where results go.
const LONG_ABOUT: &str = "Kensho (検証) runs Gherkin business scenarios against real databases, each scenario in a fresh database of its own.

What it runs: every feature file under features/ (or --features DIR), each scenario once per engine, followed by the checks of the registered services' business invariants; @differential(flag) scenarios run with the flag off and on and must leave identical tables; @slow ones only with --slow.

Engines: sqlite (embedded, the default), postgres and mariadb (a container per engine started through Docker, or a server given by KENSHO_POSTGRES_URL / KENSHO_MARIADB_URL): --engines sqlite,postgres,mariadb or all.

Results: a line per scenario as it ends (on a terminal, a progress line and each failure in full; every step with --verbose) and a summary per engine; reports in target/kensho/reports/ (junit.xml, cucumber.json, report.html; --reports DIR); with them rerun.txt (the failed scenarios, for --rerun) and timings.json (each scenario's time, for --shard). Exit code 0 all passed, 1 a scenario failed, 2 the run could not start, 130 interrupted.

Main options: --name REGEX or --tags EXPR selects scenarios, --rerun runs the last run's failures again, --retry N runs a failed scenario again in the run (one that then passes is flaky and passes, unless --fail-on-flaky), --shard I/N runs one of N parts of about equal time, --dry-run checks the features without a database, --catalogue prints the step catalogue. Logs: KENSHO_LOG (e.g. kensho=debug; sqlx's statement logs only when named, e.g. sqlx=warn).";

/// Parses the command line (cucumber's options and [`KenshoArgs`]) as the
/// `kensho` command: `--help` explains Kensho, `--version` prints its version.
fn parse_command_line<T: clap::Parser>(argv: Vec<String>) -> T {
    let matches = kensho_command::<T>().get_matches_from(argv);
    T::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The command line of options `T`, as the `kensho` command.
fn kensho_command<T: clap::CommandFactory>() -> clap::Command {
    inputs::checked_command(
        T::command()
            .name("kensho")
            .about(ABOUT)
            .long_about(LONG_ABOUT)
            .version(env!("CARGO_PKG_VERSION")),
    )
}

/// The log filter for a `KENSHO_LOG` value (`None`: not set): warnings by
/// default. sqlx logs every statement slower than a second as a warning, which
/// drowns a run's output (1,678 of 10,695 lines of a CI log): its statement log
/// (`sqlx::query`) is off unless the value names sqlx.
pub fn log_filter(kensho_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    let asked = kensho_log.map(str::trim).filter(|v| !v.is_empty());
    let filter = asked
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    if asked.is_some_and(|v| v.contains("sqlx")) {
        return filter;
    }
    filter.add_directive(
        "sqlx::query=off"
            .parse()
            .unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::OFF.into()),
    )
}

/// Sets up logging (`KENSHO_LOG`, see [`log_filter`]) on standard error, every
/// line masked (see [`log_subscriber`]).
pub fn init_logging() {
    use tracing_subscriber::util::SubscriberInitExt;
    let value = std::env::var("KENSHO_LOG").ok();
    let _ = log_subscriber(value.as_deref(), std::io::stderr).try_init();
}

/// The log of a run, filtered by a `KENSHO_LOG` value ([`log_filter`]) and
/// written through `make`'s writers, each line masked first
/// ([`kensho_shared::secret::mask`]): a library's log line (sqlx quotes the
/// connect parameters it ignores, values included) never shows a password the
/// run knows.
fn log_subscriber<W, M>(
    kensho_log: Option<&str>,
    make: M,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: std::io::Write,
    M: Fn() -> W + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(kensho_log))
        .with_writer(move || kensho_shared::secret::MaskingWriter(make()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cucumber::cli;

    /// What a `KENSHO_LOG` value lets through of a slow-statement warning from
    /// sqlx and a warning of Kensho's.
    fn logged(kensho_log: Option<&str>) -> String {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(log_filter(kensho_log))
            .with_writer(move || Sink(sink.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "sqlx::query", "slow statement: execution time exceeded alert threshold");
            tracing::warn!(target: "kensho::db", "the template differs");
        });
        String::from_utf8_lossy(&out.lock().unwrap()).into_owned()
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sqlx_statement_logs_are_off_unless_asked_for() {
        for value in [None, Some("warn"), Some(""), Some("kensho=debug,warn")] {
            let text = logged(value);
            assert!(!text.contains("slow statement"), "{value:?}: {text}");
            assert!(text.contains("the template differs"), "{value:?}: {text}");
        }
        for value in ["sqlx=warn", "warn,sqlx::query=warn"] {
            assert!(logged(Some(value)).contains("slow statement"), "{value}");
        }
    }

    #[test]
    fn a_library_log_line_never_shows_a_registered_password() {
        let url = "postgres://postgres@127.0.0.1:1/postgres?password=X&sslpassword=Lg7-HUNTER2pw";
        kensho_shared::secret::register_url(url);
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = log_subscriber(None, move || Sink(sink.clone()));
        tracing::subscriber::with_default(subscriber, || {
            // As sqlx-postgres logs a connect parameter it does not know.
            tracing::warn!(
                target: "sqlx_postgres::options::parse",
                key = %"sslpassword",
                value = %"Lg7-HUNTER2pw",
                "ignoring unrecognized connect parameter"
            );
            tracing::warn!(target: "kensho::db", "connecting to {url}");
        });
        let text = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
        assert!(
            text.contains("ignoring unrecognized connect parameter"),
            "{text}"
        );
        assert!(text.contains("***"), "{text}");
        assert!(!text.contains("HUNTER2"), "{text}");
        assert!(!text.contains("password=X"), "{text}");
    }

    #[test]
    fn help_explains_kensho_and_version_prints_it() {
        type Opts = cli::Opts<cli::Empty, cli::Empty, cli::Empty, KenshoArgs>;
        // As the words read: the help is wrapped to the terminal's width.
        let help = parse_command_line_result::<Opts>(&["kensho", "--help"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(help.contains(ABOUT), "{help}");
        assert!(
            help.contains("Engines: sqlite (embedded, the default)"),
            "{help}"
        );
        assert!(help.contains("--rerun"), "{help}");
        assert!(!help.contains("pet a dog"), "{help}");
        let version = parse_command_line_result::<Opts>(&["kensho", "--version"]);
        assert_eq!(
            version.trim(),
            format!("kensho {}", env!("CARGO_PKG_VERSION"))
        );
    }

    /// What the command line prints for `argv` instead of running (help, version).
    fn parse_command_line_result<T: clap::Parser>(argv: &[&str]) -> String {
        match kensho_command::<T>().try_get_matches_from(argv) {
            Ok(_) => String::new(),
            Err(e) => e.render().to_string(),
        }
    }
}
