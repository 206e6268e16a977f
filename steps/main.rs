//! `kensho`: the main job. Runs every scenario (SQLite by default; see `--help`)
//! and exits non-zero if any fails.

mod authoring;
mod bad_input;
mod billing;
mod consolidation;
mod fault;
mod flags;
mod karte;
mod object_store;
mod reporting;
mod runner;
mod tables;
mod world;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    runner::init_logging();
    match runner::run(
        runner::Mode::Main,
        std::env::args().collect(),
        runner::Internal::default(),
    )
    .await
    {
        Ok(report) if !report.failed => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kensho: {e:#}");
            ExitCode::from(2)
        }
    }
}
