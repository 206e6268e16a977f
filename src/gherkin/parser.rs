//! A line-by-line Gherkin parser: every keyword of the official list in every
//! language, errors that name the line and the reason, and one pass over the
//! text (time linear in its size). It builds the same [`gherkin::Feature`] the
//! cucumber runner takes.

use cucumber::gherkin::{
    Background, Examples, Feature, LineCol, Rule, Scenario, Span, Step, StepType, Table,
};

use super::languages::{self, Dialect, StepKeyword, Title};
use super::lookalike::{self, Context, StepMatcher, shown};

/// A problem in a feature file: its line (1-based) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line (1 = the first).
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// How many description lines that read like something else one file reports
/// (the rest are counted).
const MOST_LOOKALIKES: usize = 20;

/// One line of the text.
struct Line<'t> {
    /// Byte offset of its first character.
    offset: usize,
    /// Its text without the line break.
    raw: &'t str,
}

impl<'t> Line<'t> {
    /// The text without leading white space.
    fn text(&self) -> &'t str {
        self.raw.trim_start()
    }

    /// Bytes of leading white space.
    fn indent(&self) -> usize {
        self.raw.len() - self.text().len()
    }
}

/// What a line is (outside doc strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind<'t> {
    Empty,
    Comment,
    Tags,
    /// A title line: kind, keyword as written, and the name after the colon.
    Title(Title, &'static str, &'t str),
    /// A step: keyword as written (with its space), what it says of the type,
    /// and the text.
    Step(&'static str, StepKeyword, &'t str),
    /// A doc string separator (`"""` or three backquotes).
    DocString(&'static str),
    Row,
    Other,
}

struct Parser<'t> {
    lines: Vec<Line<'t>>,
    /// The next line to read.
    at: usize,
    dialect: &'static Dialect,
    step_keywords: Vec<(&'static str, StepKeyword)>,
    steps: StepMatcher<'t>,
    /// Description lines that read like something else.
    lookalikes: Vec<Problem>,
    lookalikes_left_out: usize,
    /// How many times a line was classified (a line is looked at a bounded
    /// number of times: the parse is linear).
    looked: std::cell::Cell<usize>,
}

/// Parses a feature file's text. `steps` tells which step definition a text
/// matches: a description line that reads like a step, or like a keyword of the
/// file's language, is a problem (Gherkin would silently take it for prose).
/// All such lines are reported, and the first structural error.
pub fn parse(text: &str, steps: StepMatcher<'_>) -> Result<Feature, Vec<Problem>> {
    parse_counting(text, steps).0
}

/// How many times the parser classifies a line of `text` (at most a few times
/// per line).
#[cfg(test)]
pub(super) fn lines_looked_at(text: &str) -> usize {
    parse_counting(text, &|_| None).1
}

/// [`parse`], and how many times a line was classified.
fn parse_counting(text: &str, steps: StepMatcher<'_>) -> (Result<Feature, Vec<Problem>>, usize) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in text.split('\n') {
        let len = raw.len();
        lines.push(Line {
            offset,
            raw: raw.strip_suffix('\r').unwrap_or(raw),
        });
        offset += len + 1;
    }
    if text.ends_with('\n') {
        lines.pop();
    }
    let dialect = match language(&lines) {
        Ok(d) => d,
        Err(problem) => return (Err(vec![problem]), 0),
    };
    let mut parser = Parser {
        lines,
        at: 0,
        dialect,
        step_keywords: dialect.step_keywords(),
        steps,
        lookalikes: Vec::new(),
        lookalikes_left_out: 0,
        looked: std::cell::Cell::new(0),
    };
    let parsed = parser.feature();
    let mut problems = std::mem::take(&mut parser.lookalikes);
    if parser.lookalikes_left_out > 0 {
        let line = problems.last().map_or(1, |p| p.line);
        problems.push(Problem {
            line,
            message: format!(
                "{} more description lines read like keywords or steps (not shown)",
                parser.lookalikes_left_out
            ),
        });
    }
    let outcome = match parsed {
        Ok(feature) if problems.is_empty() => Ok(feature),
        Ok(_) => Err(problems),
        Err(error) => {
            problems.push(error);
            problems.sort_by_key(|p| p.line);
            Err(problems)
        }
    };
    (outcome, parser.looked.get())
}

/// The language of the file: a `# language: xx` line before the first line that
/// is not blank or a comment, or English.
fn language(lines: &[Line<'_>]) -> Result<&'static Dialect, Problem> {
    for (i, line) in lines.iter().enumerate() {
        let text = line.text();
        if text.is_empty() {
            continue;
        }
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let Some(rest) = comment.trim_start().strip_prefix("language") else {
            continue;
        };
        let Some(code) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let code = code.trim();
        if code.is_empty()
            || !code
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
        {
            continue;
        }
        return languages::dialect(code).ok_or_else(|| {
            let codes: Vec<&str> = languages::all().keys().map(String::as_str).collect();
            let near = kensho_shared::text::closest(code, &codes, 1);
            Problem {
                line: i + 1,
                message: format!(
                    "unknown language {code:?} in the \"# language:\" line; closest known: {:?} (the official list has {} languages: {})",
                    near.first().copied().unwrap_or("en"),
                    codes.len(),
                    codes.join(", ")
                ),
            }
        });
    }
    Ok(languages::english())
}

/// The positions the cucumber runner reports: line and (byte) column.
fn at(line: usize, column: usize) -> LineCol {
    LineCol { line, col: column }
}

impl<'t> Parser<'t> {
    fn kind(&self, i: usize) -> Kind<'t> {
        self.looked.set(self.looked.get() + 1);
        let text = self.lines[i].text();
        if text.is_empty() {
            return Kind::Empty;
        }
        if text.starts_with('#') {
            return Kind::Comment;
        }
        if text.starts_with('@') {
            return Kind::Tags;
        }
        for kind in Title::ALL {
            for keyword in self.dialect.titles(kind) {
                if let Some(rest) = text.strip_prefix(keyword.as_str())
                    && let Some(name) = rest.strip_prefix(':')
                {
                    return Kind::Title(kind, keyword, name.trim());
                }
            }
        }
        for (keyword, ty) in &self.step_keywords {
            if let Some(rest) = text.strip_prefix(keyword) {
                return Kind::Step(keyword, *ty, rest.trim());
            }
        }
        for separator in ["\"\"\"", "```"] {
            if text.starts_with(separator) {
                return Kind::DocString(separator);
            }
        }
        if text.starts_with('|') {
            return Kind::Row;
        }
        Kind::Other
    }

    /// Skips blank and comment lines; the next line's index, if any.
    fn next(&mut self) -> Option<usize> {
        while self.at < self.lines.len() {
            match self.kind(self.at) {
                Kind::Empty | Kind::Comment => self.at += 1,
                _ => return Some(self.at),
            }
        }
        None
    }

    /// The first line from `from` on that is not blank, a comment or tags.
    fn after_tags(&self, from: usize) -> Option<usize> {
        (from..self.lines.len())
            .find(|&i| !matches!(self.kind(i), Kind::Empty | Kind::Comment | Kind::Tags))
    }

    /// What the next part is: the next line, or the line after its tags.
    fn upcoming(&mut self) -> Option<(usize, Kind<'t>)> {
        let i = self.next()?;
        let owner = match self.kind(i) {
            Kind::Tags => self.after_tags(i),
            _ => Some(i),
        };
        Some(match owner {
            Some(j) => (j, self.kind(j)),
            None => (i, Kind::Tags),
        })
    }

    fn problem(&self, i: usize, message: impl Into<String>) -> Problem {
        Problem {
            line: i + 1,
            message: message.into(),
        }
    }

    fn column(&self, i: usize) -> usize {
        self.lines[i].indent() + 1
    }

    fn span(&self, i: usize, end: usize) -> Span {
        Span {
            start: self.lines[i].offset + self.lines[i].indent(),
            end: self.lines[end.min(self.lines.len() - 1)].offset
                + self.lines[end.min(self.lines.len() - 1)].raw.len(),
        }
    }

    /// The title keyword of `kind` as messages write it (`"Scenario:"`): the
    /// English name where the language has it among its keywords, else its first.
    fn title(&self, kind: Title) -> String {
        let keywords = self.dialect.titles(kind);
        let keyword = keywords
            .iter()
            .find(|k| k.as_str() == kind.english())
            .or(keywords.first())
            .map_or("?", String::as_str);
        format!("\"{keyword}:\"")
    }

    /// The tags on the tag lines from the next line on (blank and comment lines
    /// may stand between them).
    fn tags(&mut self) -> Result<Vec<String>, Problem> {
        let mut tags = Vec::new();
        while let Some(i) = self.next() {
            if self.kind(i) != Kind::Tags {
                break;
            }
            for word in self.lines[i].text().split_whitespace() {
                if word.starts_with('#') {
                    break;
                }
                let Some(names) = word.strip_prefix('@') else {
                    return Err(self.problem(
                        i,
                        format!("{word:?} is not a tag (a tag starts with '@'); write tags separated by spaces, and comments after '#'"),
                    ));
                };
                for name in names.split('@') {
                    if name.is_empty() {
                        return Err(
                            self.problem(i, "'@' alone is not a tag: write a tag name after it")
                        );
                    }
                    tags.push(name.to_string());
                }
            }
            self.at = i + 1;
        }
        Ok(tags)
    }

    /// What the line `i` is, for a message: `"text"` or "the end of the file".
    fn found(&self, i: Option<usize>) -> String {
        match i {
            Some(i) => shown(self.lines[i].text()),
            None => "the end of the file".to_string(),
        }
    }

    /// The error for the line `i`, which cannot stand here; `expected` says what
    /// could.
    fn misplaced(&self, i: usize, kind: Kind<'t>, expected: &str) -> Problem {
        let found = self.found(Some(i));
        let message = match kind {
            Kind::Title(Title::Feature, ..) => {
                format!("{found}: a file holds one feature; start another file for it")
            }
            Kind::Title(Title::Background, ..) => format!(
                "{found}: a background follows the description of its feature or rule, before the first scenario; expected {expected}"
            ),
            Kind::Title(Title::Examples, ..) => format!(
                "{found}: examples follow the steps of a scenario outline; expected {expected}"
            ),
            Kind::Title(Title::Rule, ..) => {
                format!("{found}: a rule cannot stand here; expected {expected}")
            }
            Kind::Step(..) => format!(
                "{found}: a step belongs to a scenario or background, before its examples (is the line that opens the scenario missing or misspelled?); expected {expected}"
            ),
            Kind::Row => format!(
                "{found}: a table row follows a step or an examples line (and has as many cells as the table's first row); expected {expected}"
            ),
            Kind::DocString(_) => format!(
                "{found}: a doc string follows a step (at most one per step); expected {expected}"
            ),
            Kind::Tags => {
                let owner = self.after_tags(i);
                format!(
                    "tags must be followed by {}, {}, {} or {}, not {}",
                    self.title(Title::Feature),
                    self.title(Title::Rule),
                    self.title(Title::Scenario),
                    self.title(Title::Examples),
                    self.found(owner)
                )
            }
            _ => {
                let text = self.lines[i].text();
                let near = self.closest_keyword(text);
                format!(
                    "unexpected text {found}: expected {expected}{}",
                    near.map(|k| format!("; closest keyword: \"{k}\""))
                        .unwrap_or_default()
                )
            }
        };
        self.problem(i, message)
    }

    /// The keyword a line that is none seems meant to start with: a title keyword
    /// (with its colon) close to the text before a colon, or a step keyword close
    /// to the first word.
    fn closest_keyword(&self, text: &str) -> Option<String> {
        if let Some(colon) = text.find([':', '：'])
            && let Some((keyword, _)) = lookalike::closest_title(self.dialect, &text[..colon])
        {
            return Some(format!("{keyword}:"));
        }
        let first = text.split_whitespace().next()?;
        let (keyword, d) = lookalike::closest_step_keyword(self.dialect, first);
        let limit = if keyword.chars().count() >= 4 { 1 } else { 0 };
        (d <= limit).then(|| keyword.to_string())
    }

    /// What may follow, as messages list it.
    fn expected(&self, parts: &[&str]) -> String {
        let words: Vec<String> = parts
            .iter()
            .map(|part| match *part {
                "step" => {
                    let keywords: Vec<&str> = [
                        &self.dialect.given,
                        &self.dialect.when,
                        &self.dialect.then,
                        &self.dialect.and,
                        &self.dialect.but,
                    ]
                    .iter()
                    .filter_map(|list| list.iter().map(|k| k.trim()).find(|k| *k != "*"))
                    .collect();
                    format!("a step ({})", keywords.join(", "))
                }
                "row" => "a table row".to_string(),
                "tags" => "a tag line".to_string(),
                "feature" => self.title(Title::Feature),
                "background" => self.title(Title::Background),
                "scenario" => self.title(Title::Scenario),
                "examples" => self.title(Title::Examples),
                "rule" => self.title(Title::Rule),
                other => other.to_string(),
            })
            .collect();
        match words.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    fn feature(&mut self) -> Result<Feature, Problem> {
        let first = self.next();
        let tags = self.tags()?;
        let Some(i) = self.next() else {
            return Err(match first {
                None => self.problem(
                    0,
                    format!(
                        "the file has no feature: it is empty or holds only comments; begin it with {} and a name",
                        self.title(Title::Feature)
                    ),
                ),
                Some(t) => self.problem(
                    t,
                    format!(
                        "tags must be followed by {}, not the end of the file",
                        self.title(Title::Feature)
                    ),
                ),
            });
        };
        let Kind::Title(Title::Feature, keyword, name) = self.kind(i) else {
            return Err(self.not_a_feature(i));
        };
        self.at = i + 1;
        let description = self.description(Context::Feature);
        let background = self.background()?;
        let scenarios = self.scenarios()?;
        let mut rules = Vec::new();
        loop {
            match self.upcoming() {
                None => break,
                Some((_, Kind::Title(Title::Rule, ..))) => rules.push(self.rule()?),
                Some((j, kind)) => {
                    let expected = if rules.is_empty() {
                        self.expected(&["tags", "scenario", "rule"])
                    } else {
                        self.expected(&["tags", "rule"])
                    };
                    return Err(self.misplaced(j, kind, &expected));
                }
            }
        }
        Ok(Feature::builder()
            .keyword(keyword.to_string())
            .name(name.to_string())
            .description(description)
            .background(background)
            .scenarios(scenarios)
            .rules(rules)
            .tags(tags)
            .span(self.span(i, self.lines.len()))
            .position(at(i + 1, self.column(i)))
            .build())
    }

    /// The error for a first line that is not the feature's: with the language
    /// whose keyword it starts with, or the closest keyword.
    fn not_a_feature(&self, i: usize) -> Problem {
        let text = self.lines[i].text();
        let other_language = languages::all().iter().find_map(|(code, dialect)| {
            dialect
                .feature
                .iter()
                .find(|k| text.starts_with(&format!("{k}:")))
                .map(|k| (code, k))
        });
        let hint = match other_language {
            Some((code, keyword)) => format!(
                "; \"{keyword}:\" is a keyword of the language {code:?}: write \"# language: {code}\" on the first line"
            ),
            None => match self.closest_keyword(text) {
                Some(k) => format!("; closest keyword: \"{k}\""),
                None => String::new(),
            },
        };
        self.problem(
            i,
            format!(
                "expected {} (after comments and tags) but found {}{hint}",
                self.title(Title::Feature),
                self.found(Some(i))
            ),
        )
    }

    /// A description: the lines up to the next part (`context` says which parts
    /// end it), blank and comment lines left out. Lines that read like keywords
    /// or steps are recorded as problems.
    fn description(&mut self, context: Context) -> Option<String> {
        let mut text: Vec<&str> = Vec::new();
        while self.at < self.lines.len() {
            let i = self.at;
            let ends = match self.kind(i) {
                Kind::Empty | Kind::Comment => {
                    self.at += 1;
                    continue;
                }
                Kind::Tags => true,
                Kind::Title(kind, ..) => context.ends_with(kind),
                Kind::Step(..) => context.takes_steps(),
                Kind::Row => context == Context::Examples,
                Kind::DocString(_) | Kind::Other => false,
            };
            if ends {
                break;
            }
            let line = self.lines[i].text().trim_end();
            if let Some(message) = lookalike::problem(line, context, self.dialect, self.steps) {
                if self.lookalikes.len() < MOST_LOOKALIKES {
                    self.lookalikes.push(self.problem(i, message));
                } else {
                    self.lookalikes_left_out += 1;
                }
            }
            text.push(line);
            self.at += 1;
        }
        (!text.is_empty()).then(|| text.join("\n"))
    }

    fn background(&mut self) -> Result<Option<Background>, Problem> {
        let Some((i, Kind::Title(Title::Background, keyword, name))) = self.upcoming() else {
            return Ok(None);
        };
        if self.next() != Some(i) {
            return Err(self.problem(
                self.at,
                format!(
                    "a background has no tags: move them to the feature, rule or scenarios ({} follows them)",
                    self.found(Some(i))
                ),
            ));
        }
        self.at = i + 1;
        let description = self.description(Context::Background);
        let steps = self.steps()?;
        let expected = self.expected(&["step", "tags", "scenario", "rule"]);
        match self.upcoming() {
            None
            | Some((_, Kind::Title(Title::Scenario | Title::ScenarioOutline | Title::Rule, ..))) => {
            }
            Some((j, kind)) => return Err(self.misplaced(j, kind, &expected)),
        }
        Ok(Some(
            Background::builder()
                .keyword(keyword.to_string())
                .name(name.to_string())
                .description(description)
                .steps(steps)
                .span(self.span(i, self.at.saturating_sub(1)))
                .position(at(i + 1, self.column(i)))
                .build(),
        ))
    }

    /// The scenarios up to the next rule or the end.
    fn scenarios(&mut self) -> Result<Vec<Scenario>, Problem> {
        let mut scenarios = Vec::new();
        while let Some((_, Kind::Title(Title::Scenario | Title::ScenarioOutline, ..))) =
            self.upcoming()
        {
            scenarios.push(self.scenario()?);
        }
        Ok(scenarios)
    }

    fn scenario(&mut self) -> Result<Scenario, Problem> {
        let tags = self.tags()?;
        let i = self.at;
        let Kind::Title(_, keyword, name) = self.kind(i) else {
            return Err(self.misplaced(i, self.kind(i), &self.expected(&["scenario"])));
        };
        self.at = i + 1;
        let description = self.description(Context::Scenario);
        let steps = self.steps()?;
        let mut examples = Vec::new();
        loop {
            match self.upcoming() {
                Some((_, Kind::Title(Title::Examples, ..))) => examples.push(self.examples()?),
                None
                | Some((
                    _,
                    Kind::Title(Title::Scenario | Title::ScenarioOutline | Title::Rule, ..),
                )) => break,
                Some((j, kind)) => {
                    let expected = if examples.is_empty() {
                        self.expected(&["step", "examples", "tags", "scenario", "rule"])
                    } else {
                        self.expected(&["examples", "tags", "scenario", "rule"])
                    };
                    return Err(self.misplaced(j, kind, &expected));
                }
            }
        }
        Ok(Scenario::builder()
            .keyword(keyword.to_string())
            .name(name.to_string())
            .description(description)
            .steps(steps)
            .examples(examples)
            .tags(tags)
            .span(self.span(i, self.at.saturating_sub(1)))
            .position(at(i + 1, self.column(i)))
            .build())
    }

    fn examples(&mut self) -> Result<Examples, Problem> {
        let tags = self.tags()?;
        let i = self.at;
        let Kind::Title(Title::Examples, keyword, name) = self.kind(i) else {
            return Err(self.misplaced(i, self.kind(i), &self.expected(&["examples"])));
        };
        self.at = i + 1;
        let description = self.description(Context::Examples);
        let table = match self.next() {
            Some(j) if self.kind(j) == Kind::Row => Some(self.table()?),
            _ => None,
        };
        Ok(Examples::builder()
            .keyword(keyword.to_string())
            .name((!name.is_empty()).then(|| name.to_string()))
            .description(description)
            .table(table)
            .tags(tags)
            .span(self.span(i, self.at.saturating_sub(1)))
            .position(at(i + 1, self.column(i)))
            .build())
    }

    fn rule(&mut self) -> Result<Rule, Problem> {
        let tags = self.tags()?;
        let i = self.at;
        let Kind::Title(Title::Rule, keyword, name) = self.kind(i) else {
            return Err(self.misplaced(i, self.kind(i), &self.expected(&["rule"])));
        };
        self.at = i + 1;
        let description = self.description(Context::Rule);
        let background = self.background()?;
        let scenarios = self.scenarios()?;
        Ok(Rule::builder()
            .keyword(keyword.to_string())
            .name(name.to_string())
            .description(description)
            .background(background)
            .scenarios(scenarios)
            .tags(tags)
            .span(self.span(i, self.at.saturating_sub(1)))
            .position(at(i + 1, self.column(i)))
            .build())
    }

    /// The steps from the next line on, each with its table and doc string.
    fn steps(&mut self) -> Result<Vec<Step>, Problem> {
        let mut steps = Vec::new();
        let mut last: Option<StepType> = None;
        while let Some(i) = self.next() {
            let Kind::Step(keyword, kind, text) = self.kind(i) else {
                break;
            };
            if text.is_empty() {
                return Err(self.problem(
                    i,
                    format!(
                        "the step {} has no text: write what it does after its keyword",
                        shown(self.lines[i].text())
                    ),
                ));
            }
            self.at = i + 1;
            let ty = match kind {
                StepKeyword::Typed(ty) => ty,
                StepKeyword::Conjunction => last.unwrap_or(StepType::Given),
            };
            last = Some(ty);
            let (mut docstring, mut table) = (None, None);
            while let Some(j) = self.next() {
                match self.kind(j) {
                    Kind::DocString(separator) if docstring.is_none() => {
                        docstring = Some(self.docstring(separator)?);
                    }
                    Kind::Row if table.is_none() => table = Some(self.table()?),
                    _ => break,
                }
            }
            steps.push(
                Step::builder()
                    .keyword(keyword.to_string())
                    .ty(ty)
                    .value(text.to_string())
                    .docstring(docstring)
                    .table(table)
                    .span(self.span(i, i))
                    .position(at(i + 1, self.column(i)))
                    .build(),
            );
        }
        Ok(steps)
    }

    /// A doc string from its opening separator to its closing one: the lines
    /// between, each without the opening separator's indentation.
    fn docstring(&mut self, separator: &'static str) -> Result<String, Problem> {
        let open = self.at;
        let indent = self.lines[open]
            .raw
            .chars()
            .take_while(|c| c.is_whitespace())
            .count();
        let escaped = separator
            .chars()
            .map(|c| format!("\\{c}"))
            .collect::<String>();
        let mut content = Vec::new();
        for i in open + 1..self.lines.len() {
            let line = &self.lines[i];
            if line.text().starts_with(separator) {
                self.at = i + 1;
                return Ok(content.join("\n"));
            }
            let leading = line.raw.chars().take_while(|c| c.is_whitespace()).count();
            let text: String = if leading >= indent {
                line.raw.chars().skip(indent).collect()
            } else {
                line.text().to_string()
            };
            content.push(text.replace(&escaped, separator));
        }
        Err(self.problem(
            open,
            format!(
                "the doc string opened here is never closed: end it with a line of {separator}"
            ),
        ))
    }

    /// A data table or an examples table: rows up to the next line that is not
    /// a row (blank and comment lines may stand between rows).
    fn table(&mut self) -> Result<Table, Problem> {
        let first = self.at;
        let mut rows: Vec<Vec<String>> = Vec::new();
        while let Some(i) = self.next() {
            if self.kind(i) != Kind::Row {
                break;
            }
            let row = self.row(i)?;
            if let Some(head) = rows.first()
                && head.len() != row.len()
            {
                return Err(self.problem(
                    i,
                    format!(
                        "this table row has {} cells, but the table's first row (line {}) has {}; every row has as many cells (write \\| for a | inside a cell)",
                        row.len(),
                        first + 1,
                        head.len()
                    ),
                ));
            }
            rows.push(row);
            self.at = i + 1;
        }
        Ok(Table::builder()
            .rows(rows)
            .span(self.span(first, self.at.saturating_sub(1)))
            .position(at(first + 1, self.column(first)))
            .build())
    }

    /// The cells of the row on line `i`: between bars, trimmed, with the escapes
    /// `\|`, `\\` and `\n` read.
    fn row(&self, i: usize) -> Result<Vec<String>, Problem> {
        let text = self.lines[i].text().trim_end();
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut chars = text.chars().skip(1);
        while let Some(c) = chars.next() {
            match c {
                '|' => {
                    cells.push(trim_cell(&cell));
                    cell.clear();
                }
                '\\' => match chars.next() {
                    Some('|') => cell.push('|'),
                    Some('\\') => cell.push('\\'),
                    Some('n') => cell.push('\n'),
                    Some(other) => {
                        return Err(self.problem(
                            i,
                            format!(
                                "table cell \"{}\\{other}\": \"\\{other}\" is not an escape in a table cell; write \\\\ for a backslash, \\| for a bar, \\n for a new line",
                                cell.trim_start()
                            ),
                        ));
                    }
                    None => {
                        return Err(self.problem(
                            i,
                            "the row ends with a backslash: close it with a bar, and write \\\\ for a backslash in a cell",
                        ));
                    }
                },
                _ => cell.push(c),
            }
        }
        if !cell.trim().is_empty() {
            return Err(self.problem(
                i,
                format!(
                    "text after the row's last bar: {:?}; end every row with | (write \\| for a | inside a cell)",
                    cell.trim()
                ),
            ));
        }
        if cells.is_empty() {
            return Err(self.problem(i, "a table row without cells: write | cell | per cell"));
        }
        Ok(cells)
    }
}

/// A cell without the white space around it (a new line written `\n` is kept).
fn trim_cell(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() && c != '\n')
        .to_string()
}
