//! The Gherkin keywords of every language, from the official list
//! (`fixtures/gherkin-languages.json`, cucumber/gherkin's `gherkin-languages.json`,
//! kept as published and compiled into the harness).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use cucumber::gherkin::StepType;
use serde::Deserialize;

/// The official list, as published by cucumber/gherkin.
pub const OFFICIAL: &str = include_str!("../../fixtures/gherkin-languages.json");

/// The keywords of one language (方言 / dialect), as the official list spells them:
/// step keywords end with a space where the language separates words with one
/// (`"Given "`, but `"前提"`), title keywords have no colon (`"Scenario"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dialect {
    /// The language's name in English (`Japanese`).
    pub name: String,
    /// The language's own name for itself (`日本語`).
    pub native: String,
    /// `Feature:` and its synonyms.
    pub feature: Vec<String>,
    /// `Background:`.
    pub background: Vec<String>,
    /// `Rule:`.
    pub rule: Vec<String>,
    /// `Scenario:` and `Example:`.
    pub scenario: Vec<String>,
    /// `Scenario Outline:` and `Scenario Template:`.
    pub scenario_outline: Vec<String>,
    /// `Examples:` and `Scenarios:`.
    pub examples: Vec<String>,
    /// `Given `.
    pub given: Vec<String>,
    /// `When `.
    pub when: Vec<String>,
    /// `Then `.
    pub then: Vec<String>,
    /// `And `: takes the type of the step before it.
    pub and: Vec<String>,
    /// `But `: takes the type of the step before it.
    pub but: Vec<String>,
}

/// What a title keyword (a keyword followed by `:`) opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Title {
    /// `Feature:`
    Feature,
    /// `Background:`
    Background,
    /// `Rule:`
    Rule,
    /// `Scenario:`
    Scenario,
    /// `Scenario Outline:`
    ScenarioOutline,
    /// `Examples:`
    Examples,
}

impl Title {
    /// Every kind, in the order of the official list.
    pub const ALL: [Title; 6] = [
        Title::Feature,
        Title::Background,
        Title::Rule,
        Title::Scenario,
        Title::ScenarioOutline,
        Title::Examples,
    ];

    /// The English keyword (`Scenario`).
    pub fn english(self) -> &'static str {
        match self {
            Title::Feature => "Feature",
            Title::Background => "Background",
            Title::Rule => "Rule",
            Title::Scenario => "Scenario",
            Title::ScenarioOutline => "Scenario Outline",
            Title::Examples => "Examples",
        }
    }
}

/// What a step keyword says about the step's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKeyword {
    /// `Given`, `When` or `Then`.
    Typed(StepType),
    /// `And`, `But` and `*`: the type of the step before (`Given` for a first
    /// step).
    Conjunction,
}

impl Dialect {
    /// The keywords of a title kind.
    pub fn titles(&self, kind: Title) -> &[String] {
        match kind {
            Title::Feature => &self.feature,
            Title::Background => &self.background,
            Title::Rule => &self.rule,
            Title::Scenario => &self.scenario,
            Title::ScenarioOutline => &self.scenario_outline,
            Title::Examples => &self.examples,
        }
    }

    /// Every step keyword with what it says about the step's type, longest first
    /// (so that a keyword that begins another one never hides it). `*` is a
    /// conjunction, as in the official parser.
    pub fn step_keywords(&self) -> Vec<(&str, StepKeyword)> {
        let mut all: Vec<(&str, StepKeyword)> = Vec::new();
        let typed = [
            (&self.given, StepType::Given),
            (&self.when, StepType::When),
            (&self.then, StepType::Then),
        ];
        for (list, ty) in typed {
            for k in list {
                if k.trim() != "*" {
                    all.push((k, StepKeyword::Typed(ty)));
                }
            }
        }
        for k in self.and.iter().chain(&self.but) {
            if !all.iter().any(|(seen, _)| seen == k) {
                all.push((k, StepKeyword::Conjunction));
            }
        }
        all.sort_by_key(|(k, _)| std::cmp::Reverse(k.chars().count()));
        all
    }

    /// The language's first keyword for a step type, as a step would start
    /// (`Given`, `前提`), trimmed.
    pub fn first_keyword(&self, ty: StepType) -> &str {
        let list = match ty {
            StepType::Given => &self.given,
            StepType::When => &self.when,
            StepType::Then => &self.then,
        };
        list.iter()
            .map(|k| k.trim())
            .find(|k| *k != "*")
            .unwrap_or("*")
    }
}

/// Every language of the official list, by code (`en`, `ja`).
pub fn all() -> &'static BTreeMap<String, Dialect> {
    static ALL: LazyLock<BTreeMap<String, Dialect>> = LazyLock::new(|| {
        // The list is compiled in and checked by this module's tests: it is
        // valid unless the file under fixtures/ was replaced by something else.
        serde_json::from_str(OFFICIAL).unwrap_or_else(|e| {
            panic!("fixtures/gherkin-languages.json is not the official keyword list: {e}")
        })
    });
    &ALL
}

/// The keywords of the language `code` (`en`, `ja`), if the official list has it.
pub fn dialect(code: &str) -> Option<&'static Dialect> {
    all().get(code)
}

/// English, the language of a file without a `# language:` line.
pub fn english() -> &'static Dialect {
    dialect("en").unwrap_or_else(|| panic!("the official keyword list has no English"))
}
