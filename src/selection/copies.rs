//! What a run's copy of a feature carries: one copy per engine, whose name ends
//! in `[engine]` ([`engine_of`], [`split_engine`]), with the closing steps
//! appended to every scenario in the feature's language ([`DIFFERENTIAL_STEP`],
//! [`INVARIANTS_STEP`]).

use cucumber::gherkin;

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

/// Ends every `@differential(flag)` scenario with [`DIFFERENTIAL_STEP`], and every
/// scenario with [`INVARIANTS_STEP`].
pub(super) fn add_closing_steps(feature: &mut gherkin::Feature) {
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

/// The engine a feature copy runs on (written by [`super::Selection::copies`] as the copy's
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
    use super::*;

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
