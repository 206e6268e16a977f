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
//! - [`html`]: one self-contained HTML page for reviewers and accountants.
//!
//! [`write_all`] writes the three into a directory.

mod cucumber;
mod escape;
mod html;
mod junit;
#[cfg(test)]
mod testing;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use cucumber::cucumber_json;
pub use html::html;
pub use junit::junit_xml;

/// One run of the scenario suite.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// What the run was, e.g. "Kensho scenarios".
    pub title: String,
    /// When the run started, RFC 3339 in UTC (e.g. `2025-04-01T09:30:00Z`).
    pub started_at_utc: String,
    /// Wall-clock time of the whole run.
    pub duration_ms: u64,
    pub features: Vec<FeatureReport>,
}

/// One feature file (機能) and the scenarios run from it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureReport {
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
    pub scenarios: Vec<ScenarioReport>,
}

/// One scenario (シナリオ) as run on one engine, in one flag variant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioReport {
    pub name: String,
    /// Database engine: `sqlite`, `postgres` or `mariadb`.
    pub engine: String,
    /// State of the runtime flags this run was made with, e.g.
    /// `ledger.fast_path=on`; `None` when the scenario has one variant.
    pub variant: Option<String>,
    /// Line of the scenario in its feature file.
    pub line: usize,
    /// Tags as written, with or without the leading `@`.
    pub tags: Vec<String>,
    pub steps: Vec<StepReport>,
    pub duration_ms: u64,
    /// Free lines the scenario reported, e.g. latency statistics or the
    /// warnings a batch re-run left.
    pub notes: Vec<String>,
    /// Amount tables the scenario produced or compared.
    pub tables: Vec<ResultTable>,
}

/// One step (ステップ) of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    /// Gherkin keyword as written, e.g. `Given`, `前提`, `かつ`.
    pub keyword: String,
    pub text: String,
    pub line: usize,
    /// Data table of the step; the first row is the header.
    pub table: Option<Vec<Vec<String>>>,
    pub docstring: Option<String>,
    pub status: StepStatus,
    pub duration_ms: u64,
}

/// Outcome of one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    /// The step failed; the message may span several lines (a table diff).
    Failed(String),
    /// The step did not run because an earlier one failed or was undefined.
    #[default]
    Skipped,
    /// No step definition matched the text.
    Undefined,
}

impl StepStatus {
    /// The status word used by Cucumber JSON and the HTML classes.
    pub fn as_str(&self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed(_) => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Undefined => "undefined",
        }
    }
}

/// A table of amounts a scenario produced, each row marked against what the
/// scenario expected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultTable {
    /// What the table is, e.g. "請求 invoices after step 5".
    pub title: String,
    pub columns: Vec<String>,
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
    /// Found with some cells differing; the indices of those cells.
    Changed(Vec<usize>),
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

/// Outcome of a whole scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScenarioStatus {
    Passed,
    Skipped,
    Undefined,
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
    /// Failed if any step failed; otherwise undefined if any step had no
    /// definition; otherwise skipped if any step did not run; otherwise
    /// passed. A scenario without steps proved nothing and counts as skipped.
    pub fn status(&self) -> ScenarioStatus {
        if self.steps.is_empty() {
            return ScenarioStatus::Skipped;
        }
        let mut status = ScenarioStatus::Passed;
        for step in &self.steps {
            let this = match step.status {
                StepStatus::Passed => ScenarioStatus::Passed,
                StepStatus::Failed(_) => return ScenarioStatus::Failed,
                StepStatus::Skipped => ScenarioStatus::Skipped,
                StepStatus::Undefined => ScenarioStatus::Undefined,
            };
            status = status.max(this);
        }
        status
    }

    /// The first failed step, if any.
    pub fn failed_step(&self) -> Option<(&StepReport, &str)> {
        self.steps.iter().find_map(|step| match &step.status {
            StepStatus::Failed(message) => Some((step, message.as_str())),
            _ => None,
        })
    }

    /// Name that tells the runs of one scenario apart: the scenario name, the
    /// engine and the variant, e.g. `Net income once [postgres]
    /// [ledger.fast_path=on]`.
    pub fn display_name(&self) -> String {
        let mut name = format!("{} [{}]", self.name, self.engine);
        if let Some(variant) = &self.variant {
            name.push_str(&format!(" [{variant}]"));
        }
        name
    }
}

/// How many scenarios ended in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub undefined: usize,
}

impl StatusCounts {
    pub fn add(&mut self, status: ScenarioStatus) {
        match status {
            ScenarioStatus::Passed => self.passed += 1,
            ScenarioStatus::Failed => self.failed += 1,
            ScenarioStatus::Skipped => self.skipped += 1,
            ScenarioStatus::Undefined => self.undefined += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.undefined
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
    pub engine: String,
    pub counts: StatusCounts,
}

impl FeatureReport {
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

    /// True when no scenario failed, was skipped or had an undefined step.
    pub fn all_passed(&self) -> bool {
        let counts = self.counts();
        counts.passed == counts.total()
    }
}

/// Where [`write_all`] put the three reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPaths {
    pub junit_xml: PathBuf,
    pub cucumber_json: PathBuf,
    pub html: PathBuf,
}

/// Writes `junit.xml`, `cucumber.json` and `report.html` into `dir`, creating
/// it if needed. Each file is written to a temporary file in `dir` first and
/// then renamed, so a reader never sees a half-written report.
pub fn write_all(dir: &Path, run: &RunReport) -> io::Result<ReportPaths> {
    fs::create_dir_all(dir)?;
    let paths = ReportPaths {
        junit_xml: dir.join("junit.xml"),
        cucumber_json: dir.join("cucumber.json"),
        html: dir.join("report.html"),
    };
    write_atomically(&paths.junit_xml, &junit_xml(run))?;
    write_atomically(&paths.cucumber_json, &cucumber_json(run))?;
    write_atomically(&paths.html, &html(run))?;
    Ok(paths)
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename; the temporary file is removed on failure.
fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "report path has no file name"))?
        .to_string_lossy();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(|e| io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))
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

/// Time in seconds with three decimals, from milliseconds, without floats.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::testing::{sample, test_dir};
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
    fn seconds_have_three_decimals() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234), "1.234");
        assert_eq!(seconds(61_005), "61.005");
    }

    #[test]
    fn write_all_writes_three_files_and_no_temporaries() {
        let dir = test_dir("write_all");
        let _ = fs::remove_dir_all(&dir);
        let run = sample::run();
        let paths = write_all(&dir.join("nested"), &run).expect("write reports");
        assert_eq!(
            fs::read_to_string(&paths.junit_xml).unwrap(),
            junit_xml(&run)
        );
        assert_eq!(
            fs::read_to_string(&paths.cucumber_json).unwrap(),
            cucumber_json(&run)
        );
        assert_eq!(fs::read_to_string(&paths.html).unwrap(), html(&run));
        // Writing again replaces the files.
        let mut second = run.clone();
        second.title = "second run".into();
        write_all(&dir.join("nested"), &second).unwrap();
        assert!(
            fs::read_to_string(&paths.html)
                .unwrap()
                .contains("second run")
        );
        let mut names: Vec<_> = fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["cucumber.json", "junit.xml", "report.html"]);
        let _ = fs::remove_dir_all(&dir);
    }
}
