//! The scenario time limit (`--scenario-timeout SECONDS`, `KENSHO_SCENARIO_TIMEOUT`,
//! default [`DEFAULT_SCENARIO_TIMEOUT`]).
//!
//! cucumber-rs awaits every step with no time limit, and runs all scenarios as
//! futures on one task. Two things stop a step that hangs:
//!
//! - The runner registers every step definition through [`limited_steps`]: the
//!   same texts and locations, each run under its scenario's deadline (set by the
//!   before hook in a [`ScenarioClock`]). When the deadline passes, the step's
//!   future is dropped — a program it runs is killed with it — and the step fails
//!   with [`out_of_time`], which names it. The other scenarios go on.
//! - A step that never gives control back (a blocking read of a FIFO, say) blocks
//!   the runner with it, so no timer can fire. The [`Watch`] sees it: the step is
//!   still registered past its deadline while the runner has stopped beating
//!   ([`Watch::keep_beating`]). Its [`watchdog`] thread then reports the step
//!   ([`stuck_message`]) and the runner stops the whole run (see
//!   `super::interrupt::emergency_exit`): nothing short of ending the process
//!   stops a blocked thread.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cucumber::World as _;
use cucumber::codegen::{StepConstructor as _, WorldInventory, inventory};
use cucumber::gherkin;
use cucumber::step::{Collection, Context};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;

use crate::world::ScenarioWorld;

/// How long a scenario may run unless told otherwise: generous, so that only a
/// hung scenario reaches it.
pub const DEFAULT_SCENARIO_TIMEOUT: Duration = Duration::from_secs(600);

/// How often the runner beats while it runs scenarios.
const BEAT: Duration = Duration::from_millis(250);

/// How long a step may stay past its deadline, with the runner silent, before the
/// watchdog takes the runner for blocked.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// What a scenario's steps run under; the before hook keeps it in the World.
#[derive(Clone, Default)]
pub struct ScenarioClock {
    /// The scenario's time limit.
    pub limit: Duration,
    /// When it runs out (`None`: no limit, for Worlds the runner did not set up).
    pub deadline: Option<Instant>,
    /// The scenario, as messages name it: `"name" [engine]`.
    pub scenario: String,
    /// Its feature file, relative to the project.
    pub file: String,
    /// Where its running steps are registered for the watchdog.
    pub watch: Option<Arc<Watch>>,
    /// The run was stopping when the scenario came up: its steps do not run (and
    /// the runner ends before they would).
    pub held: bool,
    /// Whether the scenario's server is still there: a step running when it is
    /// lost stops at once, naming the loss ([`server_lost`]).
    pub health: Option<crate::db::Health>,
}

/// A step as messages name it: `When the command "sleep 600" runs`.
pub fn step_label(step: &gherkin::Step) -> String {
    format!("{} {}", step.keyword.trim(), step.value)
}

/// `2 s`, `600 s`.
fn seconds(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

/// The failure of a step still running when its scenario's time ran out.
pub fn out_of_time(limit: Duration, step: &str, at: &str) -> String {
    format!(
        "out of time: the scenario's time limit of {} passed while this step was running, and it was stopped: {step} ({at}); \
         if the scenario needs longer, raise the limit (--scenario-timeout SECONDS or KENSHO_SCENARIO_TIMEOUT)",
        seconds(limit)
    )
}

/// The text a failed step panicked with (steps fail by panicking with their
/// error's text).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the step panicked".into())
}

/// The failure of a step running (or about to run) when its scenario's server
/// was lost.
pub fn server_lost(lost: &crate::db::Lost, step: &str, at: &str) -> String {
    format!("{lost}; this step was stopped: {step} ({at})")
}

/// Runs one step's future until `deadline`; past it the future is dropped and the
/// error is [`out_of_time`].
pub async fn within<F: Future<Output = ()>>(
    deadline: Instant,
    limit: Duration,
    step: &str,
    at: &str,
    step_future: F,
) -> Result<(), String> {
    tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), step_future)
        .await
        .map_err(|_| out_of_time(limit, step, at))
}

/// Every step definition, as registered (looked up again by [`limited`]).
fn definitions() -> &'static Collection<ScenarioWorld> {
    static DEFINITIONS: OnceLock<Collection<ScenarioWorld>> = OnceLock::new();
    DEFINITIONS.get_or_init(ScenarioWorld::collection)
}

/// Every step definition with its own text and location, each run under its
/// scenario's time limit. Undefined and ambiguous steps stay what they are: the
/// texts match exactly the definitions they match unwrapped.
pub fn limited_steps() -> Collection<ScenarioWorld> {
    let mut steps = Collection::new();
    for given in inventory::iter::<<ScenarioWorld as WorldInventory>::Given> {
        let (location, regex, _) = given.inner();
        steps = steps.given(Some(location), regex(), limited);
    }
    for when in inventory::iter::<<ScenarioWorld as WorldInventory>::When> {
        let (location, regex, _) = when.inner();
        steps = steps.when(Some(location), regex(), limited);
    }
    for then in inventory::iter::<<ScenarioWorld as WorldInventory>::Then> {
        let (location, regex, _) = then.inner();
        steps = steps.then(Some(location), regex(), limited);
    }
    steps
}

/// Runs the step definition `ctx.step` matches under its scenario's deadline.
fn limited(world: &mut ScenarioWorld, ctx: Context) -> LocalBoxFuture<'_, ()> {
    Box::pin(async move {
        let definition = match definitions().find(&ctx.step) {
            Ok(Some((definition, ..))) => *definition,
            _ => std::panic::panic_any(format!(
                "the step {:?} matches no single definition",
                ctx.step.value
            )),
        };
        let clock = world
            .state_ref::<ScenarioClock>()
            .cloned()
            .unwrap_or_default();
        if clock.held {
            return futures::future::pending().await;
        }
        let Some(deadline) = clock.deadline else {
            return definition(world, ctx).await;
        };
        let step = step_label(&ctx.step);
        let at = format!("{}:{}", clock.file, ctx.step.position.line);
        let _registered = clock.watch.as_ref().map(|watch| {
            watch.enter(RunningStep {
                scenario: clock.scenario.clone(),
                step: step.clone(),
                at: at.clone(),
                deadline,
                limit: clock.limit,
            })
        });
        let limited = within(deadline, clock.limit, &step, &at, definition(world, ctx));
        let Some(health) = &clock.health else {
            if let Err(message) = limited.await {
                std::panic::panic_any(message);
            }
            return;
        };
        let ended = tokio::select! {
            biased;
            lost = health.lost() => Err(server_lost(&lost, &step, &at)),
            ended = std::panic::AssertUnwindSafe(limited).catch_unwind() => match ended {
                Ok(ended) => ended,
                // A step that failed on its own may have failed because its
                // server just went: then the failure names the loss first.
                Err(failure) => match health.confirm().await {
                    Some(lost) => Err(format!(
                        "{lost}; this step failed with it: {}",
                        panic_text(failure.as_ref())
                    )),
                    None => std::panic::resume_unwind(failure),
                },
            },
        };
        if let Err(message) = ended {
            // A step fails by panicking (a step returning `Err` does the same).
            std::panic::panic_any(message);
        }
    })
}

/// A step that is running, as the watchdog sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningStep {
    /// Its scenario, `"name" [engine]`.
    pub scenario: String,
    /// The step, `When ...`.
    pub step: String,
    /// `file:line`.
    pub at: String,
    /// When its scenario's time runs out.
    pub deadline: Instant,
    /// The scenario's time limit.
    pub limit: Duration,
}

/// The steps running now, and the runner's last beat.
pub struct Watch {
    began: Instant,
    /// Milliseconds from `began` to the last beat.
    last_beat: AtomicU64,
    next: AtomicU64,
    steps: Mutex<BTreeMap<u64, RunningStep>>,
}

impl Watch {
    /// A watch whose runner has just beaten.
    pub fn new() -> Arc<Watch> {
        Arc::new(Watch {
            began: Instant::now(),
            last_beat: AtomicU64::new(0),
            next: AtomicU64::new(0),
            steps: Mutex::new(BTreeMap::new()),
        })
    }

    /// The runner is running.
    pub fn beat(&self) {
        let ms = u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_beat.store(ms, Ordering::Relaxed);
    }

    /// Beats every [`BEAT`] for as long as it is polled: raced against the
    /// scenarios on the runner's own task, it stops when a step blocks that task.
    pub async fn keep_beating(&self) {
        loop {
            self.beat();
            tokio::time::sleep(BEAT).await;
        }
    }

    /// Registers a running step until the returned guard is dropped.
    pub fn enter(self: &Arc<Self>, step: RunningStep) -> Entered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, step);
        Entered {
            watch: self.clone(),
            id,
        }
    }

    /// A step that blocks the runner, if one does at `now` (see [`stuck_step`]).
    pub fn stuck(&self, now: Instant, patience: Duration) -> Option<(RunningStep, Duration)> {
        let last_beat = self.began + Duration::from_millis(self.last_beat.load(Ordering::Relaxed));
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        stuck_step(now, last_beat, steps.values(), patience)
            .map(|step| (step, now.saturating_duration_since(last_beat)))
    }
}

/// A step registered with a [`Watch`]; dropping it ends the registration.
pub struct Entered {
    watch: Arc<Watch>,
    id: u64,
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.watch
            .steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// The step that blocks the runner at `now`: one still running `patience` past its
/// deadline while the runner has not beaten for `patience` either. (A runner that
/// still beats stops an overdue step itself; a silent runner with no overdue step
/// is busy, not stuck.) The earliest deadline first.
pub fn stuck_step<'a>(
    now: Instant,
    last_beat: Instant,
    steps: impl IntoIterator<Item = &'a RunningStep>,
    patience: Duration,
) -> Option<RunningStep> {
    if now.saturating_duration_since(last_beat) < patience {
        return None;
    }
    steps
        .into_iter()
        .filter(|step| now.saturating_duration_since(step.deadline) >= patience)
        .min_by_key(|step| step.deadline)
        .cloned()
}

/// What the runner says when a step blocks it.
pub fn stuck_message(step: &RunningStep, silent: Duration) -> String {
    format!(
        "out of time, and the step cannot be stopped: scenario {} ran past its time limit of {}, and this step has not given control back for {} s: {} ({}). \
         It blocks the whole runner (for example a blocking read of a FIFO, or of a pipe nobody writes to), so the run is stopped here.",
        step.scenario,
        seconds(step.limit),
        silent.as_secs(),
        step.step,
        step.at
    )
}

/// The watchdog thread of a run; dropping it stops the thread.
pub struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts a thread that looks at `watch` a few times a second and calls `on_stuck`
/// (once) with the step that blocks the runner and how long the runner has been
/// silent.
pub fn watchdog(
    watch: Arc<Watch>,
    patience: Duration,
    on_stuck: impl FnOnce(RunningStep, Duration) + Send + 'static,
) -> Watchdog {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let look_every = (patience / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
    let thread = std::thread::Builder::new()
        .name("kensho-watchdog".into())
        .spawn(move || {
            loop {
                std::thread::sleep(look_every);
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                if let Some((step, silent)) = watch.stuck(Instant::now(), patience) {
                    on_stuck(step, silent);
                    return;
                }
            }
        })
        .ok();
    Watchdog { stop, thread }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, deadline: Instant) -> RunningStep {
        RunningStep {
            scenario: format!("\"{name}\" [sqlite]"),
            step: format!("When {name} runs"),
            at: "features/x.feature:7".into(),
            deadline,
            limit: Duration::from_secs(2),
        }
    }

    #[test]
    fn the_message_names_the_step_its_place_and_the_limit() {
        let message = out_of_time(
            Duration::from_secs(2),
            "When the command \"sleep 600\" runs",
            "fixtures/runner/clean_timeout.feature:9",
        );
        assert!(message.starts_with("out of time: "), "{message}");
        assert!(message.contains("time limit of 2 s"), "{message}");
        assert!(
            message.contains(
                "stopped: When the command \"sleep 600\" runs (fixtures/runner/clean_timeout.feature:9)"
            ),
            "{message}"
        );
        assert!(message.contains("--scenario-timeout"), "{message}");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn a_step_blocks_the_runner_only_when_overdue_and_the_runner_is_silent() {
        let t0 = Instant::now();
        let patience = Duration::from_secs(5);
        let s = |secs| t0 + Duration::from_secs(secs);
        let early = step("early", s(10));
        let late = step("late", s(20));
        let steps = [late.clone(), early.clone()];
        // Overdue by the patience, runner silent as long: the earliest deadline.
        assert_eq!(
            stuck_step(s(30), s(12), &steps, patience),
            Some(early.clone())
        );
        // The runner still beats: it stops overdue steps itself.
        assert_eq!(stuck_step(s(30), s(29), &steps, patience), None);
        // Silent, but no step is past its deadline by the patience: busy, not stuck.
        assert_eq!(stuck_step(s(14), s(1), &steps, patience), None);
        assert_eq!(stuck_step(s(15), s(1), &steps, patience), Some(early));
        assert_eq!(stuck_step(s(30), s(1), [&late], patience), Some(late));
        assert_eq!(stuck_step(s(30), s(1), [], patience), None);
    }

    #[tokio::test]
    async fn a_step_past_its_deadline_is_stopped_and_named() {
        let began = Instant::now();
        let outcome = within(
            Instant::now() + Duration::from_millis(50),
            Duration::from_secs(2),
            "When it waits",
            "features/x.feature:3",
            tokio::time::sleep(Duration::from_secs(600)),
        )
        .await;
        let message = outcome.unwrap_err();
        assert!(
            message.contains("When it waits (features/x.feature:3)"),
            "{message}"
        );
        assert!(began.elapsed() < Duration::from_secs(600));
        assert_eq!(
            within(
                Instant::now() + Duration::from_secs(60),
                Duration::from_secs(60),
                "When it is quick",
                "features/x.feature:4",
                async {},
            )
            .await,
            Ok(())
        );
    }

    /// A step that blocks its thread stops the runner's beat: the watchdog reports
    /// it, from its own thread, while the step still blocks.
    #[test]
    fn the_watchdog_reports_a_step_that_blocks_the_runner() {
        let watch = Watch::new();
        let (report_tx, report_rx) = std::sync::mpsc::channel();
        let _dog = watchdog(watch.clone(), Duration::from_millis(100), move |step, _| {
            let _ = report_tx.send(step);
        });
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let runner_watch = watch.clone();
        let runner = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let beating = runner_watch.clone();
                let blocked_step = async move {
                    let _entered = runner_watch.enter(step(
                        "the FIFO is read",
                        Instant::now() + Duration::from_millis(50),
                    ));
                    tokio::task::yield_now().await;
                    // Blocks the thread, as a read of a FIFO does.
                    let _ = release_rx.recv();
                };
                tokio::select! {
                    () = blocked_step => {}
                    () = beating.keep_beating() => {}
                }
            });
        });
        let reported = report_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the watchdog reported no step");
        assert_eq!(reported.step, "When the FIFO is read runs");
        let message = stuck_message(&reported, Duration::from_secs(7));
        assert!(
            message.contains("has not given control back for 7 s: When the FIFO is read runs (features/x.feature:7)"),
            "{message}"
        );
        release_tx.send(()).unwrap();
        runner.join().unwrap();
    }
}
