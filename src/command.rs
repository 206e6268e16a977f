//! Running a program from a scenario: the library behind the command steps and
//! the services' build commands.
//!
//! A command line is split into words ([`split_command`]), never given to a shell:
//! no pipes, redirections, globbing or variables, so what a scenario says is
//! exactly what runs. [`run`] starts the program with stdin closed, captures its
//! stdout and stderr (up to [`OUTPUT_LIMIT`] bytes each) and kills it, with every
//! process it started, when its time limit passes.
//!
//! What a program prints is masked as it is captured
//! ([`kensho_shared::secret::mask`]): no password the run knows — of the
//! scenario's database URL, of a server's — reaches the console, a report or a
//! failure message through a program's output. A program gets the scenario's
//! database, never the administrator's URLs of Kensho's own environment
//! ([`WITHHELD_VARIABLES`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of each of stdout and stderr a run keeps (1 MiB); the rest is counted
/// and marked "… (N more bytes)".
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// How much of each of stdout and stderr [`CommandOutcome::summary`] shows.
pub const SUMMARY_CHARS: usize = 2000;

/// How long a killed program's output is still read before it is given up.
const AFTER_KILL: Duration = Duration::from_secs(2);

/// How long a program's output is still read after the program itself exited:
/// its pipes close at once unless processes it left behind hold them, and those
/// get this long to finish writing (a shell's last background job, say) before
/// they are killed. Short, so that a program leaving a server running in the
/// background does not hold its step until the time limit.
pub const OUTPUT_GRACE: Duration = Duration::from_secs(2);

/// Variables of Kensho's own environment a program never inherits: the
/// administrator's server URLs (with their passwords). A program gets the
/// scenario's database in the variables its step passes (`DATABASE_URL`).
pub const WITHHELD_VARIABLES: [&str; 2] = ["KENSHO_POSTGRES_URL", "KENSHO_MARIADB_URL"];

/// What a command step ran and what came back.
#[derive(Clone, Debug)]
pub struct CommandOutcome {
    /// The command line as written.
    pub command: String,
    /// The exit code; `None` when the program was killed (by its time limit or a
    /// signal).
    pub code: Option<i32>,
    /// Its standard output (lossy UTF-8, cut at [`OUTPUT_LIMIT`] bytes).
    pub stdout: String,
    /// Its standard error (lossy UTF-8, cut at [`OUTPUT_LIMIT`] bytes).
    pub stderr: String,
    /// From start to exit (or kill).
    pub took: Duration,
    /// Whether it was killed because its time limit passed.
    pub timed_out: bool,
    /// When the program exited but processes it left behind kept its output
    /// open: how long after its exit their output was given up and they were
    /// killed (about [`OUTPUT_GRACE`]).
    pub output_left_open: Option<Duration>,
}

impl CommandOutcome {
    /// A short multi-line text for reports: the command, how it ended (and
    /// whether its output stayed open after it exited), and its stdout and
    /// stderr (each cut to about [`SUMMARY_CHARS`] characters, the beginning and
    /// the end kept).
    pub fn summary(&self) -> String {
        let mut ended = match (self.timed_out, self.code) {
            (true, _) => format!(
                "killed after {:.1} s (its time limit)",
                self.took.as_secs_f64()
            ),
            (false, Some(code)) => {
                format!("exit code {code} after {:.1} s", self.took.as_secs_f64())
            }
            (false, None) => format!(
                "no exit code: killed by a signal after {:.1} s",
                self.took.as_secs_f64()
            ),
        };
        if let Some(open) = self.output_left_open {
            ended.push_str(&format!(
                "; its output stayed open after it exited (processes it left behind held it): they were killed {:.1} s later, {:.1} s in all",
                open.as_secs_f64(),
                (self.took + open).as_secs_f64()
            ));
        }
        format!(
            "$ {}\n{ended}\nstdout:{}\nstderr:{}",
            self.command,
            shown_output(&self.stdout),
            shown_output(&self.stderr)
        )
    }
}

/// One captured stream as [`CommandOutcome::summary`] shows it: " (empty)", or
/// the text on the following lines, indented, cut in the middle when long.
fn shown_output(text: &str) -> String {
    let text = text.trim_end();
    if text.is_empty() {
        return " (empty)".to_string();
    }
    let chars = text.chars().count();
    let text = if chars <= SUMMARY_CHARS {
        text.to_string()
    } else {
        let half = SUMMARY_CHARS / 2;
        let head: String = text.chars().take(half).collect();
        let tail: String = text.chars().skip(chars - half).collect();
        format!(
            "{head}\n… ({} characters left out) …\n{tail}",
            chars - 2 * half
        )
    };
    text.lines().fold(String::new(), |mut shown, line| {
        shown.push('\n');
        if !line.is_empty() {
            shown.push_str("  ");
            shown.push_str(line);
        }
        shown
    })
}

/// Why a command could not run. (A program that runs and fails is not an error:
/// its [`CommandOutcome`] says how it ended.)
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command line cannot be split into words.
    #[error(
        "command `{command}`, column {column}: {problem}; write the program and its arguments separated by spaces, grouping with \"double\" or 'single' quotes (no shell: no pipes, redirections, globbing or variables)"
    )]
    BadLine {
        /// The command line as written.
        command: String,
        /// Where the problem is (1 = first character).
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// The program is in none of the folders searched.
    #[error(
        "command `{command}`: program {program:?} not found in {}; build it first (for a Rust service: `cargo build --bin {program}`) or write its path",
        shown_dirs(.searched)
    )]
    NotFound {
        /// The command line as written.
        command: String,
        /// The program as written.
        program: String,
        /// The folders searched, in order.
        searched: Vec<PathBuf>,
    },
    /// The program was found but could not be started.
    #[error("command `{command}`: could not start {} in {}: {source}", .program.display(), .cwd.display())]
    Start {
        /// The command line as written.
        command: String,
        /// The program's path.
        program: PathBuf,
        /// The working folder it was to run in.
        cwd: PathBuf,
        /// Why it did not start.
        #[source]
        source: std::io::Error,
    },
}

/// The searched folders as an error shows them.
fn shown_dirs(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no folder (PATH is empty)".to_string();
    }
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    format!("{} (extra folders, then PATH)", shown.join(":"))
}

/// Splits a command line into program and arguments: words separated by spaces,
/// "double" and 'single' quotes group, backslash escapes inside double quotes; no
/// shell, no globbing, no variables. Errors (unclosed quote, empty) name the
/// command and the column.
///
/// Quoted parts join the text next to them (`a"b c"` is one word, `ab c`); `""`
/// is an empty word. Inside double quotes a backslash takes the next character as
/// it is (`\"`, `\\`); elsewhere a backslash is an ordinary character. Tabs
/// separate words like spaces.
pub fn split_command(line: &str) -> Result<Vec<String>, CommandError> {
    let bad = |column: usize, problem: &str| CommandError::BadLine {
        command: line.to_string(),
        column,
        problem: problem.to_string(),
    };
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().zip(1usize..);
    while let Some((c, column)) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '\n' | '\r' => return Err(bad(column, "a line break (a command is one line)")),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(('\'', _)) => break,
                        Some((c, _)) => word.push(c),
                        None => return Err(bad(column, "this single quote is not closed")),
                    }
                }
            }
            '"' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(('"', _)) => break,
                        Some(('\\', _)) => match chars.next() {
                            Some((c, _)) => word.push(c),
                            None => return Err(bad(column, "this double quote is not closed")),
                        },
                        Some((c, _)) => word.push(c),
                        None => return Err(bad(column, "this double quote is not closed")),
                    }
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err(bad(1, "the command is empty"));
    }
    Ok(words)
}

/// Runs it: program resolved against PATH (with `extra_path` dirs put first),
/// working directory `cwd`, environment = the current one without
/// [`WITHHELD_VARIABLES`], plus `env`, stdin
/// closed, stdout/stderr captured (each kept up to [`OUTPUT_LIMIT`] bytes = 1 MiB,
/// then "… (N more bytes)" marked), killed (whole process) when `limit` passes →
/// `timed_out = true`, code `None`.
///
/// Details:
/// - a program written with a `/` is a path, relative to `cwd`;
/// - `PATH` is the one in `env` if it sets one, else the current one; the program
///   runs with `extra_path` put first in its `PATH` too, so what it starts is
///   found the same way;
/// - the program runs in its own process group (Unix), and the whole group is
///   killed at the limit: a shell's children do not outlive it. Output that
///   processes it left behind keep open after it exited is read for
///   [`OUTPUT_GRACE`] (never past the limit), then they are killed too, and the
///   outcome says so ([`CommandOutcome::output_left_open`]);
/// - what it printed is masked ([`kensho_shared::secret::mask`]): registered
///   secrets and the passwords of URLs are `***`.
pub async fn run(
    line: &str,
    cwd: &Path,
    env: &[(String, String)],
    extra_path: &[PathBuf],
    limit: Duration,
) -> Result<CommandOutcome, CommandError> {
    run_interrupting(line, cwd, env, extra_path, limit, &[]).await
}

/// A signal a run sends the program when its output shows a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// The text to wait for in standard output or error.
    pub shows: String,
    /// What to send then.
    pub signal: Signal,
}

/// What [`run_interrupting`] sends the program's process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, as Ctrl-C in a terminal sends it.
    Interrupt,
    /// SIGKILL, as `kill -9`: the program cannot clean up.
    Kill,
}

impl Signal {
    fn number(self) -> i32 {
        match self {
            Signal::Interrupt => 2,
            Signal::Kill => 9,
        }
    }
}

/// As [`run`], and signals the program's process group at each cue in turn: once
/// its standard output or error shows the first cue's text, then once output
/// written after that signal shows the next one's, and so on.
pub async fn run_interrupting(
    line: &str,
    cwd: &Path,
    env: &[(String, String)],
    extra_path: &[PathBuf],
    limit: Duration,
    cues: &[Cue],
) -> Result<CommandOutcome, CommandError> {
    let words = split_command(line)?;
    let (program, args) = words
        .split_first()
        .expect("split_command returns at least one word");
    let path_var = env
        .iter()
        .rev()
        .find(|(name, _)| name == "PATH")
        .map(|(_, value)| OsString::from(value))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let here = std::env::current_dir().unwrap_or_default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in extra_path
        .iter()
        .map(|dir| here.join(dir))
        .chain(std::env::split_paths(&path_var).filter(|d| !d.as_os_str().is_empty()))
    {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let resolved = resolve(program, cwd, &dirs).ok_or_else(|| CommandError::NotFound {
        command: line.to_string(),
        program: program.clone(),
        searched: dirs.clone(),
    })?;

    let mut command = tokio::process::Command::new(&resolved);
    for withheld in WITHHELD_VARIABLES {
        command.env_remove(withheld);
    }
    command
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Ok(joined) = std::env::join_paths(&dirs) {
        command.env("PATH", joined);
    }
    #[cfg(unix)]
    command.process_group(0);

    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let mut child = command.spawn().map_err(|source| CommandError::Start {
        command: line.to_string(),
        program: resolved.clone(),
        cwd: cwd.to_path_buf(),
        source,
    })?;
    let group = child.id();
    let stdout = Capture::default();
    let stderr = Capture::default();
    let mut readers = tokio::task::JoinSet::new();
    if let Some(pipe) = child.stdout.take() {
        readers.spawn(stdout.clone().drain(pipe));
    }
    if let Some(pipe) = child.stderr.take() {
        readers.spawn(stderr.clone().drain(pipe));
    }

    let waited = wait_interrupting(&mut child, group, [&stdout, &stderr], cues);
    let (code, timed_out) = match tokio::time::timeout_at(deadline, waited).await {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(source)) => {
            kill_group(group);
            return Err(CommandError::Start {
                command: line.to_string(),
                program: resolved,
                cwd: cwd.to_path_buf(),
                source,
            });
        }
        Err(_) => {
            kill_group(group);
            let _ = child.start_kill();
            let _ = child.wait().await;
            (None, true)
        }
    };
    let took = started.elapsed();
    // The pipes close when every process holding them has ended: right away,
    // unless the program left processes behind (they are killed after a grace
    // period, or at once when the limit passed).
    let now = tokio::time::Instant::now();
    let read_until = if timed_out {
        now + AFTER_KILL
    } else {
        deadline.min(now + OUTPUT_GRACE)
    };
    let mut output_left_open = None;
    if tokio::time::timeout_at(read_until, drain_all(&mut readers))
        .await
        .is_err()
    {
        if !timed_out {
            output_left_open = Some(started.elapsed().saturating_sub(took));
        }
        kill_group(group);
        if tokio::time::timeout(AFTER_KILL, drain_all(&mut readers))
            .await
            .is_err()
        {
            readers.abort_all();
        }
    }
    Ok(CommandOutcome {
        command: line.to_string(),
        code,
        stdout: kensho_shared::secret::mask(&stdout.text()),
        stderr: kensho_shared::secret::mask(&stderr.text()),
        took,
        timed_out,
        output_left_open,
    })
}

/// The folder `cargo build` put the programs of this build in (`target/debug` or
/// `target/release`): the one holding the running program, or its parent when that
/// is `deps` (a test binary). Given to [`run`] as an extra `PATH` folder, it lets a
/// scenario run a service's program by name.
pub fn binaries_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.parent().map(Path::to_path_buf)
    } else {
        Some(dir.to_path_buf())
    }
}

/// Where `program` is: a path (it has a `/`) relative to `cwd`, or the first
/// executable file of that name in `dirs`.
fn resolve(program: &str, cwd: &Path, dirs: &[PathBuf]) -> Option<PathBuf> {
    if program.contains('/') {
        let path = cwd.join(program);
        return path.is_file().then_some(path);
    }
    dirs.iter()
        .map(|dir| dir.join(program))
        .find(|path| is_executable(path))
}

/// Whether `path` is a file that may be run.
fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Kills every process of the process group `group` (the program's: it leads its
/// own group). Nothing to do when it has already ended.
fn kill_group(group: Option<u32>) {
    #[cfg(unix)]
    if let Some(group) = group.and_then(|g| i32::try_from(g).ok()) {
        unsafe extern "C" {
            // POSIX `kill(2)`, from the C library std links anyway.
            fn kill(pid: i32, signal: i32) -> i32;
        }
        const SIGKILL: i32 = 9;
        // SAFETY: `kill` takes two integers and touches no memory of ours. A
        // negative pid names a process group; this one is the program's, which we
        // started as its leader and have not reaped yet (or whose members still
        // hold its output open), so the id cannot belong to another group. An
        // error (the group has ended) is harmless and ignored.
        unsafe {
            kill(-group, SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = group;
}

/// How often a program's output is looked at for the next cue.
const CUE_LOOK: Duration = Duration::from_millis(50);

/// Waits for the program to end, signalling its group at each cue (see
/// [`run_interrupting`]).
async fn wait_interrupting(
    child: &mut tokio::process::Child,
    group: Option<u32>,
    outputs: [&Capture; 2],
    cues: &[Cue],
) -> std::io::Result<std::process::ExitStatus> {
    let mut seen_from = [0, 0];
    for cue in cues {
        loop {
            tokio::select! {
                status = child.wait() => return status,
                () = tokio::time::sleep(CUE_LOOK) => {}
            }
            if outputs
                .iter()
                .zip(seen_from)
                .any(|(output, from)| output.shows_after(from, &cue.shows))
            {
                seen_from = outputs.map(Capture::len);
                signal_group(group, cue.signal.number());
                break;
            }
        }
    }
    child.wait().await
}

/// Sends `signal` to every process of the process group `group`.
fn signal_group(group: Option<u32>, signal: i32) {
    #[cfg(unix)]
    if let Some(group) = group.and_then(|g| i32::try_from(g).ok()) {
        unsafe extern "C" {
            // POSIX `kill(2)`, from the C library std links anyway.
            fn kill(pid: i32, signal: i32) -> i32;
        }
        // SAFETY: as in `kill_group`: two integers, no memory touched; the group
        // is the program's, which has not been reaped yet.
        unsafe {
            kill(-group, signal);
        }
    }
    #[cfg(not(unix))]
    let _ = (group, signal);
}

/// Waits until every reader has reached the end of its pipe.
async fn drain_all(readers: &mut tokio::task::JoinSet<()>) {
    while readers.join_next().await.is_some() {}
}

/// One captured output stream, shared with the task reading it so that what was
/// read is kept even when the reading is given up.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

#[derive(Default)]
struct Captured {
    /// The first [`OUTPUT_LIMIT`] bytes.
    kept: Vec<u8>,
    /// How many bytes came after them.
    more: u64,
}

impl Capture {
    /// Reads `pipe` to its end (or an error), keeping the first [`OUTPUT_LIMIT`]
    /// bytes and counting the rest, so that the program never blocks on a full
    /// pipe.
    async fn drain(self, mut pipe: impl AsyncRead + Unpin) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match pipe.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut captured = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let room = OUTPUT_LIMIT.saturating_sub(captured.kept.len()).min(n);
            captured.kept.extend_from_slice(&buffer[..room]);
            captured.more += (n - room) as u64;
        }
    }

    /// How many bytes are kept so far.
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).kept.len()
    }

    /// Whether the bytes kept after the first `from` show `cue`.
    fn shows_after(&self, from: usize, cue: &str) -> bool {
        let captured = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let new = captured.kept.get(from..).unwrap_or_default();
        String::from_utf8_lossy(new).contains(cue)
    }

    /// What was read, as text, with the bytes beyond the limit marked.
    fn text(&self) -> String {
        let captured = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::from_utf8_lossy(&captured.kept).into_owned();
        if captured.more > 0 {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("… ({} more bytes)", captured.more));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_command(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    fn refused(line: &str) -> (usize, String) {
        match split_command(line) {
            Err(CommandError::BadLine {
                command,
                column,
                problem,
            }) => {
                assert_eq!(command, line);
                (column, problem)
            }
            other => panic!("{line:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn words_are_separated_by_spaces() {
        assert_eq!(
            words("  ledger-import run\tb.csv  "),
            ["ledger-import", "run", "b.csv"]
        );
        assert_eq!(
            words("a *.csv $HOME ~ |"),
            ["a", "*.csv", "$HOME", "~", "|"]
        );
        assert_eq!(words(r"a C:\x\y"), ["a", r"C:\x\y"]);
    }

    #[test]
    fn quotes_group_and_join_their_neighbours() {
        assert_eq!(
            words(r#"sh -c 'echo out; echo err >&2'"#),
            ["sh", "-c", "echo out; echo err >&2"]
        );
        assert_eq!(words(r#"a "b c" d"#), ["a", "b c", "d"]);
        assert_eq!(words(r#"a"b c"d'e f'"#), ["ab cde f"]);
        assert_eq!(words(r#"a "" ''"#), ["a", "", ""]);
        assert_eq!(
            words(r#"a "it's" 'say "hi"'"#),
            ["a", "it's", r#"say "hi""#]
        );
        assert_eq!(words("請求 '2026-11 分'"), ["請求", "2026-11 分"]);
    }

    #[test]
    fn backslashes_escape_inside_double_quotes_only() {
        assert_eq!(words(r#"a "x\"y" "b\\c""#), ["a", r#"x"y"#, r"b\c"]);
        assert_eq!(words(r#"a "\n""#), ["a", "n"]);
        assert_eq!(words(r"a 'x\y'"), ["a", r"x\y"]);
    }

    #[test]
    fn bad_lines_name_the_command_and_the_column() {
        let (column, problem) = refused(r#"a "b c"#);
        assert_eq!(column, 3);
        assert!(problem.contains("double quote is not closed"), "{problem}");
        let (column, problem) = refused("abc 'd");
        assert_eq!(column, 5);
        assert!(problem.contains("single quote"), "{problem}");
        assert_eq!(refused(r#"a "b\"#).0, 3);
        assert_eq!(refused("請求 'x").0, 4);
        let (column, problem) = refused("   ");
        assert_eq!(column, 1);
        assert!(problem.contains("empty"), "{problem}");
        assert!(refused("").1.contains("empty"));
        assert_eq!(refused("a\nb").0, 2);
        let shown = split_command("x 'y").unwrap_err().to_string();
        assert!(shown.starts_with("command `x 'y`, column 3:"), "{shown}");
    }

    fn here() -> PathBuf {
        std::env::current_dir().unwrap()
    }

    const LIMIT: Duration = Duration::from_secs(20);

    #[tokio::test]
    async fn exit_code_and_both_outputs_come_back() {
        let outcome = run(
            "sh -c 'echo out; echo err >&2; exit 3'",
            &here(),
            &[],
            &[],
            LIMIT,
        )
        .await
        .unwrap();
        assert_eq!(outcome.code, Some(3));
        assert!(!outcome.timed_out);
        assert_eq!(outcome.stdout, "out\n");
        assert_eq!(outcome.stderr, "err\n");
        let summary = outcome.summary();
        assert!(summary.starts_with("$ sh -c 'echo out;"), "{summary}");
        assert!(summary.contains("exit code 3"), "{summary}");
        assert!(
            summary.contains("stdout:\n  out\nstderr:\n  err"),
            "{summary}"
        );
    }

    #[tokio::test]
    async fn the_time_limit_kills_the_program() {
        let began = Instant::now();
        let outcome = run("sleep 5", &here(), &[], &[], Duration::from_millis(200))
            .await
            .unwrap();
        assert!(outcome.timed_out);
        assert_eq!(outcome.code, None);
        assert!(began.elapsed() < Duration::from_secs(3), "{outcome:?}");
        assert!(
            outcome.summary().contains("\nkilled after 0."),
            "{}",
            outcome.summary()
        );
    }

    #[tokio::test]
    async fn the_time_limit_kills_what_the_program_started() {
        // The shell waits for its child, which would keep the pipes open.
        let began = Instant::now();
        let outcome = run(
            "sh -c 'echo started; sleep 5; echo never'",
            &here(),
            &[],
            &[],
            Duration::from_millis(300),
        )
        .await
        .unwrap();
        assert!(outcome.timed_out);
        assert_eq!(outcome.stdout, "started\n");
        assert!(began.elapsed() < Duration::from_secs(3), "{outcome:?}");
    }

    #[tokio::test]
    async fn processes_left_behind_are_killed_at_the_limit() {
        let began = Instant::now();
        let outcome = run(
            "sh -c '(sleep 5; echo late) & echo done'",
            &here(),
            &[],
            &[],
            Duration::from_millis(500),
        )
        .await
        .unwrap();
        assert_eq!(outcome.code, Some(0));
        assert!(!outcome.timed_out);
        assert_eq!(outcome.stdout, "done\n");
        assert!(began.elapsed() < Duration::from_secs(3), "{outcome:?}");
    }

    #[tokio::test]
    async fn an_unknown_program_is_not_found_with_the_folders_searched() {
        let extra = PathBuf::from("/nonexistent/kensho-bin");
        let err = run(
            "kensho-no-such-program --flag",
            &here(),
            &[],
            std::slice::from_ref(&extra),
            LIMIT,
        )
        .await
        .unwrap_err();
        match &err {
            CommandError::NotFound {
                program, searched, ..
            } => {
                assert_eq!(program, "kensho-no-such-program");
                assert_eq!(searched[0], extra);
            }
            other => panic!("{other:?}"),
        }
        let shown = err.to_string();
        assert!(shown.contains("/nonexistent/kensho-bin:"), "{shown}");
        assert!(
            shown.contains("cargo build --bin kensho-no-such-program"),
            "{shown}"
        );
        assert!(matches!(
            run("./no/such/program", &here(), &[], &[], LIMIT).await,
            Err(CommandError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn the_environment_is_passed_and_extra_folders_come_first() {
        let dir = std::env::temp_dir().join(format!("kensho-command-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("kensho-hello");
        // Written by a program of its own, never through a file this process
        // holds open: another test forking meanwhile would keep it open for
        // writing, and starting it would fail with "Text file busy".
        let written = std::process::Command::new("sh")
            .args([
                "-c",
                "printf '#!/bin/sh\\necho \"hello $KENSHO_NAME from $0\"\\n' > \"$1\" && chmod 755 \"$1\"",
                "sh",
            ])
            .arg(&script)
            .status()
            .unwrap();
        assert!(written.success());
        let env = [("KENSHO_NAME".to_string(), "請求 batch".to_string())];
        let extra = [dir.clone()];
        let outcome = run("kensho-hello", &here(), &env, &extra, LIMIT)
            .await
            .unwrap();
        assert_eq!(outcome.code, Some(0), "{}", outcome.summary());
        assert_eq!(
            outcome.stdout,
            format!("hello 請求 batch from {}\n", script.display())
        );
        // The program's own PATH has the extra folder first, and cwd is used.
        let outcome = run("sh -c 'kensho-hello; pwd'", &dir, &env, &extra, LIMIT)
            .await
            .unwrap();
        assert_eq!(outcome.code, Some(0), "{}", outcome.summary());
        assert!(
            outcome.stdout.starts_with("hello 請求 batch"),
            "{}",
            outcome.stdout
        );
        assert!(
            outcome
                .stdout
                .trim_end()
                .ends_with(&*dir.file_name().unwrap().to_string_lossy())
        );
        let outcome = run("./kensho-hello", &dir, &env, &[], LIMIT).await.unwrap();
        assert_eq!(outcome.code, Some(0), "{}", outcome.summary());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn output_beyond_the_limit_is_counted_not_kept() {
        let outcome = run(
            "sh -c 'head -c 1049600 /dev/zero | tr \"\\000\" x; echo; echo tail >&2'",
            &here(),
            &[],
            &[],
            LIMIT,
        )
        .await
        .unwrap();
        assert_eq!(outcome.code, Some(0), "{}", outcome.summary());
        assert!(outcome.stdout.len() < OUTPUT_LIMIT + 100);
        assert!(
            outcome.stdout.ends_with("\n… (1025 more bytes)"),
            "{}",
            &outcome.stdout[OUTPUT_LIMIT - 10..]
        );
        assert_eq!(outcome.stderr, "tail\n");
        let summary = outcome.summary();
        assert!(summary.contains("characters left out"), "{}", summary.len());
        assert!(summary.len() < 3 * SUMMARY_CHARS, "{}", summary.len());
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_says_why() {
        let err = run("sh", Path::new("/nonexistent/kensho-cwd"), &[], &[], LIMIT)
            .await
            .unwrap_err();
        assert!(matches!(err, CommandError::Start { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/kensho-cwd"), "{err}");
    }

    #[tokio::test]
    async fn cues_interrupt_the_program_in_turn() {
        // The program counts the SIGINTs it gets; it prints "got 1" only after the
        // first, so the second cue can be seen only after the first signal.
        let script = r#"trap 'n=$((n+1)); echo \"got $n\"; [ $n = 2 ] && exit 7' INT; n=0; echo ready; while :; do sleep 0.05; done"#;
        let outcome = run_interrupting(
            &format!("sh -c \"{script}\""),
            &here(),
            &[],
            &[],
            LIMIT,
            &[
                Cue {
                    shows: "ready".into(),
                    signal: Signal::Interrupt,
                },
                Cue {
                    shows: "got 1".into(),
                    signal: Signal::Interrupt,
                },
            ],
        )
        .await
        .unwrap();
        assert_eq!(outcome.code, Some(7), "{}", outcome.summary());
        assert_eq!(outcome.stdout, "ready\ngot 1\ngot 2\n");
        // Without cues nothing is sent: the program runs out of time.
        let outcome = run(
            &format!("sh -c \"{script}\""),
            &here(),
            &[],
            &[],
            Duration::from_millis(300),
        )
        .await
        .unwrap();
        assert!(outcome.timed_out, "{}", outcome.summary());
    }

    #[tokio::test]
    async fn a_background_child_holding_the_output_does_not_hold_the_step() {
        // The shell exits at once; its background `sleep` keeps the pipes open.
        let limit = Duration::from_secs(60);
        let began = Instant::now();
        let outcome = run(
            "sh -c 'sleep 40 & echo $!; echo started'",
            &here(),
            &[],
            &[],
            limit,
        )
        .await
        .unwrap();
        let waited = began.elapsed();
        assert!(waited < limit / 4, "{waited:?}: {}", outcome.summary());
        assert_eq!(outcome.code, Some(0));
        assert!(!outcome.timed_out);
        let open = outcome.output_left_open.expect("the output stayed open");
        assert!(open >= OUTPUT_GRACE / 2 && open <= waited, "{open:?}");
        let summary = outcome.summary();
        assert!(
            summary.contains("its output stayed open after it exited"),
            "{summary}"
        );
        // The real time, not only the shell's own.
        let in_all = format!("{:.1} s in all", (outcome.took + open).as_secs_f64());
        assert!(summary.contains(&in_all), "{summary}");
        assert!(!summary.contains(" 0.0 s in all"), "{summary}");
        // The leftover `sleep` was killed (gone, or a zombie nobody reaps, once
        // the signal has been delivered).
        let pid = outcome.stdout.lines().next().unwrap();
        let mut state = String::new();
        for _ in 0..50 {
            state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if state.is_empty() || state.contains(") Z ") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            state.is_empty() || state.contains(") Z "),
            "sleep {pid} still runs: {state}"
        );
        // A program whose children end with it is not reported so.
        let outcome = run("sh -c 'echo quick'", &here(), &[], &[], limit)
            .await
            .unwrap();
        assert_eq!(outcome.output_left_open, None);
        assert!(!outcome.summary().contains("stayed open"));
    }

    #[tokio::test]
    async fn a_programs_output_never_shows_a_registered_password() {
        // As a scenario's database URL is registered when it is handed out.
        let url = "postgres://kensho:Cm4-p%40ss%2Fword@127.0.0.1:5432/kensho_1_00001";
        kensho_shared::secret::register_url(url);
        let env = [
            ("DATABASE_URL".to_string(), url.to_string()),
            ("SERVICE_PASSWORD".to_string(), "Cm4-p@ss/word".to_string()),
        ];
        let shown = "postgres://kensho:***@127.0.0.1:5432/kensho_1_00001";
        let outcome = run("printenv DATABASE_URL", &here(), &env, &[], LIMIT)
            .await
            .unwrap();
        assert_eq!(outcome.stdout, format!("{shown}\n"));
        let outcome = run("env", &here(), &env, &[], LIMIT).await.unwrap();
        assert!(
            outcome.stdout.contains(&format!("DATABASE_URL={shown}\n")),
            "{}",
            outcome.stdout
        );
        assert!(outcome.stdout.contains("SERVICE_PASSWORD=***\n"));
        assert!(!outcome.stdout.contains("Cm4-p"), "{}", outcome.stdout);
        // Decoded, on standard error, of a program that fails.
        let outcome = run(
            "sh -c 'echo \"cannot connect to $DATABASE_URL as $SERVICE_PASSWORD\" >&2; exit 2'",
            &here(),
            &env,
            &[],
            LIMIT,
        )
        .await
        .unwrap();
        assert_eq!(outcome.code, Some(2));
        assert_eq!(
            outcome.stderr,
            format!("cannot connect to {shown} as ***\n")
        );
        let summary = outcome.summary();
        assert!(!summary.contains("Cm4-p"), "{summary}");
        assert!(summary.contains(shown), "{summary}");
    }

    #[test]
    fn empty_outputs_are_shown_as_such() {
        let outcome = CommandOutcome {
            command: "true".into(),
            code: Some(0),
            stdout: String::new(),
            stderr: "\n".into(),
            took: Duration::from_millis(12),
            timed_out: false,
            output_left_open: None,
        };
        assert_eq!(
            outcome.summary(),
            "$ true\nexit code 0 after 0.0 s\nstdout: (empty)\nstderr: (empty)"
        );
    }
}
