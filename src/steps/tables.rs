//! Generic table steps: QA seeds and asserts any table of the scenario's database
//! from a feature file, without Rust. Table and column names are checked against
//! the database's schema before any SQL is built; seeding is all-or-nothing.
//! Also the closing step every scenario gets: the services' business invariants.

/// This file, as step locations name it.
pub const FILE: &str = file!();

use anyhow::{Context, Result, anyhow, bail};
use cucumber::gherkin::Step;
use cucumber::{given, then};
use kensho_shared::input::read_input;

use crate::check::expect::{Expectation, assert_table};
use crate::check::invariants;
use crate::check::seed::{seed, seed_from_csv};
use crate::check::table::Table;
use crate::world::ScenarioWorld;

/// `file:line` of a step, for error messages.
pub fn origin(w: &ScenarioWorld, step: &Step) -> String {
    format!("{}:{}", w.feature_file, step.position.line)
}

/// The step's data table, parsed (header row first), or an error naming the step.
pub fn data_table(w: &ScenarioWorld, step: &Step) -> Result<Table> {
    let raw = &step
        .table
        .as_ref()
        .with_context(|| format!("{}: the step needs a data table", origin(w, step)))?
        .rows;
    Table::from_raw(raw).map_err(|e| anyhow!("{}: {e}", origin(w, step)))
}

/// Seeds every database of the scenario (each variant of a differential run).
async fn seed_all(w: &ScenarioWorld, table: &str, rows: &Table, origin: &str) -> Result<()> {
    for variant in w.variants()? {
        seed(&variant.database.db, table, rows, origin).await?;
    }
    Ok(())
}

/// `Given the table ledger_entry contains:` with a data table (header = columns).
#[given(regex = r"^the table (\S+) contains:$")]
async fn table_contains(w: &mut ScenarioWorld, table: String, step: &Step) -> Result<()> {
    let rows = data_table(w, step)?;
    seed_all(w, &table, &rows, &origin(w, step)).await
}

/// `Given the table ledger_entry is loaded from "fixtures/ledger/entries.csv"`: a
/// CSV file (header = columns), its path relative to the project folder as every
/// file step takes it. An absolute path, `..`, or a symbolic link leading out of the
/// project is refused before anything is read ([`crate::steps::paths`]).
#[given(regex = r#"^the table (\S+) is loaded from "([^"]+)"$"#)]
async fn table_loaded(w: &mut ScenarioWorld, table: String, file: String) -> Result<()> {
    let path = crate::steps::paths::project_path(w.suite()?.root(), &file)?;
    let bytes = read_input(&path, &file)?;
    for variant in w.variants()? {
        seed_from_csv(&variant.database.db, &table, &bytes, &file).await?;
    }
    Ok(())
}

async fn expect(w: &ScenarioWorld, table: &str, step: &Step, how: Expectation) -> Result<()> {
    let expected = data_table(w, step)?;
    for variant in w.variants()? {
        if let Err(e) = assert_table(&variant.database.db, table, &expected, how).await {
            let label = if variant.label.is_empty() {
                String::new()
            } else {
                format!(" [{}]", variant.label)
            };
            bail!("{}{label}: {e}", origin(w, step));
        }
    }
    Ok(())
}

/// Exactly these rows (on the columns of the header; order-insensitive).
#[then(regex = r"^the table (\S+) has exactly:$")]
async fn has_exactly(w: &mut ScenarioWorld, table: String, step: &Step) -> Result<()> {
    expect(w, &table, step, Expectation::Exactly).await
}

/// At least these rows.
#[then(regex = r"^the table (\S+) includes:$")]
async fn includes(w: &mut ScenarioWorld, table: String, step: &Step) -> Result<()> {
    expect(w, &table, step, Expectation::Includes).await
}

/// None of these rows.
#[then(regex = r"^the table (\S+) has none of:$")]
async fn has_none_of(w: &mut ScenarioWorld, table: String, step: &Step) -> Result<()> {
    expect(w, &table, step, Expectation::Excludes).await
}

/// Closing step of every scenario (added by the runner): every declared business
/// invariant holds on every database of the scenario (Japanese features:
/// 業務上の不変条件が成り立つ).
#[then(regex = r"^(?:the business invariants hold|業務上の不変条件が成り立つ)$")]
async fn invariants_hold(w: &mut ScenarioWorld) -> Result<()> {
    let expected = w
        .state_ref::<ExpectedViolations>()
        .map(|e| e.0.clone())
        .unwrap_or_default();
    let declared: Vec<_> = w
        .suite()?
        .invariants()
        .into_iter()
        .filter(|i| !expected.iter().any(|name| name == i.name))
        .collect();
    let mut report = Vec::new();
    for variant in w.variants()? {
        for violation in invariants::check(&variant.database.db, &declared).await? {
            let label = if variant.label.is_empty() {
                String::new()
            } else {
                format!("[{}] ", variant.label)
            };
            report.push(format!("{label}{violation}"));
        }
    }
    if !report.is_empty() {
        bail!("{}", report.join("\n"));
    }
    Ok(())
}

/// Invariants a scenario shows broken on purpose (by a defect it demonstrates);
/// the closing check leaves them out, and checks every other.
#[derive(Debug, Default)]
pub struct ExpectedViolations(pub Vec<String>);

/// `Then the business invariant "NAME" is violated`: a scenario that shows what a
/// defect does names the invariant the defect breaks. The step fails unless that
/// invariant is violated on every database of the scenario; the closing check then
/// leaves only it out.
#[then(regex = r#"^the business invariant "([^"]+)" is violated$"#)]
async fn invariant_violated(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let declared = w.suite()?.invariants();
    let Some(invariant) = declared.iter().find(|i| i.name == name) else {
        let names: Vec<&str> = declared.iter().map(|i| i.name).collect();
        bail!(
            "no business invariant is named {name:?}; the declared ones are: {}",
            names.join("; ")
        );
    };
    for variant in w.variants()? {
        let violations = invariants::check(&variant.database.db, &[*invariant]).await?;
        if violations.is_empty() {
            bail!(
                "the business invariant {name:?} holds{}; the scenario expects it violated",
                if variant.label.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", variant.label)
                }
            );
        }
    }
    w.state::<ExpectedViolations>().0.push(name);
    Ok(())
}

/// Seeding must be refused with an error that contains `naming`, and write nothing
/// (the table name is quoted so that unsafe names can be tried).
#[then(regex = r#"^seeding the table "([^"]*)" is refused, naming "([^"]+)":$"#)]
async fn seeding_refused(
    w: &mut ScenarioWorld,
    table: String,
    naming: String,
    step: &Step,
) -> Result<()> {
    let rows = data_table(w, step)?;
    for variant in w.variants()? {
        match seed(&variant.database.db, &table, &rows, &origin(w, step)).await {
            Ok(n) => bail!("seeding {table:?} was accepted ({n} rows written)"),
            Err(e) if e.to_string().contains(&naming) => {}
            Err(e) => {
                bail!("seeding {table:?} was refused, but the error does not name {naming:?}: {e}")
            }
        }
    }
    Ok(())
}
