//! The features a run takes, fed to cucumber: every feature read by the strict
//! parser ([`strict_features`]) and copied once per engine by the run's
//! [`Selection`] ([`PerEngine`]). What selects and names scenarios lives in
//! [`crate::selection`], below the runner; it is re-exported here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cucumber::gherkin;
use cucumber::parser::{self, Parser};
use futures::stream::{self, LocalBoxStream, StreamExt};

use crate::db::Engine;

pub use crate::selection::*;

/// Feeds the run the features of its [`Selection`], once per engine: the
/// features read and checked before the run started ([`super::inputs`]).
pub struct PerEngine {
    /// The project root (feature paths are shown relative to it).
    pub root: PathBuf,
    /// What the run takes.
    pub selection: Selection,
    /// Every feature the run reads, parsed.
    pub features: Vec<gherkin::Feature>,
    /// Filled with the scenario copies per engine ([`count`]), for the
    /// progress output.
    pub totals: Totals,
}

/// How many scenario copies the run's selection holds per engine: filled when
/// the features are read (see [`PerEngine`]).
pub type Totals = Rc<RefCell<BTreeMap<Engine, usize>>>;

/// The scenario copies of `copies` (features copied per engine), per engine.
pub fn count(copies: &[gherkin::Feature]) -> BTreeMap<Engine, usize> {
    let mut totals = BTreeMap::new();
    for copy in copies {
        if let Some(engine) = engine_of(copy) {
            let scenarios =
                copy.scenarios.len() + copy.rules.iter().map(|r| r.scenarios.len()).sum::<usize>();
            *totals.entry(engine).or_default() += scenarios;
        }
    }
    totals
}

/// In a mutant run (`KENSHO_MUTANT_RUN`, set by `cargo run --bin mutation`), the
/// feature files that exercise the mutated service: `KENSHO_MUTANT_FEATURES`, a
/// comma-separated list of path prefixes relative to the project (`features/ledger/`).
pub fn mutant_run_features() -> Option<Vec<String>> {
    std::env::var_os("KENSHO_MUTANT_RUN")?;
    let list = std::env::var("KENSHO_MUTANT_FEATURES").ok()?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
    )
}

impl<I: AsRef<Path>> Parser<I> for PerEngine {
    type Cli = cucumber::cli::Empty;
    type Output = LocalBoxStream<'static, parser::Result<gherkin::Feature>>;

    fn parse(self, _input: I, _cli: Self::Cli) -> Self::Output {
        let PerEngine {
            root,
            selection,
            features,
            totals,
        } = self;
        let (copies, problems) = selection.copies(&root, features);
        if !problems.is_empty() {
            // Checked before the run started: only a change of the features
            // while it starts gets here.
            eprintln!(
                "kensho: the rerun list does not match the features (nothing ran):\n  {}",
                problems.join("\n  ")
            );
            return stream::iter(problems.into_iter().map(|p| Err(parse_error(p)))).boxed_local();
        }
        *totals.borrow_mut() = count(&copies);
        stream::iter(copies.into_iter().map(Ok)).boxed_local()
    }
}

/// Every feature file under `inputs` (folders or files), read by the strict
/// parser the dry run uses too ([`crate::gherkin`]) and expanded. If any file has
/// a problem, the problems: one entry per file (or input that cannot be read),
/// its problems as `file:line: reason` lines.
pub fn strict_features(
    root: &Path,
    inputs: &[PathBuf],
) -> Result<Vec<gherkin::Feature>, Vec<Vec<String>>> {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .or_else(|_| path.strip_prefix(&canonical_root))
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut files: Result<Vec<PathBuf>, Vec<Vec<String>>> = Ok(Vec::new());
    for input in inputs {
        let found = input
            .canonicalize()
            .and_then(|dir| crate::gherkin::feature_files(&dir))
            .map_err(|e| {
                vec![format!(
                    "{}: the features cannot be read: {e}; give --features a folder or a feature file that exists",
                    shown(input)
                )]
            });
        match (&mut files, found) {
            (Ok(all), Ok(found)) => all.extend(found),
            (Ok(_), Err(e)) => files = Err(vec![e]),
            (Err(errors), Err(e)) => errors.push(e),
            (Err(_), Ok(_)) => {}
        }
    }
    let mut features = Vec::new();
    let mut failed = Vec::new();
    for file in files.as_deref().unwrap_or_default() {
        match crate::gherkin::read_feature(file, &shown(file), &crate::definitions::defined_step) {
            Ok(feature) => features.push(feature),
            Err(problems) => failed.push(problems),
        }
    }
    failed.extend(files.err().into_iter().flatten());
    if failed.is_empty() {
        return Ok(features);
    }
    Err(failed)
}

/// A parse error of the run whose text is `problems`. (The `gherkin` crate's
/// error types cannot be built outside it but from a failed parse of its own;
/// cucumber shows an error as "Could not parse feature file: " and its path, so
/// the path carries the problems.)
fn parse_error(problems: String) -> parser::Error {
    let source = match gherkin::Feature::parse("", gherkin::GherkinEnv::default()) {
        Err(source) => source,
        Ok(_) => {
            return parser::Error::from(gherkin::ParseFileError::Reading {
                path: PathBuf::from(problems),
                source: std::io::Error::other("does not parse"),
            });
        }
    };
    parser::Error::from(gherkin::ParseFileError::Parsing {
        path: PathBuf::from(problems),
        error: None,
        source,
    })
}
