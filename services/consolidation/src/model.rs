//! Domain model: account codes (勘定科目コード), account kinds, currencies, exchange
//! rates (換算レート) and the statement (財務諸表) whose lines are keyed by account.
//!
//! Sign convention: every line's amount is positive on its natural side
//! (assets and expenses on the debit side, everything else on the credit side).
//! An FX gain/loss (為替差損益) line is positive for a gain and negative for a loss.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use kensho_shared::money::Amount;

use super::ConsolidationError;

/// An account code (勘定科目コード), e.g. `"1110"` or `"net_income"`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountCode(String);

impl AccountCode {
    /// Wraps a code as written in the chart of accounts (勘定科目表).
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AccountCode {
    fn from(code: &str) -> Self {
        Self::new(code)
    }
}

impl fmt::Display for AccountCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an account is, which decides its translation rate and its side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKind {
    /// Asset (資産): closing rate, debit side.
    Asset,
    /// Liability (負債): closing rate, credit side.
    Liability,
    /// Equity / capital (純資産・資本金): historical rate, credit side.
    Equity,
    /// Revenue (収益): average rate, credit side.
    Revenue,
    /// Expense (費用): average rate, debit side.
    Expense,
    /// Net income (当期純利益): computed, credit side. At most one per statement.
    NetIncome,
    /// Foreign currency translation adjustment (為替換算調整勘定): computed as the
    /// balancing figure of the translated balance sheet, credit side.
    TranslationAdjustment,
    /// FX gain/loss (為替差損益): positive for a gain, negative for a loss.
    FxGainLoss,
}

impl AccountKind {
    /// Whether a debit increases the amount of a line of this kind
    /// (assets and expenses); a credit increases every other kind.
    pub fn is_debit_normal(self) -> bool {
        matches!(self, AccountKind::Asset | AccountKind::Expense)
    }

    /// Whether the kind belongs to the profit and loss statement (損益計算書).
    pub fn is_profit_and_loss(self) -> bool {
        matches!(
            self,
            AccountKind::Revenue | AccountKind::Expense | AccountKind::FxGainLoss
        )
    }
}

impl AccountKind {
    /// Every kind, in the order statements list them.
    pub const ALL: [AccountKind; 8] = [
        AccountKind::Asset,
        AccountKind::Liability,
        AccountKind::Equity,
        AccountKind::Revenue,
        AccountKind::Expense,
        AccountKind::NetIncome,
        AccountKind::TranslationAdjustment,
        AccountKind::FxGainLoss,
    ];

    /// The code stored in the database and written in input files.
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Revenue => "revenue",
            AccountKind::Expense => "expense",
            AccountKind::NetIncome => "net_income",
            AccountKind::TranslationAdjustment => "translation_adjustment",
            AccountKind::FxGainLoss => "fx_gain_loss",
        }
    }

    /// Parses [`AccountKind::code`].
    pub fn from_code(code: &str) -> Option<AccountKind> {
        AccountKind::ALL
            .into_iter()
            .find(|k| k.code() == code.trim())
    }
}

impl Currency {
    /// Parses `JPY`, `USD`, `EUR`.
    pub fn from_code(code: &str) -> Option<Currency> {
        match code.trim() {
            "JPY" => Some(Currency::JPY),
            "USD" => Some(Currency::USD),
            "EUR" => Some(Currency::EUR),
            _ => None,
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            AccountKind::Asset => "asset (資産)",
            AccountKind::Liability => "liability (負債)",
            AccountKind::Equity => "equity (純資産)",
            AccountKind::Revenue => "revenue (収益)",
            AccountKind::Expense => "expense (費用)",
            AccountKind::NetIncome => "net income (当期純利益)",
            AccountKind::TranslationAdjustment => "translation adjustment (為替換算調整勘定)",
            AccountKind::FxGainLoss => "FX gain/loss (為替差損益)",
        };
        f.write_str(name)
    }
}

/// A currency (通貨). JPY is the consolidation currency (連結通貨).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Currency {
    JPY,
    USD,
    EUR,
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Currency::JPY => "JPY",
            Currency::USD => "USD",
            Currency::EUR => "EUR",
        })
    }
}

/// Exchange rates (換算レート) of one currency, in JPY per unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    /// Closing rate (決算日レート, CR): assets and liabilities.
    pub closing: Decimal,
    /// Average rate (期中平均レート, AR): revenues and expenses.
    pub average: Decimal,
    /// Historical rate (発生時レート, HR): equity / capital.
    pub historical: Decimal,
}

impl Rates {
    /// The rates of JPY itself: 1 yen per yen.
    pub const IDENTITY: Rates = Rates {
        closing: Decimal::ONE,
        average: Decimal::ONE,
        historical: Decimal::ONE,
    };
}

/// The rates of every foreign currency for one period. JPY always has rate 1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateTable {
    rates: BTreeMap<Currency, Rates>,
}

impl RateTable {
    /// An empty table (only JPY is known).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the rates of `currency`. Every rate must be positive;
    /// JPY cannot be given rates other than 1.
    pub fn with(mut self, currency: Currency, rates: Rates) -> Result<Self, ConsolidationError> {
        for (which, rate) in [
            ("closing", rates.closing),
            ("average", rates.average),
            ("historical", rates.historical),
        ] {
            if rate <= Decimal::ZERO {
                return Err(ConsolidationError::NonPositiveRate {
                    currency,
                    which,
                    rate,
                });
            }
        }
        if currency == Currency::JPY && rates != Rates::IDENTITY {
            return Err(ConsolidationError::YenRateNotOne);
        }
        self.rates.insert(currency, rates);
        Ok(self)
    }

    /// The rates of `currency`, if known (always known for JPY).
    pub fn get(&self, currency: Currency) -> Option<Rates> {
        match currency {
            Currency::JPY => Some(Rates::IDENTITY),
            other => self.rates.get(&other).copied(),
        }
    }
}

/// One line of a statement: the account's kind and its amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: AccountKind,
    pub amount: Amount,
}

/// One company's statement (財務諸表), in the currency [`Statement::currency`].
///
/// The business rule "an account appears at most once in a statement" (財務諸表中では
/// 勘定科目は重複しない) lives in the type: lines are a map keyed by account code, and
/// the only ways to write a line are the upserts [`Statement::set`] and
/// [`Statement::add_to`]. There is no way to push a second line for an account
/// (the defect of seed 002). A statement also holds at most one net income
/// (当期純利益) line, whatever its code, and an account keeps one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    company: String,
    currency: Currency,
    lines: BTreeMap<AccountCode, Line>,
}

impl Statement {
    /// An empty statement of `company` in `currency`.
    pub fn new(company: impl Into<String>, currency: Currency) -> Self {
        Self {
            company: company.into(),
            currency,
            lines: BTreeMap::new(),
        }
    }

    /// Builds a statement from lines read elsewhere (e.g. a trial balance,
    /// 残高試算表). An account listed twice is an error, never merged silently.
    pub fn from_lines(
        company: impl Into<String>,
        currency: Currency,
        lines: impl IntoIterator<Item = (AccountCode, AccountKind, Amount)>,
    ) -> Result<Self, ConsolidationError> {
        let mut statement = Self::new(company, currency);
        for (account, kind, amount) in lines {
            if statement.lines.contains_key(&account) {
                return Err(ConsolidationError::DuplicateAccount {
                    company: statement.company.clone(),
                    account,
                });
            }
            statement.set(account, kind, amount)?;
        }
        Ok(statement)
    }

    /// The company (会社) this statement belongs to.
    pub fn company(&self) -> &str {
        &self.company
    }

    /// The currency the amounts are in.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The line of `account`, if present.
    pub fn get(&self, account: &AccountCode) -> Option<&Line> {
        self.lines.get(account)
    }

    /// The amount of `account`, if present.
    pub fn amount(&self, account: &AccountCode) -> Option<Amount> {
        self.lines.get(account).map(|line| line.amount)
    }

    /// Every line, ordered by account code.
    pub fn lines(&self) -> impl Iterator<Item = (&AccountCode, &Line)> {
        self.lines.iter()
    }

    /// Number of lines (for the unit tests; no operation needs it).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the statement has no line (for the unit tests; no operation needs it).
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Sum of the amounts of every line of `kind`.
    pub fn total(&self, kind: AccountKind) -> Amount {
        self.lines
            .values()
            .filter(|line| line.kind == kind)
            .map(|line| line.amount)
            .sum()
    }

    /// The net income (当期純利益) line, if any (there is at most one).
    pub fn net_income(&self) -> Option<(&AccountCode, Amount)> {
        self.lines
            .iter()
            .find(|(_, line)| line.kind == AccountKind::NetIncome)
            .map(|(code, line)| (code, line.amount))
    }

    /// Assets − (liabilities + equity + net income + translation adjustment):
    /// zero when the balance sheet (貸借対照表) balances.
    pub fn balance_difference(&self) -> Amount {
        self.total(AccountKind::Asset)
            - self.total(AccountKind::Liability)
            - self.total(AccountKind::Equity)
            - self.total(AccountKind::NetIncome)
            - self.total(AccountKind::TranslationAdjustment)
    }

    /// Upsert: sets `account` to `amount`, updating the line if present and adding
    /// it if absent. Returns the previous amount. Fails if the account exists with
    /// another kind, or if it would be a second net income line.
    pub fn set(
        &mut self,
        account: AccountCode,
        kind: AccountKind,
        amount: Amount,
    ) -> Result<Option<Amount>, ConsolidationError> {
        self.check_kind(&account, kind)?;
        let previous = self.lines.insert(account, Line { kind, amount });
        Ok(previous.map(|line| line.amount))
    }

    /// Upsert: adds `delta` to `account` (a missing account starts at zero).
    /// Returns the new amount. Same checks as [`Statement::set`].
    pub fn add_to(
        &mut self,
        account: AccountCode,
        kind: AccountKind,
        delta: Amount,
    ) -> Result<Amount, ConsolidationError> {
        self.check_kind(&account, kind)?;
        let line = self.lines.entry(account).or_insert(Line {
            kind,
            amount: Decimal::ZERO,
        });
        line.amount += delta;
        Ok(line.amount)
    }

    fn check_kind(
        &self,
        account: &AccountCode,
        kind: AccountKind,
    ) -> Result<(), ConsolidationError> {
        if let Some(existing) = self.lines.get(account)
            && existing.kind != kind
        {
            return Err(ConsolidationError::KindMismatch {
                company: self.company.clone(),
                account: account.clone(),
                existing: existing.kind,
                requested: kind,
            });
        }
        if kind == AccountKind::NetIncome
            && let Some((other, _)) = self.net_income()
            && other != account
        {
            return Err(ConsolidationError::SecondNetIncome {
                company: self.company.clone(),
                existing: other.clone(),
                requested: account.clone(),
            });
        }
        Ok(())
    }

    /// Replaces the currency and every amount; used by translation only.
    pub(super) fn translated(&self, map: impl Fn(&Line) -> Amount) -> Statement {
        Statement {
            company: self.company.clone(),
            currency: Currency::JPY,
            lines: self
                .lines
                .iter()
                .map(|(code, line)| {
                    (
                        code.clone(),
                        Line {
                            kind: line.kind,
                            amount: map(line),
                        },
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn set_updates_and_add_to_accumulates_without_duplicating() {
        let mut s = Statement::new("Parent KK", Currency::JPY);
        assert_eq!(
            s.set("sales".into(), AccountKind::Revenue, d("100"))
                .unwrap(),
            None
        );
        // Upsert: the second set replaces, it does not push a second line.
        assert_eq!(
            s.set("sales".into(), AccountKind::Revenue, d("120"))
                .unwrap(),
            Some(d("100"))
        );
        // 120 + 30 = 150.
        assert_eq!(
            s.add_to("sales".into(), AccountKind::Revenue, d("30"))
                .unwrap(),
            d("150")
        );
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn duplicate_account_in_trial_balance_is_an_error() {
        let error = Statement::from_lines(
            "Parent KK",
            Currency::JPY,
            [
                ("net_income".into(), AccountKind::NetIncome, d("1")),
                ("net_income".into(), AccountKind::NetIncome, d("2")),
            ],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "company \"Parent KK\": account net_income appears more than once; an account appears at most once in a statement"
        );
    }

    #[test]
    fn account_keeps_its_kind() {
        let mut s = Statement::new("Parent KK", Currency::JPY);
        s.set("cash".into(), AccountKind::Asset, d("1")).unwrap();
        let error = s
            .add_to("cash".into(), AccountKind::Liability, d("1"))
            .unwrap_err();
        assert!(
            matches!(error, ConsolidationError::KindMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn rates_must_be_positive() {
        let rates = Rates {
            closing: d("0"),
            average: d("1"),
            historical: d("1"),
        };
        let error = RateTable::new().with(Currency::USD, rates).unwrap_err();
        assert_eq!(
            error.to_string(),
            "closing rate of USD is 0; rates must be positive"
        );
    }
}
