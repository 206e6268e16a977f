//! What a run leaves for the next one, in its own reports folder (by default
//! `target/kensho/reports/`), written with its reports as one set (see
//! [`crate::report::folder`]): the scenarios that failed (`rerun.txt`, read back
//! by `--rerun`) and every scenario's time (`timings.json`, by which `--shard`
//! balances). Runs with reports folders of their own (side by side included)
//! keep lists of their own.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::authoring::{Rerun, Timings};
use crate::db::Engine;
use crate::report::ScenarioTime;

/// The rerun file's name, in the reports folder.
pub const RERUN_FILE: &str = crate::report::RERUN_TXT;

/// The timings file's name, in the reports folder.
pub const TIMINGS_FILE: &str = crate::report::TIMINGS_JSON;

/// The rerun file of the run whose reports go to `reports_dir`: what `--rerun`
/// without a file reads.
pub fn rerun_file(reports_dir: &Path) -> PathBuf {
    reports_dir.join(RERUN_FILE)
}

/// The timings file of the run whose reports go to `reports_dir`.
pub fn timings_file(reports_dir: &Path) -> PathBuf {
    reports_dir.join(TIMINGS_FILE)
}

/// Reads a rerun file; its engines must be engines Kensho knows.
pub fn read_rerun(path: &Path) -> Result<Rerun> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the rerun file {shown} cannot be read (each run writes {RERUN_FILE} into its reports folder; run the suite first (with the same --reports), or give --rerun the file to read)"
        )
    })?;
    let rerun = Rerun::parse(&shown, &text).map_err(anyhow::Error::msg)?;
    for entry in &rerun.entries {
        for engine in &entry.engines {
            if let Err(e) = Engine::parse(engine) {
                bail!(
                    "{shown}: {}:{} @{engine}: {e} (the engines are @sqlite, @postgres, @mariadb)",
                    entry.path,
                    entry.line
                );
            }
        }
    }
    Ok(rerun)
}

/// The engines a rerun needs: those its lines name, and `default` for a line that
/// names none.
pub fn rerun_engines(rerun: &Rerun, default: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for entry in &rerun.entries {
        if entry.engines.is_empty() {
            names.push(default);
        }
        names.extend(entry.engines.iter().map(String::as_str));
    }
    names.sort();
    names.dedup();
    names.join(",")
}

/// Reads the timings of previous runs; none (no file yet) is empty. A file that
/// does not read is reported and taken as empty: the shards then balance by count.
pub fn read_timings(path: &Path) -> Timings {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Timings::default(),
        Err(e) => {
            eprintln!(
                "kensho: the timings file {} cannot be read ({e}); shards balance by count",
                path.display()
            );
            return Timings::default();
        }
    };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!(
            "kensho: the timings file {} does not read ({e}); shards balance by count (the next run writes it again)",
            path.display()
        );
        Timings::default()
    })
}

/// The lists the run leaves for the next, to write with its reports (see
/// [`crate::report::write_all_with_lists`]): the rerun list of `failed` (copies
/// as `(path, line, engine)`; empty when nothing failed) and the timings of
/// `times` merged into `earlier` (those the reports folder held as the run
/// started).
pub fn lists(
    failed: &[(String, usize, Engine)],
    times: &[ScenarioTime],
    mut earlier: Timings,
) -> Result<Vec<(&'static str, String)>> {
    let failed: Vec<(String, usize, String)> = failed
        .iter()
        .map(|(path, line, engine)| (path.clone(), *line, engine.name().to_string()))
        .collect();
    for t in times {
        earlier.record(format!("{}:{}", t.file, t.line), &t.engine, t.ms);
    }
    let json = serde_json::to_string_pretty(&earlier).context("the timings do not serialise")?;
    Ok(vec![
        (RERUN_FILE, Rerun::of_failures(&failed).text()),
        (TIMINGS_FILE, json + "\n"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(file: &str, line: usize, engine: &str, ms: u64) -> ScenarioTime {
        ScenarioTime {
            engine: engine.into(),
            name: "s".into(),
            file: file.into(),
            line,
            ms,
        }
    }

    /// Writes `lists` into the reports folder `dir` as a run's set does.
    fn write_set(dir: &Path, lists: &[(&'static str, String)]) {
        crate::report::write_all_with_lists(dir, &crate::report::RunReport::default(), lists)
            .unwrap();
    }

    #[test]
    fn runs_with_reports_folders_side_by_side_keep_their_own_lists() {
        let dir = std::env::temp_dir().join(format!("kensho-lists-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (a, b) = (dir.join("a"), dir.join("b"));
        let failed = [("features/a.feature".to_string(), 7, Engine::Postgres)];
        let timed = [time("features/a.feature", 7, "postgres", 900)];
        write_set(&a, &lists(&failed, &timed, Timings::default()).unwrap());
        write_set(&b, &lists(&[], &[], Timings::default()).unwrap());
        assert_eq!(
            std::fs::read_to_string(rerun_file(&a)).unwrap(),
            "features/a.feature:7 @postgres\n"
        );
        assert_eq!(read_rerun(&rerun_file(&a)).unwrap().entries.len(), 1);
        assert_eq!(std::fs::read_to_string(rerun_file(&b)).unwrap(), "");
        assert_eq!(
            read_timings(&timings_file(&a)).time_of("features/a.feature:7"),
            Some(900)
        );
        assert_eq!(read_timings(&timings_file(&b)), Timings::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn timings_merge_and_the_rerun_list_is_replaced() {
        let dir = std::env::temp_dir().join(format!("kensho-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        let first = lists(
            &[("features/a.feature".into(), 7, Engine::Postgres)],
            &[
                time("features/a.feature", 7, "postgres", 900),
                time("features/b.feature", 3, "sqlite", 40),
            ],
            Timings::default(),
        )
        .unwrap();
        write_set(&reports, &first);
        let earlier = read_timings(&timings_file(&reports));
        let second = lists(&[], &[time("features/b.feature", 3, "sqlite", 60)], earlier).unwrap();
        write_set(&reports, &second);
        assert_eq!(std::fs::read_to_string(rerun_file(&reports)).unwrap(), "");
        let timings = read_timings(&timings_file(&reports));
        assert_eq!(timings.time_of("features/a.feature:7"), Some(900));
        assert_eq!(timings.time_of("features/b.feature:3"), Some(60));
        std::fs::write(timings_file(&reports), "{not json").unwrap();
        assert_eq!(read_timings(&timings_file(&reports)), Timings::default());
        std::fs::write(rerun_file(&reports), "features/a.feature:7 @oracle\n").unwrap();
        let e = read_rerun(&rerun_file(&reports)).unwrap_err().to_string();
        assert!(e.contains("features/a.feature:7 @oracle"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
