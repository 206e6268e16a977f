//! Command steps: the way in for a service not written in Rust. A step runs a
//! program against the scenario's database — `DATABASE_URL` (with credentials),
//! `KENSHO_ENGINE` (`sqlite`, `postgres`, `mariadb`) and `KENSHO_DATABASE` (the
//! database's name) in its environment, the project root as its working folder —
//! and later steps check its exit code and output. In a differential run the
//! program runs once per database, and every check covers every run. The output
//! goes into the report.

/// This file, as step locations name it.
pub const FILE: &str = file!();

use std::time::Duration;

use anyhow::{Result, bail, ensure};
use cucumber::{then, when};

use crate::command::{self, CommandOutcome};
use crate::world::ScenarioWorld;

/// How long a command may run unless the step says otherwise.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// What the command steps of one scenario keep: the last command's run on each
/// database (with the variant's label).
#[derive(Debug, Default)]
pub struct CommandState {
    /// One outcome per database of the scenario.
    pub runs: Vec<(String, CommandOutcome)>,
}

fn runs(w: &ScenarioWorld) -> Result<&[(String, CommandOutcome)]> {
    match w.state_ref::<CommandState>() {
        Some(state) if !state.runs.is_empty() => Ok(&state.runs),
        _ => bail!("no command has run in this scenario yet (use: When the command \"...\" runs)"),
    }
}

fn label(variant: &str) -> String {
    if variant.is_empty() {
        String::new()
    } else {
        format!(" [{variant}]")
    }
}

async fn run_everywhere(w: &mut ScenarioWorld, line: &str, limit: Duration) -> Result<()> {
    run_everywhere_interrupting(w, line, limit, &[]).await
}

async fn run_everywhere_interrupting(
    w: &mut ScenarioWorld,
    line: &str,
    limit: Duration,
    cues: &[command::Cue],
) -> Result<()> {
    let root = w.suite()?.root().to_path_buf();
    let bins = command::binaries_dir().into_iter().collect::<Vec<_>>();
    let mut outcomes = Vec::new();
    for variant in w.variants()? {
        let database = &variant.database;
        let env = vec![
            ("DATABASE_URL".to_string(), database.url.clone()),
            (
                "KENSHO_ENGINE".to_string(),
                database.engine.name().to_string(),
            ),
            ("KENSHO_DATABASE".to_string(), database.name.clone()),
        ];
        let outcome = command::run_interrupting(line, &root, &env, &bins, limit, cues).await?;
        outcomes.push((variant.label.clone(), outcome));
    }
    for (variant, outcome) in &outcomes {
        w.notes
            .push(format!("command{}:\n{}", label(variant), outcome.summary()));
    }
    w.state::<CommandState>().runs = outcomes;
    Ok(())
}

/// `When the command "ledger-import run fixtures/ledger/step1.csv" runs`
/// (within [`DEFAULT_LIMIT`]).
#[when(regex = r#"^the command "(.+)" runs$"#)]
async fn command_runs(w: &mut ScenarioWorld, line: String) -> Result<()> {
    run_everywhere(w, &line, DEFAULT_LIMIT).await
}

/// `When the command "..." runs within 5 seconds`: killed when the time is up.
#[when(regex = r#"^the command "(.+)" runs within (\d+) seconds?$"#)]
async fn command_runs_within(w: &mut ScenarioWorld, line: String, seconds: u64) -> Result<()> {
    ensure!(
        seconds > 0,
        "a time limit of 0 seconds leaves no time to run"
    );
    run_everywhere(w, &line, Duration::from_secs(seconds)).await
}

/// `When the command "kensho --features x.feature" runs and is interrupted once
/// its output shows "Scenario: a slow one"`: SIGINT to the program's process group,
/// as Ctrl-C in a terminal sends it, when its standard output or error first shows
/// the text (within [`DEFAULT_LIMIT`]).
#[when(regex = r#"^the command "(.+)" runs and is interrupted once its output shows "([^"]+)"$"#)]
async fn command_runs_interrupted(w: &mut ScenarioWorld, line: String, cue: String) -> Result<()> {
    run_everywhere_interrupting(w, &line, DEFAULT_LIMIT, &[interrupt(cue)]).await
}

fn interrupt(shows: String) -> command::Cue {
    command::Cue {
        shows,
        signal: command::Signal::Interrupt,
    }
}

/// `When the command "..." runs and is interrupted once its output shows "X",
/// then again once it shows "Y"`: the second SIGINT when output written after the
/// first shows `Y`.
#[when(
    regex = r#"^the command "(.+)" runs and is interrupted once its output shows "([^"]+)", then again once it shows "([^"]+)"$"#
)]
async fn command_runs_interrupted_twice(
    w: &mut ScenarioWorld,
    line: String,
    first: String,
    second: String,
) -> Result<()> {
    run_everywhere_interrupting(
        w,
        &line,
        DEFAULT_LIMIT,
        &[interrupt(first), interrupt(second)],
    )
    .await
}

/// `When the command "..." runs and is killed once its output shows "X"`: SIGKILL
/// to the program's process group, as `kill -9` sends it (the program cannot clean
/// up), when its standard output or error first shows `X`.
#[when(regex = r#"^the command "(.+)" runs and is killed once its output shows "([^"]+)"$"#)]
async fn command_runs_killed(w: &mut ScenarioWorld, line: String, cue: String) -> Result<()> {
    let kill = command::Cue {
        shows: cue,
        signal: command::Signal::Kill,
    };
    run_everywhere_interrupting(w, &line, DEFAULT_LIMIT, &[kill]).await
}

/// Exit code 0 on every database, within its time limit.
#[then(regex = r"^it succeeds$")]
async fn it_succeeds(w: &mut ScenarioWorld) -> Result<()> {
    for (variant, outcome) in runs(w)? {
        ensure!(
            outcome.code == Some(0),
            "the command{} did not succeed:\n{}",
            label(variant),
            outcome.summary()
        );
    }
    Ok(())
}

/// A non-zero exit code on every database, with `text` in its standard error.
#[then(regex = r#"^it fails with "(.+)"$"#)]
async fn it_fails_with(w: &mut ScenarioWorld, text: String) -> Result<()> {
    for (variant, outcome) in runs(w)? {
        ensure!(
            !outcome.timed_out && outcome.code.is_some_and(|c| c != 0),
            "the command{} was expected to fail, but it {}:\n{}",
            label(variant),
            if outcome.timed_out {
                "ran out of time"
            } else {
                "succeeded"
            },
            outcome.summary()
        );
        ensure!(
            outcome.stderr.contains(&text),
            "the command{} failed, but its standard error does not contain {text:?}:\n{}",
            label(variant),
            outcome.summary()
        );
    }
    Ok(())
}

/// The exit code, on every database.
#[then(regex = r"^it exits with code (\d+)$")]
async fn it_exits_with(w: &mut ScenarioWorld, code: i32) -> Result<()> {
    for (variant, outcome) in runs(w)? {
        ensure!(
            outcome.code == Some(code),
            "the command{} exited with {}, expected {code}:\n{}",
            label(variant),
            outcome
                .code
                .map_or("no code (killed)".to_string(), |c| c.to_string()),
            outcome.summary()
        );
    }
    Ok(())
}

/// `text` in the standard output, on every database.
#[then(regex = r#"^its output contains "(.+)"$"#)]
async fn its_output_contains(w: &mut ScenarioWorld, text: String) -> Result<()> {
    for (variant, outcome) in runs(w)? {
        ensure!(
            outcome.stdout.contains(&text),
            "the output of the command{} does not contain {text:?}:\n{}",
            label(variant),
            outcome.summary()
        );
    }
    Ok(())
}

/// It was stopped by its time limit, on every database.
#[then(regex = r"^it runs out of time$")]
async fn it_runs_out_of_time(w: &mut ScenarioWorld) -> Result<()> {
    for (variant, outcome) in runs(w)? {
        ensure!(
            outcome.timed_out,
            "the command{} finished within its time limit:\n{}",
            label(variant),
            outcome.summary()
        );
    }
    Ok(())
}
