//! Strict Gherkin parsing, the one way the runner and the dry run read feature
//! files.
//!
//! cucumber-rs reads features with the `gherkin` crate, which lacks keywords of
//! the official list (in Japanese `ルール`, `且つ`, `然し`), says only "Could not
//! parse feature file" without a line or a reason, takes time growing with the
//! square of a file's size (it looks up every line break in the list of all line
//! breaks before it, and every position by walking that list), and — as Gherkin
//! itself — takes any line it does not recognise for description text, so that a
//! misspelled `Scenaro:` or `Gven` silently drops a scenario or a step.
//!
//! This module reads a file line by line into the same [`Feature`] instead:
//!
//! - every keyword of every language of the official list
//!   ([`languages`], `fixtures/gherkin-languages.json`), kept as written;
//! - every error names its line and the reason ([`Problem`]);
//! - a description line that reads like a keyword (close to one of the file's
//!   language, or one out of its place), a step (matching a step definition, or
//!   starting with a step keyword or one close to it), a table row or a doc
//!   string is an error ([`lookalike`]), with the closest keyword;
//! - unknown escapes in table cells (`\x`), rows with more or fewer cells than
//!   the first, empty steps and unclosed doc strings are errors;
//! - one pass over the lines: time linear in the file's size;
//! - a file, line, table or doc string past its limit ([`limits`]) is refused
//!   before it is parsed.

pub mod languages;
pub mod limits;
pub mod lookalike;
mod parser;

use std::path::{Path, PathBuf};

use cucumber::feature::Ext as _;
use cucumber::gherkin::Feature;

pub use lookalike::StepMatcher;
pub use parser::{Problem, parse};

/// Reads, parses and expands (scenario outlines into one scenario per example)
/// the feature file `path`; `shown` is how messages name the file. The problems
/// come as `shown:line: message`.
pub fn read_feature(
    path: &Path,
    shown: &str,
    steps: StepMatcher<'_>,
) -> Result<Feature, Vec<String>> {
    let text = limits::read_limited(path, shown).map_err(|e| vec![e])?;
    let mut feature = parse(&text, steps).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| format!("{shown}:{}: {}", p.line, p.message))
            .collect::<Vec<_>>()
    })?;
    feature.path = Some(path.to_path_buf());
    feature.expand_examples().map_err(|e| {
        vec![format!(
            "{shown}:{}: the placeholder <{}> names no column of the scenario's examples; write a column name of its examples table between < and >",
            e.pos.line, e.name
        )]
    })
}

/// Every feature file (`*.feature`, any case) under `dir`, or `dir` itself if it
/// is a file, sorted by path.
pub fn feature_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("feature"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    if dir.is_file() {
        files.push(dir.to_path_buf());
    } else {
        walk(dir, &mut files)?;
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests;
