//! Fault-injection steps (`@fault` scenarios): an operation loses its database
//! connection half-way, or its process stops between two transactions, and what it
//! leaves behind is checked. Faults are injected through the services' hidden
//! `fault` options (see `kensho::fault`); nothing else reaches them.

use anyhow::{Context, Result, bail, ensure};
use cucumber::{then, when};
use kensho::shared::fault::Fault;
use kensho_billing::{BatchOptions, input};
use kensho_consolidation::service::{self, Options};
use kensho_karte::service::{self as karte, PurgeOptions};

use crate::billing::{Who, project_file};
use kensho::ScenarioWorld;

/// A billing batch run in chunks of `chunk` lines that a fault interrupts: the
/// connection of chunk `n`'s transaction drops after the chunk's writes, before its
/// commit, or the process stops right after chunk `n`'s commit. The run must fail;
/// its error is kept for the next steps.
#[when(
    regex = r#"^((?:an? |the )?(?:own batch|transfer batch|ordinary user|administrator)) re-runs the billing file "([^"]+)" in chunks of (\d+) lines and (loses its database connection in|is aborted after) chunk (\d+)$"#
)]
async fn interrupted_batch(
    w: &mut ScenarioWorld,
    who: Who,
    path: String,
    chunk: usize,
    how: String,
    n: usize,
) -> Result<()> {
    let fault = if how.starts_with("loses") {
        Fault::ConnectionLost { at: n }
    } else {
        Fault::Abort { after: n }
    };
    let batch = input::read_file(&project_file(&path))?;
    let options = BatchOptions {
        chunk,
        fault: Some(fault),
    };
    match kensho_billing::register_batch_with(w.db()?, &batch, who.0, &options).await {
        Ok(outcome) => bail!(
            "the batch run completed ({:?}) although it was to be interrupted",
            outcome.counts
        ),
        Err(e) => w.interrupted = Some(shown(w, e.to_string())),
    }
    Ok(())
}

/// Prints an interrupted operation's error under the step (and keeps it for the
/// report), as the engine gave it.
fn shown(w: &mut ScenarioWorld, error: String) -> String {
    let engine = w.engine.map(|e| e.name()).unwrap_or("?");
    eprintln!(
        "      [{engine}] stopped: {}",
        error.replace('\n', "\n        ")
    );
    w.notes.push(format!("[{engine}] stopped: {error}"));
    error
}

/// The purge in fixed chunks of `chunk` photos; the connection of chunk `at`'s
/// transaction drops after its deletes, before its commit.
#[when(
    expr = "the purge runs in chunks of {int} photos and loses its database connection in chunk {int}"
)]
async fn purge_loses_connection(w: &mut ScenarioWorld, chunk: usize, at: usize) -> Result<()> {
    let options = PurgeOptions {
        chunk,
        max_chunk: Some(chunk),
        fault: Some(Fault::ConnectionLost { at }),
        ..crate::karte::karte(w).purge_options()
    };
    let store = crate::karte::store(w)?;
    match karte::purge_with(w.db()?, &store, crate::karte::karte(w).now_ms, &options).await {
        Ok(report) => bail!(
            "the purge completed ({} photos) although its connection was to be lost",
            report.photos
        ),
        Err(e) => {
            let shown = shown(w, e.to_string());
            crate::karte::karte_mut(w).purge_error = Some(shown)
        }
    }
    Ok(())
}

/// The purge with its chunks adapting to a time target: chunks start at `least`
/// photos, double (up to `most`) after a chunk that took under half the target and
/// halve (down to `least`) after one that took longer than it. Chunk `stall`'s
/// transaction stalls for `secs` seconds before its commit. Optionally the run
/// stops after `max` chunks.
#[when(
    regex = r"^the purge runs aiming at (\d+) seconds? per chunk, in chunks of (\d+) to (\d+) photos, and chunk (\d+) stalls for (\d+) seconds?(?:; it stops after (\d+) chunks)?$"
)]
async fn purge_with_slow_chunk(
    w: &mut ScenarioWorld,
    target: u64,
    least: usize,
    most: usize,
    stall: usize,
    secs: u64,
    max: String,
) -> Result<()> {
    // An optional group that did not match arrives empty.
    let max = match max.as_str() {
        "" => None,
        n => Some(n.parse().context("the number of chunks")?),
    };
    let options = PurgeOptions {
        chunk: least,
        max_chunk: Some(most),
        target: Some(std::time::Duration::from_secs(target)),
        max_chunks: max,
        fault: Some(Fault::Stall {
            at: stall,
            time: std::time::Duration::from_secs(secs),
        }),
        ..crate::karte::karte(w).purge_options()
    };
    let store = crate::karte::store(w)?;
    let report =
        karte::purge_with(w.db()?, &store, crate::karte::karte(w).now_ms, &options).await?;
    crate::karte::karte_mut(w).last_purge = Some(report);
    Ok(())
}

/// A consolidation core operation whose connection drops after its `n`-th
/// statement save (per step: each company's statement, then the consolidated one;
/// in memory: the one bulk save), on every database of the scenario.
#[when(
    regex = r#"^the (exchange rates|trial balances|consolidation journal) of "([^"]+)" (?:are|is) (?:entered|imported) but the database connection is lost after saving (\d+) statements?$"#
)]
async fn consolidation_loses_connection(
    w: &mut ScenarioWorld,
    operation: String,
    path: String,
    saves: usize,
) -> Result<()> {
    let options = Options {
        fault: Some(Fault::ConnectionLost { at: saves }),
    };
    let file = project_file(&path);
    let mut errors = Vec::new();
    for v in w.variants()? {
        let db = &v.database.db;
        let result = match operation.as_str() {
            "exchange rates" => service::update_rates(db, &file, options).await,
            "trial balances" => service::import_trial_balances(db, &file, options).await,
            _ => service::replace_journal(db, &file, options).await,
        };
        match result {
            Ok(_) => bail!(
                "the {operation} went through [{}] although its connection was to be lost",
                v.label
            ),
            Err(e) if v.label.is_empty() => errors.push(e.to_string()),
            Err(e) => errors.push(format!("[{}] {e}", v.label)),
        }
    }
    let errors = errors.join("\n");
    w.interrupted = Some(shown(w, errors));
    Ok(())
}

/// The interrupted operation's error, on every database of the scenario, says
/// `expected`.
#[then(expr = "it stopped with the error {string}")]
async fn stopped_with(w: &mut ScenarioWorld, expected: String) -> Result<()> {
    let errors = w
        .interrupted
        .as_deref()
        .context("no operation was interrupted in this scenario")?;
    for error in errors.lines() {
        ensure!(
            error.contains(&expected),
            "the operation failed with {error:?}, which does not say {expected:?}"
        );
    }
    Ok(())
}
