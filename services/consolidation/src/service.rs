//! The consolidation service on a database: setup of a group, the core operations
//! (import trial balances, update exchange rates, replace the consolidation
//! journal, replace adjustments), and the two strategies that recompute the
//! statements, chosen at each operation by the runtime flag
//! [`crate::IN_MEMORY`]:
//!
//! - per-step (off, the original design): for every company, each of the six
//!   steps loads the company's statement from the database and saves it back;
//! - in-memory (on): everything the operation touches is loaded once, every step
//!   runs in memory, and all statements are saved once in bulk. Its round trips do
//!   not depend on the number of companies.
//!
//! A core operation is one transaction that first takes the group's lock, so two
//! operations on a group never interleave: the second waits (up to the lock wait)
//! or fails with a clear error, and a failure leaves the previous statements intact.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::input::{CsvLine, InputError, read_csv};
use super::model::{AccountCode, AccountKind, Currency, Line, RateTable, Rates, Statement};
use super::pipeline::{self, Adjustment, KeyAccounts, MonetaryItem};
use super::store::{self, RoundTrips, StoreError, StoredLine};
use super::{ConsolidationError, EntryLine, JournalEntry, Side, consolidate};
use kensho_shared::db::Db;
use kensho_shared::flag::FlagError;
use kensho_shared::money::Amount;

/// The company code under which the consolidated statement (連結財務諸表) is stored.
pub const CONSOLIDATED: &str = "*";

/// How statements were recomputed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    PerStep,
    InMemory,
}

/// What a core operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub strategy: Strategy,
    pub companies: usize,
    pub round_trips: u64,
}

/// Options of a core operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Fault injection, for fault scenarios only (point `n`: after the `n`-th
    /// statement save in the operation's transaction: per step, each company's
    /// statement in company order, then the consolidated one; in memory, the one
    /// bulk save of them all). See [`kensho_shared::fault`].
    /// Only in a build with the `fault-points` feature, which the scenario suite
    /// enables and the service's own build does not.
    #[cfg(feature = "fault-points")]
    pub fault: Option<kensho_shared::fault::Fault>,
}

impl Options {
    /// The fault to inject (none in a build without fault points).
    fn fault(&self) -> Option<kensho_shared::fault::Fault> {
        #[cfg(feature = "fault-points")]
        return self.fault;
        #[cfg(not(feature = "fault-points"))]
        return None;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Consolidation(#[from] ConsolidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Flag(#[from] FlagError),
    #[error("the group has no {0}; set the group up first (companies and chart of accounts)")]
    NotSetUp(&'static str),
    #[error("the chart of accounts needs exactly one {kind} account, found {found}")]
    KeyAccount { kind: &'static str, found: usize },
}

fn sqlx_err(action: &'static str) -> impl FnOnce(sqlx::Error) -> ServiceError {
    move |source| ServiceError::Store(store::sql(action)(source))
}

impl From<kensho_shared::fault::ConnectionLost> for ServiceError {
    fn from(lost: kensho_shared::fault::ConnectionLost) -> Self {
        ServiceError::Store(StoreError::ConnectionLost(lost))
    }
}

/// What a core operation's statement saves are called in errors.
const SAVING: &str = "saving the new statements";

/// A company of the group (会社).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    pub code: String,
    pub currency: Currency,
    pub is_parent: bool,
}

/// Everything the pipeline reads besides statements.
#[derive(Clone, Debug, Default)]
struct Setup {
    companies: Vec<Company>,
    accounts: BTreeMap<AccountCode, AccountKind>,
    rates: RateTable,
    local_adjustments: BTreeMap<String, Vec<Adjustment>>,
    jpy_adjustments: BTreeMap<String, Vec<Adjustment>>,
    journal: Vec<JournalEntry>,
    monetary_items: BTreeMap<String, Vec<MonetaryItem>>,
}

impl Setup {
    fn key_accounts(&self) -> Result<KeyAccounts, ServiceError> {
        let one = |kind: AccountKind, name: &'static str| -> Result<AccountCode, ServiceError> {
            let found: Vec<&AccountCode> = self
                .accounts
                .iter()
                .filter(|(_, k)| **k == kind)
                .map(|(c, _)| c)
                .collect();
            match found.as_slice() {
                [one] => Ok((*one).clone()),
                _ => Err(ServiceError::KeyAccount {
                    kind: name,
                    found: found.len(),
                }),
            }
        };
        Ok(KeyAccounts {
            net_income: one(AccountKind::NetIncome, "net_income")?,
            translation_adjustment: one(
                AccountKind::TranslationAdjustment,
                "translation_adjustment",
            )?,
            fx_gain_loss: one(AccountKind::FxGainLoss, "fx_gain_loss")?,
        })
    }

    fn kind(&self, line: &CsvLine, column: &str) -> Result<(AccountCode, AccountKind), InputError> {
        let code = AccountCode::new(line.text(column)?);
        match self.accounts.get(&code) {
            Some(kind) => Ok((code, *kind)),
            None => Err(line.error(
                column,
                format!("unknown account {code}; it is not in the chart of accounts"),
            )),
        }
    }

    fn company(&self, line: &CsvLine, column: &str) -> Result<String, InputError> {
        let code = line.text(column)?;
        if self.companies.iter().any(|c| c.code == code) {
            Ok(code.to_string())
        } else {
            Err(line.error(
                column,
                format!(
                    "unknown company {code:?}; the group has {}",
                    self.companies
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }
}

/// A change of the group's input, applied inside the core operation's transaction.
enum Change {
    TrialBalances(Vec<(String, AccountCode, Amount)>),
    Rates(Vec<(Currency, Rates)>),
    Journal(Vec<(String, usize, AccountCode, Side, Amount)>),
    Adjustments(Vec<(String, &'static str, AccountCode, Amount)>),
    MonetaryItems(Vec<(String, AccountCode, Currency, Amount, Amount)>),
}

const COMPANIES_SQL: &str = "SELECT code, currency, is_parent FROM cons_company ORDER BY code";
const ACCOUNTS_SQL: &str = "SELECT code, kind FROM cons_account ORDER BY code";
const RATES_SQL: &str =
    "SELECT currency, closing, average, historical FROM cons_rate ORDER BY currency";
const ADJUSTMENTS_SQL: &str =
    "SELECT company, stage, account, amount FROM cons_adjustment ORDER BY company, stage, account";
const JOURNAL_SQL: &str =
    "SELECT entry, account, side, amount FROM cons_journal ORDER BY entry, line_no";
const MONETARY_ITEMS_SQL: &str = "SELECT company, account, currency, foreign_amount, booked_jpy FROM cons_monetary_item ORDER BY company, account, currency";
const TRIAL_BALANCES_SQL: &str =
    "SELECT company, account, amount FROM cons_trial_balance ORDER BY company, account";

/// Sets up the group: its companies and chart of accounts (replacing any earlier
/// setup). Exactly one parent, in JPY.
pub async fn set_up_group(db: &Db, companies: &Path, accounts: &Path) -> Result<(), ServiceError> {
    let company_lines = read_csv(companies, &["company", "currency", "parent"])?;
    let mut company_rows = Vec::new();
    let mut parents = 0;
    let mut seen = BTreeSet::new();
    for line in &company_lines {
        let code = line.text("company")?.to_string();
        if !seen.insert(code.clone()) {
            return Err(line
                .error("company", format!("company {code:?} appears twice"))
                .into());
        }
        let currency = line.text("currency")?;
        if Currency::from_code(currency).is_none() {
            return Err(line
                .error(
                    "currency",
                    format!("unknown currency {currency:?}; use JPY, USD or EUR"),
                )
                .into());
        }
        let parent = match line.text("parent")? {
            "yes" => true,
            "no" => false,
            other => {
                return Err(line
                    .error("parent", format!("write yes or no, not {other:?}"))
                    .into());
            }
        };
        if parent {
            parents += 1;
            if currency != "JPY" {
                return Err(line
                    .error(
                        "currency",
                        "the parent reports in JPY, the consolidation currency",
                    )
                    .into());
            }
        }
        company_rows.push((
            vec![
                code,
                currency.to_string(),
                if parent { "yes" } else { "no" }.to_string(),
            ],
            vec![],
        ));
    }
    if parents != 1 {
        return Err(InputError {
            file: companies.display().to_string(),
            line: None,
            column: Some("parent".into()),
            message: format!("a group has exactly one parent, found {parents}"),
        }
        .into());
    }
    let account_lines = read_csv(accounts, &["account", "kind"])?;
    let mut account_rows = Vec::new();
    let mut seen = BTreeSet::new();
    for line in &account_lines {
        let code = line.text("account")?.to_string();
        if !seen.insert(code.clone()) {
            return Err(line
                .error("account", format!("account {code:?} appears twice"))
                .into());
        }
        let kind = line.text("kind")?;
        if AccountKind::from_code(kind).is_none() {
            let kinds: Vec<&str> = AccountKind::ALL.iter().map(|k| k.code()).collect();
            return Err(line
                .error(
                    "kind",
                    format!("unknown kind {kind:?}; use one of {}", kinds.join(", ")),
                )
                .into());
        }
        account_rows.push((vec![code, kind.to_string()], vec![]));
    }
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let trips = RoundTrips::default();
        // SQLite takes the write lock up front (BEGIN IMMEDIATE), so a second
        // operation waits (busy_timeout) instead of failing on a lock upgrade.
        let mut tx = store::dialect::begin_ungated(pool).await.map_err(sqlx_err("starting a transaction"))?;
        store::lock_group(&mut tx, &trips).await?;
        store::delete_all(&mut tx, &trips, "cons_company").await?;
        store::delete_all(&mut tx, &trips, "cons_account").await?;
        store::insert_rows(&mut tx, &trips, "cons_company", &["code", "currency", "is_parent"], &[], &company_rows).await?;
        store::insert_rows(&mut tx, &trips, "cons_account", &["code", "kind"], &[], &account_rows).await?;
        tx.commit().await.map_err(sqlx_err("committing"))?;
        Ok(())
    })
}

/// Core operation: imports trial balances (`company,account,amount`, in each
/// company's currency), replacing those of the companies in the file, and
/// recomputes every statement.
pub async fn import_trial_balances(
    db: &Db,
    path: &Path,
    options: Options,
) -> Result<Outcome, ServiceError> {
    let lines = read_csv(path, &["company", "account", "amount"])?;
    core_operation(db, options, |setup| {
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        for line in &lines {
            let company = setup.company(line, "company")?;
            let (account, _) = setup.kind(line, "account")?;
            if !seen.insert((company.clone(), account.clone())) {
                return Err(line.error(
                    "account",
                    format!("{company} {account} appears twice in one file"),
                ));
            }
            rows.push((company, account, line.amount("amount")?));
        }
        Ok(Change::TrialBalances(rows))
    })
    .await
}

/// Core operation: updates exchange rates (`currency,closing,average,historical`,
/// JPY per unit) and recomputes every statement (every foreign subsidiary moves).
pub async fn update_rates(db: &Db, path: &Path, options: Options) -> Result<Outcome, ServiceError> {
    let lines = read_csv(path, &["currency", "closing", "average", "historical"])?;
    core_operation(db, options, |_| {
        let mut rows = Vec::new();
        for line in &lines {
            let code = line.text("currency")?;
            let currency = match Currency::from_code(code) {
                Some(Currency::JPY) => {
                    return Err(line.error(
                        "currency",
                        "JPY is the consolidation currency; its rate is always 1",
                    ));
                }
                Some(c) => c,
                None => {
                    return Err(line.error(
                        "currency",
                        format!("unknown currency {code:?}; use USD or EUR"),
                    ));
                }
            };
            let rates = Rates {
                closing: line.amount("closing")?,
                average: line.amount("average")?,
                historical: line.amount("historical")?,
            };
            if let Err(e) = RateTable::new().with(currency, rates) {
                return Err(line.error("closing", e.to_string()));
            }
            rows.push((currency, rates));
        }
        Ok(Change::Rates(rows))
    })
    .await
}

/// Core operation: replaces the consolidation journal (`entry,account,side,amount`)
/// and recomputes the consolidated statement.
pub async fn replace_journal(
    db: &Db,
    path: &Path,
    options: Options,
) -> Result<Outcome, ServiceError> {
    let lines = read_csv(path, &["entry", "account", "side", "amount"])?;
    core_operation(db, options, |setup| {
        let mut rows = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let (account, _) = setup.kind(line, "account")?;
            let side = match line.text("side")? {
                "D" => Side::Debit,
                "C" => Side::Credit,
                other => {
                    return Err(line.error(
                        "side",
                        format!("write D (debit) or C (credit), not {other:?}"),
                    ));
                }
            };
            rows.push((
                line.text("entry")?.to_string(),
                i + 1,
                account,
                side,
                line.amount("amount")?,
            ));
        }
        Ok(Change::Journal(rows))
    })
    .await
}

/// Core operation: replaces every company-level adjustment
/// (`company,stage,account,amount`; stage `local` or `jpy`) and recomputes.
pub async fn replace_adjustments(
    db: &Db,
    path: &Path,
    options: Options,
) -> Result<Outcome, ServiceError> {
    let lines = read_csv(path, &["company", "stage", "account", "amount"])?;
    core_operation(db, options, |setup| {
        let mut rows = Vec::new();
        for line in &lines {
            let company = setup.company(line, "company")?;
            let stage = match line.text("stage")? {
                "local" => "local",
                "jpy" => "jpy",
                other => {
                    return Err(line.error("stage", format!("write local or jpy, not {other:?}")));
                }
            };
            let (account, _) = setup.kind(line, "account")?;
            rows.push((company, stage, account, line.amount("amount")?));
        }
        Ok(Change::Adjustments(rows))
    })
    .await
}

/// Core operation: replaces the foreign-currency monetary items
/// (`company,account,currency,foreign_amount,booked_jpy`) that step 6 remeasures at
/// the closing rate, and recomputes. The account must be an asset or a liability
/// of the company's statement, and `booked_jpy` part of its balance.
pub async fn replace_monetary_items(
    db: &Db,
    path: &Path,
    options: Options,
) -> Result<Outcome, ServiceError> {
    let lines = read_csv(
        path,
        &[
            "company",
            "account",
            "currency",
            "foreign_amount",
            "booked_jpy",
        ],
    )?;
    core_operation(db, options, |setup| {
        let mut rows = Vec::new();
        for line in &lines {
            let company = setup.company(line, "company")?;
            let (account, kind) = setup.kind(line, "account")?;
            if !matches!(kind, AccountKind::Asset | AccountKind::Liability) {
                return Err(line.error(
                    "account",
                    format!("{account} is {kind}; monetary items are assets or liabilities"),
                ));
            }
            let code = line.text("currency")?;
            let currency = match Currency::from_code(code) {
                Some(Currency::JPY) | None => {
                    return Err(line.error(
                        "currency",
                        format!("{code:?} is not a foreign currency; use USD or EUR"),
                    ));
                }
                Some(c) => c,
            };
            rows.push((
                company,
                account,
                currency,
                line.amount("foreign_amount")?,
                line.amount("booked_jpy")?,
            ));
        }
        Ok(Change::MonetaryItems(rows))
    })
    .await
}

/// The lines of a stored statement (a company's, or [`CONSOLIDATED`]), by account.
pub async fn statement_lines(
    db: &Db,
    company: &str,
) -> Result<Vec<(AccountCode, Line)>, ServiceError> {
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let trips = RoundTrips::default();
        let mut conn = pool.acquire().await.map_err(sqlx_err("connecting"))?;
        let lines = store::statement_lines(&mut conn, &trips, Some(company)).await?;
        Ok(lines.into_iter().map(|l| (l.account, l.line)).collect())
    })
}

/// The codes a group's database knows, for steps and tools that name a company or
/// an account and must say which ones exist when a name is wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownCodes {
    /// The companies of the group (会社, `cons_company`), sorted.
    pub group: Vec<String>,
    /// Every company with a stored statement or in the group, without
    /// [`CONSOLIDATED`], sorted.
    pub companies: Vec<String>,
    /// Every account of the chart of accounts (勘定科目) or of a stored statement,
    /// sorted.
    pub accounts: Vec<String>,
}

/// The group's companies, and the companies and accounts its statements name (one
/// read each; an empty database gives empty lists).
const GROUP_COMPANIES_SQL: &str = "SELECT code FROM cons_company ORDER BY code";
const KNOWN_COMPANIES_SQL: &str =
    "SELECT code FROM cons_company UNION SELECT company FROM cons_statement_line";
const KNOWN_ACCOUNTS_SQL: &str =
    "SELECT code FROM cons_account UNION SELECT account FROM cons_statement_line";

/// The companies and accounts the database knows ([`KnownCodes`]).
pub async fn known_codes(db: &Db) -> Result<KnownCodes, ServiceError> {
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let trips = RoundTrips::default();
        let mut conn = pool.acquire().await.map_err(sqlx_err("connecting"))?;
        let mut lists = Vec::new();
        for select in [GROUP_COMPANIES_SQL, KNOWN_COMPANIES_SQL, KNOWN_ACCOUNTS_SQL] {
            let mut codes: Vec<String> = store::rows(&mut conn, &trips, select, &["code"])
                .await?
                .into_iter()
                .flatten()
                .filter(|code| code != CONSOLIDATED)
                .collect();
            codes.sort();
            codes.dedup();
            lists.push(codes);
        }
        let mut lists = lists.into_iter();
        Ok(KnownCodes {
            group: lists.next().unwrap_or_default(),
            companies: lists.next().unwrap_or_default(),
            accounts: lists.next().unwrap_or_default(),
        })
    })
}

async fn core_operation(
    db: &Db,
    options: Options,
    change: impl FnOnce(&Setup) -> Result<Change, InputError>,
) -> Result<Outcome, ServiceError> {
    let strategy = if crate::IN_MEMORY.is_on(db).await? {
        Strategy::InMemory
    } else {
        Strategy::PerStep
    };
    kensho_shared::dispatch!(db, crate::store, store, pool => {
        let trips = RoundTrips::default();
        // SQLite takes the write lock up front (BEGIN IMMEDIATE), so a second
        // operation waits (busy_timeout) instead of failing on a lock upgrade.
        let mut tx = store::dialect::begin_ungated(pool).await.map_err(sqlx_err("starting a transaction"))?;
        store::lock_group(&mut tx, &trips).await?;
        let setup = load_setup!(store, &mut tx, &trips);
        let change = change(&setup)?;
        match change {
            Change::TrialBalances(rows) => {
                let companies: BTreeSet<&String> = rows.iter().map(|r| &r.0).collect();
                let existing = store::amount_rows(&mut tx, &trips, TRIAL_BALANCES_SQL, &["company", "account"], &["amount"]).await?;
                let kept: Vec<(Vec<String>, Vec<Amount>)> = existing.into_iter().filter(|(t, _)| !companies.contains(&t[0])).collect();
                let new = rows.iter().map(|(c, a, m)| (vec![c.clone(), a.to_string()], vec![*m]));
                let all: Vec<_> = kept.into_iter().chain(new).collect();
                store::delete_all(&mut tx, &trips, "cons_trial_balance").await?;
                store::insert_rows(&mut tx, &trips, "cons_trial_balance", &["company", "account"], &["amount"], &all).await?;
            }
            Change::Rates(rows) => {
                let mut all: BTreeMap<Currency, Rates> = setup.rates_list();
                all.extend(rows);
                let rows: Vec<_> = all.iter().map(|(c, r)| (vec![c.to_string()], vec![r.closing, r.average, r.historical])).collect();
                store::delete_all(&mut tx, &trips, "cons_rate").await?;
                store::insert_rows(&mut tx, &trips, "cons_rate", &["currency"], &["closing", "average", "historical"], &rows).await?;
            }
            Change::Journal(rows) => {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(e, n, a, s, m)| (vec![e.clone(), a.to_string(), if *s == Side::Debit { "D" } else { "C" }.to_string()], vec![Amount::from(*n as u64), *m]))
                    .collect();
                store::delete_all(&mut tx, &trips, "cons_journal").await?;
                // The line number travels as a number (an amount column) so every engine
                // stores it as INTEGER.
                store::insert_rows(&mut tx, &trips, "cons_journal", &["entry", "account", "side"], &["line_no", "amount"], &rows).await?;
            }
            Change::MonetaryItems(rows) => {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(c, a, cur, f, b)| (vec![c.clone(), a.to_string(), cur.to_string()], vec![*f, *b]))
                    .collect();
                store::delete_all(&mut tx, &trips, "cons_monetary_item").await?;
                store::insert_rows(&mut tx, &trips, "cons_monetary_item", &["company", "account", "currency"], &["foreign_amount", "booked_jpy"], &rows).await?;
            }
            Change::Adjustments(rows) => {
                let rows: Vec<_> = rows.iter().map(|(c, s, a, m)| (vec![c.clone(), s.to_string(), a.to_string()], vec![*m])).collect();
                store::delete_all(&mut tx, &trips, "cons_adjustment").await?;
                store::insert_rows(&mut tx, &trips, "cons_adjustment", &["company", "stage", "account"], &["amount"], &rows).await?;
            }
        }
        // Re-read what the change wrote, so both strategies start from the stored input.
        let setup = load_setup!(store, &mut tx, &trips);
        let keys = setup.key_accounts()?;
        let began = std::time::Instant::now();
        let balances = store::amount_rows(&mut tx, &trips, TRIAL_BALANCES_SQL, &["company", "account"], &["amount"]).await?;
        tracing::debug!(lines = balances.len(), elapsed = ?began.elapsed(), "trial balances read");
        let mut trial_balances: BTreeMap<String, Vec<(AccountCode, AccountKind, Amount)>> = BTreeMap::new();
        for (t, a) in balances {
            let account = AccountCode::new(t[1].clone());
            let kind = *setup.accounts.get(&account).ok_or(ServiceError::NotSetUp("account for a stored trial balance line"))?;
            trial_balances.entry(t[0].clone()).or_default().push((account, kind, a[0]));
        }
        let mut statements = Vec::new();
        let mut saves = 0;
        for company in &setup.companies {
            let tb = trial_balances.remove(&company.code).unwrap_or_default();
            let has_trial_balance = !tb.is_empty();
            let statement = Statement::from_lines(company.code.clone(), company.currency, tb)?;
            let statement = match strategy {
                Strategy::InMemory => {
                    let mut statement = statement;
                    for step in 1..=6 {
                        let (after, appended) = run_step(step, statement, company, &setup, &keys, has_trial_balance)?;
                        statement = after;
                        for l in appended {
                            // A second line for the account: read back, the two add up.
                            statement.add_to(l.account, l.line.kind, l.line.amount)?;
                        }
                    }
                    statement
                }
                Strategy::PerStep => {
                    store::delete_statements(&mut tx, &trips, Some(&company.code)).await?;
                    store::insert_lines(&mut tx, &trips, &stored(&statement)).await?;
                    for step in 1..=6 {
                        let currency = if step <= 2 { company.currency } else { Currency::JPY };
                        let loaded = store::statement_lines(&mut tx, &trips, Some(&company.code)).await?;
                        let before = Statement::from_lines(
                            company.code.clone(),
                            currency,
                            loaded.into_iter().map(|l| (l.account, l.line.kind, l.line.amount)),
                        )?;
                        let (after, appended) = run_step(step, before, company, &setup, &keys, has_trial_balance)?;
                        // The step saves its statement back, as the original design did.
                        let mut writes = stored(&after);
                        writes.extend(appended);
                        store::upsert_lines(&mut tx, &trips, &last_per_account(writes)).await?;
                    }
                    let loaded = store::statement_lines(&mut tx, &trips, Some(&company.code)).await?;
                    Statement::from_lines(company.code.clone(), Currency::JPY, loaded.into_iter().map(|l| (l.account, l.line.kind, l.line.amount)))?
                }
            };
            statements.push(statement);
            if strategy == Strategy::PerStep {
                saves += 1;
                kensho_shared::fault::in_transaction(options.fault(), saves, &mut *tx, SAVING).await?;
            }
        }
        tracing::debug!(?strategy, elapsed = ?began.elapsed(), "company statements computed");
        let group = consolidate(CONSOLIDATED, &statements, &setup.journal, &keys.net_income)?;
        match strategy {
            Strategy::InMemory => {
                store::delete_statements(&mut tx, &trips, None).await?;
                tracing::debug!(elapsed = ?began.elapsed(), "old statements deleted");
                let mut all: Vec<StoredLine> = statements.iter().flat_map(stored).collect();
                all.extend(stored(&group));
                store::insert_lines_bulk(&mut tx, &trips, &all).await?;
                tracing::debug!(lines = all.len(), elapsed = ?began.elapsed(), "statements saved");
            }
            Strategy::PerStep => {
                store::delete_statements(&mut tx, &trips, Some(CONSOLIDATED)).await?;
                store::insert_lines(&mut tx, &trips, &stored(&group)).await?;
            }
        }
        saves += 1;
        kensho_shared::fault::in_transaction(options.fault(), saves, &mut *tx, SAVING).await?;
        tx.commit().await.map_err(sqlx_err("committing"))?;
        Ok(Outcome { strategy, companies: statements.len(), round_trips: trips.count() })
    })
}

/// Loads the group's setup inside a transaction (five queries).
macro_rules! load_setup {
    ($store:ident, $conn:expr, $trips:expr) => {{
        let conn = $conn;
        let trips = $trips;
        let companies = $store::rows(
            conn,
            trips,
            COMPANIES_SQL,
            &["code", "currency", "is_parent"],
        )
        .await?;
        let accounts = $store::rows(conn, trips, ACCOUNTS_SQL, &["code", "kind"]).await?;
        let rates = $store::amount_rows(
            conn,
            trips,
            RATES_SQL,
            &["currency"],
            &["closing", "average", "historical"],
        )
        .await?;
        let adjustments = $store::amount_rows(
            conn,
            trips,
            ADJUSTMENTS_SQL,
            &["company", "stage", "account"],
            &["amount"],
        )
        .await?;
        let journal = $store::amount_rows(
            conn,
            trips,
            JOURNAL_SQL,
            &["entry", "account", "side"],
            &["amount"],
        )
        .await?;
        let monetary = $store::amount_rows(
            conn,
            trips,
            MONETARY_ITEMS_SQL,
            &["company", "account", "currency"],
            &["foreign_amount", "booked_jpy"],
        )
        .await?;
        Setup::from_rows(companies, accounts, rates, adjustments, journal, monetary)?
    }};
}
use load_setup;

impl Setup {
    fn from_rows(
        companies: Vec<Vec<String>>,
        accounts: Vec<Vec<String>>,
        rates: Vec<(Vec<String>, Vec<Amount>)>,
        adjustments: Vec<(Vec<String>, Vec<Amount>)>,
        journal: Vec<(Vec<String>, Vec<Amount>)>,
        monetary: Vec<(Vec<String>, Vec<Amount>)>,
    ) -> Result<Setup, ServiceError> {
        let corrupt = |table: &'static str, what: String| {
            ServiceError::Store(StoreError::Corrupt { table, what })
        };
        if companies.is_empty() {
            return Err(ServiceError::NotSetUp("companies"));
        }
        let mut setup = Setup::default();
        for row in companies {
            let currency = Currency::from_code(&row[1])
                .ok_or_else(|| corrupt("cons_company", format!("currency {:?}", row[1])))?;
            setup.companies.push(Company {
                code: row[0].clone(),
                currency,
                is_parent: row[2].trim() == "yes",
            });
        }
        for row in accounts {
            let kind = AccountKind::from_code(&row[1])
                .ok_or_else(|| corrupt("cons_account", format!("kind {:?}", row[1])))?;
            setup
                .accounts
                .insert(AccountCode::new(row[0].clone()), kind);
        }
        for (t, a) in rates {
            let currency = Currency::from_code(&t[0])
                .ok_or_else(|| corrupt("cons_rate", format!("currency {:?}", t[0])))?;
            setup.rates = std::mem::take(&mut setup.rates).with(
                currency,
                Rates {
                    closing: a[0],
                    average: a[1],
                    historical: a[2],
                },
            )?;
        }
        for (t, a) in adjustments {
            let account = AccountCode::new(t[2].clone());
            let kind = *setup
                .accounts
                .get(&account)
                .ok_or_else(|| corrupt("cons_adjustment", format!("account {account}")))?;
            let target = if t[1] == "local" {
                &mut setup.local_adjustments
            } else {
                &mut setup.jpy_adjustments
            };
            target.entry(t[0].clone()).or_default().push(Adjustment {
                account,
                kind,
                delta: a[0],
            });
        }
        let mut entries: Vec<JournalEntry> = Vec::new();
        for (t, a) in journal {
            let account = AccountCode::new(t[1].clone());
            let kind = *setup
                .accounts
                .get(&account)
                .ok_or_else(|| corrupt("cons_journal", format!("account {account}")))?;
            let side = if t[2].trim() == "D" {
                Side::Debit
            } else {
                Side::Credit
            };
            let line = EntryLine {
                account,
                kind,
                side,
                amount: a[0],
            };
            match entries.last_mut() {
                Some(entry) if entry.name == t[0] => entry.lines.push(line),
                _ => entries.push(JournalEntry {
                    name: t[0].clone(),
                    lines: vec![line],
                }),
            }
        }
        setup.journal = entries;
        for (t, a) in monetary {
            let currency = Currency::from_code(&t[2])
                .ok_or_else(|| corrupt("cons_monetary_item", format!("currency {:?}", t[2])))?;
            setup
                .monetary_items
                .entry(t[0].clone())
                .or_default()
                .push(MonetaryItem {
                    account: AccountCode::new(t[1].clone()),
                    currency,
                    foreign_amount: a[0],
                    booked_jpy: a[1],
                });
        }
        Ok(setup)
    }

    fn rates_list(&self) -> BTreeMap<Currency, Rates> {
        [Currency::USD, Currency::EUR]
            .into_iter()
            .filter_map(|c| self.rates.get(c).map(|r| (c, r)))
            .collect()
    }
}

/// Runs pipeline step `step` (1 to 6) on one company's statement. Returns the new
/// statement and the lines the step appended beside it (only under the incident
/// replay).
fn run_step(
    step: u8,
    statement: Statement,
    company: &Company,
    setup: &Setup,
    keys: &KeyAccounts,
    has_trial_balance: bool,
) -> Result<(Statement, Vec<StoredLine>), ServiceError> {
    let none = Vec::new();
    let statement = match step {
        1 => pipeline::apply_individual_adjustments(
            statement,
            setup.local_adjustments.get(&company.code).unwrap_or(&none),
        )?,
        2 => pipeline::translate(statement, &setup.rates)?,
        3 => pipeline::compute_net_income(statement, &keys.net_income)?,
        4 => pipeline::apply_translation_adjustments(
            statement,
            setup.jpy_adjustments.get(&company.code).unwrap_or(&none),
        )?,
        5 => pipeline::compute_translation_adjustment(statement, &keys.translation_adjustment)?,
        // A company without a trial balance yet has nothing to remeasure.
        _ if !has_trial_balance => statement,
        _ => pipeline::compute_fx_gain_loss(
            statement,
            setup
                .monetary_items
                .get(&company.code)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            &setup.rates,
            keys,
        )?,
    };
    Ok((statement, Vec::new()))
}

fn stored(statement: &Statement) -> Vec<StoredLine> {
    statement
        .lines()
        .map(|(account, line)| StoredLine {
            company: statement.company().to_string(),
            account: account.clone(),
            line: *line,
        })
        .collect()
}

/// The per-step save's de-duplication: of several writes to one account, the last
/// wins (what `ON DUPLICATE KEY UPDATE` did row by row).
fn last_per_account(writes: Vec<StoredLine>) -> Vec<StoredLine> {
    let mut last: BTreeMap<(String, AccountCode), StoredLine> = BTreeMap::new();
    for write in writes {
        last.insert((write.company.clone(), write.account.clone()), write);
    }
    last.into_values().collect()
}
