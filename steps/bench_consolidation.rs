//! Benchmark (not a test): an exchange-rate update over a large group, per-step
//! versus in-memory, on each engine. Prints wall time, the ratio and the round
//! trips of each strategy, and checks that both leave identical tables.
//!
//! `cargo bench --bench consolidation -- --engines sqlite,postgres,mariadb`
//! (options: `--companies 300 --accounts 1000`; servers as for the scenarios).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Parser;
use kensho::check::differential;
use kensho::db::{Engine, EngineServer, ProviderSource, ScenarioDb};
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

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    kensho::runner::init_logging();
    let engines = Engine::parse_list(&args.engines)?;
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
        "{:<9} {:>14} {:>14} {:>7} {:>16} {:>16}  tables",
        "engine", "per-step s", "in-memory s", "ratio", "per-step trips", "in-memory trips"
    );
    let mut failed = false;
    for engine in engines {
        let source =
            ProviderSource::resolve(engine, |k| std::env::var(k).ok(), root.join("sqlite"));
        let server = EngineServer::start(
            engine,
            &source,
            &format!("bench_{}", std::process::id()),
            kensho_steps::suite().migrator(engine)?,
        )
        .await?;
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
        println!(
            "{:<9} {:>14.3} {:>14.3} {:>6.1}× {:>16} {:>16}  {}",
            engine.name(),
            t_step,
            t_mem,
            t_step / t_mem,
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
    if failed {
        bail!("the strategies left different tables");
    }
    Ok(())
}
