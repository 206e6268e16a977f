//! Which scenarios a run takes, on which engines: the selection by `@slow`,
//! `--service`, `--name`, `--tags`, `--rerun` and `--shard` ([`Selection`]),
//! which the runner, its dry run and its catalogue share; the per-engine copies
//! of the features it makes ([`copies`]); and the scenarios as named tests
//! ([`test_names`]). It sits below the runner, the generic steps and the
//! reports, which all read it.

pub mod copies;
pub mod test_names;

use std::path::{Path, PathBuf};

use cucumber::gherkin;
use cucumber::tag::Ext as _;

use crate::authoring::{Rerun, Shard, ShardPlan, Timings};
use crate::db::Engine;
use copies::add_closing_steps;

pub use copies::{
    CLOSING_JA, DIFFERENTIAL_STEP, DIFFERENTIAL_STEP_JA, INVARIANTS_STEP, INVARIANTS_STEP_JA,
    differential_flag, engine_of, file_language, split_engine,
};
pub use test_names::{
    ScenarioTest, TestFilter, feature_module, rerun_of, scenario_tests, snake_case, test_name,
};

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
