//! What a run leaves for the next one, beside its reports folder (by default
//! `target/kensho/`): the scenarios that failed (`rerun.txt`, read back by
//! `--rerun`) and every scenario's time (`timings.json`, by which `--shard`
//! balances).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::authoring::{Rerun, Timings};
use crate::db::Engine;
use crate::report::ScenarioTime;

/// The rerun file's name, beside the reports folder.
pub const RERUN_FILE: &str = "rerun.txt";

/// The timings file's name, beside the reports folder.
pub const TIMINGS_FILE: &str = "timings.json";

/// The folder the history files go in: the reports folder's parent (so the
/// default `target/kensho/reports` puts them in `target/kensho/`, and a run
/// given `--reports` elsewhere keeps its history apart from the main run's).
pub fn folder(reports_dir: &Path) -> PathBuf {
    reports_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Reads a rerun file; its engines must be engines Kensho knows.
pub fn read_rerun(path: &Path) -> Result<Rerun> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the rerun file {shown} cannot be read (each run writes {RERUN_FILE} beside its reports folder; run the suite first, or give --rerun the file to read)"
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

/// Writes `text` to `path` whole or not at all (a temporary file beside it, then
/// renamed over it).
fn write_whole(path: &Path, text: &str) -> Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot replace {}", path.display())
    })
}

/// Writes what the run leaves for the next: the rerun list of `failed` (copies as
/// `(path, line, engine)`; an empty file when nothing failed) and the timings of
/// `times` merged into those already in the folder.
pub fn write(
    folder: &Path,
    failed: &[(String, usize, Engine)],
    times: &[ScenarioTime],
) -> Result<()> {
    let failed: Vec<(String, usize, String)> = failed
        .iter()
        .map(|(path, line, engine)| (path.clone(), *line, engine.name().to_string()))
        .collect();
    write_whole(
        &folder.join(RERUN_FILE),
        &Rerun::of_failures(&failed).text(),
    )?;
    let path = folder.join(TIMINGS_FILE);
    let mut timings = read_timings(&path);
    for t in times {
        timings.record(format!("{}:{}", t.file, t.line), &t.engine, t.ms);
    }
    let json = serde_json::to_string_pretty(&timings).context("the timings do not serialise")?;
    write_whole(&path, &(json + "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_goes_beside_the_reports_folder() {
        assert_eq!(
            folder(Path::new("/p/target/kensho/reports")),
            Path::new("/p/target/kensho")
        );
        assert_eq!(folder(Path::new("reports")), Path::new("."));
    }

    #[test]
    fn timings_merge_and_the_rerun_list_is_replaced() {
        let dir = std::env::temp_dir().join(format!("kensho-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let time = |file: &str, line, engine: &str, ms| ScenarioTime {
            engine: engine.into(),
            name: "s".into(),
            file: file.into(),
            line,
            ms,
        };
        write(
            &dir,
            &[("features/a.feature".into(), 7, Engine::Postgres)],
            &[
                time("features/a.feature", 7, "postgres", 900),
                time("features/b.feature", 3, "sqlite", 40),
            ],
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(RERUN_FILE)).unwrap(),
            "features/a.feature:7 @postgres\n"
        );
        write(&dir, &[], &[time("features/b.feature", 3, "sqlite", 60)]).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join(RERUN_FILE)).unwrap(), "");
        let timings = read_timings(&dir.join(TIMINGS_FILE));
        assert_eq!(timings.time_of("features/a.feature:7"), Some(900));
        assert_eq!(timings.time_of("features/b.feature:3"), Some(60));
        std::fs::write(dir.join(TIMINGS_FILE), "{not json").unwrap();
        assert_eq!(read_timings(&dir.join(TIMINGS_FILE)), Timings::default());
        std::fs::write(dir.join(RERUN_FILE), "features/a.feature:7 @oracle\n").unwrap();
        let e = read_rerun(&dir.join(RERUN_FILE)).unwrap_err().to_string();
        assert!(e.contains("features/a.feature:7 @oracle"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
