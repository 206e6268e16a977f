//! 請求 billing steps (seed 003): batch runs, front operations, and the billing table.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail, ensure};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use kensho::check::table::{Table, compare_exact};
use kensho::shared::money::{self, Amount};
use kensho_billing::demonstration::{self, NaivePolicy};
use kensho_billing::{BatchOutcome, BillingKey, BillingRecord, Source, Status, front, input};

use kensho::ScenarioWorld;

/// A source as written in a step: "the own batch", "an ordinary user", "an administrator",
/// or in Japanese: 自社バッチ, 転送バッチ, 一般ユーザー, 管理者.
#[derive(Debug, Clone, Copy, cucumber::Parameter)]
#[param(
    name = "who",
    regex = r"(?:an? |the )?(?:own batch|transfer batch|ordinary user|administrator)"
)]
pub struct Who(pub Source);

impl FromStr for Who {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::from_label(in_english(SOURCES_JA, s))
            .map(Who)
            .ok_or_else(|| format!("unknown source {s:?}"))
    }
}

/// An amount as written in a step: `80000`, `80,000`, `1234.50`.
#[derive(Debug, Clone, Copy, cucumber::Parameter)]
#[param(name = "amount", regex = r"-?[0-9][0-9,]*(?:\.[0-9]+)?")]
pub struct StepAmount(pub Amount);

impl FromStr for StepAmount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        money::parse_amount(s)
            .map(StepAmount)
            .map_err(|e| e.to_string())
    }
}

/// Sources (源泉分類) in Japanese scenarios, with their English labels.
const SOURCES_JA: &[(&str, &str)] = &[
    ("自社バッチ", "own batch"),
    ("転送バッチ", "transfer batch"),
    ("一般ユーザー", "ordinary user"),
    ("管理者", "administrator"),
];

/// Column names of billing tables in Japanese scenarios (the seed article's words).
const COLUMNS_JA: &[(&str, &str)] = &[
    ("対象者", "person"),
    ("請求年月", "period"),
    ("請求金額", "amount"),
    ("ステータス", "status"),
    ("初期登録源泉分類", "initial_source"),
    ("最終更新源泉分類", "last_source"),
    ("理由", "reason"),
    ("操作者", "by"),
    ("行", "line"),
];

/// Statuses (ステータス) in Japanese scenarios.
const STATUSES_JA: &[(&str, &str)] = &[("有効", "active"), ("削除済み", "deleted")];

/// Why a batch run skipped a registration (警告の理由), in Japanese scenarios.
const REASONS_JA: &[(&str, &str)] = &[
    ("削除", "deleted"),
    ("訂正", "corrected"),
    ("登録", "registered"),
    ("復元", "restored"),
];

/// The English word for `text` if `words` lists it as Japanese, else `text` itself.
fn in_english<'a>(words: &[(&str, &'a str)], text: &'a str) -> &'a str {
    words
        .iter()
        .find(|(ja, _)| *ja == text.trim())
        .map_or(text, |(_, en)| en)
}

/// A table written with Japanese column names and labels, in the English words the
/// billing table is compared in; English tables pass unchanged.
fn table_in_english(mut table: Table) -> Table {
    for column in &mut table.columns {
        *column = in_english(COLUMNS_JA, column).to_string();
    }
    for (i, column) in table.columns.iter().enumerate() {
        let words = match column.as_str() {
            "status" => STATUSES_JA,
            "reason" => REASONS_JA,
            "initial_source" | "last_source" | "by" => SOURCES_JA,
            _ => continue,
        };
        for row in &mut table.rows {
            row[i] = in_english(words, &row[i]).to_string();
        }
    }
    table
}

/// What the billing steps of one scenario keep between steps.
#[derive(Debug)]
pub struct BillingState {
    /// The billing period the scenario's front operations address (YYYY-MM).
    pub period: String,
    /// The outcome of the last billing batch run.
    pub last_batch: Option<BatchOutcome>,
    /// The billing table as noted by a step, to compare with later.
    pub noted_records: Option<Vec<BillingRecord>>,
    /// Set only by the suite's own teeth check: batch steps then use this naive
    /// re-run policy, so the check can prove the main scenario fails without status
    /// management. No option or variable reaches it.
    pub forced_policy: Option<NaivePolicy>,
}

impl Default for BillingState {
    fn default() -> Self {
        BillingState {
            period: "2026-11".into(),
            last_batch: None,
            noted_records: None,
            forced_policy: None,
        }
    }
}

/// The scenario's billing state, as it stands.
pub fn billing(w: &ScenarioWorld) -> &BillingState {
    static NONE: std::sync::LazyLock<BillingState> =
        std::sync::LazyLock::new(BillingState::default);
    w.state_ref::<BillingState>().unwrap_or(&NONE)
}

/// The scenario's billing state, to change.
pub fn billing_mut(w: &mut ScenarioWorld) -> &mut BillingState {
    w.state::<BillingState>()
}

/// The last batch run's outcome.
fn last_batch(w: &ScenarioWorld) -> Result<&BatchOutcome> {
    billing(w)
        .last_batch
        .as_ref()
        .context("no billing batch has run in this scenario yet")
}

/// A file named in a step, relative to the project folder: refused when it is
/// absolute, holds `..` or leads out of the project through a symbolic link
/// ([`kensho::steps::paths::project_path`]).
pub fn checked_file(path: &str) -> Result<PathBuf> {
    Ok(kensho::steps::paths::project_path(&crate::root(), path)?)
}

/// As [`checked_file`], for a step that cannot return the refusal: the step fails
/// with the same message (cucumber shows a step's error and its panic alike).
pub fn project_file(path: &str) -> PathBuf {
    checked_file(path).unwrap_or_else(|refused| panic!("{refused}"))
}

/// `person` has a billing record (any period, any status), or the error names the
/// persons the billing table holds: a step naming someone unknown is a typo or a
/// missing setup step, never a silent pass.
async fn known_person(w: &ScenarioWorld, person: &str) -> Result<()> {
    let records = kensho_billing::records(w.db()?).await?;
    if records.iter().any(|r| r.key.person == person) {
        return Ok(());
    }
    let mut persons: Vec<&str> = records.iter().map(|r| r.key.person.as_str()).collect();
    persons.dedup();
    bail!(
        "there is no billing record of {person}; the persons billed are {}",
        if persons.is_empty() {
            "none (the billing table is empty)".to_string()
        } else {
            persons.join(", ")
        }
    )
}

fn key(w: &ScenarioWorld, person: &str) -> BillingKey {
    BillingKey {
        person: person.to_string(),
        period: billing(w).period.clone(),
    }
}

/// The data table under a step, with its header (Japanese column names and labels
/// are read as their English counterparts).
fn step_table(step: &Step) -> Result<Table> {
    let table = step
        .table
        .as_ref()
        .context("this step needs a data table under it")?;
    Ok(table_in_english(Table::from_raw(&table.rows)?))
}

/// A table read from a CSV fixture (header line first), as the table loader reads it.
fn csv_table(path: &str) -> Result<Table> {
    let bytes = kensho::shared::input::read_input(&checked_file(path)?, path)?;
    Ok(kensho::check::seed::table_from_csv(&bytes, path)?)
}

/// Billing records as a table with every column a scenario may name.
fn records_table(records: &[BillingRecord]) -> Table {
    Table {
        columns: [
            "person",
            "period",
            "amount",
            "status",
            "initial_source",
            "last_source",
        ]
        .map(String::from)
        .to_vec(),
        rows: records
            .iter()
            .map(|r| {
                vec![
                    r.key.person.clone(),
                    r.key.period.clone(),
                    money::display(r.amount),
                    r.status.label().to_string(),
                    r.initial_source.label().to_string(),
                    r.last_source.label().to_string(),
                ]
            })
            .collect(),
    }
}

async fn active_records(w: &ScenarioWorld) -> Result<Vec<BillingRecord>> {
    Ok(kensho_billing::records(w.db()?)
        .await?
        .into_iter()
        .filter(|r| r.status == Status::Active)
        .collect())
}

async fn assert_table(expected: &Table, records: &[BillingRecord], what: &str) -> Result<()> {
    let diff = compare_exact(expected, &records_table(records))?;
    ensure!(diff.is_empty(), "{what}: {diff}");
    Ok(())
}

/// 前提: the billing period the scenario's front operations address.
#[given(expr = "the billing period is {word}")]
#[given(regex = r"^請求年月は(\S+)である$")]
async fn billing_period(w: &mut ScenarioWorld, period: String) -> Result<()> {
    ensure!(
        input::is_period(&period),
        "{period:?} is not a billing period; write YYYY-MM"
    );
    billing_mut(w).period = period;
    Ok(())
}

/// A batch run (バッチ登録) from a CSV file, as the given source.
#[given(expr = "{who} has registered the billing file {string}")]
#[given(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が請求ファイル「([^」]+)」を登録済みである$"
)]
#[when(expr = "{who} registers the billing file {string}")]
#[when(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が請求ファイル「([^」]+)」を登録する$"
)]
#[given(expr = "{who} re-runs the billing file {string}")]
#[given(regex = r"^(自社バッチ|転送バッチ)を請求ファイル「([^」]+)」で再実行した$")]
#[when(expr = "{who} re-runs the billing file {string}")]
#[when(regex = r"^(自社バッチ|転送バッチ)を請求ファイル「([^」]+)」で再実行する$")]
async fn register_file(w: &mut ScenarioWorld, who: Who, path: String) -> Result<()> {
    let batch = input::read_file(&checked_file(&path)?)?;
    if let Some(policy) = billing(w).forced_policy {
        demonstration::rerun(w.db()?, &batch, who.0, policy).await?;
        return Ok(());
    }
    let outcome = kensho_billing::register_batch(w.db()?, &batch, who.0).await?;
    billing_mut(w).last_batch = Some(outcome);
    Ok(())
}

/// The article's naive re-run policies, for demonstration only.
/// The same file re-exported with other contents: the batch reads the lines of
/// `lines_of` under the name of `path`, as when the front exports a file again.
#[when(expr = "{who} re-runs the billing file {string}, which now holds the lines of {string}")]
async fn register_changed_file(
    w: &mut ScenarioWorld,
    who: Who,
    path: String,
    lines_of: String,
) -> Result<()> {
    let mut batch = input::read_file(&checked_file(&lines_of)?)?;
    batch.name = checked_file(&path)?.display().to_string();
    let outcome = kensho_billing::register_batch(w.db()?, &batch, who.0).await?;
    billing_mut(w).last_batch = Some(outcome);
    Ok(())
}

#[when(expr = "{who} re-runs the billing file {string} under the naive policy {string}")]
async fn naive_rerun(w: &mut ScenarioWorld, who: Who, path: String, policy: String) -> Result<()> {
    let policy = NaivePolicy::from_name(&policy)
        .ok_or_else(|| anyhow!("unknown naive policy {policy:?}: \"delete and re-register\" or \"register without deleting\""))?;
    let batch = input::read_file(&checked_file(&path)?)?;
    demonstration::rerun(w.db()?, &batch, who.0, policy).await?;
    Ok(())
}

/// フロントで削除: logical deletion from the front.
#[given(expr = "{who} deletes the billing record of {word}")]
#[given(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求レコードを削除した$"
)]
#[when(expr = "{who} deletes the billing record of {word}")]
#[when(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求レコードを削除する$"
)]
async fn front_delete(w: &mut ScenarioWorld, who: Who, person: String) -> Result<()> {
    known_person(w, &person).await?;
    front::delete(w.db()?, &key(w, &person), who.0).await?;
    Ok(())
}

/// フロントで訂正: an amount corrected at the front.
#[given(expr = "{who} corrects the amount of {word} to {amount}")]
#[given(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求金額を(-?[0-9][0-9,]*(?:\.[0-9]+)?)円に訂正した$"
)]
#[when(expr = "{who} corrects the amount of {word} to {amount}")]
#[when(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求金額を(-?[0-9][0-9,]*(?:\.[0-9]+)?)円に訂正する$"
)]
async fn front_correct(
    w: &mut ScenarioWorld,
    who: Who,
    person: String,
    amount: StepAmount,
) -> Result<()> {
    known_person(w, &person).await?;
    front::correct(w.db()?, &key(w, &person), amount.0, who.0).await?;
    Ok(())
}

/// フロントで復元: a logically deleted record restored by `who`, with its amount.
/// A batch re-run it outranks then leaves it alone, warning `restored` (復元).
#[given(expr = "{who} restores the billing record of {word}")]
#[given(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求レコードを復元した$"
)]
#[when(expr = "{who} restores the billing record of {word}")]
#[when(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が「([^」]+)」さんの請求レコードを復元する$"
)]
async fn front_restore(w: &mut ScenarioWorld, who: Who, person: String) -> Result<()> {
    known_person(w, &person).await?;
    front::restore(w.db()?, &key(w, &person), who.0).await?;
    Ok(())
}

/// フロントで復元: the front (an ordinary user, 一般ユーザー) restores a logically
/// deleted record, as `an ordinary user restores the billing record of B`.
#[given(expr = "the front restores the billing record of {word}")]
#[given(regex = r"^フロントで「([^」]+)」さんの請求レコードを復元した$")]
#[when(expr = "the front restores the billing record of {word}")]
#[when(regex = r"^フロントで「([^」]+)」さんの請求レコードを復元する$")]
async fn the_front_restores(w: &mut ScenarioWorld, person: String) -> Result<()> {
    front_restore(w, Who(Source::OrdinaryUser), person).await
}

/// フロントで登録: a record registered at the front.
#[given(expr = "{who} registers a billing record of {amount} for {word}")]
#[given(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が請求金額(-?[0-9][0-9,]*(?:\.[0-9]+)?)円の「([^」]+)」さん用請求レコードを登録した$"
)]
#[when(expr = "{who} registers a billing record of {amount} for {word}")]
#[when(
    regex = r"^(自社バッチ|転送バッチ|一般ユーザー|管理者)が請求金額(-?[0-9][0-9,]*(?:\.[0-9]+)?)円の「([^」]+)」さん用請求レコードを登録する$"
)]
async fn front_register(
    w: &mut ScenarioWorld,
    who: Who,
    amount: StepAmount,
    person: String,
) -> Result<()> {
    front::register(w.db()?, &key(w, &person), amount.0, who.0).await?;
    Ok(())
}

/// A correction that may be refused; the next step says whether it must be.
#[when(expr = "{who} tries to correct the amount of {word} to {amount}")]
async fn try_correct(
    w: &mut ScenarioWorld,
    who: Who,
    person: String,
    amount: StepAmount,
) -> Result<()> {
    known_person(w, &person).await?;
    let result = front::correct(w.db()?, &key(w, &person), amount.0, who.0).await;
    w.last_refusal = result.err().map(|e| e.to_string());
    Ok(())
}

/// A deletion that may be refused; the next step says whether it must be.
#[when(expr = "{who} tries to delete the billing record of {word}")]
async fn try_delete(w: &mut ScenarioWorld, who: Who, person: String) -> Result<()> {
    known_person(w, &person).await?;
    let result = front::delete(w.db()?, &key(w, &person), who.0).await;
    w.last_refusal = result.err().map(|e| e.to_string());
    Ok(())
}

#[then(expr = "it is refused because the record was last updated by {who}")]
async fn refused(w: &mut ScenarioWorld, who: Who) -> Result<()> {
    let refusal = w
        .last_refusal
        .take()
        .context("the operation was not refused")?;
    let expected = format!("last updated by {}", who.0.label());
    ensure!(
        refusal.contains(&expected),
        "refused, but not because it was {expected}: {refusal}"
    );
    Ok(())
}

#[then("the active billing records are exactly:")]
#[then("有効な請求レコードは過不足なく次のとおりである")]
async fn active_exactly(w: &mut ScenarioWorld, step: &Step) -> Result<()> {
    let expected = step_table(step)?;
    assert_table(
        &expected,
        &active_records(w).await?,
        "active billing records",
    )
    .await
}

#[then("the billing table, including logically deleted records, is exactly:")]
#[then("論理削除したレコードを含め、請求テーブルは過不足なく次のとおりである")]
async fn all_exactly(w: &mut ScenarioWorld, step: &Step) -> Result<()> {
    let expected = step_table(step)?;
    assert_table(
        &expected,
        &kensho_billing::records(w.db()?).await?,
        "billing table",
    )
    .await
}

#[then(expr = "the active billing records are exactly those in {string}")]
async fn active_as_in_file(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let expected = csv_table(&path)?;
    assert_table(
        &expected,
        &active_records(w).await?,
        &format!("active billing records vs {path}"),
    )
    .await
}

/// The teeth of the main scenario: its expected table must not hold here.
#[then(expr = "the active billing records are not those in {string}")]
async fn active_not_as_in_file(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let expected = csv_table(&path)?;
    let diff = compare_exact(&expected, &records_table(&active_records(w).await?))?;
    ensure!(
        !diff.is_empty(),
        "the active billing records are exactly those in {path}"
    );
    Ok(())
}

#[then(expr = "{word} has no active billing record")]
#[then(regex = r"^「([^」]+)」さんには有効な請求レコードがない$")]
async fn no_active_record(w: &mut ScenarioWorld, person: String) -> Result<()> {
    known_person(w, &person).await?;
    let active: Vec<_> = active_records(w)
        .await?
        .into_iter()
        .filter(|r| r.key.person == person)
        .collect();
    ensure!(
        active.is_empty(),
        "{person} has {} active billing record(s): {active:?}",
        active.len()
    );
    Ok(())
}

/// The exact text a person reads in the warning log for `person`.
#[then(expr = "the warning for {word} reads {string}")]
async fn warning_reads(w: &mut ScenarioWorld, person: String, text: String) -> Result<()> {
    known_person(w, &person).await?;
    let run_id = last_batch(w)?.run_id;
    let warnings = kensho_billing::warnings(w.db()?, run_id).await?;
    let found: Vec<&str> = warnings
        .iter()
        .filter(|warning| warning.key.person == person)
        .map(|warning| warning.message.as_str())
        .collect();
    ensure!(
        found == [text.as_str()],
        "the warnings for {person} read {found:?}, expected {text:?}"
    );
    Ok(())
}

/// The warnings (警告ログ) the last batch run left, read back from the database.
#[then("the last batch run left exactly these warnings:")]
#[then("直近のバッチ実行が出した警告は過不足なく次のとおりである")]
async fn warnings_exactly(w: &mut ScenarioWorld, step: &Step) -> Result<()> {
    let expected = step_table(step)?;
    let run_id = last_batch(w)?.run_id;
    let warnings = kensho_billing::warnings(w.db()?, run_id).await?;
    for warning in &warnings {
        let says_why = format!("{} by {}", warning.reason.code(), warning.by.described());
        ensure!(
            warning.message.contains(&warning.key.person) && warning.message.contains(&says_why),
            "warning on line {} does not say why: {:?}",
            warning.line,
            warning.message
        );
    }
    let actual = Table {
        columns: ["person", "period", "reason", "by", "line"]
            .map(String::from)
            .to_vec(),
        rows: warnings
            .iter()
            .map(|x| {
                vec![
                    x.key.person.clone(),
                    x.key.period.clone(),
                    x.reason.code().to_string(),
                    x.by.label().to_string(),
                    x.line.to_string(),
                ]
            })
            .collect(),
    };
    let diff = compare_exact(&expected, &actual)?;
    ensure!(diff.is_empty(), "warnings of batch run {run_id}: {diff}");
    Ok(())
}

#[then(
    expr = "the last batch run registered {int}, replaced {int}, left {int} unchanged and skipped {int}"
)]
#[then(
    regex = r"^直近のバッチ実行は登録(\d+)件、再登録(\d+)件、変更なし(\d+)件、登録見送り(\d+)件である$"
)]
async fn batch_counts(
    w: &mut ScenarioWorld,
    inserted: usize,
    replaced: usize,
    unchanged: usize,
    skipped: usize,
) -> Result<()> {
    let c = last_batch(w)?.counts;
    let actual = (c.inserted, c.replaced, c.unchanged, c.skipped);
    ensure!(
        actual == (inserted, replaced, unchanged, skipped),
        "the last batch run registered {}, replaced {}, left {} unchanged and skipped {}",
        c.inserted,
        c.replaced,
        c.unchanged,
        c.skipped
    );
    Ok(())
}

#[given("the billing table as it stands is noted")]
#[given("現時点の請求テーブルを控えておく")]
#[when("the billing table as it stands is noted")]
#[when("現時点の請求テーブルを控えておく")]
async fn note_table(w: &mut ScenarioWorld) -> Result<()> {
    let records = kensho_billing::records(w.db()?).await?;
    billing_mut(w).noted_records = Some(records);
    Ok(())
}

/// Every row, id, amount, status and source exactly as noted.
#[then("the billing table is exactly as noted")]
#[then("請求テーブルは控えたときと完全に同じである")]
async fn table_as_noted(w: &mut ScenarioWorld) -> Result<()> {
    let noted = w
        .state_ref::<BillingState>()
        .and_then(|b| b.noted_records.as_ref())
        .context("no step noted the billing table")?;
    let now = kensho_billing::records(w.db()?).await?;
    if &now != noted {
        bail!("the billing table changed:\n  noted: {noted:#?}\n  now:   {now:#?}");
    }
    Ok(())
}

/// 請求: the billing service's registration with the harness.
pub static SERVICE: kensho::Service = kensho::Service {
    name: "billing",
    about: "請求 billing records with status management (seed 003)",
    migrations: &kensho_billing::MIGRATIONS,
    invariants: kensho_billing::INVARIANTS,
    flags: &[],
    features: &[
        "features/billing/",
        "features/fault/billing_",
        "features/bad_input/billing_",
        "features/bad_input/generic_tables",
        "features/tables/",
        "features/command/",
    ],
    steps: &[file!()],
    amount_tables: &["billing_record"],
    vocabulary: kensho_billing::VOCABULARY,
    build: &["cargo build --quiet -p kensho-billing --bin billing-batch"],
};
