//! Tests of the strict parser: every English and Japanese keyword of the official
//! list, the same features as the `gherkin` crate for every file the suite has,
//! errors with line and reason, and a benchmark against the crate.

use std::path::Path;

use cucumber::gherkin::{Feature, GherkinEnv, StepType};

use super::languages::{self, Dialect, Title};
use super::{Problem, parse};

/// No step definitions.
fn none(_: &str) -> Option<StepType> {
    None
}

/// One step definition, `Given the billing period is (\S+)`, and its Japanese twin.
fn invoicing(text: &str) -> Option<StepType> {
    let defined = |prefix: &str, suffix: &str| {
        text.strip_prefix(prefix)
            .and_then(|t| t.strip_suffix(suffix))
            .is_some_and(|period| !period.is_empty() && !period.contains(char::is_whitespace))
    };
    (defined("the invoice period is ", "") || defined("請求年月は", "である"))
        .then_some(StepType::Given)
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text, &invoicing) {
        Ok(feature) => panic!("expected problems, parsed {feature:#?}"),
        Err(problems) => problems,
    }
}

fn messages(text: &str) -> Vec<String> {
    problems(text)
        .into_iter()
        .map(|p| format!("{}: {}", p.line, p.message))
        .collect()
}

fn ok(text: &str) -> Feature {
    parse(text, &invoicing).unwrap_or_else(|p| panic!("{text}\ndoes not parse: {p:#?}"))
}

fn dialect(code: &str) -> &'static Dialect {
    languages::dialect(code).unwrap_or_else(|| panic!("no language {code}"))
}

/// The first keyword of a list that is not `*`.
fn first(list: &[String]) -> &str {
    list.iter()
        .map(String::as_str)
        .find(|k| k.trim() != "*")
        .unwrap_or_else(|| panic!("no keyword in {list:?}"))
}

/// A feature in `code` with one scenario of one step, every keyword the first of
/// its list unless `with` says otherwise.
fn feature_text(code: &str, with: &dyn Fn(&str) -> Option<String>) -> String {
    let d = dialect(code);
    let pick = |role: &str, list: &[String]| with(role).unwrap_or_else(|| first(list).to_string());
    format!(
        "# language: {code}\n{}: F\n  {}: B\n    {}b\n  {}: S\n    {}x\n    {}y\n  {}: O\n    {}<a>\n    {}:\n      | a |\n      | 1 |\n  {}: R\n    {}: RS\n      {}r\n",
        pick("feature", &d.feature),
        pick("background", &d.background),
        pick("background step", &d.given),
        pick("scenario", &d.scenario),
        pick("given", &d.given),
        pick("second step", &d.when),
        pick("outline", &d.scenario_outline),
        pick("outline step", &d.given),
        pick("examples", &d.examples),
        pick("rule", &d.rule),
        pick("rule scenario", &d.scenario),
        pick("rule step", &d.then),
    )
}

/// Every title keyword of English and Japanese opens its part, kept as written.
#[test]
fn every_title_keyword_of_english_and_japanese() {
    let mut tried = 0;
    for code in ["en", "ja"] {
        let d = dialect(code);
        for kind in Title::ALL {
            for keyword in d.titles(kind) {
                let role = match kind {
                    Title::Feature => "feature",
                    Title::Background => "background",
                    Title::Rule => "rule",
                    Title::Scenario => "scenario",
                    Title::ScenarioOutline => "outline",
                    Title::Examples => "examples",
                };
                let text = feature_text(code, &|r| (r == role).then(|| keyword.clone()));
                let f = ok(&text);
                let written = match kind {
                    Title::Feature => f.keyword.clone(),
                    Title::Background => f
                        .background
                        .as_ref()
                        .map(|b| b.keyword.clone())
                        .unwrap_or_default(),
                    Title::Rule => f.rules[0].keyword.clone(),
                    Title::Scenario => f.scenarios[0].keyword.clone(),
                    Title::ScenarioOutline => f.scenarios[1].keyword.clone(),
                    Title::Examples => f.scenarios[1].examples[0].keyword.clone(),
                };
                assert_eq!(&written, keyword, "{code} {kind:?}\n{text}");
                assert_eq!(
                    (f.scenarios.len(), f.rules.len(), f.rules[0].scenarios.len()),
                    (2, 1, 1),
                    "{text}"
                );
                tried += 1;
            }
        }
    }
    // en: 3 features, 1 background, 1 rule, 2 scenarios, 2 outlines, 2 examples;
    // ja: 2, 1, 1, 1, 4, 2.
    assert_eq!(tried, 11 + 11);
}

/// Every step keyword of English and Japanese (`*` included) starts a step of
/// its type, kept as written; `And`, `But` and `*` take the type of the step
/// before them (`Given` for a first step).
#[test]
fn every_step_keyword_of_english_and_japanese() {
    let mut tried = 0;
    for code in ["en", "ja"] {
        let d = dialect(code);
        let lists = [
            (&d.given, Some(StepType::Given)),
            (&d.when, Some(StepType::When)),
            (&d.then, Some(StepType::Then)),
            (&d.and, None),
            (&d.but, None),
        ];
        for (list, ty) in lists {
            for keyword in list {
                let conjunction = ty.is_none() || keyword.trim() == "*";
                let text = feature_text(code, &|r| (r == "second step").then(|| keyword.clone()));
                let f = ok(&text);
                let step = &f.scenarios[0].steps[1];
                assert_eq!(&step.keyword, keyword, "{text}");
                assert_eq!(step.value, "y", "{text}");
                let expected = if conjunction {
                    StepType::Given
                } else {
                    ty.unwrap_or(StepType::Given)
                };
                assert_eq!(step.ty, expected, "{code} {keyword:?} after a Given step");
                // As the first step, and after a Then step.
                let text = feature_text(code, &|r| (r == "given").then(|| keyword.clone()));
                let f = ok(&text);
                assert_eq!(&f.scenarios[0].steps[0].keyword, keyword);
                assert_eq!(f.scenarios[0].steps[0].value, "x");
                assert_eq!(
                    f.scenarios[0].steps[0].ty,
                    if conjunction {
                        StepType::Given
                    } else {
                        expected
                    }
                );
                let then = first(&d.then);
                let text = format!(
                    "# language: {code}\n{}: F\n  {}: S\n    {then}a\n    {keyword}z\n",
                    first(&d.feature),
                    first(&d.scenario)
                );
                let f = ok(&text);
                assert_eq!(
                    f.scenarios[0].steps[1].ty,
                    if conjunction {
                        StepType::Then
                    } else {
                        expected
                    },
                    "{code} {keyword:?} after a Then step"
                );
                tried += 1;
            }
        }
    }
    // en: Given/When/Then/And/But with `* ` in each list; ja: 2, 2, 2, 3, 5.
    assert_eq!(tried, 10 + 14);
}

/// The keywords the `gherkin` crate lacks are in the official list, and parse.
#[test]
fn the_japanese_keywords_the_crate_lacks() {
    let d = dialect("ja");
    assert!(d.rule.contains(&"ルール".to_string()));
    assert!(d.and.contains(&"且つ".to_string()));
    assert!(d.but.contains(&"然し".to_string()));
    let text = "# language: ja\n機能: 且つ、然し、ルール\n  ルール: 一つの規則\n    シナリオ: 請求年月\n      前提 請求年月は2026-11である\n      且つ 請求年月は2026-11である\n      然し 請求年月は2026-11である\n";
    assert!(Feature::parse(text, GherkinEnv::default()).is_err());
    let f = ok(text);
    let steps = &f.rules[0].scenarios[0].steps;
    assert_eq!(f.rules[0].keyword, "ルール");
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.keyword.as_str(), s.ty))
            .collect::<Vec<_>>(),
        [
            ("前提", StepType::Given),
            ("且つ", StepType::Given),
            ("然し", StepType::Given)
        ]
    );
    assert_eq!(steps[1].value, "請求年月は2026-11である");
}

/// The official list holds the 80 languages as published, English and Japanese
/// with the keywords this module's tests count.
#[test]
fn the_official_list_is_complete() {
    assert_eq!(languages::all().len(), 80);
    assert_eq!(dialect("ja").native, "日本語");
    assert_eq!(dialect("en").name, "English");
    assert!(languages::OFFICIAL.contains("\"scenarioOutline\""));
}

/// The features of the crate's types with what the crate does not parse alike
/// cleared: spans (byte ranges the reports do not use).
fn comparable(mut f: Feature) -> Feature {
    use cucumber::gherkin::Span;
    let clear_steps = |steps: &mut Vec<cucumber::gherkin::Step>| {
        for s in steps {
            s.span = Span::default();
            if let Some(t) = &mut s.table {
                t.span = Span::default();
            }
        }
    };
    let clear_scenario = |s: &mut cucumber::gherkin::Scenario| {
        s.span = Span::default();
        clear_steps(&mut s.steps);
        for e in &mut s.examples {
            e.span = Span::default();
            if let Some(t) = &mut e.table {
                t.span = Span::default();
            }
        }
    };
    f.span = Span::default();
    f.path = None;
    if let Some(b) = &mut f.background {
        b.span = Span::default();
        clear_steps(&mut b.steps);
    }
    f.scenarios.iter_mut().for_each(clear_scenario);
    for r in &mut f.rules {
        r.span = Span::default();
        if let Some(b) = &mut r.background {
            b.span = Span::default();
            clear_steps(&mut b.steps);
        }
        r.scenarios.iter_mut().for_each(clear_scenario);
    }
    f
}

fn feature_files_of_the_project() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["features", "fixtures"] {
        files.extend(super::feature_files(&root.join(dir)).unwrap_or_default());
    }
    files
}

/// Every feature file of the project that the `gherkin` crate reads gives the
/// same feature here: names, descriptions, tags, steps, tables and positions;
/// but the file whose misspelled keywords the crate silently takes for
/// description text.
#[test]
fn the_same_features_as_the_crate_for_the_project_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut compared = 0;
    let mut refused = Vec::new();
    for file in feature_files_of_the_project() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let Ok(theirs) = Feature::parse(&text, GherkinEnv::default()) else {
            continue;
        };
        match parse(&text, &none) {
            Ok(ours) => {
                assert_eq!(comparable(ours), comparable(theirs), "{}", file.display());
                compared += 1;
            }
            Err(_) => refused.push(
                file.strip_prefix(root)
                    .unwrap_or(&file)
                    .display()
                    .to_string(),
            ),
        }
    }
    assert!(compared >= 30, "only {compared} feature files compared");
    assert_eq!(refused, ["fixtures/runner/parse_misspelled.feature"]);
}

/// Lines and columns as the crate counts them, with comments, tags, blank
/// lines, doc strings and rules in between.
#[test]
fn positions() {
    let text = r#"
# language: en
Feature: Basic functionality
        here's some text
     really
@tag
Scenario: Hello
  Given a step
  Then a step
@tag
Scenario: Hello
  Given a step

  And more

# comment
Rule: rule
    @tag
    Scenario Outline: Hello
        Given <step>
        """
        Doc String
        """

    Examples:
        | step |
        | 1    |
        | 2    |


    @tag
Rule: rule
    #comment
    Scenario: Hello
        Given a step
"#;
    let f = ok(text);
    assert_eq!(f.position.line, 3);
    assert_eq!(f.description.as_deref(), Some("here's some text\nreally"));
    assert_eq!(f.scenarios[0].position.line, 7);
    assert_eq!(f.scenarios[0].steps[1].position.line, 9);
    assert_eq!(f.scenarios[1].steps[1].position.line, 14);
    assert_eq!(f.scenarios[1].steps[1].ty, StepType::Given);
    assert_eq!(f.rules[0].position.line, 17);
    let outline = &f.rules[0].scenarios[0];
    assert_eq!((outline.position.line, outline.position.col), (19, 5));
    assert_eq!(outline.tags, ["tag"]);
    assert_eq!(outline.steps[0].docstring.as_deref(), Some("Doc String"));
    assert_eq!(outline.examples[0].position.line, 25);
    let table = outline.examples[0].table.as_ref().unwrap();
    assert_eq!((table.position.line, table.position.col), (26, 9));
    assert_eq!(table.rows, [["step"], ["1"], ["2"]]);
    assert_eq!(f.rules[1].position.line, 32);
    assert_eq!(f.rules[1].tags, ["tag"]);
    assert_eq!(f.rules[1].scenarios[0].steps[0].position.line, 35);
}

/// Table cells: trimmed, escapes read; doc strings: the separator's indentation
/// removed, escaped separators read, either separator.
#[test]
fn cells_and_doc_strings() {
    let f = ok(concat!(
        "Feature: f\n  Scenario: s\n    Given a table\n",
        "      | a\\|b | \\\\ | x\\ny |  | 　全角　 |\n",
        "    And a doc string\n      ```json\n      {\n        \"k\": 1\n      }\n      \\`\\`\\`\n      ```\n",
    ));
    let steps = &f.scenarios[0].steps;
    assert_eq!(
        steps[0].table.as_ref().unwrap().rows,
        [["a|b", "\\", "x\ny", "", "全角"]]
    );
    assert_eq!(steps[1].docstring.as_deref(), Some("{\n  \"k\": 1\n}\n```"));
}

/// The issue's example: a misspelled `Scenaro:` and `Gven` would make the
/// scenario description text; each line is an error with the closest keyword.
#[test]
fn misspelled_keywords_are_errors_with_the_closest_keyword() {
    let text = "Feature: Invoicing\n\n  Scenaro: One invoice period\n    Gven the invoice period is 2026-11\n    Then nothing\n";
    assert_eq!(
        messages(text),
        [
            "3: \"Scenaro: One invoice period\" would be read as description text, but it reads like a misspelled keyword; closest keyword: \"Scenario:\"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description",
            "4: \"Gven the invoice period is 2026-11\" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"Given\"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description",
            "5: \"Then nothing\" would be read as description text, but it reads like a step (keyword \"Then\"): a step belongs to a scenario or background: is the line that opens it missing or misspelled?",
        ]
    );
    // Under a scenario: a misspelled step keyword before the first step, a
    // misspelled one without a matching step definition, a step without keyword,
    // the keyword in lower case.
    let text = "Feature: Invoicing\n  Scenario: s\n    Gven the invoice period is 2026-11\n    Gvien anything\n    the invoice period is 2026-12\n    given x\n    Given the invoice period is 2026-11\n";
    let found = messages(text);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].starts_with("3: \"Gven the invoice period is 2026-11\" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"Given\""));
    assert!(found[1].starts_with("4: \"Gvien anything\" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"Given\""));
    assert!(found[2].starts_with("5: \"the invoice period is 2026-12\" would be read as description text, but it reads like a step without its keyword; closest keyword: \"Given\""));
    assert!(found[3].starts_with("6: \"given x\" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"Given\""));
    // Title keywords: case, spelling, a full-width colon, out of place.
    for (line, expected) in [
        (
            "scenario: s",
            "reads like a misspelled keyword; closest keyword: \"Scenario:\"",
        ),
        (
            "Secnario: s",
            "reads like a misspelled keyword; closest keyword: \"Scenario:\"",
        ),
        (
            "Scenario Outlines: s",
            "reads like a misspelled keyword; closest keyword: \"Scenario Outline:\"",
        ),
        (
            "Backgroud:",
            "reads like a misspelled keyword; closest keyword: \"Background:\"",
        ),
        (
            "Rules: r",
            "reads like a misspelled keyword; closest keyword: \"Rule:\"",
        ),
        (
            "Scenario : s",
            "a keyword's colon follows it without a space; write \"Scenario:\"",
        ),
        (
            "Examples:",
            "the keyword \"Examples:\" is not allowed here (examples follow the steps of a scenario outline)",
        ),
        (
            "Feature: again",
            "the keyword \"Feature:\" is not allowed here",
        ),
        ("| a |", "reads like a table row"),
        ("\"\"\"", "opens a doc string"),
    ] {
        let text = format!("Feature: f\n  {line}\n  Scenario: s\n    Given x\n");
        let found = messages(&text);
        assert_eq!(found.len(), 1, "{line}: {found:#?}");
        assert!(
            found[0].starts_with("2: ") && found[0].contains(expected),
            "{line}: {found:#?}"
        );
    }
    // Japanese: a misspelled step keyword written without a space, a full-width
    // colon, and a step without keyword.
    let found = messages(
        "# language: ja\n機能: 請求\n  シナリオ：請求年月\n    前堤請求年月は2026-11である\n    請求年月は2026-12である\n",
    );
    assert_eq!(
        found,
        [
            "3: \"シナリオ：請求年月\" would be read as description text: the keyword's colon is full-width; write \"シナリオ:\"",
            "4: \"前堤請求年月は2026-11である\" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"前提\"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description",
            "5: \"請求年月は2026-12である\" would be read as description text, but it reads like a step without its keyword; closest keyword: \"前提\"; write the step's keyword before it, or reword the line if it is meant as description",
        ]
    );
}

/// Prose stays description: words near short keywords (`The`, `An`, `and`),
/// sentences with colons, markdown bullets.
#[test]
fn prose_is_description() {
    let text = "Feature: f\n  The batch re-runs the file\n  and warns about each skipped row.\n  An example: two runs.\n  Note: amounts are in yen.\n  * a bullet point\n  Because of seed 003, rules apply.\n  Scenario: s\n    The invoice period matters here\n    Given x\n";
    let f = ok(text);
    assert_eq!(
        f.description.as_deref(),
        Some(
            "The batch re-runs the file\nand warns about each skipped row.\nAn example: two runs.\nNote: amounts are in yen.\n* a bullet point\nBecause of seed 003, rules apply."
        )
    );
    assert_eq!(
        f.scenarios[0].description.as_deref(),
        Some("The invoice period matters here")
    );
}

/// Structural errors name the line and the reason.
#[test]
fn errors_name_the_line_and_the_reason() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "1: the file has no feature: it is empty or holds only comments; begin it with \"Feature:\" and a name",
        ),
        (
            "\n# only a comment\n\n",
            "1: the file has no feature: it is empty or holds only comments; begin it with \"Feature:\" and a name",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given a table\n      | a\\x |\n",
            "4: table cell \"a\\x\": \"\\x\" is not an escape in a table cell; write \\\\ for a backslash, \\| for a bar, \\n for a new line",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given a table\n      | a | b |\n      | 1 |\n",
            "5: this table row has 1 cells, but the table's first row (line 4) has 2; every row has as many cells (write \\| for a | inside a cell)",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given a table\n      | a | b |\n      | 1 | 2 | 3 |\n",
            "5: this table row has 3 cells, but the table's first row (line 4) has 2; every row has as many cells (write \\| for a | inside a cell)",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given a table\n      | a | b\n",
            "4: text after the row's last bar: \"b\"; end every row with | (write \\| for a | inside a cell)",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given a doc string\n      \"\"\"\n      text\n",
            "4: the doc string opened here is never closed: end it with a line of \"\"\"",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given \n",
            "3: the step \"Given\" has no text: write what it does after its keyword",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given x\n    Gven y\n",
            "4: unexpected text \"Gven y\": expected a step (Given, When, Then, And, But), \"Examples:\", a tag line, \"Scenario:\" or \"Rule:\"; closest keyword: \"Given\"",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given x\n  Background: b\n    Given y\n",
            "4: \"Background: b\": a background follows the description of its feature or rule, before the first scenario; expected a step (Given, When, Then, And, But), \"Examples:\", a tag line, \"Scenario:\" or \"Rule:\"",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given x\n  @slow\n",
            "4: tags must be followed by \"Feature:\", \"Rule:\", \"Scenario:\" or \"Examples:\", not the end of the file",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given x\nFeature: g\n",
            "4: \"Feature: g\": a file holds one feature; start another file for it",
        ),
        (
            "# language: jp\nFeature: f\n",
            "1: unknown language \"jp\" in the \"# language:\" line; closest known: \"ja\"",
        ),
        (
            "機能: 請求\n",
            "1: expected \"Feature:\" (after comments and tags) but found \"機能: 請求\"; \"機能:\" is a keyword of the language \"ja\": write \"# language: ja\" on the first line",
        ),
        (
            "Feature: f\n  Scenario: s\n    Given x\n    Examples:\n      | a |\n    Given y\n",
            "6: \"Given y\": a step belongs to a scenario or background, before its examples",
        ),
        (
            "Feature: f\n  @slow\n  Background: b\n    Given y\n",
            "2: a background has no tags: move them to the feature, rule or scenarios (\"Background: b\" follows them)",
        ),
    ];
    for (text, expected) in cases {
        let found = messages(text);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        assert!(
            found[0].starts_with(expected),
            "{text}\n{}\nexpected to start with\n{expected}",
            found[0]
        );
    }
}

/// The parser looks at each line a bounded number of times, however many
/// scenarios, tags, rows and description lines a file has (the `gherkin` crate
/// looked up every line break among all those before it).
#[test]
fn each_line_is_looked_at_a_bounded_number_of_times() {
    let text = big_feature(2_000);
    let lines = text.lines().count();
    let looked = super::parser::lines_looked_at(&text);
    assert!(looked <= 8 * lines, "{looked} looks at {lines} lines");
    assert!(lines > 20_000);
}

/// A feature of `scenarios` scenarios, each with tags, a description, three steps
/// and a table of three rows (about 530 bytes each).
fn big_feature(scenarios: usize) -> String {
    let mut text = String::from("Feature: big\n  A description.\n\n");
    for i in 0..scenarios {
        text.push_str(&format!(
            "  @slow @serial\n  # scenario {i}\n  Scenario: number {i}\n    Described in one line.\n    Given the table ledger_entry contains:\n      | person | period  | amount  |\n      | A{i}   | 2026-11 | 120000  |\n      | B{i}   | 2026-11 | 70000   |\n    When the command \"ledger-import run fixtures/ledger/first-run.csv\" runs\n    Then the table ledger_entry has exactly:\n      | person | amount  |\n      | A{i}   | 120,000 |\n\n"
        ));
    }
    text
}

/// Benchmark (prints figures, asserts no timing): the `gherkin` crate and this
/// parser on features of 1, 5 and 10 MB.
/// `cargo test -p kensho --lib gherkin::tests::parse_speed -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: prints parse times; the crate, quadratic, takes about 15 minutes at 10 MB"]
fn parse_speed() {
    let one = big_feature(1).len();
    println!("size     scenarios  gherkin crate  kensho::gherkin");
    for mb in [1usize, 5, 10] {
        let scenarios = mb * 1_000_000 / one;
        let text = big_feature(scenarios);
        let started = std::time::Instant::now();
        let ours = parse(&text, &none).map(|f| f.scenarios.len());
        let ours_took = started.elapsed();
        let started = std::time::Instant::now();
        let theirs = Feature::parse(&text, GherkinEnv::default()).map(|f| f.scenarios.len());
        let theirs_took = started.elapsed();
        assert_eq!(ours.ok(), Some(scenarios));
        assert_eq!(theirs.ok(), Some(scenarios));
        println!(
            "{:>5.1} MB {scenarios:>9}  {:>11.2} s  {:>13.3} s",
            text.len() as f64 / 1e6,
            theirs_took.as_secs_f64(),
            ours_took.as_secs_f64()
        );
    }
}

/// One edit of a feature file's lines.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, String),
    /// Cut the line after this many characters.
    Cut(usize, usize),
}

/// Lines a mutated file may gain: keywords of both languages, in and out of
/// place, misspelled, tables, doc strings, tags, escapes.
const PIECES: &[&str] = &[
    "Feature: f",
    "Scenario: s",
    "Scenario Outline: o",
    "Examples:",
    "Background:",
    "Rule: r",
    "Given x",
    "When y",
    "Then z",
    "And a",
    "But b",
    "* c",
    "Gven x",
    "Scenaro: s",
    "| a | b |",
    "| a\\x |",
    "| a | b",
    "|",
    "\"\"\"",
    "```",
    "@slow",
    "@",
    "# language: ja",
    "# language: xx",
    "機能: f",
    "シナリオ: s",
    "ルール: r",
    "前提 x",
    "且つ y",
    "然し z",
    "例:",
    "シナリオ：s",
    "",
    "# c",
    "\u{feff}",
    "\t",
    "ＧＩＶＥＮ",
    "Given ",
    "\\",
];

fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
    use proptest::prelude::*;
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), 0..PIECES.len(), 0usize..6).prop_map(|(at, piece, indent)| {
            Edit::Insert(at, format!("{}{}", " ".repeat(indent), PIECES[piece]))
        }),
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Cut(at, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for edit in edits {
        let n = lines.len().max(1);
        match edit {
            Edit::Delete(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) if !lines.is_empty() => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Edit::Swap(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Edit::Insert(i, line) => lines.insert(i % (lines.len() + 1), line.clone()),
            Edit::Cut(i, keep) if !lines.is_empty() => {
                let line: String = lines[i % n].chars().take(*keep).collect();
                lines[i % n] = line;
            }
            _ => {}
        }
    }
    lines.join("\n")
}

/// Mutated feature files of the project never make the parser panic; every
/// problem names a line of the file, every part of a parsed feature stands on
/// one.
#[test]
fn mutated_features_never_panic_and_name_a_line() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let corpus: Vec<String> = feature_files_of_the_project()
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    assert!(corpus.len() >= 30);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..corpus.len(), proptest::collection::vec(edit(), 0..8));
    let result = runner.run(&strategy, |(file, edits)| {
        let text = apply(&corpus[file], &edits);
        let lines = text.lines().count().max(1);
        match parse(&text, &invoicing) {
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    prop_assert!(
                        (1..=lines).contains(&p.line),
                        "line {} of {lines}: {}\n{text}",
                        p.line,
                        p.message
                    );
                }
            }
            Ok(f) => {
                let steps = f
                    .scenarios
                    .iter()
                    .chain(f.rules.iter().flat_map(|r| &r.scenarios))
                    .flat_map(|s| &s.steps);
                for line in std::iter::once(f.position.line).chain(steps.map(|s| s.position.line)) {
                    prop_assert!(
                        (1..=lines).contains(&line),
                        "position {line} of {lines}\n{text}"
                    );
                }
            }
        }
        Ok::<(), TestCaseError>(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
