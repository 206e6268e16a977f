//! The batch's decision for each input line, as a pure function of the line, the
//! existing record and the batch's source (the article's rules, generalised to
//! ranked sources):
//!
//! - no record → register it;
//! - a record last written by a source that does not outrank the batch → replace it
//!   with the new data (unchanged if it already holds exactly that);
//! - a record last written by a higher source, even if logically deleted → leave it
//!   and warn why: deleted / restored / corrected / registered by that source.

use std::collections::HashMap;

use super::{BatchLine, BillingError, BillingKey, BillingRecord, SkipReason, Source, Status};
use kensho_shared::money::{Amount, display};

/// A record to insert (a new one, or a replacement keeping its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// `Some` when the record replaces an existing one and keeps its id.
    pub id: Option<i64>,
    pub key: BillingKey,
    pub amount: Amount,
    pub status: Status,
    pub initial_source: Source,
    pub last_source: Source,
}

/// A registration the batch did not make, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub key: BillingKey,
    pub reason: SkipReason,
    pub by: Source,
    pub message: String,
}

/// What the batch does with one chunk of input lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkPlan {
    pub inserts: Vec<NewRecord>,
    /// Replacements: the existing row is deleted and re-registered with its id.
    pub replacements: Vec<NewRecord>,
    pub unchanged: usize,
    pub skips: Vec<Skip>,
}

/// Decides every line of a chunk against the records that exist for its keys.
pub fn plan_chunk(
    lines: &[BatchLine],
    existing: &[BillingRecord],
    source: Source,
) -> Result<ChunkPlan, BillingError> {
    let mut by_key: HashMap<&BillingKey, Vec<&BillingRecord>> = HashMap::new();
    for record in existing {
        by_key.entry(&record.key).or_default().push(record);
    }
    let mut plan = ChunkPlan::default();
    for line in lines {
        let record = match by_key.get(&line.key).map(Vec::as_slice) {
            None | Some([]) => None,
            Some([one]) => Some(*one),
            Some(many) => {
                return Err(BillingError::Duplicates {
                    key: line.key.clone(),
                    count: many.len(),
                });
            }
        };
        match record {
            None => plan.inserts.push(NewRecord {
                id: None,
                key: line.key.clone(),
                amount: line.amount,
                status: Status::Active,
                initial_source: source,
                last_source: source,
            }),
            Some(r) if r.last_source > source => {
                let reason = skip_reason(r);
                plan.skips.push(Skip {
                    line: line.line,
                    key: line.key.clone(),
                    reason,
                    by: r.last_source,
                    message: format!(
                        "not registered {} for {}: the record was {} by {}, which outranks the {} (line {})",
                        display(line.amount),
                        line.key,
                        reason.code(),
                        r.last_source.described(),
                        source.label(),
                        line.line
                    ),
                });
            }
            Some(r)
                if r.status == Status::Active
                    && r.amount == line.amount
                    && r.last_source == source =>
            {
                plan.unchanged += 1;
            }
            Some(r) => plan.replacements.push(NewRecord {
                id: Some(r.id),
                key: line.key.clone(),
                amount: line.amount,
                status: Status::Active,
                initial_source: r.initial_source,
                last_source: source,
            }),
        }
    }
    Ok(plan)
}

/// Why a record written by a higher source is left alone: a logically deleted
/// record was deleted; a record brought back from deletion was restored; a batch's
/// write is a registration; a person's write is a registration if that person's
/// source also registered it, else a correction.
fn skip_reason(record: &BillingRecord) -> SkipReason {
    if record.status == Status::Deleted {
        SkipReason::Deleted
    } else if record.restored {
        SkipReason::Restored
    } else if !record.last_source.is_front() || record.initial_source == record.last_source {
        SkipReason::Registered
    } else {
        SkipReason::Corrected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kensho_shared::money::parse_amount;

    fn key(p: &str) -> BillingKey {
        BillingKey {
            person: p.into(),
            period: "2026-11".into(),
        }
    }

    fn line(n: usize, p: &str, amount: &str) -> BatchLine {
        BatchLine {
            line: n,
            key: key(p),
            amount: parse_amount(amount).unwrap(),
        }
    }

    fn record(
        id: i64,
        p: &str,
        amount: &str,
        status: Status,
        initial: Source,
        last: Source,
    ) -> BillingRecord {
        BillingRecord {
            id,
            key: key(p),
            amount: parse_amount(amount).unwrap(),
            status,
            initial_source: initial,
            last_source: last,
            restored: false,
        }
    }

    #[test]
    fn the_articles_rerun_decides_each_person() {
        use Source::*;
        let lines = [
            line(2, "A", "120000"),
            line(3, "B", "70000"),
            line(4, "C", "100000"),
            line(5, "D", "50000"),
            line(6, "E", "45000"),
        ];
        let existing = [
            record(1, "A", "120000", Status::Active, OwnBatch, OwnBatch),
            record(2, "B", "70000", Status::Deleted, OwnBatch, OrdinaryUser),
            record(3, "C", "80000", Status::Active, OwnBatch, OrdinaryUser),
            record(4, "D", "30000", Status::Active, OrdinaryUser, OrdinaryUser),
        ];
        let plan = plan_chunk(&lines, &existing, OwnBatch).unwrap();
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.inserts.len(), 1);
        assert_eq!(plan.inserts[0].key.person, "E");
        assert!(plan.replacements.is_empty());
        let skips: Vec<_> = plan
            .skips
            .iter()
            .map(|s| (s.key.person.as_str(), s.reason, s.by))
            .collect();
        assert_eq!(
            skips,
            vec![
                ("B", SkipReason::Deleted, OrdinaryUser),
                ("C", SkipReason::Corrected, OrdinaryUser),
                ("D", SkipReason::Registered, OrdinaryUser),
            ]
        );
        assert!(
            plan.skips[0]
                .message
                .contains("deleted by the front (ordinary user)")
        );
    }

    #[test]
    fn equal_or_higher_sources_replace_and_lower_ones_do_not() {
        use Source::*;
        let lines = [line(2, "A", "5")];
        let batch_owned = [record(7, "A", "4", Status::Active, OwnBatch, OwnBatch)];
        let plan = plan_chunk(&lines, &batch_owned, OwnBatch).unwrap();
        assert_eq!(plan.replacements[0].id, Some(7));
        assert_eq!(plan.replacements[0].last_source, OwnBatch);
        let transferred = [record(
            7,
            "A",
            "4",
            Status::Active,
            TransferBatch,
            TransferBatch,
        )];
        let plan = plan_chunk(&lines, &transferred, OwnBatch).unwrap();
        assert_eq!(plan.skips[0].reason, SkipReason::Registered);
        let admin = [record(7, "A", "4", Status::Active, OwnBatch, Administrator)];
        let plan = plan_chunk(&lines, &admin, OrdinaryUser).unwrap();
        assert_eq!(
            (plan.skips[0].reason, plan.skips[0].by),
            (SkipReason::Corrected, Administrator)
        );
        let plan = plan_chunk(&lines, &admin, Administrator).unwrap();
        assert_eq!(plan.replacements.len(), 1);
    }

    #[test]
    fn a_record_restored_by_the_front_is_left_alone_as_restored() {
        use Source::*;
        let mut restored = record(5, "B", "70000", Status::Active, OwnBatch, OrdinaryUser);
        restored.restored = true;
        let plan = plan_chunk(&[line(3, "B", "70000")], &[restored], OwnBatch).unwrap();
        assert_eq!(
            (plan.skips[0].reason, plan.skips[0].by),
            (SkipReason::Restored, OrdinaryUser)
        );
        assert!(
            plan.skips[0]
                .message
                .contains("the record was restored by the front (ordinary user)"),
            "{}",
            plan.skips[0].message
        );
    }

    #[test]
    fn duplicate_rows_for_one_key_are_an_error() {
        use Source::*;
        let dup = [
            record(1, "A", "1", Status::Active, OwnBatch, OwnBatch),
            record(2, "A", "1", Status::Active, OwnBatch, OwnBatch),
        ];
        let err = plan_chunk(&[line(2, "A", "1")], &dup, OwnBatch).unwrap_err();
        assert!(matches!(err, BillingError::Duplicates { count: 2, .. }));
    }
}
