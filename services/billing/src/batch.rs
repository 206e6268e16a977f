//! Batch registration (バッチ登録) from a source file, with status management.

use super::plan::plan_chunk;
use super::store::RunCounts;
use super::{BatchInput, BillingError, BillingKey, Source, Warning, sql};
use kensho_shared::db::Db;
use kensho_shared::fault::{self, Fault};

/// Input lines handled per transaction: each chunk is read with one query, decided
/// in memory and written with a handful of bulk statements.
pub const CHUNK: usize = 500;

/// What one batch run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOutcome {
    pub run_id: i64,
    pub counts: RunCounts,
    /// One warning per registration the batch did not make, saying why.
    pub warnings: Vec<Warning>,
}

/// How a batch runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Input lines per transaction.
    pub chunk: usize,
    /// Fault injection, for fault scenarios only (points: chunk `n` before its
    /// commit; abort right after chunk `n`'s commit). See [`kensho_shared::fault`].
    /// Only in a build with the `fault-points` feature, which the scenario suite
    /// enables and the service's own build does not.
    #[cfg(feature = "fault-points")]
    pub fault: Option<Fault>,
}

impl BatchOptions {
    /// The fault to inject (none in a build without fault points).
    fn fault(&self) -> Option<Fault> {
        #[cfg(feature = "fault-points")]
        return self.fault;
        #[cfg(not(feature = "fault-points"))]
        return None;
    }
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            chunk: CHUNK,
            #[cfg(feature = "fault-points")]
            fault: None,
        }
    }
}

/// Registers a parsed batch input as `source`, with the default [`BatchOptions`].
pub async fn register_batch(
    db: &Db,
    input: &BatchInput,
    source: Source,
) -> Result<BatchOutcome, BillingError> {
    register_batch_with(db, input, source, &BatchOptions::default()).await
}

/// Registers a parsed batch input as `source`:
/// - no record → insert;
/// - record last written by a source that does not outrank `source` → replace it
///   (deleted and re-registered with its id, as the article does);
/// - record last written by a higher source, even logically deleted → leave it and
///   write a warning saying why.
///
/// Re-running the same input is idempotent. Each chunk commits on its own, with its
/// warnings and the run's progress, so a run that stops part-way (a lost
/// connection, an aborted process) is completed by running the same input again:
/// the run goes on after the lines its committed chunks decided, and its records,
/// warnings and counts end up exactly as one uninterrupted run leaves them.
pub async fn register_batch_with(
    db: &Db,
    input: &BatchInput,
    source: Source,
    options: &BatchOptions,
) -> Result<BatchOutcome, BillingError> {
    let digest = digest(input);
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let (run_id, done) = match store::unfinished_run(&mut conn, source, &input.name).await? {
            Some((id, stored, done)) if stored == digest && done <= input.lines.len() => {
                tracing::info!(run_id = id, lines_done = done, "resuming a billing batch run that stopped part-way");
                (id, done)
            }
            _ => (store::insert_run(&mut conn, source, &input.name, &digest).await?, 0),
        };
        drop(conn);
        for (n, chunk) in input.lines[done..].chunks(options.chunk.max(1)).enumerate() {
            let keys: Vec<&BillingKey> = chunk.iter().map(|l| &l.key).collect();
            let mut tx = pool.begin().await.map_err(sql("starting a transaction"))?;
            let existing = store::records_for_keys(&mut tx, &keys).await?;
            let plan = plan_chunk(chunk, &existing, source)?;
            let replaced_ids: Vec<i64> = plan.replacements.iter().filter_map(|r| r.id).collect();
            store::delete_ids(&mut tx, &replaced_ids).await?;
            store::insert_records(&mut tx, &plan.replacements).await?;
            store::insert_records(&mut tx, &plan.inserts).await?;
            store::insert_warnings(&mut tx, run_id, &plan.skips).await?;
            let counts = RunCounts {
                inserted: plan.inserts.len(),
                replaced: plan.replacements.len(),
                unchanged: plan.unchanged,
                skipped: plan.skips.len(),
            };
            store::add_progress(&mut tx, run_id, counts).await?;
            fault::in_transaction(options.fault(), n + 1, &mut *tx, COMMITTING).await?;
            tx.commit().await.map_err(sql(COMMITTING))?;
            tracing::debug!(run_id, lines = chunk.len(), "billing batch chunk committed");
            fault::after_commit(options.fault(), n + 1)?;
        }
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let counts = store::finish_run(&mut conn, run_id).await?;
        let warnings = store::list_warnings(&mut conn, run_id).await?;
        Ok(BatchOutcome { run_id, counts, warnings })
    })
}

/// What a chunk's commit is called in errors.
const COMMITTING: &str = "committing a billing batch chunk";

/// A fingerprint of the input's lines (FNV-1a, 64 bits, as 16 hex digits): a run
/// is resumed only by the same input.
fn digest(input: &BatchInput) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for line in &input.lines {
        let text = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1e}",
            line.line,
            line.key.person,
            line.key.period,
            kensho_shared::money::to_storage_text(line.amount)
        );
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
