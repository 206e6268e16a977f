//! Ending a run on SIGINT or SIGTERM (Ctrl-C, `kill`, a cancelled CI job).
//!
//! - The first signal stops the scheduling: a scenario that has not started does
//!   not start (it counts neither as passed nor as failed), the running ones
//!   finish (within the scenario time limit), and the run ends as every run does:
//!   the summary of what finished, the reports (marked interrupted), the
//!   databases and containers removed (a failure's kept, as after any run). The
//!   process then exits with code 130.
//! - A second signal stops the running scenarios too: their databases are
//!   dropped, and the run ends the same way.
//! - A third exits at once; the next run removes what this one leaves.
//!
//! Signals are received on a thread of their own, so they are seen even while a
//! step blocks the runner. If the runner does not take up a second signal within
//! [`ABORT_PATIENCE`] (a step blocks it), that thread removes the run's databases
//! and containers itself ([`emergency_exit`]) and exits. Outside a run a signal
//! ends the process at once, as it would without Kensho.
//!
//! cucumber-rs has no way to stop scheduling, so [`Interruptible`] wraps its
//! runner: once the run is stopping, the before hook holds every scenario that
//! comes up ([`Admission::admit`]) and the event stream leaves those scenarios out
//! and ends, with cucumber's `Finished` event, when the last admitted scenario has
//! finished. The held scenarios never run a step.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, VecDeque};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cucumber::event::{self, Cucumber};
use cucumber::runner::Runner;
use cucumber::{Event, gherkin, parser};
use futures::stream::{LocalBoxStream, Stream, StreamExt as _};
use tokio::sync::watch;

use crate::db::CleanupPlan;

/// How long the runner has to take up a second signal before the signal thread
/// removes the run's databases and containers itself and exits.
pub const ABORT_PATIENCE: Duration = Duration::from_secs(10);

/// How long removing one engine's leftovers may take when the process must end.
const EMERGENCY_PATIENCE: Duration = Duration::from_secs(30);

/// The exit code of a run ended by a signal (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: i32 = 130;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Building programs and starting engines.
    Preparing = 0,
    /// Running scenarios.
    Running = 1,
    /// Reporting and cleaning up.
    Ending = 2,
}

/// The signals one run has received, and what another thread needs to end it.
pub struct RunControl {
    signals: watch::Sender<usize>,
    phase: AtomicU8,
    /// The runner has taken up a second signal.
    aborting: AtomicBool,
    cleanup: Mutex<Vec<CleanupPlan>>,
}

/// The run signals are delivered to.
static CURRENT: Mutex<Option<Arc<RunControl>>> = Mutex::new(None);

/// A run's [`RunControl`], delivered signals while it lives.
pub struct ControlGuard(Arc<RunControl>);

impl std::ops::Deref for ControlGuard {
    type Target = Arc<RunControl>;
    fn deref(&self) -> &Arc<RunControl> {
        &self.0
    }
}

impl Drop for ControlGuard {
    fn drop(&mut self) {
        let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &self.0)) {
            *current = None;
        }
    }
}

impl RunControl {
    /// Starts receiving SIGINT and SIGTERM (once per process) and delivers them to
    /// a new run until the guard is dropped.
    pub fn begin() -> ControlGuard {
        listen();
        let control = Arc::new(RunControl {
            signals: watch::Sender::new(0),
            phase: AtomicU8::new(Phase::Preparing as u8),
            aborting: AtomicBool::new(false),
            cleanup: Mutex::new(Vec::new()),
        });
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(control.clone());
        ControlGuard(control)
    }

    /// How many signals the run has received.
    pub fn signals(&self) -> usize {
        *self.signals.borrow()
    }

    /// Whether the run is stopping (a signal came).
    pub fn stopping(&self) -> bool {
        self.signals() >= 1
    }

    /// Waits for the first signal.
    pub async fn stopped(&self) {
        let mut seen = self.signals.subscribe();
        let _ = seen.wait_for(|&n| n >= 1).await;
    }

    /// Waits for the second signal, then marks it taken up.
    pub async fn aborted(&self) {
        let mut seen = self.signals.subscribe();
        let _ = seen.wait_for(|&n| n >= 2).await;
        self.aborting.store(true, Ordering::SeqCst);
    }

    /// Where the run is now.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::SeqCst) {
            0 => Phase::Preparing,
            1 => Phase::Running,
            _ => Phase::Ending,
        }
    }

    /// How to remove the run's databases and containers if the process must end
    /// without the runner.
    pub fn set_cleanup(&self, plans: Vec<CleanupPlan>) {
        *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()) = plans;
    }

    /// A new receiver of the signal count.
    fn subscribe(&self) -> watch::Receiver<usize> {
        self.signals.subscribe()
    }

    /// Takes one signal up (on the signal thread).
    fn receive(self: &Arc<Self>, name: &str) {
        let mut count = 0;
        self.signals.send_modify(|n| {
            *n += 1;
            count = *n;
        });
        match (count, self.phase()) {
            (1, _) => eprintln!(
                "\nkensho: {name}: stopping: no further scenario starts; the running ones finish, then the run reports and cleans up as usual ({name} again stops the running scenarios now)"
            ),
            (2, Phase::Running) => {
                eprintln!("\nkensho: {name} again: stopping the running scenarios now");
                let control = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(ABORT_PATIENCE).await;
                    if !control.aborting.load(Ordering::SeqCst) {
                        eprintln!(
                            "kensho: the runner did not stop within {} s (a step blocks it): removing this run's databases and containers from here",
                            ABORT_PATIENCE.as_secs()
                        );
                        control.emergency_cleanup().await;
                        exit(INTERRUPTED_EXIT);
                    }
                });
            }
            _ => {
                eprintln!(
                    "\nkensho: {name}: exiting now, without cleaning up; the next run removes the databases and containers this one leaves"
                );
                exit(INTERRUPTED_EXIT);
            }
        }
    }

    /// Removes the run's databases and containers with connections of its own.
    pub async fn emergency_cleanup(&self) {
        let plans = std::mem::take(&mut *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()));
        for plan in plans {
            let engine = plan.engine();
            match tokio::time::timeout(EMERGENCY_PATIENCE, plan.execute()).await {
                Ok(Ok(done)) => eprintln!("kensho: {engine}: {done}"),
                Ok(Err(e)) => eprintln!(
                    "kensho: {engine}: could not clean up ({e}); the next run removes what is left"
                ),
                Err(_) => eprintln!(
                    "kensho: {engine}: cleaning up took longer than {} s; the next run removes what is left",
                    EMERGENCY_PATIENCE.as_secs()
                ),
            }
        }
    }
}

/// Ends the process with `code` after removing the run's databases and containers
/// (from a thread that is not the runner's: it builds a runtime of its own).
pub fn emergency_exit(control: &RunControl, code: i32) -> ! {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(control.emergency_cleanup()),
        Err(e) => {
            eprintln!("kensho: cannot clean up ({e}); the next run removes what this one leaves")
        }
    }
    exit(code)
}

/// Ends the process with `code`, its output flushed (the run has cleaned up, or
/// leaves the rest to the next run).
pub fn exit_now(code: i32) -> ! {
    exit(code)
}

fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// Receives SIGINT and SIGTERM on a thread of its own, from the first run on.
fn listen() {
    static LISTENING: OnceLock<()> = OnceLock::new();
    LISTENING.get_or_init(|| {
        let (ready, registered) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("kensho-signals".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        eprintln!("kensho: signals are not handled: {e}");
                        let _ = ready.send(());
                        return;
                    }
                };
                runtime.block_on(async move {
                    use tokio::signal::unix::{SignalKind, signal};
                    let (Ok(mut interrupt), Ok(mut terminate)) = (
                        signal(SignalKind::interrupt()),
                        signal(SignalKind::terminate()),
                    ) else {
                        eprintln!("kensho: SIGINT and SIGTERM are not handled");
                        let _ = ready.send(());
                        return;
                    };
                    let _ = ready.send(());
                    loop {
                        let name = tokio::select! {
                            _ = interrupt.recv() => "SIGINT",
                            _ = terminate.recv() => "SIGTERM",
                        };
                        let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        match current {
                            Some(control) => control.receive(name),
                            None => {
                                eprintln!("\nkensho: {name}: stopped");
                                exit(INTERRUPTED_EXIT);
                            }
                        }
                    }
                });
            });
        if spawned.is_ok() {
            // The handlers are in place before the run goes on.
            let _ = registered.recv_timeout(Duration::from_secs(10));
        }
    });
}

/// A scenario as the admission knows it: its feature copy (the engine is in its
/// name), file and position.
fn key(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
    format!(
        "{}\u{0}{}\u{0}{}:{}",
        feature.name,
        feature
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        scenario.position.line,
        scenario.position.col
    )
}

/// Which scenarios a run lets start, and how many it has seen end.
pub struct Admission {
    control: Arc<RunControl>,
    /// Admitted and not finished yet.
    running: RefCell<BTreeSet<String>>,
    finished: Cell<usize>,
    total: Cell<Option<usize>>,
    /// Admitted scenarios still running when a second signal stopped them.
    stopped_running: Cell<usize>,
}

impl Admission {
    /// An admission for the run of `control`.
    pub fn new(control: Arc<RunControl>) -> Admission {
        Admission {
            control,
            running: RefCell::default(),
            finished: Cell::new(0),
            total: Cell::new(None),
            stopped_running: Cell::new(0),
        }
    }

    /// Whether the scenario may start: not once the run is stopping.
    pub fn admit(&self, feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> bool {
        if self.control.stopping() {
            return false;
        }
        self.running.borrow_mut().insert(key(feature, scenario));
        true
    }

    /// The run was stopped with scenarios still running: they count as stopped.
    pub fn stop_running(&self) {
        self.stopped_running.set(self.running.borrow().len());
    }

    /// Whether the run was stopped by a signal.
    pub fn interrupted(&self) -> bool {
        self.control.stopping()
    }

    /// How the scenarios of an interrupted run ended, for the summary: finished,
    /// stopped while running, never started (when the count of scenarios is known).
    pub fn tally(&self) -> (usize, usize, Option<usize>) {
        let finished = self.finished.get();
        let stopped = self.stopped_running.get();
        let never = self
            .total
            .get()
            .map(|total| total.saturating_sub(finished + stopped));
        (finished, stopped, never)
    }
}

/// cucumber's runner `R`, ending its event stream when a stopping run's admitted
/// scenarios have finished (see the module's documentation).
pub struct Interruptible<R> {
    /// The runner that runs the scenarios.
    pub runner: R,
    /// The run's admission, shared with the before hook.
    pub admission: std::rc::Rc<Admission>,
}

type Item<W> = parser::Result<Event<Cucumber<W>>>;

impl<W, R> Runner<W> for Interruptible<R>
where
    W: 'static,
    R: Runner<W>,
    R::EventStream: 'static,
{
    type Cli = R::Cli;
    type EventStream = LocalBoxStream<'static, Item<W>>;

    fn run<S>(self, features: S, cli: Self::Cli) -> Self::EventStream
    where
        S: Stream<Item = parser::Result<gherkin::Feature>> + 'static,
    {
        let signals = self.admission.control.subscribe();
        let filter = Filter {
            events: self.runner.run(features, cli).boxed_local(),
            admission: self.admission,
            signals: Some(signals),
            held: Vec::new(),
            ready: VecDeque::new(),
            finished_sent: false,
            ended: false,
        };
        futures::stream::unfold(filter, |mut filter| async move {
            let item = filter.next().await?;
            Some((item, filter))
        })
        .boxed_local()
    }
}

struct Filter<W> {
    events: LocalBoxStream<'static, Item<W>>,
    admission: std::rc::Rc<Admission>,
    signals: Option<watch::Receiver<usize>>,
    /// `Started` events of features and rules that came while stopping: passed on
    /// only with an admitted scenario of theirs.
    held: Vec<Event<Cucumber<W>>>,
    ready: VecDeque<Item<W>>,
    finished_sent: bool,
    ended: bool,
}

impl<W> Filter<W> {
    async fn next(&mut self) -> Option<Item<W>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            let admission = &self.admission;
            if admission.control.stopping()
                && admission.running.borrow().is_empty()
                && !self.finished_sent
            {
                self.ended = true;
                self.finished_sent = true;
                return Some(Ok(Event::new(Cucumber::Finished)));
            }
            let signals = self.signals.as_mut();
            tokio::select! {
                event = self.events.next() => match event {
                    Some(event) => self.pass(event),
                    None => self.ended = true,
                },
                changed = async {
                    match signals {
                        Some(signals) => signals.changed().await.is_ok(),
                        None => futures::future::pending().await,
                    }
                } => if !changed {
                    self.signals = None;
                },
            }
        }
    }

    /// Puts on `ready` what of `item` goes on.
    fn pass(&mut self, item: Item<W>) {
        let stopping = self.admission.control.stopping();
        let Ok(event) = &item else {
            self.ready.push_back(item);
            return;
        };
        match &event.value {
            Cucumber::ParsingFinished { scenarios, .. } => {
                self.admission.total.set(Some(*scenarios));
            }
            Cucumber::Finished => self.finished_sent = true,
            Cucumber::Feature(_, event::Feature::Started)
            | Cucumber::Feature(_, event::Feature::Rule(_, event::Rule::Started))
                if stopping =>
            {
                if let Ok(event) = item {
                    self.held.push(event);
                }
                return;
            }
            Cucumber::Feature(feature, event::Feature::Finished) if stopping => {
                let name = feature.name.clone();
                let before = self.held.len();
                self.held.retain(|held| !same_feature(held, &name));
                if self.held.len() != before {
                    return;
                }
            }
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, retryable))
            | Cucumber::Feature(
                feature,
                event::Feature::Rule(_, event::Rule::Scenario(scenario, retryable)),
            ) => {
                let key = key(feature, scenario);
                let admitted = self.admission.running.borrow().contains(&key);
                if stopping && !admitted {
                    return;
                }
                let name = feature.name.clone();
                let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
                    .into_iter()
                    .partition(|held| same_feature(held, &name));
                self.held = others;
                self.ready.extend(mine.into_iter().map(Ok));
                if matches!(retryable.event, event::Scenario::Finished) && admitted {
                    self.admission.running.borrow_mut().remove(&key);
                    self.admission
                        .finished
                        .set(self.admission.finished.get() + 1);
                }
            }
            _ => {}
        }
        self.ready.push_back(item);
    }
}

fn same_feature<W>(event: &Event<Cucumber<W>>, name: &str) -> bool {
    matches!(&event.value, Cucumber::Feature(feature, _) if feature.name == name)
}
