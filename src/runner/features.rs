//! The features a run takes: every feature copied once per engine, the selection
//! of scenarios (`@slow`, `--service`, `--name`, `--tags`, `--rerun`, `--shard`:
//! [`Selection`]), and the closing steps the runner appends.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cucumber::gherkin;
use cucumber::parser::{self, Parser};
use futures::stream::{self, LocalBoxStream, StreamExt};

use cucumber::tag::Ext as _;

use crate::authoring::{Rerun, Shard, ShardPlan, Timings};
use crate::db::Engine;

/// The step every `@differential(flag)` scenario ends with.
pub const DIFFERENTIAL_STEP: &str = "the differential runs hold identical tables";

/// The step every scenario ends with: the services' business invariants.
pub const INVARIANTS_STEP: &str = "the business invariants hold";

/// The language a feature file is written in: the value of its `# language:`
/// line (before the first line that is not a comment or blank), `en` without one.
pub fn file_language(source: &str) -> &str {
    source
        .lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .find_map(|l| l.strip_prefix('#')?.trim().strip_prefix("language:"))
        .map(str::trim)
        .unwrap_or("en")
}

/// The closing steps in Japanese: the keyword and [`DIFFERENTIAL_STEP`] and
/// [`INVARIANTS_STEP`] as Japanese features read them (the step definitions
/// accept both languages).
pub const CLOSING_JA: (&str, &str, &str) = ("ならば ", DIFFERENTIAL_STEP_JA, INVARIANTS_STEP_JA);

/// [`DIFFERENTIAL_STEP`] in Japanese.
pub const DIFFERENTIAL_STEP_JA: &str = "差分実行の両方のテーブルが一致する";

/// [`INVARIANTS_STEP`] in Japanese.
pub const INVARIANTS_STEP_JA: &str = "業務上の不変条件が成り立つ";

/// The flag of a `@differential(flag)` tag on the scenario or its feature.
pub fn differential_flag(
    feature: &gherkin::Feature,
    scenario: &gherkin::Scenario,
) -> Option<String> {
    scenario.tags.iter().chain(&feature.tags).find_map(|tag| {
        tag.strip_prefix("differential(")?
            .strip_suffix(')')
            .map(str::to_string)
    })
}

/// Which scenarios a run takes, on which engines: what the runner and its dry run
/// both select by (`@slow`, `--service`, `--name`, `--tags`, `--rerun`, `--shard`).
#[derive(Clone, Default)]
pub struct Selection {
    /// The engines every feature is copied for.
    pub engines: Vec<Engine>,
    /// Keep `@slow` scenarios (dropped otherwise, unless a rerun names them).
    pub slow: bool,
    /// Only the feature files under these paths (`--service`, or a mutant run's
    /// selection).
    pub only: Option<Vec<String>>,
    /// Only scenarios whose name matches (`--name`).
    pub name: Option<cucumber::codegen::Regex>,
    /// Only scenario copies whose tags (the feature's, the rule's, the scenario's
    /// and the engine's) satisfy this expression (`--tags`).
    pub tags: Option<gherkin::tagexpr::TagOperation>,
    /// Only the scenarios, on the engines, of a rerun file (`--rerun`): its name
    /// as messages show it, and what it lists.
    pub rerun: Option<(String, Rerun)>,
    /// Only this part of the suite, balanced by `timings`.
    pub shard: Option<Shard>,
    /// Scenario times of previous runs (empty: shards balance by count).
    pub timings: Timings,
}

impl Selection {
    /// The feature files a rerun names (relative to `root`), when this is one.
    pub fn rerun_files(&self, root: &Path) -> Option<Vec<PathBuf>> {
        let (_, rerun) = self.rerun.as_ref()?;
        let mut files: Vec<PathBuf> = rerun.entries.iter().map(|e| root.join(&e.path)).collect();
        files.sort();
        files.dedup();
        Some(files)
    }

    /// Whether the copy of `scenario` for `engine` is selected (all but the shard).
    fn picks(
        &self,
        path: &str,
        tags: [&[String]; 3],
        scenario: &gherkin::Scenario,
        engine: Engine,
    ) -> bool {
        if let Some(name) = &self.name
            && !name.is_match(&scenario.name)
        {
            return false;
        }
        if let Some(expression) = &self.tags {
            let engine_tag = [engine.name().to_string()];
            let all = tags[0]
                .iter()
                .chain(&engine_tag)
                .chain(tags[1])
                .chain(tags[2]);
            if !expression.eval(all) {
                return false;
            }
        }
        if let Some((_, rerun)) = &self.rerun {
            return rerun.entries.iter().any(|e| {
                e.path == path
                    && e.line == scenario.position.line
                    && (e.engines.is_empty() || e.engines.iter().any(|n| n == engine.name()))
            });
        }
        true
    }

    /// The copies of `features` this selection runs: each feature once per engine
    /// with the scenarios selected for that engine (the copy's name ends in
    /// `[engine]` and it carries the engine's name as a tag), with their closing
    /// steps; copies left without a scenario are left out. Also the problems: a
    /// rerun line that names no scenario.
    pub fn copies(
        &self,
        root: &Path,
        features: Vec<gherkin::Feature>,
    ) -> (Vec<gherkin::Feature>, Vec<String>) {
        let mut kept = Vec::new();
        for mut feature in features {
            let path = relative_path(root, &feature);
            if self
                .only
                .as_ref()
                .is_some_and(|only| !only.iter().any(|prefix| path.starts_with(prefix.as_str())))
            {
                continue;
            }
            if !self.slow && self.rerun.is_none() {
                drop_slow(&mut feature);
            }
            kept.push((path, feature));
        }
        let no_tags: Vec<String> = Vec::new();
        // Every scenario selected on some engine, for the shards and the rerun check.
        let mut candidates: Vec<(String, Option<u64>)> = Vec::new();
        let mut present = std::collections::BTreeSet::new();
        for (path, feature) in &kept {
            let in_rules = feature
                .rules
                .iter()
                .flat_map(|r| r.scenarios.iter().map(move |s| (&r.tags, s)));
            for (rule_tags, scenario) in feature
                .scenarios
                .iter()
                .map(|s| (&no_tags, s))
                .chain(in_rules)
            {
                present.insert((path.clone(), scenario.position.line));
                let tags = [&feature.tags[..], &rule_tags[..], &scenario.tags[..]];
                if self
                    .engines
                    .iter()
                    .any(|e| self.picks(path, tags, scenario, *e))
                {
                    let key = scenario_key(path, scenario);
                    let time = self.timings.time_of(&key);
                    candidates.push((key, time));
                }
            }
        }
        let mut problems = Vec::new();
        if let Some((file, rerun)) = &self.rerun {
            for e in &rerun.entries {
                if !present.contains(&(e.path.clone(), e.line)) {
                    problems.push(format!(
                        "{file}: {}:{} names no scenario (the feature file changed since the run that wrote it?): run the whole suite, or correct the line",
                        e.path, e.line
                    ));
                }
            }
        }
        let plan = self.shard.map(|shard| ShardPlan::new(shard, &candidates));
        let mut copies = Vec::new();
        let last = self.engines.len().saturating_sub(1);
        for (path, feature) in kept {
            let (name, tags) = (feature.name.clone(), feature.tags.clone());
            // The last engine takes the feature itself: one copy fewer.
            let mut feature = Some(feature);
            for (n, &engine) in self.engines.iter().enumerate() {
                let keep = |rule_tags: &[String], s: &gherkin::Scenario| {
                    self.picks(&path, [&tags[..], rule_tags, &s.tags[..]], s, engine)
                        && plan
                            .as_ref()
                            .is_none_or(|plan| plan.contains(&scenario_key(&path, s)))
                };
                let copy = if n == last {
                    feature.take()
                } else {
                    feature.clone()
                };
                let Some(mut copy) = copy else {
                    break;
                };
                copy.scenarios.retain(|s| keep(&no_tags, s));
                for rule in &mut copy.rules {
                    let rule_tags = rule.tags.clone();
                    rule.scenarios.retain(|s| keep(&rule_tags, s));
                }
                copy.rules.retain(|r| !r.scenarios.is_empty());
                if copy.scenarios.is_empty() && copy.rules.is_empty() {
                    continue;
                }
                copy.name = format!("{name} [{}]", engine.name());
                copy.tags.push(engine.name().to_string());
                add_closing_steps(&mut copy);
                copies.push(copy);
            }
        }
        (copies, problems)
    }
}

/// Feeds the run the features of its [`Selection`], once per engine: the
/// features read and checked before the run started ([`super::inputs`]).
pub struct PerEngine {
    /// The project root (feature paths are shown relative to it).
    pub root: PathBuf,
    /// What the run takes.
    pub selection: Selection,
    /// Every feature the run reads, parsed.
    pub features: Vec<gherkin::Feature>,
    /// Filled with the scenario copies per engine ([`count`]), for the
    /// progress output.
    pub totals: Totals,
}

/// How many scenario copies the run's selection holds per engine: filled when
/// the features are read (see [`PerEngine`]).
pub type Totals = Rc<RefCell<BTreeMap<Engine, usize>>>;

/// The scenario copies of `copies` (features copied per engine), per engine.
pub fn count(copies: &[gherkin::Feature]) -> BTreeMap<Engine, usize> {
    let mut totals = BTreeMap::new();
    for copy in copies {
        if let Some(engine) = engine_of(copy) {
            let scenarios =
                copy.scenarios.len() + copy.rules.iter().map(|r| r.scenarios.len()).sum::<usize>();
            *totals.entry(engine).or_default() += scenarios;
        }
    }
    totals
}

/// In a mutant run (`KENSHO_MUTANT_RUN`, set by `cargo run --bin mutation`), the
/// feature files that exercise the mutated service: `KENSHO_MUTANT_FEATURES`, a
/// comma-separated list of path prefixes relative to the project (`features/ledger/`).
pub fn mutant_run_features() -> Option<Vec<String>> {
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
    type Cli = cucumber::cli::Empty;
    type Output = LocalBoxStream<'static, parser::Result<gherkin::Feature>>;

    fn parse(self, _input: I, _cli: Self::Cli) -> Self::Output {
        let PerEngine {
            root,
            selection,
            features,
            totals,
        } = self;
        let (copies, problems) = selection.copies(&root, features);
        if !problems.is_empty() {
            // Checked before the run started: only a change of the features
            // while it starts gets here.
            eprintln!(
                "kensho: the rerun list does not match the features (nothing ran):\n  {}",
                problems.join("\n  ")
            );
            return stream::iter(problems.into_iter().map(|p| Err(parse_error(p)))).boxed_local();
        }
        *totals.borrow_mut() = count(&copies);
        stream::iter(copies.into_iter().map(Ok)).boxed_local()
    }
}

/// Every feature file under `inputs` (folders or files), read by the strict
/// parser the dry run uses too ([`crate::gherkin`]) and expanded. If any file has
/// a problem, the problems: one entry per file (or input that cannot be read),
/// its problems as `file:line: reason` lines.
pub fn strict_features(
    root: &Path,
    inputs: &[PathBuf],
) -> Result<Vec<gherkin::Feature>, Vec<Vec<String>>> {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .or_else(|_| path.strip_prefix(&canonical_root))
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut files: Result<Vec<PathBuf>, Vec<Vec<String>>> = Ok(Vec::new());
    for input in inputs {
        let found = input
            .canonicalize()
            .and_then(|dir| crate::gherkin::feature_files(&dir))
            .map_err(|e| {
                vec![format!(
                    "{}: the features cannot be read: {e}; give --features a folder or a feature file that exists",
                    shown(input)
                )]
            });
        match (&mut files, found) {
            (Ok(all), Ok(found)) => all.extend(found),
            (Ok(_), Err(e)) => files = Err(vec![e]),
            (Err(errors), Err(e)) => errors.push(e),
            (Err(_), Ok(_)) => {}
        }
    }
    let mut features = Vec::new();
    let mut failed = Vec::new();
    for file in files.as_deref().unwrap_or_default() {
        match crate::gherkin::read_feature(
            file,
            &shown(file),
            &crate::steps::definitions::defined_step,
        ) {
            Ok(feature) => features.push(feature),
            Err(problems) => failed.push(problems),
        }
    }
    failed.extend(files.err().into_iter().flatten());
    if failed.is_empty() {
        return Ok(features);
    }
    Err(failed)
}

/// A parse error of the run whose text is `problems`. (The `gherkin` crate's
/// error types cannot be built outside it but from a failed parse of its own;
/// cucumber shows an error as "Could not parse feature file: " and its path, so
/// the path carries the problems.)
fn parse_error(problems: String) -> parser::Error {
    let source = match gherkin::Feature::parse("", gherkin::GherkinEnv::default()) {
        Err(source) => source,
        Ok(_) => {
            return parser::Error::from(gherkin::ParseFileError::Reading {
                path: PathBuf::from(problems),
                source: std::io::Error::other("does not parse"),
            });
        }
    };
    parser::Error::from(gherkin::ParseFileError::Parsing {
        path: PathBuf::from(problems),
        error: None,
        source,
    })
}

/// A feature's file, relative to the project root.
pub fn relative_path(root: &Path, feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_deref()
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}

/// A scenario's key for shards, timings and rerun lists: `path:line` (not the
/// engine, so every engine's copy of a scenario runs in the same shard; an
/// outline's example row has a line of its own).
pub fn scenario_key(path: &str, scenario: &gherkin::Scenario) -> String {
    format!("{path}:{}", scenario.position.line)
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
    let language = feature
        .path
        .as_deref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|text| file_language(&text).to_string())
        .unwrap_or_default();
    close_scenarios(feature, &language);
}

/// Appends the closing steps in `language` (`ja`, or English).
fn close_scenarios(feature: &mut gherkin::Feature, language: &str) {
    let (keyword, differential_step, invariants_step) = if language == "ja" {
        CLOSING_JA
    } else {
        ("Then ", DIFFERENTIAL_STEP, INVARIANTS_STEP)
    };
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
            check.keyword = keyword.into();
            check.ty = gherkin::StepType::Then;
            check.value = text.into();
            check.docstring = None;
            check.table = None;
            check
        };
        let mut added = Vec::new();
        if differential {
            added.push(closing(differential_step));
        }
        added.push(closing(invariants_step));
        scenario.steps.extend(added);
    }
}

/// The engine a feature copy runs on (written by [`PerEngine`] as the copy's
/// name suffix and tag; read back only here).
pub fn engine_of(feature: &gherkin::Feature) -> Option<Engine> {
    split_engine(&feature.name).1
}

/// A copy's name without its engine suffix, and the engine.
pub fn split_engine(name: &str) -> (&str, Option<Engine>) {
    match name.rsplit_once(" [") {
        Some((base, suffix)) => match suffix.strip_suffix(']').map(Engine::parse) {
            Some(Ok(engine)) => (base, Some(engine)),
            _ => (name, None),
        },
        None => (name, None),
    }
}

/// One scenario on one engine as a test of a libtest-style test target (`cargo
/// test <filter>`, `cargo nextest run`): what [`scenario_tests`] lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioTest {
    /// The test's name: [`test_name`].
    pub name: String,
    /// Its feature file, relative to the project root (as rerun lists name it).
    pub path: String,
    /// The scenario's line (an outline's example row: the row's line).
    pub line: usize,
    /// The scenario's name as written (an outline's placeholders filled in).
    pub scenario: String,
    /// The engine it runs on.
    pub engine: Engine,
    /// Tagged `@slow` (on the scenario, its rule or feature): listed as ignored,
    /// run with `--ignored` or `--include-ignored`, as the runner's `--slow`.
    pub slow: bool,
}

/// The part of a test name a feature file gives: its path below the features
/// folder without `.feature`, each folder a module (`billing/rerun.feature` →
/// `billing::rerun`), each part as [`snake_case`] (a part outside ASCII as it is).
pub fn feature_module(relative: &Path) -> String {
    let without = relative.with_extension("");
    without
        .components()
        .map(|c| {
            let part = c.as_os_str().to_string_lossy();
            snake_case(&part).unwrap_or_else(|| part.into_owned())
        })
        .collect::<Vec<_>>()
        .join("::")
}

/// `text` as a readable ASCII test-name part: ASCII letters lowercased, digits
/// kept, every other run of ASCII characters one `_`, no `_` at either end.
/// `None` when `text` has a character outside ASCII (a Japanese name has no
/// stable ASCII spelling: such a scenario is named by its line, see [`test_name`]).
pub fn snake_case(text: &str) -> Option<String> {
    if !text.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

/// The test name of scenario `name` at `line` of the feature whose module is
/// `module` ([`feature_module`]) on `engine`:
/// `billing::rerun::the_article_s_steps_1_to_5_leave_exactly_the_expected_billing_table::postgres`.
/// The scenario part is the name in [`snake_case`], or `line_<line>` for a name
/// outside ASCII; `clash` (the same part for another scenario of the same file,
/// e.g. an outline whose name has no placeholder) appends `_line_<line>`.
pub fn test_name(module: &str, name: &str, line: usize, clash: bool, engine: Engine) -> String {
    let scenario = match snake_case(name) {
        Some(part) if clash => format!("{part}_line_{line}"),
        Some(part) => part,
        None => format!("line_{line}"),
    };
    format!("{module}::{scenario}::{}", engine.name())
}

/// Every scenario under `features_dir` on every engine of `engines`, as tests
/// named by [`test_name`], in the order of the files, the scenarios and
/// `engines`; `@slow` ones marked. Reads the files as the runner does (strict
/// parse, outlines expanded), touching no database. The problems, as
/// `file:line: reason`: files that do not parse, and two scenarios with one
/// test name.
pub fn scenario_tests(
    root: &Path,
    features_dir: &Path,
    engines: &[Engine],
) -> Result<Vec<ScenarioTest>, Vec<String>> {
    let files = crate::gherkin::feature_files(features_dir).map_err(|e| {
        vec![format!(
            "{}: the features cannot be read: {e}",
            features_dir.display()
        )]
    })?;
    let mut tests = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for file in files {
        let path = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let feature = match crate::gherkin::read_feature(
            &file,
            &path,
            &crate::steps::definitions::defined_step,
        ) {
            Ok(feature) => feature,
            Err(more) => {
                problems.extend(more);
                continue;
            }
        };
        let module = feature_module(file.strip_prefix(features_dir).unwrap_or(&file));
        let slow = |tags: &[String]| tags.iter().any(|t| t == "slow");
        let scenarios: Vec<(&gherkin::Scenario, bool)> = feature
            .scenarios
            .iter()
            .map(|s| (s, slow(&feature.tags) || slow(&s.tags)))
            .chain(feature.rules.iter().flat_map(|r| {
                r.scenarios
                    .iter()
                    .map(|s| (s, slow(&feature.tags) || slow(&r.tags) || slow(&s.tags)))
            }))
            .collect();
        let parts: Vec<Option<String>> =
            scenarios.iter().map(|(s, _)| snake_case(&s.name)).collect();
        for (i, (scenario, slow)) in scenarios.iter().enumerate() {
            let clash = parts[i].is_some()
                && parts
                    .iter()
                    .enumerate()
                    .any(|(j, p)| j != i && *p == parts[i]);
            let line = scenario.position.line;
            for &engine in engines {
                let name = test_name(&module, &scenario.name, line, clash, engine);
                if let Some(first) = seen.insert(name.clone(), format!("{path}:{line}")) {
                    problems.push(format!(
                        "{path}:{line}: the scenario's test name {name} is also that of {first}; rename one of them"
                    ));
                }
                tests.push(ScenarioTest {
                    name,
                    path: path.clone(),
                    line,
                    scenario: scenario.name.clone(),
                    engine,
                    slow: *slow,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(tests)
    } else {
        Err(problems)
    }
}

/// The rerun list that selects exactly `tests` (for [`crate::runner::RunOptions::only`]).
pub fn rerun_of(tests: &[&ScenarioTest]) -> Rerun {
    let failed: Vec<(String, usize, String)> = tests
        .iter()
        .map(|t| (t.path.clone(), t.line, t.engine.name().to_string()))
        .collect();
    Rerun::of_failures(&failed)
}

/// Which tests of a libtest-style target a command line selects, as libtest
/// reads it: `FILTER` (a part of the name; with `--exact` the whole name),
/// `--skip` (the same, to leave out), `--ignored` (only the ignored tests, and
/// run them), `--include-ignored` (run the ignored ones too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestFilter {
    /// The filter (`cargo test FILTER`).
    pub filter: Option<String>,
    /// `--exact`: the filter and the skips are whole names.
    pub exact: bool,
    /// `--skip`, any number of times.
    pub skip: Vec<String>,
    /// `--ignored`: only the ignored tests.
    pub ignored: bool,
    /// `--include-ignored`: the ignored tests run too.
    pub include_ignored: bool,
}

impl TestFilter {
    /// Whether the test `name` (`ignored`: marked ignored) is selected: listed
    /// by `--list`, counted as filtered out otherwise.
    pub fn selects(&self, name: &str, ignored: bool) -> bool {
        let matches = |pattern: &str| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern)
            }
        };
        self.filter.as_deref().is_none_or(matches)
            && !self.skip.iter().any(|s| matches(s))
            && (!self.ignored || ignored)
    }

    /// Whether a selected test marked `ignored` runs (else it counts as ignored).
    pub fn runs(&self, ignored: bool) -> bool {
        !ignored || self.ignored || self.include_ignored
    }

    /// Whether every test that is not ignored runs (no filter, no skip, no
    /// `--ignored`): the whole suite, as `cargo test` without arguments.
    pub fn is_whole_suite(&self) -> bool {
        self.filter.is_none() && self.skip.is_empty() && !self.ignored && !self.include_ignored
    }
}

#[cfg(test)]
mod tests {
    use crate::db::Engine;
    use crate::runner::features::{
        DIFFERENTIAL_STEP_JA, INVARIANTS_STEP, INVARIANTS_STEP_JA, TestFilter, close_scenarios,
        feature_module, file_language, scenario_tests, snake_case, test_name,
    };
    use cucumber::gherkin;
    use std::path::Path;

    fn closing_steps(text: &str) -> Vec<(String, String)> {
        let mut feature = gherkin::Feature::parse(text, gherkin::GherkinEnv::default()).unwrap();
        close_scenarios(&mut feature, file_language(text));
        feature.scenarios[0]
            .steps
            .iter()
            .skip(1)
            .map(|s| (s.keyword.clone(), s.value.clone()))
            .collect()
    }

    #[test]
    fn closing_steps_speak_the_feature_language() {
        let japanese =
            "# language: ja\n@differential(x.y)\n機能: 連結\n  シナリオ: 一\n    前提 何か\n";
        assert_eq!(
            closing_steps(japanese),
            [
                ("ならば ".to_string(), DIFFERENTIAL_STEP_JA.to_string()),
                ("ならば ".to_string(), INVARIANTS_STEP_JA.to_string()),
            ]
        );
        let english = "Feature: billing\n  Scenario: one\n    Given something\n";
        assert_eq!(
            closing_steps(english),
            [("Then ".to_string(), INVARIANTS_STEP.to_string())]
        );
    }

    #[test]
    fn test_names_are_readable_ascii_with_the_engine_last() {
        assert_eq!(
            feature_module(Path::new("billing/rerun.feature")),
            "billing::rerun"
        );
        assert_eq!(
            test_name(
                "billing::rerun",
                "The article's steps 1 to 5 leave exactly the expected billing table",
                12,
                false,
                Engine::Postgres
            ),
            "billing::rerun::the_article_s_steps_1_to_5_leave_exactly_the_expected_billing_table::postgres"
        );
        assert_eq!(
            snake_case("  A memo at 09:00, in Tokyo! "),
            Some("a_memo_at_09_00_in_tokyo".into())
        );
        assert_eq!(snake_case("請求の再実行"), None);
        assert_eq!(snake_case("..."), None);
        assert_eq!(
            test_name("billing::rerun_ja", "記事の手順", 7, false, Engine::Sqlite),
            "billing::rerun_ja::line_7::sqlite"
        );
        assert_eq!(
            test_name("x", "Same name", 30, true, Engine::MariaDb),
            "x::same_name_line_30::mariadb"
        );
    }

    /// Writes `files` (path, text) under a fresh folder and lists their tests.
    fn listed(tag: &str, files: &[(&str, &str)]) -> Result<Vec<(String, bool)>, Vec<String>> {
        let root = std::env::temp_dir().join(format!("kensho-names-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let file = root.join("features").join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let result = scenario_tests(
            &root,
            &root.join("features"),
            &[Engine::Sqlite, Engine::Postgres],
        );
        let _ = std::fs::remove_dir_all(&root);
        result.map(|tests| tests.into_iter().map(|t| (t.name, t.slow)).collect())
    }

    #[test]
    fn outline_rows_clashes_and_slow_scenarios_get_their_own_names() {
        let text = "Feature: f\n\n  Scenario Outline: Adds <n>\n    Given the clock is at \"2024-01-01T00:00:00Z\"\n\n    Examples:\n      | n |\n      | 1 |\n      | 2 |\n\n  Scenario Outline: Twice\n    Given the clock is at \"2024-01-01T00:00:00Z\"\n\n    Examples:\n      | n |\n      | 1 |\n      | 2 |\n\n  @slow\n  Scenario: Big\n    Given the clock is at \"2024-01-01T00:00:00Z\"\n";
        let names = listed("outline", &[("a/b.feature", text)]).unwrap();
        let shown: Vec<(&str, bool)> = names.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        assert_eq!(
            shown,
            [
                ("a::b::adds_1::sqlite", false),
                ("a::b::adds_1::postgres", false),
                ("a::b::adds_2::sqlite", false),
                ("a::b::adds_2::postgres", false),
                ("a::b::twice_line_16::sqlite", false),
                ("a::b::twice_line_16::postgres", false),
                ("a::b::twice_line_17::sqlite", false),
                ("a::b::twice_line_17::postgres", false),
                ("a::b::big::sqlite", true),
                ("a::b::big::postgres", true),
            ]
        );
    }

    #[test]
    fn two_scenarios_with_one_name_in_a_file_are_told_apart_and_across_files_refused() {
        // `a_b.feature` and `a/b.feature`'s modules differ (`a_b`, `a::b`); a file
        // `x.feature` beside a folder `x/` whose `y.feature` has scenario "..."
        // cannot clash. Two files whose names snake-case alike do.
        let one =
            "Feature: f\n  Scenario: Same\n    Given the clock is at \"2024-01-01T00:00:00Z\"\n";
        let problems = listed("clash", &[("a b.feature", one), ("a-b.feature", one)]).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("the scenario's test name a_b::same::sqlite is also that of"),
            "{problems:?}"
        );
    }

    #[test]
    fn test_filters_read_as_libtest_reads_them() {
        let names = [
            ("billing::rerun::a::sqlite", false),
            ("billing::rerun::a::postgres", false),
            ("billing::rerun::big::sqlite", true),
            ("checks::catalogue_is_current", false),
        ];
        let picked = |f: &TestFilter| -> Vec<(&str, bool)> {
            names
                .iter()
                .filter(|(n, i)| f.selects(n, *i))
                .map(|(n, i)| (*n, f.runs(*i)))
                .collect()
        };
        let all = TestFilter::default();
        assert!(all.is_whole_suite());
        assert_eq!(
            picked(&all),
            [
                ("billing::rerun::a::sqlite", true),
                ("billing::rerun::a::postgres", true),
                ("billing::rerun::big::sqlite", false),
                ("checks::catalogue_is_current", true),
            ]
        );
        let rerun = TestFilter {
            filter: Some("rerun".into()),
            skip: vec!["postgres".into()],
            ..TestFilter::default()
        };
        assert!(!rerun.is_whole_suite());
        assert_eq!(
            picked(&rerun),
            [
                ("billing::rerun::a::sqlite", true),
                ("billing::rerun::big::sqlite", false)
            ]
        );
        let exact = TestFilter {
            filter: Some("billing::rerun::a::sqlite".into()),
            exact: true,
            ..TestFilter::default()
        };
        assert_eq!(picked(&exact), [("billing::rerun::a::sqlite", true)]);
        let part = TestFilter {
            filter: Some("billing::rerun::a".into()),
            exact: true,
            ..TestFilter::default()
        };
        assert_eq!(picked(&part), []);
        let ignored = TestFilter {
            ignored: true,
            ..TestFilter::default()
        };
        assert_eq!(picked(&ignored), [("billing::rerun::big::sqlite", true)]);
        let included = TestFilter {
            filter: Some("big".into()),
            include_ignored: true,
            ..TestFilter::default()
        };
        assert_eq!(picked(&included), [("billing::rerun::big::sqlite", true)]);
    }
}
