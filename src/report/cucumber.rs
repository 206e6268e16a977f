//! The standard Cucumber JSON format, as report tools and CI plugins read it.
//!
//! An array of features, each with its scenarios as `elements` of type
//! `scenario`. Each scenario run carries its engine twice: in the name
//! (`Name [postgres] [ledger.fast_path=on]`) and as a tag
//! `@engine-postgres`, so that tools can filter the runs of one engine.
//! Names and ids are unique within the run (see [`RunReport::case_names`]).
//!
//! Keywords are the ones the feature file has (`機能`, `シナリオ`,
//! `Scenario Outline`, ...); each step names the step definition that matches
//! it (`match.location`, absent when none does); the steps after a failure are
//! there, `skipped`. An
//! undefined or ambiguous step is `failed`, its `error_message` saying why,
//! so that report tools count it as the run's exit code does.

use serde::Serialize;

use super::{FeatureReport, RunReport, ScenarioReport, StepReport, StepStatus, tag_name};

#[derive(Serialize)]
struct Feature<'a> {
    uri: &'a str,
    id: String,
    keyword: &'a str,
    name: &'a str,
    description: &'a str,
    line: usize,
    tags: Vec<Tag>,
    elements: Vec<Element<'a>>,
}

#[derive(Serialize)]
struct Tag {
    name: String,
    line: usize,
}

#[derive(Serialize)]
struct Element<'a> {
    id: String,
    keyword: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    description: &'static str,
    line: usize,
    tags: Vec<Tag>,
    steps: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Step<'a> {
    keyword: String,
    name: &'a str,
    line: usize,
    #[serde(rename = "match")]
    matched: Match<'a>,
    result: StepResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<Row<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc_string: Option<DocString<'a>>,
}

#[derive(Serialize)]
struct Match<'a> {
    /// The step definition, `path:line`; absent when none matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

#[derive(Serialize)]
struct StepResult {
    status: &'static str,
    /// Nanoseconds.
    duration: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    cells: &'a [String],
}

#[derive(Serialize)]
struct DocString<'a> {
    value: &'a str,
    content_type: &'static str,
    line: usize,
}

/// The run as Cucumber JSON (pretty-printed).
///
/// Step durations are in nanoseconds, as the format wants. Feature, scenario
/// and tag lines come from the report; a tag's line is taken as the line
/// above its feature or scenario, where Gherkin tags usually stand.
pub fn cucumber_json(run: &RunReport) -> String {
    let run = &*run.as_written();
    let names = run.case_names();
    let features: Vec<Feature> = run
        .features
        .iter()
        .zip(names)
        .map(|(f, names)| feature(f, names))
        .collect();
    serde_json::to_string_pretty(&features).expect("report structures always serialise")
}

fn feature(feature: &FeatureReport, names: Vec<String>) -> Feature<'_> {
    let line = feature.line.max(1);
    let id = slug(&feature.name);
    Feature {
        uri: &feature.path,
        keyword: feature.keyword(),
        name: &feature.name,
        description: &feature.description,
        line,
        tags: tags(&feature.tags, line),
        elements: feature
            .scenarios
            .iter()
            .zip(names)
            .map(|(s, name)| element(&id, s, name))
            .collect(),
        id,
    }
}

fn element<'a>(feature_id: &str, scenario: &'a ScenarioReport, name: String) -> Element<'a> {
    let mut tags = tags(&scenario.tags, scenario.line);
    if !scenario.engine.is_empty() {
        tags.push(Tag {
            name: format!("@engine-{}", scenario.engine),
            line: scenario.line.saturating_sub(1).max(1),
        });
    }
    Element {
        id: format!("{feature_id};{}", slug(&name)),
        keyword: scenario.keyword(),
        kind: "scenario",
        description: "",
        line: scenario.line,
        tags,
        steps: scenario.steps.iter().map(step).collect(),
        name,
    }
}

fn step(step: &StepReport) -> Step<'_> {
    let (status, error_message) = match step.status.problem() {
        Some((problem, message)) => ("failed", Some(format!("{}{message}", problem.prefix()))),
        None if step.status == StepStatus::Passed => ("passed", None),
        None => ("skipped", None),
    };
    Step {
        // Gherkin keeps the space after a keyword: "Given ", and "前提" for
        // Japanese, which needs none.
        keyword: keyword_with_space(&step.keyword),
        name: &step.text,
        line: step.line,
        matched: Match {
            location: step.location.as_deref(),
        },
        result: StepResult {
            status,
            duration: step.duration_ms.saturating_mul(1_000_000),
            error_message,
        },
        rows: step
            .table
            .as_ref()
            .map(|table| table.iter().map(|cells| Row { cells }).collect()),
        doc_string: step.docstring.as_deref().map(|value| DocString {
            value,
            content_type: "",
            line: step.line + 1,
        }),
    }
}

fn tags(tags: &[String], line: usize) -> Vec<Tag> {
    tags.iter()
        .map(|tag| Tag {
            name: tag_name(tag),
            line: line.saturating_sub(1).max(1),
        })
        .collect()
}

/// Keyword as Gherkin tokenises it: an English keyword keeps its trailing
/// space, a Japanese one (which ends in a CJK character) has none.
fn keyword_with_space(keyword: &str) -> String {
    let keyword = keyword.trim();
    match keyword.chars().last() {
        Some(c) if c.is_ascii() => format!("{keyword} "),
        _ => keyword.to_string(),
    }
}

/// Identifier in the style of Cucumber: lower case, blanks as `-`, and no
/// `;` (which separates the feature and scenario parts).
fn slug(name: &str) -> String {
    name.replace(';', " ")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::sample;
    use super::*;

    fn parsed() -> Value {
        serde_json::from_str(&cucumber_json(&sample::run())).expect("valid JSON")
    }

    #[test]
    fn cucumber_json_parses_and_has_features_and_scenarios() {
        let json = parsed();
        let features = json.as_array().expect("an array of features");
        assert_eq!(features.len(), 2);
        let first = &features[0];
        assert_eq!(first["uri"], "features/ledger/net_income.feature");
        assert_eq!(first["id"], "連結財務諸表");
        assert_eq!(first["name"], "連結財務諸表");
        assert_eq!(first["description"], "当期純利益は1計算書に1行だけ。");
        assert_eq!(first["line"], 2);
        assert_eq!(first["tags"], json!([{"name": "@ledger", "line": 1}]));
        assert_eq!(first["elements"].as_array().unwrap().len(), 3);
        assert_eq!(features[1]["elements"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn cucumber_json_scenarios_carry_engine_in_name_and_tag() {
        let json = parsed();
        let scenario = &json[0]["elements"][2];
        assert_eq!(scenario["type"], "scenario");
        assert_eq!(
            scenario["name"],
            "当期純利益の再計算 [postgres] [ledger.fast_path=on]"
        );
        assert_eq!(
            scenario["id"],
            "連結財務諸表;当期純利益の再計算-[postgres]-[ledger.fast_path=on]"
        );
        assert_eq!(scenario["line"], 4);
        assert_eq!(
            scenario["tags"],
            json!([{"name": "@seed-002", "line": 3}, {"name": "@engine-postgres", "line": 3}])
        );
        assert_eq!(json[1]["elements"][0]["name"], "再実行 [sqlite]");
    }

    #[test]
    fn cucumber_json_steps_have_status_duration_rows_and_doc_string() {
        let json = parsed();
        let steps = &json[0]["elements"][2]["steps"];
        assert_eq!(steps[0]["keyword"], "前提");
        assert_eq!(steps[0]["name"], "連結対象の財務諸表がある");
        assert_eq!(steps[0]["line"], 5);
        assert_eq!(
            steps[0]["result"],
            json!({"status": "passed", "duration": 12_000_000})
        );
        assert_eq!(steps[0]["match"], json!({"location": "steps/5.rs:50"}));
        assert_eq!(
            steps[0]["rows"],
            json!([{"cells": ["勘定科目", "金額"]}, {"cells": ["当期純利益", "1,200,000"]}])
        );
        assert_eq!(steps[2]["result"]["status"], "failed");
        assert_eq!(steps[2]["result"]["duration"], 3_000_000);
        assert_eq!(steps[2]["result"]["error_message"], sample::DIFF);
        assert_eq!(steps[2]["match"], json!({"location": "steps/10.rs:100"}));
        // The step after the failure is there, skipped.
        assert_eq!(steps[3]["name"], "金額はフラグに依らず同じである");
        assert_eq!(steps[3]["keyword"], "かつ");
        assert_eq!(
            steps[3]["result"],
            json!({"status": "skipped", "duration": 0})
        );
        assert_eq!(steps[3]["match"], json!({}));

        let invoices = &json[1]["elements"][0]["steps"];
        assert_eq!(invoices[0]["keyword"], "Given ");
        assert_eq!(invoices[0]["doc_string"]["value"], "A,100\nB,200");
        assert!(invoices[0].get("rows").is_none());
    }

    #[test]
    fn cucumber_json_keeps_keywords_as_written() {
        let json = parsed();
        assert_eq!(json[0]["keyword"], "機能");
        assert_eq!(json[0]["elements"][0]["keyword"], "シナリオ");
        assert_eq!(json[1]["keyword"], "Feature");
        assert_eq!(json[1]["elements"][0]["keyword"], "Scenario");
        assert_eq!(json[1]["elements"][1]["keyword"], "Scenario Outline");
        assert_eq!(json[1]["elements"][1]["type"], "scenario");
        // Unknown keywords fall back to the English ones.
        let mut run = sample::run();
        run.features[0].keyword.clear();
        run.features[0].scenarios[0].keyword = " ".into();
        let json: Value = serde_json::from_str(&cucumber_json(&run)).unwrap();
        assert_eq!(json[0]["keyword"], "Feature");
        assert_eq!(json[0]["elements"][0]["keyword"], "Scenario");
    }

    #[test]
    fn cucumber_json_undefined_and_ambiguous_steps_fail() {
        let json = parsed();
        let undefined = &json[1]["elements"][0]["steps"][1];
        assert_eq!(undefined["result"]["status"], "failed");
        assert_eq!(
            undefined["result"]["error_message"],
            format!("undefined step: {}", crate::report::UNDEFINED_MESSAGE)
        );
        assert_eq!(undefined["match"], json!({}));

        let mut run = sample::run();
        run.features[1].scenarios[0].steps[1].status =
            StepStatus::Ambiguous("it matches ^a$ and ^.*$".into());
        let json: Value = serde_json::from_str(&cucumber_json(&run)).unwrap();
        assert_eq!(
            json[1]["elements"][0]["steps"][1]["result"],
            json!({"status": "failed", "duration": 0, "error_message": "ambiguous step: it matches ^a$ and ^.*$"})
        );
        // Only passed, failed and skipped appear: nothing a tool could count
        // as neither passed nor failed.
        let text = cucumber_json(&run);
        assert!(!text.contains("\"undefined\""));
        assert!(!text.contains("\"ambiguous\""));
    }

    #[test]
    fn cucumber_json_names_and_ids_are_unique() {
        let mut run = sample::run();
        let mut again = run.features[1].scenarios[0].clone();
        again.line = 30;
        run.features[1].scenarios.push(again);
        let json: Value = serde_json::from_str(&cucumber_json(&run)).unwrap();
        let elements = &json[1]["elements"];
        assert_eq!(
            elements[0]["name"],
            "再実行 [sqlite] (features/invoices/rerun.feature:7)"
        );
        assert_eq!(
            elements[2]["name"],
            "再実行 [sqlite] (features/invoices/rerun.feature:30)"
        );
        assert_ne!(elements[0]["id"], elements[2]["id"]);
    }

    #[test]
    fn cucumber_json_round_trips_hostile_text() {
        let run = sample::run();
        let json = parsed();
        let hostile = &json[1]["elements"][1];
        assert_eq!(hostile["name"], format!("{} [postgres]", sample::HOSTILE));
        assert_eq!(
            hostile["steps"][0]["name"],
            "text <b>bold</b> & \u{1}control"
        );
        assert_eq!(hostile["tags"][0]["name"], "@x\"y");
        // The serialised text parses back to exactly what the report held.
        let again = serde_json::to_string(&json).unwrap();
        let reparsed: Value = serde_json::from_str(&again).unwrap();
        assert_eq!(reparsed, json);
        assert_eq!(
            reparsed[0]["elements"][2]["steps"][2]["result"]["error_message"],
            match &run.features[0].scenarios[2].steps[2].status {
                StepStatus::Failed(m) => m.as_str(),
                other => panic!("sample step should fail, is {other:?}"),
            }
        );
    }

    #[test]
    fn slugs_and_keywords() {
        assert_eq!(slug("Net  income\tonce; twice"), "net-income-once-twice");
        assert_eq!(keyword_with_space("Given"), "Given ");
        assert_eq!(keyword_with_space("And "), "And ");
        assert_eq!(keyword_with_space("前提"), "前提");
    }
}
