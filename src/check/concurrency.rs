//! Concurrency statistics (並行実行の統計) for steps that run operations side by side.
//!
//! A scenario that runs, say, photo saves while a purge is in progress records
//! every operation in a [`LatencyRecorder`]: its name (`"save"`, `"update"`, ...),
//! how long it took and whether it succeeded or failed with an error of some
//! [`ErrorKind`]. The recorder then summarises each operation ([`Summary`]:
//! count, failures by kind, p50/p95/p99/max latency) and answers the questions a
//! scenario asserts: is p99 below a bound, were there no lock wait timeouts, no
//! failures at all?
//!
//! Percentiles are nearest-rank on the sorted samples, computed with integer
//! arithmetic, so they are exact and reproducible. Latencies of failed
//! operations count too: a save that waited 50 s for a lock and then timed out
//! is exactly the latency a user felt.
//!
//! Recording is single-threaded (`&mut self`): steps run in one async task.
//! Recorders filled separately combine with [`LatencyRecorder::merge`].

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// Why an operation failed, as far as concurrency is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Gave up waiting for a lock (ロック待ちタイムアウト): MariaDB/MySQL 1205,
    /// PostgreSQL SQLSTATE 55P03.
    LockWaitTimeout,
    /// Chosen as the victim of a deadlock (デッドロック): MariaDB/MySQL 1213,
    /// PostgreSQL SQLSTATE 40P01.
    Deadlock,
    /// SQLite could not get the database lock (`SQLITE_BUSY`, `SQLITE_LOCKED`).
    Busy,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Every kind, in the order summaries print them.
    pub const ALL: [ErrorKind; 4] = [
        ErrorKind::LockWaitTimeout,
        ErrorKind::Deadlock,
        ErrorKind::Busy,
        ErrorKind::Other,
    ];

    /// Short label as summaries print it (`lock wait`, `deadlock`, `busy`, `other`).
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::LockWaitTimeout => "lock wait",
            ErrorKind::Deadlock => "deadlock",
            ErrorKind::Busy => "busy",
            ErrorKind::Other => "other",
        }
    }

    fn index(self) -> usize {
        match self {
            ErrorKind::LockWaitTimeout => 0,
            ErrorKind::Deadlock => 1,
            ErrorKind::Busy => 2,
            ErrorKind::Other => 3,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::LockWaitTimeout => "lock wait timeout",
            ErrorKind::Deadlock => "deadlock",
            ErrorKind::Busy => "database busy",
            ErrorKind::Other => "other error",
        })
    }
}

/// Classifies a database error from its code and message.
///
/// `code` is whatever the driver reports: a SQLSTATE (PostgreSQL; sqlx's
/// `DatabaseError::code()`), a vendor error number (MariaDB/MySQL, e.g.
/// sqlx's `MySqlDatabaseError::number()` as text) or an extended result code
/// (SQLite). A recognised code decides; otherwise the message does
/// (case-insensitive), so errors that arrive as text alone still classify.
///
/// | Engine         | Code                      | Message                                        | Kind              |
/// |----------------|---------------------------|------------------------------------------------|-------------------|
/// | MariaDB/MySQL  | 1205 `ER_LOCK_WAIT_TIMEOUT` | `Lock wait timeout exceeded; try restarting transaction` | `LockWaitTimeout` |
/// | MariaDB/MySQL  | 1213 `ER_LOCK_DEADLOCK`   | `Deadlock found when trying to get lock; ...`  | `Deadlock`        |
/// | PostgreSQL     | 55P03 `lock_not_available` | `canceling statement due to lock timeout`, `could not obtain lock on ...` | `LockWaitTimeout` |
/// | PostgreSQL     | 40P01 `deadlock_detected` | `deadlock detected`                            | `Deadlock`        |
/// | SQLite         | 5 `SQLITE_BUSY`, 261 `_RECOVERY`, 517 `_SNAPSHOT`, 773 `_TIMEOUT` | `database is locked` | `Busy` |
/// | SQLite         | 6 `SQLITE_LOCKED`, 262 `_SHAREDCACHE` | `database table is locked`         | `Busy`            |
///
/// MariaDB/MySQL report SQLSTATE `HY000` for 1205 and `40001` for 1213; neither
/// is decisive (`HY000` is generic, `40001` is also PostgreSQL's
/// `serialization_failure`), so with those codes the message decides.
/// Everything else, statement timeouts (PostgreSQL 57014) included, is `Other`.
pub fn classify(message: &str, code: Option<&str>) -> ErrorKind {
    if let Some(code) = code {
        match code.trim() {
            "1205" | "55P03" => return ErrorKind::LockWaitTimeout,
            "1213" | "40P01" => return ErrorKind::Deadlock,
            "5" | "261" | "517" | "773" | "6" | "262" => return ErrorKind::Busy,
            _ => {}
        }
    }
    let message = message.to_ascii_lowercase();
    if message.contains("deadlock") {
        ErrorKind::Deadlock
    } else if message.contains("lock wait timeout")
        || message.contains("due to lock timeout")
        || message.contains("could not obtain lock")
    {
        ErrorKind::LockWaitTimeout
    } else if message.contains("database is locked")
        || message.contains("database is busy")
        || message.contains("database table is locked")
    {
        ErrorKind::Busy
    } else {
        ErrorKind::Other
    }
}

/// How one operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure(ErrorKind),
}

/// Samples of one operation name.
#[derive(Clone, Debug, Default)]
struct Samples {
    latencies: Vec<Duration>,
    errors: [usize; 4],
}

/// Records latencies and outcomes of operations by name (操作名ごとの記録).
#[derive(Clone, Debug, Default)]
pub struct LatencyRecorder {
    ops: BTreeMap<String, Samples>,
}

impl LatencyRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one operation named `op` that took `latency` and ended with `outcome`.
    pub fn record(&mut self, op: &str, latency: Duration, outcome: Outcome) {
        let samples = self.ops.entry(op.to_string()).or_default();
        samples.latencies.push(latency);
        if let Outcome::Failure(kind) = outcome {
            samples.errors[kind.index()] += 1;
        }
    }

    /// Records a successful operation.
    pub fn record_ok(&mut self, op: &str, latency: Duration) {
        self.record(op, latency, Outcome::Success);
    }

    /// Records a failed operation.
    pub fn record_err(&mut self, op: &str, latency: Duration, kind: ErrorKind) {
        self.record(op, latency, Outcome::Failure(kind));
    }

    /// Runs `fut`, records its latency under `op` (a failure classified by
    /// `kind_of`) and returns its result unchanged.
    pub async fn measure<T, E, F>(
        &mut self,
        op: &str,
        fut: F,
        kind_of: impl FnOnce(&E) -> ErrorKind,
    ) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let start = Instant::now();
        let result = fut.await;
        let latency = start.elapsed();
        match &result {
            Ok(_) => self.record_ok(op, latency),
            Err(e) => self.record_err(op, latency, kind_of(e)),
        }
        result
    }

    /// Adds everything `other` recorded to this recorder.
    pub fn merge(&mut self, other: LatencyRecorder) {
        for (op, theirs) in other.ops {
            let ours = self.ops.entry(op).or_default();
            ours.latencies.extend(theirs.latencies);
            for (o, t) in ours.errors.iter_mut().zip(theirs.errors) {
                *o += t;
            }
        }
    }

    /// Names of the recorded operations, sorted.
    pub fn operations(&self) -> impl Iterator<Item = &str> {
        self.ops.keys().map(String::as_str)
    }

    /// The summary of `op`, or `None` if no operation of that name was recorded.
    pub fn summary(&self, op: &str) -> Option<Summary> {
        let samples = self.ops.get(op)?;
        let mut sorted = samples.latencies.clone();
        sorted.sort_unstable();
        Some(Summary {
            op: op.to_string(),
            count: sorted.len(),
            errors: ErrorCounts(samples.errors),
            p50: nearest_rank(&sorted, 50),
            p95: nearest_rank(&sorted, 95),
            p99: nearest_rank(&sorted, 99),
            max: sorted.last().copied().unwrap_or_default(),
        })
    }

    /// Summaries of every recorded operation, sorted by name.
    pub fn summaries(&self) -> Vec<Summary> {
        self.operations()
            .filter_map(|op| self.summary(op))
            .collect()
    }

    /// `Ok` if the p99 latency of `op` is strictly below `bound`.
    pub fn p99_below(&self, op: &str, bound: Duration) -> Result<(), String> {
        let s = self.require(op)?;
        if s.p99 < bound {
            Ok(())
        } else {
            Err(format!(
                "{op}: p99 latency {} is not below {} ({s})",
                ms(s.p99),
                ms(bound)
            ))
        }
    }

    /// `Ok` if no operation `op` failed with an error of `kind`.
    pub fn no_errors_of(&self, op: &str, kind: ErrorKind) -> Result<(), String> {
        let s = self.require(op)?;
        match s.errors.of(kind) {
            0 => Ok(()),
            n => Err(format!(
                "{op}: {n} of {} operations failed with {kind}, expected none ({s})",
                s.count
            )),
        }
    }

    /// `Ok` if every operation `op` succeeded.
    pub fn no_failures(&self, op: &str) -> Result<(), String> {
        let s = self.require(op)?;
        match s.failed() {
            0 => Ok(()),
            n => Err(format!(
                "{op}: {n} of {} operations failed, expected none ({s})",
                s.count
            )),
        }
    }

    fn require(&self, op: &str) -> Result<Summary, String> {
        self.summary(op).ok_or_else(|| {
            let known: Vec<&str> = self.operations().collect();
            format!(
                "{op}: no operations of that name were recorded (recorded: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
    }
}

/// One line per operation, as [`Summary`] prints it.
impl fmt::Display for LatencyRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.summaries() {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Nearest-rank percentile of sorted samples: the sample at rank
/// ⌈p·n/100⌉ (1-based, at least 1). Zero for no samples.
fn nearest_rank(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Failure counts by [`ErrorKind`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts([usize; 4]);

impl ErrorCounts {
    /// How many failures were of `kind`.
    pub fn of(&self, kind: ErrorKind) -> usize {
        self.0[kind.index()]
    }

    /// All failures.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

/// Statistics of one operation (操作ごとの集計).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub op: String,
    /// Operations recorded, successful or not.
    pub count: usize,
    pub errors: ErrorCounts,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// Operations that failed, of any kind.
    pub fn failed(&self) -> usize {
        self.errors.total()
    }
}

/// `save: 1200 ops, 0 failed (lock wait 0, deadlock 0, busy 0, other 0), p50 3.1 ms, ...`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ops, {} failed (",
            self.op,
            self.count,
            self.failed()
        )?;
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}", kind.label(), self.errors.of(kind))?;
        }
        write!(
            f,
            "), p50 {}, p95 {}, p99 {}, max {}",
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// A duration in milliseconds with one decimal: `3.1 ms`.
fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_of_one_to_hundred_ms() {
        let mut r = LatencyRecorder::new();
        // Recorded out of order: the summary sorts.
        for n in (1..=100).rev() {
            r.record_ok("save", millis(n));
        }
        let s = r.summary("save").unwrap();
        assert_eq!(s.count, 100);
        assert_eq!(s.p50, millis(50));
        assert_eq!(s.p95, millis(95));
        assert_eq!(s.p99, millis(99));
        assert_eq!(s.max, millis(100));
    }

    #[test]
    fn nearest_rank_on_small_and_odd_samples() {
        assert_eq!(nearest_rank(&[], 99), Duration::ZERO);
        assert_eq!(nearest_rank(&[millis(7)], 50), millis(7));
        assert_eq!(nearest_rank(&[millis(7)], 99), millis(7));
        let ten: Vec<Duration> = (1..=10).map(millis).collect();
        // ⌈0.5·10⌉ = 5, ⌈0.95·10⌉ = 10, ⌈0.99·10⌉ = 10.
        assert_eq!(nearest_rank(&ten, 50), millis(5));
        assert_eq!(nearest_rank(&ten, 95), millis(10));
        assert_eq!(nearest_rank(&ten, 99), millis(10));
        let seven: Vec<Duration> = (1..=7).map(millis).collect();
        // ⌈3.5⌉ = 4.
        assert_eq!(nearest_rank(&seven, 50), millis(4));
        assert_eq!(nearest_rank(&seven, 0), millis(1));
        assert_eq!(nearest_rank(&seven, 100), millis(7));
    }

    #[test]
    fn classifies_vendor_codes() {
        let c = |code| classify("", Some(code));
        assert_eq!(c("1205"), ErrorKind::LockWaitTimeout);
        assert_eq!(c("1213"), ErrorKind::Deadlock);
        assert_eq!(c("55P03"), ErrorKind::LockWaitTimeout);
        assert_eq!(c("40P01"), ErrorKind::Deadlock);
        for code in ["5", "261", "517", "773", "6", "262"] {
            assert_eq!(c(code), ErrorKind::Busy, "code {code}");
        }
        assert_eq!(c("23505"), ErrorKind::Other);
        assert_eq!(c("57014"), ErrorKind::Other);
        assert_eq!(c("HY000"), ErrorKind::Other);
        assert_eq!(c("40001"), ErrorKind::Other);
    }

    #[test]
    fn classifies_messages() {
        let m = |message| classify(message, None);
        assert_eq!(
            m("Lock wait timeout exceeded; try restarting transaction"),
            ErrorKind::LockWaitTimeout
        );
        assert_eq!(
            m("Deadlock found when trying to get lock; try restarting transaction"),
            ErrorKind::Deadlock
        );
        assert_eq!(
            m("canceling statement due to lock timeout"),
            ErrorKind::LockWaitTimeout
        );
        assert_eq!(
            m("could not obtain lock on row in relation \"photos\""),
            ErrorKind::LockWaitTimeout
        );
        assert_eq!(m("deadlock detected"), ErrorKind::Deadlock);
        assert_eq!(m("database is locked"), ErrorKind::Busy);
        assert_eq!(m("database is busy"), ErrorKind::Busy);
        assert_eq!(m("database table is locked"), ErrorKind::Busy);
        assert_eq!(
            m("canceling statement due to statement timeout"),
            ErrorKind::Other
        );
        assert_eq!(m("duplicate key value"), ErrorKind::Other);
    }

    #[test]
    fn generic_sqlstate_falls_back_to_message() {
        assert_eq!(
            classify("Lock wait timeout exceeded", Some("HY000")),
            ErrorKind::LockWaitTimeout
        );
        assert_eq!(
            classify("Deadlock found when trying to get lock", Some("40001")),
            ErrorKind::Deadlock
        );
        // A decisive code wins over the message.
        assert_eq!(classify("whatever", Some("1213")), ErrorKind::Deadlock);
    }

    #[test]
    fn summary_line() {
        let mut r = LatencyRecorder::new();
        r.record_ok("save", Duration::from_micros(3_100));
        r.record_err(
            "save",
            Duration::from_micros(40_200),
            ErrorKind::LockWaitTimeout,
        );
        r.record_err("save", millis(12), ErrorKind::Busy);
        r.record_ok("update", millis(1));
        assert_eq!(
            r.summary("save").unwrap().to_string(),
            "save: 3 ops, 2 failed (lock wait 1, deadlock 0, busy 1, other 0), \
             p50 12.0 ms, p95 40.2 ms, p99 40.2 ms, max 40.2 ms"
        );
        assert_eq!(
            r.to_string(),
            "save: 3 ops, 2 failed (lock wait 1, deadlock 0, busy 1, other 0), \
             p50 12.0 ms, p95 40.2 ms, p99 40.2 ms, max 40.2 ms\n\
             update: 1 ops, 0 failed (lock wait 0, deadlock 0, busy 0, other 0), \
             p50 1.0 ms, p95 1.0 ms, p99 1.0 ms, max 1.0 ms\n"
        );
    }

    #[test]
    fn merge_combines_samples_and_errors() {
        let mut a = LatencyRecorder::new();
        let mut b = LatencyRecorder::new();
        for n in 1..=50 {
            a.record_ok("save", millis(n));
        }
        for n in 51..=100 {
            b.record_ok("save", millis(n));
        }
        b.record_err("purge", millis(5), ErrorKind::Deadlock);
        a.record_err("purge", millis(6), ErrorKind::Deadlock);
        a.merge(b);
        let save = a.summary("save").unwrap();
        assert_eq!(
            (save.count, save.p99, save.max),
            (100, millis(99), millis(100))
        );
        let purge = a.summary("purge").unwrap();
        assert_eq!((purge.count, purge.errors.of(ErrorKind::Deadlock)), (2, 2));
        assert_eq!(a.operations().collect::<Vec<_>>(), ["purge", "save"]);
    }

    #[test]
    fn assertions_pass_and_fail_with_clear_messages() {
        let mut r = LatencyRecorder::new();
        for n in 1..=100 {
            r.record_ok("save", millis(n));
        }
        r.record_err("update", millis(50_000), ErrorKind::LockWaitTimeout);
        r.record_ok("update", millis(2));

        assert_eq!(r.p99_below("save", millis(100)), Ok(()));
        assert_eq!(
            r.p99_below("save", millis(99)).unwrap_err(),
            "save: p99 latency 99.0 ms is not below 99.0 ms (save: 100 ops, 0 failed \
             (lock wait 0, deadlock 0, busy 0, other 0), p50 50.0 ms, p95 95.0 ms, \
             p99 99.0 ms, max 100.0 ms)"
        );
        assert_eq!(r.no_failures("save"), Ok(()));
        assert_eq!(r.no_errors_of("update", ErrorKind::Deadlock), Ok(()));

        let lock = r
            .no_errors_of("update", ErrorKind::LockWaitTimeout)
            .unwrap_err();
        assert!(
            lock.starts_with(
                "update: 1 of 2 operations failed with lock wait timeout, expected none ("
            ),
            "{lock}"
        );
        let failed = r.no_failures("update").unwrap_err();
        assert!(
            failed.starts_with("update: 1 of 2 operations failed, expected none ("),
            "{failed}"
        );
        assert_eq!(
            r.no_failures("delete").unwrap_err(),
            "delete: no operations of that name were recorded (recorded: save, update)"
        );
        assert_eq!(
            LatencyRecorder::new()
                .p99_below("save", millis(1))
                .unwrap_err(),
            "save: no operations of that name were recorded (recorded: none)"
        );
    }

    #[test]
    fn measure_records_outcome_and_passes_result_through() {
        let mut r = LatencyRecorder::new();
        let ok: Result<u32, String> =
            futures::executor::block_on(
                r.measure("save", async { Ok(7) }, |e: &String| classify(e, None)),
            );
        assert_eq!(ok, Ok(7));
        let err: Result<u32, String> = futures::executor::block_on(r.measure(
            "save",
            async { Err("database is locked".to_string()) },
            |e: &String| classify(e, None),
        ));
        assert_eq!(err.unwrap_err(), "database is locked");
        let s = r.summary("save").unwrap();
        assert_eq!((s.count, s.errors.of(ErrorKind::Busy)), (2, 1));
    }
}
