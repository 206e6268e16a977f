//! Whole-database steps: the closing check of a differential run (every table of
//! the flag-off database equals the flag-on one), and noting every table to prove
//! later that an operation wrote nothing.

use anyhow::{Context, Result, ensure};
use cucumber::{given, then};

use crate::check::differential;
use crate::selection::DIFFERENTIAL_STEP;
use crate::world::ScenarioWorld;

/// This file, as step locations name it.
pub const FILE: &str = file!();

/// Added by the runner at the end of every `@differential(flag)` scenario: the two
/// databases must hold identical tables (Japanese features: 差分実行の両方のテーブルが一致する).
#[then(
    regex = r"^(?:the differential runs hold identical tables|差分実行の両方のテーブルが一致する)$"
)]
async fn differential_identical(w: &mut ScenarioWorld) -> Result<()> {
    let variants = w.variants()?;
    ensure!(
        variants.len() == 2,
        "'{DIFFERENTIAL_STEP}' belongs to @differential(flag) scenarios"
    );
    let a = differential::dump(&variants[0].database.db).await?;
    let b = differential::dump(&variants[1].database.db).await?;
    let differences = differential::compare(&variants[0].label, &a, &variants[1].label, &b);
    ensure!(
        differences.is_empty(),
        "the differential runs differ in {} place(s):\n{}",
        differences.len(),
        differential::listed(&differences, 20)
    );
    Ok(())
}

/// Every table of every database of the scenario, to compare with later.
#[given("every table as it stands is noted")]
async fn note_every_table(w: &mut ScenarioWorld) -> Result<()> {
    let mut dumps = Vec::new();
    for v in w.variants()? {
        dumps.push(differential::dump(&v.database.db).await?);
    }
    w.noted_tables = dumps;
    Ok(())
}

/// Every table holds exactly the rows and values noted: nothing written, nothing
/// lost.
#[then("every table is exactly as noted")]
async fn every_table_as_noted(w: &mut ScenarioWorld) -> Result<()> {
    ensure!(
        !w.noted_tables.is_empty(),
        "no step noted the tables in this scenario"
    );
    for (v, noted) in w.variants()?.iter().zip(&w.noted_tables) {
        let now = differential::dump(&v.database.db).await?;
        let differences = differential::compare("noted", noted, "now", &now);
        ensure!(
            differences.is_empty(),
            "the tables changed in {} place(s){}:\n{}",
            differences.len(),
            if v.label.is_empty() {
                String::new()
            } else {
                format!(" [{}]", v.label)
            },
            differential::listed(&differences, 20)
        );
    }
    Ok(())
}

/// How many rows a table holds now (read with every other table).
#[then(regex = r"^the table (\S+) holds (\d+) rows?$")]
async fn table_holds(w: &mut ScenarioWorld, table: String, rows: usize) -> Result<()> {
    let now = differential::dump(w.db()?).await?;
    let held = now
        .get(&table)
        .with_context(|| format!("no table {table:?} in the database"))?
        .rows
        .len();
    ensure!(
        held == rows,
        "the table {table} holds {held} rows, not {rows}"
    );
    Ok(())
}
