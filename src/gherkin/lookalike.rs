//! Description lines that read like something else. Gherkin takes any line it
//! does not recognise under a `Feature:`, `Rule:`, `Background:`, `Scenario:` or
//! `Examples:` line for description text, so a misspelled keyword (`Scenaro:`,
//! `Gven ...`) silently turns a scenario or a step into prose. These checks find
//! such lines: close to a keyword of the file's language, a keyword out of its
//! place, or text that matches a step definition.

use cucumber::gherkin::StepType;

use super::languages::{Dialect, Title};

/// Which step definition a text matches, if any (the harness passes the suite's
/// step definitions; the type is the definition's `Given`/`When`/`Then`).
pub type StepMatcher<'a> = &'a dyn Fn(&str) -> Option<StepType>;

/// Where a description stands: under which title line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Under `Feature:`.
    Feature,
    /// Under `Rule:`.
    Rule,
    /// Under `Background:`.
    Background,
    /// Under `Scenario:` or `Scenario Outline:`.
    Scenario,
    /// Under `Examples:`.
    Examples,
}

impl Context {
    /// The title keywords that end a description here (the next part begins).
    pub fn ends_with(self, kind: Title) -> bool {
        use Title::*;
        match self {
            Context::Feature => matches!(kind, Background | Scenario | ScenarioOutline | Rule),
            Context::Rule => matches!(kind, Background | Scenario | ScenarioOutline | Rule),
            Context::Background => matches!(kind, Scenario | ScenarioOutline | Rule),
            Context::Scenario | Context::Examples => {
                matches!(kind, Examples | Scenario | ScenarioOutline | Rule)
            }
        }
    }

    /// Whether steps follow a description here.
    pub fn takes_steps(self) -> bool {
        matches!(self, Context::Background | Context::Scenario)
    }
}

/// Edit distance counting a swap of two neighbouring characters as one edit
/// (optimal string alignment), by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// How many edits a word may be from a keyword and still read as that keyword:
/// none for keywords of up to 3 characters (`Rule` is 4, `例` is 1), one up to 7,
/// two beyond (`Scenario`).
fn allowed_edits(keyword: &str) -> usize {
    match keyword.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The title keyword (without its colon) closest to `head`, compared without
/// regard to case, if it is within [`allowed_edits`]; closest first, then the
/// order of the official list.
pub fn closest_title<'d>(dialect: &'d Dialect, head: &str) -> Option<(&'d str, Title)> {
    let head = head.trim().to_lowercase();
    if head.is_empty() || head.chars().count() > 40 {
        return None;
    }
    let mut best: Option<(usize, &str, Title)> = None;
    for kind in Title::ALL {
        for keyword in dialect.titles(kind) {
            let d = distance(&head, &keyword.to_lowercase());
            if d <= allowed_edits(keyword) && best.is_none_or(|(b, _, _)| d < b) {
                best = Some((d, keyword, kind));
            }
        }
    }
    best.map(|(_, k, kind)| (k, kind))
}

/// The step keyword (trimmed, never `*`) closest to `word`, without regard to
/// case; ties go to the order of the official list.
pub fn closest_step_keyword<'d>(dialect: &'d Dialect, word: &str) -> (&'d str, usize) {
    let word = word.trim().to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for (keyword, _) in dialect.step_keywords() {
        let keyword = keyword.trim();
        if keyword == "*" {
            continue;
        }
        let d = distance(&word, &keyword.to_lowercase());
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, keyword));
        }
    }
    match best {
        Some((d, k)) => (k, d),
        None => ("*", usize::MAX),
    }
}

/// Whether the language writes a space after its step keywords (`Given `), or
/// not (`前提`): then a step's text may follow its keyword directly.
fn spaced(dialect: &Dialect) -> bool {
    dialect
        .step_keywords()
        .iter()
        .all(|(k, _)| k.ends_with(' ') || k.trim() == "*")
}

/// The text before a line's first colon (half- or full-width) and the colon.
fn head(line: &str) -> Option<(&str, char)> {
    let at = line.find([':', '：'])?;
    let colon = line[at..].chars().next()?;
    Some((&line[..at], colon))
}

/// Where a keyword out of its place belongs.
fn belongs(kind: Title) -> &'static str {
    match kind {
        Title::Feature => {
            "a file holds one feature, on its first line that is not a comment or tag"
        }
        Title::Background => {
            "a background follows the description of its feature or rule, before the first scenario"
        }
        Title::Rule => "a rule comes after the feature's scenarios, or after another rule",
        Title::Scenario | Title::ScenarioOutline => {
            "a scenario follows a description, steps or examples"
        }
        Title::Examples => "examples follow the steps of a scenario outline",
    }
}

/// The problem with a description line (trimmed), if it reads like something
/// other than description text; `None` for plain prose.
pub fn problem(
    line: &str,
    context: Context,
    dialect: &Dialect,
    steps: StepMatcher<'_>,
) -> Option<String> {
    const WRITE: &str = "write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description";
    let quoted = shown(line);
    if line.starts_with('|') {
        return Some(format!(
            "{quoted} would be read as description text, but it reads like a table row; a table follows a step or an examples line"
        ));
    }
    if line.starts_with("\"\"\"") || line.starts_with("```") {
        return Some(format!(
            "{quoted} would be read as description text, but it opens a doc string; a doc string follows a step"
        ));
    }
    if let Some((head, colon)) = head(line)
        && let Some((keyword, kind)) = closest_title(dialect, head)
    {
        let head = head.trim_start();
        return Some(if head == keyword && colon == ':' {
            format!(
                "{quoted} would be read as description text: the keyword \"{keyword}:\" is not allowed here ({})",
                belongs(kind)
            )
        } else if head == keyword {
            format!(
                "{quoted} would be read as description text: the keyword's colon is full-width; write \"{keyword}:\""
            )
        } else if head.trim_end() == keyword {
            format!(
                "{quoted} would be read as description text: a keyword's colon follows it without a space; write \"{keyword}:\""
            )
        } else {
            format!(
                "{quoted} would be read as description text, but it reads like a misspelled keyword; closest keyword: \"{keyword}:\"; {WRITE}"
            )
        });
    }
    let step_keywords = dialect.step_keywords();
    if let Some((keyword, _)) = step_keywords
        .iter()
        .find(|(k, _)| k.trim() != "*" && line.starts_with(*k))
    {
        let hint = match context {
            Context::Examples => "steps come before the examples of their scenario",
            _ => {
                "a step belongs to a scenario or background: is the line that opens it missing or misspelled?"
            }
        };
        return Some(format!(
            "{quoted} would be read as description text, but it reads like a step (keyword \"{}\"): {hint}",
            keyword.trim()
        ));
    }
    let first = line.split_whitespace().next().unwrap_or("");
    let (near, d) = closest_step_keyword(dialect, first);
    let long_keyword_misspelled =
        near.chars().count() >= 5 && d <= 1 && step_keywords.iter().all(|(k, _)| k.trim() != first);
    let cut = step_cut(line, dialect, steps);
    if long_keyword_misspelled || cut.as_ref().is_some_and(|(prefix, _)| !prefix.is_empty()) {
        let near = match &cut {
            Some((prefix, _)) if !long_keyword_misspelled => {
                closest_step_keyword(dialect, prefix).0
            }
            _ => near,
        };
        return Some(format!(
            "{quoted} would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: \"{near}\"; {WRITE}"
        ));
    }
    if let Some((_, ty)) = cut {
        return Some(format!(
            "{quoted} would be read as description text, but it reads like a step without its keyword; closest keyword: \"{}\"; write the step's keyword before it, or reword the line if it is meant as description",
            dialect.first_keyword(ty)
        ));
    }
    None
}

/// Whether the line, or the line without what stands where a keyword would
/// (its first word, or in a language without a space after its keywords its
/// first few characters), matches a step definition: that prefix and the
/// definition's type.
fn step_cut(line: &str, dialect: &Dialect, steps: StepMatcher<'_>) -> Option<(String, StepType)> {
    if let Some(ty) = steps(line) {
        return Some((String::new(), ty));
    }
    if let Some((word, rest)) = line.split_once(char::is_whitespace)
        && let Some(ty) = steps(rest.trim())
    {
        return Some((word.to_string(), ty));
    }
    if !spaced(dialect) {
        let longest = dialect
            .step_keywords()
            .iter()
            .map(|(k, _)| k.trim().chars().count())
            .max()
            .unwrap_or(0);
        for (at, _) in line.char_indices().skip(1).take(longest + 1) {
            if let Some(ty) = steps(line[at..].trim()) {
                return Some((line[..at].trim().to_string(), ty));
            }
        }
    }
    None
}

/// A line as messages quote it: in double quotes, cut after 80 characters.
pub fn shown(line: &str) -> String {
    let line = line.trim();
    if line.chars().count() > 80 {
        let cut: String = line.chars().take(77).collect();
        format!("\"{cut}...\"")
    } else {
        format!("\"{line}\"")
    }
}
