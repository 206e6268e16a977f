//! Authoring aids: the dry run (every feature parsed, every step matched, no
//! database touched) and the step catalogue (every step pattern with an example,
//! generated from the step definitions and the features).

/// This file, as step locations name it.
pub const FILE: &str = file!();

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::authoring::{Shard, closest, snippet};
use crate::selection::{Selection, relative_path};
use crate::service::Suite;
use crate::world::ScenarioWorld;
use anyhow::{Context, Result};
use cucumber::World as _;
use cucumber::codegen::{StepConstructor, WorldInventory, inventory};

/// An exact decimal or amount as a step writes it (`80000`, `80,000`, `1234.50`,
/// `-0.5`): the `{decimal}` parameter of cucumber expressions, which the step
/// definitions suggested for undefined steps use ([`crate::authoring::snippet`]).
/// Read by the strict amount reader, never through a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "decimal", regex = r"-?[0-9][0-9,]*(?:\.[0-9]+)?")]
pub struct Decimal(pub kensho_shared::money::Amount);

impl std::str::FromStr for Decimal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        kensho_shared::money::parse_amount(s)
            .map(Decimal)
            .map_err(|e| e.to_string())
    }
}

/// A step definition: its keyword, regular expression and where it is defined.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StepPattern {
    pub file: String,
    pub line: u32,
    pub kind: &'static str,
    pub regex: String,
}

/// Every step definition, by file and line.
pub fn step_patterns() -> Vec<StepPattern> {
    let mut out = Vec::new();
    macro_rules! collect {
        ($kind:literal, $ty:ty) => {
            for step in inventory::iter::<$ty> {
                let (loc, regex, _) = step.inner();
                out.push(StepPattern {
                    file: loc.path.to_string(),
                    line: loc.line,
                    kind: $kind,
                    regex: regex().as_str().to_string(),
                });
            }
        };
    }
    collect!("Given", <ScenarioWorld as WorldInventory>::Given);
    collect!("When", <ScenarioWorld as WorldInventory>::When);
    collect!("Then", <ScenarioWorld as WorldInventory>::Then);
    out.sort();
    out
}

/// What a dry run found.
#[derive(Debug, Default)]
pub struct DryRun {
    pub files: usize,
    /// `path:line name` of every scenario selected.
    pub scenarios: Vec<String>,
    pub steps: usize,
    /// Undefined and ambiguous steps, and files that do not parse.
    pub problems: Vec<String>,
    /// The undefined steps among `problems` (each with a step definition to paste).
    pub undefined: Vec<String>,
    /// The first use of each step definition (by `file:line`): step text and where.
    pub examples: BTreeMap<(String, u32), (String, String)>,
    /// The first proof that each assertion (`Then`) step can fail, by the step
    /// definition's `file:line`: `path:line scenario name` of the proof step
    /// (see [`super::proof`]).
    pub proofs: BTreeMap<(String, u32), String>,
}

impl fmt::Display for DryRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kensho dry run: {} feature files, {} scenarios, {} steps; {} step definitions, {} used",
            self.files,
            self.scenarios.len(),
            self.steps,
            step_patterns().len(),
            self.examples.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        if self.problems.is_empty() {
            writeln!(f, "  every step is defined, none is ambiguous")?;
        }
        Ok(())
    }
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            feature_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

/// A path as messages show it: relative to the project when inside it.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every unknown or malformed tag in the feature files under `dir` (a folder or
/// one file), as `file:line: problem`.
pub fn tag_problems(suite: &Suite, dir: &Path) -> Result<Vec<String>> {
    let flags: Vec<&str> = suite.flags().iter().map(|f| f.name).collect();
    let mut files = Vec::new();
    feature_files(dir, &mut files)?;
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let text = crate::gherkin::limits::read_limited(file, &shown(suite.root(), file))
            .map_err(anyhow::Error::msg)?;
        problems.extend(crate::authoring::tag_problems(
            &shown(suite.root(), file),
            &text,
            &flags,
        ));
    }
    Ok(problems)
}

/// Parses every feature under `dir` (a folder or one file), checks its tags, and
/// matches every step of the selected scenarios (as the runner would select
/// them: `@slow` unless `slow`, only `shard` if given) against the step
/// definitions.
pub fn dry_run(suite: &Suite, dir: &Path, slow: bool, shard: Option<Shard>) -> Result<DryRun> {
    let selection = Selection {
        engines: vec![crate::db::Engine::Sqlite],
        slow,
        shard,
        ..Selection::default()
    };
    dry_run_selected(suite, dir, &selection)
}

/// The dry run of the scenarios `selection` takes from the features under `dir`
/// (or, for a rerun, from the files it names): every step matched, undefined ones
/// with the closest known steps and a step definition to paste.
pub fn dry_run_selected(suite: &Suite, dir: &Path, selection: &Selection) -> Result<DryRun> {
    let flags: Vec<&str> = suite.flags().iter().map(|f| f.name).collect();
    let root = suite.root();
    let files = match selection.rerun_files(root) {
        Some(files) => files,
        None => {
            let mut files = Vec::new();
            feature_files(dir, &mut files)?;
            files.sort();
            files
        }
    };
    let collection = ScenarioWorld::collection();
    let patterns = step_patterns();
    let mut dry = DryRun {
        files: files.len(),
        ..DryRun::default()
    };
    let mut known_texts: Vec<String> = Vec::new();
    let mut undefined: Vec<(String, String, &'static str, String)> = Vec::new();
    let mut features = Vec::new();
    for file in &files {
        let text = crate::gherkin::limits::read_limited(file, &shown(root, file))
            .map_err(anyhow::Error::msg)?;
        let tags = crate::authoring::tag_problems(&shown(root, file), &text, &flags);
        if !tags.is_empty() {
            // A malformed tag is the first thing to fix; Gherkin's own error for it
            // (a lone '@' is "unknown keyword" on the next line) would mislead.
            dry.problems.extend(tags);
            continue;
        }
        // The runner's strict parse (crate::gherkin): the same problems, the same
        // scenarios.
        match crate::gherkin::read_feature(
            file,
            &shown(root, file),
            &crate::definitions::defined_step,
        ) {
            Ok(feature) => features.push(feature),
            Err(problems) => dry.problems.extend(problems),
        }
    }
    let (copies, problems) = selection.copies(root, features);
    dry.problems.extend(problems);
    // Each scenario once, whatever the engines it was selected for.
    let mut seen = std::collections::BTreeSet::new();
    for feature in &copies {
        let path = relative_path(root, feature);
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            if !seen.insert((path.clone(), scenario.position.line)) {
                continue;
            }
            dry.scenarios.push(format!(
                "{path}:{} {}",
                scenario.position.line, scenario.name
            ));
            let background = feature.background.iter().flat_map(|b| b.steps.iter());
            for step in background.chain(&scenario.steps) {
                dry.steps += 1;
                let at = format!("{path}:{}", step.position.line);
                let text = format!("{} {}", step.keyword.trim(), step.value);
                match collection.find(step) {
                    Ok(Some((_, _, Some(loc), _))) => {
                        known_texts.push(step.value.clone());
                        match super::proof::proven_definition(&collection, step) {
                            Some(Ok(proven)) => {
                                dry.proofs
                                    .entry((proven.path.to_string(), proven.line))
                                    .or_insert_with(|| format!("{at} {}", scenario.name));
                            }
                            Some(Err(problem)) => dry.problems.push(format!("{at}: {problem}")),
                            None => {}
                        }
                        dry.examples
                            .entry((loc.path.to_string(), loc.line))
                            .or_insert((text, at));
                    }
                    Ok(Some((_, _, None, _))) => known_texts.push(step.value.clone()),
                    Ok(None) => {
                        let kind = match step.ty {
                            cucumber::gherkin::StepType::Given => "Given",
                            cucumber::gherkin::StepType::When => "When",
                            cucumber::gherkin::StepType::Then => "Then",
                        };
                        undefined.push((at, text, kind, step.value.clone()));
                    }
                    Err(e) => dry.problems.push(format!(
                        "{at}: ambiguous step {text:?}: it matches {}",
                        crate::definitions::ambiguous_matches(&e)
                    )),
                }
            }
        }
    }
    known_texts.sort();
    known_texts.dedup();
    let mut candidates: Vec<&str> = known_texts.iter().map(String::as_str).collect();
    let sources: Vec<String> = patterns
        .iter()
        .map(|p| {
            p.regex
                .trim_start_matches('^')
                .trim_end_matches('$')
                .to_string()
        })
        .collect();
    candidates.extend(sources.iter().map(String::as_str));
    for (at, text, kind, value) in undefined {
        let near = closest(&value, &candidates, 3);
        let paste: String = snippet(kind, &value)
            .lines()
            .map(|line| format!("\n      {line}"))
            .collect();
        let problem = format!(
            "{at}: undefined step {text:?}; closest known: {}; or define it (paste, then write its body):{paste}",
            near.iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        dry.undefined.push(problem.clone());
        dry.problems.push(problem);
    }
    Ok(dry)
}

/// The assertion (`Then`) step definitions that no proof scenario shows able to
/// fail (`Then the step "..." fails`, see [`super::proof`]).
pub fn unproven(dry: &DryRun) -> Vec<StepPattern> {
    step_patterns()
        .into_iter()
        .filter(|p| p.kind == "Then" && !dry.proofs.contains_key(&(p.file.clone(), p.line)))
        .collect()
}

/// The step catalogue as Markdown: every step definition, grouped by file, with
/// its pattern and an example from the features (or a note that none uses it),
/// and under each assertion (`Then`) step the scenario that proves it can fail.
pub fn catalogue(suite: &Suite, dir: &Path) -> Result<String> {
    let selection = Selection {
        engines: vec![crate::db::Engine::Sqlite],
        slow: true,
        ..Selection::default()
    };
    catalogue_selected(suite, dir, &selection)
}

/// The step catalogue with its examples and proofs taken from the scenarios
/// `selection` takes (`--catalogue --tags ...`); [`catalogue`] takes them all.
pub fn catalogue_selected(suite: &Suite, dir: &Path, selection: &Selection) -> Result<String> {
    let dry = dry_run_selected(suite, dir, selection)?;
    let patterns = step_patterns();
    let mut out = String::from(
        "# Step catalogue\n\n\
         Generated from the step definitions and the features by\n\
         `cargo run -- --catalogue > docs/steps.md`; `cargo test` fails when this\n\
         file is out of date. Each step: its keyword and pattern (a regular\n\
         expression), then an example from the features. Under each assertion\n\
         (Then) step, the proof scenario that runs it on a state where it must\n\
         fail (`Then the step \"...\" fails`); `cargo test` fails while one has none.\n",
    );
    let mut current = String::new();
    for p in &patterns {
        if p.file != current {
            current = p.file.clone();
            let owner = match suite
                .services()
                .iter()
                .find(|s| s.steps.contains(&current.as_str()))
            {
                Some(s) => format!("service {}: {}", s.name, s.about),
                None if crate::steps::FILES.contains(&current.as_str()) => {
                    "the harness's generic steps".to_string()
                }
                None => "steps of this suite shared by its services".to_string(),
            };
            out.push_str(&format!("\n## {current} ({owner})\n\n"));
        }
        out.push_str(&format!("- **{}** `{}`\n", p.kind, p.regex));
        match dry.examples.get(&(p.file.clone(), p.line)) {
            Some((text, at)) => {
                let at = at.rsplit_once(':').map_or(at.as_str(), |(file, _)| file);
                out.push_str(&format!("  - e.g. `{text}` ({at})\n"));
            }
            None => out.push_str("  - no feature uses it yet\n"),
        }
        if p.kind == "Then" {
            match dry.proofs.get(&(p.file.clone(), p.line)) {
                Some(proof) => out.push_str(&format!("  - proven by: {proof}\n")),
                None => out.push_str("  - NOT PROVEN able to fail\n"),
            }
        }
    }
    let assertions = patterns.iter().filter(|p| p.kind == "Then").count();
    out.push_str(&format!(
        "\n{} step definitions; {} used by the features; {} of {assertions} assertion steps proven able to fail.\n",
        patterns.len(),
        dry.examples.len(),
        assertions - unproven(&dry).len()
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authoring::{Rerun, Timings};
    use crate::db::Engine;

    /// The scenarios the dry run selects from fixtures/runner/rerun_mixed.feature
    /// (8 passes @smoke; 16 fails; the outline @JIRA-123, rows 35 and 36).
    fn selected(selection: Selection) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let suite = Suite::new(root);
        let dry = dry_run_selected(
            &suite,
            &root.join("fixtures/runner/rerun_mixed.feature"),
            &selection,
        )
        .unwrap();
        assert_eq!(dry.problems, Vec::<String>::new());
        dry.scenarios
            .iter()
            .map(|s| {
                s.split(' ')
                    .next()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_dry_run_selects_as_the_run_does() {
        let sqlite = || Selection {
            engines: vec![Engine::Sqlite],
            ..Selection::default()
        };
        assert_eq!(selected(sqlite()), ["8", "16", "35", "36"]);
        let tags = |expression: &str| Selection {
            tags: Some(expression.parse().unwrap()),
            ..sqlite()
        };
        assert_eq!(selected(tags("@smoke")), ["8"]);
        assert_eq!(selected(tags("not @JIRA-123 and @sqlite")), ["8", "16"]);
        assert!(selected(tags("@postgres")).is_empty());
        // --name and --tags both apply.
        let name = cucumber::codegen::Regex::new("^Row").unwrap();
        assert_eq!(
            selected(Selection {
                name: Some(name.clone()),
                ..sqlite()
            }),
            ["35", "36"]
        );
        assert_eq!(
            selected(Selection {
                name: Some(name),
                ..tags("@smoke")
            }),
            Vec::<String>::new()
        );
        // Two shards: disjoint, the whole; by time, the long scenario alone.
        let shard = |index, timings: &Timings| Selection {
            shard: Some(Shard { index, total: 2 }),
            timings: timings.clone(),
            ..sqlite()
        };
        let untimed = Timings::default();
        let (one, two) = (selected(shard(1, &untimed)), selected(shard(2, &untimed)));
        assert_eq!((one.len(), two.len()), (2, 2), "{one:?} {two:?}");
        let mut timings = Timings::default();
        let path = "fixtures/runner/rerun_mixed.feature";
        for (line, ms) in [(8, 100), (16, 120), (35, 900), (36, 110)] {
            timings.record(format!("{path}:{line}"), "sqlite", ms);
        }
        assert_eq!(selected(shard(1, &timings)), ["35"]);
        assert_eq!(selected(shard(2, &timings)), ["8", "16", "36"]);
        // A rerun: exactly its lines, on its engines.
        let rerun = Rerun::parse(
            "r.txt",
            &format!("{path}:16 @sqlite\n{path}:36 @postgres\n"),
        )
        .unwrap();
        let rerun_on = |engines: Vec<Engine>| Selection {
            engines,
            rerun: Some(("r.txt".into(), rerun.clone())),
            ..Selection::default()
        };
        assert_eq!(selected(rerun_on(vec![Engine::Sqlite])), ["16"]);
        assert_eq!(
            selected(rerun_on(vec![Engine::Sqlite, Engine::Postgres])),
            ["16", "36"]
        );
    }

    #[test]
    fn an_undefined_step_comes_with_a_definition_that_matches_it() {
        let text = "the accountant closes \"March\" with 3 entries of 80,000.50";
        let pasted = crate::authoring::snippet("When", text);
        let expression = pasted
            .split_once("expr = \"")
            .and_then(|(_, rest)| rest.split_once("\")]"))
            .map(|(e, _)| e.replace("\\\\", "\\"))
            .unwrap();
        let decimal = <Decimal as cucumber::codegen::Parameter>::REGEX;
        let parameters = std::collections::HashMap::from([("decimal", decimal)]);
        let regex =
            cucumber::codegen::Expression::regex_with_parameters(expression.as_str(), &parameters)
                .unwrap();
        let captures = regex
            .captures(text)
            .expect("the expression matches its step");
        // {string}: the text between double quotes (group 1) or single (2).
        assert_eq!(&captures[1], "March");
        assert_eq!(&captures[3], "3");
        let amount: Decimal = captures[4].parse().unwrap();
        assert_eq!(amount.0.to_string(), "80000.50");
    }

    #[test]
    fn every_then_step_without_a_proof_is_unproven() {
        let then_steps: Vec<_> = step_patterns()
            .into_iter()
            .filter(|p| p.kind == "Then")
            .collect();
        assert!(!then_steps.is_empty());
        let mut dry = DryRun::default();
        assert_eq!(unproven(&dry), then_steps);
        for p in &then_steps[1..] {
            dry.proofs
                .insert((p.file.clone(), p.line), "f.feature:1 s".into());
        }
        assert_eq!(unproven(&dry), then_steps[..1].to_vec());
        let first = &then_steps[0];
        dry.proofs
            .insert((first.file.clone(), first.line), "f.feature:2 s".into());
        assert!(unproven(&dry).is_empty());
    }
}
