//! Batch registration (バッチ登録) from a source file, with status management.

use super::plan::plan_chunk;
use super::store::{self, RunCounts};
use super::{BatchInput, BillingError, BillingKey, Source, Warning, sql};
use crate::db::Db;

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

/// Registers a parsed batch input as `source`:
/// - no record → insert;
/// - record last written by a source that does not outrank `source` → replace it
///   (deleted and re-registered with its id, as the article does);
/// - record last written by a higher source, even logically deleted → leave it and
///   write a warning saying why.
///
/// Re-running the same input is idempotent. Each chunk commits on its own, so a run
/// that stops part-way is completed by running it again.
pub async fn register_batch(
    db: &Db,
    input: &BatchInput,
    source: Source,
) -> Result<BatchOutcome, BillingError> {
    store::dispatch!(db, store, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        let run_id = store::insert_run(&mut conn, source, &input.name).await?;
        drop(conn);
        let mut counts = RunCounts::default();
        for chunk in input.lines.chunks(CHUNK) {
            let keys: Vec<&BillingKey> = chunk.iter().map(|l| &l.key).collect();
            let mut tx = pool.begin().await.map_err(sql("starting a transaction"))?;
            let existing = store::records_for_keys(&mut tx, &keys).await?;
            let plan = plan_chunk(chunk, &existing, source)?;
            let replaced_ids: Vec<i64> = plan.replacements.iter().filter_map(|r| r.id).collect();
            store::delete_ids(&mut tx, &replaced_ids).await?;
            store::insert_records(&mut tx, &plan.replacements).await?;
            store::insert_records(&mut tx, &plan.inserts).await?;
            store::insert_warnings(&mut tx, run_id, &plan.skips).await?;
            tx.commit().await.map_err(sql("committing a chunk"))?;
            counts.inserted += plan.inserts.len();
            counts.replaced += plan.replacements.len();
            counts.unchanged += plan.unchanged;
            counts.skipped += plan.skips.len();
            tracing::debug!(run_id, lines = chunk.len(), "billing batch chunk committed");
        }
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        store::finish_run(&mut conn, run_id, counts).await?;
        let warnings = store::list_warnings(&mut conn, run_id).await?;
        Ok(BatchOutcome { run_id, counts, warnings })
    })
}
