//! A run's inputs, checked before anything starts: the engines asked for, the
//! feature files (every selected one parsed), their tags, `--service`, the
//! rerun list against the features, and cucumber's options whose values would
//! leave the run unable to go on (`--concurrency 0`). An input that is wrong
//! stops the run before any engine or report is touched, with exit code 2 and a
//! message naming the file and line (or the option) and the fix. (`--name`,
//! `--tags`, `--shard` and the rerun file's own lines are refused as the
//! command line is read.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::anyhow;
use cucumber::gherkin;

use super::engines;
use super::features::{self, Selection};
use super::options::{KenshoArgs, Mode};
use crate::db::Engine;
use crate::report::collect;
use crate::service::Suite;

/// What the checks found good, for the run to go on with.
pub struct Inputs {
    /// Every feature the run reads, parsed.
    pub features: Vec<gherkin::Feature>,
    /// The engines to start, and those that must come up.
    pub engines: engines::Selection,
    /// The feature paths `--service` (or a mutant run) narrows to.
    pub only: Option<Vec<String>>,
}

/// Why the run does not start.
pub enum Refused {
    /// Feature files that do not parse: one entry per file, its problems as
    /// `file:line: reason` lines.
    Features(Vec<Vec<String>>),
    /// Any other input: what is wrong and how to put it right.
    Input(anyhow::Error),
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Refused {
        Refused::Input(e)
    }
}

impl Refused {
    /// The error the run ends with (exit code 2). Feature files that do not
    /// parse are also a report set when the run writes reports (`reports`): a
    /// failure per file, naming its lines, as CI servers show failures.
    pub fn into_error(self, reports: Option<ReportsOf<'_>>) -> anyhow::Error {
        match self {
            Refused::Input(e) => anyhow!("{e:#} (nothing ran)"),
            Refused::Features(files) => {
                if let Some(of) = reports {
                    let mut collected = collect::Collected::default();
                    collected.add_parse_problems(&files);
                    let title = match of.title {
                        Some(title) => title.to_string(),
                        None => collect::default_title(of.root, of.features_dir, &collected, of.id),
                    };
                    let written = collected.into_report(title, of.started, of.suite.terms());
                    collect::write(of.dir, &written, &[]);
                }
                anyhow!(
                    "the feature files do not parse (nothing ran):\n  {}\n(write the lines above as the messages say; `kensho --dry-run` checks the features without a database)",
                    files.concat().join("\n  ")
                )
            }
        }
    }
}

/// Where and how a refused run writes its reports.
pub struct ReportsOf<'a> {
    /// The reports folder.
    pub dir: &'a Path,
    /// The suite (its vocabulary).
    pub suite: &'a Suite,
    /// The project root.
    pub root: &'a Path,
    /// The features folder the run was given.
    pub features_dir: &'a Path,
    /// The run's title, if given.
    pub title: Option<&'a str>,
    /// The run's id.
    pub id: &'a str,
    /// When the run started.
    pub started: SystemTime,
}

/// Checks every input of a run before anything starts; `selection` is the
/// run's selection so far (name, tags, rerun, shard) and `named` the engines of
/// a test harness's selection.
pub fn check(
    suite: &Suite,
    args: &KenshoArgs,
    mode: Mode,
    named: Option<&BTreeSet<Engine>>,
    features_dir: &Path,
    selection: &Selection,
) -> Result<Inputs, Refused> {
    let engines = engines::select(args, mode, named)?;
    // Unknown or malformed tags would silently select or drop scenarios.
    let tags = crate::steps::authoring::tag_problems(suite, features_dir)?;
    if !tags.is_empty() {
        return Err(anyhow!(
            "the feature files carry tags that look like Kensho's own written wrongly:\n  {}",
            tags.join("\n  ")
        )
        .into());
    }
    // `--service` narrows to the features of named services; a mutant run to its
    // own selection.
    let only = match &args.service {
        Some(list) => {
            let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
            for name in &names {
                if suite.find(name).is_none() {
                    let known: Vec<&str> = suite.services().iter().map(|s| s.name).collect();
                    return Err(anyhow!(
                        "--service {name:?}: no such service; give one of the registered: {}",
                        known.join(", ")
                    )
                    .into());
                }
            }
            Some(suite.features_of(&names))
        }
        None => features::mutant_run_features(),
    };
    // Every feature the run reads (a rerun: the files its list names).
    let root = suite.root();
    let inputs: Vec<PathBuf> = selection
        .rerun_files(root)
        .unwrap_or_else(|| vec![features_dir.to_path_buf()]);
    let features = features::strict_features(root, &inputs).map_err(Refused::Features)?;
    // A rerun line that names no scenario of the features.
    let (_, problems) = selection.copies(root, features.clone());
    if !problems.is_empty() {
        return Err(anyhow!(
            "the rerun list does not match the features:\n  {}",
            problems.join("\n  ")
        )
        .into());
    }
    Ok(Inputs {
        features,
        engines,
        only,
    })
}

/// Adds to the command line `command` the checks of cucumber's own options
/// whose values the runner cannot go on with, so that they are refused as the
/// command line is read (exit code 2): `--concurrency` of at least 1 (with 0
/// cucumber's scheduler would start no scenario and never end, busy on a core).
pub fn checked_command(command: clap::Command) -> clap::Command {
    if command
        .get_arguments()
        .any(|a| a.get_id() == CONCURRENCY_OPTION)
    {
        command.mut_arg(CONCURRENCY_OPTION, |a| a.value_parser(concurrency))
    } else {
        command
    }
}

/// The id of cucumber's option of how many scenarios run at once.
const CONCURRENCY_OPTION: &str = "concurrency";

/// A `--concurrency` value: a whole number of scenarios, at least 1.
fn concurrency(text: &str) -> Result<usize, String> {
    let fix = format!(
        "give --concurrency the number of scenarios to run at once: 1 or more (default {})",
        super::options::MAX_CONCURRENT_SCENARIOS
    );
    match text.trim().parse::<usize>() {
        Ok(0) => Err(format!("0 scenarios at once would never start one; {fix}")),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a whole number ({e}); {fix}")),
    }
}

#[cfg(test)]
mod tests {
    use crate::runner::KenshoArgs;

    type Opts = cucumber::cli::Opts<
        cucumber::cli::Empty,
        cucumber::runner::basic::Cli,
        cucumber::cli::Empty,
        KenshoArgs,
    >;

    /// The error the command line gives for `argv`, if any.
    fn refused(argv: &[&str]) -> Option<clap::Error> {
        crate::runner::kensho_command::<Opts>()
            .try_get_matches_from(argv)
            .err()
    }

    #[test]
    fn concurrency_zero_is_refused_naming_the_option_and_the_range() {
        let e = refused(&["kensho", "--concurrency", "0"]).expect("refused");
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
        assert_eq!(e.exit_code(), 2);
        let text = e.render().to_string();
        assert!(text.contains("--concurrency"), "{text}");
        assert!(text.contains("never start one"), "{text}");
        assert!(text.contains("1 or more"), "{text}");
        assert!(refused(&["kensho", "--concurrency", "x"]).is_some());
        assert!(refused(&["kensho", "--concurrency", "1"]).is_none());
        assert!(refused(&["kensho", "-c", "3"]).is_none());
    }
}
