//! The scenario runner: chooses engines, brings up their servers, runs every feature
//! once per engine (each scenario in its own database), and prints a summary per
//! engine. `main` (the main job) and `suite` (`cargo test`) both call [`run`].

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use clap::Parser as _;
use cucumber::event::ScenarioFinished;
use cucumber::gherkin;
use cucumber::parser::{self, Parser};
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, cli, writer};
use futures::stream::{self, LocalBoxStream, StreamExt};
use kensho::billing::demonstration::NaivePolicy;
use kensho::db::{Engine, EngineServer, ProviderSource};

use crate::reporting;
use crate::world::{ScenarioWorld, Variant};

/// The step every `@differential(flag)` scenario ends with.
pub const DIFFERENTIAL_STEP: &str = "the differential runs hold identical tables";

/// The step every scenario ends with: the services' business invariants.
pub const INVARIANTS_STEP: &str = "the business invariants hold";

/// The flag of a `@differential(flag)` tag on the scenario or its feature.
fn differential_flag(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> Option<String> {
    scenario.tags.iter().chain(&feature.tags).find_map(|tag| {
        tag.strip_prefix("differential(")?
            .strip_suffix(')')
            .map(str::to_string)
    })
}

/// Kensho's own options, next to cucumber's (`--name`, `--tags`, `--concurrency`, ...).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KenshoArgs {
    /// Engines to run on: comma-separated sqlite, postgres, mariadb, or all.
    /// Default: sqlite for the main job; every available engine for the test suite.
    #[arg(long, env = "KENSHO_ENGINES", value_name = "list")]
    pub engines: Option<String>,
    /// Engines whose absence is an error (postgres,mariadb are required when CI=true).
    #[arg(long, env = "KENSHO_REQUIRE", value_name = "list")]
    pub require: Option<String>,
    /// Folder of feature files.
    #[arg(long, value_name = "dir", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/features"))]
    pub features: PathBuf,
    /// Folder for the reports (junit.xml, cucumber.json, report.html).
    #[arg(long, value_name = "dir", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/target/kensho/reports"))]
    pub reports: PathBuf,
    /// Also run the scenarios tagged `@slow` (large variants; left out by default).
    #[arg(long, env = "KENSHO_SLOW")]
    pub slow: bool,
    /// Run only this part of the suite: INDEX/TOTAL (e.g. 2/4); the TOTAL shards
    /// of a suite are disjoint and together are the whole suite.
    #[arg(long, env = "KENSHO_SHARD", value_name = "INDEX/TOTAL")]
    pub shard: Option<kensho::authoring::Shard>,
    /// Parse every feature and match every step without touching a database; list
    /// undefined and ambiguous steps with the closest known step texts.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the step catalogue (every step pattern with an example) as Markdown.
    #[arg(long)]
    pub catalogue: bool,
}

/// Which entry point runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The main job: SQLite unless told otherwise.
    Main,
    /// `cargo test`: every engine available; PostgreSQL and MariaDB required in CI.
    Suite,
}

/// Counts for one engine.
#[derive(Clone, Debug, Default)]
pub struct EngineStats {
    pub passed: usize,
    pub failed: usize,
    pub databases: usize,
    pub database_time: Duration,
    pub database_max: Duration,
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub failed: bool,
    pub engines: BTreeMap<Engine, EngineStats>,
    pub not_run: Vec<(Engine, String)>,
}

pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// Feeds every feature once per engine: the copy's name ends in `[engine]` and it
/// carries the engine's name as a tag (so `--tags @postgres` selects one engine).
struct PerEngine {
    engines: Vec<Engine>,
    /// Keep `@slow` scenarios (dropped otherwise).
    slow: bool,
    shard: Option<kensho::authoring::Shard>,
    /// Only the feature files under these paths (a mutant run's selection).
    only: Option<Vec<String>>,
}

/// In a mutant run (`KENSHO_MUTANT_RUN`, set by `cargo run --bin mutation`), the
/// feature files that exercise the mutated service: `KENSHO_MUTANT_FEATURES`, a
/// comma-separated list of path prefixes relative to the crate (`features/karte/`).
fn mutant_run_features() -> Option<Vec<String>> {
    std::env::var_os("KENSHO_MUTANT_RUN")?;
    let list = std::env::var("KENSHO_MUTANT_FEATURES").ok()?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
    )
}

impl<I: AsRef<Path>> Parser<I> for PerEngine {
    type Cli = <parser::Basic as Parser<I>>::Cli;
    type Output = LocalBoxStream<'static, parser::Result<gherkin::Feature>>;

    fn parse(self, input: I, cli: Self::Cli) -> Self::Output {
        let (engines, slow, shard, only) = (self.engines, self.slow, self.shard, self.only);
        parser::Basic::new()
            .parse(input, cli)
            .flat_map(move |parsed| {
                let copies: Vec<_> = match parsed {
                    Ok(feature)
                        if only.as_ref().is_some_and(|only| {
                            let path = relative_path(&feature);
                            !only.iter().any(|prefix| path.starts_with(prefix.as_str()))
                        }) =>
                    {
                        Vec::new()
                    }
                    Ok(mut feature) => {
                        prepare(&mut feature, slow, shard);
                        engines
                            .iter()
                            .map(|engine| {
                                let mut copy = feature.clone();
                                copy.name = format!("{} [{}]", feature.name, engine.name());
                                copy.tags.push(engine.name().to_string());
                                Ok(copy)
                            })
                            .collect()
                    }
                    Err(e) => vec![Err(e)],
                };
                stream::iter(copies)
            })
            .boxed_local()
    }
}

/// The scenarios of `feature` this run takes, with their closing steps: `@slow`
/// ones only if `slow`, only those of `shard` if given.
pub fn prepare(
    feature: &mut gherkin::Feature,
    slow: bool,
    shard: Option<kensho::authoring::Shard>,
) {
    if !slow {
        drop_slow(feature);
    }
    if let Some(shard) = shard {
        let path = relative_path(feature);
        let keep = |s: &gherkin::Scenario| shard.contains(&scenario_key(&path, s));
        feature.scenarios.retain(keep);
        for rule in &mut feature.rules {
            rule.scenarios.retain(keep);
        }
    }
    add_closing_steps(feature);
}

/// A feature's file, relative to the project.
pub fn relative_path(feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_deref()
        .map(|p| {
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .unwrap_or_else(|| feature.name.clone())
}

/// What decides a scenario's shard: its file, line and name (not the engine, so
/// every engine's copy of a scenario runs in the same shard).
pub fn scenario_key(path: &str, scenario: &gherkin::Scenario) -> String {
    format!("{path}:{}\u{0}{}", scenario.position.line, scenario.name)
}

/// Leaves out the scenarios tagged `@slow` (on the scenario, its rule or feature).
fn drop_slow(feature: &mut gherkin::Feature) {
    let slow = |tags: &[String]| tags.iter().any(|t| t == "slow");
    if slow(&feature.tags) {
        feature.scenarios.clear();
        feature.rules.clear();
        return;
    }
    feature.scenarios.retain(|s| !slow(&s.tags));
    feature.rules.retain(|r| !slow(&r.tags));
    for rule in &mut feature.rules {
        rule.scenarios.retain(|s| !slow(&s.tags));
    }
}

/// Ends every `@differential(flag)` scenario with [`DIFFERENTIAL_STEP`], and every
/// scenario with [`INVARIANTS_STEP`].
fn add_closing_steps(feature: &mut gherkin::Feature) {
    let feature_tagged = feature.tags.iter().any(|t| t.starts_with("differential("));
    let scenarios = feature.scenarios.iter_mut().chain(
        feature
            .rules
            .iter_mut()
            .flat_map(|r| r.scenarios.iter_mut()),
    );
    for scenario in scenarios {
        let differential =
            feature_tagged || scenario.tags.iter().any(|t| t.starts_with("differential("));
        let Some(last) = scenario.steps.last() else {
            continue;
        };
        let closing = |text: &str| {
            let mut check = last.clone();
            check.keyword = "Then ".into();
            check.ty = gherkin::StepType::Then;
            check.value = text.into();
            check.docstring = None;
            check.table = None;
            check
        };
        let mut added = Vec::new();
        if differential {
            added.push(closing(DIFFERENTIAL_STEP));
        }
        added.push(closing(INVARIANTS_STEP));
        scenario.steps.extend(added);
    }
}

/// The engine a feature copy runs on.
fn engine_of(feature: &gherkin::Feature) -> Option<Engine> {
    let (_, suffix) = feature.name.rsplit_once(" [")?;
    Engine::parse(suffix.strip_suffix(']')?).ok()
}

fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{}_{}", std::process::id(), secs % 1_000_000)
}

fn sqlite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/kensho/sqlite")
}

/// What only the suite's own checks set; no option or variable reaches it.
#[derive(Clone, Copy, Debug)]
pub struct Internal {
    /// Batch steps use this naive re-run policy (the teeth check).
    pub forced_policy: Option<NaivePolicy>,
    /// Keep a failing scenario's database for inspection (off where failure is the
    /// expected outcome).
    pub keep_failed: bool,
    /// Consolidation runs with the historical net-income defect (incident replay).
    pub replay_net_income_defect: bool,
    /// The karte purge runs as the original single long transaction (incident
    /// replay, seed 000).
    pub replay_long_purge: bool,
    /// Write the reports (off for the suite's own checks, which must not overwrite
    /// the main run's).
    pub reports: bool,
}

impl Default for Internal {
    fn default() -> Self {
        Internal {
            forced_policy: None,
            keep_failed: true,
            replay_net_income_defect: false,
            replay_long_purge: false,
            reports: true,
        }
    }
}

/// Parses `argv` (cucumber's options plus [`KenshoArgs`]) and runs every selected
/// feature on every selected engine.
pub async fn run(mode: Mode, argv: Vec<String>, internal: Internal) -> Result<Report> {
    let Internal {
        forced_policy,
        keep_failed,
        replay_net_income_defect,
        replay_long_purge,
        reports,
    } = internal;
    let run_started = SystemTime::now();
    let opts = cli::Opts::<_, _, _, KenshoArgs>::parse_from(argv);
    let args = opts.custom.clone();
    if args.catalogue {
        print!("{}", crate::authoring::catalogue(&args.features)?);
        return Ok(Report::default());
    }
    if args.dry_run {
        let dry = crate::authoring::dry_run(&args.features, args.slow, args.shard)?;
        eprint!("{dry}");
        return Ok(Report {
            failed: !dry.problems.is_empty() || dry.scenarios.is_empty(),
            ..Report::default()
        });
    }

    // Unknown or malformed tags would silently select or drop scenarios.
    let tags = crate::authoring::tag_problems(&args.features)?;
    if !tags.is_empty() {
        bail!(
            "the feature files carry tags Kensho does not know (nothing ran):\n  {}",
            tags.join("\n  ")
        );
    }

    // Which engines, and which of them must be there.
    let explicit = args
        .engines
        .as_deref()
        .map(Engine::parse_list)
        .transpose()?;
    let mut required: BTreeSet<Engine> = explicit.iter().flatten().copied().collect();
    if let Some(list) = &args.require {
        required.extend(Engine::parse_list(list)?);
    }
    if mode == Mode::Suite && in_ci() {
        required.extend([Engine::Postgres, Engine::MariaDb]);
    }
    let mut selected: BTreeSet<Engine> = match (&explicit, mode) {
        (Some(list), _) => list.iter().copied().collect(),
        (None, Mode::Main) => [Engine::Sqlite].into(),
        (None, Mode::Suite) => Engine::ALL.into(),
    };
    selected.extend(required.iter().copied());

    // Bring up the servers, all at once.
    let id = run_id();
    let starts = selected.iter().map(|&engine| {
        let source = ProviderSource::resolve(engine, |k| std::env::var(k).ok(), sqlite_dir());
        let id = id.clone();
        async move {
            eprintln!("kensho: {engine}: starting ({})", source.describe());
            let began = Instant::now();
            let result = EngineServer::start(engine, &source, &id).await;
            (engine, result, began.elapsed())
        }
    });
    let mut servers = BTreeMap::new();
    let mut report = Report::default();
    let mut missing_required = Vec::new();
    for (engine, result, took) in futures::future::join_all(starts).await {
        match result {
            Ok(server) => {
                eprintln!(
                    "kensho: {engine}: ready in {:.1} s: {}",
                    took.as_secs_f64(),
                    server.describe()
                );
                servers.insert(engine, server);
            }
            Err(e) if required.contains(&engine) => missing_required.push(format!("{e}")),
            Err(e) => report.not_run.push((engine, e.to_string())),
        }
    }
    if !missing_required.is_empty() {
        for server in servers.into_values() {
            server.finish(false).await;
        }
        bail!(
            "required engine(s) unavailable:\n  {}\n(required because {})",
            missing_required.join("\n  "),
            if mode == Mode::Suite && in_ci() {
                "CI=true requires postgres and mariadb"
            } else {
                "they were asked for by --engines/--require"
            }
        );
    }
    for (engine, reason) in &report.not_run {
        eprintln!("kensho: {engine}: NOT RUN: {reason}");
    }
    let engines: Vec<Engine> = servers.keys().copied().collect();
    if engines.is_empty() {
        bail!("no engine is available to run scenarios on");
    }

    let servers = Rc::new(servers);
    let stats: Rc<RefCell<BTreeMap<Engine, EngineStats>>> = Rc::default();
    let kept: Rc<RefCell<Vec<String>>> = Rc::default();
    let (servers_before, stats_before) = (servers.clone(), stats.clone());
    let (servers_after, stats_after, kept_after) = (servers.clone(), stats.clone(), kept.clone());
    let collected: reporting::Shared = Rc::default();
    let collected_after = collected.clone();

    let writer = ScenarioWorld::cucumber::<PathBuf>()
        .with_parser(PerEngine {
            engines,
            slow: args.slow,
            shard: args.shard,
            only: mutant_run_features(),
        })
        .max_concurrent_scenarios(16)
        .with_writer(
            writer::Basic::stdout()
                .summarized()
                .tee::<ScenarioWorld, _>(
                    reporting::Collector(collected.clone())
                        .discard_stats_writes()
                        .discard_arbitrary_writes(),
                ),
        )
        .before(move |feature, _rule, scenario, world| {
            let servers = servers_before.clone();
            let stats = stats_before.clone();
            Box::pin(async move {
                world.forced_policy = forced_policy;
                let Some(engine) = engine_of(feature) else {
                    world.setup_error = Some(format!("feature {:?} names no engine", feature.name));
                    return;
                };
                world.engine = Some(engine);
                world.feature_file = relative_path(feature);
                world.replay_net_income_defect = replay_net_income_defect;
                world.karte.replay_long_purge = replay_long_purge;
                let settings: Vec<(String, Option<(String, bool)>)> =
                    match differential_flag(feature, scenario) {
                        Some(flag) => [false, true]
                            .into_iter()
                            .map(|on| {
                                (
                                    format!("{flag}={}", if on { "on" } else { "off" }),
                                    Some((flag.clone(), on)),
                                )
                            })
                            .collect(),
                        None => vec![(String::new(), None)],
                    };
                for (label, flag) in settings {
                    let database = match servers[&engine].create_scenario_db().await {
                        Ok(database) => database,
                        Err(e) => {
                            world.setup_error = Some(e.to_string());
                            return;
                        }
                    };
                    {
                        let mut stats = stats.borrow_mut();
                        let s = stats.entry(engine).or_default();
                        s.databases += 1;
                        s.database_time += database.created_in;
                        s.database_max = s.database_max.max(database.created_in);
                    }
                    if let Some((name, on)) = flag
                        && let Err(e) = kensho::flags::set(&database.db, &name, on).await
                    {
                        world.setup_error = Some(format!("@differential: {e}"));
                    }
                    world.databases.push(Variant { label, database });
                }
            })
        })
        .after(move |feature, _rule, scenario, finished, world| {
            let servers = servers_after.clone();
            let stats = stats_after.clone();
            let kept = kept_after.clone();
            let collected = collected_after.clone();
            Box::pin(async move {
                let Some(engine) = engine_of(feature) else {
                    return;
                };
                let passed = matches!(finished, ScenarioFinished::StepPassed);
                {
                    let mut stats = stats.borrow_mut();
                    let s = stats.entry(engine).or_default();
                    if passed { s.passed += 1 } else { s.failed += 1 }
                }
                let Some(world) = world else { return };
                if reports {
                    let mut tables = Vec::new();
                    for variant in &world.databases {
                        tables.extend(
                            reporting::amount_tables(&variant.database.db, &variant.label).await,
                        );
                    }
                    collected.borrow_mut().keep_extras(
                        &feature.name,
                        scenario.position.line,
                        std::mem::take(&mut world.notes),
                        tables,
                    );
                }
                for Variant { label, database } in world.databases.drain(..) {
                    if passed || !keep_failed {
                        if let Err(e) = servers[&engine].drop_scenario_db(database).await {
                            eprintln!("kensho: {engine}: could not drop a scenario database: {e}");
                        }
                    } else {
                        database.db.close().await;
                        kept.borrow_mut().push(format!(
                            "[{engine}] {:?} (line {}){}: kept database {}",
                            scenario.name,
                            scenario.position.line,
                            if label.is_empty() {
                                String::new()
                            } else {
                                format!(" [{label}]")
                            },
                            database.location
                        ));
                    }
                }
            })
        })
        .fail_on_skipped()
        .with_cli(opts)
        .run(args.features.clone())
        .await;

    if reports {
        let collected = std::mem::take(&mut *collected.borrow_mut());
        let report = collected.into_report(format!("Kensho run {id}"), run_started);
        reporting::write(&args.reports, &report);
    }
    let servers = Rc::try_unwrap(servers)
        .map_err(|_| anyhow::anyhow!("engine servers still in use after the run"))?;
    report.engines = stats.borrow().clone();
    let total: usize = report.engines.values().map(|s| s.passed + s.failed).sum();
    report.failed = writer.execution_has_failed()
        || report.engines.values().any(|s| s.failed > 0)
        || total == 0;

    eprintln!("\nKensho summary (per engine)");
    for (engine, server) in &servers {
        let s = report.engines.get(engine).cloned().unwrap_or_default();
        let avg = if s.databases > 0 {
            s.database_time / s.databases as u32
        } else {
            Duration::ZERO
        };
        eprintln!(
            "  {:<9} {} scenarios: {} passed, {} failed; isolated databases: {} created, {:.1} ms average, {:.1} ms max ({})",
            engine.name(),
            s.passed + s.failed,
            s.passed,
            s.failed,
            s.databases,
            avg.as_secs_f64() * 1000.0,
            s.database_max.as_secs_f64() * 1000.0,
            server.describe()
        );
    }
    for (engine, reason) in &report.not_run {
        eprintln!("  {:<9} NOT RUN: {reason}", engine.name());
    }
    if total == 0 {
        eprintln!(
            "  no scenario ran: check the features folder, --name and --tags (@slow scenarios also need --slow)"
        );
    }
    for line in kept.borrow().iter() {
        eprintln!("  {line}");
    }
    for (engine, server) in servers {
        let keep = keep_failed && report.engines.get(&engine).is_some_and(|s| s.failed > 0);
        if let Some(container) = server.finish(keep).await {
            eprintln!(
                "  [{engine}] container {container} kept for inspection of the databases above; the next run removes it (or: docker rm -f {container})"
            );
        }
    }
    Ok(report)
}

/// Sets up logging (`KENSHO_LOG`, default warnings only).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KENSHO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
