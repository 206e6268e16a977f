//! Reports of one run of the scenario suite (シナリオ実行の報告).
//!
//! A [`RunReport`] holds what a run did: its features, each scenario as run on
//! one engine (and, where a runtime flag was switched, one variant), the steps
//! with their data tables and outcomes, the notes a scenario left (latency
//! statistics, warnings) and the amount tables it produced.
//!
//! Three writers turn it into files, each a pure function of the report:
//!
//! - [`junit_xml`]: JUnit XML for CI servers (Jenkins, GitLab);
//! - [`cucumber_json`]: the standard Cucumber JSON format for report tools;
//! - [`html`]: one self-contained HTML page for reviewers and accountants;
//! - [`messages_ndjson`]: Cucumber Messages, the stream cucumber's own report
//!   tools (the HTML formatter) read.
//!
//! [`write_all`] writes the four into a folder as one set: the set is written
//! to a new folder beside it and swapped in whole (see [`folder`]), so a reader
//! never sees half of a set or files of two runs. [`begin_run`] marks the
//! previous set as stale when a run starts: it moves it aside and puts in its
//! place a set that says the run has not finished (a failing test case, a
//! banner, a `STALE` file), which the run's own set replaces at its end.
//!
//! [`collect`] makes the [`RunReport`] from a run's events (the runner tees
//! them to it) and writes the set at the run's end.

pub mod collect;
mod cucumber;
pub mod diff;
mod escape;
pub mod folder;
mod html;
mod junit;
mod messages;
#[cfg(test)]
mod testing;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use kensho_shared::vocabulary::Term;

pub use cucumber::cucumber_json;
pub use folder::{
    LIST_FILES, RERUN_TXT, ReportError, ReportPaths, TIMINGS_JSON, begin_run, could_not_start,
    write_all, write_all_with_lists,
};
pub use html::html;
pub use html::write_html;
pub use junit::junit_xml;
#[cfg(test)]
pub(crate) use messages::check as messages_check;
pub use messages::{PROTOCOL_VERSION, messages_ndjson, write_messages};

/// Where a report's text goes as it is made: kept whole, or written out a
/// piece at a time (a report of a big run is tens of MB of text).
#[derive(Default)]
pub(crate) struct Sink<'w> {
    /// The text not written out yet.
    pub text: String,
    to: Option<&'w mut dyn std::io::Write>,
    error: Option<std::io::Error>,
}

impl<'w> Sink<'w> {
    /// A sink writing to `to` at every [`Sink::flush`].
    pub fn to(to: &'w mut dyn std::io::Write) -> Sink<'w> {
        Sink {
            to: Some(to),
            ..Sink::default()
        }
    }

    /// Writes the text so far out, when the sink writes out (the first error
    /// is kept for [`Sink::finish`]).
    pub fn flush(&mut self) {
        let Some(to) = self.to.as_mut() else {
            return;
        };
        if self.error.is_none()
            && let Err(e) = to.write_all(self.text.as_bytes())
        {
            self.error = Some(e);
        }
        self.text.clear();
    }

    /// Writes the rest out; the text, for a sink that keeps it whole.
    pub fn finish(mut self) -> std::io::Result<String> {
        self.flush();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(&mut self.text)),
        }
    }
}

/// One run of the scenario suite.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// What the run was, e.g. "Kensho scenarios".
    pub title: String,
    /// When the run started, RFC 3339 in UTC (e.g. `2025-04-01T09:30:00Z`).
    pub started_at_utc: String,
    /// Wall-clock time of the whole run.
    pub duration_ms: u64,
    /// Every feature run, in the order its first scenario started.
    pub features: Vec<FeatureReport>,
    /// Set on the stand-in set a run writes when it starts (see
    /// [`begin_run`]): why these files are not results. The HTML page shows
    /// it as a banner and the folder gets a `STALE` file with it.
    pub pending: Option<String>,
    /// The run was stopped by SIGINT or SIGTERM: it holds the scenarios that
    /// finished before it stopped; the others did not run (they are not in it).
    pub interrupted: bool,
    /// The engines whose server was lost during the run, each with how and
    /// when (e.g. `the postgres server was lost at 23:40:07 UTC: ...`): their
    /// scenarios from then on failed at once, naming it.
    pub lost_servers: Vec<String>,
    /// Where the run's time went, when the runner measured it.
    pub timing: Option<Timing>,
    /// What the services' columns mean to a reader (money, codes and their
    /// labels), as they declared it: the HTML page formats cells with it.
    pub vocabulary: Vec<Term>,
}

/// A comment line of a feature file (`# cash 2,000 × 150 = 300,000`): the
/// working (計算) an accountant checks, shown beside the steps at its line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comment {
    /// Its line in the feature file.
    pub line: usize,
    /// Its text after `#`, leading spaces kept (they show the layout).
    pub text: String,
}

/// Where a run's time went: per engine, and its slowest scenarios.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timing {
    /// One entry per engine that ran scenarios.
    pub engines: Vec<EngineTiming>,
    /// The slowest scenarios, slowest first (at most [`SLOWEST_SHOWN`]).
    pub slowest: Vec<ScenarioTime>,
}

/// How many of the slowest scenarios a run's timing names: enough to see
/// where to look, few enough to read.
pub const SLOWEST_SHOWN: usize = 10;

/// One engine's share of a run's time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineTiming {
    /// `sqlite`, `postgres`, `mariadb`.
    pub engine: String,
    /// From its first scenario's start to its last one's end.
    pub wall_ms: u64,
    /// Scenarios run on it.
    pub scenarios: usize,
    /// Scenario databases handed out (two for a differential scenario).
    pub databases: usize,
    /// How long a scenario waited for its database: median, 95th percentile,
    /// longest, in microseconds.
    pub handout_p50_us: u64,
    /// See [`EngineTiming::handout_p50_us`].
    pub handout_p95_us: u64,
    /// See [`EngineTiming::handout_p50_us`].
    pub handout_max_us: u64,
}

/// How long one scenario took, from its setup to the end of its cleanup.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioTime {
    /// The engine it ran on.
    pub engine: String,
    /// The scenario's name.
    pub name: String,
    /// Its feature file, relative to the project root.
    pub file: String,
    /// Its line in the file.
    pub line: usize,
    /// Its time.
    pub ms: u64,
}

/// One feature file (機能) and the scenarios run from it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureReport {
    /// Gherkin keyword as written, e.g. `Feature`, `機能`; empty means `Feature`.
    pub keyword: String,
    /// The feature's name.
    pub name: String,
    /// Path of the feature file, relative to the project (e.g.
    /// `features/ledger/net_income.feature`).
    pub path: String,
    /// Free text under the feature line.
    pub description: String,
    /// Line of the `Feature:`/`機能:` keyword; 0 when unknown.
    pub line: usize,
    /// Tags as written, with or without the leading `@`.
    pub tags: Vec<String>,
    /// The language of the file (`# language: ja`): `ja`, or empty for English.
    pub language: String,
    /// The comments at the top of the file, above the feature line.
    pub working: Vec<Comment>,
    /// Every scenario run from this file, on every engine.
    pub scenarios: Vec<ScenarioReport>,
    /// The feature file's text as it was read (Cucumber Messages carry it);
    /// empty for what is no feature file read (see [`messages_ndjson`]).
    pub source: String,
}

/// One scenario (シナリオ) as run on one engine, in one flag variant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioReport {
    /// Gherkin keyword as written, e.g. `Scenario`, `Scenario Outline`,
    /// `シナリオ`, `シナリオアウトライン`; empty means `Scenario`.
    pub keyword: String,
    /// The scenario's name (an outline's with its example's values).
    pub name: String,
    /// Database engine: `sqlite`, `postgres` or `mariadb`; empty for what
    /// ran on no engine (a feature file that could not be parsed).
    pub engine: String,
    /// State of the runtime flags this run was made with, e.g.
    /// `ledger.fast_path=on`; `None` when the scenario has one variant.
    pub variant: Option<String>,
    /// Line of the scenario in its feature file (an outline's example: the
    /// line of its row).
    pub line: usize,
    /// Tags as written, with or without the leading `@`.
    pub tags: Vec<String>,
    /// Every step of the scenario (background steps first), run or not.
    pub steps: Vec<StepReport>,
    /// Wall-clock time of the scenario.
    pub duration_ms: u64,
    /// When the scenario started, in milliseconds since the Unix epoch; 0
    /// when unknown.
    pub started_ms: u64,
    /// Free lines the scenario reported, e.g. latency statistics or the
    /// warnings a batch re-run left.
    pub notes: Vec<String>,
    /// Amount tables the scenario produced or compared.
    pub tables: Vec<ResultTable>,
    /// The comments written above the scenario (after the previous one) and
    /// among its steps, in file order.
    pub working: Vec<Comment>,
    /// The earlier attempts of a scenario run again after it failed (`--retry
    /// N`), oldest first, each as it ended (its steps, time and notes); the
    /// fields above are its last attempt. Empty for a scenario run once.
    pub earlier: Vec<ScenarioReport>,
}

/// One step (ステップ) of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    /// Gherkin keyword as written, e.g. `Given`, `前提`, `かつ`.
    pub keyword: String,
    /// The step's text after its keyword.
    pub text: String,
    /// Line of the step in its feature file.
    pub line: usize,
    /// Data table of the step; the first row is the header.
    pub table: Option<Vec<Vec<String>>>,
    /// Doc string of the step, if it has one.
    pub docstring: Option<String>,
    /// How the step ended.
    pub status: StepStatus,
    /// Wall-clock time of the step.
    pub duration_ms: u64,
    /// The step definition that matched, `path:line` (e.g.
    /// `src/steps/tables.rs:120`); `None` when none matched or it is unknown.
    pub location: Option<String>,
}

/// Outcome of one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StepStatus {
    /// The step ran and passed.
    Passed,
    /// The step failed; the message may span several lines (a table diff).
    Failed(String),
    /// The step did not run because an earlier one failed or was undefined.
    #[default]
    Skipped,
    /// No step definition matched the text.
    Undefined,
    /// Several step definitions matched the text; the message names them.
    Ambiguous(String),
}

impl StepStatus {
    /// The status word used by the HTML classes.
    pub fn as_str(&self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed(_) => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Undefined => "undefined",
            StepStatus::Ambiguous(_) => "ambiguous",
        }
    }

    /// Why this step fails its scenario, for a step that does: the kind of
    /// problem and its message.
    pub fn problem(&self) -> Option<(Problem, &str)> {
        match self {
            StepStatus::Failed(message) => Some((Problem::Failed, message)),
            StepStatus::Undefined => Some((Problem::Undefined, UNDEFINED_MESSAGE)),
            StepStatus::Ambiguous(message) => Some((Problem::Ambiguous, message)),
            StepStatus::Passed | StepStatus::Skipped => None,
        }
    }
}

/// What makes a step fail its scenario (and the run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The step ran and failed (or a hook failed, or the file did not parse).
    Failed,
    /// No step definition matched the text.
    Undefined,
    /// Several step definitions matched the text.
    Ambiguous,
}

impl Problem {
    /// How the reports introduce the problem: nothing for a failed step (its
    /// message says it), `undefined step: ` and `ambiguous step: ` for the others.
    pub fn prefix(self) -> &'static str {
        match self {
            Problem::Failed => "",
            Problem::Undefined => "undefined step: ",
            Problem::Ambiguous => "ambiguous step: ",
        }
    }
}

/// What the reports of an interrupted run say.
pub const INTERRUPTED_MESSAGE: &str = "the run was interrupted (SIGINT or SIGTERM): the \
     scenarios that had not finished are not in this report, and the run failed";

/// What the reports say about a step no definition matches.
pub const UNDEFINED_MESSAGE: &str = "no step definition matches this step's text: write one, or \
     fix the text (`cargo run -- --dry-run` lists the closest known steps)";

/// A table of amounts a scenario produced, each row marked against what the
/// scenario expected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultTable {
    /// What the table is, e.g. "請求 invoices after step 5".
    pub title: String,
    /// The database table it shows (its columns' declared meaning is looked
    /// up by it); empty when it is none.
    pub table: String,
    /// The column names.
    pub columns: Vec<String>,
    /// Each row with how it compares.
    pub rows: Vec<(RowMark, Vec<String>)>,
}

/// How one row of a [`ResultTable`] compares with the expectation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RowMark {
    /// Found as expected.
    #[default]
    Same,
    /// Expected, not found.
    Missing,
    /// Found, not expected.
    Unexpected,
    /// Found with some cells differing: each such cell's index and the value
    /// the scenario expected there (the row holds the value found).
    Changed(Vec<(usize, String)>),
}

impl RowMark {
    /// The class word used in the HTML page.
    pub fn as_str(&self) -> &'static str {
        match self {
            RowMark::Same => "same",
            RowMark::Missing => "missing",
            RowMark::Unexpected => "unexpected",
            RowMark::Changed(_) => "changed",
        }
    }
}

/// Outcome of a whole scenario, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScenarioStatus {
    /// Every step ran and passed.
    Passed,
    /// Some step did not run, none failed (or the scenario has no steps).
    Skipped,
    /// A step had no definition; the run fails.
    Undefined,
    /// A step failed or matched several definitions; the run fails.
    Failed,
}

impl ScenarioStatus {
    /// The status word used by the HTML classes.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioStatus::Passed => "passed",
            ScenarioStatus::Failed => "failed",
            ScenarioStatus::Skipped => "skipped",
            ScenarioStatus::Undefined => "undefined",
        }
    }
}

impl ScenarioReport {
    /// Failed if any step failed or was ambiguous; otherwise undefined if any
    /// step had no definition; otherwise skipped if any step did not run;
    /// otherwise passed. A scenario without steps proved nothing and counts as
    /// skipped.
    pub fn status(&self) -> ScenarioStatus {
        if self.steps.is_empty() {
            return ScenarioStatus::Skipped;
        }
        let mut status = ScenarioStatus::Passed;
        for step in &self.steps {
            let this = match step.status {
                StepStatus::Passed => ScenarioStatus::Passed,
                StepStatus::Failed(_) | StepStatus::Ambiguous(_) => return ScenarioStatus::Failed,
                StepStatus::Skipped => ScenarioStatus::Skipped,
                StepStatus::Undefined => ScenarioStatus::Undefined,
            };
            status = status.max(this);
        }
        status
    }

    /// The first step that fails the scenario (failed, undefined or
    /// ambiguous), with the kind of problem and its message.
    pub fn problem(&self) -> Option<(&StepReport, Problem, &str)> {
        self.steps.iter().find_map(|step| {
            step.status
                .problem()
                .map(|(kind, message)| (step, kind, message))
        })
    }

    /// Passed on a retry after failing before (再試行で合格): flaky.
    pub fn flaky(&self) -> bool {
        !self.earlier.is_empty() && self.status() == ScenarioStatus::Passed
    }

    /// Name that tells the runs of one scenario apart: the scenario name, the
    /// engine and the variant, e.g. `Net income once [postgres]
    /// [ledger.fast_path=on]`.
    pub fn display_name(&self) -> String {
        let mut name = self.name.clone();
        if !self.engine.is_empty() {
            name.push_str(&format!(" [{}]", self.engine));
        }
        if let Some(variant) = &self.variant {
            name.push_str(&format!(" [{variant}]"));
        }
        name
    }

    /// The scenario keyword as written, `Scenario` when unknown.
    pub fn keyword(&self) -> &str {
        match self.keyword.trim() {
            "" => "Scenario",
            keyword => keyword,
        }
    }
}

/// How many scenarios ended in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios with a failed or ambiguous step.
    pub failed: usize,
    /// Scenarios with a step that did not run, none failed.
    pub skipped: usize,
    /// Scenarios with a step no definition matched.
    pub undefined: usize,
}

impl StatusCounts {
    /// Counts one scenario of `status`.
    pub fn add(&mut self, status: ScenarioStatus) {
        match status {
            ScenarioStatus::Passed => self.passed += 1,
            ScenarioStatus::Failed => self.failed += 1,
            ScenarioStatus::Skipped => self.skipped += 1,
            ScenarioStatus::Undefined => self.undefined += 1,
        }
    }

    /// All scenarios counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.undefined
    }

    /// Scenarios that fail the run: failed and undefined ones. (A skipped
    /// scenario did not run all its steps and does not pass either.)
    pub fn failures(&self) -> usize {
        self.failed + self.undefined
    }

    fn of<'a>(scenarios: impl IntoIterator<Item = &'a ScenarioReport>) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for scenario in scenarios {
            counts.add(scenario.status());
        }
        counts
    }
}

/// Scenario counts of one engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineCounts {
    /// The engine's name.
    pub engine: String,
    /// Its scenarios' counts.
    pub counts: StatusCounts,
}

impl FeatureReport {
    /// The feature keyword as written, `Feature` when unknown.
    pub fn keyword(&self) -> &str {
        match self.keyword.trim() {
            "" => "Feature",
            keyword => keyword,
        }
    }

    /// Scenario counts of this feature, all engines together.
    pub fn counts(&self) -> StatusCounts {
        StatusCounts::of(&self.scenarios)
    }

    /// Sum of the scenario durations.
    pub fn duration_ms(&self) -> u64 {
        self.scenarios.iter().map(|s| s.duration_ms).sum()
    }
}

impl RunReport {
    /// Every scenario run, feature by feature.
    pub fn scenarios(&self) -> impl Iterator<Item = &ScenarioReport> {
        self.features.iter().flat_map(|f| f.scenarios.iter())
    }

    /// Scenario counts of the whole run, all engines together.
    pub fn counts(&self) -> StatusCounts {
        StatusCounts::of(self.scenarios())
    }

    /// Scenario counts per engine, engines in the order they first appear.
    pub fn counts_by_engine(&self) -> Vec<EngineCounts> {
        let mut out: Vec<EngineCounts> = Vec::new();
        for scenario in self.scenarios() {
            let index = match out.iter().position(|e| e.engine == scenario.engine) {
                Some(index) => index,
                None => {
                    out.push(EngineCounts {
                        engine: scenario.engine.clone(),
                        counts: StatusCounts::default(),
                    });
                    out.len() - 1
                }
            };
            out[index].counts.add(scenario.status());
        }
        out
    }

    /// True when at least one scenario ran and none failed, was skipped or
    /// had an undefined step, the run was not interrupted, no server was
    /// lost, and this is not the stand-in of an unfinished run.
    pub fn all_passed(&self) -> bool {
        let counts = self.counts();
        self.pending.is_none()
            && !self.interrupted
            && self.lost_servers.is_empty()
            && counts.total() > 0
            && counts.passed == counts.total()
    }

    /// The run as the writers show it: an interrupted run gets one more
    /// scenario, failed, saying so, so that no report of it reads as passed
    /// (its exit code does not say passed either).
    ///
    /// Likewise each server lost during the run gets a failed scenario of its
    /// own saying which engine was lost, when and how.
    fn as_written(&self) -> Cow<'_, RunReport> {
        if !self.interrupted && self.lost_servers.is_empty() {
            return Cow::Borrowed(self);
        }
        let failed = |name: String, text: &str, message: String| ScenarioReport {
            keyword: "Scenario".into(),
            name,
            steps: vec![StepReport {
                keyword: "Then".into(),
                text: text.into(),
                status: StepStatus::Failed(message),
                ..StepReport::default()
            }],
            ..ScenarioReport::default()
        };
        let mut scenarios: Vec<ScenarioReport> = self
            .lost_servers
            .iter()
            .map(|lost| {
                let engine = lost
                    .strip_prefix("the ")
                    .and_then(|rest| rest.split(' ').next())
                    .unwrap_or("an engine's");
                failed(
                    format!("The {engine} server was lost during the run"),
                    "the engine's server stays up until the run ends",
                    lost.clone(),
                )
            })
            .collect();
        if self.interrupted {
            scenarios.push(failed(
                "The run was interrupted".into(),
                "every selected scenario runs",
                INTERRUPTED_MESSAGE.into(),
            ));
        }
        let mut run = self.clone();
        run.features.push(FeatureReport {
            keyword: "Feature".into(),
            name: "Kensho run".into(),
            scenarios,
            ..FeatureReport::default()
        });
        Cow::Owned(run)
    }

    /// The name of every scenario run, unique within the run, per feature
    /// and scenario: [`ScenarioReport::display_name`], followed by
    /// ` (path:line)` when another scenario of a feature of the same name
    /// would have the same name (and by ` #2`, ` #3`, ... should even that
    /// repeat). CI servers identify a test case by its class (the feature
    /// name) and name: two cases of one name would be merged or overwrite
    /// each other.
    pub fn case_names(&self) -> Vec<Vec<String>> {
        let mut seen: HashMap<(&str, String), usize> = HashMap::new();
        for feature in &self.features {
            for scenario in &feature.scenarios {
                *seen
                    .entry((feature.name.as_str(), scenario.display_name()))
                    .or_default() += 1;
            }
        }
        let mut taken: HashSet<(&str, String)> = HashSet::new();
        let mut names = Vec::with_capacity(self.features.len());
        for feature in &self.features {
            let mut these = Vec::with_capacity(feature.scenarios.len());
            for scenario in &feature.scenarios {
                let base = scenario.display_name();
                let name = if seen[&(feature.name.as_str(), base.clone())] > 1 {
                    format!("{base} ({}:{})", feature.path, scenario.line)
                } else {
                    base
                };
                let mut unique = name.clone();
                let mut n = 1;
                while !taken.insert((feature.name.as_str(), unique.clone())) {
                    n += 1;
                    unique = format!("{name} #{n}");
                }
                these.push(unique);
            }
            names.push(these);
        }
        names
    }
}

/// Tags with the leading `@` that Gherkin writes, whether or not the report
/// had it.
fn tag_name(tag: &str) -> String {
    if tag.starts_with('@') {
        tag.to_string()
    } else {
        format!("@{tag}")
    }
}

/// Microseconds as milliseconds with one decimal, rounded half up, without
/// floats (how handout times are shown).
pub fn millis(us: u64) -> String {
    let tenths = us.saturating_add(50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Tokyo's offset from UTC in seconds (+09:00 all year: Japan keeps no
/// daylight saving time, so no time-zone database is needed).
const TOKYO_OFFSET_S: i64 = 9 * 3600;

/// An RFC 3339 UTC time (`2026-12-02T02:46:09Z`) as Tokyo time with its zone
/// written: `2026-12-02 11:46 JST`; `None` when the text is not of that form.
pub fn tokyo_time(utc: &str) -> Option<String> {
    let utc = utc.trim().strip_suffix('Z')?;
    let (date, time) = utc.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year: i32 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.splitn(3, ':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = kensho_shared::calendar::days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + TOKYO_OFFSET_S;
    let (year, month, day) = kensho_shared::calendar::civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    Some(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} JST",
        of_day / 3600,
        (of_day / 60) % 60
    ))
}

/// Time in seconds with three decimals, from milliseconds, without floats.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::testing::sample;
    use super::*;

    #[test]
    fn scenario_status_follows_the_worst_step() {
        let run = sample::run();
        let statuses: Vec<_> = run.scenarios().map(|s| s.status()).collect();
        assert_eq!(
            statuses,
            vec![
                ScenarioStatus::Passed,
                ScenarioStatus::Passed,
                ScenarioStatus::Failed,
                ScenarioStatus::Undefined,
                ScenarioStatus::Passed,
            ]
        );
        let empty = ScenarioReport::default();
        assert_eq!(empty.status(), ScenarioStatus::Skipped);
        let skipped = ScenarioReport {
            steps: vec![
                StepReport {
                    status: StepStatus::Passed,
                    ..Default::default()
                },
                StepReport {
                    status: StepStatus::Skipped,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(skipped.status(), ScenarioStatus::Skipped);
    }

    #[test]
    fn counts_per_engine_in_order_of_appearance() {
        let run = sample::run();
        assert_eq!(
            run.counts(),
            StatusCounts {
                passed: 3,
                failed: 1,
                skipped: 0,
                undefined: 1
            }
        );
        assert_eq!(
            run.counts_by_engine(),
            vec![
                EngineCounts {
                    engine: "sqlite".into(),
                    counts: StatusCounts {
                        passed: 1,
                        failed: 0,
                        skipped: 0,
                        undefined: 1
                    },
                },
                EngineCounts {
                    engine: "postgres".into(),
                    counts: StatusCounts {
                        passed: 2,
                        failed: 1,
                        skipped: 0,
                        undefined: 0
                    },
                },
            ]
        );
        assert!(!run.all_passed());
    }

    #[test]
    fn display_name_carries_engine_and_variant() {
        let run = sample::run();
        let names: Vec<_> = run.scenarios().map(|s| s.display_name()).collect();
        assert_eq!(
            names[0],
            "当期純利益の再計算 [sqlite] [ledger.fast_path=off]"
        );
        assert_eq!(names[3], "再実行 [sqlite]");
    }

    #[test]
    fn undefined_and_ambiguous_steps_fail_the_scenario() {
        let run = sample::run();
        let undefined = &run.features[1].scenarios[0];
        let (step, problem, message) = undefined.problem().unwrap();
        assert_eq!(step.text, "the batch runs twice");
        assert_eq!(problem, Problem::Undefined);
        assert_eq!(message, UNDEFINED_MESSAGE);
        assert_eq!(run.counts().failures(), 2);

        let mut ambiguous = undefined.clone();
        ambiguous.steps[1].status = StepStatus::Ambiguous("two definitions".into());
        assert_eq!(ambiguous.status(), ScenarioStatus::Failed);
        let (_, problem, message) = ambiguous.problem().unwrap();
        assert_eq!((problem, message), (Problem::Ambiguous, "two definitions"));
        assert_eq!(problem.prefix(), "ambiguous step: ");

        let (step, problem, _) = run.features[0].scenarios[2].problem().unwrap();
        assert_eq!((step.line, problem), (10, Problem::Failed));
        assert!(run.features[0].scenarios[0].problem().is_none());
    }

    #[test]
    fn an_empty_run_or_a_stand_in_never_passes() {
        assert!(!RunReport::default().all_passed());
        let mut green = sample::run();
        green.features.truncate(1);
        green.features[0].scenarios.truncate(2);
        assert!(green.all_passed());
        green.pending = Some("not finished".into());
        assert!(!green.all_passed());
    }

    #[test]
    fn an_interrupted_run_is_written_with_a_failure_saying_so() {
        let mut run = sample::run();
        run.features.truncate(1);
        run.features[0].scenarios.truncate(2);
        assert!(matches!(run.as_written(), Cow::Borrowed(_)));
        run.interrupted = true;
        assert!(!run.all_passed());
        let written = run.as_written();
        assert_eq!(written.counts().failed, 1);
        let (_, problem, message) = written.features[1].scenarios[0].problem().unwrap();
        assert_eq!((problem, message), (Problem::Failed, INTERRUPTED_MESSAGE));
        assert!(
            junit_xml(&run)
                .contains("<testcase classname=\"Kensho run\" name=\"The run was interrupted\"")
        );
        assert!(junit_xml(&run).contains("tests=\"3\" failures=\"1\""));
        assert!(cucumber_json(&run).contains("\"name\": \"The run was interrupted\""));
        assert!(html(&run).contains("<span class=\"verdict failed\">"));
    }

    #[test]
    fn case_names_repeat_only_with_file_and_line_and_are_unique() {
        let mut run = sample::run();
        assert_eq!(
            run.case_names(),
            run.features
                .iter()
                .map(|f| f
                    .scenarios
                    .iter()
                    .map(|s| s.display_name())
                    .collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        // The same scenario twice at the same file and line (a file given
        // twice): numbered.
        let twice = run.features[1].scenarios[0].clone();
        run.features[1].scenarios.push(twice.clone());
        run.features[1].scenarios.push(twice);
        let names = run.case_names();
        assert_eq!(
            names[1],
            [
                "再実行 [sqlite] (features/invoices/rerun.feature:7)",
                HOSTILE_NAME,
                "再実行 [sqlite] (features/invoices/rerun.feature:7) #2",
                "再実行 [sqlite] (features/invoices/rerun.feature:7) #3",
            ]
        );
        // A feature of another name keeps its own names.
        let mut other = run.features[1].clone();
        other.name = "別の機能".into();
        other.scenarios.truncate(1);
        run.features.push(other);
        assert_eq!(run.case_names()[2], ["再実行 [sqlite]"]);
    }

    const HOSTILE_NAME: &str = "Tom & Jerry <script>alert(\"x\")</script> 'q' [postgres]";

    #[test]
    fn keywords_default_to_english() {
        assert_eq!(FeatureReport::default().keyword(), "Feature");
        assert_eq!(ScenarioReport::default().keyword(), "Scenario");
        let run = sample::run();
        assert_eq!(run.features[0].keyword(), "機能");
        assert_eq!(run.features[1].scenarios[1].keyword(), "Scenario Outline");
        let parse = ScenarioReport {
            name: "The feature file parses".into(),
            ..ScenarioReport::default()
        };
        assert_eq!(parse.display_name(), "The feature file parses");
    }

    #[test]
    fn times_are_shown_in_tokyo_with_the_zone_written() {
        assert_eq!(
            tokyo_time("2026-12-02T02:46:09Z").as_deref(),
            Some("2026-12-02 11:46 JST")
        );
        // Past midnight in Tokyo: the next day, across a year's end.
        assert_eq!(
            tokyo_time("2025-12-31T15:00:00Z").as_deref(),
            Some("2026-01-01 00:00 JST")
        );
        assert_eq!(tokyo_time("yesterday"), None);
        assert_eq!(tokyo_time("2026-13-02T02:46:09Z"), None);
    }

    #[test]
    fn seconds_have_three_decimals() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234), "1.234");
        assert_eq!(seconds(61_005), "61.005");
    }
}
