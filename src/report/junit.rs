//! JUnit XML, as Jenkins and GitLab read it.
//!
//! One `<testsuite>` per feature, one `<testcase>` per scenario run. The test
//! case name carries the engine and the variant (`Name [postgres]
//! [ledger.fast_path=on]`) so that the runs of one scenario on several
//! engines stay apart in the CI's test list, and the file and line when two
//! scenarios of one feature share a name (see [`RunReport::case_names`]).
//!
//! The counts agree with the run's exit code: a scenario with a failed, an
//! undefined or an ambiguous step, or a feature file that could not be
//! parsed, is a `<failure>`; only a scenario that did not run all its steps
//! without failing one is `<skipped>`.

use std::fmt::Write;

use super::escape::{xml_attr, xml_text};
use super::{
    FeatureReport, Problem, RunReport, ScenarioReport, ScenarioStatus, StepStatus, seconds,
};

/// The run as JUnit XML.
///
/// A scenario that fails the run has a `<failure>` naming its first failed
/// step, of type `assertion` (a failed step), `undefined` (no definition
/// matched) or `ambiguous` (several did); a scenario that did not run all
/// its steps without a failure has a `<skipped>` saying which step; notes go
/// to `<system-out>`.
pub fn junit_xml(run: &RunReport) -> String {
    let run = &*run.as_written();
    let counts = run.counts();
    let names = run.case_names();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        xml_attr(&run.title),
        counts.total(),
        counts.failures(),
        counts.skipped,
        seconds(run.duration_ms),
        xml_attr(&run.started_at_utc),
    );
    for (feature, names) in run.features.iter().zip(&names) {
        write_suite(&mut out, run, feature, names);
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_suite(out: &mut String, run: &RunReport, feature: &FeatureReport, names: &[String]) {
    let counts = feature.counts();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\" file=\"{}\">",
        xml_attr(&feature.name),
        counts.total(),
        counts.failures(),
        counts.skipped,
        seconds(feature.duration_ms()),
        xml_attr(&run.started_at_utc),
        xml_attr(&feature.path),
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"path\" value=\"{}\"/>\n    </properties>",
        xml_attr(&feature.path)
    );
    for (scenario, name) in feature.scenarios.iter().zip(names) {
        write_case(out, feature, scenario, name);
    }
    out.push_str("  </testsuite>\n");
}

fn write_case(out: &mut String, feature: &FeatureReport, scenario: &ScenarioReport, name: &str) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\" file=\"{}\" line=\"{}\">",
        xml_attr(&feature.name),
        xml_attr(name),
        seconds(scenario.duration_ms),
        xml_attr(&feature.path),
        scenario.line,
    );
    if !scenario.engine.is_empty() {
        out.push_str("      <properties>\n");
        let _ = writeln!(
            out,
            "        <property name=\"engine\" value=\"{}\"/>",
            xml_attr(&scenario.engine)
        );
        if let Some(variant) = &scenario.variant {
            let _ = writeln!(
                out,
                "        <property name=\"variant\" value=\"{}\"/>",
                xml_attr(variant)
            );
        }
        out.push_str("      </properties>\n");
    }

    let status = scenario.status();
    match status {
        ScenarioStatus::Passed => {}
        ScenarioStatus::Failed | ScenarioStatus::Undefined => {
            if let Some(failure) = Failure::of(scenario) {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}\n{}</failure>",
                    xml_attr(&failure.message),
                    failure.kind,
                    xml_text(&failure.step),
                    xml_text(failure.text),
                );
            }
        }
        ScenarioStatus::Skipped => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml_attr(&skip_reason(scenario))
            );
        }
    }

    // The earlier attempts of a retried scenario, as Maven Surefire writes
    // reruns (and quick-junit, nextest): `flakyFailure` when it passed in the
    // end, `rerunFailure` when it failed every time.
    let element = if status == ScenarioStatus::Passed {
        "flakyFailure"
    } else {
        "rerunFailure"
    };
    for attempt in &scenario.earlier {
        let Some(failure) = Failure::of(attempt) else {
            continue;
        };
        let _ = writeln!(
            out,
            "      <{element} message=\"{}\" type=\"{}\" time=\"{}\">",
            xml_attr(&failure.message),
            failure.kind,
            seconds(attempt.duration_ms),
        );
        let _ = writeln!(
            out,
            "        <stackTrace>{}\n{}</stackTrace>",
            xml_text(&failure.step),
            xml_text(failure.text),
        );
        if !attempt.notes.is_empty() {
            let _ = writeln!(
                out,
                "        <system-out>{}</system-out>",
                xml_text(&attempt.notes.join("\n"))
            );
        }
        let _ = writeln!(out, "      </{element}>");
    }

    if !scenario.notes.is_empty() {
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml_text(&scenario.notes.join("\n"))
        );
    }
    out.push_str("    </testcase>\n");
}

/// Why a scenario (or one attempt of it) failed, as a JUnit failure shows it.
struct Failure<'a> {
    /// The attribute: the step and the message's first line.
    message: String,
    /// `assertion` (a failed step), `undefined` or `ambiguous`.
    kind: &'static str,
    /// The step that failed, with its line.
    step: String,
    /// The whole message (a table diff spans lines).
    text: &'a str,
}

impl<'a> Failure<'a> {
    /// The first step that fails `scenario`, if one does.
    fn of(scenario: &'a ScenarioReport) -> Option<Failure<'a>> {
        let (step, kind, text) = scenario.problem()?;
        let step_line = format!("{} {} (line {})", step.keyword.trim(), step.text, step.line);
        let first = text.lines().next().unwrap_or("");
        let prefix = kind.prefix();
        Some(Failure {
            message: format!("{prefix}{step_line}: {first}"),
            kind: match kind {
                Problem::Failed => "assertion",
                Problem::Undefined => "undefined",
                Problem::Ambiguous => "ambiguous",
            },
            step: format!("{prefix}{step_line}"),
            text,
        })
    }
}

/// Why a scenario did not pass without failing: its first skipped step.
fn skip_reason(scenario: &ScenarioReport) -> String {
    match scenario
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Skipped)
    {
        Some(s) => format!(
            "skipped step: {} {} (line {})",
            s.keyword.trim(),
            s.text,
            s.line
        ),
        None => "scenario has no steps".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{sample, well_formed};
    use super::super::{StepReport, StepStatus};
    use super::*;

    #[test]
    fn junit_is_well_formed_and_counts_per_suite() {
        let xml = junit_xml(&sample::run());
        let elements = well_formed(&xml, false).expect("well-formed XML");
        assert_eq!(elements.iter().filter(|e| *e == "testsuite").count(), 2);
        assert_eq!(elements.iter().filter(|e| *e == "testcase").count(), 5);
        // The failed scenario and the undefined one: both fail the run.
        assert_eq!(elements.iter().filter(|e| *e == "failure").count(), 2);
        assert_eq!(elements.iter().filter(|e| *e == "skipped").count(), 0);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.contains(
            "<testsuites name=\"Kensho シナリオ\" tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"0\" time=\"61.005\" timestamp=\"2025-04-01T09:30:00Z\">"
        ));
        assert!(xml.contains(
            "<testsuite name=\"連結財務諸表\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.944\""
        ));
        assert!(xml.contains(
            "<testsuite name=\"請求バッチ\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.011\""
        ));
    }

    #[test]
    fn junit_case_names_carry_engine_and_variant() {
        let xml = junit_xml(&sample::run());
        assert!(xml.contains(
            "<testcase classname=\"連結財務諸表\" name=\"当期純利益の再計算 [postgres] [ledger.fast_path=on]\" time=\"1.234\" file=\"features/ledger/net_income.feature\" line=\"4\">"
        ));
        assert!(xml.contains("name=\"再実行 [sqlite]\" time=\"0.004\""));
        assert!(xml.contains("<property name=\"engine\" value=\"postgres\"/>"));
        assert!(xml.contains("<property name=\"variant\" value=\"ledger.fast_path=on\"/>"));
    }

    #[test]
    fn junit_failure_names_the_step_and_keeps_the_diff() {
        let xml = junit_xml(&sample::run());
        assert!(xml.contains(
            "<failure message=\"ならば 当期純利益の行は1行だけである (line 10): the table differs (person | amount):\" type=\"assertion\">ならば 当期純利益の行は1行だけである (line 10)\nthe table differs (person | amount):\n  - missing:    | C | 80,000 |\n  + unexpected: | C | 100,000 |</failure>"
        ));
        assert!(xml.contains("<system-out>statements saved: 6</system-out>"));
    }

    #[test]
    fn junit_undefined_and_ambiguous_steps_are_failures() {
        let xml = junit_xml(&sample::run());
        assert!(xml.contains(
            "<failure message=\"undefined step: When the batch runs twice (line 12): no step definition matches this step&apos;s text: write one, or fix the text (`cargo run -- --dry-run` lists the closest known steps)\" type=\"undefined\">undefined step: When the batch runs twice (line 12)\nno step definition matches"
        ));
        let mut run = sample::run();
        run.features[1].scenarios[0].steps[1].status =
            StepStatus::Ambiguous("it matches ^a$ (steps/a.rs:1) and ^.*$ (steps/b.rs:2)".into());
        let xml = junit_xml(&run);
        assert!(xml.contains(
            "<failure message=\"ambiguous step: When the batch runs twice (line 12): it matches ^a$ (steps/a.rs:1) and ^.*$ (steps/b.rs:2)\" type=\"ambiguous\">"
        ));
        assert!(xml.contains("tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"0\""));
    }

    #[test]
    fn junit_skips_only_what_did_not_run_without_failing() {
        let mut run = sample::run();
        let steps = &mut run.features[1].scenarios[0].steps;
        steps[1].status = StepStatus::Skipped;
        let xml = junit_xml(&run);
        assert!(
            xml.contains(
                "<skipped message=\"skipped step: When the batch runs twice (line 12)\"/>"
            )
        );
        assert!(xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    }

    #[test]
    fn junit_case_names_are_unique_with_file_and_line_when_names_repeat() {
        let mut run = sample::run();
        // A second scenario named like the first of 請求バッチ, in the same
        // feature (another line) and in another file of a feature of the
        // same name.
        let mut again = run.features[1].scenarios[0].clone();
        again.line = 30;
        run.features[1].scenarios.push(again.clone());
        let mut other_file = run.features[1].clone();
        other_file.path = "features/invoices/rerun_ja.feature".into();
        other_file.scenarios = vec![again];
        run.features.push(other_file);
        let xml = junit_xml(&run);
        for name in [
            "再実行 [sqlite] (features/invoices/rerun.feature:7)",
            "再実行 [sqlite] (features/invoices/rerun.feature:30)",
            "再実行 [sqlite] (features/invoices/rerun_ja.feature:30)",
        ] {
            assert_eq!(
                xml.matches(&format!("name=\"{name}\"")).count(),
                1,
                "{name} in\n{xml}"
            );
        }
        // Names that do not repeat stay as they were.
        assert!(xml.contains("name=\"当期純利益の再計算 [postgres] [ledger.fast_path=on]\""));
        let mut names: Vec<&str> = xml
            .split("<testcase ")
            .skip(1)
            .map(|case| {
                let from = case.find(" name=\"").unwrap() + 7;
                &case[from..from + case[from..].find('"').unwrap()]
            })
            .collect();
        let all = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all);
    }

    #[test]
    fn junit_case_of_an_unparsable_file_has_no_engine() {
        let run = RunReport {
            features: vec![FeatureReport {
                name: "features/x.feature".into(),
                path: "features/x.feature".into(),
                scenarios: vec![ScenarioReport {
                    name: "The feature file parses".into(),
                    line: 3,
                    steps: vec![StepReport {
                        keyword: "Parse".into(),
                        text: "the feature file".into(),
                        line: 3,
                        status: StepStatus::Failed("features/x.feature:3: does not parse".into()),
                        ..StepReport::default()
                    }],
                    ..ScenarioReport::default()
                }],
                ..FeatureReport::default()
            }],
            ..RunReport::default()
        };
        let xml = junit_xml(&run);
        assert!(xml.contains(
            "<testcase classname=\"features/x.feature\" name=\"The feature file parses\" time=\"0.000\" file=\"features/x.feature\" line=\"3\">\n      <failure message=\"Parse the feature file (line 3): features/x.feature:3: does not parse\" type=\"assertion\">"
        ), "{xml}");
        assert!(!xml.contains("<property name=\"engine\""));
    }

    /// A scenario of the sample whose earlier attempt failed on its second step.
    fn retried(passed_in_the_end: bool) -> RunReport {
        let mut run = sample::run();
        let scenario = &mut run.features[1].scenarios[0];
        let mut attempt = scenario.clone();
        attempt.steps[1].status =
            StepStatus::Failed("exit code 1 (expected 0)\nstderr: once".into());
        attempt.notes = vec!["command: first attempt".into()];
        attempt.duration_ms = 1_500;
        if passed_in_the_end {
            for step in &mut scenario.steps {
                step.status = StepStatus::Passed;
            }
        } else {
            scenario.steps[1].status = StepStatus::Failed("exit code 1 (expected 0)".into());
        }
        scenario.earlier = vec![attempt.clone(), attempt];
        run
    }

    #[test]
    fn junit_shows_a_retried_scenario_once_with_its_earlier_failures() {
        let xml = junit_xml(&retried(true));
        well_formed(&xml, false).expect("well-formed XML");
        assert_eq!(xml.matches("name=\"再実行 [sqlite]\"").count(), 1, "{xml}");
        assert_eq!(xml.matches("<flakyFailure ").count(), 2, "{xml}");
        assert!(!xml.contains("rerunFailure"), "{xml}");
        assert!(xml.contains(
            "<flakyFailure message=\"When the batch runs twice (line 12): exit code 1 (expected 0)\" type=\"assertion\" time=\"1.500\">\n        <stackTrace>When the batch runs twice (line 12)\nexit code 1 (expected 0)\nstderr: once</stackTrace>\n        <system-out>command: first attempt</system-out>\n      </flakyFailure>"
        ), "{xml}");
        // Passed in the end: one case, counted passed.
        assert!(
            xml.contains("tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );

        let xml = junit_xml(&retried(false));
        well_formed(&xml, false).expect("well-formed XML");
        assert_eq!(xml.matches("<rerunFailure ").count(), 2, "{xml}");
        assert!(!xml.contains("flakyFailure"), "{xml}");
        assert!(
            xml.contains("tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );
        assert_eq!(xml.matches("name=\"再実行 [sqlite]\"").count(), 1, "{xml}");
    }

    #[test]
    fn junit_escapes_hostile_text() {
        let xml = junit_xml(&sample::run());
        assert!(!xml.contains("<script>"));
        assert!(!xml.contains('\u{1}'));
        assert!(xml.contains(
            "name=\"Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &apos;q&apos; [postgres]\""
        ));
        assert!(xml.contains("<system-out>p95 &lt; 50 ms &amp; \"ok\"</system-out>"));
        well_formed(&xml, false).expect("well-formed XML");
    }

    #[test]
    fn junit_multiline_failure_message_attribute_keeps_first_line_only() {
        let mut run = sample::run();
        run.features[0].scenarios[2].steps[2].status =
            StepStatus::Failed("first \"line\"\nsecond\ttab".into());
        let xml = junit_xml(&run);
        assert!(xml.contains("(line 10): first &quot;line&quot;\" type=\"assertion\">"));
        assert!(xml.contains("first \"line\"\nsecond\ttab</failure>"));
    }
}
