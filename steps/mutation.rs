//! `cargo run --bin mutation`: the scenario suite's own quality figure. Runs
//! cargo-mutants over the three services (`src/billing`, `src/consolidation`,
//! `src/karte`), one service at a time, each mutant tested against the feature
//! files of its service on SQLite (settings in `.cargo/mutants.toml`), then the
//! semantic mutants (`steps/mutants.rs`), and prints per service the mutants
//! caught, missed, timed out and unviable, the score (caught + timed out) / viable,
//! and every surviving mutant with its written reason
//! (`fixtures/mutants/reasons.txt`) or "no reason written". Exits non-zero when a
//! service is not tested in full, scores under 90 % or a semantic mutant survives.
//!
//! The outcomes are recorded in `fixtures/mutants/outcomes/<service>/` (committed,
//! so the figures and `--iterate` survive a fresh clone). `--semantic` runs only the
//! semantic mutants (CI runs them in `cargo test`); `--report` prints the record
//! without running anything; `--save` records the last runs again (after a run
//! that was stopped); `--service billing` (repeatable) narrows the full run;
//! `--jobs N` runs N mutants at once; `--iterate` goes on from the record, trying
//! only what it did not catch.

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
            "features/bad_input/karte_",
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
    /// Print the recorded figures (fixtures/mutants/outcomes) without running anything.
    #[arg(long)]
    report: bool,
    /// Record the outcomes of the services' last runs in fixtures/mutants/outcomes
    /// (a run records them itself; this is for a run that was stopped).
    #[arg(long)]
    save: bool,
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
    fn lists(&self) -> [&Vec<String>; 4] {
        [&self.caught, &self.missed, &self.timeout, &self.unviable]
    }

    fn lists_mut(&mut self) -> [&mut Vec<String>; 4] {
        [
            &mut self.caught,
            &mut self.missed,
            &mut self.timeout,
            &mut self.unviable,
        ]
    }

    fn tested(&self) -> usize {
        self.viable() + self.unviable.len()
    }

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

/// Reads cargo-mutants' outcome lists of a service's last run (None: never run here).
fn tally_from_output(root: &Path, service: &str) -> Option<Tally> {
    let out = output_dir(root, service).join("mutants.out");
    if !out.is_dir() {
        return None;
    }
    let unviable_before = unviable_ledger(root, service);
    let mut tally = Tally::default();
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
            if !list.iter().any(|m| m == line) {
                list.push(line.to_string());
            }
        }
    }
    Some(tally)
}

/// The committed record of a service's mutation outcomes, so the figures and an
/// `--iterate` run survive a fresh clone: `fixtures/mutants/outcomes/<service>/`.
fn record_dir(root: &Path, service: &str) -> PathBuf {
    root.join("fixtures/mutants/outcomes").join(service)
}

const RECORD_LISTS: [&str; 4] = ["caught", "missed", "timeout", "unviable"];

/// The mutants cargo-mutants makes of a service's code now, by name.
fn mutant_names(root: &Path, service: &str) -> Result<std::collections::BTreeSet<String>> {
    let out = Command::new("cargo")
        .current_dir(root)
        .args(["mutants", "--list", "--file", &format!("src/{service}/**")])
        .output()
        .context("listing mutants (install cargo-mutants with `cargo install cargo-mutants`)")?;
    if !out.status.success() {
        bail!(
            "cargo mutants --list failed for {service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// Writes the record of a service from its last run's outcome lists.
fn save_record(root: &Path, service: &str) -> Result<()> {
    let Some(tally) = tally_from_output(root, service) else {
        return Ok(());
    };
    // Outcomes of mutants the code no longer has (an edit moved or removed them)
    // are dropped: the record is of the code as it is.
    let current = mutant_names(root, service)?;
    let total = current.len();
    let dir = record_dir(root, service);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, list) in RECORD_LISTS.iter().zip(tally.lists()) {
        let mut sorted: Vec<String> = list
            .iter()
            .filter(|m| current.contains(*m))
            .cloned()
            .collect();
        sorted.sort();
        sorted.dedup();
        let mut text = sorted.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(dir.join(format!("{name}.txt")), text)
            .with_context(|| format!("writing {}", dir.display()))?;
    }
    std::fs::write(dir.join("total.txt"), format!("{total}\n"))
        .with_context(|| format!("writing {}", dir.display()))?;
    eprintln!(
        "mutation: outcomes of {service} recorded in {}",
        dir.display()
    );
    Ok(())
}

/// A service's record: its tally and how many mutants its code has.
fn load_record(root: &Path, service: &str) -> Result<Option<(Tally, usize)>> {
    let dir = record_dir(root, service);
    let Ok(total) = std::fs::read_to_string(dir.join("total.txt")) else {
        return Ok(None);
    };
    let total: usize = total
        .trim()
        .parse()
        .with_context(|| format!("{}: not a count", dir.join("total.txt").display()))?;
    let mut tally = Tally::default();
    for (name, list) in RECORD_LISTS.iter().zip(tally.lists_mut()) {
        let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap_or_default();
        list.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
    }
    Ok(Some((tally, total)))
}

/// Before an `--iterate` run: what the record says was caught or unviable is not
/// tried again (cargo-mutants reads `previously_caught.txt`).
fn seed_from_record(root: &Path, service: &str) -> Result<()> {
    let Some((tally, _)) = load_record(root, service)? else {
        return Ok(());
    };
    let out = output_dir(root, service).join("mutants.out");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut earlier: Vec<String> = tally
        .caught
        .iter()
        .chain(&tally.unviable)
        .cloned()
        .collect();
    let path = out.join("previously_caught.txt");
    earlier.extend(
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .map(String::from),
    );
    earlier.sort();
    earlier.dedup();
    std::fs::write(&path, earlier.join("\n")).context("seeding the iterate run")?;
    let mut ledger = unviable_ledger(root, service);
    ledger.extend(tally.unviable.iter().cloned());
    std::fs::write(
        ledger_path(root, service),
        ledger.into_iter().collect::<Vec<_>>().join("\n"),
    )
    .context("writing the ledger of unviable mutants")
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

/// Prints the per-service figures and survivors from the records; whether every
/// service was tested in full and reaches the target.
fn print_report(root: &Path) -> Result<bool> {
    let reasons = reasons(root)?;
    let mut records = Vec::new();
    for service in SERVICES {
        if let Some(record) = load_record(root, service)? {
            records.push((service, record));
        }
    }
    if records.is_empty() {
        bail!(
            "no mutation outcomes in {}: run `cargo run --bin mutation` first",
            root.join("fixtures/mutants/outcomes").display()
        );
    }
    println!(
        "\n{:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7}",
        "service", "mutants", "tested", "caught", "missed", "timeout", "unviable", "score"
    );
    let mut all_met = records.len() == SERVICES.len();
    for (service, (t, total)) in &records {
        let complete = t.tested() >= *total;
        let met = complete && t.score() >= TARGET_SCORE;
        all_met &= met;
        let note = match (complete, t.score() >= TARGET_SCORE) {
            (false, _) => format!(
                "  (partial: {} of {total} not tested yet; --iterate goes on)",
                total - t.tested().min(*total)
            ),
            (true, false) => "  (under 90 %)".to_string(),
            (true, true) => String::new(),
        };
        let score = if t.viable() == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", t.score())
        };
        println!(
            "{:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7}{note}",
            service,
            total,
            t.tested(),
            t.caught.len(),
            t.missed.len(),
            t.timeout.len(),
            t.unviable.len(),
            score,
        );
    }
    for (service, (t, _)) in &records {
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
    std::fs::create_dir_all(output_dir(root, service))
        .with_context(|| format!("creating {}", output_dir(root, service).display()))?;
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
        seed_from_record(root, service)?;
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
    // Whatever it got through is recorded, also when it was stopped part-way.
    save_record(root, service)?;
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
        if args.save {
            for service in SERVICES {
                save_record(&root, service)?;
            }
            return print_report(&root);
        }
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
