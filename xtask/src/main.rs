//! `cargo xtask`: the project's tooling, run by name (alias in
//! `.cargo/config.toml`: `cargo run --quiet --package xtask --`).
//!
//! - `cargo xtask mutation`: the scenario suite's mutation score per service,
//!   then the semantic mutants (`--semantic` alone, `--report` the record,
//!   `--help` for the rest);
//! - `cargo xtask hack`: writes the workspace hack's dependencies
//!   (`workspace-hack/Cargo.toml`) so that every build resolves the same features.

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
    /// Writes the workspace hack's dependencies (`workspace-hack/Cargo.toml`) so
    /// that every build of the workspace resolves the same features.
    Hack,
}

fn main() -> ExitCode {
    match Cli::parse().task {
        Task::Mutation(args) => mutation::main(args),
        Task::Hack => hack(),
    }
}

/// `cargo xtask hack`.
fn hack() -> ExitCode {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match xtask::hack::write(&root) {
        Ok(said) if said.is_empty() => {
            println!("{} is current", xtask::hack::MANIFEST);
            ExitCode::SUCCESS
        }
        Ok(said) => {
            println!(
                "{} written; the builds differed in:\n{}",
                xtask::hack::MANIFEST,
                said.join("\n")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cargo xtask hack: {e:#}");
            ExitCode::FAILURE
        }
    }
}
