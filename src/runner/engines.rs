//! Which engines a run uses, which of them must be there, and bringing up their
//! servers (all at once).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use super::leftovers::{self, RunFolderLock};
use super::options::{KenshoArgs, Mode, in_ci};
use crate::db::{Engine, EngineServer, ProviderSource};
use crate::service::Suite;

/// The engines a run asks for, and those whose absence is an error.
#[derive(Debug, PartialEq, Eq)]
pub struct Selection {
    /// Engines to run on.
    pub selected: BTreeSet<Engine>,
    /// Engines that must be there.
    pub required: BTreeSet<Engine>,
}

/// `--engines`, `--require`, the mode and `CI` decide the engines. `named`: the
/// engines of the tests a test harness selected by name ([`super::RunOptions::only`]);
/// without `--engines` the run takes exactly those, and in a CI suite run the
/// server engines among them are required (a test on a missing engine fails in
/// CI and is NOT RUN elsewhere, as in a whole suite run).
pub fn select(
    args: &KenshoArgs,
    mode: Mode,
    named: Option<&BTreeSet<Engine>>,
) -> Result<Selection> {
    let explicit = args
        .engines
        .as_deref()
        .map(Engine::parse_list)
        .transpose()?;
    let mut required: BTreeSet<Engine> = explicit.iter().flatten().copied().collect();
    if let Some(list) = &args.require {
        required.extend(Engine::parse_list(list)?);
    }
    let suite_engines: BTreeSet<Engine> = match (&explicit, named) {
        (None, Some(named)) => named.clone(),
        _ => Engine::ALL.into(),
    };
    if mode == Mode::Suite && in_ci() {
        required.extend(
            [Engine::Postgres, Engine::MariaDb]
                .into_iter()
                .filter(|e| suite_engines.contains(e)),
        );
    }
    let mut selected: BTreeSet<Engine> = match (&explicit, mode) {
        (Some(list), _) => list.iter().copied().collect(),
        (None, Mode::Main) => named.cloned().unwrap_or_else(|| [Engine::Sqlite].into()),
        (None, Mode::Suite) => suite_engines,
    };
    selected.extend(required.iter().copied());
    Ok(Selection { selected, required })
}

/// The engines a program other than the runner names on its command line (a
/// benchmark's `--engines`: comma-separated names, or `all`), selected as the
/// runner's own `--engines` selects them: exactly those, each required, so that
/// one that does not come up stops the program with the reason.
pub fn named(list: &str) -> Result<Selection> {
    let engines: BTreeSet<Engine> = Engine::parse_list(list)?.into_iter().collect();
    Ok(Selection {
        selected: engines.clone(),
        required: engines,
    })
}

/// Brings up the servers of `selection` (see [`named`]) for a program other than
/// the runner (a benchmark), as the runner brings up its own ([`start`]), under a
/// new run id: its SQLite folder in `sqlite_dir` and its databases on servers
/// are the next run's to remove if it is killed.
pub async fn start_own_run(
    suite: &Suite,
    selection: &Selection,
    sqlite_dir: &Path,
) -> Result<Started> {
    start(suite, selection, Mode::Main, &run_id(), sqlite_dir).await
}

/// The servers that came up, and the engines that did not (with the reason).
pub struct Started {
    /// One server per engine that runs.
    pub servers: BTreeMap<Engine, EngineServer>,
    /// Engines left out, and why.
    pub not_run: Vec<(Engine, String)>,
    /// The run's hold on its SQLite folder, when SQLite runs (released at the end).
    pub sqlite_lock: Option<RunFolderLock>,
}

/// Takes this run's SQLite folder lock in `sqlite_dir`, then removes the folders
/// of runs that have ended there, saying what it removed.
fn claim_sqlite_folder(sqlite_dir: &Path, run_id: &str) -> Result<RunFolderLock> {
    let lock = leftovers::claim(sqlite_dir, run_id).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the SQLite run folder's lock in {}: {e}",
            sqlite_dir.display()
        )
    })?;
    let swept = leftovers::sweep(sqlite_dir, run_id);
    if !swept.removed.is_empty() {
        let shown: Vec<String> = swept
            .removed
            .iter()
            .map(|f| {
                format!(
                    "{} ({} database{})",
                    f.path.display(),
                    f.databases,
                    if f.databases == 1 { "" } else { "s" }
                )
            })
            .collect();
        eprintln!(
            "kensho: sqlite: removed {} run folder{} left by ended runs: {}",
            swept.removed.len(),
            if swept.removed.len() == 1 { "" } else { "s" },
            shown.join(", ")
        );
    }
    for failure in &swept.failed {
        eprintln!("kensho: sqlite: could not remove a run folder left by an ended run: {failure}");
    }
    Ok(lock)
}

/// Brings up a server per selected engine, each migrated with the suite's schema.
/// A required engine that does not come up is an error (after the others are shut).
pub async fn start(
    suite: &Suite,
    selection: &Selection,
    mode: Mode,
    run_id: &str,
    sqlite_dir: &Path,
) -> Result<Started> {
    let sqlite_lock = if selection.selected.contains(&Engine::Sqlite) {
        Some(claim_sqlite_folder(sqlite_dir, run_id)?)
    } else {
        None
    };
    let starts = selection.selected.iter().map(|&engine| {
        let source =
            ProviderSource::resolve(engine, |k| std::env::var(k).ok(), sqlite_dir.to_path_buf());
        let migrator = suite.migrator(engine);
        async move {
            eprintln!("kensho: {engine}: starting ({})", source.describe());
            let began = Instant::now();
            let result = match migrator {
                Ok(migrator) => EngineServer::start(engine, &source, run_id, migrator)
                    .await
                    .map_err(anyhow::Error::from),
                Err(e) => Err(e.into()),
            };
            (engine, result, began.elapsed())
        }
    });
    let mut servers = BTreeMap::new();
    let mut not_run = Vec::new();
    let mut missing_required = Vec::new();
    for (engine, result, took) in futures::future::join_all(starts).await {
        match result {
            Ok(server) => {
                for line in server.leftovers() {
                    eprintln!("kensho: {engine}: {line}");
                }
                eprintln!(
                    "kensho: {engine}: ready in {:.1} s: {}",
                    took.as_secs_f64(),
                    server.describe()
                );
                servers.insert(engine, server);
            }
            Err(e) if selection.required.contains(&engine) => {
                missing_required.push(format!("{e:#}"))
            }
            Err(e) => not_run.push((engine, format!("{e:#}"))),
        }
    }
    if !missing_required.is_empty() {
        for server in servers.into_values() {
            server.finish(false).await;
        }
        if let Some(lock) = sqlite_lock {
            lock.release();
        }
        bail!(
            "required engine(s) unavailable:\n  {}\n(required because {})",
            missing_required.join("\n  "),
            if mode == Mode::Suite && in_ci() {
                "CI=true requires postgres and mariadb"
            } else {
                "they were asked for by --engines/--require"
            }
        );
    }
    for (engine, reason) in &not_run {
        eprintln!("kensho: {engine}: NOT RUN: {reason}");
    }
    if servers.is_empty() {
        if let Some(lock) = sqlite_lock {
            lock.release();
        }
        bail!("no engine is available to run scenarios on");
    }
    Ok(Started {
        servers,
        not_run,
        sqlite_lock,
    })
}

/// A name for this run, unique on the machine: the process id and the time.
pub fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{}_{}", std::process::id(), secs % 1_000_000)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The runner's command line, for its options alone.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: KenshoArgs,
    }

    #[test]
    fn engines_named_by_a_program_are_selected_as_the_runner_selects_its_own() {
        for list in ["sqlite", "postgres,mariadb", "mariadb,sqlite", "all"] {
            let cli = Cli::parse_from(["kensho", "--engines", list]);
            let runner = select(&cli.args, Mode::Main, None).unwrap();
            assert_eq!(named(list).unwrap(), runner, "{list}");
        }
        let all = named("all").unwrap();
        assert_eq!(all.selected, BTreeSet::from(Engine::ALL));
        assert_eq!(all.required, BTreeSet::from(Engine::ALL));
        let refused = named("sqlite,oracle").unwrap_err().to_string();
        assert!(refused.contains("oracle"), "{refused}");
    }
}
