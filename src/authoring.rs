//! Pure helpers for authoring and running suites at scale: deterministic shards
//! (`--shard 2/4`), the closest known step texts for an undefined step, and the
//! check of the tags feature files carry.

use std::fmt;
use std::str::FromStr;

/// One of `total` disjoint parts of a suite (1-based `index`). A scenario belongs
/// to exactly one shard, decided by a stable hash of its key, so every runner that
/// is given the same suite agrees without talking to the others.
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

/// FNV-1a, 64 bits: stable across runs, machines and Rust versions.
fn stable_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Shard {
    /// Whether the scenario with this key belongs to this shard.
    pub fn contains(&self, key: &str) -> bool {
        stable_hash(key) % u64::from(self.total) == u64::from(self.index - 1)
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

/// What is wrong with one tag (written with its `@`), or `None` if it is known:
/// one of [`KNOWN_TAGS`], `@serial(group)`, or `@differential(flag)` with one of
/// `flags` (the flags the registered services declare).
pub fn tag_problem(tag: &str, flags: &[&str]) -> Option<String> {
    let known = || {
        let mut all: Vec<String> = KNOWN_TAGS.iter().map(|t| format!("@{t}")).collect();
        all.insert(2, "@serial(group)".into());
        all.push("@differential(flag)".into());
        all.join(", ")
    };
    let closest_to = |name: &str| -> String {
        if let Some((_, english)) = TAGS_JA.iter().find(|(ja, _)| *ja == name) {
            return format!("@{english}");
        }
        let mut candidates: Vec<&str> = KNOWN_TAGS.to_vec();
        candidates.push("differential");
        let near = closest(name, &candidates, 1)[0];
        if near == "differential" {
            "@differential(flag)".into()
        } else {
            format!("@{near}")
        }
    };
    let Some(name) = tag.strip_prefix('@') else {
        return Some(format!(
            "{tag:?} is not a tag (a tag starts with '@'); closest known tag: {}",
            closest_to(tag)
        ));
    };
    if KNOWN_TAGS.contains(&name) {
        return None;
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
            "{tag:?}: a serial group is named in lowercase ASCII letters, digits, '_' and '-', e.g. @serial(runner)"
        ));
    }
    if let Some(flag) = name
        .strip_prefix("differential(")
        .and_then(|f| f.strip_suffix(')'))
    {
        if flags.contains(&flag) {
            return None;
        }
        return Some(format!(
            "unknown flag {flag:?} in {tag:?}; known flags: {}",
            if flags.is_empty() {
                "none (no registered service declares a flag)".to_string()
            } else {
                flags.join(", ")
            }
        ));
    }
    if name.is_empty() {
        return Some(format!(
            "'@' alone is not a tag: write a tag name after it; the known tags are {}",
            known()
        ));
    }
    let plain = name.trim_end_matches([',', ';', '.', ':']);
    if plain != name && !plain.is_empty() {
        let suggestion = if KNOWN_TAGS.contains(&plain) {
            format!("@{plain}")
        } else {
            closest_to(plain)
        };
        return Some(format!(
            "{tag:?} is not a tag: tags are separated by spaces, not punctuation; closest known tag: {suggestion}"
        ));
    }
    if ["sqlite", "postgres", "mariadb"].contains(&name) {
        return Some(format!(
            "{tag:?} names an engine, which is chosen with --engines, not by a tag in the file (the runner tags each engine's copy of a scenario, for --tags on the command line); the known tags are {}",
            known()
        ));
    }
    let ascii = if name.is_ascii() {
        ""
    } else {
        "tags are written in ASCII; "
    };
    Some(format!(
        "unknown tag {tag:?}; {ascii}closest known tag: {}; the known tags are {}",
        closest_to(name),
        known()
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_shards_of_a_suite_are_disjoint_and_cover_it() {
        let keys: Vec<String> = (0..600)
            .map(|i| format!("features/x{}.feature\u{0}Scenario {i}\u{0}sqlite", i % 7))
            .collect();
        for total in 1..=5 {
            let mut sizes = Vec::new();
            for key in &keys {
                let owners: Vec<u32> = (1..=total)
                    .filter(|&index| Shard { index, total }.contains(key))
                    .collect();
                assert_eq!(owners.len(), 1, "{key} belongs to {owners:?} of {total}");
            }
            for index in 1..=total {
                sizes.push(
                    keys.iter()
                        .filter(|k| Shard { index, total }.contains(k))
                        .count(),
                );
            }
            assert_eq!(sizes.iter().sum::<usize>(), keys.len());
            // Balanced enough to be useful: no shard gets under half its share.
            assert!(
                sizes.iter().all(|&s| s * 2 * total as usize >= keys.len()),
                "{sizes:?}"
            );
        }
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
    fn tags_are_known_or_refused_with_the_closest_known_tag() {
        for ok in [
            "@slow",
            "@serial",
            "@fault",
            "@differential(ledger.fast_path)",
        ] {
            assert_eq!(tag_problem(ok, &["ledger.fast_path"]), None, "{ok}");
        }
        let problems = tag_problems(
            "f.feature",
            "@slow @serial\nFeature: x\n  \"\"\"\n  @inside a doc string\n  \"\"\"\n  @ @slow, @シリアル @slwo # @comment\n  @differential(x) @slow@seriel\n",
            &["ledger.fast_path"],
        );
        assert_eq!(
            problems,
            [
                "f.feature:6: '@' alone is not a tag: write a tag name after it; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag)",
                "f.feature:6: \"@slow,\" is not a tag: tags are separated by spaces, not punctuation; closest known tag: @slow",
                "f.feature:6: unknown tag \"@シリアル\"; tags are written in ASCII; closest known tag: @serial; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag)",
                "f.feature:6: unknown tag \"@slwo\"; closest known tag: @slow; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag)",
                "f.feature:7: unknown flag \"x\" in \"@differential(x)\"; known flags: ledger.fast_path",
                "f.feature:7: unknown tag \"@seriel\"; closest known tag: @serial; the known tags are @slow, @serial, @serial(group), @fault, @differential(flag)",
            ]
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
