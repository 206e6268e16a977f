//! Authoring aids: the dry run (every feature parsed, every step matched, no
//! database touched) and the step catalogue (every step pattern with an example,
//! generated from the step definitions and the features).

/// This file, as step locations name it.
pub const FILE: &str = file!();

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::authoring::{Shard, closest};
use crate::runner::features::{prepare, relative_path};
use crate::service::Suite;
use crate::world::ScenarioWorld;
use anyhow::{Context, Result};
use cucumber::World as _;
use cucumber::codegen::{StepConstructor, WorldInventory, inventory};

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
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
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
/// them) against the step definitions.
pub fn dry_run(suite: &Suite, dir: &Path, slow: bool, shard: Option<Shard>) -> Result<DryRun> {
    let flags: Vec<&str> = suite.flags().iter().map(|f| f.name).collect();
    let root = suite.root();
    let mut files = Vec::new();
    feature_files(dir, &mut files)?;
    files.sort();
    let collection = ScenarioWorld::collection();
    let patterns = step_patterns();
    let mut dry = DryRun {
        files: files.len(),
        ..DryRun::default()
    };
    let mut known_texts: Vec<String> = Vec::new();
    let mut undefined: Vec<(String, String)> = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let tags = crate::authoring::tag_problems(&shown(root, file), &text, &flags);
        if !tags.is_empty() {
            // A malformed tag is the first thing to fix; Gherkin's own error for it
            // (a lone '@' is "unknown keyword" on the next line) would mislead.
            dry.problems.extend(tags);
            continue;
        }
        // The runner's strict parse (crate::gherkin): the same problems, the same
        // scenarios.
        let mut feature = match crate::gherkin::read_feature(
            file,
            &shown(root, file),
            &super::definitions::defined_step,
        ) {
            Ok(feature) => feature,
            Err(problems) => {
                dry.problems.extend(problems);
                continue;
            }
        };
        prepare(root, &mut feature, slow, shard);
        let path = relative_path(root, &feature);
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
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
                    Ok(None) => undefined.push((at, text)),
                    Err(e) => dry.problems.push(format!(
                        "{at}: ambiguous step {text:?}: it matches {}",
                        super::definitions::ambiguous_matches(&e)
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
    for (at, text) in undefined {
        let value = text.split_once(' ').map_or(text.as_str(), |(_, v)| v);
        let near = closest(value, &candidates, 3);
        dry.problems.push(format!(
            "{at}: undefined step {text:?}; closest known: {}",
            near.iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
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
    let dry = dry_run(suite, dir, true, None)?;
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
