//! One run, as its jobs in order ([`run`]): read the command line into a
//! [`Plan`], answering at once what runs nothing (`--services`, `--catalogue`,
//! `--dry-run`, an empty rerun list); check every input before anything starts
//! ([`super::inputs`]); bring up the engines while the services' programs build
//! ([`bring_up`]); run the scenarios ([`run_scenarios`]); then write the reports
//! and the summary and end the engines ([`finish`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, cli};

use super::features::PerEngine;
use super::interrupt::{self, Admission, Interruptible, Phase, RunControl};
use super::options::{KenshoArgs, MAX_CONCURRENT_SCENARIOS, Mode, RunOptions, Setup};
use super::summary::{self, Report};
use super::{engines, history, hooks, inputs, limits, progress};
use crate::authoring::Timings;
use crate::db::{Engine, EngineServer};
use crate::report::collect;
use crate::selection::Selection;
use crate::service::Suite;
use crate::world::ScenarioWorld;

/// The command line as the runner reads it: cucumber's options (the parser's,
/// the runner's and the writers') and Kensho's own.
pub(super) type CommandLine = cli::Opts<
    cli::Empty,
    cucumber::runner::basic::Cli,
    cli::Compose<cucumber::writer::basic::Cli, cli::Empty>,
    KenshoArgs,
>;

/// Most databases an engine keeps ready: each holds a connection, and a server
/// given by URL may allow only 100 (16 scenarios with 5 connections each, the
/// ready ones and the run's own connections stay below that).
const MAX_READY: usize = 8;

/// What a run is to do, read from its command line and options.
struct Plan {
    mode: Mode,
    args: KenshoArgs,
    root: PathBuf,
    features_dir: PathBuf,
    reports_dir: PathBuf,
    /// Which scenarios run, on which engines (the engines once they are up).
    selection: Selection,
    /// The timings the reports folder holds: the shards balance by them, and
    /// this run's times are merged into them.
    earlier_timings: Timings,
    /// A test harness's selection by name: the engines it names, not every one.
    named: Option<BTreeSet<Engine>>,
    id: String,
    started: SystemTime,
    /// What only a suite's own checks set.
    setup: Option<Setup>,
    keep_failed: bool,
    reports: bool,
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
    let (mut plan, opts) = plan(&suite, mode, argv, options)?;
    if let Some(answered) = runs_nothing(&suite, &mut plan)? {
        return Ok(answered);
    }
    let checked = check_inputs(&suite, &mut plan)?;
    let up = bring_up(&suite, &plan, &checked.engines).await?;
    let ran = run_scenarios(&suite, &mut plan, opts, up, checked.features).await?;
    finish(&suite, plan, ran).await
}

/// Reads the command line and `options` into a plan: the folders, the
/// selection (`--name`, `--tags`, `--shard`, the rerun list or a test
/// harness's selection) and the timings; and cucumber's options, the filters
/// taken out into the selection.
fn plan(
    suite: &Suite,
    mode: Mode,
    argv: Vec<String>,
    options: RunOptions,
) -> Result<(Plan, CommandLine)> {
    let started = SystemTime::now();
    // A deep tag expression would overflow the command line parser's stack.
    crate::gherkin::limits::check_tag_arguments(&argv).map_err(anyhow::Error::msg)?;
    let mut opts: CommandLine = super::parse_command_line(argv);
    let args = opts.custom.clone();
    let root = suite.root().to_path_buf();
    let features_dir = args
        .features
        .clone()
        .unwrap_or_else(|| root.join("features"));
    let reports_dir = args
        .reports
        .clone()
        .unwrap_or_else(|| root.join("target/kensho/reports"));
    // Kensho selects the scenarios itself (see `Selection`), so that the dry run,
    // the catalogue and the shards see what the run takes.
    let mut selection = Selection {
        slow: args.slow,
        name: opts.re_filter.take(),
        tags: opts.tags_filter.take(),
        shard: args.shard,
        ..Selection::default()
    };
    let earlier_timings = history::read_timings(&history::timings_file(&reports_dir));
    if args.shard.is_some() {
        selection.timings = earlier_timings.clone();
    }
    let named = options.only.as_ref().map(|only| {
        only.entries
            .iter()
            .flat_map(|e| &e.engines)
            .filter_map(|name| Engine::parse(name).ok())
            .collect()
    });
    if let Some(only) = options.only {
        selection.rerun = Some(("the selected tests".to_string(), only));
    }
    let plan = Plan {
        mode,
        args,
        root,
        features_dir,
        reports_dir,
        selection,
        earlier_timings,
        named,
        id: engines::run_id(),
        started,
        setup: options.setup,
        keep_failed: options.keep_failed,
        reports: options.reports,
    };
    Ok((plan, opts))
}

/// Answers what runs no scenario: `--services`, a rerun list without a failed
/// scenario, `--catalogue` and `--dry-run` (after the features' input limits);
/// `None` for a run. Reads the rerun file (`--rerun`) into the selection.
fn runs_nothing(suite: &Suite, plan: &mut Plan) -> Result<Option<Report>> {
    let args = &mut plan.args;
    if args.services {
        for service in suite.services() {
            println!("{}\t{}", service.name, service.features.join(","));
        }
        return Ok(Some(Report::default()));
    }
    if let (None, Some(file)) = (&plan.selection.rerun, &args.rerun) {
        let file = file
            .clone()
            .unwrap_or_else(|| history::rerun_file(&plan.reports_dir));
        let rerun = history::read_rerun(&file)?;
        if rerun.entries.is_empty() {
            println!(
                "kensho: the rerun file {} lists no failed scenario: nothing to run",
                file.display()
            );
            return Ok(Some(Report::default()));
        }
        if args.engines.is_none() {
            args.engines = Some(history::rerun_engines(&rerun, Engine::Sqlite.name()));
        }
        plan.selection.rerun = Some((file.display().to_string(), rerun));
    }
    // Feature files past the input limits are refused before anything reads
    // them further or starts.
    crate::gherkin::limits::check_features(&plan.root, &plan.features_dir)
        .map_err(|e| anyhow::anyhow!("{e} (nothing ran)"))?;
    if !args.catalogue && !args.dry_run {
        return Ok(None);
    }
    let selection = &mut plan.selection;
    selection.engines = engines::select(args, plan.mode, plan.named.as_ref())?
        .selected
        .into_iter()
        .collect();
    if args.catalogue {
        // Every scenario's examples unless told otherwise, `@slow` ones included.
        selection.slow = true;
        print!(
            "{}",
            crate::steps::authoring::catalogue_selected(suite, &plan.features_dir, selection)?
        );
        return Ok(Some(Report::default()));
    }
    let dry = crate::steps::authoring::dry_run_selected(suite, &plan.features_dir, selection)?;
    eprint!("{dry}");
    Ok(Some(Report {
        failed: !dry.problems.is_empty() || dry.scenarios.is_empty(),
        ..Report::default()
    }))
}

/// Checks every input before any engine starts or report is touched
/// ([`inputs::check`]): a refusal is the run's error (exit code 2), with the
/// reports of the feature files that do not parse.
fn check_inputs(suite: &Suite, plan: &mut Plan) -> Result<inputs::Inputs> {
    let args = &plan.args;
    match inputs::check(
        suite,
        args,
        plan.mode,
        plan.named.as_ref(),
        &plan.features_dir,
        &plan.selection,
    ) {
        Ok(checked) => {
            plan.selection.only = checked.only.clone();
            Ok(checked)
        }
        Err(refused) => Err(refused.into_error(
            plan.reports.then_some(inputs::ReportsOf {
                dir: &plan.reports_dir,
                suite,
                root: &plan.root,
                features_dir: &plan.features_dir,
                title: args
                    .title
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty()),
                id: &plan.id,
                started: plan.started,
            }),
        )),
    }
}

/// The engines up, and how the run is ended.
struct Up {
    /// The run's signals are handled while this lives: until the run's end.
    control: interrupt::ControlGuard,
    servers: BTreeMap<Engine, EngineServer>,
    not_run: Vec<(Engine, String)>,
    sqlite_lock: Option<super::leftovers::RunFolderLock>,
}

impl Up {
    /// Ends every engine of a run that runs no scenario.
    async fn abandon(self) {
        for server in self.servers.into_values() {
            server.finish(false).await;
        }
        if let Some(lock) = self.sqlite_lock {
            lock.release();
        }
    }
}

/// Marks the previous reports stale, then starts the `wanted` engines and
/// migrates their templates while the services' programs build; the run's
/// signals are handled from here on. A run that cannot start says so in its
/// reports, and why; one stopped by a signal now ends the process.
async fn bring_up(suite: &Suite, plan: &Plan, wanted: &engines::Selection) -> Result<Up> {
    // From here on the previous reports are stale, and say so until this run's
    // replace them; reports that cannot be written stop the run before it starts.
    if plan.reports {
        collect::begin(&plan.reports_dir, plan.started)
            .map_err(|e| anyhow::anyhow!("{e} (nothing ran)"))?;
    }
    // Say at once what starts: the servers and templates take seconds.
    let names: Vec<&str> = wanted.selected.iter().map(|e| e.name()).collect();
    eprintln!(
        "kensho: starting: building the services' programs while the engines ({}) come up and migrate their templates",
        names.join(", ")
    );
    let preparing = Instant::now();
    let control = RunControl::begin();
    let sqlite_dir = plan
        .args
        .sqlite_dir
        .clone()
        .unwrap_or_else(|| plan.root.join("target/kensho/sqlite"));
    // The services' programs build while the engines start and migrate their
    // templates: neither waits for the other. A signal stops the build at once;
    // the engines' start ends first, so that what it started is cleaned up.
    let build = async {
        tokio::select! {
            built = build_programs(suite) => Some(built),
            () = control.stopped() => None,
        }
    };
    let (built, started) = tokio::join!(
        build,
        engines::start(suite, wanted, plan.mode, &plan.id, &sqlite_dir)
    );
    let could_not_start = |e: &anyhow::Error| {
        if plan.reports {
            collect::could_not_start(&plan.reports_dir, plan.started, e);
        }
    };
    let started = started.inspect_err(could_not_start)?;
    control.set_cleanup(
        started
            .servers
            .values()
            .map(EngineServer::cleanup_plan)
            .collect(),
    );
    let up = Up {
        control,
        servers: started.servers,
        not_run: started.not_run,
        sqlite_lock: started.sqlite_lock,
    };
    if let Some(Err(e)) = built {
        up.abandon().await;
        could_not_start(&e);
        return Err(e);
    }
    if up.control.stopping() {
        up.abandon().await;
        eprintln!("kensho: stopped before any scenario ran");
        interrupt::exit_now(interrupt::INTERRUPTED_EXIT);
    }
    eprintln!(
        "kensho: engines ready after {} s",
        summary::secs(preparing.elapsed())
    );
    Ok(up)
}

/// What the scenarios left for the run's end.
struct Ran {
    /// The run's signals are handled until the run's end.
    control: interrupt::ControlGuard,
    hooks: hooks::Hooks,
    /// The writer's verdict; `None` when the run was stopped.
    execution_failed: bool,
    interrupted: bool,
    admission: Rc<Admission>,
    not_run: Vec<(Engine, String)>,
    sqlite_lock: Option<super::leftovers::RunFolderLock>,
}

/// Runs the selected scenarios on the engines that are up, each in its own
/// database from the engine's warm pool, under its time limit and the run's
/// signals, with the progress output and the reports' collector listening.
async fn run_scenarios(
    suite: &Arc<Suite>,
    plan: &mut Plan,
    opts: CommandLine,
    up: Up,
    features: Vec<cucumber::gherkin::Feature>,
) -> Result<Ran> {
    let Up {
        control,
        mut servers,
        not_run,
        sqlite_lock,
    } = up;
    let run_control: &Arc<RunControl> = &control;
    control.set_phase(Phase::Running);
    let admission = Rc::new(Admission::new(Arc::clone(run_control)));
    let watch = limits::Watch::new();
    let watchdog = limits::watchdog(watch.clone(), limits::PATIENCE, {
        let control = Arc::clone(run_control);
        move |step, silent| {
            eprintln!("\nkensho: {}", limits::stuck_message(&step, silent));
            interrupt::emergency_exit(&control, 1)
        }
    });
    plan.selection.engines = servers.keys().copied().collect();
    warm_up(&mut servers, &plan.selection);
    let hooks = Rc::new(hooks::Hooks {
        suite: suite.clone(),
        root: plan.root.clone(),
        servers,
        stats: RefCell::default(),
        kept: RefCell::default(),
        collected: Rc::default(),
        setup: plan.setup.take(),
        keep_failed: plan.keep_failed,
        reports: plan.reports,
        admission: admission.clone(),
        limit: Duration::from_secs(plan.args.scenario_timeout),
        watch: watch.clone(),
        times: RefCell::default(),
        failed: RefCell::default(),
        turns: crate::turns::Turns::default(),
        retry: opts.runner.clone(),
        retried: RefCell::default(),
    });
    let runner = scenario_runner(hooks.clone());
    let totals = super::features::Totals::default();
    let style = progress::Style::choose(plan.args.verbose);
    let scenarios = ScenarioWorld::cucumber::<PathBuf>()
        .with_parser(PerEngine {
            root: plan.root.clone(),
            selection: plan.selection.clone(),
            features,
            totals: totals.clone(),
        })
        .with_runner(Interruptible {
            runner,
            admission: admission.clone(),
        })
        .with_writer(
            progress::Progress::new(style, plan.root.clone(), totals)
                .summarized()
                .tee::<ScenarioWorld, _>(
                    collect::Collector::new(hooks.collected.clone(), plan.root.clone())
                        .discard_stats_writes()
                        .discard_arbitrary_writes(),
                ),
        )
        .fail_on_skipped()
        .with_cli(opts)
        .run(plan.features_dir.clone());
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
    let hooks = Rc::try_unwrap(hooks)
        .map_err(|_| anyhow::anyhow!("the scenario hooks are still in use after the run"))?;
    Ok(Ran {
        control,
        hooks,
        execution_failed: writer.as_ref().is_none_or(|w| w.execution_has_failed()),
        interrupted: admission.interrupted(),
        admission,
        not_run,
        sqlite_lock,
    })
}

/// cucumber's runner with the hooks around each scenario: every step under its
/// scenario's time limit ([`limits::limited_steps`]), at most
/// [`MAX_CONCURRENT_SCENARIOS`] at once.
fn scenario_runner(
    hooks: Rc<hooks::Hooks>,
) -> impl cucumber::Runner<ScenarioWorld, Cli = cucumber::runner::basic::Cli> {
    let (before, after) = (hooks.clone(), hooks);
    cucumber::runner::Basic::default()
        .max_concurrent_scenarios(MAX_CONCURRENT_SCENARIOS)
        .steps(limits::limited_steps())
        .before(move |feature, rule, scenario, world| {
            let hooks = before.clone();
            Box::pin(async move { hooks.before(feature, rule, scenario, world).await })
        })
        .after(move |feature, rule, scenario, finished, world| {
            let hooks = after.clone();
            Box::pin(async move { hooks.after(feature, rule, scenario, finished, world).await })
        })
}

/// From now on, each engine keeps its share of the scenarios running at once
/// ready; a run of a few named scenarios (one test per process under nextest)
/// makes no more databases ahead than it takes.
fn warm_up(servers: &mut BTreeMap<Engine, EngineServer>, selection: &Selection) {
    let ready = warm_pool_size(servers.len());
    for (engine, server) in servers.iter_mut() {
        let wanted = selection.rerun.as_ref().map_or(ready, |(_, rerun)| {
            rerun
                .entries
                .iter()
                .filter(|e| e.engines.iter().any(|n| n == engine.name()))
                .count()
        });
        server.warm_up(ready.min(wanted).max(1));
    }
}

/// How many ready databases each of `engines` engines keeps: its share of the
/// scenarios running at once, plus one for the scenario about to start.
fn warm_pool_size(engines: usize) -> usize {
    (MAX_CONCURRENT_SCENARIOS.div_ceil(engines.max(1)) + 1).min(MAX_READY)
}

/// The run's end: the counts, the reports with the rerun and timing lists, the
/// summary, and every engine ended (a failure's container kept for inspection).
async fn finish(suite: &Suite, plan: Plan, ran: Ran) -> Result<Report> {
    let Ran {
        control,
        hooks,
        execution_failed,
        interrupted,
        admission,
        not_run,
        sqlite_lock,
    } = ran;
    let mut report = Report {
        not_run,
        engines: hooks.stats.take(),
        scenarios: hooks.times.take(),
        failures: hooks.failed.borrow().clone(),
        ..Report::default()
    };
    let lost = lost_servers(&hooks.servers, plan.started);
    // Reports that could not be written fail the run: a green must not rest on them.
    let reports_written =
        !plan.reports || write_reports(suite, &plan, &hooks, &report, interrupted, &lost);
    let total: usize = report.engines.values().map(|s| s.passed + s.failed).sum();
    report.failed = !reports_written
        || execution_failed
        || report.engines.values().any(|s| s.failed > 0)
        || (plan.args.fail_on_flaky && report.flaky() > 0)
        || !lost.is_empty()
        || total == 0;
    let servers = hooks.servers;
    // A server that went away during the run keeps nothing: say so, not "kept".
    let mut gone = BTreeMap::new();
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
        let keep = plan.keep_failed
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
        print_undefined(suite, &plan.features_dir, &plan.selection);
    }
    if interrupted {
        interrupt::exit_now(interrupt::INTERRUPTED_EXIT);
    }
    drop(control);
    Ok(report)
}

/// Each server lost during the run, as the reports say it: how, when, and how
/// long after the run `started`.
fn lost_servers(servers: &BTreeMap<Engine, EngineServer>, started: SystemTime) -> Vec<String> {
    servers
        .values()
        .filter_map(|server| server.health().is_lost())
        .map(|lost| {
            format!(
                "{lost} ({} s after the run started)",
                summary::secs(lost.at.duration_since(started).unwrap_or_default())
            )
        })
        .collect()
}

/// Writes the run's reports, with the failed scenarios to run again and the
/// times to balance shards by; whether they were written.
fn write_reports(
    suite: &Suite,
    plan: &Plan,
    hooks: &hooks::Hooks,
    report: &Report,
    interrupted: bool,
    lost: &[String],
) -> bool {
    let collected = std::mem::take(&mut *hooks.collected.borrow_mut());
    let title = match plan.args.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_string(),
        _ => collect::default_title(&plan.root, &plan.features_dir, &collected, &plan.id),
    };
    let mut written = collected.into_report(title, plan.started, suite.terms());
    written.interrupted = interrupted;
    written.lost_servers = lost.to_vec();
    written.timing = Some(report.timing());
    match history::lists(
        &hooks.failed.borrow(),
        &report.scenarios,
        plan.earlier_timings.clone(),
    ) {
        Ok(lists) => collect::write(&plan.reports_dir, &written, &lists),
        Err(e) => {
            eprintln!("kensho: {e:#}");
            false
        }
    }
}

/// The project root whose service programs were built already for a series of
/// runs: the nextest setup script (`.config/nextest-servers.sh`) builds them once,
/// so that each test's process does not run the build commands again. A run of
/// another tree (the semantic mutants' copy) builds its own.
pub const PROGRAMS_BUILT_VAR: &str = "KENSHO_PROGRAMS_BUILT";

/// Longest a service's build command may take: a cold build of a Rust program
/// and its dependencies on a 2-core machine takes a few minutes.
const BUILD_LIMIT_SECS: u64 = 900;

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
                Duration::from_secs(BUILD_LIMIT_SECS),
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

/// After a failed run: the undefined steps of the scenarios it ran, each with the
/// closest known steps and a step definition to paste (as the dry run shows them).
fn print_undefined(suite: &Suite, features_dir: &std::path::Path, selection: &Selection) {
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
