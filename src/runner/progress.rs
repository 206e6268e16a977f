//! What a run prints while it runs (進捗), in place of cucumber's line per step:
//!
//! - on a terminal (standard output is one, and this is not CI): one progress
//!   line, redrawn in place, with the scenarios done of those selected per
//!   engine, the failures so far, the time taken and an estimate of the time
//!   left; a failure is printed in full above it as it happens;
//! - elsewhere (a pipe, a CI log): one line per finished scenario with its
//!   result, engine, time and place (`PASS  [postgres]    0.41 s
//!   features/billing/x.feature:12  Name`), and under a failure its failing
//!   steps in full (the step, where it is, the error with the tables or the
//!   difference it carries);
//! - with `--verbose`: cucumber's own output, every step as it runs.
//!
//! A scenario run again after failing (`--retry N`) shows each failed attempt
//! as `RETRY` and its last as `PASS`, `FLAKY` (passed after failing) or `FAIL`.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use cucumber::event::{self, Cucumber, HookType, Retries, StepError};
use cucumber::{Event, Writer, gherkin, parser, writer};

use super::features::Totals;
use super::options::in_ci;
use crate::db::Engine;
use crate::selection::{engine_of, relative_path};
use crate::world::ScenarioWorld;

/// How a run shows its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// cucumber's output: every step (`--verbose`).
    Steps,
    /// A progress line redrawn in place, failures above it (a terminal).
    Live,
    /// A line per finished scenario (a pipe or a CI log).
    Lines,
}

impl Style {
    /// `Steps` when asked for; `Live` when standard output is a terminal and
    /// this is not CI; `Lines` otherwise.
    pub fn choose(verbose: bool) -> Style {
        if verbose {
            Style::Steps
        } else if std::io::stdout().is_terminal() && !in_ci() {
            Style::Live
        } else {
            Style::Lines
        }
    }
}

/// How one attempt of a scenario ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It passed (on its first attempt).
    Pass,
    /// It failed, and is not run again.
    Fail,
    /// It passed after an attempt that failed.
    Flaky,
    /// It failed, and runs again (`--retry N`).
    Retry,
}

impl Outcome {
    /// The word a scenario's line starts with.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Flaky => "FLAKY",
            Outcome::Retry => "RETRY",
        }
    }

    /// How an attempt ended: `failed` whether a step or hook failed,
    /// `runs_again` whether cucumber runs it again, `retries` its attempt.
    pub fn of(failed: bool, runs_again: bool, retries: Option<Retries>) -> Outcome {
        match (failed, runs_again) {
            (true, true) => Outcome::Retry,
            (true, false) => Outcome::Fail,
            (false, _) if retries.is_some_and(|r| r.current > 0) => Outcome::Flaky,
            (false, _) => Outcome::Pass,
        }
    }
}

/// A step that failed, as the output shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailedStep {
    /// The step as written: keyword and text (or which hook).
    pub step: String,
    /// Where it is: `path:line` of the feature file.
    pub location: String,
    /// The step definition that ran it, `path:line`, when known.
    pub definition: Option<String>,
    /// The error, whole (a table difference spans lines).
    pub error: String,
}

/// Seconds with two decimals (`0.41`), rounded half up, without floats.
pub fn seconds(d: Duration) -> String {
    let hundredths = (d.as_millis() + 5) / 10;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// What an attempt's line adds after the name: which attempt, when it is not
/// the only one.
fn attempt_note(outcome: Outcome, retries: Option<Retries>) -> String {
    let Some(r) = retries else {
        return String::new();
    };
    let attempt = r.current + 1;
    let of = r.current + r.left + 1;
    match outcome {
        Outcome::Retry => format!("  (attempt {attempt} of {of} failed; it runs again)"),
        Outcome::Flaky => format!("  (passed on attempt {attempt} of {of})"),
        Outcome::Fail if r.current > 0 => format!("  (failed on all {attempt} attempts)"),
        Outcome::Fail | Outcome::Pass => String::new(),
    }
}

/// A finished scenario's line: `PASS  [postgres]    0.41 s
/// features/billing/x.feature:12  Name`.
pub fn scenario_line(
    outcome: Outcome,
    engine: &str,
    took: Duration,
    location: &str,
    name: &str,
    retries: Option<Retries>,
) -> String {
    let name = crate::gherkin::limits::cut_for_console(name);
    format!(
        "{:<5} {:<10} {:>6} s  {location}  {name}{}",
        outcome.word(),
        format!("[{engine}]"),
        seconds(took),
        attempt_note(outcome, retries)
    )
}

/// The failing steps of a scenario in full, indented under its line.
pub fn failure_block(failed: &[FailedStep]) -> String {
    let mut out = String::new();
    for f in failed {
        out.push_str(&format!(
            "      step:  {}\n",
            crate::gherkin::limits::cut_for_console(&f.step)
        ));
        match &f.definition {
            Some(definition) => out.push_str(&format!(
                "      at:    {} (step definition {definition})\n",
                f.location
            )),
            None => out.push_str(&format!("      at:    {}\n", f.location)),
        }
        for (i, line) in f.error.lines().enumerate() {
            let head = if i == 0 { "error:" } else { "" };
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("      {head:<6} {line}\n"));
            }
        }
    }
    out
}

/// Whole seconds, then minutes and seconds from a minute on (`42 s`, `3 min 05 s`).
fn duration_words(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// The progress line: done of selected per engine, failures so far, the time
/// taken and an estimate of the time left (the time taken per scenario done so
/// far, times the scenarios left).
pub fn live_line(
    totals: &BTreeMap<Engine, usize>,
    done: &BTreeMap<Engine, usize>,
    failed: usize,
    flaky: usize,
    elapsed: Duration,
) -> String {
    let mut parts: Vec<String> = totals
        .iter()
        .map(|(engine, total)| {
            format!(
                "{engine} {}/{total}",
                done.get(engine).copied().unwrap_or(0)
            )
        })
        .collect();
    parts.push(format!("{failed} failed"));
    if flaky > 0 {
        parts.push(format!("{flaky} flaky"));
    }
    let total: usize = totals.values().sum();
    let finished: usize = done.values().sum();
    let left = if finished == 0 {
        "time left: after the first scenario".to_string()
    } else {
        let per = elapsed.as_millis() / finished as u128;
        let ms = per * total.saturating_sub(finished) as u128;
        format!(
            "about {} left",
            duration_words(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
        )
    };
    parts.push(format!("{} elapsed, {left}", duration_words(elapsed)));
    parts.join("  ·  ")
}

/// What a step's error says, without cucumber's prefix for a panic.
fn error_text(error: &StepError) -> String {
    match error {
        StepError::NotFound => format!("undefined step: {}", crate::report::UNDEFINED_MESSAGE),
        StepError::AmbiguousMatch(e) => format!("ambiguous step: {e}"),
        other => crate::report::collect::failure_text(other),
    }
}

/// One running attempt of a scenario.
struct Running {
    began: SystemTime,
    failed: Vec<FailedStep>,
    /// A step failed (not undefined) or a hook did: cucumber may run it again.
    retriable: bool,
}

/// The scenarios done, failed and flaky so far, and the attempts running.
#[derive(Default)]
struct Tally {
    running: HashMap<(String, usize), Running>,
    done: BTreeMap<Engine, usize>,
    failed: usize,
    flaky: usize,
}

impl Tally {
    /// Files one scenario event; for a finished attempt, its outcome and the
    /// text to show: its line and its failures in full.
    fn scenario(
        &mut self,
        root: &Path,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        ev: event::RetryableScenario<ScenarioWorld>,
        at: SystemTime,
    ) -> Option<(Outcome, String)> {
        let key = (feature.name.clone(), scenario.position.line);
        let path = relative_path(root, feature);
        let retries = ev.retries;
        match ev.event {
            event::Scenario::Started => {
                self.running.insert(
                    key,
                    Running {
                        began: at,
                        failed: Vec::new(),
                        retriable: false,
                    },
                );
                None
            }
            event::Scenario::Step(step, event::Step::Failed(_, definition, _, error))
            | event::Scenario::Background(step, event::Step::Failed(_, definition, _, error)) => {
                let running = self.running.get_mut(&key)?;
                running.retriable |= !matches!(error, StepError::NotFound);
                running.failed.push(FailedStep {
                    step: format!("{} {}", step.keyword.trim(), step.value),
                    location: format!("{path}:{}", step.position.line),
                    definition: definition.map(|l| format!("{}:{}", l.path, l.line)),
                    error: error_text(&error),
                });
                None
            }
            // Its time starts when it may run (its turn, see `crate::turns`)
            // and has its databases: when the before hook has passed.
            event::Scenario::Hook(HookType::Before, event::Hook::Passed) => {
                if let Some(running) = self.running.get_mut(&key) {
                    running.began = at;
                }
                None
            }
            event::Scenario::Hook(which, event::Hook::Failed(_, info)) => {
                let running = self.running.get_mut(&key)?;
                running.retriable = true;
                let message = info
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the hook panicked".into());
                running.failed.push(FailedStep {
                    step: match which {
                        HookType::Before => "(before the scenario)".into(),
                        HookType::After => "(after the scenario)".into(),
                    },
                    location: format!("{path}:{}", scenario.position.line),
                    definition: None,
                    error: message,
                });
                None
            }
            event::Scenario::Finished => {
                let running = self.running.remove(&key)?;
                let failed = !running.failed.is_empty();
                let again = failed && running.retriable && retries.is_some_and(|r| r.left > 0);
                let outcome = Outcome::of(failed, again, retries);
                let engine = engine_of(feature);
                match outcome {
                    Outcome::Retry => {}
                    Outcome::Fail => self.failed += 1,
                    Outcome::Flaky => self.flaky += 1,
                    Outcome::Pass => {}
                }
                if outcome != Outcome::Retry
                    && let Some(engine) = engine
                {
                    *self.done.entry(engine).or_default() += 1;
                }
                let took = at.duration_since(running.began).unwrap_or_default();
                let mut text = scenario_line(
                    outcome,
                    engine.map_or("", |e| e.name()),
                    took,
                    &format!("{path}:{}", scenario.position.line),
                    &scenario.name,
                    retries,
                );
                text.push('\n');
                text.push_str(&failure_block(&running.failed));
                Some((outcome, text))
            }
            _ => None,
        }
    }
}

/// Least time between two redraws of the progress line: often enough to see it
/// move, rarely enough not to flood a slow terminal.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The run's output writer (see the module's documentation).
pub struct Progress {
    style: Style,
    /// cucumber's own output, for [`Style::Steps`].
    steps: Option<writer::Normalize<ScenarioWorld, writer::Basic>>,
    root: PathBuf,
    totals: Totals,
    started: Instant,
    tally: Tally,
    /// The progress line is on the screen (it is cleared before other output).
    shown: bool,
    drawn: Option<Instant>,
}

impl Progress {
    /// A writer of `style` for the project at `root`; `totals` is filled when
    /// the features are read.
    pub fn new(style: Style, root: PathBuf, totals: Totals) -> Progress {
        Progress {
            style,
            steps: (style == Style::Steps).then(writer::Basic::stdout),
            root,
            totals,
            started: Instant::now(),
            tally: Tally::default(),
            shown: false,
            drawn: None,
        }
    }

    /// Prints `text` (whole lines), above the progress line when one is shown.
    fn print(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        if self.shown {
            let _ = write!(out, "\r\x1b[2K");
            self.shown = false;
        }
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Redraws the progress line ([`Style::Live`]), at most every
    /// [`REDRAW_EVERY`] unless `now`.
    fn draw(&mut self, now: bool) {
        if self.style != Style::Live {
            return;
        }
        if !now && self.drawn.is_some_and(|d| d.elapsed() < REDRAW_EVERY) {
            return;
        }
        let line = live_line(
            &self.totals.borrow(),
            &self.tally.done,
            self.tally.failed,
            self.tally.flaky,
            self.started.elapsed(),
        );
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[2K{line}");
        let _ = out.flush();
        self.shown = true;
        self.drawn = Some(Instant::now());
    }

    /// What the run is about to do, once the features are read.
    fn announce(&mut self) {
        let totals = self.totals.borrow().clone();
        let total: usize = totals.values().sum();
        let per: Vec<String> = totals.iter().map(|(e, n)| format!("{e} {n}")).collect();
        self.print(&format!(
            "kensho: running {total} scenarios ({})\n",
            per.join(", ")
        ));
    }
}

impl Writer<ScenarioWorld> for Progress {
    type Cli = writer::basic::Cli;

    async fn handle_event(
        &mut self,
        ev: parser::Result<Event<Cucumber<ScenarioWorld>>>,
        cli: &Self::Cli,
    ) {
        if let Some(steps) = &mut self.steps {
            steps.handle_event(ev, cli).await;
            return;
        }
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                self.print(&format!("kensho: {e}\n"));
                return;
            }
        };
        let at = ev.at;
        let (feature, scenario, retryable) = match ev.value {
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, retryable))
            | Cucumber::Feature(
                feature,
                event::Feature::Rule(_, event::Rule::Scenario(scenario, retryable)),
            ) => (feature, scenario, retryable),
            Cucumber::ParsingFinished { .. } => {
                self.announce();
                self.draw(true);
                return;
            }
            Cucumber::Finished => {
                if self.shown {
                    self.draw(true);
                    self.print("\n");
                }
                return;
            }
            _ => {
                self.draw(false);
                return;
            }
        };
        let finished = self
            .tally
            .scenario(&self.root, &feature, &scenario, retryable, at);
        match (self.style, finished) {
            (Style::Lines, Some((_, text))) => self.print(&text),
            (Style::Live, Some((Outcome::Fail | Outcome::Retry, text))) => {
                self.print(&text);
                self.draw(true);
            }
            (_, Some(_)) => self.draw(true),
            (_, None) => self.draw(false),
        }
    }
}

impl writer::Arbitrary<ScenarioWorld, String> for Progress {
    async fn write(&mut self, val: String) {
        if let Some(steps) = &mut self.steps {
            steps.write(val).await;
            return;
        }
        self.print(&format!("{val}\n"));
    }
}

// It shows the events as they come, without changing them (cucumber's summary
// may wrap it).
impl writer::NonTransforming for Progress {}

// It files each event under its scenario, so it does not depend on the order
// events of different scenarios arrive in (a line shows when its scenario ends);
// cucumber's own output, with `--verbose`, is normalized inside.
impl writer::Normalized for Progress {}

#[cfg(test)]
mod tests {
    use super::*;

    fn retries(current: usize, left: usize) -> Option<Retries> {
        Some(Retries { current, left })
    }

    #[test]
    fn a_long_name_and_step_are_cut_in_the_console() {
        let name = "n".repeat(300);
        let line = scenario_line(
            Outcome::Pass,
            "sqlite",
            Duration::from_millis(10),
            "f.feature:3",
            &name,
            None,
        );
        assert!(
            line.ends_with(&format!("{}… (100 more characters)", "n".repeat(200))),
            "{line}"
        );
        let block = failure_block(&[FailedStep {
            step: format!("Given {}", "s".repeat(10_000)),
            location: "f.feature:4".into(),
            definition: None,
            error: "wrong".into(),
        }]);
        assert!(block.contains("… (9806 more characters)\n"), "{block}");
        assert!(block.len() < 400, "{block}");
    }

    #[test]
    fn a_scenario_line_has_result_engine_time_place_and_name() {
        assert_eq!(
            scenario_line(
                Outcome::Pass,
                "postgres",
                Duration::from_millis(414),
                "features/billing/x.feature:12",
                "Name",
                None
            ),
            "PASS  [postgres]   0.41 s  features/billing/x.feature:12  Name"
        );
        assert_eq!(
            scenario_line(
                Outcome::Fail,
                "sqlite",
                Duration::from_millis(12_345),
                "f.feature:3",
                "N",
                None
            ),
            "FAIL  [sqlite]    12.35 s  f.feature:3  N"
        );
        assert_eq!(
            scenario_line(
                Outcome::Retry,
                "sqlite",
                Duration::ZERO,
                "f.feature:3",
                "N",
                retries(0, 1)
            ),
            "RETRY [sqlite]     0.00 s  f.feature:3  N  (attempt 1 of 2 failed; it runs again)"
        );
        assert!(
            scenario_line(
                Outcome::Flaky,
                "mariadb",
                Duration::ZERO,
                "f:3",
                "N",
                retries(1, 0)
            )
            .ends_with("N  (passed on attempt 2 of 2)")
        );
        assert!(
            scenario_line(
                Outcome::Fail,
                "mariadb",
                Duration::ZERO,
                "f:3",
                "N",
                retries(2, 0)
            )
            .ends_with("N  (failed on all 3 attempts)")
        );
    }

    #[test]
    fn an_attempt_is_flaky_only_when_it_passed_on_a_retry() {
        assert_eq!(Outcome::of(false, false, None), Outcome::Pass);
        assert_eq!(Outcome::of(false, false, retries(0, 2)), Outcome::Pass);
        assert_eq!(Outcome::of(false, false, retries(1, 1)), Outcome::Flaky);
        assert_eq!(Outcome::of(true, true, retries(0, 1)), Outcome::Retry);
        assert_eq!(Outcome::of(true, false, retries(1, 0)), Outcome::Fail);
    }

    #[test]
    fn a_failure_shows_the_step_its_place_and_the_whole_error() {
        let block = failure_block(&[FailedStep {
            step: "Then the table billing_record has exactly:".into(),
            location: "features/billing/x.feature:20".into(),
            definition: Some("src/steps/tables.rs:120".into()),
            error: "the table differs (person | amount):\n\n  - missing:    | C | 80,000 |".into(),
        }]);
        assert_eq!(
            block,
            "      step:  Then the table billing_record has exactly:\n      at:    features/billing/x.feature:20 (step definition src/steps/tables.rs:120)\n      error: the table differs (person | amount):\n\n               - missing:    | C | 80,000 |\n"
        );
    }

    #[test]
    fn the_progress_line_counts_per_engine_and_estimates_what_is_left() {
        let totals = BTreeMap::from([(Engine::Sqlite, 40), (Engine::Postgres, 40)]);
        let done = BTreeMap::from([(Engine::Sqlite, 12), (Engine::Postgres, 8)]);
        // 20 done in 30 s: 1.5 s each, 60 left.
        assert_eq!(
            live_line(&totals, &done, 1, 0, Duration::from_secs(30)),
            "sqlite 12/40  ·  postgres 8/40  ·  1 failed  ·  30 s elapsed, about 1 min 30 s left"
        );
        assert_eq!(
            live_line(&totals, &BTreeMap::new(), 0, 2, Duration::from_secs(3)),
            "sqlite 0/40  ·  postgres 0/40  ·  0 failed  ·  2 flaky  ·  3 s elapsed, time left: after the first scenario"
        );
    }

    #[test]
    fn seconds_round_half_up_without_floats() {
        assert_eq!(seconds(Duration::from_millis(414)), "0.41");
        assert_eq!(seconds(Duration::from_millis(415)), "0.42");
        assert_eq!(seconds(Duration::from_millis(61_999)), "62.00");
    }
}
