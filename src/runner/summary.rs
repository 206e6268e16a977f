//! The counts of a run, per engine, and the summary printed at its end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::db::{Engine, EngineServer};
use crate::report::{EngineTiming, SLOWEST_SHOWN, ScenarioTime, Timing};

/// Counts and times for one engine.
#[derive(Clone, Debug, Default)]
pub struct EngineStats {
    pub passed: usize,
    pub failed: usize,
    /// How long each scenario database took to hand out, in the order handed out.
    pub handouts: Vec<Duration>,
    /// When its first scenario started and its last one ended.
    pub span: Option<(Instant, Instant)>,
    /// The scenarios that failed and then passed on a retry (`--retry N`):
    /// counted passed, named in the summary.
    pub flaky: Vec<Flaky>,
}

/// A scenario that failed and then passed on a retry (再試行で合格).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flaky {
    /// The scenario's name.
    pub name: String,
    /// Its feature file, relative to the project root.
    pub file: String,
    /// Its line in the file.
    pub line: usize,
    /// How many attempts it took (the last one passed).
    pub attempts: usize,
}

/// The median, 95th percentile and longest of some durations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
}

impl Spread {
    /// The spread of `times` (nearest rank: the p-th percentile is the smallest
    /// time that at least p % of them do not exceed); zero for none.
    pub fn of(times: &[Duration]) -> Spread {
        let mut sorted = times.to_vec();
        sorted.sort();
        let rank = |percent: usize| {
            let n = sorted.len();
            if n == 0 {
                return Duration::ZERO;
            }
            sorted[(n * percent).div_ceil(100).clamp(1, n) - 1]
        };
        Spread {
            p50: rank(50),
            p95: rank(95),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

impl EngineStats {
    /// Counts one isolated database and the time it took to hand out.
    pub fn count_database(&mut self, took: Duration) {
        self.handouts.push(took);
    }

    /// Counts a scenario's run from `began` to `ended` into the engine's span.
    pub fn count_time(&mut self, began: Instant, ended: Instant) {
        self.span = Some(match self.span {
            Some((first, last)) => (first.min(began), last.max(ended)),
            None => (began, ended),
        });
    }

    /// How many databases were handed out.
    pub fn databases(&self) -> usize {
        self.handouts.len()
    }

    /// The spread of the handout times.
    pub fn handout(&self) -> Spread {
        Spread::of(&self.handouts)
    }

    /// From the first scenario's start to the last one's end.
    pub fn wall(&self) -> Duration {
        self.span
            .map(|(first, last)| last - first)
            .unwrap_or_default()
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub failed: bool,
    pub engines: BTreeMap<Engine, EngineStats>,
    pub not_run: Vec<(Engine, String)>,
    /// Every scenario that ran, with its time.
    pub scenarios: Vec<ScenarioTime>,
    /// The scenarios that failed: feature file (relative to the project), line, engine.
    pub failures: Vec<(String, usize, Engine)>,
}

impl Report {
    /// How many scenarios passed only on a retry, all engines together.
    pub fn flaky(&self) -> usize {
        self.engines.values().map(|s| s.flaky.len()).sum()
    }

    /// Where the run's time went, for the reports.
    pub fn timing(&self) -> Timing {
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        Timing {
            engines: self
                .engines
                .iter()
                .map(|(engine, s)| {
                    let spread = s.handout();
                    EngineTiming {
                        engine: engine.name().to_string(),
                        wall_ms: micros(s.wall()) / 1000,
                        scenarios: s.passed + s.failed,
                        databases: s.databases(),
                        handout_p50_us: micros(spread.p50),
                        handout_p95_us: micros(spread.p95),
                        handout_max_us: micros(spread.max),
                    }
                })
                .collect(),
            slowest: slowest(&self.scenarios),
        }
    }
}

/// The [`SLOWEST_SHOWN`] slowest of `scenarios`, slowest first (ties in the
/// order they ran).
pub fn slowest(scenarios: &[ScenarioTime]) -> Vec<ScenarioTime> {
    let mut sorted = scenarios.to_vec();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.ms));
    sorted.truncate(SLOWEST_SHOWN);
    sorted
}

/// Seconds with one decimal, as the summary prints them.
pub(crate) fn secs(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Milliseconds with one decimal, as the summary prints them.
fn ms(d: Duration) -> String {
    crate::report::millis(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// What an engine's summary line adds for its flaky scenarios: nothing for none.
fn flaky_count(flaky: usize) -> String {
    if flaky == 0 {
        String::new()
    } else {
        format!(", {flaky} flaky (passed on a retry)")
    }
}

/// One line per flaky scenario, engine by engine: `[sqlite] "Name"
/// (file:line): passed on attempt 2 after 1 failed`.
pub fn flaky_lines(report: &Report) -> Vec<String> {
    report
        .engines
        .iter()
        .flat_map(|(engine, s)| {
            s.flaky.iter().map(move |f| {
                let failed = f.attempts.saturating_sub(1);
                format!(
                    "[{engine}] {:?} ({}:{}): passed on attempt {} after {failed} failed",
                    f.name, f.file, f.line, f.attempts
                )
            })
        })
        .collect()
}

/// Whether this is a CI run (`CI=true`, `1` or `yes`).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// How the scenarios of an interrupted run ended: finished, stopped while running,
/// never started (when known).
pub type Interrupted = (usize, usize, Option<usize>);

/// Prints the summary per engine, engines not run, servers that went away during
/// the run, kept databases (on servers still there), and how an interrupted run
/// ended.
pub fn print(
    report: &Report,
    servers: &BTreeMap<Engine, EngineServer>,
    kept: &[(Engine, String)],
    gone: &BTreeMap<Engine, String>,
    interrupted: Option<Interrupted>,
) {
    let total: usize = report.engines.values().map(|s| s.passed + s.failed).sum();
    eprintln!("\nKensho summary (per engine)");
    for (engine, server) in servers {
        let s = report.engines.get(engine).cloned().unwrap_or_default();
        let handout = s.handout();
        eprintln!(
            "  {:<9} {} scenarios: {} passed, {} failed{}; {} s wall; isolated databases: {} handed out in {} ms p50, {} ms p95, {} ms max ({})",
            engine.name(),
            s.passed + s.failed,
            s.passed,
            s.failed,
            flaky_count(s.flaky.len()),
            secs(s.wall()),
            s.databases(),
            ms(handout.p50),
            ms(handout.p95),
            ms(handout.max),
            server.describe()
        );
    }
    let flaky = flaky_lines(report);
    if !flaky.is_empty() {
        eprintln!(
            "  flaky scenarios (failed, then passed on a retry; --fail-on-flaky fails the run for them):"
        );
        for line in flaky {
            eprintln!("    {line}");
        }
    }
    let slowest = slowest(&report.scenarios);
    if !slowest.is_empty() {
        eprintln!("  slowest scenarios:");
        for s in &slowest {
            eprintln!(
                "    {:>8} s  [{}] {:?} ({}:{})",
                secs(Duration::from_millis(s.ms)),
                s.engine,
                s.name,
                s.file,
                s.line
            );
        }
    }
    for (engine, reason) in &report.not_run {
        eprintln!("  {:<9} NOT RUN: {reason}", engine.name());
    }
    if let Some((finished, stopped, never)) = interrupted {
        let scenarios = |n: usize| format!("{n} scenario{}", if n == 1 { "" } else { "s" });
        let mut told = format!(
            "  INTERRUPTED: {} finished before the run stopped",
            scenarios(finished)
        );
        if stopped > 0 {
            told.push_str(&format!(
                "; {} stopped while running (counted neither passed nor failed)",
                scenarios(stopped)
            ));
        }
        if let Some(never) = never.filter(|&n| n > 0) {
            told.push_str(&format!("; {} did not start", scenarios(never)));
        }
        eprintln!("{told}");
    } else if total == 0 {
        eprintln!(
            "  no scenario ran: check the features folder, --name, --tags and --service (@slow scenarios also need --slow)"
        );
    }
    for (engine, why) in gone {
        eprintln!(
            "  [{engine}] the server is gone: {why}; the databases of its scenarios went with it (nothing was kept)"
        );
    }
    for (engine, line) in kept {
        if !gone.contains_key(engine) {
            eprintln!("  {line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn figures_round_half_up_without_floats() {
        assert_eq!(super::ms(Duration::from_micros(1_250)), "1.3");
        assert_eq!(super::ms(Duration::from_micros(1_249)), "1.2");
        assert_eq!(secs(ms(61_950)), "62.0");
        assert_eq!(secs(ms(49)), "0.0");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(Spread::of(&[]), Spread::default());
        let one = Spread::of(&[ms(7)]);
        assert_eq!((one.p50, one.p95, one.max), (ms(7), ms(7), ms(7)));
        // 1..=100 ms, shuffled: the 50th and 95th values.
        let mut times: Vec<Duration> = (1..=100).map(ms).collect();
        times.reverse();
        times.swap(3, 71);
        let spread = Spread::of(&times);
        assert_eq!(
            (spread.p50, spread.p95, spread.max),
            (ms(50), ms(95), ms(100))
        );
        // Three values: the median is the second, p95 the third.
        let spread = Spread::of(&[ms(30), ms(10), ms(20)]);
        assert_eq!((spread.p50, spread.p95), (ms(20), ms(30)));
    }

    #[test]
    fn the_slowest_come_first_and_at_most_ten() {
        let scenarios: Vec<ScenarioTime> = (0..25)
            .map(|i| ScenarioTime {
                name: format!("s{i}"),
                ms: (i * 7) % 25,
                ..ScenarioTime::default()
            })
            .collect();
        let shown: Vec<u64> = slowest(&scenarios).iter().map(|s| s.ms).collect();
        assert_eq!(shown, [24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    }

    #[test]
    fn flaky_scenarios_are_counted_and_named_per_engine() {
        assert_eq!(flaky_count(0), "");
        assert_eq!(flaky_count(2), ", 2 flaky (passed on a retry)");
        let mut report = Report::default();
        for (engine, name, attempts) in [(Engine::Postgres, "b", 3), (Engine::Sqlite, "a", 2)] {
            let flaky = Flaky {
                name: name.into(),
                file: "features/x.feature".into(),
                line: 7,
                attempts,
            };
            report.engines.insert(
                engine,
                EngineStats {
                    passed: 3,
                    flaky: vec![flaky],
                    ..EngineStats::default()
                },
            );
        }
        assert_eq!(report.flaky(), 2);
        assert_eq!(
            flaky_lines(&report),
            [
                "[sqlite] \"a\" (features/x.feature:7): passed on attempt 2 after 1 failed",
                "[postgres] \"b\" (features/x.feature:7): passed on attempt 3 after 2 failed",
            ]
        );
    }

    #[test]
    fn the_wall_time_spans_first_start_to_last_end() {
        let t0 = Instant::now();
        let mut stats = EngineStats::default();
        assert_eq!(stats.wall(), Duration::ZERO);
        stats.count_time(t0 + ms(100), t0 + ms(400));
        stats.count_time(t0, t0 + ms(250));
        stats.count_time(t0 + ms(300), t0 + ms(900));
        assert_eq!(stats.wall(), ms(900));
    }
}
