//! Collects a run's events into a [`RunReport`] (steps, tables, failures, notes,
//! per engine) and writes the JUnit XML, Cucumber JSON and HTML reports.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::check::expect::read_table;
use crate::db::Db;
use crate::report::{
    FeatureReport, ResultTable, RowMark, RunReport, ScenarioReport, StepReport, StepStatus,
};
use crate::runner::features::split_engine;
use crate::world::ScenarioWorld;
use cucumber::event::{self, Cucumber, HookType, StepError};
use cucumber::{Event, Writer, cli, gherkin, parser, writer};

/// Most rows of one amount table the report shows.
const MAX_ROWS: usize = 200;

/// A scenario copy: the feature copy's name (with its engine) and the scenario's line.
type Key = (String, usize);

/// What the collector and the after hook gather during a run.
#[derive(Default)]
pub struct Collected {
    /// The project root (feature paths are shown relative to it).
    root: std::path::PathBuf,
    features: Vec<FeatureReport>,
    feature_index: HashMap<String, usize>,
    open: HashMap<Key, (usize, usize)>,
    started: HashMap<Key, SystemTime>,
    step_started: HashMap<(String, usize, usize), SystemTime>,
    parse_errors: Vec<String>,
    /// Notes and result tables per scenario copy, from the after hook.
    extras: HashMap<Key, (Vec<String>, Vec<ResultTable>)>,
}

/// Shared between the writer and the after hook.
pub type Shared = Rc<RefCell<Collected>>;

/// The writer half: receives every event (in any order between scenarios).
pub struct Collector(pub Shared);

impl Collector {
    /// A collector filing into `shared`, for the project at `root`.
    pub fn new(shared: Shared, root: std::path::PathBuf) -> Collector {
        shared.borrow_mut().root = root;
        Collector(shared)
    }
}

fn millis(from: Option<SystemTime>, to: SystemTime) -> u64 {
    from.and_then(|f| to.duration_since(f).ok())
        .map_or(0, |d| d.as_millis() as u64)
}

fn failure_text(error: &StepError) -> String {
    let text = error.to_string();
    text.strip_prefix("Step panicked. Captured output: ")
        .map(str::to_string)
        .unwrap_or(text)
}

impl Collected {
    fn scenario_mut(&mut self, key: &Key) -> Option<&mut ScenarioReport> {
        let (f, s) = *self.open.get(key)?;
        self.features.get_mut(f)?.scenarios.get_mut(s)
    }

    fn scenario_event(
        &mut self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        ev: event::Scenario<ScenarioWorld>,
        at: SystemTime,
    ) {
        let key: Key = (feature.name.clone(), scenario.position.line);
        match ev {
            event::Scenario::Started => {
                let (base, engine) = split_engine(&feature.name);
                let engine = engine.map(|e| e.name()).unwrap_or_default();
                let path = feature
                    .path
                    .as_deref()
                    .map(|p| {
                        p.strip_prefix(&self.root)
                            .unwrap_or(p)
                            .display()
                            .to_string()
                    })
                    .unwrap_or_default();
                let index_key = format!("{path}\u{0}{base}");
                let f = match self.feature_index.get(&index_key) {
                    Some(&f) => f,
                    None => {
                        self.features.push(FeatureReport {
                            name: base.to_string(),
                            path,
                            description: feature.description.clone().unwrap_or_default(),
                            line: feature.position.line,
                            tags: feature
                                .tags
                                .iter()
                                .filter(|t| t.as_str() != engine)
                                .cloned()
                                .collect(),
                            scenarios: Vec::new(),
                        });
                        self.feature_index
                            .insert(index_key, self.features.len() - 1);
                        self.features.len() - 1
                    }
                };
                let variant = scenario
                    .tags
                    .iter()
                    .chain(&feature.tags)
                    .find_map(|t| t.strip_prefix("differential(")?.strip_suffix(')'))
                    .map(|flag| format!("{flag}: off and on"));
                let scenarios = &mut self.features[f].scenarios;
                scenarios.push(ScenarioReport {
                    name: scenario.name.clone(),
                    engine: engine.to_string(),
                    variant,
                    line: scenario.position.line,
                    tags: scenario.tags.clone(),
                    ..ScenarioReport::default()
                });
                self.open.insert(key.clone(), (f, scenarios.len() - 1));
                self.started.insert(key, at);
            }
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                let step_key = (key.0.clone(), key.1, step.position.line);
                let status = match ev {
                    event::Step::Started => {
                        self.step_started.insert(step_key, at);
                        return;
                    }
                    event::Step::Passed(..) => StepStatus::Passed,
                    event::Step::Skipped => StepStatus::Skipped,
                    event::Step::Failed(_, _, _, StepError::NotFound) => StepStatus::Undefined,
                    event::Step::Failed(_, _, _, error) => StepStatus::Failed(failure_text(&error)),
                };
                let began = self.step_started.remove(&step_key);
                let report = StepReport {
                    keyword: step.keyword.trim().to_string(),
                    text: step.value.clone(),
                    line: step.position.line,
                    table: step.table.as_ref().map(|t| t.rows.clone()),
                    docstring: step.docstring.clone(),
                    status,
                    duration_ms: millis(began, at),
                };
                if let Some(s) = self.scenario_mut(&key) {
                    s.steps.push(report);
                }
            }
            event::Scenario::Hook(which, event::Hook::Failed(_, info)) => {
                let message = info
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the hook panicked".into());
                let report = StepReport {
                    keyword: "Hook".into(),
                    text: match which {
                        HookType::Before => "before the scenario".into(),
                        HookType::After => "after the scenario".into(),
                    },
                    status: StepStatus::Failed(message),
                    ..StepReport::default()
                };
                if let Some(s) = self.scenario_mut(&key) {
                    s.steps.push(report);
                }
            }
            event::Scenario::Finished => {
                let began = self.started.remove(&key);
                if let Some(s) = self.scenario_mut(&key) {
                    s.duration_ms = millis(began, at);
                }
            }
            _ => {}
        }
    }

    /// The report of the run, with the notes and tables the after hook kept.
    pub fn into_report(mut self, title: String, started: SystemTime) -> RunReport {
        let extras = std::mem::take(&mut self.extras);
        for (key, (notes, tables)) in extras {
            if let Some(s) = self.scenario_mut(&key) {
                s.notes = notes;
                s.tables = tables;
            }
        }
        let mut features = self.features;
        if !self.parse_errors.is_empty() {
            features.push(FeatureReport {
                name: "Feature files that could not be read".into(),
                scenarios: self
                    .parse_errors
                    .iter()
                    .map(|e| ScenarioReport {
                        name: "parse error".into(),
                        engine: "-".into(),
                        steps: vec![StepReport {
                            keyword: "Parse".into(),
                            text: "the feature file".into(),
                            status: StepStatus::Failed(e.clone()),
                            ..StepReport::default()
                        }],
                        ..ScenarioReport::default()
                    })
                    .collect(),
                ..FeatureReport::default()
            });
        }
        RunReport {
            title,
            started_at_utc: rfc3339(started),
            duration_ms: millis(Some(started), SystemTime::now()),
            features,
        }
    }

    /// Keeps a scenario's notes and amount tables (called from the after hook).
    pub fn keep_extras(
        &mut self,
        feature: &str,
        line: usize,
        notes: Vec<String>,
        tables: Vec<ResultTable>,
    ) {
        self.extras
            .insert((feature.to_string(), line), (notes, tables));
    }
}

impl Writer<ScenarioWorld> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<Event<Cucumber<ScenarioWorld>>>,
        _cli: &Self::Cli,
    ) {
        let mut collected = self.0.borrow_mut();
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                collected.parse_errors.push(e.to_string());
                return;
            }
        };
        let at = ev.at;
        match ev.value {
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, retryable))
            | Cucumber::Feature(
                feature,
                event::Feature::Rule(_, event::Rule::Scenario(scenario, retryable)),
            ) => collected.scenario_event(&feature, &scenario, retryable.event, at),
            _ => {}
        }
    }
}

// The collector files each event under its scenario, so it does not depend on the
// order events of different scenarios arrive in.
impl writer::Normalized for Collector {}

/// `2026-11-23T03:00:00Z`.
fn rfc3339(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as i64;
    let (year, month, day) = kensho_shared::calendar::civil_from_days(ms.div_euclid(86_400_000));
    let second_of_day = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// The amount tables of a scenario's database (those that hold rows), for the
/// report. `label` names the variant of a differential run.
pub async fn amount_tables(db: &Db, label: &str, names: &[&str]) -> Vec<ResultTable> {
    let mut tables = Vec::new();
    for &name in names {
        let Ok(table) = read_table(db, name, &[]).await else {
            continue;
        };
        if table.rows.is_empty() {
            continue;
        }
        let shown = table.rows.len().min(MAX_ROWS);
        let mut title = if label.is_empty() {
            name.to_string()
        } else {
            format!("{name} [{label}]")
        };
        if shown < table.rows.len() {
            title.push_str(&format!(" (first {shown} of {} rows)", table.rows.len()));
        }
        tables.push(ResultTable {
            title,
            columns: table.columns,
            rows: table
                .rows
                .into_iter()
                .take(MAX_ROWS)
                .map(|r| (RowMark::Same, r))
                .collect(),
        });
    }
    tables
}

/// Writes the three reports into `dir` and says where they are.
pub fn write(dir: &Path, report: &RunReport) {
    match crate::report::write_all(dir, report) {
        Ok(paths) => eprintln!(
            "  reports: {} {} {}",
            paths.junit_xml.display(),
            paths.cucumber_json.display(),
            paths.html.display()
        ),
        Err(e) => eprintln!("  reports could not be written to {}: {e}", dir.display()),
    }
}
