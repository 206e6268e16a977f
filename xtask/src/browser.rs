//! Rendering a page in headless Chromium, to check what a reader sees rather
//! than what was written: the scenario suite's `cargo test` opens the run's HTML
//! report with [`dump_dom`] and counts the scenarios it shows.
//!
//! Chromium comes from the Debian package `chromium` (the binary is
//! `chromium`, or `chromium-browser` on some systems) and must be on `PATH`;
//! without it [`dump_dom`] returns [`BrowserError::NotFound`].

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long Chromium may take to load and dump one page.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Names the browser is looked up by on `PATH`, in order.
const BROWSER_NAMES: &[&str] = &["chromium", "chromium-browser"];

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// Neither `chromium` nor `chromium-browser` is an executable on `PATH`.
    #[error(
        "headless Chromium not found: install the Debian package `chromium` \
         (looked for `chromium` and `chromium-browser` on PATH)"
    )]
    NotFound,
    /// The page's file cannot be resolved to an absolute path.
    #[error("cannot open the page {}: {source}", path.display())]
    Page {
        /// The page as given.
        path: PathBuf,
        /// Why it cannot be opened.
        source: io::Error,
    },
    /// The browser could not be started or waited for.
    #[error("cannot start {}: {source}", browser.display())]
    Start {
        /// The browser's executable.
        browser: PathBuf,
        /// Why it could not be started.
        source: io::Error,
    },
    /// The browser outlived its time and was stopped.
    #[error("{} did not render {url} within {} s; it was stopped", browser.display(), timeout.as_secs_f64())]
    Timeout {
        /// The browser's executable.
        browser: PathBuf,
        /// The page it was rendering.
        url: String,
        /// The time it had.
        timeout: Duration,
    },
    /// The browser exited unsuccessfully.
    #[error("{} failed rendering {url} ({status}): {stderr}", browser.display())]
    Failed {
        /// The browser's executable.
        browser: PathBuf,
        /// The page it was rendering.
        url: String,
        /// How it exited.
        status: ExitStatus,
        /// The last lines it wrote to standard error.
        stderr: String,
    },
}

/// The first `chromium` or `chromium-browser` executable on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    BROWSER_NAMES
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Loads the page at `html_path` in headless Chromium and returns the DOM as
/// the browser serialises it after rendering (`--dump-dom`). Chromium runs
/// with a fresh profile directory of its own and is stopped after
/// [`TIMEOUT`].
pub fn dump_dom(html_path: &Path) -> Result<String, BrowserError> {
    let browser = find_chromium().ok_or(BrowserError::NotFound)?;
    let path = html_path
        .canonicalize()
        .map_err(|source| BrowserError::Page {
            path: html_path.to_path_buf(),
            source,
        })?;
    dump_dom_with(&browser, &file_url(&path), TIMEOUT)
}

/// Runs `browser` on `url` with the headless `--dump-dom` flags, returning
/// its standard output, or an error when it fails or outlives `timeout`.
fn dump_dom_with(browser: &Path, url: &str, timeout: Duration) -> Result<String, BrowserError> {
    let profile = ProfileDir::new();
    let mut command = Command::new(browser);
    // Chromium starts helper processes of its own; a process group lets a
    // timeout stop all of them, so that none keeps the output pipes open.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| BrowserError::Start {
            browser: browser.to_path_buf(),
            source,
        })?;

    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let status = wait_until(&mut child, timeout);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        Some(Ok(status)) if status.success() => Ok(String::from_utf8_lossy(&stdout).into_owned()),
        Some(Ok(status)) => Err(BrowserError::Failed {
            browser: browser.to_path_buf(),
            url: url.to_string(),
            status,
            stderr: last_lines(&String::from_utf8_lossy(&stderr), 20),
        }),
        Some(Err(source)) => Err(BrowserError::Start {
            browser: browser.to_path_buf(),
            source,
        }),
        None => Err(BrowserError::Timeout {
            browser: browser.to_path_buf(),
            url: url.to_string(),
            timeout,
        }),
    }
}

/// Waits for the child to exit; after `timeout` kills it (with its process
/// group) and returns `None`.
fn wait_until(child: &mut Child, timeout: Duration) -> Option<io::Result<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() >= deadline => {
                #[cfg(unix)]
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Some(Err(e)),
        }
    }
}

/// Drains a pipe on a thread of its own, so that a full pipe never blocks
/// the browser.
fn read_in_background<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// `file://` URL of an absolute path, bytes outside the unreserved set and
/// `/` percent-encoded (spaces, `#`, `?`, non-ASCII names).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// A throw-away Chromium profile directory, removed when dropped.
struct ProfileDir(PathBuf);

impl ProfileDir {
    fn new() -> ProfileDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kensho-chromium-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        ProfileDir(dir)
    }
}

impl Drop for ProfileDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    /// A fresh directory for one test under the workspace's target directory.
    fn test_dir(name: &str) -> PathBuf {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        let target = if target.is_absolute() {
            target
        } else {
            workspace.join(target)
        };
        target
            .join("xtask-tests")
            .join(format!("{name}-{}", std::process::id()))
    }

    /// Held by each test that writes a program and starts it: a file another
    /// test thread still has open for writing when it forks cannot be started
    /// ("Text file busy"), so writing and starting never overlap.
    #[cfg(unix)]
    static WRITE_THEN_START: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A fake browser running `script`, with the lock that keeps other tests
    /// from writing their programs until this test is done.
    #[cfg(unix)]
    fn fake_browser(
        name: &str,
        script: &str,
    ) -> (PathBuf, PathBuf, std::sync::MutexGuard<'static, ()>) {
        use std::os::unix::fs::PermissionsExt;
        let alone = WRITE_THEN_START.lock().unwrap_or_else(|e| e.into_inner());
        let dir = test_dir(name);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fake-chromium");
        fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        (dir, path, alone)
    }

    #[cfg(unix)]
    #[test]
    fn browser_flags_and_output_are_passed_through() {
        let (dir, browser, _alone) = fake_browser("browser-args", "echo \"$@\"");
        let out =
            dump_dom_with(&browser, "file:///tmp/report.html", Duration::from_secs(20)).unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert!(
            out.starts_with("--headless --no-sandbox --disable-gpu "),
            "{out}"
        );
        assert!(out.contains(" --user-data-dir="), "{out}");
        assert!(
            out.trim_end()
                .ends_with("--dump-dom file:///tmp/report.html"),
            "{out}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn browser_failure_reports_status_and_stderr() {
        let (dir, browser, _alone) =
            fake_browser("browser-fails", "echo 'cannot open display' >&2; exit 3");
        let err = dump_dom_with(&browser, "file:///x.html", Duration::from_secs(20)).unwrap_err();
        let _ = fs::remove_dir_all(&dir);
        let message = err.to_string();
        assert!(matches!(err, BrowserError::Failed { .. }), "{message}");
        assert!(
            message.contains("failed rendering file:///x.html"),
            "{message}"
        );
        assert!(message.contains("cannot open display"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn browser_is_stopped_after_the_timeout() {
        let (dir, browser, _alone) = fake_browser("browser-hangs", "sleep 30; echo late");
        let started = Instant::now();
        let err =
            dump_dom_with(&browser, "file:///x.html", Duration::from_millis(300)).unwrap_err();
        let _ = fs::remove_dir_all(&dir);
        assert!(matches!(err, BrowserError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20));
        assert!(
            err.to_string()
                .contains("did not render file:///x.html within 0.3 s")
        );
    }

    #[test]
    fn missing_browser_error_names_the_package() {
        assert!(
            BrowserError::NotFound
                .to_string()
                .starts_with("headless Chromium not found: install the Debian package `chromium`")
        );
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/報告 #1/report.html")),
            "file:///tmp/%E5%A0%B1%E5%91%8A%20%231/report.html"
        );
    }
}
