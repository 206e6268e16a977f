//! `cargo xtask`: the project's tooling, run by name (alias in
//! `.cargo/config.toml`: `cargo run --quiet --package xtask --`).
//!
//! - `cargo xtask mutation`: the scenario suite's mutation score per service,
//!   then the semantic mutants (`--semantic` alone, `--report` the record,
//!   `--help` for the rest).

#![warn(missing_docs)]

mod mutation;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `cargo xtask`: the command line.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Kensho's tooling"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// The tasks.
#[derive(Subcommand, Debug)]
enum Task {
    /// Mutation score of the scenario suite, per service (cargo-mutants), and the
    /// semantic mutants.
    Mutation(mutation::Args),
}

fn main() -> ExitCode {
    match Cli::parse().task {
        Task::Mutation(args) => mutation::main(args),
    }
}
