//! 連結会計 consolidation steps (seed 002). Every step acts on each database of the
//! scenario: under `@differential(flag)` the same steps run with the flag off and on.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail, ensure};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use kensho::check::table::{Table, compare_exact};
use kensho::shared::money;
use kensho_consolidation::model::{AccountCode, AccountKind, Line};
use kensho_consolidation::service::{self, CONSOLIDATED, Options, Strategy};

use crate::billing::StepAmount;
use kensho::ScenarioWorld;

/// A file named in a step, inside the project folder ([`crate::billing::checked_file`]).
fn project_file(path: &str) -> Result<PathBuf> {
    crate::billing::checked_file(path)
}

fn options(_w: &ScenarioWorld) -> Options {
    Options::default()
}

/// What the consolidation steps of one scenario keep between steps.
#[derive(Debug, Default)]
pub struct ConsolidationState {
    /// What the last consolidation import did, one outcome per variant.
    pub outcomes: Vec<service::Outcome>,
}

/// "" or " [flag=on]": which database of a differential run a message is about.
fn which(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!(" [{label}]")
    }
}

fn statement_table(lines: &[(AccountCode, Line)]) -> Table {
    Table {
        columns: vec!["account".into(), "kind".into(), "amount".into()],
        rows: lines
            .iter()
            .map(|(account, line)| {
                vec![
                    account.to_string(),
                    line.kind.code().to_string(),
                    money::display(line.amount),
                ]
            })
            .collect(),
    }
}

#[given(expr = "the consolidation group of {string} with the accounts of {string}")]
#[given(regex = r"^会社一覧「([^」]+)」と勘定科目一覧「([^」]+)」の連結グループがある$")]
async fn group(w: &mut ScenarioWorld, companies: String, accounts: String) -> Result<()> {
    for v in w.variants()? {
        service::set_up_group(
            &v.database.db,
            &project_file(&companies)?,
            &project_file(&accounts)?,
        )
        .await
        .map_err(|e| anyhow!("setting up the group{}: {e}", which(&v.label)))?;
    }
    Ok(())
}

#[given(expr = "the exchange rates of {string}")]
#[given(regex = r"^為替レート「([^」]+)」が登録されている$")]
#[when(expr = "the exchange rates of {string} are entered")]
#[when(regex = r"^為替レート「([^」]+)」を入力する$")]
async fn rates(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let opts = options(w);
    for v in w.variants()? {
        service::update_rates(&v.database.db, &project_file(&path)?, opts)
            .await
            .map_err(|e| anyhow!("{e}{}", which(&v.label)))?;
    }
    Ok(())
}

#[given(expr = "the consolidation journal of {string}")]
#[given(regex = r"^連結仕訳「([^」]+)」が登録されている$")]
#[when(expr = "the consolidation journal of {string} is entered")]
#[when(regex = r"^連結仕訳「([^」]+)」を入力する$")]
async fn journal(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let opts = options(w);
    for v in w.variants()? {
        service::replace_journal(&v.database.db, &project_file(&path)?, opts)
            .await
            .map_err(|e| anyhow!("{e}{}", which(&v.label)))?;
    }
    Ok(())
}

/// 個別修正 (stage `local`) and 換算修正 (stage `jpy`): replaces every adjustment.
#[when(expr = "the adjustments of {string} are entered")]
async fn adjustments(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let opts = options(w);
    for v in w.variants()? {
        service::replace_adjustments(&v.database.db, &project_file(&path)?, opts)
            .await
            .map_err(|e| anyhow!("{e}{}", which(&v.label)))?;
    }
    Ok(())
}

#[given(expr = "the foreign-currency monetary items of {string}")]
#[given(regex = r"^外貨建金銭債権債務「([^」]+)」が登録されている$")]
async fn monetary_items(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let opts = options(w);
    for v in w.variants()? {
        service::replace_monetary_items(&v.database.db, &project_file(&path)?, opts)
            .await
            .map_err(|e| anyhow!("{e}{}", which(&v.label)))?;
    }
    Ok(())
}

#[given(expr = "the trial balances of {string} are imported")]
#[given(regex = r"^試算表「([^」]+)」を取り込み済みである$")]
#[when(expr = "the trial balances of {string} are imported")]
#[when(regex = r"^試算表「([^」]+)」を取り込む$")]
async fn import(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let opts = options(w);
    let mut outcomes = Vec::new();
    for v in w.variants()? {
        outcomes.push(
            service::import_trial_balances(&v.database.db, &project_file(&path)?, opts)
                .await
                .map_err(|e| anyhow!("{e}{}", which(&v.label)))?,
        );
    }
    w.state::<ConsolidationState>().outcomes = outcomes;
    Ok(())
}

/// Seed 002's optimisation exists to save round trips: keeping the statements in
/// memory must take fewer than saving after each of the six steps.
#[then("the in-memory run took fewer database round trips than the per-step run")]
async fn fewer_round_trips(w: &mut ScenarioWorld) -> Result<()> {
    let outcomes = &w.state::<ConsolidationState>().outcomes;
    let trips = |strategy: Strategy| {
        outcomes
            .iter()
            .find(|o| o.strategy == strategy)
            .map(|o| o.round_trips)
            .with_context(|| {
                format!("no {strategy:?} run of the last import: the feature needs @differential(consolidation.in_memory)")
            })
    };
    let (per_step, in_memory) = (trips(Strategy::PerStep)?, trips(Strategy::InMemory)?);
    w.notes.push(format!(
        "database round trips of the import: per step {per_step}, in memory {in_memory}"
    ));
    ensure!(
        in_memory < per_step,
        "the in-memory import took {in_memory} database round trips, the per-step one {per_step}"
    );
    Ok(())
}

/// Two core operations on one group at the same moment, on two connections.
#[when(
    expr = "the trial balances of {string} are imported while the exchange rates of {string} are entered"
)]
async fn import_and_rates_at_once(
    w: &mut ScenarioWorld,
    balances: String,
    rates: String,
) -> Result<()> {
    let opts = options(w);
    let (balances, rates) = (project_file(&balances)?, project_file(&rates)?);
    for v in w.variants()? {
        let db = &v.database.db;
        let (a, b) = futures::join!(
            service::import_trial_balances(db, &balances, opts),
            service::update_rates(db, &rates, opts)
        );
        a.map_err(|e| anyhow!("the import{}: {e}", which(&v.label)))?;
        b.map_err(|e| anyhow!("the rate update{}: {e}", which(&v.label)))?;
    }
    Ok(())
}

/// Column names of statement tables in Japanese scenarios.
const COLUMNS_JA: &[(&str, &str)] = &[
    ("勘定科目", "account"),
    ("金額", "amount"),
    ("種類", "kind"),
];

/// The Japanese name of the consolidated statement (連結財務諸表) where a step
/// names a company: 会社「連結」. It is stored under the company code
/// [`CONSOLIDATED`] (`*`), which steps do not take.
const CONSOLIDATED_JA: &str = "連結";

/// How the consolidated statement is named in steps, for messages.
const CONSOLIDATED_NAMES: &str =
    "the consolidated statement is named `the consolidated statement` (連結財務諸表, 会社「連結」)";

/// The statement a step names, as stored: a company of the group (or one a
/// statement is stored under), or 連結 for the consolidated statement. An unknown
/// company is an error naming the known ones; `*`, the stored code of the
/// consolidated statement, is an error saying how to name it.
async fn stored_company(db: &kensho::db::Db, label: &str, written: &str) -> Result<String> {
    if written == CONSOLIDATED_JA {
        return Ok(CONSOLIDATED.to_string());
    }
    ensure!(
        written != CONSOLIDATED,
        "`{CONSOLIDATED}` is the code the consolidated statement is stored under; {CONSOLIDATED_NAMES}"
    );
    let known = service::known_codes(db).await?;
    ensure!(
        known.companies.iter().any(|c| c == written),
        "there is no company {written} in the group{}; the companies are {}; {CONSOLIDATED_NAMES}",
        which(label),
        listed(&known.companies)
    );
    Ok(written.to_string())
}

/// Names for a message: `A, B, C`, or `none` for an empty list.
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// What a statement is called in messages: "the statement of US", "the consolidated
/// statement".
fn statement_name(company: &str) -> String {
    if company == CONSOLIDATED {
        "the consolidated statement".to_string()
    } else {
        format!("the statement of {company}")
    }
}

/// A statement table's expected rows, with Japanese column names read as English.
fn expected_table(step: &Step, header: &str) -> Result<Table> {
    let table = step
        .table
        .as_ref()
        .with_context(|| format!("this step needs a table: {header}"))?;
    let mut expected = Table::from_raw(&table.rows)?;
    for column in &mut expected.columns {
        if let Some((_, english)) = COLUMNS_JA.iter().find(|(ja, _)| *ja == column.as_str()) {
            *column = english.to_string();
        }
    }
    Ok(expected)
}

/// A statement against a table `| account | amount |` (in Japanese scenarios
/// `| 勘定科目 | 金額 |`), on every database of the scenario. An account the
/// database does not know (chart of accounts or statements) is an error naming the
/// known ones.
async fn assert_statement(w: &ScenarioWorld, company: &str, step: &Step) -> Result<()> {
    let expected = expected_table(step, "| account | amount |")?;
    let accounts = expected.columns.iter().position(|c| c == "account");
    for v in w.variants()? {
        let db = &v.database.db;
        let company = stored_company(db, &v.label, company).await?;
        if let Some(column) = accounts {
            let known = service::known_codes(db).await?.accounts;
            for row in &expected.rows {
                ensure!(
                    known.contains(&row[column]),
                    "there is no account {} in the chart of accounts{}; the accounts are {}",
                    row[column],
                    which(&v.label),
                    listed(&known)
                );
            }
        }
        let lines = service::statement_lines(db, &company).await?;
        let diff = compare_exact(&expected, &statement_table(&lines))?;
        ensure!(
            diff.is_empty(),
            "{}{}: {diff}",
            statement_name(&company).trim_start_matches("the "),
            which(&v.label)
        );
    }
    Ok(())
}

/// 連結財務諸表 (the consolidated statement, stored as company `*`): exactly these
/// accounts and amounts, `| account | amount |` (`| 勘定科目 | 金額 |`).
#[then("the consolidated statement is exactly:")]
#[then("連結財務諸表は過不足なく次のとおりである")]
async fn consolidated_exactly(w: &mut ScenarioWorld, step: &Step) -> Result<()> {
    assert_statement(w, CONSOLIDATED_JA, step).await
}

/// A company's statement: exactly these accounts and amounts. A company or account
/// the group does not know is an error naming the known ones; 会社「連結」 is the
/// consolidated statement.
#[then(expr = "the statement of {word} is exactly:")]
#[then(regex = r"^会社「([^」]+)」の財務諸表は過不足なく次のとおりである$")]
async fn company_exactly(w: &mut ScenarioWorld, company: String, step: &Step) -> Result<()> {
    assert_statement(w, &company, step).await
}

/// Exactly one net income (当期純利益) line in the statement, of this amount: seed
/// 002's defect appended a second one.
async fn assert_one_net_income(w: &ScenarioWorld, company: &str, amount: StepAmount) -> Result<()> {
    for v in w.variants()? {
        let db = &v.database.db;
        let company = stored_company(db, &v.label, company).await?;
        let name = statement_name(&company);
        let name = name.trim_start_matches("the ");
        let lines = service::statement_lines(db, &company).await?;
        let net: Vec<_> = lines
            .iter()
            .filter(|(_, l)| l.kind == AccountKind::NetIncome)
            .collect();
        ensure!(
            net.len() == 1,
            "{name}{}: {} net income lines",
            which(&v.label),
            net.len()
        );
        ensure!(
            net[0].1.amount == amount.0,
            "{name}{}: net income {} where {} was expected",
            which(&v.label),
            money::display(net[0].1.amount),
            money::display(amount.0)
        );
    }
    Ok(())
}

/// A company's statement has exactly one net income line (当期純利益), of this
/// amount (会社「連結」: the consolidated statement).
#[then(expr = "the statement of {word} has exactly one net income line, of {amount}")]
#[then(
    regex = r"^会社「([^」]+)」の財務諸表には当期純利益の行がちょうど1行あり、その金額は(-?[0-9][0-9,]*(?:\.[0-9]+)?)円である$"
)]
async fn one_net_income(w: &mut ScenarioWorld, company: String, amount: StepAmount) -> Result<()> {
    assert_one_net_income(w, &company, amount).await
}

/// The consolidated statement (連結財務諸表, stored as company `*`) has exactly one
/// net income line, of this amount.
#[then(expr = "the consolidated statement has exactly one net income line, of {amount}")]
#[then(
    regex = r"^連結財務諸表には当期純利益の行がちょうど1行あり、その金額は(-?[0-9][0-9,]*(?:\.[0-9]+)?)円である$"
)]
async fn consolidated_one_net_income(w: &mut ScenarioWorld, amount: StepAmount) -> Result<()> {
    assert_one_net_income(w, CONSOLIDATED_JA, amount).await
}

/// The kinds a totals table names (English, Japanese) and the account kind each
/// sums.
const TOTAL_KINDS: &[(&str, &str, AccountKind)] = &[
    ("assets", "資産", AccountKind::Asset),
    ("liabilities", "負債", AccountKind::Liability),
    ("equity", "純資産", AccountKind::Equity),
    ("revenue", "収益", AccountKind::Revenue),
    ("expenses", "費用", AccountKind::Expense),
    ("net income", "当期純利益", AccountKind::NetIncome),
    (
        "translation adjustment",
        "為替換算調整勘定",
        AccountKind::TranslationAdjustment,
    ),
    ("fx gain or loss", "為替差損益", AccountKind::FxGainLoss),
];

/// The sum of a statement's lines of one kind (zero when it has none).
fn kind_total(lines: &[(AccountCode, Line)], kind: AccountKind) -> money::Amount {
    lines
        .iter()
        .filter(|(_, l)| l.kind == kind)
        .map(|(_, l)| l.amount)
        .sum()
}

/// The rows of a totals table `| kind | amount |` (`| 種類 | 金額 |`): each kind
/// known (in English or Japanese) and written once, each amount exact.
fn expected_totals(step: &Step) -> Result<Vec<(&'static str, AccountKind, money::Amount)>> {
    let table = expected_table(step, "| kind | amount |")?;
    ensure!(
        table.columns == ["kind", "amount"],
        "a totals table has the columns | kind | amount | (| 種類 | 金額 |), not | {} |",
        table.columns.join(" | ")
    );
    let mut rows = Vec::new();
    for (n, row) in table.rows.iter().enumerate() {
        let written = row[0].trim();
        let &(english, _, kind) = TOTAL_KINDS
            .iter()
            .find(|(en, ja, _)| *en == written || *ja == written)
            .with_context(|| {
                let known: Vec<String> = TOTAL_KINDS
                    .iter()
                    .map(|(en, ja, _)| format!("{en} ({ja})"))
                    .collect();
                format!(
                    "row {} of the totals table: there is no kind {written:?}; the kinds are {}",
                    n + 2,
                    known.join(", ")
                )
            })?;
        ensure!(
            !rows.iter().any(|(_, k, _)| *k == kind),
            "row {} of the totals table: {english} is written twice",
            n + 2
        );
        let amount = money::parse_amount(&row[1]).map_err(|e| {
            anyhow!(
                "row {} of the totals table, amount {:?}: {e}",
                n + 2,
                row[1]
            )
        })?;
        rows.push((english, kind, amount));
    }
    Ok(rows)
}

/// A statement's totals by kind against a table `| kind | amount |`: only the kinds
/// written are checked; every difference is named.
async fn assert_totals(w: &ScenarioWorld, company: &str, step: &Step) -> Result<()> {
    let expected = expected_totals(step)?;
    for v in w.variants()? {
        let db = &v.database.db;
        let company = stored_company(db, &v.label, company).await?;
        let lines = service::statement_lines(db, &company).await?;
        let differences: Vec<String> = expected
            .iter()
            .filter_map(|&(name, kind, amount)| {
                let total = kind_total(&lines, kind);
                (total != amount).then(|| {
                    format!(
                        "{name} {} where {} was expected",
                        money::display(total),
                        money::display(amount)
                    )
                })
            })
            .collect();
        ensure!(
            differences.is_empty(),
            "{} totals{}: {}",
            statement_name(&company),
            which(&v.label),
            differences.join("; ")
        );
    }
    Ok(())
}

/// A company's totals by kind, `| kind | amount |`: assets, liabilities, equity,
/// revenue, expenses, net income, translation adjustment, fx gain or loss (資産,
/// 負債, 純資産, 収益, 費用, 当期純利益, 為替換算調整勘定, 為替差損益). Only the
/// rows written are checked; amounts are exact (`375,000`); 会社「連結」 is the
/// consolidated statement.
#[then(expr = "the statement of {word} totals:")]
#[then(regex = r"^会社「([^」]+)」の財務諸表の種類別の合計は次のとおりである$")]
async fn company_totals(w: &mut ScenarioWorld, company: String, step: &Step) -> Result<()> {
    assert_totals(w, &company, step).await
}

/// The consolidated statement's totals by kind (連結財務諸表, stored as company
/// `*`), `| kind | amount |` as for a company.
#[then("the consolidated statement totals:")]
#[then("連結財務諸表の種類別の合計は次のとおりである")]
async fn consolidated_totals(w: &mut ScenarioWorld, step: &Step) -> Result<()> {
    assert_totals(w, CONSOLIDATED_JA, step).await
}

/// Every statement of a database: each company of the group (as the database holds
/// it, with any other company a statement is stored under), then the consolidated
/// one. A group without companies has nothing to balance: an error.
async fn every_statement(db: &kensho::db::Db, label: &str) -> Result<Vec<String>> {
    let known = service::known_codes(db).await?;
    ensure!(
        !known.group.is_empty(),
        "the group has no companies{}: no statement to balance",
        which(label)
    );
    let mut companies = known.companies;
    companies.push(CONSOLIDATED.to_string());
    Ok(companies)
}

/// Assets = liabilities + equity + net income + translation adjustment, for every
/// company statement of the group (read from the database) and the consolidated one.
#[then("every statement balances")]
#[then("すべての財務諸表で貸借が一致する")]
async fn every_statement_balances(w: &mut ScenarioWorld) -> Result<()> {
    for v in w.variants()? {
        for company in every_statement(&v.database.db, &v.label).await? {
            let lines = service::statement_lines(&v.database.db, &company).await?;
            let total = |kind: AccountKind| kind_total(&lines, kind);
            let difference = total(AccountKind::Asset)
                - total(AccountKind::Liability)
                - total(AccountKind::Equity)
                - total(AccountKind::NetIncome)
                - total(AccountKind::TranslationAdjustment);
            ensure!(
                difference.is_zero(),
                "{}{} does not balance: assets exceed the other side by {}",
                statement_name(&company),
                which(&v.label),
                money::display(difference)
            );
        }
    }
    Ok(())
}

/// Amount snapshot (insta) of the consolidated statement, under fixtures/snapshots.
#[then(expr = "the consolidated statement matches the snapshot {string}")]
#[then(regex = r"^連結財務諸表はスナップショット「([^」]+)」と一致する$")]
async fn consolidated_snapshot(w: &mut ScenarioWorld, name: String) -> Result<()> {
    ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "snapshot names are letters, digits, '-' and '_': {name:?}"
    );
    for v in w.variants()? {
        let lines = service::statement_lines(&v.database.db, CONSOLIDATED).await?;
        let text: String = lines
            .iter()
            .map(|(account, line)| {
                format!(
                    "{:<16} {:<24} {:>16}\n",
                    account.as_str(),
                    line.kind.code(),
                    money::display(line.amount)
                )
            })
            .collect();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(crate::root().join("fixtures/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(format!(
            "consolidated statement (連結財務諸表){}",
            which(&v.label)
        ));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.as_str(), text))
        }));
        if outcome.is_err() {
            bail!(
                "the consolidated statement{} does not match the snapshot fixtures/snapshots/{name}.snap (review with `cargo insta review`)",
                which(&v.label)
            );
        }
    }
    Ok(())
}

/// 連結会計: the consolidation service's registration with the harness.
pub static SERVICE: kensho::Service = kensho::Service {
    name: "consolidation",
    about: "連結会計 consolidated accounting, two strategies behind a flag (seed 002); each company's statement and the consolidated statement (連結財務諸表, stored as company `*`, named in steps `the consolidated statement` or 会社「連結」)",
    migrations: &kensho_consolidation::MIGRATIONS,
    invariants: kensho_consolidation::INVARIANTS,
    flags: kensho_consolidation::FLAGS,
    features: &[
        "features/consolidation/",
        "features/fault/consolidation_",
        "features/bad_input/consolidation_",
        "features/flags/",
    ],
    steps: &[file!()],
    amount_tables: &["cons_statement_line"],
    vocabulary: kensho_consolidation::VOCABULARY,
    build: &[],
};
