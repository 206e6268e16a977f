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
        for (path, feature) in kept {
            for &engine in &self.engines {
                let keep = |rule_tags: &[String], s: &gherkin::Scenario| {
                    self.picks(
                        &path,
                        [&feature.tags[..], rule_tags, &s.tags[..]],
                        s,
                        engine,
                    ) && plan
                        .as_ref()
                        .is_none_or(|plan| plan.contains(&scenario_key(&path, s)))
                };
                let mut copy = feature.clone();
                copy.scenarios.retain(|s| keep(&no_tags, s));
                for rule in &mut copy.rules {
                    let rule_tags = rule.tags.clone();
                    rule.scenarios.retain(|s| keep(&rule_tags, s));
                }
                copy.rules.retain(|r| !r.scenarios.is_empty());
                if copy.scenarios.is_empty() && copy.rules.is_empty() {
                    continue;
                }
                copy.name = format!("{} [{}]", feature.name, engine.name());
                copy.tags.push(engine.name().to_string());
                add_closing_steps(&mut copy);
                copies.push(copy);
            }
        }
        (copies, problems)
    }
}

/// Feeds the run the features of its [`Selection`], once per engine.
pub struct PerEngine {
    /// The project root (feature paths are shown relative to it).
    pub root: PathBuf,
    /// What the run takes.
    pub selection: Selection,
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

    fn parse(self, input: I, _cli: Self::Cli) -> Self::Output {
        let PerEngine {
            root,
            selection,
            totals,
        } = self;
        // A rerun reads the feature files it names.
        let inputs = selection
            .rerun_files(&root)
            .unwrap_or_else(|| vec![input.as_ref().to_path_buf()]);
        let features = match strict_features(&root, &inputs) {
            Ok(features) => features,
            Err(errors) => return stream::iter(errors.into_iter().map(Err)).boxed_local(),
        };
        let (copies, problems) = selection.copies(&root, features);
        if !problems.is_empty() {
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
/// a problem nothing runs: every problem is printed to stderr as `file:line:
/// reason`, and each such file becomes one parse error of the run (its text: the
/// file's problems).
fn strict_features(
    root: &Path,
    inputs: &[PathBuf],
) -> Result<Vec<gherkin::Feature>, Vec<parser::Error>> {
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
                    "{}: the features cannot be read: {e}",
                    input.display()
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
    eprintln!(
        "kensho: the feature files do not parse (nothing ran):\n  {}",
        failed.concat().join("\n  ")
    );
    Err(failed
        .into_iter()
        .map(|problems| parse_error(problems.join("\n  ")))
        .collect())
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

#[cfg(test)]
mod tests {
    use crate::runner::features::{
        DIFFERENTIAL_STEP_JA, INVARIANTS_STEP, INVARIANTS_STEP_JA, close_scenarios, file_language,
    };
    use cucumber::gherkin;

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
}
