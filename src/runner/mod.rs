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
pub mod summary;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, cli};

pub use crate::selection::{DIFFERENTIAL_STEP, INVARIANTS_STEP};
pub use options::{KenshoArgs, Mode, RunOptions, Setup, in_ci};
pub use summary::{EngineStats, Report};

use crate::db::{Engine, EngineServer};
use crate::report::collect;
use crate::service::Suite;
use crate::world::ScenarioWorld;
use features::PerEngine;
use interrupt::{Admission, Interruptible, Phase, RunControl};

fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{}_{}", std::process::id(), secs % 1_000_000)
}

/// Parses `argv` (cucumber's options plus [`KenshoArgs`]) and runs every selected
/// feature of `suite` on every selected engine.
///
/// A run stopped by SIGINT or SIGTERM (see [`interrupt`]) reports and cleans up,
/// then ends the process itself with exit code 130: what the caller would do after
/// `run` does not happen. A step that blocks the runner past its scenario's time
/// limit ends it with exit code 1 (see [`limits`]).
pub async fn run(
    suite: Arc<Suite>,
    mode: Mode,
    argv: Vec<String>,
    options: RunOptions,
) -> Result<Report> {
    suite.validate()?;
    let RunOptions {
        keep_failed,
        reports,
        setup,
        only,
    } = options;
    let run_started = SystemTime::now();
    // A deep tag expression would overflow the command line parser's stack.
    crate::gherkin::limits::check_tag_arguments(&argv).map_err(anyhow::Error::msg)?;
    let mut opts: cli::Opts<_, cucumber::runner::basic::Cli, _, KenshoArgs> =
        parse_command_line(argv);
    let mut args = opts.custom.clone();
    let root = suite.root().to_path_buf();
    let features_dir = args
        .features
        .clone()
        .unwrap_or_else(|| root.join("features"));
    let reports_dir = args
        .reports
        .clone()
        .unwrap_or_else(|| root.join("target/kensho/reports"));
    if args.services {
        for service in suite.services() {
            println!("{}\t{}", service.name, service.features.join(","));
        }
        return Ok(Report::default());
    }
    // Kensho selects the scenarios itself (see `Selection`), so that the dry run,
    // the catalogue and the shards see what the run takes.
    let mut selection = features::Selection {
        slow: args.slow,
        name: opts.re_filter.take(),
        tags: opts.tags_filter.take(),
        shard: args.shard,
        ..features::Selection::default()
    };
    // The timings the reports folder holds: the shards balance by them, and this
    // run's times are merged into them.
    let earlier_timings = history::read_timings(&history::timings_file(&reports_dir));
    if args.shard.is_some() {
        selection.timings = earlier_timings.clone();
    }
    // A test harness's selection by name: the engines it names, not every one.
    let named: Option<std::collections::BTreeSet<Engine>> = only.as_ref().map(|only| {
        only.entries
            .iter()
            .flat_map(|e| &e.engines)
            .filter_map(|name| Engine::parse(name).ok())
            .collect()
    });
    if let Some(only) = only {
        selection.rerun = Some(("the selected tests".to_string(), only));
    } else if let Some(file) = &args.rerun {
        let file = file
            .clone()
            .unwrap_or_else(|| history::rerun_file(&reports_dir));
        let rerun = history::read_rerun(&file)?;
        if rerun.entries.is_empty() {
            println!(
                "kensho: the rerun file {} lists no failed scenario: nothing to run",
                file.display()
            );
            return Ok(Report::default());
        }
        if args.engines.is_none() {
            args.engines = Some(history::rerun_engines(&rerun, Engine::Sqlite.name()));
        }
        selection.rerun = Some((file.display().to_string(), rerun));
    }
    // Feature files past the input limits are refused before anything reads
    // them further or starts.
    crate::gherkin::limits::check_features(&root, &features_dir)
        .map_err(|e| anyhow::anyhow!("{e} (nothing ran)"))?;
    if args.catalogue {
        // Every scenario's examples unless told otherwise, `@slow` ones included.
        selection.slow = true;
        selection.engines = engines::select(&args, mode, named.as_ref())?
            .selected
            .into_iter()
            .collect();
        print!(
            "{}",
            crate::steps::authoring::catalogue_selected(&suite, &features_dir, &selection)?
        );
        return Ok(Report::default());
    }
    if args.dry_run {
        selection.engines = engines::select(&args, mode, named.as_ref())?
            .selected
            .into_iter()
            .collect();
        let dry = crate::steps::authoring::dry_run_selected(&suite, &features_dir, &selection)?;
        eprint!("{dry}");
        return Ok(Report {
            failed: !dry.problems.is_empty() || dry.scenarios.is_empty(),
            ..Report::default()
        });
    }

    let id = run_id();
    // Every input is checked before any engine starts or report is touched.
    let checked = match inputs::check(
        &suite,
        &args,
        mode,
        named.as_ref(),
        &features_dir,
        &selection,
    ) {
        Ok(checked) => checked,
        Err(refused) => {
            return Err(refused.into_error(
                reports.then_some(inputs::ReportsOf {
                    dir: &reports_dir,
                    suite: &suite,
                    root: &root,
                    features_dir: &features_dir,
                    title: args
                        .title
                        .as_deref()
                        .map(str::trim)
                        .filter(|t| !t.is_empty()),
                    id: &id,
                    started: run_started,
                }),
            ));
        }
    };
    selection.only = checked.only;
    let wanted = checked.engines;

    // From here on the previous reports are stale, and say so until this run's
    // replace them; reports that cannot be written stop the run before it starts.
    if reports {
        collect::begin(&reports_dir, run_started)
            .map_err(|e| anyhow::anyhow!("{e} (nothing ran)"))?;
    }
    // Say at once what starts: the servers and templates take seconds.
    let names: Vec<&str> = wanted.selected.iter().map(|e| e.name()).collect();
    eprintln!(
        "kensho: starting: building the services' programs while the engines ({}) come up and migrate their templates",
        names.join(", ")
    );
    let preparing = std::time::Instant::now();
    // SIGINT and SIGTERM end the run from here on (see `interrupt`).
    let control = RunControl::begin();
    let sqlite_dir = args
        .sqlite_dir
        .clone()
        .unwrap_or_else(|| root.join("target/kensho/sqlite"));
    // The services' programs build while the engines start and migrate their
    // templates: neither waits for the other. A signal stops the build at once;
    // the engines' start ends first, so that what it started is cleaned up.
    let build = async {
        tokio::select! {
            built = build_programs(&suite) => Some(built),
            () = control.stopped() => None,
        }
    };
    let (built, started) = tokio::join!(
        build,
        engines::start(&suite, &wanted, mode, &id, &sqlite_dir)
    );
    // A run that cannot start says so in its reports, and why.
    let could_not_start = |e: &anyhow::Error| {
        if reports {
            collect::could_not_start(&reports_dir, run_started, e);
        }
    };
    let engines::Started {
        servers,
        not_run,
        sqlite_lock,
    } = started.inspect_err(could_not_start)?;
    control.set_cleanup(servers.values().map(EngineServer::cleanup_plan).collect());
    if let Some(Err(e)) = built {
        for server in servers.into_values() {
            server.finish(false).await;
        }
        if let Some(lock) = sqlite_lock {
            lock.release();
        }
        could_not_start(&e);
        return Err(e);
    }
    if control.stopping() {
        for server in servers.into_values() {
            server.finish(false).await;
        }
        if let Some(lock) = sqlite_lock {
            lock.release();
        }
        eprintln!("kensho: stopped before any scenario ran");
        interrupt::exit_now(interrupt::INTERRUPTED_EXIT);
    }
    eprintln!(
        "kensho: engines ready after {} s",
        summary::secs(preparing.elapsed())
    );
    control.set_phase(Phase::Running);
    let admission = Rc::new(Admission::new(Arc::clone(&control)));
    let watch = limits::Watch::new();
    let watchdog = limits::watchdog(watch.clone(), limits::PATIENCE, {
        let control = Arc::clone(&control);
        move |step, silent| {
            eprintln!("\nkensho: {}", limits::stuck_message(&step, silent));
            interrupt::emergency_exit(&control, 1)
        }
    });
    let mut report = Report {
        not_run,
        ..Report::default()
    };
    selection.engines = servers.keys().copied().collect();
    let mut servers = servers;
    let ready = warm_pool_size(servers.len());
    for (engine, server) in servers.iter_mut() {
        // A run of a few named scenarios (one test per process under nextest)
        // makes no more databases ahead than it takes.
        let wanted = selection.rerun.as_ref().map_or(ready, |(_, rerun)| {
            rerun
                .entries
                .iter()
                .filter(|e| e.engines.iter().any(|n| n == engine.name()))
                .count()
        });
        server.warm_up(ready.min(wanted).max(1));
    }

    let hooks = Rc::new(hooks::Hooks {
        suite: suite.clone(),
        root: root.clone(),
        servers,
        stats: RefCell::default(),
        kept: RefCell::default(),
        collected: Rc::default(),
        setup,
        keep_failed,
        reports,
        admission: admission.clone(),
        limit: Duration::from_secs(args.scenario_timeout),
        watch: watch.clone(),
        times: RefCell::default(),
        failed: RefCell::default(),
        turns: crate::turns::Turns::default(),
        retry: opts.runner.clone(),
        retried: RefCell::default(),
    });
    let (before, after) = (hooks.clone(), hooks.clone());

    // Every step under its scenario's time limit; the run's end under the signals.
    let runner = cucumber::runner::Basic::default()
        .max_concurrent_scenarios(MAX_CONCURRENT_SCENARIOS)
        .steps(limits::limited_steps())
        .before(move |feature, rule, scenario, world| {
            let hooks = before.clone();
            Box::pin(async move { hooks.before(feature, rule, scenario, world).await })
        })
        .after(move |feature, rule, scenario, finished, world| {
            let hooks = after.clone();
            Box::pin(async move { hooks.after(feature, rule, scenario, finished, world).await })
        });
    let totals = features::Totals::default();
    let style = progress::Style::choose(args.verbose);
    let scenarios = ScenarioWorld::cucumber::<PathBuf>()
        .with_parser(PerEngine {
            root: root.clone(),
            selection: selection.clone(),
            features: checked.features,
            totals: totals.clone(),
        })
        .with_runner(Interruptible {
            runner,
            admission: admission.clone(),
        })
        .with_writer(
            progress::Progress::new(style, root.clone(), totals)
                .summarized()
                .tee::<ScenarioWorld, _>(
                    collect::Collector::new(hooks.collected.clone(), root.clone())
                        .discard_stats_writes()
                        .discard_arbitrary_writes(),
                ),
        )
        .fail_on_skipped()
        .with_cli(opts)
        .run(features_dir.clone());
    // A second signal stops the running scenarios (dropping them); the beat tells
    // the watchdog that no step blocks the runner.
    let writer = tokio::select! {
        biased;
        () = control.aborted() => None,
        writer = scenarios => Some(writer),
        () = watch.keep_beating() => None,
    };
    drop(watchdog);
    control.set_phase(Phase::Ending);
    if writer.is_none() {
        admission.stop_running();
    }
    let interrupted = admission.interrupted();

    let hooks = Rc::try_unwrap(hooks)
        .map_err(|_| anyhow::anyhow!("the scenario hooks are still in use after the run"))?;
    report.engines = hooks.stats.take();
    report.scenarios = hooks.times.take();
    report.failures = hooks.failed.borrow().clone();
    // A server lost during the run fails it, and every report says so.
    let lost: Vec<String> = hooks
        .servers
        .values()
        .filter_map(|server| server.health().is_lost())
        .map(|lost| {
            format!(
                "{lost} ({} s after the run started)",
                summary::secs(lost.at.duration_since(run_started).unwrap_or_default())
            )
        })
        .collect();
    // Reports that could not be written fail the run: a green must not rest on them.
    let mut reports_written = true;
    if reports {
        let collected = std::mem::take(&mut *hooks.collected.borrow_mut());
        let title = match args.title.as_deref().map(str::trim) {
            Some(title) if !title.is_empty() => title.to_string(),
            _ => collect::default_title(&root, &features_dir, &collected, &id.to_string()),
        };
        let mut written = collected.into_report(title, run_started, suite.terms());
        written.interrupted = interrupted;
        written.lost_servers = lost.clone();
        written.timing = Some(report.timing());
        // With them, the failed scenarios to run again and the times to
        // balance shards by.
        match history::lists(&hooks.failed.borrow(), &report.scenarios, earlier_timings) {
            Ok(lists) => reports_written = collect::write(&reports_dir, &written, &lists),
            Err(e) => {
                eprintln!("kensho: {e:#}");
                reports_written = false;
            }
        }
    }
    let servers = hooks.servers;
    let total: usize = report.engines.values().map(|s| s.passed + s.failed).sum();
    report.failed = !reports_written
        || writer.as_ref().is_none_or(|w| w.execution_has_failed())
        || report.engines.values().any(|s| s.failed > 0)
        || (args.fail_on_flaky && report.flaky() > 0)
        || !lost.is_empty()
        || total == 0;
    // A server that went away during the run keeps nothing: say so, not "kept".
    let mut gone = std::collections::BTreeMap::new();
    for (engine, server) in &servers {
        if let Some(why) = server.gone().await {
            gone.insert(*engine, why);
        }
    }
    summary::print(
        &report,
        &servers,
        &hooks.kept.into_inner(),
        &gone,
        interrupted.then(|| admission.tally()),
    );
    for (engine, server) in servers {
        let keep = keep_failed
            && !gone.contains_key(&engine)
            && report.engines.get(&engine).is_some_and(|s| s.failed > 0);
        if let Some(container) = server.finish(keep).await {
            eprintln!(
                "  [{engine}] container {container} kept for inspection of the databases above; the next run removes it (or: docker rm -f {container})"
            );
        }
    }
    if let Some(lock) = sqlite_lock {
        lock.release();
    }
    if report.failed && !interrupted {
        print_undefined(&suite, &features_dir, &selection);
    }
    if interrupted {
        interrupt::exit_now(interrupt::INTERRUPTED_EXIT);
    }
    Ok(report)
}

/// How many scenarios run at once (across engines): enough to keep two cores
/// busy while scenarios wait on locks, sleeps and the databases' disks.
const MAX_CONCURRENT_SCENARIOS: usize = 16;

/// Most databases an engine keeps ready: each holds a connection, and a server
/// given by URL may allow only 100 (16 scenarios with 5 connections each, the
/// ready ones and the run's own connections stay below that).
const MAX_READY: usize = 8;

/// How many ready databases each of `engines` engines keeps: its share of the
/// scenarios running at once, plus one for the scenario about to start.
fn warm_pool_size(engines: usize) -> usize {
    (MAX_CONCURRENT_SCENARIOS.div_ceil(engines.max(1)) + 1).min(MAX_READY)
}

/// The project root whose service programs were built already for a series of
/// runs: the nextest setup script (`.config/nextest-servers.sh`) builds them once,
/// so that each test's process does not run the build commands again. A run of
/// another tree (the semantic mutants' copy) builds its own.
pub const PROGRAMS_BUILT_VAR: &str = "KENSHO_PROGRAMS_BUILT";

/// Runs every service's build commands (once, from the project root) before the
/// scenarios, unless [`PROGRAMS_BUILT_VAR`] names this project's root; a failure
/// stops the run with the command's output.
async fn build_programs(suite: &Suite) -> Result<()> {
    let same = |a: &std::path::Path, b: &std::path::Path| {
        a.canonicalize()
            .ok()
            .is_some_and(|a| b.canonicalize().ok() == Some(a))
    };
    if std::env::var_os(PROGRAMS_BUILT_VAR)
        .is_some_and(|built| same(std::path::Path::new(&built), suite.root()))
    {
        return Ok(());
    }
    for service in suite.services() {
        for line in service.build {
            eprintln!("kensho: {}: building: {line}", service.name);
            let outcome = crate::command::run(
                line,
                suite.root(),
                &[],
                &[],
                std::time::Duration::from_secs(BUILD_LIMIT_SECS),
            )
            .await?;
            if outcome.code != Some(0) {
                bail!(
                    "{}: the build command failed (nothing ran):\n{}",
                    service.name,
                    outcome.summary()
                );
            }
        }
    }
    Ok(())
}

/// Longest a service's build command may take: a cold build of a Rust program
/// and its dependencies on a 2-core machine takes a few minutes.
const BUILD_LIMIT_SECS: u64 = 900;

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

/// After a failed run: the undefined steps of the scenarios it ran, each with the
/// closest known steps and a step definition to paste (as the dry run shows them).
fn print_undefined(suite: &Suite, features_dir: &std::path::Path, selection: &features::Selection) {
    match crate::steps::authoring::dry_run_selected(suite, features_dir, selection) {
        Ok(dry) if !dry.undefined.is_empty() => {
            eprintln!("\nundefined steps:");
            for problem in &dry.undefined {
                eprintln!("  {problem}");
            }
        }
        Ok(_) => {}
        Err(e) => eprintln!("kensho: the undefined steps could not be listed: {e:#}"),
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
