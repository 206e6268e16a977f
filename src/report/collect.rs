//! Collects a run's events into a [`RunReport`] (steps, tables, failures, notes,
//! per engine) and writes the JUnit XML, Cucumber JSON and HTML reports.
//!
//! Every step of a scenario is in its report, run or not: the collector lists
//! them when the scenario starts (background steps first) as skipped, and files
//! each step's outcome (with the step definition that matched) as it comes. A
//! feature file that does not parse, and a run in which no scenario ran, are
//! failures in the report as they are in the exit code.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::check::expect::read_with_schema;
use crate::check::schema::read_schema;
use crate::db::Db;
use crate::report::Comment;
use crate::report::diff;
use crate::report::{
    self, FeatureReport, ReportError, ResultTable, RowMark, RunReport, ScenarioReport, StepReport,
    StepStatus,
};
use crate::selection::{file_language, split_engine};
use crate::world::ScenarioWorld;
use cucumber::event::{self, Cucumber, HookType, StepError};
use cucumber::{Event, World as _, Writer, cli, gherkin, parser, writer};
use kensho_shared::vocabulary::Term;

/// Most rows of one amount table the report shows.
const MAX_ROWS: usize = 200;

/// What the report of a run in which no scenario ran says.
const NO_SCENARIO: &str = "no scenario ran: check the features folder, --name, --tags and \
     --service (@slow scenarios also need --slow)";

/// A scenario copy: the feature copy's name (with its engine) and the scenario's line.
type Key = (String, usize);

/// What the after hook keeps of one attempt of a scenario: its notes and tables.
type Extras = (Vec<String>, Vec<ResultTable>);

/// Where a started scenario's report is, and the index of its first step
/// whose outcome has not come yet.
#[derive(Clone, Copy)]
struct Open {
    feature: usize,
    scenario: usize,
    next: usize,
}

/// A feature file that could not be parsed: its path (relative to the
/// project), the line of the problem (0 when unknown) and what is wrong.
#[derive(Clone, Debug, PartialEq)]
struct ParseProblem {
    path: String,
    line: usize,
    message: String,
}

/// What the collector and the after hook gather during a run.
#[derive(Default)]
pub struct Collected {
    /// The project root (feature paths are shown relative to it).
    root: std::path::PathBuf,
    features: Vec<FeatureReport>,
    feature_index: HashMap<String, usize>,
    open: HashMap<Key, Open>,
    started: HashMap<Key, SystemTime>,
    step_started: HashMap<(String, usize, usize), SystemTime>,
    parse_errors: Vec<ParseProblem>,
    /// Notes and result tables per scenario copy, from the after hook: one
    /// entry per attempt (several for a retried scenario), in order.
    extras: HashMap<Key, Vec<Extras>>,
    /// Each feature file read for its comments, by path: read once, however
    /// many scenarios and engines it has.
    sources: HashMap<std::path::PathBuf, Source>,
    /// The lines where each feature copy's blocks end (see [`block_ends`]), by
    /// the copy's name: computed once per copy, not once per scenario.
    ends: HashMap<String, Vec<usize>>,
}

/// A feature file as the report needs it: its text (kept by its feature's
/// report) and its comments by line.
#[derive(Default)]
struct Source {
    /// The file's text, until its feature's report takes it.
    text: Option<String>,
    /// The file's language (`# language:`, `en` without one).
    language: String,
    /// Its comments, by line.
    comments: Vec<Comment>,
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

/// What a failed step's error says, without cucumber's prefix for a panic.
pub(crate) fn failure_text(error: &StepError) -> String {
    let text = error.to_string();
    text.strip_prefix("Step panicked. Captured output: ")
        .map(str::to_string)
        .unwrap_or(text)
}

/// Every step definition, gathered once per process.
fn definitions() -> &'static cucumber::step::Collection<ScenarioWorld> {
    static DEFINITIONS: OnceLock<cucumber::step::Collection<ScenarioWorld>> = OnceLock::new();
    DEFINITIONS.get_or_init(ScenarioWorld::collection)
}

/// A step as the report lists it before it runs: skipped, with the step
/// definition that matches it (if exactly one does), as Cucumber JSON shows
/// it for steps that did not run too.
fn listed_step(step: &gherkin::Step) -> StepReport {
    let location = match definitions().find(step) {
        Ok(Some((_, _, Some(l), _))) => Some(format!("{}:{}", l.path, l.line)),
        _ => None,
    };
    StepReport {
        keyword: step.keyword.trim().to_string(),
        text: step.value.clone(),
        line: step.position.line,
        table: step.table.as_ref().map(|t| t.rows.clone()),
        docstring: step.docstring.clone(),
        status: StepStatus::Skipped,
        duration_ms: 0,
        location,
    }
}

/// What a feature file's parse error says, with the file relative to `root`.
fn parse_problem(root: &std::path::Path, error: &parser::Error) -> ParseProblem {
    let shown = |path: &std::path::Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    // The runner's own parser reads every file strictly and reports its
    // problems as `file:line: reason` lines in place of the path.
    let problems = match error {
        parser::Error::Parsing(error) => match error.as_ref() {
            gherkin::ParseFileError::Reading { path, .. }
            | gherkin::ParseFileError::Parsing { path, .. } => {
                Some(path).filter(|path| !path.exists())
            }
        },
        parser::Error::ExampleExpansion(_) => None,
    };
    if let Some(problems) = problems {
        let text = problems.display().to_string();
        let (path, line) = located(&text).unwrap_or_default();
        let path = shown(std::path::Path::new(&path));
        return ParseProblem {
            path,
            line,
            message: text,
        };
    }
    match error {
        parser::Error::Parsing(error) => match error.as_ref() {
            gherkin::ParseFileError::Reading { path, source } => ParseProblem {
                path: shown(path),
                line: 0,
                message: format!("{}: cannot read the feature file: {source}", shown(path)),
            },
            gherkin::ParseFileError::Parsing {
                path,
                error,
                source,
            } => {
                // Gherkin's error reads "Error at LINE:COLUMN: {expected tokens}",
                // where the parser gave up, after the line at fault. An unknown
                // keyword names the start of that line: the closest line above
                // that starts so.
                let at = source.to_string();
                let gave_up: Option<usize> = at
                    .strip_prefix("Error at ")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|line| line.parse().ok());
                let unknown_line = match (error, gave_up) {
                    (Some(gherkin::EnvError::UnknownKeyword(text)), Some(gave_up)) => {
                        std::fs::read_to_string(path).ok().and_then(|content| {
                            let lines: Vec<&str> = content.lines().collect();
                            (0..gave_up.min(lines.len()))
                                .rev()
                                .find(|&i| lines[i].trim_start().starts_with(text.trim()))
                                .map(|index| index + 1)
                        })
                    }
                    _ => None,
                };
                let line = unknown_line.or(gave_up).unwrap_or(0);
                let why = match error {
                    Some(error) => format!(" ({error})"),
                    None => String::new(),
                };
                ParseProblem {
                    path: shown(path),
                    line,
                    message: format!(
                        "{}:{line}: the feature file does not parse{why}; fix the Gherkin there \
                         (`cargo run -- --dry-run` checks every file); the parser says: {at}",
                        shown(path)
                    ),
                }
            }
        },
        parser::Error::ExampleExpansion(error) => {
            let path = error.path.as_deref().map(shown).unwrap_or_default();
            ParseProblem {
                line: error.pos.line,
                message: format!(
                    "{path}:{}: the scenario outline does not expand: <{}> is not a column of its examples",
                    error.pos.line, error.name
                ),
                path,
            }
        }
    }
}

/// The file and line a problem line `file:line: reason` starts with.
fn located(text: &str) -> Option<(String, usize)> {
    let first = text.lines().next()?;
    first.match_indices(':').find_map(|(colon, _)| {
        let rest = &first[colon + 1..];
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 || !rest[digits..].starts_with(':') {
            return None;
        }
        Some((first[..colon].to_string(), rest[..digits].parse().ok()?))
    })
}

impl Collected {
    /// Files the problems of feature files that do not parse, one entry per
    /// file (its problems as `file:line: reason` lines, paths relative to the
    /// project), as failures of the report.
    pub fn add_parse_problems(&mut self, files: &[Vec<String>]) {
        for problems in files {
            let message = problems.join("\n  ");
            let (path, line) = located(&message).unwrap_or_default();
            self.parse_errors.push(ParseProblem {
                path,
                line,
                message,
            });
        }
    }

    /// The running scenario of `key`: where its next step is, and its report.
    fn open_scenario(&mut self, key: &Key) -> Option<(&mut Open, &mut ScenarioReport)> {
        let open = self.open.get_mut(key)?;
        let report = self
            .features
            .get_mut(open.feature)?
            .scenarios
            .get_mut(open.scenario)?;
        Some((open, report))
    }

    fn scenario_mut(&mut self, key: &Key) -> Option<&mut ScenarioReport> {
        let open = *self.open.get(key)?;
        self.features
            .get_mut(open.feature)?
            .scenarios
            .get_mut(open.scenario)
    }

    fn scenario_event(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: event::Scenario<ScenarioWorld>,
        at: SystemTime,
    ) {
        let key: Key = (feature.name.clone(), scenario.position.line);
        match ev {
            event::Scenario::Started => self.scenario_started(feature, rule, scenario, key, at),
            event::Scenario::Step(step, ev) | event::Scenario::Background(step, ev) => {
                self.step_event(key, &step, ev, at)
            }
            event::Scenario::Hook(which, event::Hook::Failed(_, info)) => {
                self.hook_failed(&key, which, info.as_ref())
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

    /// A scenario (or a retry of it) starts: its feature's report (made at its
    /// first scenario), and its own, with every step listed as skipped.
    fn scenario_started(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        key: Key,
        at: SystemTime,
    ) {
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
        let mut no_file = Source::default();
        let source = match &feature.path {
            Some(p) => self.sources.entry(p.clone()).or_insert_with(|| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                Source {
                    language: file_language(&text).to_string(),
                    comments: file_comments(&text),
                    text: Some(text),
                }
            }),
            None => &mut no_file,
        };
        let f = feature_report(
            &mut self.features,
            &mut self.feature_index,
            (feature, base, engine, path),
            source,
        );
        let variant = scenario
            .tags
            .iter()
            .chain(&feature.tags)
            .find_map(|t| t.strip_prefix("differential(")?.strip_suffix(')'))
            .map(|flag| format!("{flag}: off and on"));
        let steps = feature
            .background
            .iter()
            .chain(rule.and_then(|r| r.background.as_ref()))
            .flat_map(|b| &b.steps)
            .chain(&scenario.steps)
            .map(listed_step)
            .collect();
        let ends = self
            .ends
            .entry(feature.name.clone())
            .or_insert_with(|| block_ends(feature));
        let working = scenario_working(&source.comments, ends, rule, scenario);
        let mut report = ScenarioReport {
            working,
            keyword: scenario.keyword.trim().to_string(),
            name: scenario.name.clone(),
            engine: engine.to_string(),
            variant,
            line: scenario.position.line,
            tags: scenario.tags.clone(),
            steps,
            started_ms: millis(Some(UNIX_EPOCH), at),
            ..ScenarioReport::default()
        };
        let scenarios = &mut self.features[f].scenarios;
        // A retry (`--retry N`) starts the scenario again: it stays one
        // scenario, its last attempt, with the earlier ones in `earlier`.
        let index = match self.open.get(&key) {
            Some(open) if open.feature == f => {
                let mut before = std::mem::take(&mut scenarios[open.scenario]);
                report.earlier = std::mem::take(&mut before.earlier);
                report.earlier.push(before);
                scenarios[open.scenario] = report;
                open.scenario
            }
            _ => {
                scenarios.push(report);
                scenarios.len() - 1
            }
        };
        let open = Open {
            feature: f,
            scenario: index,
            next: 0,
        };
        self.open.insert(key.clone(), open);
        self.started.insert(key, at);
    }

    /// A step's event: its start time, or its outcome filed in the step listed
    /// at the scenario's start.
    fn step_event(
        &mut self,
        key: Key,
        step: &gherkin::Step,
        ev: event::Step<ScenarioWorld>,
        at: SystemTime,
    ) {
        let step_key = (key.0.clone(), key.1, step.position.line);
        let (status, location) = match ev {
            event::Step::Started => {
                self.step_started.insert(step_key, at);
                return;
            }
            event::Step::Passed(_, location) => (StepStatus::Passed, location),
            event::Step::Skipped => (StepStatus::Skipped, None),
            event::Step::Failed(_, location, _, StepError::NotFound) => {
                (StepStatus::Undefined, location)
            }
            event::Step::Failed(_, location, _, StepError::AmbiguousMatch(e)) => {
                (StepStatus::Ambiguous(e.to_string()), location)
            }
            event::Step::Failed(_, location, _, error) => {
                (StepStatus::Failed(failure_text(&error)), location)
            }
        };
        let began = self.step_started.remove(&step_key);
        let location = location.map(|l| format!("{}:{}", l.path, l.line));
        let duration_ms = millis(began, at);
        let Some((open, s)) = self.open_scenario(&key) else {
            return;
        };
        // The step listed at the start: the next one of this line and text.
        let listed = (open.next..s.steps.len())
            .find(|&i| s.steps[i].line == step.position.line && s.steps[i].text == step.value);
        let index = match listed {
            Some(i) => i,
            None => {
                s.steps.push(listed_step(step));
                s.steps.len() - 1
            }
        };
        let report = &mut s.steps[index];
        report.status = status;
        report.duration_ms = duration_ms;
        report.location = location;
        open.next = index + 1;
    }

    /// A failed hook, as a failed step of its scenario: before its steps (which
    /// stay listed, skipped) or after them.
    fn hook_failed(&mut self, key: &Key, which: HookType, info: &(dyn std::any::Any + Send)) {
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
        let Some((open, s)) = self.open_scenario(key) else {
            return;
        };
        match which {
            // Before any step: the steps stay listed, skipped.
            HookType::Before => {
                s.steps.insert(open.next, report);
                open.next += 1;
            }
            HookType::After => s.steps.push(report),
        }
    }

    /// The report of the run, with the notes and tables the after hook kept;
    /// the rows of a scenario's tables are marked with its failed table step's
    /// differences, read with the services' declared `terms`.
    pub fn into_report(mut self, title: String, started: SystemTime, terms: &[Term]) -> RunReport {
        let extras = std::mem::take(&mut self.extras);
        for (key, mut attempts) in extras {
            // One entry per attempt: the last is the scenario's own, the others
            // its earlier attempts' (a retried scenario's).
            let Some((notes, mut tables)) = attempts.pop() else {
                continue;
            };
            if let Some(s) = self.scenario_mut(&key) {
                for (earlier, (notes, _)) in s.earlier.iter_mut().zip(attempts) {
                    earlier.notes = notes;
                }
                let failed = s.steps.iter().find_map(|step| match &step.status {
                    StepStatus::Failed(message) => diff::parse(message),
                    _ => None,
                });
                if let Some(failed) = failed {
                    for table in &mut tables {
                        diff::mark(table, &failed, terms);
                    }
                }
                s.notes = notes;
                s.tables = tables;
            }
        }
        let mut features = self.features;
        for problem in self.parse_errors {
            let name = if problem.path.is_empty() {
                "The feature files".to_string()
            } else {
                problem.path.clone()
            };
            features.push(FeatureReport {
                keyword: "Feature".into(),
                name,
                path: problem.path.clone(),
                line: problem.line,
                scenarios: vec![ScenarioReport {
                    keyword: "Scenario".into(),
                    name: "The feature file parses".into(),
                    line: problem.line,
                    steps: vec![StepReport {
                        keyword: "Parse".into(),
                        text: "the feature file".into(),
                        line: problem.line,
                        status: StepStatus::Failed(problem.message),
                        ..StepReport::default()
                    }],
                    ..ScenarioReport::default()
                }],
                ..FeatureReport::default()
            });
        }
        if features.is_empty() {
            // The run fails when no scenario ran: so does its report.
            features.push(FeatureReport {
                keyword: "Feature".into(),
                name: "Kensho run".into(),
                scenarios: vec![ScenarioReport {
                    keyword: "Scenario".into(),
                    name: "No scenario ran".into(),
                    steps: vec![StepReport {
                        keyword: "Then".into(),
                        text: "at least one scenario runs".into(),
                        status: StepStatus::Failed(NO_SCENARIO.into()),
                        ..StepReport::default()
                    }],
                    ..ScenarioReport::default()
                }],
                ..FeatureReport::default()
            });
        }
        RunReport {
            title,
            started_at_utc: rfc3339(started),
            duration_ms: millis(Some(started), SystemTime::now()),
            features,
            pending: None,
            interrupted: false,
            lost_servers: Vec::new(),
            timing: None,
            vocabulary: terms.to_vec(),
        }
    }

    /// Keeps a scenario attempt's notes and amount tables (called from the
    /// after hook, once per attempt).
    pub fn keep_extras(
        &mut self,
        feature: &str,
        line: usize,
        notes: Vec<String>,
        tables: Vec<ResultTable>,
    ) {
        self.extras
            .entry((feature.to_string(), line))
            .or_default()
            .push((notes, tables));
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
                let problem = parse_problem(&collected.root, &e);
                collected.parse_errors.push(problem);
                return;
            }
        };
        let at = ev.at;
        match ev.value {
            Cucumber::Feature(feature, event::Feature::Scenario(scenario, retryable)) => {
                collected.scenario_event(&feature, None, &scenario, retryable.event, at)
            }
            Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Scenario(scenario, retryable)),
            ) => collected.scenario_event(&feature, Some(&rule), &scenario, retryable.event, at),
            _ => {}
        }
    }
}

// The collector files each event under its scenario, so it does not depend on the
// order events of different scenarios arrive in.
impl writer::Normalized for Collector {}

/// Most feature folders a default title names one by one.
const TITLE_FOLDERS: usize = 3;

/// The title of a run not given one (`--title`, `KENSHO_TITLE`): the feature
/// folders it ran and the commit (`git rev-parse --short HEAD` in `root`), e.g.
/// `Kensho: features/billing, features/consolidation @ 53da3ab`; the run's
/// `id` where git names no commit.
pub fn default_title(root: &Path, features_dir: &Path, collected: &Collected, id: &str) -> String {
    let mut folders: Vec<String> = Vec::new();
    for feature in &collected.features {
        let folder = Path::new(&feature.path)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if !folder.is_empty() && !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    folders.sort();
    let shown_dir = features_dir
        .strip_prefix(root)
        .unwrap_or(features_dir)
        .display()
        .to_string();
    let what = match folders.len() {
        0 => shown_dir,
        n if n <= TITLE_FOLDERS => folders.join(", "),
        n => format!("{shown_dir} ({n} folders)"),
    };
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|c| !c.is_empty());
    match commit {
        Some(commit) => format!("Kensho: {what} @ {commit}"),
        None => format!("Kensho: {what} (run {id})"),
    }
}

/// The comments of `comments` (in the order of their lines) after line
/// `after` and before line `before` (1-based, both left out).
fn comments_between(comments: &[Comment], after: usize, before: usize) -> Vec<Comment> {
    let from = comments.partition_point(|c| c.line <= after);
    let to = comments.partition_point(|c| c.line < before).max(from);
    comments[from..to].to_vec()
}

/// The comment lines of `source`, without `# language:`.
fn file_comments(source: &str) -> Vec<Comment> {
    source
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start()))
        .filter_map(|(line, text)| {
            let text = text.strip_prefix('#')?;
            if text.trim_start().starts_with("language:") {
                return None;
            }
            Some(Comment {
                line,
                text: text
                    .strip_prefix(' ')
                    .unwrap_or(text)
                    .trim_end()
                    .to_string(),
            })
        })
        .collect()
}

/// The lines where the blocks of a feature copy end, sorted: the feature
/// line, its background's last step and every scenario's last step.
fn block_ends(feature: &gherkin::Feature) -> Vec<usize> {
    let last_step = |steps: &[gherkin::Step]| steps.iter().map(|s| s.position.line).max();
    let mut ends: Vec<usize> = feature
        .background
        .iter()
        .filter_map(|b| last_step(&b.steps))
        .chain(
            feature
                .scenarios
                .iter()
                .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()))
                .filter_map(|s| last_step(&s.steps)),
        )
        .chain([feature.position.line])
        .collect();
    ends.sort_unstable();
    ends
}

/// The working of a scenario: the comments (`comments`, its file's) after the
/// block before it (the background's or the previous scenario's last step, or
/// the feature line: the greatest of the feature's `ends` ([`block_ends`]) and
/// the rule's background before it) up to its last step.
fn scenario_working(
    comments: &[Comment],
    ends: &[usize],
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> Vec<Comment> {
    let Some(first) = scenario.steps.iter().map(|s| s.position.line).min() else {
        return Vec::new();
    };
    let last = scenario
        .steps
        .iter()
        .map(|s| s.position.line)
        .max()
        .unwrap_or(first);
    let before = ends.partition_point(|&end| end < first);
    let rule_background = rule
        .and_then(|r| r.background.as_ref())
        .and_then(|b| b.steps.iter().map(|s| s.position.line).max())
        .filter(|&end| end < first);
    let after = before
        .checked_sub(1)
        .map(|i| ends[i])
        .into_iter()
        .chain(rule_background)
        .max()
        .unwrap_or(0);
    comments_between(comments, after, last + 1)
}

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
    // One catalog read for all the tables.
    let Ok(schema) = read_schema(db).await else {
        return tables;
    };
    for &name in names {
        let Ok(table) = read_with_schema(db, &schema, name, &[]).await else {
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
            table: name.to_string(),
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

/// Marks the reports in `dir` as stale as a run starts (see
/// [`report::begin_run`]): until the run writes its own, the folder holds a
/// stand-in set that fails in CI. An error means the run cannot write its
/// reports there; the runner stops before any scenario runs.
pub fn begin(dir: &Path, started: SystemTime) -> Result<(), ReportError> {
    report::begin_run(dir, "Kensho run", &rfc3339(started)).map(|_| ())
}

/// Replaces the stand-in set of [`begin`] by one saying that the run could not
/// start, and why (`error`); says where, or why it could not.
pub fn could_not_start(dir: &Path, started: SystemTime, error: &anyhow::Error) {
    let error = format!("{error:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match report::could_not_start(dir, "Kensho run", &rfc3339(started), &error) {
        Ok(paths) => eprintln!(
            "  reports (the run could not start): {}",
            paths.junit_xml.display()
        ),
        Err(e) => eprintln!("kensho: the reports could not be written: {e}"),
    }
}

/// Writes the four reports into `dir` as one set, with the `lists` the run
/// leaves for the next (see [`report::write_all_with_lists`]), and says where
/// they are; says why and where when they cannot be written, and then returns
/// false: the run must fail (the folder keeps the stand-in set of [`begin`]).
pub fn write(dir: &Path, report: &RunReport, lists: &[(&str, String)]) -> bool {
    match report::write_all_with_lists(dir, report, lists) {
        Ok(paths) => {
            eprintln!(
                "  reports: {} {} {} {}",
                paths.junit_xml.display(),
                paths.cucumber_json.display(),
                paths.html.display(),
                paths.messages.display()
            );
            true
        }
        Err(e) => {
            // Every report error names the path.
            eprintln!("kensho: the reports could not be written: {e}; the run fails");
            false
        }
    }
}

/// The index of the report of `feature` (its name without the engine,
/// `base`; its file, `path`), made now for its first scenario.
fn feature_report(
    features: &mut Vec<FeatureReport>,
    feature_index: &mut HashMap<String, usize>,
    (feature, base, engine, path): (&gherkin::Feature, &str, &str, String),
    source: &mut Source,
) -> usize {
    let index_key = format!("{path}\u{0}{base}");
    match feature_index.get(&index_key) {
        Some(&f) => f,
        None => {
            features.push(FeatureReport {
                keyword: feature.keyword.trim().to_string(),
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
                language: source.language.clone(),
                working: comments_between(&source.comments, 0, feature.position.line),
                scenarios: Vec::new(),
                source: source.text.take().unwrap_or_default(),
            });
            feature_index.insert(index_key, features.len() - 1);
            features.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use cucumber::codegen::Regex;
    use cucumber::event::Source;
    use cucumber::feature::Ext as _;
    use cucumber::gherkin::GherkinEnv;
    use cucumber::step::{AmbiguousMatchError, Location};

    use super::*;
    use crate::report::ScenarioStatus;

    const JAPANESE: &str = "# language: ja
機能: 再計算

  背景:
    前提 the background step

  シナリオ: 失敗の後
    前提 the first step
    もし the second step
    ならば the third step

  シナリオアウトライン: 例ごと
    前提 the <what> step

    例:
      | what  |
      | first |
";

    fn feature() -> gherkin::Feature {
        let mut feature = gherkin::Feature::parse(JAPANESE, GherkinEnv::default()).unwrap();
        feature.name = format!("{} [sqlite]", feature.name);
        feature
    }

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_000_000 + ms)
    }

    fn location(line: u32) -> Option<Location> {
        Some(Location {
            path: "src/steps/tables.rs",
            line,
            column: 1,
        })
    }

    fn passed(line: u32) -> event::Step<ScenarioWorld> {
        let captures = Regex::new("step").unwrap().capture_locations();
        event::Step::Passed(captures, location(line))
    }

    fn failed(error: StepError, line: Option<u32>) -> event::Step<ScenarioWorld> {
        event::Step::Failed(None, line.and_then(location), None, error)
    }

    /// Feeds `scenario`'s events: its background and scenario steps, in
    /// order, each with its outcome (no outcome: no more events), then the
    /// end of the scenario.
    fn run(
        collected: &mut Collected,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        outcomes: Vec<event::Step<ScenarioWorld>>,
    ) {
        collected.scenario_event(feature, None, scenario, event::Scenario::Started, at(0));
        let background = feature.background.iter().flat_map(|b| b.steps.iter());
        let steps = background
            .map(|s| (true, s))
            .chain(scenario.steps.iter().map(|s| (false, s)));
        for (i, ((is_background, step), outcome)) in steps.zip(outcomes).enumerate() {
            for ev in [event::Step::Started, outcome] {
                let source = Source::new(step.clone());
                let ev = if is_background {
                    event::Scenario::Background(source, ev)
                } else {
                    event::Scenario::Step(source, ev)
                };
                collected.scenario_event(feature, None, scenario, ev, at(10 * i as u64 + 5));
            }
        }
        collected.scenario_event(feature, None, scenario, event::Scenario::Finished, at(100));
    }

    /// A Japanese feature with working in comments above and among its steps.
    const WORKED: &str = "# language: ja
# 種 002
機能: 再計算
  背景:
    前提 the background step
  # above the first scenario
  シナリオ: 失敗の後
    # before the first step
    前提 the first step
    #   2,000 × 150 = 300,000
    もし the second step
    ならば the third step
  # above the second
  シナリオ: 次
    前提 the first step
";

    #[test]
    fn comments_are_the_working_of_the_scenario_they_are_above_or_among() {
        let feature = gherkin::Feature::parse(WORKED, GherkinEnv::default()).unwrap();
        let lines = |comments: Vec<Comment>| -> Vec<(usize, String)> {
            comments.into_iter().map(|c| (c.line, c.text)).collect()
        };
        assert_eq!(
            lines(scenario_working(
                &file_comments(WORKED),
                &block_ends(&feature),
                None,
                &feature.scenarios[0]
            )),
            [
                (6, "above the first scenario".to_string()),
                (8, "before the first step".to_string()),
                (10, "  2,000 × 150 = 300,000".to_string()),
            ]
        );
        assert_eq!(
            lines(scenario_working(
                &file_comments(WORKED),
                &block_ends(&feature),
                None,
                &feature.scenarios[1]
            )),
            [(13, "above the second".to_string())]
        );
        // The file's own comments, without its language line.
        assert_eq!(
            lines(comments_between(&file_comments(WORKED), 0, 3)),
            [(2, "種 002".to_string())]
        );
        assert_eq!(file_language(WORKED), "ja");
        assert_eq!(file_language("Feature: x\n# language: ja\n"), "en");
    }

    #[test]
    fn every_step_is_reported_with_its_definition_and_the_keywords_as_written() {
        let feature = feature();
        let mut collected = Collected::default();
        let failure = StepError::Panic(Arc::new("the table differs".to_string()));
        run(
            &mut collected,
            &feature,
            &feature.scenarios[0],
            vec![passed(11), passed(22), failed(failure, Some(33))],
        );
        let report = collected.into_report("run".into(), at(0), &[]);
        let feature_report = &report.features[0];
        assert_eq!(feature_report.keyword, "機能");
        assert_eq!(feature_report.name, "再計算");
        let scenario = &feature_report.scenarios[0];
        assert_eq!(scenario.keyword, "シナリオ");
        assert_eq!(scenario.engine, "sqlite");
        let steps: Vec<_> = scenario
            .steps
            .iter()
            .map(|s| {
                (
                    s.keyword.as_str(),
                    s.text.as_str(),
                    s.status.as_str(),
                    s.location.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                (
                    "前提",
                    "the background step",
                    "passed",
                    Some("src/steps/tables.rs:11")
                ),
                (
                    "前提",
                    "the first step",
                    "passed",
                    Some("src/steps/tables.rs:22")
                ),
                (
                    "もし",
                    "the second step",
                    "failed",
                    Some("src/steps/tables.rs:33")
                ),
                // After the failure: no event, still reported.
                ("ならば", "the third step", "skipped", None),
            ]
        );
        assert_eq!(
            scenario.steps[2].status,
            StepStatus::Failed("the table differs".into())
        );
        assert_eq!(scenario.status(), ScenarioStatus::Failed);
    }

    #[test]
    fn a_retried_scenario_is_one_scenario_with_its_earlier_attempts() {
        let mut feature = feature();
        feature.background = None;
        let scenario = &feature.scenarios[0];
        let mut collected = Collected::default();
        let failure = || StepError::Panic(Arc::new("exit code 1".to_string()));
        // Two attempts fail on their second step, the third passes; the after
        // hook keeps each attempt's notes.
        for (attempt, passes) in [(1, false), (2, false), (3, true)] {
            let outcomes = if passes {
                vec![passed(1), passed(2), passed(3)]
            } else {
                vec![passed(1), failed(failure(), Some(2))]
            };
            run(&mut collected, &feature, scenario, outcomes);
            collected.keep_extras(
                &feature.name,
                scenario.position.line,
                vec![format!("attempt {attempt}")],
                Vec::new(),
            );
        }
        let report = collected.into_report("run".into(), at(0), &[]);
        let scenarios = &report.features[0].scenarios;
        assert_eq!(scenarios.len(), 1);
        let scenario = &scenarios[0];
        assert_eq!(scenario.status(), ScenarioStatus::Passed);
        assert!(scenario.flaky());
        assert_eq!(scenario.notes, ["attempt 3"]);
        let earlier: Vec<(ScenarioStatus, &[String])> = scenario
            .earlier
            .iter()
            .map(|a| (a.status(), &a.notes[..]))
            .collect();
        assert_eq!(
            earlier,
            [
                (ScenarioStatus::Failed, &["attempt 1".to_string()][..]),
                (ScenarioStatus::Failed, &["attempt 2".to_string()][..]),
            ]
        );
        assert!(scenario.earlier.iter().all(|a| a.earlier.is_empty()));
        assert_eq!(report.counts().total(), 1);
    }

    #[test]
    fn a_skipped_step_names_the_definition_that_matches_it() {
        let mut feature = feature();
        feature.background = None;
        let mut scenario = feature.scenarios[0].clone();
        scenario.steps[2].value = "the business invariants hold".into();
        let mut collected = Collected::default();
        let failure = StepError::Panic(Arc::new("no".to_string()));
        run(
            &mut collected,
            &feature,
            &scenario,
            vec![passed(1), failed(failure, Some(2))],
        );
        let report = collected.into_report("run".into(), at(0), &[]);
        let skipped = &report.features[0].scenarios[0].steps[2];
        assert_eq!(skipped.status, StepStatus::Skipped);
        let location = skipped.location.as_deref().unwrap_or_default();
        assert!(location.starts_with("src/steps/tables.rs:"), "{location}");
    }

    #[test]
    fn outline_examples_keep_their_keyword() {
        let mut feature = feature();
        feature.background = None;
        let expanded = feature.clone().expand_examples().unwrap();
        let outline = &expanded.scenarios[1];
        let mut collected = Collected::default();
        run(&mut collected, &feature, outline, vec![passed(1)]);
        let report = collected.into_report("run".into(), at(0), &[]);
        let scenario = &report.features[0].scenarios[0];
        assert_eq!(scenario.keyword, "シナリオアウトライン");
        assert_eq!(scenario.steps[0].text, "the first step");
        assert_eq!(scenario.status(), ScenarioStatus::Passed);
    }

    #[test]
    fn undefined_and_ambiguous_steps_are_told_apart() {
        let feature = feature();
        let mut collected = Collected::default();
        run(
            &mut collected,
            &feature,
            &feature.scenarios[0],
            vec![passed(1), failed(StepError::NotFound, None)],
        );
        let ambiguous = AmbiguousMatchError {
            possible_matches: vec![
                (Regex::new("^the (.*) step$").unwrap().into(), location(7)),
                (Regex::new("^the first step$").unwrap().into(), location(9)),
            ],
        };
        let mut second = feature.clone();
        second.name = "再計算 [postgres]".into();
        run(
            &mut collected,
            &second,
            &second.scenarios[0],
            vec![
                passed(1),
                failed(StepError::AmbiguousMatch(ambiguous), None),
            ],
        );
        let report = collected.into_report("run".into(), at(0), &[]);
        let scenarios = &report.features[0].scenarios;
        assert_eq!(scenarios[0].steps[1].status, StepStatus::Undefined);
        assert_eq!(scenarios[0].status(), ScenarioStatus::Undefined);
        assert_eq!(
            scenarios[1].steps[1].status,
            StepStatus::Ambiguous(
                "Possible matches:\n^the (.*) step$ --> src/steps/tables.rs:7:1\n^the first step$ --> src/steps/tables.rs:9:1"
                    .into()
            )
        );
        assert_eq!(scenarios[1].status(), ScenarioStatus::Failed);
        assert!(scenarios.iter().all(|s| s.steps.len() == 4));
    }

    #[test]
    fn closing_steps_on_the_line_of_the_last_step_are_filed_in_order() {
        let mut feature = feature();
        feature.background = None;
        let mut scenario = feature.scenarios[0].clone();
        let mut closing = scenario.steps[2].clone();
        closing.keyword = "Then ".into();
        closing.value = "the business invariants hold".into();
        scenario.steps.push(closing);
        let mut collected = Collected::default();
        run(
            &mut collected,
            &feature,
            &scenario,
            vec![passed(1), passed(2), passed(3), passed(4)],
        );
        let report = collected.into_report("run".into(), at(0), &[]);
        let steps = &report.features[0].scenarios[0].steps;
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[3].keyword, "Then");
        assert_eq!(steps[3].location.as_deref(), Some("src/steps/tables.rs:4"));
        assert_eq!(steps[2].location.as_deref(), Some("src/steps/tables.rs:3"));
    }

    #[test]
    fn a_failed_before_hook_comes_first_and_the_steps_stay_skipped() {
        let feature = feature();
        let scenario = &feature.scenarios[0];
        let mut collected = Collected::default();
        collected.scenario_event(&feature, None, scenario, event::Scenario::Started, at(0));
        let info: event::Info = Arc::new("no database".to_string());
        collected.scenario_event(
            &feature,
            None,
            scenario,
            event::Scenario::Hook(HookType::Before, event::Hook::Failed(None, info)),
            at(1),
        );
        let report = collected.into_report("run".into(), at(0), &[]);
        let steps = &report.features[0].scenarios[0].steps;
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[0].keyword, "Hook");
        assert_eq!(steps[0].status, StepStatus::Failed("no database".into()));
        assert!(steps[1..].iter().all(|s| s.status == StepStatus::Skipped));
    }

    #[test]
    fn a_run_through_the_collector_writes_valid_messages_one_case_per_scenario_and_engine() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shown = "fixtures/runner/report_ja.feature";
        let mut feature = crate::gherkin::read_feature(&root.join(shown), shown, &|_| None)
            .expect("the fixture parses");
        // The closing step the runner adds: in no file, on the last step's line.
        for scenario in &mut feature.scenarios {
            let mut closing = scenario.steps.last().unwrap().clone();
            closing.value = "the business invariants hold".into();
            closing.table = None;
            scenario.steps.push(closing);
        }
        let mut collected = Collected {
            root: root.to_path_buf(),
            ..Collected::default()
        };
        let failure = || {
            failed(
                StepError::Panic(Arc::new("the table differs".to_string())),
                Some(2),
            )
        };
        for engine in ["sqlite", "postgres"] {
            let mut copy = feature.clone();
            copy.name = format!("{} [{engine}]", feature.name);
            run(
                &mut collected,
                &copy,
                &copy.scenarios[0],
                vec![passed(1), failure()],
            );
            run(
                &mut collected,
                &copy,
                &copy.scenarios[1],
                vec![passed(1), passed(2), passed(3)],
            );
        }
        let report = collected.into_report("run".into(), at(0), &[]);
        let ndjson = report::messages_ndjson(&report);
        let summary = report::messages_check::validate(&ndjson)
            .unwrap_or_else(|problems| panic!("{}\n{ndjson}", problems.join("\n")));
        assert_eq!(
            summary.pickles,
            [
                "失敗の後のステップ [sqlite]",
                "人ごと [sqlite]",
                "失敗の後のステップ [postgres]",
                "人ごと [postgres]",
            ]
        );
        let statuses: Vec<Vec<&str>> = summary
            .runs
            .iter()
            .map(|(_, s)| s.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(statuses[0], ["PASSED", "FAILED", "SKIPPED", "SKIPPED"]);
        assert_eq!(statuses[1], ["PASSED", "PASSED", "PASSED"]);
        assert_eq!(summary.finished["success"], false);
        assert_eq!(summary.kinds.iter().filter(|k| *k == "source").count(), 1);
    }

    #[test]
    fn a_run_without_scenarios_reports_a_failure() {
        let report = Collected::default().into_report("run".into(), at(0), &[]);
        assert_eq!(report.counts().failed, 1);
        assert!(!report.all_passed());
        let (step, _, message) = report.features[0].scenarios[0].problem().unwrap();
        assert_eq!(step.text, "at least one scenario runs");
        assert!(message.starts_with("no scenario ran: check the features folder"));
    }

    #[test]
    fn problems_the_strict_parser_reports_keep_their_file_and_line() {
        assert_eq!(
            located("features/a b.feature:12: unexpected text \"x:1:\"\n  features/c.feature:3: y"),
            Some(("features/a b.feature".to_string(), 12))
        );
        assert_eq!(located("features: the features cannot be read"), None);
        let root = std::path::Path::new("/project");
        let problems = "/project/features/x.feature:7: unexpected text \"Scenaro:\"\n  /project/features/x.feature:9: another";
        let error = parser::Error::from(gherkin::ParseFileError::Reading {
            path: problems.into(),
            source: std::io::Error::other("does not parse"),
        });
        assert_eq!(
            parse_problem(root, &error),
            ParseProblem {
                path: "features/x.feature".into(),
                line: 7,
                message: problems.into(),
            }
        );
    }

    #[test]
    fn an_unparsable_feature_file_is_a_failure_naming_file_and_line() {
        let dir = std::env::temp_dir().join(format!("kensho-parse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("broken.feature");
        std::fs::write(
            &file,
            "Feature: broken\n\n  Scenario: one\n    Given a step\n  Scenaro: a typo\n",
        )
        .unwrap();
        let error = gherkin::Feature::parse_path(&file, GherkinEnv::default()).unwrap_err();
        let problem = parse_problem(&dir, &parser::Error::Parsing(Arc::new(error)));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problem.path, "broken.feature");
        assert_eq!(problem.line, 5);
        assert!(
            problem
                .message
                .starts_with("broken.feature:5: the feature file does not parse"),
            "{}",
            problem.message
        );

        let mut collected = Collected::default();
        collected.parse_errors.push(problem);
        let report = collected.into_report("run".into(), at(0), &[]);
        let feature = &report.features[0];
        assert_eq!(feature.path, "broken.feature");
        assert_eq!(feature.scenarios[0].line, 5);
        assert_eq!(feature.scenarios[0].status(), ScenarioStatus::Failed);
        assert!(!report.all_passed());
    }
}
