//! Every scenario on every engine as a test of a libtest-style target (`cargo
//! test <filter>`, `cargo nextest run`): the tests' names ([`test_name`]), the
//! list of them ([`scenario_tests`]) and which a command line selects
//! ([`TestFilter`]).

use std::path::Path;

use cucumber::gherkin;

use crate::authoring::Rerun;
use crate::db::Engine;

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
        let feature =
            match crate::gherkin::read_feature(&file, &path, &crate::definitions::defined_step) {
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

/// The rerun list that selects exactly `tests` (for the runner's `RunOptions::only`).
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
    use super::{TestFilter, feature_module, scenario_tests, snake_case, test_name};
    use crate::db::Engine;
    use std::path::Path;

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
