//! The check `checks::a_lost_server_fails_its_engine_fast`: a PostgreSQL server
//! killed in the middle of a run fails its engine's remaining scenarios at once,
//! each naming the lost server, and the run ends soon after with exit code 1,
//! its reports saying which engine was lost and when.
//!
//! No scenario can hold this (killing its own server would end it), so the check
//! runs the `kensho` program on `fixtures/runner/lost_server/` (40 scenarios of
//! about 3 s each, 16 at a time) with a container of its own, kills that
//! container (`docker kill`, found by the run's owner label) once two scenarios
//! have passed, and reads the output and the reports.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, BufReader};

/// How many scenarios the fixture holds.
const SCENARIOS: usize = 40;

/// Scenarios that must have passed before the server is killed: the run is
/// well under way, with scenarios running and others still to come.
const PASSED_BEFORE_KILL: usize = 2;

/// From the kill until the last scenario line: the server is noticed lost
/// within about a second of its death, and its scenarios must fail within 10 s
/// of that.
const SCENARIOS_END_WITHIN: Duration = Duration::from_secs(12);

/// From the kill until the run's exit.
const RUN_ENDS_WITHIN: Duration = Duration::from_secs(30);

/// How long the check waits for anything before it gives up on the run (a
/// container's start and the template's migration take seconds; a run that
/// stalls on its lost server would take many minutes).
const GIVE_UP: Duration = Duration::from_secs(240);

/// Where the checked run writes its reports.
const REPORTS: &str = "target/kensho/runner-reports/lost-server";

/// How the check ended.
pub enum Verdict {
    /// Everything held.
    Held,
    /// Something did not, said on stderr.
    Broken,
    /// It could not run: no Docker engine (a failure in CI, said by the caller).
    NotRun(String),
}

/// One line of the checked run's output and when it came.
type Line = (Instant, String);

/// What the checked run did, from the kill on.
struct Killed {
    /// How it exited.
    status: std::process::ExitStatus,
    /// From the kill until its exit.
    ended: Duration,
    /// When the kill began.
    at: Instant,
    /// Its whole output.
    lines: Vec<Line>,
    /// The container filter of the run (`label=...owner-pid=<pid>`).
    filter: String,
}

/// Runs the check (see the module's documentation).
pub async fn a_lost_server_fails_its_engine_fast(root: &Path) -> Verdict {
    let label = "lost server check";
    if !docker(&["info"]).await.is_some_and(|(ok, _)| ok) {
        return Verdict::NotRun("no Docker engine answers (`docker info`)".into());
    }
    eprintln!(
        "\n{label}: a postgres server killed mid-run must fail its remaining scenarios at once and end the run"
    );
    match run_and_kill(root).await {
        Ok(killed) => judge(root, label, killed).await,
        Err(e) => {
            eprintln!("{label}: FAILED: {e}");
            Verdict::Broken
        }
    }
}

/// Starts `kensho` on the fixture with a container of its own, kills the
/// container once [`PASSED_BEFORE_KILL`] scenarios passed, and waits for the
/// run's end (at most [`GIVE_UP`]).
async fn run_and_kill(root: &Path) -> Result<Killed, String> {
    let _ = std::fs::remove_dir_all(root.join(REPORTS));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kensho"))
        .current_dir(root)
        .args(["--engines", "postgres", "--features"])
        .arg(root.join("fixtures/runner/lost_server"))
        .arg("--reports")
        .arg(root.join(REPORTS))
        .arg("--sqlite-dir")
        .arg(root.join("target/kensho/runner-sqlite/lost-server"))
        // A container of its own, never the suite's server.
        .env_remove("KENSHO_POSTGRES_URL")
        .env_remove("KENSHO_SHARED_TEMPLATES")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("could not start kensho: {e}"))?;
    let pid = child.id().unwrap_or_default();
    let lines: Arc<Mutex<Vec<Line>>> = Arc::default();
    let mut readers = tokio::task::JoinSet::new();
    if let Some(out) = child.stdout.take() {
        readers.spawn(collect(BufReader::new(out), lines.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.spawn(collect(BufReader::new(err), lines.clone()));
    }
    // The run under way: kill its container.
    let began = Instant::now();
    while passed(&lines.lock().unwrap()) < PASSED_BEFORE_KILL {
        if began.elapsed() > GIVE_UP || child.try_wait().ok().flatten().is_some() {
            return Err(format!(
                "the run ended or stalled before {PASSED_BEFORE_KILL} scenarios passed:\n{}",
                tail(&lines.lock().unwrap())
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let filter = format!("label=dev.kensho.owner-pid={pid}");
    let container = match docker(&["ps", "-q", "--filter", &filter]).await {
        Some((true, ids)) if !ids.trim().is_empty() => ids.trim().to_string(),
        other => {
            return Err(format!(
                "no container of the run (pid {pid}) found: {other:?}"
            ));
        }
    };
    let at = Instant::now();
    if !docker(&["kill", &container])
        .await
        .is_some_and(|(ok, _)| ok)
    {
        return Err(format!("docker kill {container} did not work"));
    }
    let Ok(Ok(status)) = tokio::time::timeout(GIVE_UP, child.wait()).await else {
        let _ = child.kill().await;
        return Err(format!(
            "the run still went on {} s after its server was killed:\n{}",
            GIVE_UP.as_secs(),
            tail(&lines.lock().unwrap())
        ));
    };
    let ended = at.elapsed();
    while readers.join_next().await.is_some() {}
    let lines = lines.lock().unwrap().clone();
    Ok(Killed {
        status,
        ended,
        at,
        lines,
        filter,
    })
}

/// Whether the killed run ended as it must (see the module's documentation).
async fn judge(root: &Path, label: &str, killed: Killed) -> Verdict {
    let Killed {
        status,
        ended,
        at,
        lines,
        filter,
    } = killed;
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let last_scenario = lines
        .iter()
        .filter(|(_, l)| l.starts_with("PASS") || l.starts_with("FAIL"))
        .map(|(when, _)| when.saturating_duration_since(at))
        .max()
        .unwrap_or_default();
    let failed = lines.iter().filter(|(_, l)| l.starts_with("FAIL")).count();
    let junit = std::fs::read_to_string(root.join(REPORTS).join("junit.xml")).unwrap_or_default();
    let left = docker(&["ps", "-aq", "--filter", &filter])
        .await
        .map(|(_, ids)| ids.trim().to_string())
        .unwrap_or_default();
    let reads = [
        ("the run exits with code 1", status.code() == Some(1)),
        (
            "the run ends within 30 s of the kill",
            ended <= RUN_ENDS_WITHIN,
        ),
        (
            "the last scenario ends within 12 s of the kill",
            last_scenario <= SCENARIOS_END_WITHIN,
        ),
        (
            "every scenario ran to an end, passed or failed",
            passed(&lines) + failed == SCENARIOS,
        ),
        ("some scenarios failed after the kill", failed > 0),
        (
            "every failed scenario names the lost server",
            failures(&lines)
                .iter()
                .all(|failure| failure.contains("the postgres server was lost at")),
        ),
        (
            "the summary names the lost server",
            text.contains("[postgres] the server is gone: the postgres server was lost at"),
        ),
        (
            "junit.xml says the postgres server was lost, and when",
            junit.contains("The postgres server was lost during the run")
                && junit.contains("s after the run started"),
        ),
        ("the run's container is gone", left.is_empty()),
    ];
    let broken: Vec<&str> = reads
        .iter()
        .filter(|(_, held)| !held)
        .map(|(what, _)| *what)
        .collect();
    eprintln!(
        "{label}: exit {:?} {:.1} s after the kill; last scenario {:.1} s after it; {} passed, {failed} failed",
        status.code(),
        ended.as_secs_f64(),
        last_scenario.as_secs_f64(),
        passed(&lines)
    );
    if broken.is_empty() {
        eprintln!("{label}: ok");
        Verdict::Held
    } else {
        eprintln!(
            "{label}: FAILED: not so: {}\n{}",
            broken.join("; "),
            tail(&lines)
        );
        Verdict::Broken
    }
}

/// How many scenarios passed, by the run's lines.
fn passed(lines: &[Line]) -> usize {
    lines.iter().filter(|(_, l)| l.starts_with("PASS")).count()
}

/// Keeps every line `reader` gives, with when it came.
async fn collect<R: tokio::io::AsyncBufRead + Unpin>(reader: R, lines: Arc<Mutex<Vec<Line>>>) {
    let mut reader = reader.lines();
    while let Ok(Some(line)) = reader.next_line().await {
        lines.lock().unwrap().push((Instant::now(), line));
    }
}

/// Each failed scenario's line with the lines under it (its failing steps,
/// indented), as the run prints them.
fn failures(lines: &[Line]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut inside = false;
    for (_, line) in lines {
        if line.starts_with("FAIL") {
            out.push(line.clone());
            inside = true;
        } else if inside && line.starts_with(' ') {
            if let Some(last) = out.last_mut() {
                last.push('\n');
                last.push_str(line);
            }
        } else {
            inside = false;
        }
    }
    out
}

/// The last lines of the output, to show with a failure.
fn tail(lines: &[Line]) -> String {
    let from = lines.len().saturating_sub(40);
    lines[from..]
        .iter()
        .map(|(_, l)| format!("  | {l}\n"))
        .collect()
}

/// Runs `docker` with `args`: whether it succeeded and its standard output;
/// `None` when it cannot be started.
async fn docker(args: &[&str]) -> Option<(bool, String)> {
    let out = tokio::process::Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .await
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}
