//! The report set on disk (報告書フォルダ): written whole or not at all.
//!
//! A run's reports (`junit.xml`, `cucumber.json`, `report.html`,
//! `messages.ndjson`) are one set.
//! [`write_all`] writes the set into a new folder beside the reports folder
//! (`<reports>.tmp-<process>-<n>`) and then swaps it in with renames: the
//! folder in place is moved aside, the new one renamed to its name. A folder
//! that is in place is never written into again, so a reader (a CI step, a
//! person) sees one run's whole set, or no set for the instant between the
//! two renames, never half a set or files of two runs. When two runs swap at
//! once, the last one in stays, whole.
//!
//! A run that starts calls [`begin_run`]: the finished set in place moves to
//! `<reports>.previous`, and in its place comes a stand-in set saying that
//! the run has not finished: a `STALE` file, a `junit.xml` and a
//! `cucumber.json` with one failing test case, a `report.html` with a banner,
//! a `messages.ndjson` whose run did not succeed.
//! The run's own set replaces it at the end. A run killed before then (or
//! one whose reports cannot be written) leaves the stand-in, which a CI
//! server reads as a failure, never the previous run's green.
//!
//! A set also holds the lists a run leaves for the next one ([`LIST_FILES`]:
//! the failed scenarios, every scenario's time), written with it as one: two
//! runs with reports folders of their own never share them. A stand-in set
//! keeps the lists of the set it replaces, so that a run that did not finish
//! loses none.
//!
//! Kensho replaces the whole reports folder, so it refuses a folder holding
//! files it did not write (a mistyped `--reports .`), and a path that is a
//! file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{
    FeatureReport, RunReport, ScenarioReport, StepReport, StepStatus, cucumber_json, junit_xml,
    write_html, write_messages,
};

/// File name of the JUnit XML report.
pub const JUNIT_XML: &str = "junit.xml";
/// File name of the Cucumber JSON report.
pub const CUCUMBER_JSON: &str = "cucumber.json";
/// File name of the HTML report.
pub const REPORT_HTML: &str = "report.html";
/// File name of the Cucumber Messages stream.
pub const MESSAGES_NDJSON: &str = "messages.ndjson";
/// File name of the marker of a stand-in set: the run has not finished.
pub const STALE: &str = "STALE";
/// File name of the list of failed scenarios a run leaves in its set (read
/// back by `--rerun`).
pub const RERUN_TXT: &str = "rerun.txt";
/// File name of every scenario's time a run leaves in its set (by which
/// `--shard` balances).
pub const TIMINGS_JSON: &str = "timings.json";
/// The lists a set may hold beside its reports, for the next run.
pub const LIST_FILES: [&str; 2] = [RERUN_TXT, TIMINGS_JSON];

/// The files a reports folder may hold: the set, the stand-in's marker, and
/// the temporaries of earlier Kensho versions (`.junit.xml.<process>.tmp`).
fn is_report_file(name: &str) -> bool {
    if [
        JUNIT_XML,
        CUCUMBER_JSON,
        REPORT_HTML,
        MESSAGES_NDJSON,
        STALE,
        RERUN_TXT,
        TIMINGS_JSON,
    ]
    .contains(&name)
    {
        return true;
    }
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .and_then(|rest| rest.rsplit_once('.'))
        .is_some_and(|(file, process)| {
            [JUNIT_XML, CUCUMBER_JSON, REPORT_HTML].contains(&file)
                && !process.is_empty()
                && process.chars().all(|c| c.is_ascii_digit())
        })
}

/// Why a report set could not be written. Every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The reports path is a file (or a symbolic link).
    #[error(
        "the reports folder {} is not a folder (a file or a link is there): give --reports a folder of its own (it is created if missing)",
        path.display()
    )]
    NotAFolder {
        /// The path given for the reports.
        path: PathBuf,
    },
    /// A file stands where a folder above the reports folder should be.
    #[error(
        "the reports folder {} cannot be created: {} is a file, not a folder: give --reports a folder of its own",
        path.display(),
        file.display()
    )]
    UnderAFile {
        /// The path given for the reports.
        path: PathBuf,
        /// The file in the way.
        file: PathBuf,
    },
    /// The reports path has no name of its own (`.`, `/`).
    #[error(
        "the reports cannot go to {}: Kensho replaces the reports folder as a whole, give --reports a folder of its own (e.g. target/kensho/reports)",
        path.display()
    )]
    NoName {
        /// The path given for the reports.
        path: PathBuf,
    },
    /// The reports folder holds files Kensho did not write.
    #[error(
        "the reports folder {} holds files that are not Kensho reports ({names}): Kensho replaces the whole folder on every run, give --reports a folder of its own",
        path.display()
    )]
    NotReports {
        /// The reports folder.
        path: PathBuf,
        /// Some of the files that are not reports.
        names: String,
    },
    /// The file system refused.
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        /// What Kensho was doing, e.g. `write`.
        action: &'static str,
        /// The file or folder it was doing it to.
        path: PathBuf,
        /// What the file system said.
        error: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ReportError {
    let path = path.to_path_buf();
    move |error| ReportError::Io {
        action,
        path,
        error,
    }
}

/// Where [`write_all`] put a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPaths {
    /// The reports folder.
    pub dir: PathBuf,
    /// Its JUnit XML report.
    pub junit_xml: PathBuf,
    /// Its Cucumber JSON report.
    pub cucumber_json: PathBuf,
    /// Its HTML report.
    pub html: PathBuf,
    /// Its Cucumber Messages.
    pub messages: PathBuf,
}

impl ReportPaths {
    fn of(dir: &Path) -> ReportPaths {
        ReportPaths {
            dir: dir.to_path_buf(),
            junit_xml: dir.join(JUNIT_XML),
            cucumber_json: dir.join(CUCUMBER_JSON),
            html: dir.join(REPORT_HTML),
            messages: dir.join(MESSAGES_NDJSON),
        }
    }
}

/// Where the last finished set goes when a new set replaces it:
/// `<reports>.previous`.
pub fn previous_dir(dir: &Path) -> Option<PathBuf> {
    sibling(dir, "previous")
}

/// `<dir's name>.<suffix>` beside `dir`.
fn sibling(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let name = dir.file_name()?.to_string_lossy().into_owned();
    Some(dir.with_file_name(format!("{name}.{suffix}")))
}

/// Writes `run`'s four reports as one set into `dir` (created if missing),
/// replacing the set there as a whole. The set in place moves to
/// `<dir>.previous` if it is a finished one; a stand-in set (see
/// [`begin_run`]) is removed. When `run` is a stand-in itself, the set also
/// holds a `STALE` file with its reason.
pub fn write_all(dir: &Path, run: &RunReport) -> Result<ReportPaths, ReportError> {
    write_all_with_lists(dir, run, &[])
}

/// [`write_all`], the set also holding `lists` (file name, one of
/// [`LIST_FILES`], and text): what the run leaves for the next one.
pub fn write_all_with_lists(
    dir: &Path,
    run: &RunReport,
    lists: &[(&str, String)],
) -> Result<ReportPaths, ReportError> {
    check_reports_folder(dir)?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).map_err(io_error("create the folder", parent))?;
    sweep_leftovers(dir);
    let staged = stage(dir, run, lists)?;
    if let Err(e) = swap_in(dir, &staged) {
        let _ = fs::remove_dir_all(&staged);
        return Err(e);
    }
    sync_folder(parent);
    Ok(ReportPaths::of(dir))
}

/// Marks the set in `dir` as stale as a run starts: the finished set there
/// moves to `<dir>.previous`, and `dir` gets a stand-in set that says the
/// run titled `title`, started at `started_at_utc`, has not finished (a
/// `STALE` file, one failing test case in `junit.xml` and `cucumber.json`, a
/// banner in `report.html`). Fails, and touches nothing, when `dir` cannot
/// hold reports: better before the scenarios run than after.
pub fn begin_run(
    dir: &Path,
    title: &str,
    started_at_utc: &str,
) -> Result<ReportPaths, ReportError> {
    write_stand_in(
        dir,
        title,
        started_at_utc,
        "The run has not finished",
        "and has not written its reports yet; it replaces this folder with them when it ends. \
         If no run is going on, it was stopped before it could (killed, or out of time): its \
         results are unknown.",
    )
}

/// Replaces the stand-in set of a run that could not start (an engine that
/// did not come up, a build that failed) by one that says so and why
/// (`error`): no scenario ran. Like a stand-in it fails in CI, keeps the lists
/// of the set in place, and leaves `<dir>.previous` the last finished run's.
pub fn could_not_start(
    dir: &Path,
    title: &str,
    started_at_utc: &str,
    error: &str,
) -> Result<ReportPaths, ReportError> {
    write_stand_in(
        dir,
        title,
        started_at_utc,
        "The run could not start",
        &format!("could not start, and no scenario ran: {error}."),
    )
}

/// Writes in `dir` a stand-in set whose one failing case, `case`, says the
/// run (`title`, started at `started_at_utc`, by this process) `what`, and
/// where the last finished run's reports are; the lists of the set in place
/// are kept.
fn write_stand_in(
    dir: &Path,
    title: &str,
    started_at_utc: &str,
    case: &str,
    what: &str,
) -> Result<ReportPaths, ReportError> {
    let previous = previous_dir(dir)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let reason = format!(
        "STALE: these are not test results. {title} started at {started_at_utc} (process {}) \
         {what} The reports of the last finished run before it are in {previous} \
         (if there was one).",
        std::process::id()
    );
    let stand_in = stand_in(dir, title, started_at_utc, case, reason);
    write_all_with_lists(dir, &stand_in, &lists_in(dir))
}

/// The lists ([`LIST_FILES`]) the set in `dir` holds, to carry over.
fn lists_in(dir: &Path) -> Vec<(&'static str, String)> {
    LIST_FILES
        .iter()
        .filter_map(|name| Some((*name, fs::read_to_string(dir.join(name)).ok()?)))
        .collect()
}

/// A stand-in set: one failing test case, named `case`, whose failure is
/// `reason`.
fn stand_in(
    dir: &Path,
    title: &str,
    started_at_utc: &str,
    case: &str,
    reason: String,
) -> RunReport {
    RunReport {
        title: title.to_string(),
        started_at_utc: started_at_utc.to_string(),
        duration_ms: 0,
        pending: Some(reason.clone()),
        interrupted: false,
        lost_servers: Vec::new(),
        timing: None,
        features: vec![FeatureReport {
            keyword: "Feature".into(),
            name: "Kensho run".into(),
            path: dir.display().to_string(),
            scenarios: vec![ScenarioReport {
                keyword: "Scenario".into(),
                name: case.into(),
                steps: vec![StepReport {
                    keyword: "Then".into(),
                    text: "the run writes its reports".into(),
                    status: StepStatus::Failed(reason),
                    ..StepReport::default()
                }],
                ..ScenarioReport::default()
            }],
            ..FeatureReport::default()
        }],
        vocabulary: Vec::new(),
    }
}

/// Refuses a reports path that is not a folder, has no name, or holds files
/// Kensho did not write; a missing one is fine.
fn check_reports_folder(dir: &Path) -> Result<(), ReportError> {
    if dir.file_name().is_none() {
        return Err(ReportError::NoName {
            path: dir.to_path_buf(),
        });
    }
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            let file = dir
                .ancestors()
                .skip(1)
                .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()));
            return Err(match file {
                Some(file) => ReportError::UnderAFile {
                    path: dir.to_path_buf(),
                    file: file.to_path_buf(),
                },
                None => io_error("read", dir)(e),
            });
        }
        Err(e) => return Err(io_error("read", dir)(e)),
    };
    if !meta.is_dir() {
        return Err(ReportError::NotAFolder {
            path: dir.to_path_buf(),
        });
    }
    let foreign = match foreign_files(dir) {
        // Moved away meanwhile: another run is swapping its set in.
        Err(ReportError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(());
        }
        other => other?,
    };
    if !foreign.is_empty() {
        return Err(ReportError::NotReports {
            path: dir.to_path_buf(),
            names: foreign.join(", "),
        });
    }
    Ok(())
}

/// The first few entries of `dir` that are not report files, sorted.
fn foreign_files(dir: &Path) -> Result<Vec<String>, ReportError> {
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error("read the folder", dir))? {
        let entry = entry.map_err(io_error("read the folder", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !(is_file && is_report_file(&name)) {
            foreign.push(name);
        }
    }
    foreign.sort();
    foreign.truncate(5);
    Ok(foreign)
}

/// Tells apart the folders one process stages or moves aside.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh name beside `dir` for this process: `<dir>.<kind>-<process>-<n>`.
fn fresh_sibling(dir: &Path, kind: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    sibling(dir, &format!("{kind}-{}-{n}", std::process::id()))
        .expect("checked: the reports folder has a name")
}

/// Writes the set into a new folder beside `dir` and returns it.
fn stage(dir: &Path, run: &RunReport, lists: &[(&str, String)]) -> Result<PathBuf, ReportError> {
    let staged = fresh_sibling(dir, "tmp");
    fs::create_dir(&staged).map_err(io_error("create the folder", &staged))?;
    // Each report is made and written in turn, the HTML page and the messages
    // a piece at a time: a big run's reports are not in memory whole.
    type Write<'r> = Box<dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()> + 'r>;
    let whole = |text: String| move |to: &mut dyn std::io::Write| to.write_all(text.as_bytes());
    let mut files: Vec<(&str, Write)> = vec![
        (JUNIT_XML, Box::new(|to| whole(junit_xml(run))(to))),
        (CUCUMBER_JSON, Box::new(|to| whole(cucumber_json(run))(to))),
        (REPORT_HTML, Box::new(|to| write_html(run, to))),
        (MESSAGES_NDJSON, Box::new(|to| write_messages(run, to))),
    ];
    if let Some(reason) = &run.pending {
        files.push((STALE, Box::new(move |to| writeln!(to, "{reason}"))));
    }
    for (name, text) in lists {
        debug_assert!(LIST_FILES.contains(name), "{name} is not a list of a set");
        files.push((*name, Box::new(move |to| to.write_all(text.as_bytes()))));
    }
    for (name, write) in files {
        let path = staged.join(name);
        let written = fs::File::create(&path).and_then(|file| {
            let mut to = std::io::BufWriter::new(file);
            write(&mut to)?;
            to.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        if let Err(e) = written {
            let _ = fs::remove_dir_all(&staged);
            return Err(io_error("write", &path)(e));
        }
    }
    sync_folder(&staged);
    Ok(staged)
}

/// Puts `staged` in place of `dir`: moves `dir` aside, renames `staged` to
/// it (again if another run's set arrived in between), then keeps a finished
/// set that was moved aside as `<dir>.previous` and removes the others.
fn swap_in(dir: &Path, staged: &Path) -> Result<(), ReportError> {
    /// How often another run's set may slip in between our two renames
    /// before we give up.
    const ATTEMPTS: usize = 16;
    let mut displaced = Vec::new();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let aside = fresh_sibling(dir, "displaced");
        match fs::rename(dir, &aside) {
            Ok(()) => displaced.push(aside),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("move aside the reports folder", dir)(e)),
        }
        match fs::rename(staged, dir) {
            Ok(()) => break,
            // Another run's set arrived in between: move it aside too.
            Err(e)
                if attempt < ATTEMPTS
                    && matches!(
                        e.kind(),
                        io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
                    ) =>
            {
                continue;
            }
            Err(e) => {
                // Put the last set back rather than leave no set at all.
                if let Some(last) = displaced.pop() {
                    let _ = fs::rename(&last, dir);
                }
                for other in displaced {
                    let _ = fs::remove_dir_all(other);
                }
                return Err(io_error("rename the new reports folder to", dir)(e));
            }
        }
    }
    let previous = previous_dir(dir).expect("checked: the reports folder has a name");
    for set in displaced {
        let finished = set.join(JUNIT_XML).is_file() && !set.join(STALE).exists();
        let previous_is_ours = match fs::symlink_metadata(&previous) {
            Err(_) => true,
            Ok(meta) => meta.is_dir() && foreign_files(&previous).is_ok_and(|f| f.is_empty()),
        };
        if finished && previous_is_ours {
            let _ = fs::remove_dir_all(&previous);
            if fs::rename(&set, &previous).is_ok() {
                continue;
            }
        }
        let _ = fs::remove_dir_all(&set);
    }
    Ok(())
}

/// Removes the folders beside `dir` that a run staged or moved aside and
/// left behind when it was killed (its process no longer exists).
fn sweep_leftovers(dir: &Path) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = name.to_string_lossy();
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = entry_name
            .strip_prefix(name.as_ref())
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            continue;
        };
        let process = ["tmp-", "displaced-"]
            .iter()
            .find_map(|kind| rest.strip_prefix(kind))
            .and_then(|rest| rest.split_once('-'))
            .filter(|(_, n)| n.chars().all(|c| c.is_ascii_digit()))
            .and_then(|(process, _)| process.parse::<u32>().ok());
        if let Some(process) = process
            && process_has_ended(process)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// True when no process `pid` runs on this machine. Only known where
/// `/proc` lists the processes; elsewhere nothing counts as ended.
fn process_has_ended(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// Makes the folder's entries durable where the system allows it.
fn sync_folder(dir: &Path) {
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{sample, test_dir};
    use super::*;
    use crate::report::{html, messages_ndjson};

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn titled(title: &str) -> RunReport {
        RunReport {
            title: title.into(),
            ..sample::run()
        }
    }

    /// The title each file of the set at `dir` carries, `None` when a file
    /// cannot be read (removed while read).
    fn try_titles(dir: &Path) -> Option<[String; 3]> {
        let junit = fs::read_to_string(dir.join(JUNIT_XML)).ok()?;
        let html = fs::read_to_string(dir.join(REPORT_HTML)).ok()?;
        let json = fs::read_to_string(dir.join(CUCUMBER_JSON)).ok()?;
        let between = |text: &str, start: &str, end: &str| {
            let from = text.find(start)? + start.len();
            Some(text[from..from + text[from..].find(end)?].to_string())
        };
        // Cucumber JSON has no run title: a feature name carries it in these
        // tests (see `marked`).
        Some([
            between(&junit, "<testsuites name=\"", "\"")?,
            between(&html, "<title>", "</title>")?,
            between(&json, "\"name\": \"run:", "\"")?,
        ])
    }

    fn titles(dir: &Path) -> [String; 3] {
        try_titles(dir).unwrap_or_else(|| panic!("no whole set in {}", dir.display()))
    }

    fn all(title: &str) -> [String; 3] {
        [title, title, title].map(String::from)
    }

    /// A run whose title also appears in the Cucumber JSON (as a feature name).
    fn marked(title: &str) -> RunReport {
        let mut run = titled(title);
        run.features[0].name = format!("run:{title}");
        run
    }

    #[test]
    fn write_all_writes_the_set_and_nothing_else() {
        let dir = test_dir("write_all");
        let _ = fs::remove_dir_all(&dir);
        let run = sample::run();
        let reports = dir.join("nested").join("reports");
        let paths = write_all(&reports, &run).expect("write reports");
        assert_eq!(paths, ReportPaths::of(&reports));
        assert_eq!(
            fs::read_to_string(&paths.junit_xml).unwrap(),
            junit_xml(&run)
        );
        assert_eq!(
            fs::read_to_string(&paths.cucumber_json).unwrap(),
            cucumber_json(&run)
        );
        assert_eq!(fs::read_to_string(&paths.html).unwrap(), html(&run));
        assert_eq!(
            fs::read_to_string(&paths.messages).unwrap(),
            messages_ndjson(&run)
        );
        assert_eq!(
            names(&reports),
            [
                "cucumber.json",
                "junit.xml",
                "messages.ndjson",
                "report.html"
            ]
        );
        // Nothing staged or moved aside is left beside it.
        assert_eq!(names(&dir.join("nested")), ["reports"]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_new_set_replaces_the_folder_and_the_old_one_moves_to_previous() {
        let dir = test_dir("replace");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        write_all(&reports, &marked("first")).unwrap();
        // A reader holding the folder open keeps reading one whole set: the
        // folder in place is never written into again.
        let held = fs::File::open(&reports).unwrap();
        let held_path = PathBuf::from(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&held)
        ));
        write_all(&reports, &marked("second")).unwrap();
        assert_eq!(titles(&reports), all("second"));
        let previous = previous_dir(&reports).unwrap();
        assert_eq!(titles(&previous), all("first"));
        if held_path.exists() {
            assert_eq!(titles(&held_path), all("first"));
        }
        drop(held);
        assert_eq!(names(&dir), ["reports", "reports.previous"]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_starting_run_marks_the_reports_stale_until_it_replaces_them() {
        let dir = test_dir("stale");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        write_all(&reports, &marked("green")).unwrap();

        begin_run(&reports, "Kensho run 7", "2025-04-01T09:30:00Z").unwrap();
        assert_eq!(
            names(&reports),
            [
                "STALE",
                "cucumber.json",
                "junit.xml",
                "messages.ndjson",
                "report.html"
            ]
        );
        let stale = fs::read_to_string(reports.join(STALE)).unwrap();
        assert!(stale.starts_with(
            "STALE: these are not test results. Kensho run 7 started at 2025-04-01T09:30:00Z"
        ));
        assert!(stale.contains("reports.previous"));
        let junit = fs::read_to_string(reports.join(JUNIT_XML)).unwrap();
        assert!(junit.contains("tests=\"1\" failures=\"1\""), "{junit}");
        assert!(junit.contains("name=\"The run has not finished\""));
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(reports.join(CUCUMBER_JSON)).unwrap())
                .unwrap();
        assert_eq!(
            json[0]["elements"][0]["steps"][0]["result"]["status"],
            "failed"
        );
        let page = fs::read_to_string(reports.join(REPORT_HTML)).unwrap();
        assert!(page.contains("<div class=\"stale\" id=\"stale\" role=\"alert\">"));
        assert!(page.contains("<span class=\"verdict failed\">"));
        // The green set waits aside.
        let previous = previous_dir(&reports).unwrap();
        assert_eq!(titles(&previous), all("green"));

        // The run's own set replaces the stand-in whole (no STALE survives),
        // and the previous finished set stays the previous one.
        write_all(&reports, &marked("next")).unwrap();
        assert_eq!(
            names(&reports),
            [
                "cucumber.json",
                "junit.xml",
                "messages.ndjson",
                "report.html"
            ]
        );
        assert_eq!(titles(&previous), all("green"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_stand_in_keeps_the_lists_of_the_set_it_replaces_and_a_run_that_could_not_start_says_why() {
        let dir = test_dir("lists");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        let lists = [
            (RERUN_TXT, "features/a.feature:7 @sqlite\n".to_string()),
            (TIMINGS_JSON, "{}\n".to_string()),
        ];
        write_all_with_lists(&reports, &marked("red"), &lists).unwrap();
        begin_run(&reports, "Kensho run", "2025-04-01T09:30:00Z").unwrap();
        assert_eq!(
            fs::read_to_string(reports.join(RERUN_TXT)).unwrap(),
            "features/a.feature:7 @sqlite\n"
        );
        could_not_start(
            &reports,
            "Kensho run",
            "2025-04-01T09:30:00Z",
            "engine postgres unavailable: connection refused",
        )
        .unwrap();
        let stale = fs::read_to_string(reports.join(STALE)).unwrap();
        assert!(
            stale.contains("could not start, and no scenario ran: engine postgres unavailable: connection refused"),
            "{stale}"
        );
        assert!(!stale.contains("killed"), "{stale}");
        let junit = fs::read_to_string(reports.join(JUNIT_XML)).unwrap();
        assert!(
            junit.contains("name=\"The run could not start\""),
            "{junit}"
        );
        assert_eq!(
            fs::read_to_string(reports.join(TIMINGS_JSON)).unwrap(),
            "{}\n"
        );
        assert!(reports.join(RERUN_TXT).exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_in_place_of_the_folder_is_refused_and_left_alone() {
        let dir = test_dir("file");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("reports");
        fs::write(&file, "mine").unwrap();
        let error = write_all(&file, &sample::run()).unwrap_err();
        assert!(matches!(error, ReportError::NotAFolder { .. }));
        assert!(
            error.to_string().starts_with(&format!(
                "the reports folder {} is not a folder",
                file.display()
            )),
            "{error}"
        );
        assert!(begin_run(&file, "run", "now").is_err());
        assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
        assert_eq!(names(&dir), ["reports"]);

        // Under a file: the folder cannot be created.
        let error = write_all(&file.join("sub").join("reports"), &sample::run()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the reports folder {}/sub/reports cannot be created: {} is a file, not a folder: give --reports a folder of its own",
                file.display(),
                file.display()
            )
        );
        assert_eq!(names(&dir), ["reports"]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_with_other_files_is_refused_and_left_alone() {
        let dir = test_dir("foreign");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("work");
        fs::create_dir_all(reports.join("src")).unwrap();
        fs::write(reports.join("notes.txt"), "mine").unwrap();
        fs::write(reports.join(JUNIT_XML), "old").unwrap();
        let error = write_all(&reports, &sample::run()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the reports folder {} holds files that are not Kensho reports (notes.txt, src): Kensho replaces the whole folder on every run, give --reports a folder of its own",
                reports.display()
            )
        );
        assert_eq!(names(&reports), ["junit.xml", "notes.txt", "src"]);
        assert!(matches!(
            write_all(Path::new("/"), &sample::run()),
            Err(ReportError::NoName { .. })
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn report_files_of_earlier_versions_are_accepted() {
        assert!(is_report_file("junit.xml"));
        assert!(is_report_file("STALE"));
        assert!(is_report_file("messages.ndjson"));
        assert!(is_report_file(".report.html.1234.tmp"));
        assert!(!is_report_file(".report.html.x.tmp"));
        assert!(!is_report_file(".notes.1234.tmp"));
        assert!(!is_report_file("junit.xml.bak"));
    }

    #[test]
    fn leftovers_of_ended_runs_are_swept_and_those_of_running_ones_kept() {
        let dir = test_dir("leftovers");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        // No process has this number (above Linux's largest).
        let ended = dir.join("reports.tmp-4294967295-0");
        let running = dir.join(format!("reports.displaced-{}-999", std::process::id()));
        let unrelated = dir.join("reports.tmp-notes");
        for folder in [&ended, &running, &unrelated] {
            fs::create_dir_all(folder).unwrap();
        }
        write_all(&reports, &sample::run()).unwrap();
        let mut expected = vec![
            "reports".to_string(),
            format!("reports.displaced-{}-999", std::process::id()),
            "reports.tmp-notes".to_string(),
        ];
        if !Path::new("/proc/self").exists() {
            expected.push("reports.tmp-4294967295-0".into());
        }
        expected.sort();
        assert_eq!(names(&dir), expected);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn runs_writing_at_once_leave_one_whole_set() {
        let dir = test_dir("concurrent");
        let _ = fs::remove_dir_all(&dir);
        let reports = dir.join("reports");
        write_all(&reports, &marked("start")).unwrap();
        std::thread::scope(|scope| {
            for writer in ["a", "b", "c"] {
                let reports = &reports;
                scope.spawn(move || {
                    for n in 0..20 {
                        write_all(reports, &marked(&format!("{writer}{n}"))).unwrap();
                    }
                });
            }
            // A reader that holds the folder in place sees one whole set
            // every time.
            let reports = &reports;
            scope.spawn(move || {
                for _ in 0..200 {
                    let Ok(held) = fs::File::open(reports) else {
                        continue;
                    };
                    let path = PathBuf::from(format!(
                        "/proc/self/fd/{}",
                        std::os::fd::AsRawFd::as_raw_fd(&held)
                    ));
                    if !path.join(JUNIT_XML).exists() {
                        continue;
                    }
                    let Some(set) = try_titles(&path) else {
                        // Removed while read (an older set), never a mix.
                        continue;
                    };
                    assert!(set.iter().all(|t| *t == set[0]), "a mixed set: {set:?}");
                }
            });
        });
        let set = titles(&reports);
        assert!(set.iter().all(|t| *t == set[0]), "a mixed set: {set:?}");
        assert!(set[0].ends_with("19"), "{set:?}");
        // Nothing staged or moved aside is left behind.
        assert!(
            names(&dir)
                .iter()
                .all(|n| n == "reports" || n == "reports.previous"),
            "{:?}",
            names(&dir)
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
