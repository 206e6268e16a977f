//! 連結会計 consolidated accounting (seed 002): pure, database-free domain model
//! and pipeline.
//!
//! Each company's statement (財務諸表) goes through six steps, in the article's
//! order, each a separate pure function in [`pipeline`]:
//!
//! 1. individual adjustments (個別修正) in local currency;
//! 2. translation (換算) into JPY: assets and liabilities at the closing rate,
//!    revenues and expenses at the average rate, equity at the historical rate,
//!    each line rounded to whole yen right after translation ([`round_yen`]);
//! 3. net income (当期純利益) = revenues − expenses (+ FX gain/loss), updating the
//!    net income line if present and adding it if absent;
//! 4. translation adjustments (換算修正) entered in JPY;
//! 5. foreign currency translation adjustment (為替換算調整勘定) as the balancing
//!    figure of the translated balance sheet;
//! 6. FX gain/loss (為替差損益) on foreign-currency monetary items remeasured at
//!    the closing rate.
//!
//! Then [`consolidate`] sums the JPY statements and applies consolidation
//! journal entries (連結仕訳).
//!
//! Rounding: every JPY amount the module computes from a foreign amount goes
//! through the single function [`round_yen`] (whole yen, half away from zero,
//! 四捨五入). JPY amounts entered by users (steps 4, 6 and journal entries) must
//! already be whole yen, otherwise they are rejected rather than rounded.

pub mod consolidate;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod service;
mod store;

use rust_decimal::{Decimal, RoundingStrategy};

use kensho_shared::money::Amount;

pub use consolidate::{EntryLine, JournalEntry, Side, consolidate};
pub use model::{AccountCode, AccountKind, Currency, Line, RateTable, Rates, Statement};
pub use pipeline::{
    Adjustment, KeyAccounts, MonetaryItem, PipelineInput, apply_individual_adjustments,
    apply_translation_adjustments, compute_fx_gain_loss, compute_net_income,
    compute_translation_adjustment, run_pipeline, translate,
};

/// Rounds a JPY amount to whole yen, half away from zero (四捨五入):
/// 2.5 → 3, −2.5 → −3, 2.4999 → 2. The only rounding function of the module:
/// translation (step 2) applies it to each line right after multiplying by the
/// rate, and FX remeasurement (step 6) applies it to amount × closing rate.
pub fn round_yen(amount: Amount) -> Amount {
    amount.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

/// Whether `amount` is a whole number of yen.
pub(crate) fn is_whole_yen(amount: Amount) -> bool {
    amount.fract() == Decimal::ZERO
}

/// Why a statement could not be processed or consolidated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsolidationError {
    #[error(
        "company {company:?}: account {account} is {existing}, it cannot be written as {requested}"
    )]
    KindMismatch {
        company: String,
        account: AccountCode,
        existing: AccountKind,
        requested: AccountKind,
    },
    #[error(
        "company {company:?}: account {account} appears more than once; an account appears at most once in a statement"
    )]
    DuplicateAccount {
        company: String,
        account: AccountCode,
    },
    #[error(
        "company {company:?}: net income (当期純利益) is already held by account {existing}; it cannot also be written to {requested}"
    )]
    SecondNetIncome {
        company: String,
        existing: AccountCode,
        requested: AccountCode,
    },
    #[error("{which} rate of {currency} is {rate}; rates must be positive")]
    NonPositiveRate {
        currency: Currency,
        which: &'static str,
        rate: Decimal,
    },
    #[error("JPY is the consolidation currency; its rates are always 1")]
    YenRateNotOne,
    #[error("company {company:?}: no exchange rate for {currency}")]
    MissingRate { company: String, currency: Currency },
    #[error("company {company:?}: {step} needs a statement in JPY, this one is in {currency}")]
    NotInYen {
        company: String,
        step: &'static str,
        currency: Currency,
    },
    #[error("company {company:?}: account {account}: {amount} is not a whole number of yen")]
    NotWholeYen {
        company: String,
        account: AccountCode,
        amount: Amount,
    },
    #[error(
        "company {company:?}: account {account} is {kind}; only assets and liabilities are monetary items"
    )]
    NotMonetary {
        company: String,
        account: AccountCode,
        kind: AccountKind,
    },
    #[error("company {company:?}: account {account} is not in the statement")]
    UnknownAccount {
        company: String,
        account: AccountCode,
    },
    #[error("company {company:?} appears in more than one statement to consolidate")]
    DuplicateCompany { company: String },
    #[error("journal entry {entry:?} has no line")]
    EmptyEntry { entry: String },
    #[error(
        "journal entry {entry:?}, account {account}: amount {amount} must be positive whole yen"
    )]
    BadEntryAmount {
        entry: String,
        account: AccountCode,
        amount: Amount,
    },
    #[error("journal entry {entry:?} does not balance: debits {debit} ≠ credits {credit}")]
    UnbalancedEntry {
        entry: String,
        debit: Amount,
        credit: Amount,
    },
    #[error(
        "journal entry {entry:?}, account {account}: net income (当期純利益) is computed, post to revenue or expense accounts instead"
    )]
    EntryToNetIncome { entry: String, account: AccountCode },
    #[error("journal entry {entry:?}: {source}")]
    InEntry {
        entry: String,
        #[source]
        source: Box<ConsolidationError>,
    },
}

use kensho_shared::invariant::{Invariant, Rule};

/// 連結会計: run the six-step pipeline in memory and save every statement once
/// (on), or load and save each company's statement around every step, the
/// original design (off). Read at the start of each core operation.
pub const IN_MEMORY: kensho_shared::flag::Flag = kensho_shared::flag::Flag {
    name: "consolidation.in_memory",
    meaning: "compute the statements in memory and save them once (on), or load and save them around every step (off)",
};

/// The flags the consolidation service reads.
pub const FLAGS: &[kensho_shared::flag::Flag] = &[IN_MEMORY];

/// What the statement columns mean to a reader (the reports show amounts as yen
/// and codes with their labels): companies (the consolidated statement `*`),
/// the accounts of the group's chart (勘定科目) and their kinds.
pub const VOCABULARY: &[kensho_shared::vocabulary::Term] = {
    use kensho_shared::vocabulary::{Code, Meaning, Term};
    const fn code(code: &'static str, en: &'static str, ja: &'static str) -> Code {
        Code { code, en, ja }
    }
    &[
        Term {
            service: "consolidation",
            table: "cons_statement_line",
            column: "amount",
            // Statements are in yen (their lines are translated at stage jpy).
            headers: &["金額"],
            meaning: Meaning::Money { currency: "JPY" },
        },
        Term {
            service: "consolidation",
            table: "cons_statement_line",
            column: "company",
            headers: &["会社"],
            // service::CONSOLIDATED; the group's companies are data, shown as written.
            meaning: Meaning::Codes(&[code("*", "consolidated", "連結")]),
        },
        Term {
            service: "consolidation",
            table: "cons_statement_line",
            column: "account",
            headers: &["勘定科目"],
            meaning: Meaning::Codes(&[
                code("cash", "cash", "現金"),
                code("receivable", "accounts receivable", "売掛金"),
                code("investment", "investment in subsidiaries", "子会社株式"),
                code("payable", "accounts payable", "買掛金"),
                code("capital", "capital stock", "資本金"),
                code("retained", "retained earnings", "利益剰余金"),
                code("sales", "sales", "売上高"),
                code("cost", "cost of sales", "売上原価"),
                code("net_income", "net income", "当期純利益"),
                code(
                    "fx_translation",
                    "translation adjustment",
                    "為替換算調整勘定",
                ),
                code("fx_gain_loss", "FX gain/loss", "為替差損益"),
            ]),
        },
        Term {
            service: "consolidation",
            table: "cons_statement_line",
            column: "kind",
            headers: &["種類"],
            // AccountKind::code() and its label.
            meaning: Meaning::Codes(&[
                code("asset", "asset", "資産"),
                code("liability", "liability", "負債"),
                code("equity", "equity", "純資産"),
                code("revenue", "revenue", "収益"),
                code("expense", "expense", "費用"),
                code("net_income", "net income", "当期純利益"),
                code(
                    "translation_adjustment",
                    "translation adjustment",
                    "為替換算調整勘定",
                ),
                code("fx_gain_loss", "FX gain/loss", "為替差損益"),
            ]),
        },
    ]
};

/// The consolidation tables for each engine (`migrations/<engine>/`).
pub static MIGRATIONS: kensho_shared::db::Migrations = kensho_shared::migrations!();

/// What must hold in the consolidation tables after any operation.
pub const INVARIANTS: &[Invariant] = &[
    Invariant {
        service: "consolidation",
        name: "one line per account per statement",
        rule: Rule::Unique {
            table: "cons_statement_line",
            columns: &["company", "account"],
            only_where: None,
        },
    },
    Invariant {
        service: "consolidation",
        name: "one net income line per statement",
        rule: Rule::Unique {
            table: "cons_statement_line",
            columns: &["company"],
            only_where: Some(("kind", "net_income")),
        },
    },
    Invariant {
        service: "consolidation",
        name: "the consolidated balance sheet balances (assets = liabilities + equity + net income + translation adjustment)",
        rule: Rule::Balanced {
            table: "cons_statement_line",
            group_by: "company",
            groups: &["*"],
            kind: "kind",
            amount: "amount",
            plus: &["asset"],
            minus: &[
                "liability",
                "equity",
                "net_income",
                "translation_adjustment",
            ],
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn round_yen_half_away_from_zero() {
        // .5 goes away from zero on both sides (banker's rounding would give 2 and −2).
        assert_eq!(round_yen(d("2.5")), d("3"));
        assert_eq!(round_yen(d("-2.5")), d("-3"));
        assert_eq!(round_yen(d("3.5")), d("4"));
        assert_eq!(round_yen(d("-3.5")), d("-4"));
        assert_eq!(round_yen(d("2.4999")), d("2"));
        assert_eq!(round_yen(d("-2.4999")), d("-2"));
    }
}
