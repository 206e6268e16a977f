//! Front operations (フロント): people registering, correcting, deleting and
//! restoring billing records through the front office. Each is one short transaction, and each obeys
//! the source ranking: a write is refused when the record was last updated by a
//! source that outranks the writer.

use super::{BillingError, BillingKey, BillingRecord, Source, Status, sql};
use kensho_shared::db::Db;
use kensho_shared::money::Amount;

enum Change {
    Register(Amount),
    Correct(Amount),
    Delete,
    Restore,
}

/// Registers a billing record for `key` (or brings back a logically deleted one the
/// writer may override). Refused if an active record already exists.
pub async fn register(
    db: &Db,
    key: &BillingKey,
    amount: Amount,
    by: Source,
) -> Result<BillingRecord, BillingError> {
    apply(db, key, Change::Register(amount), by).await
}

/// Corrects the amount of the active record for `key` (訂正).
pub async fn correct(
    db: &Db,
    key: &BillingKey,
    amount: Amount,
    by: Source,
) -> Result<BillingRecord, BillingError> {
    apply(db, key, Change::Correct(amount), by).await
}

/// Logically deletes the active record for `key` (論理削除): the row stays, with
/// status deleted, so batches know a person removed it.
pub async fn delete(db: &Db, key: &BillingKey, by: Source) -> Result<BillingRecord, BillingError> {
    apply(db, key, Change::Delete, by).await
}

/// Restores the logically deleted record for `key` (復元): active again, with its
/// amount, last updated by `by`. A batch re-run then leaves it alone with the
/// warning reason `restored`. Refused if the record is active.
pub async fn restore(db: &Db, key: &BillingKey, by: Source) -> Result<BillingRecord, BillingError> {
    apply(db, key, Change::Restore, by).await
}

async fn apply(
    db: &Db,
    key: &BillingKey,
    change: Change,
    by: Source,
) -> Result<BillingRecord, BillingError> {
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let mut tx = pool.begin().await.map_err(sql("starting a transaction"))?;
        let mut existing = store::records_for_keys(&mut tx, &[key]).await?;
        if existing.len() > 1 {
            return Err(BillingError::Duplicates { key: key.clone(), count: existing.len() });
        }
        let result = match (existing.pop(), change) {
            (None, Change::Register(amount)) => {
                let record = super::plan::NewRecord {
                    id: None,
                    key: key.clone(),
                    amount,
                    status: Status::Active,
                    initial_source: by,
                    last_source: by,
                };
                store::insert_records(&mut tx, std::slice::from_ref(&record)).await?;
                let mut rows = store::records_for_keys(&mut tx, &[key]).await?;
                rows.pop().ok_or_else(|| BillingError::NotFound(key.clone()))?
            }
            (None, _) => return Err(BillingError::NotFound(key.clone())),
            (Some(r), _) if r.last_source > by => {
                return Err(BillingError::Outranked { key: key.clone(), last: r.last_source, attempted: by });
            }
            (Some(r), Change::Register(amount)) => {
                if r.status == Status::Active {
                    return Err(BillingError::AlreadyActive { key: key.clone(), id: r.id });
                }
                store::update_record(&mut tx, r.id, amount, Status::Active, by, false).await?;
                BillingRecord { amount, status: Status::Active, last_source: by, restored: false, ..r }
            }
            (Some(r), Change::Restore) => {
                if r.status == Status::Active {
                    return Err(BillingError::NotDeleted { key: key.clone() });
                }
                store::update_record(&mut tx, r.id, r.amount, Status::Active, by, true).await?;
                BillingRecord { status: Status::Active, last_source: by, restored: true, ..r }
            }
            (Some(r), _) if r.status == Status::Deleted => {
                return Err(BillingError::Deleted { key: key.clone(), action: "changed; register it again instead" });
            }
            (Some(r), Change::Correct(amount)) => {
                store::update_record(&mut tx, r.id, amount, Status::Active, by, false).await?;
                BillingRecord { amount, last_source: by, restored: false, ..r }
            }
            (Some(r), Change::Delete) => {
                store::update_record(&mut tx, r.id, r.amount, Status::Deleted, by, false).await?;
                BillingRecord { status: Status::Deleted, last_source: by, restored: false, ..r }
            }
        };
        tx.commit().await.map_err(sql("committing"))?;
        Ok(result)
    })
}
