//! `cargo bench --bench suite`: the whole scenario suite on every engine available
//! (PostgreSQL and MariaDB required when `CI` is set), then where its time went:
//! the run's wall time, per engine its wall time and how long scenarios waited
//! for their databases (p50, p95, max), and the ten slowest scenarios. It prints
//! figures and asserts no time; its exit code is the suite's verdict.
//!
//! Options after `--` are the main job's (`--engines postgres`, `--name ...`).
//! The reports go to `target/kensho/bench-reports`, never over the main run's.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use kensho::report::millis;
use kensho::runner::{self, RunOptions};

#[tokio::main]
async fn main() -> ExitCode {
    runner::init_logging();
    // `cargo bench` passes `--bench` to every benchmark binary.
    let mut argv: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    if !argv
        .iter()
        .any(|a| a == "--reports" || a.starts_with("--reports="))
    {
        let reports = kensho_steps::root().join("target/kensho/bench-reports");
        argv.push("--reports".into());
        argv.push(reports.display().to_string());
    }
    let began = Instant::now();
    let report = match runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Suite,
        argv,
        RunOptions::default(),
    )
    .await
    {
        Ok(report) => report,
        Err(e) => {
            eprintln!("kensho: {e:#}");
            return ExitCode::from(2);
        }
    };
    let wall = began.elapsed();
    let timing = report.timing();
    println!(
        "\nsuite benchmark: {} s wall for the whole run",
        wall.as_secs()
    );
    println!(
        "  {:<9} {:>10} {:>10} {:>9} {:>14} {:>14} {:>14}",
        "engine", "scenarios", "databases", "wall s", "handout p50", "handout p95", "handout max"
    );
    for e in &timing.engines {
        println!(
            "  {:<9} {:>10} {:>10} {:>9} {:>11} ms {:>11} ms {:>11} ms",
            e.engine,
            e.scenarios,
            e.databases,
            e.wall_ms / 1000,
            millis(e.handout_p50_us),
            millis(e.handout_p95_us),
            millis(e.handout_max_us),
        );
    }
    println!("  slowest scenarios:");
    for s in &timing.slowest {
        println!(
            "  {:>9} ms  [{}] {} ({}:{})",
            s.ms, s.engine, s.name, s.file, s.line
        );
    }
    if report.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
