//! The article's two naive re-run policies (ステータス管理が不十分なシステム), kept so
//! that scenarios can show what status management prevents.
//!
//! They are plain functions, called only by demonstration steps and the suite's own
//! teeth check; no configuration, option or environment variable selects them.

use super::plan::NewRecord;
use super::{BatchInput, BillingError, BillingKey, Source, Status, sql};
use kensho_shared::db::Db;

/// A re-run policy without status management.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaivePolicy {
    /// パターン1: delete every record of the input's keys, then register the input.
    /// Resurrects deleted records and overwrites corrections.
    DeleteAndReregister,
    /// パターン2: register the input without deleting anything. Duplicates records.
    RegisterWithoutDeleting,
}

impl NaivePolicy {
    /// Parses the names used in scenarios: "delete and re-register",
    /// "register without deleting".
    pub fn from_name(name: &str) -> Option<NaivePolicy> {
        match name.trim().to_ascii_lowercase().as_str() {
            "delete and re-register" => Some(NaivePolicy::DeleteAndReregister),
            "register without deleting" => Some(NaivePolicy::RegisterWithoutDeleting),
            _ => None,
        }
    }
}

/// Re-runs a batch the naive way, in one transaction.
pub async fn rerun(
    db: &Db,
    input: &BatchInput,
    source: Source,
    policy: NaivePolicy,
) -> Result<(), BillingError> {
    let records: Vec<NewRecord> = input
        .lines
        .iter()
        .map(|l| NewRecord {
            id: None,
            key: l.key.clone(),
            amount: l.amount,
            status: Status::Active,
            initial_source: source,
            last_source: source,
        })
        .collect();
    let keys: Vec<&BillingKey> = input.lines.iter().map(|l| &l.key).collect();
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let mut tx = pool.begin().await.map_err(sql("starting a transaction"))?;
        if policy == NaivePolicy::DeleteAndReregister {
            store::delete_keys(&mut tx, &keys).await?;
        }
        store::insert_records(&mut tx, &records).await?;
        tx.commit().await.map_err(sql("committing"))?;
        Ok(())
    })
}
