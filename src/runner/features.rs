//! The features a run takes: every feature copied once per engine, `@slow` and
//! shard selection, and the closing steps the runner appends.

use std::path::{Path, PathBuf};

use cucumber::gherkin;
use cucumber::parser::{self, Parser};
use futures::stream::{self, LocalBoxStream, StreamExt};

use crate::authoring::Shard;
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

/// Feeds every feature once per engine: the copy's name ends in `[engine]` and it
/// carries the engine's name as a tag (so `--tags @postgres` selects one engine).
pub struct PerEngine {
    /// The project root (feature paths are shown relative to it).
    pub root: PathBuf,
    /// The engines every feature is copied for.
    pub engines: Vec<Engine>,
    /// Keep `@slow` scenarios (dropped otherwise).
    pub slow: bool,
    /// Only this part of the suite.
    pub shard: Option<Shard>,
    /// Only the feature files under these paths (`--service`, or a mutant run's
    /// selection).
    pub only: Option<Vec<String>>,
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
        let (root, engines, slow, shard, only) =
            (self.root, self.engines, self.slow, self.shard, self.only);
        let features = match strict_features(&root, input.as_ref()) {
            Ok(features) => features,
            Err(errors) => return stream::iter(errors.into_iter().map(Err)).boxed_local(),
        };
        stream::iter(features)
            .flat_map(move |mut feature| {
                let path = relative_path(&root, &feature);
                let copies: Vec<_> = if only.as_ref().is_some_and(|only| {
                    !only.iter().any(|prefix| path.starts_with(prefix.as_str()))
                }) {
                    Vec::new()
                } else {
                    prepare(&root, &mut feature, slow, shard);
                    engines
                        .iter()
                        .map(|engine| {
                            let mut copy = feature.clone();
                            copy.name = format!("{} [{}]", feature.name, engine.name());
                            copy.tags.push(engine.name().to_string());
                            Ok(copy)
                        })
                        .collect()
                };
                stream::iter(copies)
            })
            .boxed_local()
    }
}

/// Every feature file under `input` (a folder or one file), read by the strict
/// parser the dry run uses too ([`crate::gherkin`]) and expanded. If any file has
/// a problem nothing runs: every problem is printed to stderr as `file:line:
/// reason`, and each such file becomes one parse error of the run (its text: the
/// file's problems).
fn strict_features(root: &Path, input: &Path) -> Result<Vec<gherkin::Feature>, Vec<parser::Error>> {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .or_else(|_| path.strip_prefix(&canonical_root))
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let files = input
        .canonicalize()
        .and_then(|dir| crate::gherkin::feature_files(&dir))
        .map_err(|e| {
            vec![vec![format!(
                "{}: the features cannot be read: {e}",
                input.display()
            )]]
        });
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

/// The scenarios of `feature` this run takes, with their closing steps: `@slow`
/// ones only if `slow`, only those of `shard` if given.
pub fn prepare(root: &Path, feature: &mut gherkin::Feature, slow: bool, shard: Option<Shard>) {
    if !slow {
        drop_slow(feature);
    }
    if let Some(shard) = shard {
        let path = relative_path(root, feature);
        let keep = |s: &gherkin::Scenario| shard.contains(&scenario_key(&path, s));
        feature.scenarios.retain(keep);
        for rule in &mut feature.rules {
            rule.scenarios.retain(keep);
        }
    }
    add_closing_steps(feature);
}

/// A feature's file, relative to the project root.
pub fn relative_path(root: &Path, feature: &gherkin::Feature) -> String {
    feature
        .path
        .as_deref()
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}

/// What decides a scenario's shard: its file, line and name (not the engine, so
/// every engine's copy of a scenario runs in the same shard).
pub fn scenario_key(path: &str, scenario: &gherkin::Scenario) -> String {
    format!("{path}:{}\u{0}{}", scenario.position.line, scenario.name)
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
