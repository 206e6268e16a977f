//! Consolidation (連結): sum the companies' JPY statements and apply the
//! consolidation journal entries (連結仕訳), such as investment/capital elimination
//! (投資と資本の相殺消去) and intercompany balance elimination (債権債務の相殺消去).

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use kensho_shared::money::Amount;

use super::model::{AccountCode, AccountKind, Currency, Statement};
use super::pipeline::compute_net_income;
use super::{ConsolidationError, is_whole_yen};

/// Debit (借方) or credit (貸方).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Debit,
    Credit,
}

/// One line of a journal entry: `amount` (positive whole yen) on `side` of `account`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLine {
    pub account: AccountCode,
    /// Kind of the account, used if the consolidated statement lacks it.
    pub kind: AccountKind,
    pub side: Side,
    pub amount: Amount,
}

/// A consolidation journal entry (連結仕訳): its debits must equal its credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// Name shown in errors, e.g. "investment/capital elimination (投資と資本の相殺消去)".
    pub name: String,
    pub lines: Vec<EntryLine>,
}

impl JournalEntry {
    /// Checks the entry: at least one line, every amount positive whole yen, no
    /// line on a net income account, debits = credits.
    pub fn validate(&self) -> Result<(), ConsolidationError> {
        if self.lines.is_empty() {
            return Err(ConsolidationError::EmptyEntry {
                entry: self.name.clone(),
            });
        }
        let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
        for line in &self.lines {
            if line.amount <= Decimal::ZERO || !is_whole_yen(line.amount) {
                return Err(ConsolidationError::BadEntryAmount {
                    entry: self.name.clone(),
                    account: line.account.clone(),
                    amount: line.amount,
                });
            }
            if line.kind == AccountKind::NetIncome {
                return Err(ConsolidationError::EntryToNetIncome {
                    entry: self.name.clone(),
                    account: line.account.clone(),
                });
            }
            match line.side {
                Side::Debit => debit += line.amount,
                Side::Credit => credit += line.amount,
            }
        }
        if debit != credit {
            return Err(ConsolidationError::UnbalancedEntry {
                entry: self.name.clone(),
                debit,
                credit,
            });
        }
        Ok(())
    }
}

/// Builds the consolidated statement (連結財務諸表) of `group`.
///
/// Every statement must be in JPY (after the pipeline) and belong to a distinct
/// company. Lines are summed account by account (an account must have the same
/// kind in every company). Every journal entry is validated before any is
/// applied; a debit increases assets and expenses and decreases the other kinds,
/// a credit the reverse. Entries may not post to net income: after the entries,
/// consolidated net income is recomputed into `net_income` (revenues minus
/// expenses plus FX gain/loss), so an entry that eliminates profit (e.g. unrealized profit,
/// 未実現利益) moves net income and the balance sheet stays balanced.
pub fn consolidate(
    group: &str,
    statements: &[Statement],
    entries: &[JournalEntry],
    net_income: &AccountCode,
) -> Result<Statement, ConsolidationError> {
    for entry in entries {
        entry.validate()?;
    }
    let mut consolidated = Statement::new(group, Currency::JPY);
    let mut seen = BTreeSet::new();
    for statement in statements {
        if statement.currency() != Currency::JPY {
            return Err(ConsolidationError::NotInYen {
                company: statement.company().to_string(),
                step: "consolidation (連結)",
                currency: statement.currency(),
            });
        }
        if !seen.insert(statement.company()) {
            return Err(ConsolidationError::DuplicateCompany {
                company: statement.company().to_string(),
            });
        }
        for (account, line) in statement.lines() {
            if line.kind == AccountKind::NetIncome {
                continue; // recomputed below from the summed profit and loss lines
            }
            consolidated
                .add_to(account.clone(), line.kind, line.amount)
                .map_err(|error| match error {
                    ConsolidationError::KindMismatch {
                        account,
                        existing,
                        requested,
                        ..
                    } => ConsolidationError::KindMismatch {
                        company: statement.company().to_string(),
                        account,
                        existing,
                        requested,
                    },
                    other => other,
                })?;
        }
    }
    for entry in entries {
        for line in &entry.lines {
            let increases = (line.side == Side::Debit) == line.kind.is_debit_normal();
            let delta = if increases { line.amount } else { -line.amount };
            consolidated
                .add_to(line.account.clone(), line.kind, delta)
                .map_err(|source| ConsolidationError::InEntry {
                    entry: entry.name.clone(),
                    source: Box::new(source),
                })?;
        }
    }
    compute_net_income(consolidated, net_income)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn code(text: &str) -> AccountCode {
        AccountCode::new(text)
    }

    fn line(account: &str, kind: AccountKind, side: Side, amount: &str) -> EntryLine {
        EntryLine {
            account: code(account),
            kind,
            side,
            amount: d(amount),
        }
    }

    /// Parent (JPY): 100,000 cash + 50,000 investment + 15,000 receivable
    /// = 65,000 borrowings + 80,000 capital + 20,000 net income (50,000 − 30,000).
    fn parent() -> Statement {
        Statement::from_lines(
            "Parent KK",
            Currency::JPY,
            [
                (code("cash"), AccountKind::Asset, d("100000")),
                (code("investment"), AccountKind::Asset, d("50000")),
                (code("receivable_from_sub"), AccountKind::Asset, d("15000")),
                (code("borrowings"), AccountKind::Liability, d("65000")),
                (code("capital"), AccountKind::Equity, d("80000")),
                (code("sales"), AccountKind::Revenue, d("50000")),
                (code("cost"), AccountKind::Expense, d("30000")),
                (code("net_income"), AccountKind::NetIncome, d("20000")),
            ],
        )
        .unwrap()
    }

    /// Subsidiary after the pipeline (see pipeline tests): 150,000 cash
    /// = 15,000 payable + 45,000 borrowings + 50,000 capital + 14,000 net income
    /// + 26,000 translation adjustment.
    fn subsidiary() -> Statement {
        Statement::from_lines(
            "US Sub Inc.",
            Currency::JPY,
            [
                (code("cash"), AccountKind::Asset, d("150000")),
                (
                    code("payable_to_parent"),
                    AccountKind::Liability,
                    d("15000"),
                ),
                (code("borrowings"), AccountKind::Liability, d("45000")),
                (code("capital"), AccountKind::Equity, d("50000")),
                (code("sales"), AccountKind::Revenue, d("42000")),
                (code("cost"), AccountKind::Expense, d("28000")),
                (code("net_income"), AccountKind::NetIncome, d("14000")),
                (code("fcta"), AccountKind::TranslationAdjustment, d("26000")),
            ],
        )
        .unwrap()
    }

    fn eliminations() -> Vec<JournalEntry> {
        vec![
            JournalEntry {
                name: "investment/capital elimination (投資と資本の相殺消去)".into(),
                lines: vec![
                    line("capital", AccountKind::Equity, Side::Debit, "50000"),
                    line("investment", AccountKind::Asset, Side::Credit, "50000"),
                ],
            },
            JournalEntry {
                name: "intercompany balances (債権債務の相殺消去)".into(),
                lines: vec![
                    line(
                        "payable_to_parent",
                        AccountKind::Liability,
                        Side::Debit,
                        "15000",
                    ),
                    line(
                        "receivable_from_sub",
                        AccountKind::Asset,
                        Side::Credit,
                        "15000",
                    ),
                ],
            },
        ]
    }

    #[test]
    fn sums_companies_and_applies_eliminations() {
        let group = consolidate(
            "Group A",
            &[parent(), subsidiary()],
            &eliminations(),
            &code("net_income"),
        )
        .unwrap();
        let amount = |c: &str| group.amount(&code(c));
        assert_eq!(amount("cash"), Some(d("250000"))); // 100,000 + 150,000
        assert_eq!(amount("investment"), Some(d("0"))); // 50,000 − 50,000
        assert_eq!(amount("receivable_from_sub"), Some(d("0"))); // 15,000 − 15,000
        assert_eq!(amount("payable_to_parent"), Some(d("0"))); // 15,000 − 15,000
        assert_eq!(amount("borrowings"), Some(d("110000"))); // 65,000 + 45,000
        assert_eq!(amount("capital"), Some(d("80000"))); // 80,000 + 50,000 − 50,000
        assert_eq!(amount("sales"), Some(d("92000"))); // 50,000 + 42,000
        assert_eq!(amount("cost"), Some(d("58000"))); // 30,000 + 28,000
        assert_eq!(amount("net_income"), Some(d("34000"))); // 92,000 − 58,000
        assert_eq!(amount("fcta"), Some(d("26000")));
        // 250,000 = 110,000 + 80,000 + 34,000 + 26,000.
        assert_eq!(group.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn profit_elimination_moves_consolidated_net_income() {
        // A profit-eliminating entry, kept simple (e.g. intercompany sales still held
        // as inventory, 未実現利益): Dr sales 3,000 / Cr cash 3,000
        // → net income 34,000 − 3,000 = 31,000; cash 250,000 − 3,000 = 247,000.
        let mut entries = eliminations();
        entries.push(JournalEntry {
            name: "unrealized profit (未実現利益の消去)".into(),
            lines: vec![
                line("sales", AccountKind::Revenue, Side::Debit, "3000"),
                line("cash", AccountKind::Asset, Side::Credit, "3000"),
            ],
        });
        let group = consolidate(
            "Group A",
            &[parent(), subsidiary()],
            &entries,
            &code("net_income"),
        )
        .unwrap();
        assert_eq!(group.amount(&code("net_income")), Some(d("31000")));
        assert_eq!(group.amount(&code("cash")), Some(d("247000")));
        assert_eq!(group.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn unbalanced_journal_entry_is_an_error_naming_it() {
        let entries = vec![JournalEntry {
            name: "investment/capital elimination (投資と資本の相殺消去)".into(),
            lines: vec![
                line("capital", AccountKind::Equity, Side::Debit, "50000"),
                line("investment", AccountKind::Asset, Side::Credit, "49999"),
            ],
        }];
        let error = consolidate(
            "Group A",
            &[parent(), subsidiary()],
            &entries,
            &code("net_income"),
        )
        .unwrap_err();
        assert_eq!(
            error,
            ConsolidationError::UnbalancedEntry {
                entry: "investment/capital elimination (投資と資本の相殺消去)".into(),
                debit: d("50000"),
                credit: d("49999"),
            }
        );
        assert_eq!(
            error.to_string(),
            "journal entry \"investment/capital elimination (投資と資本の相殺消去)\" does not balance: debits 50000 ≠ credits 49999"
        );
    }

    #[test]
    fn statement_not_in_yen_is_rejected() {
        let usd = Statement::new("US Sub Inc.", Currency::USD);
        let error = consolidate("Group A", &[usd], &[], &code("net_income")).unwrap_err();
        assert!(
            matches!(error, ConsolidationError::NotInYen { .. }),
            "{error}"
        );
    }

    #[test]
    fn same_company_twice_is_rejected() {
        let error =
            consolidate("Group A", &[parent(), parent()], &[], &code("net_income")).unwrap_err();
        assert_eq!(
            error,
            ConsolidationError::DuplicateCompany {
                company: "Parent KK".into()
            }
        );
    }
}
