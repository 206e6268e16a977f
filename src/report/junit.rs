//! JUnit XML, as Jenkins and GitLab read it.
//!
//! One `<testsuite>` per feature, one `<testcase>` per scenario run. The test
//! case name carries the engine and the variant (`Name [postgres]
//! [ledger.fast_path=on]`) so that the runs of one scenario on several
//! engines stay apart in the CI's test list.

use std::fmt::Write;

use super::escape::{xml_attr, xml_text};
use super::{FeatureReport, RunReport, ScenarioReport, ScenarioStatus, StepStatus, seconds};

/// The run as JUnit XML.
///
/// A failed scenario has a `<failure type="assertion">` naming the failed
/// step; a scenario that is skipped or has an undefined step has a
/// `<skipped>` saying which step; notes go to `<system-out>`.
pub fn junit_xml(run: &RunReport) -> String {
    let counts = run.counts();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        xml_attr(&run.title),
        counts.total(),
        counts.failed,
        counts.skipped + counts.undefined,
        seconds(run.duration_ms),
        xml_attr(&run.started_at_utc),
    );
    for feature in &run.features {
        write_suite(&mut out, run, feature);
    }
    out.push_str("</testsuites>\n");
    out
}

fn write_suite(out: &mut String, run: &RunReport, feature: &FeatureReport) {
    let counts = feature.counts();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\" file=\"{}\">",
        xml_attr(&feature.name),
        counts.total(),
        counts.failed,
        counts.skipped + counts.undefined,
        seconds(feature.duration_ms()),
        xml_attr(&run.started_at_utc),
        xml_attr(&feature.path),
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"path\" value=\"{}\"/>\n    </properties>",
        xml_attr(&feature.path)
    );
    for scenario in &feature.scenarios {
        write_case(out, feature, scenario);
    }
    out.push_str("  </testsuite>\n");
}

fn write_case(out: &mut String, feature: &FeatureReport, scenario: &ScenarioReport) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\" file=\"{}\" line=\"{}\">",
        xml_attr(&feature.name),
        xml_attr(&scenario.display_name()),
        seconds(scenario.duration_ms),
        xml_attr(&feature.path),
        scenario.line,
    );
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

    match scenario.status() {
        ScenarioStatus::Passed => {}
        ScenarioStatus::Failed => {
            if let Some((step, message)) = scenario.failed_step() {
                let step_line =
                    format!("{} {} (line {})", step.keyword.trim(), step.text, step.line);
                let first = message.lines().next().unwrap_or("");
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"assertion\">{}\n{}</failure>",
                    xml_attr(&format!("{}: {first}", step_line)),
                    xml_text(&step_line),
                    xml_text(message),
                );
            }
        }
        ScenarioStatus::Skipped | ScenarioStatus::Undefined => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml_attr(&skip_reason(scenario))
            );
        }
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

/// Why a scenario did not pass without failing: its first undefined step, or
/// else its first skipped step.
fn skip_reason(scenario: &ScenarioReport) -> String {
    let find = |wanted: &StepStatus| {
        scenario
            .steps
            .iter()
            .find(|s| &s.status == wanted)
            .map(|s| format!("{} {} (line {})", s.keyword.trim(), s.text, s.line))
    };
    if let Some(step) = find(&StepStatus::Undefined) {
        format!("undefined step: {step}")
    } else if let Some(step) = find(&StepStatus::Skipped) {
        format!("skipped step: {step}")
    } else {
        "scenario has no steps".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{sample, well_formed};
    use super::*;

    #[test]
    fn junit_is_well_formed_and_counts_per_suite() {
        let xml = junit_xml(&sample::run());
        let elements = well_formed(&xml, false).expect("well-formed XML");
        assert_eq!(elements.iter().filter(|e| *e == "testsuite").count(), 2);
        assert_eq!(elements.iter().filter(|e| *e == "testcase").count(), 5);
        assert_eq!(elements.iter().filter(|e| *e == "failure").count(), 1);
        assert_eq!(elements.iter().filter(|e| *e == "skipped").count(), 1);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.contains(
            "<testsuites name=\"Kensho シナリオ\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"61.005\" timestamp=\"2025-04-01T09:30:00Z\">"
        ));
        assert!(xml.contains(
            "<testsuite name=\"連結財務諸表\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.944\""
        ));
        assert!(xml.contains(
            "<testsuite name=\"請求バッチ\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\" time=\"0.011\""
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
        assert!(xml.contains(
            "<skipped message=\"undefined step: When the batch runs twice (line 12)\"/>"
        ));
        assert!(xml.contains("<system-out>statements saved: 6</system-out>"));
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
