//! The billing service's SQL, written once and compiled once per engine with
//! [`kensho_shared::per_engine!`].
//!
//! The statements are the same text on every engine; what differs comes from the
//! shared dialect layer ([`kensho_shared::dialect`]): the placeholder style (built
//! by `QueryBuilder`), how an amount is stored (NUMERIC/DECIMAL, or exact TEXT on
//! SQLite), row locking (`FOR UPDATE` where the engine has it; SQLite locks the
//! whole file on write) and the id of an inserted row. Every statement handles a
//! whole chunk: no round trip per input line. Callers run them with
//! [`kensho_shared::dispatch!`]`(db, crate::store, store, pool => ..)`.

use sqlx::Row;

use super::plan::{NewRecord, Skip};
use super::{BillingError, BillingKey, BillingRecord, SkipReason, Source, Status, Warning, sql};
use kensho_shared::money::Amount;

/// Counts of one batch run, stored with the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Records registered for a key that had none.
    pub inserted: usize,
    /// Records replaced (deleted and registered again).
    pub replaced: usize,
    /// Lines that left their record as it was.
    pub unchanged: usize,
    /// Lines skipped, each with a warning.
    pub skipped: usize,
}

fn corrupt(id: i64, what: impl Into<String>) -> BillingError {
    BillingError::Corrupt {
        id,
        what: what.into(),
    }
}

fn source_of(id: i64, code: &str) -> Result<Source, BillingError> {
    Source::from_code(code).ok_or_else(|| corrupt(id, format!("unknown source code {code:?}")))
}

kensho_shared::per_engine! {
    use super::*;

    /// One connection of this engine.
    pub type Conn = dialect::Conn;

    type DbRow = <dialect::Database as sqlx::Database>::Row;

    fn read_amount(id: i64, row: &DbRow) -> Result<Amount, BillingError> {
        let stored: dialect::StoredAmount = row.try_get("amount").map_err(sql("reading an amount"))?;
        dialect::from_stored(stored).map_err(|e| corrupt(id, e.to_string()))
    }

    fn read_record(row: &DbRow) -> Result<BillingRecord, BillingError> {
        let id: i64 = row.try_get("id").map_err(sql("reading a billing record"))?;
        let text = |column: &str| -> Result<String, BillingError> {
            row.try_get::<String, _>(column).map_err(sql("reading a billing record"))
        };
        let status: i16 = row.try_get("status").map_err(sql("reading a billing record"))?;
        Ok(BillingRecord {
            id,
            key: BillingKey {
                person: text("person")?,
                period: text("period")?,
            },
            amount: read_amount(id, row)?,
            status: Status::from_code(status).ok_or_else(|| corrupt(id, format!("unknown status {status}")))?,
            initial_source: source_of(id, &text("initial_source")?)?,
            last_source: source_of(id, &text("last_source")?)?,
            restored: row.try_get::<i16, _>("restored").map_err(sql("reading a billing record"))? != 0,
        })
    }

    const RECORD_COLUMNS: &str = "SELECT id, person, period, amount, status, initial_source, last_source, restored FROM billing_record";

    /// Every record, ordered by person, period, id.
    pub async fn list_records(conn: &mut Conn) -> Result<Vec<BillingRecord>, BillingError> {
        let mut qb = dialect::builder(RECORD_COLUMNS);
        qb.push(" ORDER BY person, period, id");
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(sql("reading billing records"))?;
        rows.iter().map(read_record).collect()
    }

    /// The records (any status) for these keys, locked for update where the
    /// engine locks rows.
    pub async fn records_for_keys(conn: &mut Conn, keys: &[&BillingKey]) -> Result<Vec<BillingRecord>, BillingError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = dialect::builder(RECORD_COLUMNS);
        qb.push(" WHERE (period, person) IN (");
        let mut tuples = qb.separated(", ");
        for key in keys {
            tuples.push("(");
            tuples.push_bind_unseparated(key.period.clone());
            tuples.push_unseparated(", ");
            tuples.push_bind_unseparated(key.person.clone());
            tuples.push_unseparated(")");
        }
        qb.push(") ORDER BY id");
        qb.push(dialect::FOR_UPDATE);
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(sql("reading billing records"))?;
        rows.iter().map(read_record).collect()
    }

    /// Inserts records in one statement (those with an id keep it).
    pub async fn insert_records(conn: &mut Conn, records: &[NewRecord]) -> Result<(), BillingError> {
        for with_id in [false, true] {
            let part: Vec<&NewRecord> = records.iter().filter(|r| r.id.is_some() == with_id).collect();
            if part.is_empty() {
                continue;
            }
            let mut qb = dialect::builder("INSERT INTO billing_record (");
            if with_id {
                qb.push("id, ");
            }
            qb.push("person, period, amount, status, initial_source, last_source) ");
            qb.push_values(part, |mut row, r| {
                if let Some(id) = r.id {
                    row.push_bind(id);
                }
                row.push_bind(r.key.person.clone())
                    .push_bind(r.key.period.clone())
                    .push_bind(dialect::to_stored(r.amount))
                    .push_bind(r.status.code())
                    .push_bind(r.initial_source.code())
                    .push_bind(r.last_source.code());
            });
            qb.build().execute(&mut *conn).await.map_err(sql("inserting billing records"))?;
        }
        Ok(())
    }

    /// Physically deletes records by id (a replacement re-registers them).
    pub async fn delete_ids(conn: &mut Conn, ids: &[i64]) -> Result<(), BillingError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut qb = dialect::builder("DELETE FROM billing_record WHERE id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await.map_err(sql("deleting billing records"))?;
        Ok(())
    }

    /// Physically deletes every record of these keys, whatever its status.
    pub async fn delete_keys(conn: &mut Conn, keys: &[&BillingKey]) -> Result<(), BillingError> {
        let ids: Vec<i64> = records_for_keys(conn, keys).await?.iter().map(|r| r.id).collect();
        delete_ids(conn, &ids).await
    }

    /// Updates one record's amount, status, last-update source and whether that
    /// update restored it.
    pub async fn update_record(conn: &mut Conn, id: i64, amount: Amount, status: Status, last: Source, restored: bool) -> Result<(), BillingError> {
        let mut qb = dialect::builder("UPDATE billing_record SET amount = ");
        qb.push_bind(dialect::to_stored(amount));
        qb.push(", status = ").push_bind(status.code());
        qb.push(", last_source = ").push_bind(last.code());
        qb.push(", restored = ").push_bind(i16::from(restored));
        qb.push(" WHERE id = ").push_bind(id);
        qb.build().execute(&mut *conn).await.map_err(sql("updating a billing record"))?;
        Ok(())
    }

    /// Records the start of a batch run of an input with this digest; returns its id.
    pub async fn insert_run(conn: &mut Conn, source: Source, input_name: &str, digest: &str) -> Result<i64, BillingError> {
        let mut qb = dialect::builder("INSERT INTO billing_batch_run (source, input_name, input_digest) VALUES (");
        qb.push_bind(source.code()).push(", ").push_bind(input_name.to_string());
        qb.push(", ").push_bind(digest.to_string()).push(")");
        dialect::insert_returning_id(conn, qb).await.map_err(sql("recording the batch run"))
    }

    /// The latest run of `source` on an input of this name, if it did not
    /// finish: its id, the digest of its input and the lines its committed
    /// chunks decided.
    pub async fn unfinished_run(conn: &mut Conn, source: Source, input_name: &str) -> Result<Option<(i64, String, usize)>, BillingError> {
        let mut qb = dialect::builder("SELECT id, finished, input_digest, lines_done FROM billing_batch_run WHERE source = ");
        qb.push_bind(source.code()).push(" AND input_name = ").push_bind(input_name.to_string());
        qb.push(" ORDER BY id DESC LIMIT 1");
        let Some(row) = qb.build().fetch_optional(&mut *conn).await.map_err(sql("reading batch runs"))? else {
            return Ok(None);
        };
        let finished: i16 = row.try_get("finished").map_err(sql("reading batch runs"))?;
        if finished != 0 {
            return Ok(None);
        }
        let id: i64 = row.try_get("id").map_err(sql("reading batch runs"))?;
        let digest: String = row.try_get("input_digest").map_err(sql("reading batch runs"))?;
        let done: i32 = row.try_get("lines_done").map_err(sql("reading batch runs"))?;
        Ok(Some((id, digest, usize::try_from(done).unwrap_or_default())))
    }

    /// Adds one chunk's counts and lines to its run, in the chunk's transaction.
    pub async fn add_progress(conn: &mut Conn, run_id: i64, counts: RunCounts) -> Result<(), BillingError> {
        let as_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let lines = counts.inserted + counts.replaced + counts.unchanged + counts.skipped;
        let mut qb = dialect::builder("UPDATE billing_batch_run SET inserted = inserted + ");
        qb.push_bind(as_i32(counts.inserted));
        qb.push(", replaced = replaced + ").push_bind(as_i32(counts.replaced));
        qb.push(", unchanged = unchanged + ").push_bind(as_i32(counts.unchanged));
        qb.push(", skipped = skipped + ").push_bind(as_i32(counts.skipped));
        qb.push(", lines_done = lines_done + ").push_bind(as_i32(lines));
        qb.push(" WHERE id = ").push_bind(run_id);
        qb.build().execute(&mut *conn).await.map_err(sql("recording the batch run's progress"))?;
        Ok(())
    }

    /// Marks a run finished; returns the counts of the whole run.
    pub async fn finish_run(conn: &mut Conn, run_id: i64) -> Result<RunCounts, BillingError> {
        let mut qb = dialect::builder("UPDATE billing_batch_run SET finished = 1 WHERE id = ");
        qb.push_bind(run_id);
        qb.build().execute(&mut *conn).await.map_err(sql("recording the batch run"))?;
        let mut qb = dialect::builder("SELECT inserted, replaced, unchanged, skipped FROM billing_batch_run WHERE id = ");
        qb.push_bind(run_id);
        let row = qb.build().fetch_one(&mut *conn).await.map_err(sql("reading the batch run"))?;
        let count = |column: &str| -> Result<usize, BillingError> {
            let n: i32 = row.try_get(column).map_err(sql("reading the batch run"))?;
            Ok(usize::try_from(n).unwrap_or_default())
        };
        Ok(RunCounts {
            inserted: count("inserted")?,
            replaced: count("replaced")?,
            unchanged: count("unchanged")?,
            skipped: count("skipped")?,
        })
    }

    /// Stores the warnings of skipped registrations in one statement.
    pub async fn insert_warnings(conn: &mut Conn, run_id: i64, skips: &[Skip]) -> Result<(), BillingError> {
        if skips.is_empty() {
            return Ok(());
        }
        let mut qb = dialect::builder(
            "INSERT INTO billing_warning (run_id, line_no, person, period, reason, by_source, message) ",
        );
        qb.push_values(skips, |mut row, s| {
            row.push_bind(run_id)
                .push_bind(i32::try_from(s.line).unwrap_or(i32::MAX))
                .push_bind(s.key.person.clone())
                .push_bind(s.key.period.clone())
                .push_bind(s.reason.code())
                .push_bind(s.by.code())
                .push_bind(s.message.clone());
        });
        qb.build().execute(&mut *conn).await.map_err(sql("writing warnings"))?;
        Ok(())
    }

    /// The warnings of one run, in input order.
    pub async fn list_warnings(conn: &mut Conn, run_id: i64) -> Result<Vec<Warning>, BillingError> {
        let mut qb = dialect::builder(
            "SELECT id, line_no, person, period, reason, by_source, message FROM billing_warning WHERE run_id = ",
        );
        qb.push_bind(run_id).push(" ORDER BY line_no, id");
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(sql("reading warnings"))?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id").map_err(sql("reading warnings"))?;
                let text = |column: &str| -> Result<String, BillingError> {
                    row.try_get::<String, _>(column).map_err(sql("reading warnings"))
                };
                let line: i32 = row.try_get("line_no").map_err(sql("reading warnings"))?;
                let reason = text("reason")?;
                Ok(Warning {
                    run_id,
                    line: usize::try_from(line).unwrap_or_default(),
                    key: BillingKey {
                        person: text("person")?,
                        period: text("period")?,
                    },
                    reason: SkipReason::from_code(&reason)
                        .ok_or_else(|| corrupt(id, format!("unknown warning reason {reason:?}")))?,
                    by: source_of(id, &text("by_source")?)?,
                    message: text("message")?,
                })
            })
            .collect()
    }
}
