//! What the runner does around each scenario: before it, whether it may start
//! (not once the run is stopping), its time limit, the scenario's own databases
//! (one, or one per setting of a differential run) and the World's suite, engine
//! and test-only setup; after it, the counts, the tables the report shows, and
//! dropping the databases (or keeping those of a failure).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cucumber::event::ScenarioFinished;
use cucumber::gherkin;

use super::interrupt::Admission;
use super::limits::{ScenarioClock, Watch};
use super::options::Setup;
use super::summary::{EngineStats, Flaky};
use crate::db::{Engine, EngineServer};
use crate::report::ScenarioTime;
use crate::report::collect;
use crate::selection::{differential_flag, engine_of, relative_path};
use crate::service::Suite;
use crate::turns::{Sharing, Turn, Turns};
use crate::world::{ScenarioWorld, Variant};

/// What the hooks share during a run.
pub(super) struct Hooks {
    pub suite: Arc<Suite>,
    pub root: PathBuf,
    pub servers: BTreeMap<Engine, EngineServer>,
    pub stats: RefCell<BTreeMap<Engine, EngineStats>>,
    /// `[engine] "scenario" (line n): kept database ...` for the summary, by engine.
    pub kept: RefCell<Vec<(Engine, String)>>,
    pub collected: collect::Shared,
    pub setup: Option<Setup>,
    pub keep_failed: bool,
    pub reports: bool,
    /// Which scenarios may start (none once the run is stopping).
    pub admission: Rc<Admission>,
    /// Each scenario's time limit.
    pub limit: Duration,
    /// Where running steps are registered for the watchdog.
    pub watch: Arc<Watch>,
    /// Every scenario that ran, with its time from setup to cleaned up.
    pub times: RefCell<Vec<ScenarioTime>>,
    /// Every scenario copy that failed: its file (relative), line and engine.
    pub failed: RefCell<Vec<(String, usize, Engine)>>,
    /// `@serial` scenarios run alone, `@serial(group)` ones one at a time.
    pub turns: Turns,
    /// cucumber's runner options: how often a failed scenario is run again
    /// (`--retry N`, `--retry-tag-filter`).
    pub retry: cucumber::runner::basic::Cli,
    /// The scenario copies that failed and are run again: their failed
    /// attempts so far and when the first began.
    pub retried: RefCell<HashMap<(String, usize), Retried>>,
}

/// A scenario copy run again after failing (`--retry N`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Retried {
    /// Its attempts that failed so far.
    pub failed: usize,
    /// When the runner began setting up its first attempt.
    pub began: Instant,
}

/// Whether cucumber runs a scenario again after an attempt that ended so, with
/// `earlier` failed attempts before it and a budget of `retries` (cucumber's
/// runner retries a failed step or before hook, not a skipped or undefined one).
pub(super) fn runs_again(finished: &ScenarioFinished, earlier: usize, retries: usize) -> bool {
    matches!(
        finished,
        ScenarioFinished::StepFailed(..) | ScenarioFinished::BeforeHookFailed(_)
    ) && earlier < retries
}

/// When the runner began setting up a scenario (kept in its World).
#[derive(Clone, Copy)]
struct Began(Instant);

impl Default for Began {
    fn default() -> Self {
        Began(Instant::now())
    }
}

impl Hooks {
    /// Before a scenario: attaches its databases, with the flag of a differential
    /// run switched off in one and on in the other. A failure is kept in the World
    /// and reported by the first step.
    pub async fn before(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        world: &mut ScenarioWorld,
    ) {
        // Its turn first: its time and time limit start when it may run.
        *world.state::<Turn>() = self.turns.take(&Sharing::of(feature, rule, scenario)).await;
        let began = Instant::now();
        let deadline = began + self.limit;
        *world.state::<Began>() = Began(began);
        if !self.admission.admit(feature, scenario) {
            world.state::<ScenarioClock>().held = true;
            return;
        }
        world.suite = Some(self.suite.clone());
        if let Some(setup) = &self.setup {
            setup(world);
        }
        let Some(engine) = engine_of(feature) else {
            world.setup_error = Some(format!("feature {:?} names no engine", feature.name));
            return;
        };
        world.engine = Some(engine);
        world.feature_file = relative_path(&self.root, feature);
        *world.state::<ScenarioClock>() = ScenarioClock {
            limit: self.limit,
            deadline: Some(deadline),
            scenario: format!("{:?} [{engine}]", scenario.name),
            file: world.feature_file.clone(),
            watch: Some(self.watch.clone()),
            held: false,
            health: Some(self.servers[&engine].health().clone()),
        };
        let attach = self.attach(engine, feature, scenario, world);
        if tokio::time::timeout_at(deadline.into(), attach)
            .await
            .is_err()
        {
            world.setup_error = Some(format!(
                "out of time: setting up the scenario's databases took longer than its time limit of {} s (--scenario-timeout SECONDS or KENSHO_SCENARIO_TIMEOUT)",
                self.limit.as_secs()
            ));
        }
    }

    /// Attaches the scenario's databases to `world`.
    async fn attach(
        &self,
        engine: Engine,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        world: &mut ScenarioWorld,
    ) {
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
            let database = match self.servers[&engine].create_scenario_db().await {
                Ok(database) => database,
                Err(e) => {
                    world.setup_error = Some(e.to_string());
                    return;
                }
            };
            self.stats
                .borrow_mut()
                .entry(engine)
                .or_default()
                .count_database(database.handed_out_in);
            if let Some((name, on)) = flag {
                let known = self.suite.flags();
                let set = match kensho_shared::flag::check_known(&name, &known) {
                    Ok(flag) => kensho_shared::flag::set(&database.db, flag, on).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = set {
                    world.setup_error = Some(format!("@differential: {e}"));
                }
            }
            world.databases.push(Variant { label, database });
        }
    }

    /// After a scenario: counts it, keeps its notes and tables for the report,
    /// and drops its databases (a failure's are kept and named, unless told not to).
    ///
    /// An attempt that cucumber runs again (`--retry N`) is not counted: its
    /// databases are dropped (the next attempt gets fresh ones), and the last
    /// attempt counts, as flaky when it passed after a failed one.
    pub async fn after(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        finished: &ScenarioFinished,
        world: Option<&mut ScenarioWorld>,
    ) {
        let Some(engine) = engine_of(feature) else {
            return;
        };
        let passed = matches!(finished, ScenarioFinished::StepPassed);
        let key = (feature.name.clone(), scenario.position.line);
        let retries = cucumber::runner::basic::RetryOptions::parse_from_tags(
            feature,
            rule,
            scenario,
            &self.retry,
        )
        .map_or(0, |options| options.retries.left);
        let earlier = self.retried.borrow().get(&key).copied();
        let failed_before = earlier.map_or(0, |r| r.failed);
        if runs_again(finished, failed_before, retries) {
            let began = match (earlier, world.as_deref()) {
                (Some(r), _) => r.began,
                (None, Some(world)) => world
                    .state_ref::<Began>()
                    .map_or_else(Instant::now, |b| b.0),
                (None, None) => Instant::now(),
            };
            self.retried.borrow_mut().insert(
                key,
                Retried {
                    failed: failed_before + 1,
                    began,
                },
            );
            if let Some(world) = world {
                self.clean_up(engine, feature, scenario, true, world).await;
                *world.state::<Turn>() = Turn::default();
            }
            return;
        }
        {
            let mut stats = self.stats.borrow_mut();
            let s = stats.entry(engine).or_default();
            if passed {
                s.passed += 1
            } else {
                s.failed += 1
            }
            if passed && failed_before > 0 {
                s.flaky.push(Flaky {
                    name: scenario.name.clone(),
                    file: relative_path(&self.root, feature),
                    line: scenario.position.line,
                    attempts: failed_before + 1,
                });
            }
        }
        if !passed {
            self.failed.borrow_mut().push((
                relative_path(&self.root, feature),
                scenario.position.line,
                engine,
            ));
        }
        let Some(world) = world else { return };
        self.clean_up(engine, feature, scenario, passed, world)
            .await;
        // A retried scenario's time is that of all its attempts.
        let began = match earlier {
            Some(r) => r.began,
            None => world.state::<Began>().0,
        };
        let ended = Instant::now();
        self.stats
            .borrow_mut()
            .entry(engine)
            .or_default()
            .count_time(began, ended);
        self.times.borrow_mut().push(ScenarioTime {
            engine: engine.name().to_string(),
            name: scenario.name.clone(),
            file: world.feature_file.clone(),
            line: scenario.position.line,
            ms: u64::try_from((ended - began).as_millis()).unwrap_or(u64::MAX),
        });
        // Cleaned up: the next scenario's turn (a serial one may be waiting).
        *world.state::<Turn>() = Turn::default();
    }

    /// Keeps the scenario's notes and tables for the report, and drops its
    /// databases (a failure's are kept and named, unless told not to), within a
    /// time limit of its own: what it leaves (a database of a server that
    /// stopped answering) is dropped at the end of the run.
    async fn clean_up(
        &self,
        engine: Engine,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        passed: bool,
        world: &mut ScenarioWorld,
    ) {
        let health = self.servers[&engine].health().clone();
        if health.is_lost().is_some() {
            // Nothing to read the tables from, drop or keep: the databases went
            // with the server, and the summary names the loss.
            world.databases.clear();
            if self.reports {
                self.collected.borrow_mut().keep_extras(
                    &feature.name,
                    scenario.position.line,
                    std::mem::take(&mut world.notes),
                    Vec::new(),
                );
            }
            return;
        }
        let cleanup = async {
            if self.reports {
                let mut tables = Vec::new();
                for variant in &world.databases {
                    tables.extend(
                        collect::amount_tables(
                            &variant.database.db,
                            &variant.label,
                            &self.suite.amount_tables(),
                        )
                        .await,
                    );
                }
                self.collected.borrow_mut().keep_extras(
                    &feature.name,
                    scenario.position.line,
                    std::mem::take(&mut world.notes),
                    tables,
                );
            }
            for Variant { label, database } in world.databases.drain(..) {
                if passed || !self.keep_failed {
                    if let Err(e) = self.servers[&engine].drop_scenario_db(database).await {
                        eprintln!("kensho: {engine}: could not drop a scenario database: {e}");
                    }
                } else {
                    let location = self.servers[&engine].keep_scenario_db(database).await;
                    self.kept.borrow_mut().push((
                        engine,
                        format!(
                            "[{engine}] {:?} (line {}){}: kept database {location}",
                            scenario.name,
                            scenario.position.line,
                            if label.is_empty() {
                                String::new()
                            } else {
                                format!(" [{label}]")
                            },
                        ),
                    ));
                }
            }
        };
        // A server lost meanwhile ends the cleanup at once: the summary names it.
        let ended = tokio::select! {
            ended = tokio::time::timeout(self.limit, cleanup) => ended,
            _ = health.lost() => Ok(()),
        };
        if ended.is_err() {
            eprintln!(
                "kensho: {engine}: cleaning up after {:?} took longer than {} s; its databases are dropped at the end of the run",
                scenario.name,
                self.limit.as_secs()
            );
        }
    }
}
