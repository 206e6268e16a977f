//! Pure helpers for authoring and running suites at scale: shards of about equal
//! time (`--shard 2/4`, [`balance`]) from the times of a previous run
//! ([`Timings`]), the list of failed scenarios to run again ([`Rerun`]), the
//! closest known step texts and a step definition to paste for an undefined step
//! ([`snippet`]), and the check of the tags feature files carry.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One of `total` disjoint parts of a suite (1-based `index`). A scenario belongs
/// to exactly one shard, decided by [`balance`] from the suite and the times of a
/// previous run, so every runner given the same suite and the same times agrees
/// without talking to the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

/// A shard written wrongly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("shard {text:?}: {reason} (write it as INDEX/TOTAL, e.g. 2/4)")]
pub struct ShardError {
    pub text: String,
    pub reason: &'static str,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let err = |reason| ShardError {
            text: text.to_string(),
            reason,
        };
        let (index, total) = text.trim().split_once('/').ok_or_else(|| err("no '/'"))?;
        let number = |s: &str| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<u32>().map_err(|_| err("a number is too large"))
            } else {
                Err(err("INDEX and TOTAL are whole numbers"))
            }
        };
        let (index, total) = (number(index)?, number(total)?);
        if total == 0 {
            return Err(err("TOTAL is at least 1"));
        }
        if index == 0 || index > total {
            return Err(err("INDEX is 1 to TOTAL"));
        }
        Ok(Shard { index, total })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

pub use kensho_shared::text::closest;

/// Tags a feature, rule, scenario or examples block may carry: `@slow` (left out
/// unless `--slow`), `@serial` (runs alone), `@fault` (fault-injection scenarios).
/// Two more take an argument: `@serial(group)` (one at a time with the other
/// scenarios of its group, beside the rest) and `@differential(flag)`.
pub const KNOWN_TAGS: [&str; 3] = ["slow", "serial", "fault"];

/// The group of a `@serial(group)` tag's name (`serial(group)`), if it is one;
/// `Some("")` for `serial()`.
pub fn serial_group(name: &str) -> Option<&str> {
    name.strip_prefix("serial(")?.strip_suffix(')')
}

/// Japanese names QA might write for the known tags.
const TAGS_JA: [(&str, &str); 7] = [
    ("シリアル", "serial"),
    ("直列", "serial"),
    ("スロー", "slow"),
    ("低速", "slow"),
    ("遅い", "slow"),
    ("フォールト", "fault"),
    ("障害", "fault"),
];

/// Kensho's own tags with what [`tag_problem`] suggests for a near miss of each.
const OWN_TAGS: [(&str, &str); 4] = [
    ("slow", "@slow"),
    ("serial", "@serial"),
    ("fault", "@fault"),
    ("differential", "@differential(flag)"),
];

/// Kensho's own tag (as [`OWN_TAGS`] suggests it) that `name` (without `@` and
/// argument) is a misspelling of, if any: the same name in other case (tags are
/// case-sensitive), a Japanese name of it, or at most one edit away (a swap of two
/// neighbours counting one) (two for
/// `differential`: one edit per six letters, at least one). A team's own tags are
/// further: `smoke` is 3 edits from `slow`, `wip` 4, `fast` 2 from `fault`.
fn near_miss(name: &str) -> Option<&'static str> {
    if let Some((_, english)) = TAGS_JA.iter().find(|(ja, _)| *ja == name) {
        return OWN_TAGS
            .iter()
            .find(|(own, _)| own == english)
            .map(|(_, shown)| *shown);
    }
    let lower = name.to_lowercase();
    OWN_TAGS
        .iter()
        .map(|(own, shown)| {
            (
                crate::gherkin::lookalike::distance(&lower, own),
                own.chars().count(),
                *shown,
            )
        })
        .filter(|&(edits, len, _)| edits <= (len / 6).max(1))
        .min_by_key(|&(edits, _, _)| edits)
        .map(|(_, _, shown)| shown)
}

/// What is wrong with one tag (written with its `@`), or `None` if Kensho has
/// nothing against it. Kensho checks only its own tags: [`KNOWN_TAGS`],
/// `@serial(group)` and `@differential(flag)` with one of `flags` (the flags the
/// registered services declare), and refuses what is close to one of them (a
/// misspelling, other case, a Japanese name, punctuation glued on, a missing or
/// extra argument), which would silently run the wrong thing. Any other tag — a
/// team's `@smoke`, `@JIRA-123`, `@wip` — passes: it selects scenarios with
/// `--tags` and means nothing else to Kensho.
pub fn tag_problem(tag: &str, flags: &[&str]) -> Option<String> {
    // As the console shows it: a tag of thousands of characters is cut.
    let quoted = format!("{:?}", crate::gherkin::limits::cut_for_console(tag));
    let known = || {
        let mut all: Vec<String> = KNOWN_TAGS.iter().map(|t| format!("@{t}")).collect();
        all.insert(2, "@serial(group)".into());
        all.push("@differential(flag)".into());
        all.join(", ")
    };
    let misspelt = |near: &str| {
        let ascii = if tag.is_ascii() {
            ""
        } else {
            "tags are written in ASCII; "
        };
        Some(format!(
            "unknown tag {quoted}; {ascii}closest known tag: {near}; a tag this close to one of Kensho's own ({}) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass)",
            known()
        ))
    };
    let Some(name) = tag.strip_prefix('@') else {
        let near = near_miss(tag)
            .map(|near| format!("; closest known tag: {near}"))
            .unwrap_or_default();
        return Some(format!(
            "{quoted} is not a tag (a tag starts with '@'){near}"
        ));
    };
    if KNOWN_TAGS.contains(&name) {
        return None;
    }
    if name.is_empty() {
        return Some(format!(
            "'@' alone is not a tag: write a tag name after it; the known tags are {}",
            known()
        ));
    }
    if let Some(group) = serial_group(name) {
        if !group.is_empty()
            && group
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return None;
        }
        return Some(format!(
            "{quoted}: a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner)"
        ));
    }
    if let Some(flag) = name
        .strip_prefix("differential(")
        .and_then(|f| f.strip_suffix(')'))
    {
        if flags.contains(&flag) {
            return None;
        }
        let quoted_flag = format!("{:?}", crate::gherkin::limits::cut_for_console(flag));
        return Some(format!(
            "unknown flag {quoted_flag} in {quoted}; known flags: {}",
            if flags.is_empty() {
                "none (no registered service declares a flag)".to_string()
            } else {
                flags.join(", ")
            }
        ));
    }
    if ["sqlite", "postgres", "mariadb"].contains(&name) {
        return Some(format!(
            "{quoted} names an engine, which is chosen with --engines, not by a tag in the file (the runner tags each engine's copy of a scenario, for --tags on the command line); the known tags are {}",
            known()
        ));
    }
    // `@differential` without its flag, `@seriel(runner)`, `@slow(x)`: the name
    // before an argument.
    if let Some((base, _)) = name.split_once('(') {
        let base_near = if base == "serial" {
            Some("@serial(group)")
        } else {
            near_miss(base).map(|near| match near {
                "@serial" => "@serial(group)",
                other => other,
            })
        };
        return base_near.and_then(misspelt);
    }
    if name == "differential" {
        return misspelt("@differential(flag)");
    }
    // `@slow,` `@slow#wip`: punctuation or a comment glued to one of Kensho's tags.
    let plain = name
        .split(['#', ',', ';', ':'])
        .next()
        .unwrap_or(name)
        .trim_end_matches('.');
    if plain != name && !plain.is_empty() {
        let near = if KNOWN_TAGS.contains(&plain) {
            Some(format!("@{plain}"))
        } else {
            near_miss(plain).map(str::to_string)
        };
        return near.map(|near| {
            format!(
                "{quoted} is not a tag: tags are separated by spaces, not punctuation, and a comment starts with \" #\"; closest known tag: {near}"
            )
        });
    }
    near_miss(name).and_then(misspelt)
}

/// Every tag problem of a feature file's text, as `file:line: problem`. Tags are
/// read as Gherkin reads them: the words of a line that starts with `@` (outside
/// doc strings), up to a `#` comment; `@a@b` is two tags. Gherkin itself takes
/// `@slow,` for a tag named `slow,` and stops at a lone `@` with "unknown keyword"
/// on another line; this check names the line and the tag.
pub fn tag_problems(file: &str, text: &str, flags: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut in_docstring: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        for fence in ["\"\"\"", "```"] {
            if trimmed.starts_with(fence) {
                in_docstring = match in_docstring {
                    Some(open) if open == fence => None,
                    None => Some(fence),
                    other => other,
                };
            }
        }
        if in_docstring.is_some() || !trimmed.starts_with('@') {
            continue;
        }
        for word in trimmed.split_whitespace() {
            if word.starts_with('#') {
                break;
            }
            // Gherkin reads `@slow@serial` as two tags.
            let tags: Vec<String> = match word.strip_prefix('@') {
                Some(rest) => rest.split('@').map(|t| format!("@{t}")).collect(),
                None => vec![word.to_string()],
            };
            for tag in tags {
                if let Some(problem) = tag_problem(&tag, flags) {
                    problems.push(format!("{file}:{}: {problem}", i + 1));
                }
            }
        }
    }
    problems
}

/// Which of `total` shards (1-based) each scenario runs in: `scenarios` are the
/// suite's scenarios as (key, time of a previous run in ms if known), and the
/// answer is in their order. With times, greedy longest first: the longest
/// scenario goes to the shard with the least time so far, then the next (a
/// scenario without a time counts as the mean of the known ones, so a new
/// scenario does not upset the balance); without any time, every scenario counts
/// one, so the shards differ by at most one scenario. Ties go by key, then to the
/// lowest shard: every runner computes the same answer.
pub fn balance(scenarios: &[(String, Option<u64>)], total: u32) -> Vec<u32> {
    let total = total.max(1);
    let known: Vec<u64> = scenarios.iter().filter_map(|(_, t)| *t).collect();
    let default = if known.is_empty() {
        1
    } else {
        (known.iter().sum::<u64>().div_ceil(known.len() as u64)).max(1)
    };
    let weight = |t: Option<u64>| {
        if known.is_empty() {
            1
        } else {
            t.unwrap_or(default).max(1)
        }
    };
    let mut order: Vec<usize> = (0..scenarios.len()).collect();
    order.sort_by(|&a, &b| {
        weight(scenarios[b].1)
            .cmp(&weight(scenarios[a].1))
            .then_with(|| scenarios[a].0.cmp(&scenarios[b].0))
    });
    let mut loads = vec![0u64; total as usize];
    let mut owners = vec![0u32; scenarios.len()];
    for i in order {
        let (lightest, _) = loads
            .iter()
            .enumerate()
            .min_by_key(|&(shard, load)| (*load, shard))
            .unwrap_or((0, &0));
        loads[lightest] += weight(scenarios[i].1);
        owners[i] = lightest as u32 + 1;
    }
    owners
}

/// The scenarios of one shard, decided once for the whole suite by [`balance`].
#[derive(Clone, Debug, Default)]
pub struct ShardPlan {
    /// The scenario keys (`path:line`) of this shard.
    pub keys: std::collections::BTreeSet<String>,
}

impl ShardPlan {
    /// The keys of `shard` among `scenarios` (key, previous time if known).
    pub fn new(shard: Shard, scenarios: &[(String, Option<u64>)]) -> ShardPlan {
        let owners = balance(scenarios, shard.total);
        ShardPlan {
            keys: scenarios
                .iter()
                .zip(owners)
                .filter(|(_, owner)| *owner == shard.index)
                .map(|((key, _), _)| key.clone())
                .collect(),
        }
    }

    /// Whether the scenario with this key runs in the shard.
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }
}

/// How long each scenario took in previous runs: by scenario key (`path:line`,
/// relative to the project), the milliseconds per engine of the latest run of it.
/// A run writes them into its reports folder (`target/kensho/reports/timings.json`),
/// merged into what was there, and `--shard` balances by them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// `path:line` → engine → milliseconds.
    pub scenarios: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Timings {
    /// A scenario's time: the sum over the engines it ran on (every engine's copy
    /// of a scenario runs in the same shard).
    pub fn time_of(&self, key: &str) -> Option<u64> {
        self.scenarios.get(key).map(|per| per.values().sum())
    }

    /// Records the time of one scenario on one engine, replacing an older one.
    pub fn record(&mut self, key: String, engine: &str, ms: u64) {
        self.scenarios
            .entry(key)
            .or_default()
            .insert(engine.to_string(), ms);
    }
}

/// One line of a rerun file: a scenario (`path:line`, as [`Timings`] keys it) and
/// the engines it failed on (none written: every engine of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RerunEntry {
    /// The feature file, relative to the project.
    pub path: String,
    /// The scenario's line (an outline's example row: the row's line).
    pub line: usize,
    /// Engine names, e.g. `postgres`.
    pub engines: Vec<String>,
}

/// The failed scenarios of a run, to run them again (`--rerun FILE`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rerun {
    /// One entry per scenario, by path and line.
    pub entries: Vec<RerunEntry>,
}

impl Rerun {
    /// The rerun list of the failed scenario copies `(path, line, engine)`: one
    /// entry per scenario, engines in the order given, sorted by path and line.
    pub fn of_failures(failed: &[(String, usize, String)]) -> Rerun {
        let mut by_scenario: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
        for (path, line, engine) in failed {
            let engines = by_scenario.entry((path.clone(), *line)).or_default();
            if !engines.contains(engine) {
                engines.push(engine.clone());
            }
        }
        Rerun {
            entries: by_scenario
                .into_iter()
                .map(|((path, line), engines)| RerunEntry {
                    path,
                    line,
                    engines,
                })
                .collect(),
        }
    }

    /// Reads a rerun file's text (`file` names it in errors): one scenario a line,
    /// `path:line` then its engines as `@engine` words (`features/billing/x.feature:12
    /// @postgres @mariadb`); blank lines and `#` comments are skipped.
    pub fn parse(file: &str, text: &str) -> Result<Rerun, String> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fix = "write one scenario a line as PATH:LINE, then its engines as @engine words, e.g. features/billing/x.feature:12 @postgres";
            let mut words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
            let mut engines = Vec::new();
            while words.len() > 1 && words.last().is_some_and(|w| w.starts_with('@')) {
                engines.push(words.pop().unwrap_or_default()[1..].to_string());
            }
            engines.reverse();
            let place = words.join(" ");
            let Some((path, number)) = place.rsplit_once(':') else {
                return Err(format!("{file}:{}: {place:?} has no ':LINE'; {fix}", i + 1));
            };
            let number = number
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0 && !path.is_empty())
                .ok_or_else(|| {
                    format!(
                        "{file}:{}: {place:?} is not PATH:LINE with a line number; {fix}",
                        i + 1
                    )
                })?;
            entries.push(RerunEntry {
                path: path.to_string(),
                line: number,
                engines,
            });
        }
        Ok(Rerun { entries })
    }

    /// The rerun file's text: one line per entry, or nothing when nothing failed.
    pub fn text(&self) -> String {
        self.entries
            .iter()
            .map(|e| {
                let engines: String = e.engines.iter().map(|n| format!(" @{n}")).collect();
                format!("{}:{}{engines}\n", e.path, e.line)
            })
            .collect()
    }
}

/// A parameter a step definition snippet takes from the step's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Int,
    Decimal,
    Text,
}

impl Param {
    fn expression(self) -> &'static str {
        match self {
            Param::Int => "{int}",
            Param::Decimal => "{decimal}",
            Param::Text => "{string}",
        }
    }

    fn argument(self) -> (&'static str, &'static str) {
        match self {
            Param::Int => ("number", "i64"),
            Param::Decimal => ("amount", "kensho::steps::authoring::Decimal"),
            Param::Text => ("text", "String"),
        }
    }
}

/// What a word of a step's text is as a parameter: a whole number (`12`, `-3`) is
/// `{int}`, an exact decimal (`80,000`, `1234.50`, `-0.5`) is `{decimal}`; dates
/// (`2026-11-23`) and codes stay text.
fn number_kind(word: &str) -> Option<Param> {
    let digits = word.strip_prefix('-').unwrap_or(word);
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if all_digits(digits) {
        return Some(Param::Int);
    }
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) if all_digits(fraction) => (whole, Some(fraction)),
        Some(_) => return None,
        None => (digits, None),
    };
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let grouped = groups.clone().count() > 0;
    let groups_ok = groups.all(|g| g.len() == 3 && all_digits(g));
    let first_ok = all_digits(first) && (!grouped || first.len() <= 3);
    (first_ok && groups_ok && (grouped || fraction.is_some())).then_some(Param::Decimal)
}

/// A cucumber expression's literal text: `(`, `)`, `{`, `}`, `/` and `\` escaped.
fn expression_literal(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '(' | ')' | '{' | '}' | '/' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A step definition to paste for an undefined step: `kind` is `Given`, `When` or
/// `Then` (an `And`/`But` step's meaning), `text` the step's text. Quoted strings
/// become `{string}`, whole numbers `{int}`, exact decimals and amounts
/// `{decimal}` (Kensho's [`crate::steps::authoring::Decimal`], never a float); the
/// function takes the World and one typed argument per parameter.
pub fn snippet(kind: &str, text: &str) -> String {
    let mut expression = String::new();
    let mut params: Vec<Param> = Vec::new();
    let mut words_of_name: Vec<String> = Vec::new();
    let mut literal = |part: &str, expression: &mut String, params: &mut Vec<Param>| {
        for (i, piece) in part.split(' ').enumerate() {
            if i > 0 {
                expression.push(' ');
            }
            let core = piece.trim_end_matches(['.', ',', ':', ';', '!', '?']);
            match number_kind(core) {
                Some(param) => {
                    expression.push_str(param.expression());
                    expression_literal(&piece[core.len()..], expression);
                    params.push(param);
                }
                None => {
                    expression_literal(piece, expression);
                    let word: String = piece
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if word.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        words_of_name.push(word);
                    }
                }
            }
        }
    };
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let Some(close) = rest[open + 1..].find('"') else {
            break;
        };
        literal(&rest[..open], &mut expression, &mut params);
        expression.push_str(Param::Text.expression());
        params.push(Param::Text);
        rest = &rest[open + 1 + close + 1..];
    }
    literal(rest, &mut expression, &mut params);
    let attribute = kind.to_ascii_lowercase();
    let mut name = attribute.clone();
    for word in words_of_name.iter().take(6) {
        name.push('_');
        name.push_str(word);
    }
    let mut arguments = String::from("w: &mut ScenarioWorld");
    for (i, param) in params.iter().enumerate() {
        let (base, ty) = param.argument();
        let same = params.iter().filter(|p| *p == param).count();
        let nth = params[..=i].iter().filter(|p| *p == param).count();
        let suffix = if same > 1 {
            nth.to_string()
        } else {
            String::new()
        };
        arguments.push_str(&format!(", {base}{suffix}: {ty}"));
    }
    let quoted = expression.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "#[{attribute}(expr = \"{quoted}\")]\nasync fn {name}({arguments}) -> anyhow::Result<()> {{\n    todo!(\"call the library, then keep or check what it gave\")\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_tag_is_cut_in_its_message() {
        let tag = format!("@serial({})", "X".repeat(30_000));
        let problem = tag_problem(&tag, &[]).expect("refused");
        assert!(
            problem.contains("… (29809 more characters)\": a serial group is named"),
            "{}",
            &problem[..300]
        );
        assert!(problem.len() < 400, "{}", problem.len());
    }

    #[test]
    fn shards_parse_and_refuse_with_the_reason() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, total: 4 }));
        for (text, reason) in [
            ("2", "no '/'"),
            ("0/4", "INDEX is 1 to TOTAL"),
            ("5/4", "INDEX is 1 to TOTAL"),
            ("1/0", "TOTAL is at least 1"),
            ("a/4", "INDEX and TOTAL are whole numbers"),
            ("-1/4", "INDEX and TOTAL are whole numbers"),
        ] {
            assert_eq!(text.parse::<Shard>().unwrap_err().reason, reason, "{text}");
        }
    }

    fn suite(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("features/x{}.feature:{}", i % 7, 10 + i))
            .collect()
    }

    /// Total per shard of `weights` split by `owners`.
    fn totals(owners: &[u32], weights: &[u64], total: u32) -> Vec<u64> {
        (1..=total)
            .map(|index| {
                owners
                    .iter()
                    .zip(weights)
                    .filter(|(o, _)| **o == index)
                    .map(|(_, w)| *w)
                    .sum()
            })
            .collect()
    }

    #[test]
    fn without_times_the_shards_differ_by_at_most_one_scenario() {
        let keys = suite(250);
        let untimed: Vec<(String, Option<u64>)> = keys.iter().map(|k| (k.clone(), None)).collect();
        for total in 1..=5u32 {
            let owners = balance(&untimed, total);
            let counts = totals(&owners, &vec![1; keys.len()], total);
            assert_eq!(counts.iter().sum::<u64>(), 250);
            let (min, max) = (counts.iter().min(), counts.iter().max());
            assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{counts:?}");
            // Every scenario in exactly one shard, the same one in every runner.
            let plans: Vec<ShardPlan> = (1..=total)
                .map(|index| ShardPlan::new(Shard { index, total }, &untimed))
                .collect();
            for key in &keys {
                assert_eq!(plans.iter().filter(|p| p.contains(key)).count(), 1, "{key}");
            }
            assert_eq!(owners, balance(&untimed, total));
        }
    }

    #[test]
    fn with_times_the_shards_take_about_equal_time() {
        // A suite like Kensho's: most scenarios take a fraction of a second, a few
        // take tens of seconds (the karte purge beside saving clients, the runs of
        // Kensho itself).
        let keys = suite(250);
        let weights: Vec<u64> = (0..250u64)
            .map(|i| match i % 50 {
                0 => 40_000 + i * 10,
                7 | 19 => 9_000,
                _ => 150 + (i * 37) % 900,
            })
            .collect();
        let timed: Vec<(String, Option<u64>)> = keys
            .iter()
            .zip(&weights)
            .map(|(k, w)| (k.clone(), Some(*w)))
            .collect();
        let sum: u64 = weights.iter().sum();
        for total in 2..=4u32 {
            let by_time = totals(&balance(&timed, total), &weights, total);
            assert_eq!(by_time.iter().sum::<u64>(), sum);
            let (min, max) = (by_time.iter().min().unwrap(), by_time.iter().max().unwrap());
            // Greedy longest first: within the longest scenario of the even share.
            assert!(max - min <= 40_490, "{total} shards by time: {by_time:?}");
            assert!(max * 100 <= (sum / u64::from(total)) * 105, "{by_time:?}");
            // Splitting the same suite by count leaves a shard far over its share.
            let untimed: Vec<(String, Option<u64>)> =
                keys.iter().map(|k| (k.clone(), None)).collect();
            let by_count = totals(&balance(&untimed, total), &weights, total);
            let worst = by_count.iter().max().unwrap();
            assert!(
                worst > max,
                "{total}: by count {by_count:?}, by time {by_time:?}"
            );
        }
        // A scenario without a time counts as the mean of the known ones.
        let mut partly = timed.clone();
        partly.push(("features/new.feature:3".into(), None));
        assert_eq!(balance(&partly, 3).len(), 251);
    }

    #[test]
    fn closest_texts_come_first() {
        let known = [
            "the purge runs",
            "the purge removed 2 photos and 0 customers",
            "today is 2026-11-23",
        ];
        assert_eq!(closest("the purge run", &known, 1), vec!["the purge runs"]);
        assert_eq!(
            closest("today was 2026-11-23", &known, 2)[0],
            "today is 2026-11-23"
        );
    }

    #[test]
    fn kensho_checks_its_own_tags_and_lets_others_pass() {
        for ok in [
            "@slow",
            "@serial",
            "@fault",
            "@differential(ledger.fast_path)",
            "@serial(runner)",
            // A team's own tags: far from Kensho's.
            "@smoke",
            "@JIRA-123",
            "@wip",
            "@allow.skipped",
            "@fast",
            "@回帰",
            "@regression",
        ] {
            assert_eq!(tag_problem(ok, &["ledger.fast_path"]), None, "{ok}");
        }
        let tail = "a tag this close to one of Kensho's own (@slow, @serial, @serial(group), @fault, @differential(flag)) is taken for a misspelling of it (tags of your own, such as @smoke or @JIRA-123, pass)";
        for (tag, near) in [
            ("@slwo", "@slow"),
            ("@Slow", "@slow"),
            ("@SERIAL", "@serial"),
            ("@seriel", "@serial"),
            ("@falut", "@fault"),
            ("@differntial(x)", "@differential(flag)"),
            ("@diferential(ledger.fast_path)", "@differential(flag)"),
            ("@differential", "@differential(flag)"),
            ("@seriel(runner)", "@serial(group)"),
            ("@slow(x)", "@slow"),
        ] {
            assert_eq!(
                tag_problem(tag, &["ledger.fast_path"]),
                Some(format!(
                    "unknown tag {tag:?}; closest known tag: {near}; {tail}"
                )),
                "{tag}"
            );
        }
        let problems = tag_problems(
            "f.feature",
            "@slow @serial @smoke\nFeature: x\n  \"\"\"\n  @inside a doc string\n  \"\"\"\n  @ @slow, @シリアル @slwo # @comment\n  @differential(x) @slow@seriel @wip@JIRA-7\n  @slow#wip @smoke, @serial wip\n",
            &["ledger.fast_path"],
        );
        assert_eq!(
            problems,
            [
                "f.feature:6: '@' alone is not a tag: write a tag name after it; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag)".to_string(),
                "f.feature:6: \"@slow,\" is not a tag: tags are separated by spaces, not punctuation, and a comment starts with \" #\"; closest known tag: @slow".into(),
                format!("f.feature:6: unknown tag \"@シリアル\"; tags are written in ASCII; closest known tag: @serial; {tail}"),
                format!("f.feature:6: unknown tag \"@slwo\"; closest known tag: @slow; {tail}"),
                "f.feature:7: unknown flag \"x\" in \"@differential(x)\"; known flags: ledger.fast_path".into(),
                format!("f.feature:7: unknown tag \"@seriel\"; closest known tag: @serial; {tail}"),
                "f.feature:8: \"@slow#wip\" is not a tag: tags are separated by spaces, not punctuation, and a comment starts with \" #\"; closest known tag: @slow".into(),
                "f.feature:8: \"wip\" is not a tag (a tag starts with '@')".into(),
            ]
        );
    }

    #[test]
    fn rerun_files_read_back_what_was_written() {
        let failed = [
            ("features/b.feature".to_string(), 12, "postgres".to_string()),
            ("features/a b.feature".to_string(), 30, "sqlite".to_string()),
            ("features/b.feature".to_string(), 12, "mariadb".to_string()),
        ];
        let rerun = Rerun::of_failures(&failed);
        let text = rerun.text();
        assert_eq!(
            text,
            "features/a b.feature:30 @sqlite\nfeatures/b.feature:12 @postgres @mariadb\n"
        );
        assert_eq!(Rerun::parse("r.txt", &text), Ok(rerun));
        assert_eq!(Rerun::of_failures(&[]).text(), "");
        let hand = Rerun::parse("r.txt", "# from CI\n\nfeatures/c.feature:4\n").unwrap();
        assert_eq!(
            hand.entries,
            [RerunEntry {
                path: "features/c.feature".into(),
                line: 4,
                engines: vec![]
            }]
        );
        assert_eq!(
            Rerun::parse("r.txt", "features/c.feature:4\nfeatures/c.feature @sqlite\n"),
            Err("r.txt:2: \"features/c.feature\" has no ':LINE'; write one scenario a line as PATH:LINE, then its engines as @engine words, e.g. features/billing/x.feature:12 @postgres".into())
        );
        assert!(
            Rerun::parse("r.txt", "features/c.feature:x\n")
                .unwrap_err()
                .starts_with("r.txt:1: \"features/c.feature:x\" is not PATH:LINE")
        );
    }

    #[test]
    fn snippets_type_the_parameters_they_guess() {
        assert_eq!(
            snippet("When", "the accountant closes the month"),
            "#[when(expr = \"the accountant closes the month\")]\nasync fn when_the_accountant_closes_the_month(w: &mut ScenarioWorld) -> anyhow::Result<()> {\n    todo!(\"call the library, then keep or check what it gave\")\n}\n"
        );
        let s = snippet(
            "Given",
            "\"Sato\" owes 80,000 yen for 3 months, then \"Kato\" 1234.50 (on 2026-11-23)",
        );
        assert!(s.starts_with("#[given(expr = \"{string} owes {decimal} yen for {int} months, then {string} {decimal} \\\\(on 2026-11-23\\\\)\")]\nasync fn given_owes_yen_for_months_then_on("), "{s}");
        assert!(s.contains("(w: &mut ScenarioWorld, text1: String, amount1: kensho::steps::authoring::Decimal, number: i64, text2: String, amount2: kensho::steps::authoring::Decimal) -> anyhow::Result<()>"), "{s}");
        for (word, kind) in [
            ("12", Some(Param::Int)),
            ("-3", Some(Param::Int)),
            ("80,000", Some(Param::Decimal)),
            ("1,234.50", Some(Param::Decimal)),
            ("-0.5", Some(Param::Decimal)),
            ("2026-11-23", None),
            ("1,2", None),
            ("1.", None),
            ("A-12", None),
        ] {
            assert_eq!(number_kind(word), kind, "{word}");
        }
        // Japanese text keeps its words in the expression; the name is the keyword's.
        assert!(
            snippet("Then", "請求が3件ある")
                .starts_with("#[then(expr = \"請求が3件ある\")]\nasync fn then(w")
        );
    }
}

#[cfg(test)]
mod gherkin_tags {
    use cucumber::gherkin::{Feature, GherkinEnv};

    fn parse(tags: &str) -> Result<Vec<String>, String> {
        let text = format!("Feature: f\n\n  {tags}\n  Scenario: s\n    Given x\n");
        Feature::parse(&text, GherkinEnv::default())
            .map(|f| f.scenarios[0].tags.clone())
            .map_err(|e| e.to_string())
    }

    /// The tag check reads tags as cucumber-rs's Gherkin parser does.
    #[test]
    fn how_gherkin_reads_tags() {
        assert_eq!(
            parse("@slow @serial # c"),
            Ok(vec!["slow".into(), "serial".into()])
        );
        assert_eq!(
            parse("@slow@serial"),
            Ok(vec!["slow".into(), "serial".into()])
        );
        assert_eq!(parse("@slow,"), Ok(vec!["slow,".into()]));
        assert_eq!(parse("@シリアル"), Ok(vec!["シリアル".into()]));
        assert!(parse("@").unwrap_err().contains("unknown keyword"));
    }
}
