//! What runs leave behind, and how the next run tells an ended run from a running
//! one before it removes anything.
//!
//! A run's id is `<pid>_<start>` (its process id and its start time in seconds,
//! modulo 10⁶). SQLite scenario files live in a folder per run,
//! `target/kensho/sqlite/<run>/`. Next to it the run keeps `<run>.lock`, a file it
//! holds an exclusive lock on (`flock`) for as long as it runs: the operating
//! system drops the lock when the process ends, however it ends (`kill -9`
//! included). The lock file appears under its name already locked (it is locked
//! under a temporary name, then renamed), and is removed only after the folder.
//!
//! At start-up a run removes the folders of runs that have ended ([`sweep`]): a
//! folder whose lock file it can lock, or whose lock file is gone. A folder without
//! a lock file (left by a version of Kensho that took none) is removed only when no
//! process of its id's pid runs on this machine. The folders of a running run are
//! never touched. (Databases on servers and containers have their own owners'
//! marks: see `crate::db::EngineServer`.)

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// Whether `name` has the form of a run id, `<pid>_<start>` (digits only).
pub fn is_run_id(name: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    matches!(name.split_once('_'), Some((pid, start)) if digits(pid) && digits(start))
}

/// The process id in a run id.
pub fn pid_of(run_id: &str) -> Option<u32> {
    run_id.split_once('_')?.0.parse().ok()
}

/// Whether a process with this id runs on this machine.
pub fn process_exists(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        unsafe extern "C" {
            // POSIX `kill(2)`, from the C library std links anyway.
            fn kill(pid: i32, signal: i32) -> i32;
        }
        // SAFETY: signal 0 sends nothing: `kill` only checks that the process
        // exists and may be signalled. It takes two integers and touches no memory.
        let sent = unsafe { kill(pid, 0) };
        const EPERM: i32 = 1;
        sent == 0 || io::Error::last_os_error().raw_os_error() == Some(EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The lock file of run `run_id`'s folder under `base`.
fn lock_path(base: &Path, run_id: &str) -> PathBuf {
    base.join(format!("{run_id}.lock"))
}

/// A run's hold on its SQLite folder: the locked `<run>.lock` beside it.
#[derive(Debug)]
pub struct RunFolderLock {
    file: File,
    path: PathBuf,
    dir: PathBuf,
}

/// Takes run `run_id`'s lock in `base` (created if missing), before its folder
/// exists.
pub fn claim(base: &Path, run_id: &str) -> io::Result<RunFolderLock> {
    fs::create_dir_all(base)?;
    let path = lock_path(base, run_id);
    let temporary = base.join(format!(".{run_id}.lock.new"));
    let file = File::create(&temporary)?;
    file.lock()?;
    fs::rename(&temporary, &path)?;
    Ok(RunFolderLock {
        file,
        path,
        dir: base.join(run_id),
    })
}

impl RunFolderLock {
    /// Ends the hold: the lock file goes when the folder has gone (a folder kept
    /// for inspection keeps it, unlocked, for the next run's sweep).
    pub fn release(self) {
        if !self.dir.exists() {
            let _ = fs::remove_file(&self.path);
        }
        drop(self.file);
    }
}

/// A run folder the sweep removed.
#[derive(Debug, PartialEq, Eq)]
pub struct RemovedFolder {
    /// The folder.
    pub path: PathBuf,
    /// How many scenario databases it held.
    pub databases: usize,
}

/// What the sweep found.
#[derive(Debug, Default)]
pub struct Sweep {
    /// Folders of ended runs, removed.
    pub removed: Vec<RemovedFolder>,
    /// Folders of ended runs that could not be removed, and why.
    pub failed: Vec<String>,
}

/// Whether the run that owns a folder has ended, from its lock file.
enum Owner {
    /// Its lock is held: it runs.
    Running,
    /// Its lock could be taken (the guard holds it while the folder goes).
    Ended(Option<File>),
}

fn owner(base: &Path, run_id: &str) -> io::Result<Owner> {
    let path = lock_path(base, run_id);
    match File::open(&path) {
        Ok(file) => match file.try_lock() {
            Ok(()) => Ok(Owner::Ended(Some(file))),
            Err(TryLockError::WouldBlock) => Ok(Owner::Running),
            Err(TryLockError::Error(e)) => Err(e),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            match pid_of(run_id).is_some_and(process_exists) {
                true => Ok(Owner::Running),
                false => Ok(Owner::Ended(None)),
            }
        }
        Err(e) => Err(e),
    }
}

/// Removes from `base` the run folders (and lock files) of runs that have ended;
/// `own` is this run's id, never touched.
pub fn sweep(base: &Path, own: &str) -> Sweep {
    let mut sweep = Sweep::default();
    let Ok(entries) = fs::read_dir(base) else {
        return sweep;
    };
    let mut folders = Vec::new();
    let mut locks = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(run) = name.strip_suffix(".lock") {
            if is_run_id(run) && run != own {
                locks.push(run.to_string());
            }
        } else if is_run_id(&name) && name != own && entry.path().is_dir() {
            folders.push(name);
        }
    }
    folders.sort();
    for run in &folders {
        let dir = base.join(run);
        match owner(base, run) {
            Ok(Owner::Running) => {}
            Ok(Owner::Ended(guard)) => {
                let databases = fs::read_dir(&dir)
                    .map(|files| {
                        files
                            .flatten()
                            .filter(|f| {
                                let name = f.file_name().to_string_lossy().into_owned();
                                name.starts_with("kensho_") && name.ends_with(".sqlite")
                            })
                            .count()
                    })
                    .unwrap_or(0);
                match fs::remove_dir_all(&dir) {
                    Ok(()) => {
                        let _ = fs::remove_file(lock_path(base, run));
                        sweep.removed.push(RemovedFolder {
                            path: dir,
                            databases,
                        });
                    }
                    Err(e) => sweep.failed.push(format!("{}: {e}", dir.display())),
                }
                drop(guard);
            }
            Err(e) => sweep.failed.push(format!(
                "{}: cannot tell whether its run has ended: {e}",
                dir.display()
            )),
        }
    }
    // Lock files whose folder is gone (a run that ended before creating it, or
    // one stopped by a watchdog after removing it): nothing to report.
    for run in locks.iter().filter(|run| !folders.contains(run)) {
        if let Ok(Owner::Ended(Some(guard))) = owner(base, run) {
            let _ = fs::remove_file(lock_path(base, run));
            drop(guard);
        }
    }
    sweep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kensho-leftovers-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A process id no process can have (Linux caps them at 2²²).
    const DEAD_PID: u32 = 99_999_999;

    #[test]
    fn run_ids_are_pid_and_start() {
        assert!(is_run_id("1234_567890"));
        assert!(!is_run_id("1234"));
        assert!(!is_run_id("1234_"));
        assert!(!is_run_id("_1"));
        assert!(!is_run_id("12a_3"));
        assert!(!is_run_id("mutants"));
        assert_eq!(pid_of("1234_567890"), Some(1234));
        assert!(process_exists(std::process::id()));
        assert!(!process_exists(DEAD_PID));
    }

    fn run_folder(base: &Path, run: &str, databases: usize) -> PathBuf {
        let dir = base.join(run);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("template.sqlite"), "").unwrap();
        for n in 0..databases {
            fs::write(dir.join(format!("kensho_{run}_{n:05}.sqlite")), "").unwrap();
        }
        dir
    }

    #[test]
    fn folders_of_running_runs_stay_and_those_of_ended_runs_go() {
        let base = base("sweep");
        // A running run: its lock is held (here, by this test).
        let running = claim(&base, "11_1").unwrap();
        let running_dir = run_folder(&base, "11_1", 2);
        // An ended run that held a lock (killed: its lock file stays, unlocked).
        let ended = claim(&base, "22_2").unwrap();
        let ended_dir = run_folder(&base, "22_2", 3);
        drop(ended);
        // A folder without lock file whose pid is gone, and one whose pid runs.
        let legacy_dead = run_folder(&base, &format!("{DEAD_PID}_3"), 1);
        let legacy_alive = run_folder(&base, &format!("{}_4", std::process::id()), 1);
        // This run's own folder, and what is not a run folder.
        let own = run_folder(&base, "33_5", 1);
        fs::create_dir_all(base.join("notes")).unwrap();

        let sweep = sweep(&base, "33_5");
        assert!(sweep.failed.is_empty(), "{:?}", sweep.failed);
        assert_eq!(
            sweep.removed,
            vec![
                RemovedFolder {
                    path: ended_dir.clone(),
                    databases: 3
                },
                RemovedFolder {
                    path: legacy_dead.clone(),
                    databases: 1
                },
            ]
        );
        assert!(!ended_dir.exists() && !base.join("22_2.lock").exists());
        assert!(!legacy_dead.exists());
        assert!(running_dir.exists() && legacy_alive.exists() && own.exists());
        assert!(base.join("notes").exists());

        // Once the running run ends (its lock is released with its process), the
        // next sweep removes its folder too.
        drop(running);
        let later = super::sweep(&base, "33_5");
        assert_eq!(later.removed.len(), 1, "{later:?}");
        assert!(!running_dir.exists() && !base.join("11_1.lock").exists());
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_released_lock_goes_with_its_folder_and_stays_with_a_kept_one() {
        let base = base("release");
        let lock = claim(&base, "44_1").unwrap();
        assert!(base.join("44_1.lock").exists());
        assert!(!base.join(".44_1.lock.new").exists());
        lock.release();
        assert!(!base.join("44_1.lock").exists());

        let lock = claim(&base, "55_1").unwrap();
        let kept = run_folder(&base, "55_1", 1);
        lock.release();
        assert!(base.join("55_1.lock").exists());
        // Kept for inspection until the next run, which removes it.
        assert_eq!(sweep(&base, "66_1").removed.len(), 1);
        assert!(!kept.exists() && !base.join("55_1.lock").exists());
        fs::remove_dir_all(&base).unwrap();
    }
}
