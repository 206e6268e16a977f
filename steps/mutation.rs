//! `cargo run --bin mutation`: the scenario suite's own quality figure. Runs
//! cargo-mutants over the three services (`src/billing`, `src/consolidation`,
//! `src/karte`; settings in `.cargo/mutants.toml`: the scenario suite on SQLite is
//! the test command), then the semantic mutants (`steps/mutants.rs`), and prints per
//! service the mutants caught, missed, timed out and unviable, the score
//! (caught + timed out) / viable, and every surviving mutant with its written reason
//! (`fixtures/mutants/reasons.txt`) or "no reason written". Exits non-zero when a
//! service scores under 90 % or a semantic mutant survives.
//!
//! `--semantic` runs only the semantic mutants (CI runs them in `cargo test`);
//! `--report` prints the last full run again without running anything;
//! `--service billing` (repeatable) narrows the full run; `--jobs N` runs N
//! mutants at once; `--iterate` goes on from the last run (an interrupted run, or
//! after adding scenarios), trying only what it did not catch.

#[path = "mutants.rs"]
mod mutants;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// The services and their source folders.
const SERVICES: [&str; 3] = ["billing", "consolidation", "karte"];

/// The feature files (path prefixes) whose scenarios exercise each service: a
/// mutant of a service is tested against these only, on SQLite. Leaving a feature
/// out can only lower a service's score, never raise it.
fn service_features(service: &str) -> &'static [&'static str] {
    match service {
        "billing" => &[
            "features/billing/",
            "features/fault/billing_",
            "features/bad_input/billing_",
            "features/bad_input/generic_tables",
            "features/tables/",
        ],
        "consolidation" => &[
            "features/consolidation/",
            "features/fault/consolidation_",
            "features/bad_input/consolidation_",
            "features/flags/",
        ],
        "karte" => &[
            "features/karte/",
            "features/fault/purge_",
            "features/bad_input/generic_tables",
            "features/tables/",
        ],
        _ => &[],
    }
}

/// Least share of viable mutants each service's scenarios must kill.
const TARGET_SCORE: f64 = 90.0;

#[derive(Parser, Debug)]
#[command(about = "Mutation score of the scenario suite, per service")]
struct Args {
    /// Only the semantic mutants.
    #[arg(long)]
    semantic: bool,
    /// Print the last full run's figures without running anything.
    #[arg(long)]
    report: bool,
    /// Services of the full run (default: all three).
    #[arg(long = "service", value_parser = clap::builder::PossibleValuesParser::new(SERVICES))]
    services: Vec<String>,
    /// Mutants built and tested at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Go on from the last full run: mutants it caught or found unviable are not
    /// tried again (cargo-mutants `--iterate`).
    #[arg(long)]
    iterate: bool,
    /// The source tree (default: this one).
    #[arg(long, default_value = env!("CARGO_MANIFEST_DIR"))]
    root: PathBuf,
}

#[derive(Default, Debug)]
struct Tally {
    caught: Vec<String>,
    missed: Vec<String>,
    timeout: Vec<String>,
    unviable: Vec<String>,
}

impl Tally {
    fn viable(&self) -> usize {
        self.caught.len() + self.missed.len() + self.timeout.len()
    }

    /// Killed share of the viable mutants, in percent.
    fn score(&self) -> f64 {
        if self.viable() == 0 {
            return 100.0;
        }
        100.0 * (self.caught.len() + self.timeout.len()) as f64 / self.viable() as f64
    }
}

/// Where a service's full run keeps cargo-mutants' output.
fn output_dir(root: &Path, service: &str) -> PathBuf {
    root.join("target/kensho/mutants/full").join(service)
}

/// A mutant's name without its line and column, so reasons survive edits above it:
/// `src/a.rs:12:5: replace f -> bool with true` becomes `src/a.rs: replace f -> bool with true`.
fn without_position(mutant: &str) -> String {
    let mut parts = mutant.splitn(4, ':');
    let file = parts.next().unwrap_or_default();
    let line = parts.next().unwrap_or_default();
    let column = parts.next().unwrap_or_default();
    match parts.next() {
        Some(rest)
            if line.chars().all(|c| c.is_ascii_digit())
                && column.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{file}:{rest}")
        }
        _ => mutant.to_string(),
    }
}

/// Written reasons for mutants that survive: `<mutant without position>  =>  reason`.
fn reasons(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join("fixtures/mutants/reasons.txt");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((mutant, reason)) = line.split_once("  =>  ") else {
            bail!(
                "{}:{}: expected `<mutant>  =>  <reason>`",
                path.display(),
                n + 1
            );
        };
        map.insert(without_position(mutant.trim()), reason.trim().to_string());
    }
    Ok(map)
}

/// Every mutant an earlier run found unviable (cargo-mutants' `--iterate` lists
/// them with the caught ones as "previously caught").
fn ledger_path(root: &Path, service: &str) -> PathBuf {
    output_dir(root, service).join("unviable-ledger.txt")
}

fn unviable_ledger(root: &Path, service: &str) -> std::collections::BTreeSet<String> {
    let mut set: std::collections::BTreeSet<String> =
        std::fs::read_to_string(ledger_path(root, service))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
    let current = output_dir(root, service).join("mutants.out/unviable.txt");
    set.extend(
        std::fs::read_to_string(current)
            .unwrap_or_default()
            .lines()
            .map(String::from),
    );
    set
}

/// Reads cargo-mutants' outcome lists, per service (services never run are left out).
fn tallies(root: &Path) -> Result<BTreeMap<&'static str, Tally>> {
    let mut by_service: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for service in SERVICES {
        let out = output_dir(root, service).join("mutants.out");
        if !out.is_dir() {
            continue;
        }
        let unviable_before = unviable_ledger(root, service);
        let tally = by_service.entry(service).or_default();
        for (file, outcome) in [
            ("caught.txt", Outcome::Caught),
            ("missed.txt", Outcome::Missed),
            ("timeout.txt", Outcome::Timeout),
            ("unviable.txt", Outcome::Unviable),
            // Left out by `--iterate`: caught or unviable in an earlier run.
            ("previously_caught.txt", Outcome::Earlier),
        ] {
            let text = std::fs::read_to_string(out.join(file)).unwrap_or_default();
            for line in text
                .lines()
                .filter(|l| l.starts_with(&format!("src/{service}/")))
            {
                let list = match outcome {
                    Outcome::Caught => &mut tally.caught,
                    Outcome::Missed => &mut tally.missed,
                    Outcome::Timeout => &mut tally.timeout,
                    Outcome::Unviable => &mut tally.unviable,
                    Outcome::Earlier if unviable_before.contains(line) => &mut tally.unviable,
                    Outcome::Earlier => &mut tally.caught,
                };
                list.push(line.to_string());
            }
        }
    }
    if by_service.is_empty() {
        bail!(
            "no mutation run in {}: run `cargo run --bin mutation` first",
            root.join("target/kensho/mutants/full").display()
        );
    }
    Ok(by_service)
}

/// The outcome lists cargo-mutants writes.
#[derive(Clone, Copy)]
enum Outcome {
    Caught,
    Missed,
    Timeout,
    Unviable,
    /// Caught or unviable in an earlier run (`--iterate`).
    Earlier,
}

/// Prints the per-service figures and survivors; whether every service reaches
/// the target.
fn print_report(root: &Path) -> Result<bool> {
    let tallies = tallies(root)?;
    let reasons = reasons(root)?;
    println!(
        "\n{:<14} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7}",
        "service", "mutants", "caught", "missed", "timeout", "unviable", "score"
    );
    let mut all_met = true;
    for (service, t) in &tallies {
        let met = t.score() >= TARGET_SCORE;
        all_met &= met;
        println!(
            "{:<14} {:>7} {:>7} {:>7} {:>8} {:>9} {:>6.1}%{}",
            service,
            t.viable() + t.unviable.len(),
            t.caught.len(),
            t.missed.len(),
            t.timeout.len(),
            t.unviable.len(),
            t.score(),
            if met { "" } else { "  (under 90 %)" }
        );
    }
    for (service, t) in &tallies {
        if t.missed.is_empty() {
            continue;
        }
        println!("\nsurviving mutants of {service}:");
        for mutant in &t.missed {
            match reasons.get(&without_position(mutant)) {
                Some(reason) => println!("  {mutant}\n      reason: {reason}"),
                None => println!("  {mutant}\n      no reason written"),
            }
        }
    }
    Ok(all_met)
}

/// cargo-mutants over one service, its scenarios on SQLite.
fn run_cargo_mutants(root: &Path, service: &str, jobs: usize, iterate: bool) -> Result<()> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root)
        .args(["mutants", "--no-shuffle", "--jobs", &jobs.to_string()])
        // The copies start from this tree's build: only the crate itself is rebuilt.
        .args(["--copy-target", "true"])
        .args(["--file", &format!("src/{service}/**")])
        .arg("--output")
        .arg(output_dir(root, service));
    if iterate {
        cmd.arg("--iterate");
        let ledger: Vec<String> = unviable_ledger(root, service).into_iter().collect();
        std::fs::create_dir_all(output_dir(root, service))
            .and_then(|()| std::fs::write(ledger_path(root, service), ledger.join("\n")))
            .context("writing the ledger of unviable mutants")?;
    } else {
        // A fresh run: earlier outcomes no longer count.
        let _ = std::fs::remove_file(ledger_path(root, service));
    }
    // The suite in its mutant-run form: the service's scenarios on SQLite and its
    // teeth checks.
    cmd.env("KENSHO_MUTANT_RUN", "1")
        .env("KENSHO_MUTANT_SERVICE", service)
        .env(
            "KENSHO_MUTANT_FEATURES",
            service_features(service).join(","),
        )
        .env("KENSHO_ENGINES", "sqlite")
        .env_remove("CI")
        .env_remove("KENSHO_REQUIRE");
    eprintln!("running: {cmd:?}");
    let status = cmd
        .status()
        .context("running cargo mutants (install it with `cargo install cargo-mutants`)")?;
    // cargo-mutants exits 2 when mutants were missed and 3 on timeouts: the report
    // says which; anything else is a failure of the run itself.
    match status.code() {
        Some(0 | 2 | 3) => Ok(()),
        other => bail!("cargo mutants failed for {service} (exit {other:?})"),
    }
}

fn semantic(root: &Path) -> Result<bool> {
    let verdicts = mutants::run_all(root)?;
    println!("\nsemantic mutants:");
    let mut all_killed = true;
    for (m, verdict) in &verdicts {
        all_killed &= *verdict == mutants::Verdict::Killed;
        println!(
            "  {:<30} {:<14} {:<9} by \"{}\" on {}",
            m.name, m.service, verdict, m.killer, m.engine
        );
    }
    println!(
        "  {} of {} killed",
        verdicts
            .iter()
            .filter(|(_, v)| *v == mutants::Verdict::Killed)
            .count(),
        verdicts.len()
    );
    Ok(all_killed)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let root = args.root.clone();
    let result = (|| -> Result<bool> {
        if args.report {
            return print_report(&root);
        }
        if args.semantic {
            return semantic(&root);
        }
        let services: Vec<String> = if args.services.is_empty() {
            SERVICES.map(String::from).to_vec()
        } else {
            args.services.clone()
        };
        for service in &services {
            run_cargo_mutants(&root, service, args.jobs.max(1), args.iterate)?;
        }
        let met = print_report(&root)?;
        let killed = semantic(&root)?;
        Ok(met && killed)
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("mutation: {e:#}");
            ExitCode::from(2)
        }
    }
}
