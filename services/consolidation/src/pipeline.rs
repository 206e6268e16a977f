//! The six steps that turn one company's statement in its local currency into a
//! JPY statement ready for consolidation, in the article's order.
//!
//! Every step takes the statement by value and returns the new one, so a failed
//! step never leaves a half-updated statement behind. Every write goes through
//! the upserts of [`Statement`], so no step can create a second line for an
//! account (the defect of seed 002).

use rust_decimal::Decimal;

use kensho_shared::money::Amount;

use super::model::{AccountCode, AccountKind, Currency, Line, RateTable, Statement};
use super::{ConsolidationError, is_whole_yen, round_yen};

/// One adjustment line: add `delta` to `account` (created with `kind` if absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub account: AccountCode,
    pub kind: AccountKind,
    pub delta: Amount,
}

/// A foreign-currency monetary item (外貨建金銭債権債務) held by a company whose
/// statement is in JPY: its booked JPY amount is part of the balance of `account`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonetaryItem {
    /// The asset (receivable, deposit) or liability (payable, loan) account.
    pub account: AccountCode,
    /// Currency of the item.
    pub currency: Currency,
    /// Amount in that currency.
    pub foreign_amount: Amount,
    /// JPY amount currently booked for the item (whole yen).
    pub booked_jpy: Amount,
}

/// The accounts the pipeline writes computed figures to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAccounts {
    /// Net income (当期純利益).
    pub net_income: AccountCode,
    /// Foreign currency translation adjustment (為替換算調整勘定).
    pub translation_adjustment: AccountCode,
    /// FX gain/loss (為替差損益).
    pub fx_gain_loss: AccountCode,
}

/// Everything the six steps need besides the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineInput {
    /// Step 1, in local currency (個別修正).
    pub individual_adjustments: Vec<Adjustment>,
    /// Step 2 and step 6.
    pub rates: RateTable,
    /// Step 4, in JPY (換算修正).
    pub translation_adjustments: Vec<Adjustment>,
    /// Step 6.
    pub monetary_items: Vec<MonetaryItem>,
    /// Steps 3, 5 and 6.
    pub accounts: KeyAccounts,
}

/// Runs steps 1 to 6 in order on one company's statement.
pub fn run_pipeline(
    statement: Statement,
    input: &PipelineInput,
) -> Result<Statement, ConsolidationError> {
    let statement = apply_individual_adjustments(statement, &input.individual_adjustments)?;
    let statement = translate(statement, &input.rates)?;
    let statement = compute_net_income(statement, &input.accounts.net_income)?;
    let statement = apply_translation_adjustments(statement, &input.translation_adjustments)?;
    let statement =
        compute_translation_adjustment(statement, &input.accounts.translation_adjustment)?;
    compute_fx_gain_loss(
        statement,
        &input.monetary_items,
        &input.rates,
        &input.accounts,
    )
}

/// Step 1: individual adjustments (個別修正), in the statement's local currency.
/// No rounding: local amounts may carry cents.
pub fn apply_individual_adjustments(
    mut statement: Statement,
    adjustments: &[Adjustment],
) -> Result<Statement, ConsolidationError> {
    for adjustment in adjustments {
        statement.add_to(
            adjustment.account.clone(),
            adjustment.kind,
            adjustment.delta,
        )?;
    }
    Ok(statement)
}

/// Step 2: translation (換算) into JPY, the consolidation currency (連結通貨).
///
/// Assets and liabilities at the closing rate (CR); revenues, expenses, FX
/// gain/loss and net income at the average rate (AR); equity and translation
/// adjustment at the historical rate (HR). Net income and translation adjustment
/// are recomputed by steps 3 and 5 anyway. Each line is rounded to whole yen
/// with [`round_yen`] right after it is multiplied by its rate. A JPY statement
/// is translated at rate 1 (so only rounded).
pub fn translate(statement: Statement, rates: &RateTable) -> Result<Statement, ConsolidationError> {
    let currency = statement.currency();
    let rates = rates
        .get(currency)
        .ok_or_else(|| ConsolidationError::MissingRate {
            company: statement.company().to_string(),
            currency,
        })?;
    Ok(statement.translated(|line: &Line| {
        let rate = match line.kind {
            AccountKind::Asset | AccountKind::Liability => rates.closing,
            AccountKind::Revenue
            | AccountKind::Expense
            | AccountKind::FxGainLoss
            | AccountKind::NetIncome => rates.average,
            AccountKind::Equity | AccountKind::TranslationAdjustment => rates.historical,
        };
        round_yen(line.amount * rate)
    }))
}

/// Step 3: net income (当期純利益) = revenues − expenses + FX gain/loss, written to
/// `account`: the line is updated if present and added if absent, so a statement
/// that already holds net income still ends with exactly one net income line.
pub fn compute_net_income(
    mut statement: Statement,
    account: &AccountCode,
) -> Result<Statement, ConsolidationError> {
    let net_income = profit_and_loss(&statement);
    statement.set(account.clone(), AccountKind::NetIncome, net_income)?;
    Ok(statement)
}

fn profit_and_loss(statement: &Statement) -> Amount {
    statement.total(AccountKind::Revenue) - statement.total(AccountKind::Expense)
        + statement.total(AccountKind::FxGainLoss)
}

/// Step 4: translation adjustments (換算修正), entered in JPY (whole yen).
///
/// If an adjustment touches a profit-and-loss account and the statement already
/// has a net income line, net income is recomputed into that line so that the
/// balance sheet stays consistent with the profit and loss statement.
pub fn apply_translation_adjustments(
    mut statement: Statement,
    adjustments: &[Adjustment],
) -> Result<Statement, ConsolidationError> {
    require_yen(&statement, "translation adjustment (換算修正)")?;
    let mut touches_profit_and_loss = false;
    for adjustment in adjustments {
        require_whole_yen(&statement, &adjustment.account, adjustment.delta)?;
        statement.add_to(
            adjustment.account.clone(),
            adjustment.kind,
            adjustment.delta,
        )?;
        touches_profit_and_loss |= adjustment.kind.is_profit_and_loss();
    }
    if touches_profit_and_loss && let Some((account, _)) = statement.net_income() {
        let account = account.clone();
        statement = compute_net_income(statement, &account)?;
    }
    Ok(statement)
}

/// Step 5: foreign currency translation adjustment (為替換算調整勘定), the balancing
/// figure that makes the translated balance sheet balance:
/// `account` = assets − liabilities − equity − net income − (other translation
/// adjustment lines). Upserted like net income.
pub fn compute_translation_adjustment(
    mut statement: Statement,
    account: &AccountCode,
) -> Result<Statement, ConsolidationError> {
    require_yen(&statement, "translation adjustment (為替換算調整勘定)")?;
    let current = match statement.get(account) {
        Some(line) if line.kind == AccountKind::TranslationAdjustment => line.amount,
        _ => Decimal::ZERO,
    };
    let balancing = current + statement.balance_difference();
    statement.set(
        account.clone(),
        AccountKind::TranslationAdjustment,
        balancing,
    )?;
    Ok(statement)
}

/// Step 6: FX gain/loss (為替差損益) on foreign-currency monetary items of a JPY
/// statement, remeasured at the closing rate.
///
/// For each item: difference = [`round_yen`]`(foreign_amount × closing rate)` −
/// `booked_jpy`. The item's account moves by the difference (its booked amount
/// becomes the remeasured one). For an asset the gain is the difference; for a
/// liability it is minus the difference (a liability growing in yen is a loss).
/// The gain is added to the FX gain/loss account and to the net income account,
/// so net income stays equal to revenues − expenses + FX gain/loss and the
/// balance sheet stays balanced. Apply it once per period: the booked amounts
/// describe the statement before this step.
pub fn compute_fx_gain_loss(
    mut statement: Statement,
    items: &[MonetaryItem],
    rates: &RateTable,
    accounts: &KeyAccounts,
) -> Result<Statement, ConsolidationError> {
    require_yen(&statement, "FX gain/loss (為替差損益)")?;
    for item in items {
        require_whole_yen(&statement, &item.account, item.booked_jpy)?;
        let closing = rates
            .get(item.currency)
            .ok_or_else(|| ConsolidationError::MissingRate {
                company: statement.company().to_string(),
                currency: item.currency,
            })?
            .closing;
        let kind = match statement.get(&item.account) {
            Some(line) => line.kind,
            None => {
                return Err(ConsolidationError::UnknownAccount {
                    company: statement.company().to_string(),
                    account: item.account.clone(),
                });
            }
        };
        let difference = round_yen(item.foreign_amount * closing) - item.booked_jpy;
        let gain = match kind {
            AccountKind::Asset => difference,
            AccountKind::Liability => -difference,
            other => {
                return Err(ConsolidationError::NotMonetary {
                    company: statement.company().to_string(),
                    account: item.account.clone(),
                    kind: other,
                });
            }
        };
        statement.add_to(item.account.clone(), kind, difference)?;
        statement.add_to(accounts.fx_gain_loss.clone(), AccountKind::FxGainLoss, gain)?;
        statement.add_to(accounts.net_income.clone(), AccountKind::NetIncome, gain)?;
    }
    Ok(statement)
}

fn require_yen(statement: &Statement, step: &'static str) -> Result<(), ConsolidationError> {
    if statement.currency() == Currency::JPY {
        Ok(())
    } else {
        Err(ConsolidationError::NotInYen {
            company: statement.company().to_string(),
            step,
            currency: statement.currency(),
        })
    }
}

fn require_whole_yen(
    statement: &Statement,
    account: &AccountCode,
    amount: Amount,
) -> Result<(), ConsolidationError> {
    if is_whole_yen(amount) {
        Ok(())
    } else {
        Err(ConsolidationError::NotWholeYen {
            company: statement.company().to_string(),
            account: account.clone(),
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::model::Rates;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn code(text: &str) -> AccountCode {
        AccountCode::new(text)
    }

    fn accounts() -> KeyAccounts {
        KeyAccounts {
            net_income: code("net_income"),
            translation_adjustment: code("fcta"),
            fx_gain_loss: code("fx"),
        }
    }

    /// USD: closing 150, average 140, historical 100 (JPY per USD).
    fn usd_rates() -> RateTable {
        RateTable::new()
            .with(
                Currency::USD,
                Rates {
                    closing: d("150"),
                    average: d("140"),
                    historical: d("100"),
                },
            )
            .unwrap()
    }

    /// A USD subsidiary's trial balance. Local balance sheet:
    /// cash 1000 = payable 100 + loans 300 + capital 500 + net income (300 − 200 = 100).
    fn usd_subsidiary(extra: &[(&str, AccountKind, &str)]) -> Statement {
        let mut lines = vec![
            (code("cash"), AccountKind::Asset, d("1000")),
            (code("payable_to_parent"), AccountKind::Liability, d("100")),
            (code("loans"), AccountKind::Liability, d("300")),
            (code("capital"), AccountKind::Equity, d("500")),
            (code("sales"), AccountKind::Revenue, d("300")),
            (code("cost"), AccountKind::Expense, d("200")),
        ];
        lines.extend(extra.iter().map(|(c, k, a)| (code(c), *k, d(a))));
        Statement::from_lines("US Sub Inc.", Currency::USD, lines).unwrap()
    }

    fn input() -> PipelineInput {
        PipelineInput {
            individual_adjustments: vec![],
            rates: usd_rates(),
            translation_adjustments: vec![],
            monetary_items: vec![],
            accounts: accounts(),
        }
    }

    fn net_income_lines(statement: &Statement) -> Vec<(AccountCode, Amount)> {
        statement
            .lines()
            .filter(|(_, line)| line.kind == AccountKind::NetIncome)
            .map(|(c, line)| (c.clone(), line.amount))
            .collect()
    }

    #[test]
    fn usd_subsidiary_translation_net_income_and_balancing_adjustment() {
        let out = run_pipeline(usd_subsidiary(&[]), &input()).unwrap();
        assert_eq!(out.currency(), Currency::JPY);
        // Closing rate 150: cash 1000 × 150 = 150,000; payable 100 × 150 = 15,000;
        // loans 300 × 150 = 45,000.
        assert_eq!(out.amount(&code("cash")), Some(d("150000")));
        assert_eq!(out.amount(&code("payable_to_parent")), Some(d("15000")));
        assert_eq!(out.amount(&code("loans")), Some(d("45000")));
        // Historical rate 100: capital 500 × 100 = 50,000.
        assert_eq!(out.amount(&code("capital")), Some(d("50000")));
        // Average rate 140: sales 300 × 140 = 42,000; cost 200 × 140 = 28,000.
        assert_eq!(out.amount(&code("sales")), Some(d("42000")));
        assert_eq!(out.amount(&code("cost")), Some(d("28000")));
        // Net income = 42,000 − 28,000 = 14,000.
        assert_eq!(
            net_income_lines(&out),
            vec![(code("net_income"), d("14000"))]
        );
        // Translation adjustment = 150,000 − 15,000 − 45,000 − 50,000 − 14,000 = 26,000.
        assert_eq!(out.amount(&code("fcta")), Some(d("26000")));
        assert_eq!(out.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn individual_adjustments_come_before_translation() {
        // Accrue 10 USD of cost (個別修正): cost 210, accrued 10.
        let mut input = input();
        input.individual_adjustments = vec![
            Adjustment {
                account: code("cost"),
                kind: AccountKind::Expense,
                delta: d("10"),
            },
            Adjustment {
                account: code("accrued"),
                kind: AccountKind::Liability,
                delta: d("10"),
            },
        ];
        let out = run_pipeline(usd_subsidiary(&[]), &input).unwrap();
        // cost 210 × 140 = 29,400; accrued 10 × 150 = 1,500.
        assert_eq!(out.amount(&code("cost")), Some(d("29400")));
        assert_eq!(out.amount(&code("accrued")), Some(d("1500")));
        // Net income = 42,000 − 29,400 = 12,600.
        assert_eq!(out.amount(&code("net_income")), Some(d("12600")));
        // fcta = 150,000 − 15,000 − 45,000 − 1,500 − 50,000 − 12,600 = 25,900.
        assert_eq!(out.amount(&code("fcta")), Some(d("25900")));
        assert_eq!(out.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn recompute_with_net_income_already_present_gives_one_line_with_new_amount() {
        // Seed 002: the trial balance already holds net income (stale: 999 USD) and
        // a stale translation adjustment.
        let stale = usd_subsidiary(&[
            ("net_income", AccountKind::NetIncome, "999"),
            ("fcta", AccountKind::TranslationAdjustment, "5"),
        ]);
        let out = run_pipeline(stale, &input()).unwrap();
        // Exactly one net income line, holding the new 14,000 (not 999 × 140, not both).
        assert_eq!(
            net_income_lines(&out),
            vec![(code("net_income"), d("14000"))]
        );
        assert_eq!(out.amount(&code("fcta")), Some(d("26000")));
        // Same result as the statement without a net income line.
        assert_eq!(out, run_pipeline(usd_subsidiary(&[]), &input()).unwrap());

        // Running step 3 again on the result changes nothing and adds no line.
        let lines_before = out.len();
        let again = compute_net_income(out.clone(), &code("net_income")).unwrap();
        assert_eq!(again.len(), lines_before);
        assert_eq!(again, out);
    }

    #[test]
    fn net_income_under_a_second_code_is_rejected() {
        let translated = translate(usd_subsidiary(&[]), &usd_rates()).unwrap();
        let with_ni = compute_net_income(translated, &code("net_income")).unwrap();
        let error = compute_net_income(with_ni, &code("profit")).unwrap_err();
        assert!(
            matches!(error, ConsolidationError::SecondNetIncome { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("US Sub Inc."));
    }

    #[test]
    fn translation_rounds_half_away_from_zero_for_positive_and_negative() {
        // Rate 101: 0.5 × 101 = 50.5 → 51; −0.5 × 101 = −50.5 → −51
        // (banker's rounding would give 50 and −50).
        let rates = RateTable::new()
            .with(
                Currency::EUR,
                Rates {
                    closing: d("101"),
                    average: d("101"),
                    historical: d("101"),
                },
            )
            .unwrap();
        let statement = Statement::from_lines(
            "EU GmbH",
            Currency::EUR,
            [
                (code("cash"), AccountKind::Asset, d("0.5")),
                (code("overdraft"), AccountKind::Asset, d("-0.5")),
                (code("fees"), AccountKind::Revenue, d("1.5")), // 151.5 → 152
                (code("refunds"), AccountKind::Revenue, d("-1.5")), // −151.5 → −152
            ],
        )
        .unwrap();
        let out = translate(statement, &rates).unwrap();
        assert_eq!(out.amount(&code("cash")), Some(d("51")));
        assert_eq!(out.amount(&code("overdraft")), Some(d("-51")));
        assert_eq!(out.amount(&code("fees")), Some(d("152")));
        assert_eq!(out.amount(&code("refunds")), Some(d("-152")));
    }

    #[test]
    fn translation_adjustment_on_profit_and_loss_recomputes_net_income() {
        let mut input = input();
        // 換算修正: sales −600 JPY, against the cash balance −600 JPY.
        input.translation_adjustments = vec![
            Adjustment {
                account: code("sales"),
                kind: AccountKind::Revenue,
                delta: d("-600"),
            },
            Adjustment {
                account: code("cash"),
                kind: AccountKind::Asset,
                delta: d("-600"),
            },
        ];
        let out = run_pipeline(usd_subsidiary(&[]), &input).unwrap();
        // Net income = (42,000 − 600) − 28,000 = 13,400.
        assert_eq!(out.amount(&code("net_income")), Some(d("13400")));
        // fcta = 149,400 − 15,000 − 45,000 − 50,000 − 13,400 = 26,000.
        assert_eq!(out.amount(&code("fcta")), Some(d("26000")));
        assert_eq!(out.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn translation_adjustment_must_be_whole_yen() {
        let translated = translate(usd_subsidiary(&[]), &usd_rates()).unwrap();
        let error = apply_translation_adjustments(
            translated,
            &[Adjustment {
                account: code("cash"),
                kind: AccountKind::Asset,
                delta: d("0.5"),
            }],
        )
        .unwrap_err();
        assert!(
            matches!(error, ConsolidationError::NotWholeYen { .. }),
            "{error}"
        );
    }

    #[test]
    fn fx_gain_loss_on_parent_monetary_items() {
        // JPY parent: receivable 100 USD booked at 140 = 14,000; loan 50 USD booked
        // at 140 = 7,000. Balance sheet: 14,000 + 93,000 cash = 7,000 + 80,000 + 20,000.
        let parent = Statement::from_lines(
            "Parent KK",
            Currency::JPY,
            [
                (code("cash"), AccountKind::Asset, d("93000")),
                (code("usd_receivable"), AccountKind::Asset, d("14000")),
                (code("usd_loan"), AccountKind::Liability, d("7000")),
                (code("capital"), AccountKind::Equity, d("80000")),
                (code("sales"), AccountKind::Revenue, d("50000")),
                (code("cost"), AccountKind::Expense, d("30000")),
            ],
        )
        .unwrap();
        let mut input = input();
        input.monetary_items = vec![
            MonetaryItem {
                account: code("usd_receivable"),
                currency: Currency::USD,
                foreign_amount: d("100"),
                booked_jpy: d("14000"),
            },
            MonetaryItem {
                account: code("usd_loan"),
                currency: Currency::USD,
                foreign_amount: d("50"),
                booked_jpy: d("7000"),
            },
        ];
        let out = run_pipeline(parent, &input).unwrap();
        // Receivable 100 × 150 = 15,000: +1,000 gain. Loan 50 × 150 = 7,500: +500, a loss.
        assert_eq!(out.amount(&code("usd_receivable")), Some(d("15000")));
        assert_eq!(out.amount(&code("usd_loan")), Some(d("7500")));
        // FX gain/loss = 1,000 − 500 = 500.
        assert_eq!(out.amount(&code("fx")), Some(d("500")));
        // Net income = 50,000 − 30,000 + 500 = 20,500, the same as recomputing step 3.
        assert_eq!(out.amount(&code("net_income")), Some(d("20500")));
        let recomputed = compute_net_income(out.clone(), &code("net_income")).unwrap();
        assert_eq!(recomputed, out);
        // JPY parent: no translation adjustment, and the balance sheet balances.
        assert_eq!(out.amount(&code("fcta")), Some(d("0")));
        assert_eq!(out.balance_difference(), Decimal::ZERO);
    }

    #[test]
    fn missing_rate_names_company_and_currency() {
        let error = translate(usd_subsidiary(&[]), &RateTable::new()).unwrap_err();
        assert_eq!(
            error,
            ConsolidationError::MissingRate {
                company: "US Sub Inc.".into(),
                currency: Currency::USD
            }
        );
    }
}
