//! Benchmark (not a test): an exchange-rate update over a large group, per-step
//! versus in-memory, on each engine. Prints wall time, the ratio and the round
//! trips of each strategy, and checks that both leave identical tables. Beside
//! them, the floor of the work on that engine, measured in the same run: reading
//! the same input lines and replacing the statement lines with the same output
//! lines by the engine's fastest bulk path (PostgreSQL `COPY`, multi-row `INSERT`
//! on MariaDB, prepared batches of rows in one transaction on SQLite), and
//! the in-memory strategy's time over it.
//!
//! `cargo bench --bench consolidation -- --engines sqlite,postgres,mariadb`
//! (options: `--companies 300 --accounts 1000`; servers as for the scenarios).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Parser;
use futures::StreamExt as _;
use kensho::check::differential;
use kensho::db::{Db, EngineServer, ScenarioDb};
use kensho::runner::engines;
use kensho::shared::flag;
use kensho_consolidation::service::{self, Options, Outcome};

#[derive(Parser, Debug)]
struct Args {
    /// Engines: comma-separated sqlite, postgres, mariadb, or all.
    #[arg(long, default_value = "sqlite")]
    engines: String,
    /// Companies in the group (one parent in JPY, the rest alternate USD and EUR).
    #[arg(long, default_value_t = 300)]
    companies: usize,
    /// Accounts in the chart of accounts.
    #[arg(long, default_value_t = 1000)]
    accounts: usize,
    /// Accepted for `cargo bench` compatibility.
    #[arg(long, hide = true)]
    bench: bool,
}

const KINDS: [&str; 5] = ["asset", "liability", "equity", "revenue", "expense"];

/// Writes the group's input files; returns their folder.
fn write_inputs(dir: &Path, companies: usize, accounts: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut c = String::from("company,currency,parent\nC000,JPY,yes\n");
    for i in 1..companies {
        writeln!(c, "C{i:03},{},no", if i % 2 == 1 { "USD" } else { "EUR" })?;
    }
    std::fs::write(dir.join("companies.csv"), c)?;
    let mut a = String::from(
        "account,kind\nnet_income,net_income\nfx_translation,translation_adjustment\nfx_gain_loss,fx_gain_loss\n",
    );
    for j in 0..accounts.saturating_sub(3) {
        writeln!(a, "A{j:04},{}", KINDS[j % KINDS.len()])?;
    }
    std::fs::write(dir.join("accounts.csv"), a)?;
    let mut t = String::from("company,account,amount\n");
    for i in 0..companies {
        for j in 0..accounts.saturating_sub(3) {
            writeln!(
                t,
                "C{i:03},A{j:04},{}.{:02}",
                100 + (i * 37 + j * 11) % 9_000,
                (i + j) % 100
            )?;
        }
        writeln!(t, "C{i:03},net_income,{}", 1_000 + i)?;
    }
    std::fs::write(dir.join("trial-balances.csv"), t)?;
    std::fs::write(
        dir.join("rates-1.csv"),
        "currency,closing,average,historical\nUSD,150,145,110\nEUR,160,155,130\n",
    )?;
    std::fs::write(
        dir.join("rates-2.csv"),
        "currency,closing,average,historical\nUSD,141.25,144.5,110\nEUR,158.75,154.2,130\n",
    )?;
    Ok(())
}

async fn prepared(server: &EngineServer, dir: &Path, in_memory: bool) -> Result<ScenarioDb> {
    let scenario = server.create_scenario_db().await?;
    let db = &scenario.db;
    service::set_up_group(db, &dir.join("companies.csv"), &dir.join("accounts.csv")).await?;
    // Load with the fast path, then set the strategy under test.
    flag::set(db, &kensho_consolidation::IN_MEMORY, true).await?;
    service::update_rates(db, &dir.join("rates-1.csv"), Options::default()).await?;
    service::import_trial_balances(db, &dir.join("trial-balances.csv"), Options::default()).await?;
    flag::set(db, &kensho_consolidation::IN_MEMORY, in_memory).await?;
    Ok(scenario)
}

async fn timed_update(db: &kensho::db::Db, dir: &Path) -> Result<(f64, Outcome)> {
    let began = Instant::now();
    let outcome = service::update_rates(db, &dir.join("rates-2.csv"), Options::default()).await?;
    Ok((began.elapsed().as_secs_f64(), outcome))
}

/// A statement line as text: company, account, kind, amount (exact).
type TextLine = (String, String, String, String);

/// Rows of MariaDB's multi-row `INSERT` in the floor (4 parameters each, well
/// under the 65,535 placeholders of one statement).
const FLOOR_INSERT_ROWS: usize = 5_000;

/// Rows of one prepared batch of SQLite's floor (the same statement for every full
/// batch; 4 parameters each, under SQLite's 32,766 variables).
const SQLITE_BATCH: usize = 4_000;

/// The statement lines as they are stored now, as text.
async fn statement_text(db: &Db) -> Result<Vec<TextLine>> {
    const SQL: &str =
        "SELECT company, account, kind, amount FROM cons_statement_line ORDER BY company, account";
    Ok(match db {
        Db::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT company, account, kind, amount::text FROM cons_statement_line ORDER BY company, account",
        )
        .fetch_all(pool)
        .await?,
        Db::MySql(pool) => sqlx::query_as(
            "SELECT company, account, kind, CAST(amount AS CHAR) FROM cons_statement_line ORDER BY company, account",
        )
        .fetch_all(pool)
        .await?,
    })
}

/// The floor on an engine without `COPY`: in one transaction, reads the input
/// lines (their amounts as `$amount`), deletes the statement lines and inserts
/// `$lines` by multi-row `INSERT`s of `$batch` rows; evaluates to the lines read.
macro_rules! insert_floor {
    ($pool:expr, $lines:expr, $database:ty, $amount:ty, $batch:expr) => {{
        let mut tx = $pool.begin().await?;
        let rows: Vec<(String, String, $amount)> = sqlx::query_as(READ).fetch_all(&mut *tx).await?;
        sqlx::query(DELETE).execute(&mut *tx).await?;
        for chunk in $lines.chunks($batch) {
            let mut qb = sqlx::QueryBuilder::<$database>::new(
                "INSERT INTO cons_statement_line (company, account, kind, amount) ",
            );
            qb.push_values(chunk, |mut b, (c, a, k, m)| {
                b.push_bind(c).push_bind(a).push_bind(k).push_bind(m);
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        rows.len()
    }};
}

/// The floor of the update's work: in one transaction, reads every trial balance
/// line and replaces the statement lines with `lines` by the engine's fastest
/// bulk path. Returns its wall time and the input lines read.
async fn floor(db: &Db, lines: &[TextLine]) -> Result<(f64, usize)> {
    const READ: &str = "SELECT company, account, amount FROM cons_trial_balance";
    const DELETE: &str = "DELETE FROM cons_statement_line";
    let began = Instant::now();
    let read = match db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let mut read = 0;
            {
                let mut out = tx
                    .copy_out_raw("COPY cons_trial_balance (company, account, amount) TO STDOUT")
                    .await?;
                while let Some(bytes) = out.next().await {
                    read += bytes?.iter().filter(|b| **b == b'\n').count();
                }
            }
            sqlx::query(DELETE).execute(&mut *tx).await?;
            let mut text = Vec::with_capacity(lines.len() * 40);
            for (c, a, k, m) in lines {
                // The bench's codes hold no tab, newline or backslash.
                writeln!(text, "{c}\t{a}\t{k}\t{m}")?;
            }
            let mut copy = tx
                .copy_in_raw("COPY cons_statement_line (company, account, kind, amount) FROM STDIN")
                .await?;
            copy.send(text).await?;
            copy.finish().await?;
            tx.commit().await?;
            read
        }
        Db::MySql(pool) => {
            insert_floor!(
                pool,
                lines,
                sqlx::MySql,
                rust_decimal::Decimal,
                FLOOR_INSERT_ROWS
            )
        }
        Db::Sqlite(pool) => insert_floor!(pool, lines, sqlx::Sqlite, String, SQLITE_BATCH),
    };
    Ok((began.elapsed().as_secs_f64(), read))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    kensho::runner::init_logging();
    let selection = engines::named(&args.engines)?;
    let root = kensho_steps::root().join("target/kensho");
    let dir = root.join("bench-consolidation");
    write_inputs(&dir, args.companies, args.accounts)?;
    println!(
        "exchange-rate update, {} companies × {} accounts ({} statement lines)",
        args.companies,
        args.accounts,
        args.companies * args.accounts
    );
    println!(
        "{:<9} {:>11} {:>12} {:>7} {:>8} {:>10} {:>11} {:>11}  tables",
        "engine",
        "per-step s",
        "in-memory s",
        "ratio",
        "floor s",
        "mem/floor",
        "step trips",
        "mem trips"
    );
    let started =
        engines::start_own_run(&kensho_steps::suite(), &selection, &root.join("sqlite")).await?;
    let mut failed = false;
    for (engine, server) in started.servers {
        let per_step = prepared(&server, &dir, false).await?;
        let in_memory = prepared(&server, &dir, true).await?;
        let (t_step, o_step) = timed_update(&per_step.db, &dir).await?;
        let (t_mem, o_mem) = timed_update(&in_memory.db, &dir).await?;
        let differences = differential::compare(
            "per-step",
            &differential::dump(&per_step.db).await?,
            "in-memory",
            &differential::dump(&in_memory.db).await?,
        );
        // The floor rewrites the in-memory result with the same lines, after the
        // comparison; its tables stay the same.
        let lines = statement_text(&in_memory.db).await?;
        let (t_floor, _) = floor(&in_memory.db, &lines).await?;
        println!(
            "{:<9} {:>11.3} {:>12.3} {:>6.1}× {:>8.3} {:>9.1}× {:>11} {:>11}  {}",
            engine.name(),
            t_step,
            t_mem,
            t_step / t_mem,
            t_floor,
            t_mem / t_floor,
            o_step.round_trips,
            o_mem.round_trips,
            if differences.is_empty() {
                "identical".to_string()
            } else {
                format!(
                    "{} DIFFERENCES, first: {}",
                    differences.len(),
                    differences[0]
                )
            }
        );
        failed |= !differences.is_empty();
        server.drop_scenario_db(per_step).await?;
        server.drop_scenario_db(in_memory).await?;
        server.finish(false).await;
    }
    if let Some(lock) = started.sqlite_lock {
        lock.release();
    }
    if failed {
        bail!("the strategies left different tables");
    }
    Ok(())
}
