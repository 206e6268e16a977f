//! 請求 billing batch with status management (seed 003).
//!
//! A billing record (請求レコード) carries a status (ステータス: active or logically
//! deleted), the source of its initial registration (初期登録源泉分類) and the source
//! of its last update (最終更新源泉分類). Sources are ranked (the article's
//! generalisation): own batch < batch of data transferred from another system <
//! ordinary user < administrator. A write may replace a record only if its source
//! ranks at least as high as the record's last-update source, so human edits beat
//! batches and a re-run batch never resurrects, overwrites or duplicates them.
//!
//! - [`batch`]: registration from a source file, in chunks, with warnings.
//! - [`cli`]: the batch as a command-line program (`billing-batch import FILE`).
//! - [`front`]: register, correct and delete from the front office.
//! - [`input`]: strict parsing of the batch's CSV input.
//! - [`demonstration`]: the article's two naive re-run policies, for scenarios that
//!   show what status management prevents. Not reachable from configuration.

pub mod batch;
pub mod cli;
pub mod demonstration;
pub mod front;
pub mod input;
pub mod plan;
mod store;

use std::fmt;

use kensho_shared::db::DbError;
use kensho_shared::money::Amount;

pub use batch::{BatchOptions, BatchOutcome, register_batch, register_batch_with};

/// The billing tables for each engine (`migrations/<engine>/`).
pub static MIGRATIONS: kensho_shared::db::Migrations = kensho_shared::migrations!();

/// What must hold in the billing tables after any operation.
pub const INVARIANTS: &[kensho_shared::invariant::Invariant] =
    &[kensho_shared::invariant::Invariant {
        service: "billing",
        name: "at most one active billing record per person and billing period",
        rule: kensho_shared::invariant::Rule::Unique {
            table: "billing_record",
            columns: &["person", "period"],
            // Status::Active's code: the rule is about the records in force.
            only_where: Some(("status", "0")),
        },
    }];
pub use input::{BatchInput, BatchLine, InputError};

/// What the billing columns mean to a reader (the reports show amounts as yen
/// and codes with their labels): amounts, statuses and sources (源泉分類).
pub const VOCABULARY: &[kensho_shared::vocabulary::Term] = {
    use kensho_shared::vocabulary::{Code, Meaning, Term};
    /// Source codes as stored, with the labels scenarios write.
    const SOURCES: &[Code] = &[
        Code {
            code: "B",
            en: "own batch",
            ja: "自社バッチ",
        },
        Code {
            code: "T",
            en: "transfer batch",
            ja: "転送バッチ",
        },
        Code {
            code: "F",
            en: "ordinary user",
            ja: "一般ユーザー",
        },
        Code {
            code: "A",
            en: "administrator",
            ja: "管理者",
        },
    ];
    const fn source(
        table: &'static str,
        column: &'static str,
        headers: &'static [&'static str],
    ) -> Term {
        Term {
            service: "billing",
            table,
            column,
            headers,
            meaning: Meaning::Codes(SOURCES),
        }
    }
    &[
        Term {
            service: "billing",
            table: "billing_record",
            column: "amount",
            headers: &["請求金額", "金額"],
            meaning: Meaning::Money { currency: "JPY" },
        },
        Term {
            service: "billing",
            table: "billing_record",
            column: "status",
            headers: &["ステータス"],
            // Status::code() and Status::label(), with the Japanese features' words.
            meaning: Meaning::Codes(&[
                Code {
                    code: "0",
                    en: "active",
                    ja: "有効",
                },
                Code {
                    code: "1",
                    en: "deleted",
                    ja: "削除済み",
                },
            ]),
        },
        source("billing_record", "initial_source", &["初期登録源泉分類"]),
        source("billing_record", "last_source", &["最終更新源泉分類"]),
        source("billing_warning", "by_source", &["by", "操作者"]),
        source("billing_batch_run", "source", &[]),
    ]
};

/// Who wrote a record (源泉分類), in rising priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A batch closed within this system (自システム内でクローズしたバッチ).
    OwnBatch,
    /// A batch reflecting data transferred from another system (他システムから転送されてきたデータを反映するバッチ).
    TransferBatch,
    /// An ordinary user at the front (通常利用者).
    OrdinaryUser,
    /// A user with administrator authority at the front (管理職権限の利用者).
    Administrator,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::OwnBatch,
        Source::TransferBatch,
        Source::OrdinaryUser,
        Source::Administrator,
    ];

    /// The one-letter code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Source::OwnBatch => "B",
            Source::TransferBatch => "T",
            Source::OrdinaryUser => "F",
            Source::Administrator => "A",
        }
    }

    pub fn from_code(code: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.code() == code.trim())
    }

    /// The name people use, as written in scenarios.
    pub fn label(self) -> &'static str {
        match self {
            Source::OwnBatch => "own batch",
            Source::TransferBatch => "transfer batch",
            Source::OrdinaryUser => "ordinary user",
            Source::Administrator => "administrator",
        }
    }

    /// Parses a label as written in scenarios (`own batch`, `ordinary user`, ...).
    pub fn from_label(label: &str) -> Option<Source> {
        let wanted = label.trim().to_ascii_lowercase();
        let wanted = wanted
            .strip_prefix("an ")
            .or_else(|| wanted.strip_prefix("the "))
            .unwrap_or(&wanted);
        Source::ALL.into_iter().find(|s| s.label() == wanted)
    }

    /// Whether a person at the front (フロント) wrote it, rather than a batch.
    pub fn is_front(self) -> bool {
        matches!(self, Source::OrdinaryUser | Source::Administrator)
    }

    /// How the writer is named in a warning: "the front (ordinary user)".
    pub fn described(self) -> String {
        if self.is_front() {
            format!("the front ({})", self.label())
        } else {
            format!("the {}", self.label())
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// ステータス of a billing record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 0: 有効.
    Active,
    /// 1: 無効 (logically deleted, 論理削除).
    Deleted,
}

impl Status {
    pub fn code(self) -> i16 {
        match self {
            Status::Active => 0,
            Status::Deleted => 1,
        }
    }

    pub fn from_code(code: i16) -> Option<Status> {
        match code {
            0 => Some(Status::Active),
            1 => Some(Status::Deleted),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Deleted => "deleted",
        }
    }
}

/// What identifies one bill: the person billed (対象者) and the billing period.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BillingKey {
    pub person: String,
    pub period: String,
}

impl fmt::Display for BillingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.person, self.period)
    }
}

/// A row of the billing table (請求テーブル).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingRecord {
    pub id: i64,
    pub key: BillingKey,
    pub amount: Amount,
    pub status: Status,
    pub initial_source: Source,
    pub last_source: Source,
    /// Whether the last write brought the record back from logical deletion
    /// (復元, [`front::restore`]); any other write clears it.
    pub restored: bool,
}

/// Why a batch left a record alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The record was logically deleted by a higher source.
    Deleted,
    /// The record was registered by a lower source and then corrected by a higher one.
    Corrected,
    /// The record was registered by a higher source.
    Registered,
    /// The record was logically deleted, then restored (復元) by a higher source.
    Restored,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::Deleted => "deleted",
            SkipReason::Corrected => "corrected",
            SkipReason::Registered => "registered",
            SkipReason::Restored => "restored",
        }
    }

    pub fn from_code(code: &str) -> Option<SkipReason> {
        [
            SkipReason::Deleted,
            SkipReason::Corrected,
            SkipReason::Registered,
            SkipReason::Restored,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// A warning a batch leaves for each registration it skipped (警告ログ): queryable
/// afterwards, it says why the line was not registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub run_id: i64,
    /// Line of the input file (1 = header).
    pub line: usize,
    pub key: BillingKey,
    pub reason: SkipReason,
    /// The source whose write the batch did not override.
    pub by: Source,
    pub message: String,
}

/// Errors of the billing service.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("no billing record for {0}")]
    NotFound(BillingKey),
    #[error(
        "{key} already has an active billing record (id {id}); correct it instead of registering again"
    )]
    AlreadyActive { key: BillingKey, id: i64 },
    #[error(
        "the billing record for {key} is active; only a logically deleted record can be restored"
    )]
    NotDeleted { key: BillingKey },
    #[error("the billing record for {key} is logically deleted; it cannot be {action}")]
    Deleted {
        key: BillingKey,
        action: &'static str,
    },
    #[error(
        "refused: the billing record for {key} was last updated by {last}, which outranks {attempted}; a lower source cannot undo a higher one"
    )]
    Outranked {
        key: BillingKey,
        last: Source,
        attempted: Source,
    },
    #[error(
        "{key} has {count} billing records; status management keeps one per person and period (was the table written by a naive re-run?)"
    )]
    Duplicates { key: BillingKey, count: usize },
    #[error("billing table holds an unreadable row (id {id}): {what}")]
    Corrupt { id: i64, what: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(
        "billing: {0}; the transaction in progress rolled back: run the operation again (a batch run goes on where it stopped)"
    )]
    ConnectionLost(#[from] kensho_shared::fault::ConnectionLost),
    #[error("billing: {0}; run the same input again to complete it")]
    Aborted(#[from] kensho_shared::fault::Aborted),
    #[error("billing: {action}: {source}")]
    Sql {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// Attaches the action to a database error, saying so when the connection was lost.
pub(crate) fn sql(action: &'static str) -> impl FnOnce(sqlx::Error) -> BillingError {
    move |source| match kensho_shared::fault::classify(action, source) {
        Ok(lost) => BillingError::ConnectionLost(lost),
        Err(source) => BillingError::Sql { action, source },
    }
}

/// All billing records, every status, ordered by person, period and id.
pub async fn records(db: &kensho_shared::db::Db) -> Result<Vec<BillingRecord>, BillingError> {
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        store::list_records(&mut conn).await
    })
}

/// The warnings of one batch run, in input order.
pub async fn warnings(
    db: &kensho_shared::db::Db,
    run_id: i64,
) -> Result<Vec<Warning>, BillingError> {
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let mut conn = pool.acquire().await.map_err(sql("connecting"))?;
        store::list_warnings(&mut conn, run_id).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kensho_shared::invariant::Rule;

    /// The declared invariant counts the active records (a declaration that named
    /// the deleted ones' code would let two active records per key pass).
    #[test]
    fn the_invariant_is_about_active_records() {
        let Rule::Unique {
            only_where: Some((column, value)),
            ..
        } = INVARIANTS[0].rule
        else {
            panic!("the billing invariant is a uniqueness rule over some records");
        };
        assert_eq!(column, "status");
        assert_eq!(value, Status::Active.code().to_string());
        assert_ne!(value, Status::Deleted.code().to_string());
    }
}
