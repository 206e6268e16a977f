//! `cargo xtask mutation`: the scenario suite's own quality figure.
//!
//! Asks the suite which services it registers and which feature files exercise
//! each (`cargo run -p kensho-steps -- --services`), then runs cargo-mutants over
//! the code of each service, one service at a time. A Rust service lives in
//! `services/<name>/` (package `kensho-<name>`); its code to mutate is
//! `services/<name>/src/**` (a registered service without that folder, one not
//! written in Rust, is not mutated). Each mutant is tested by the suite's
//! `scenarios` test target (`cargo test -p kensho-steps --test scenarios`,
//! settings in `.cargo/mutants.toml`) in its mutant-run form: `KENSHO_MUTANT_RUN=1`,
//! the service in `KENSHO_MUTANT_SERVICE`, its feature paths in
//! `KENSHO_MUTANT_FEATURES`, on SQLite. Then come the semantic mutants
//! ([`xtask::mutants`]). It prints per service the mutants caught, missed, timed
//! out and unviable, the score (caught + timed out) / viable, and every surviving
//! mutant with its written reason (`fixtures/mutants/reasons.txt`) or "no reason
//! written". Exits non-zero when a service is not tested in full, scores under
//! 90 % or a semantic mutant survives.
//!
//! The outcomes are recorded in `fixtures/mutants/outcomes/<service>/`
//! (committed, so the figures and `--iterate` survive a fresh clone), each mutant
//! named as cargo-mutants names it in the workspace
//! (`services/billing/src/batch.rs:70:5: replace ...`).
//!
//! Every form but `--semantic` first asks the suite for its services, which
//! builds the suite's main job if it is not built yet.
//!
//! - `cargo xtask mutation`: the full run (hours);
//! - `cargo xtask mutation --semantic`: only the semantic mutants (`cargo test`
//!   runs them too);
//! - `cargo xtask mutation --report`: the record, without running a mutant;
//! - `cargo xtask mutation --save`: record the last runs again (after a run that
//!   was stopped);
//! - `cargo xtask mutation --service billing` (repeatable): narrows the full run;
//! - `cargo xtask mutation --jobs N`: N mutants at once;
//! - `cargo xtask mutation --iterate`: go on from the record, trying only what it
//!   did not catch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use xtask::mutants;

/// Least share of viable mutants each service's scenarios must kill.
const TARGET_SCORE: f64 = 90.0;

/// The suite's package: its main job lists the services, its `scenarios` test
/// target tests the mutants.
const SUITE_PACKAGE: &str = "kensho-steps";

/// `cargo xtask mutation`: the options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the semantic mutants.
    #[arg(long)]
    semantic: bool,
    /// Print the recorded figures (fixtures/mutants/outcomes) without running any mutant.
    #[arg(long)]
    report: bool,
    /// Record the outcomes of the services' last runs in fixtures/mutants/outcomes
    /// (a run records them itself; this is for a run that was stopped).
    #[arg(long)]
    save: bool,
    /// A service of the full run (repeatable; default: every service the suite
    /// registers that has code under services/<name>/src).
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// Mutants built and tested at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Go on from the last full run: mutants it caught or found unviable are not
    /// tried again (cargo-mutants `--iterate`).
    #[arg(long)]
    iterate: bool,
    /// The project root (default: the workspace holding xtask).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

/// The workspace this xtask belongs to.
fn default_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// A service the suite registers, as its main job's `--services` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Service {
    name: String,
    /// The feature files (path prefixes) whose scenarios exercise it: a mutant of
    /// the service is tested against these only. Leaving a feature out can only
    /// lower a service's score, never raise it.
    features: Vec<String>,
}

impl Service {
    /// The folder of its Rust code, relative to the root: `services/<name>/src`.
    fn code(&self) -> String {
        format!("services/{}/src", self.name)
    }

    /// cargo-mutants' file filter for its code (relative to the workspace root).
    fn glob(&self) -> String {
        format!("{}/**", self.code())
    }

    /// Whether a mutant (as cargo-mutants names it) is in its code.
    fn owns(&self, mutant: &str) -> bool {
        mutant.starts_with(&format!("{}/", self.code()))
    }
}

/// Reads the main job's `--services` output: one line per service, its name, a
/// tab, and its feature paths separated by commas.
fn parse_services(text: &str) -> Result<Vec<Service>> {
    let mut services = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((name, features)) = line.split_once('\t') else {
            bail!(
                "the suite's --services printed {line:?}, expected `name<TAB>feature,feature,...`"
            );
        };
        let name = name.trim();
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!("the suite's --services printed a service named {name:?}");
        }
        services.push(Service {
            name: name.to_string(),
            features: features
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
        });
    }
    if services.is_empty() {
        bail!("the suite's --services listed no service");
    }
    Ok(services)
}

/// A cargo command in the project root.
fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root);
    cmd
}

/// The services the suite registers: `cargo run -p kensho-steps -- --services`.
fn registered_services(root: &Path) -> Result<Vec<Service>> {
    eprintln!(
        "mutation: asking the suite for its services (cargo run -p {SUITE_PACKAGE} -- --services)"
    );
    let out = cargo(root)
        .args([
            "run",
            "--quiet",
            "--package",
            SUITE_PACKAGE,
            "--",
            "--services",
        ])
        .output()
        .context("running the suite's main job with --services")?;
    if !out.status.success() {
        bail!(
            "`cargo run -p {SUITE_PACKAGE} -- --services` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_services(&String::from_utf8_lossy(&out.stdout))
}

/// The registered services whose Rust code is in `services/<name>/src`: those
/// cargo-mutants mutates.
fn mutated_services(root: &Path, registered: Vec<Service>) -> Vec<Service> {
    registered
        .into_iter()
        .filter(|s| {
            let rust = root.join(s.code()).is_dir();
            if !rust {
                eprintln!(
                    "mutation: {} has no code under {}: not mutated",
                    s.name,
                    s.code()
                );
            }
            rust
        })
        .collect()
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

fn unviable_ledger(root: &Path, service: &str) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = std::fs::read_to_string(ledger_path(root, service))
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
fn tally_from_output(root: &Path, service: &Service) -> Option<Tally> {
    let out = output_dir(root, &service.name).join("mutants.out");
    if !out.is_dir() {
        return None;
    }
    let unviable_before = unviable_ledger(root, &service.name);
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
        for line in text.lines().filter(|l| service.owns(l)) {
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

/// cargo-mutants' selection of a service's mutants: every package of the
/// workspace, narrowed to the files of the service's code (the root is itself a
/// package, the harness, which cargo-mutants would otherwise take alone).
fn selection(service: &Service) -> [String; 3] {
    ["--workspace".into(), "--file".into(), service.glob()]
}

/// The mutants cargo-mutants makes of a service's code now, by name.
fn mutant_names(root: &Path, service: &Service) -> Result<BTreeSet<String>> {
    let out = cargo(root)
        .args(["mutants", "--list"])
        .args(selection(service))
        .output()
        .context("listing mutants (install cargo-mutants with `cargo install cargo-mutants`)")?;
    if !out.status.success() {
        bail!(
            "cargo mutants --list failed for {}: {}",
            service.name,
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
fn save_record(root: &Path, service: &Service) -> Result<()> {
    let Some(tally) = tally_from_output(root, service) else {
        return Ok(());
    };
    // Outcomes of mutants the code no longer has (an edit moved or removed them)
    // are dropped: the record is of the code as it is.
    let current = mutant_names(root, service)?;
    let total = current.len();
    let dir = record_dir(root, &service.name);
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
        "mutation: outcomes of {} recorded in {}",
        service.name,
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

/// Prints the per-service figures and survivors from the records of `services`;
/// whether every one was tested in full and reaches the target.
fn print_report(root: &Path, services: &[Service]) -> Result<bool> {
    let reasons = reasons(root)?;
    let mut records = Vec::new();
    let mut unrecorded = Vec::new();
    for service in services {
        match load_record(root, &service.name)? {
            Some(record) => records.push((service.name.as_str(), record)),
            None => unrecorded.push(service.name.as_str()),
        }
    }
    if records.is_empty() {
        bail!(
            "no mutation outcomes in {}: run `cargo xtask mutation` first",
            root.join("fixtures/mutants/outcomes").display()
        );
    }
    println!(
        "\n{:<14} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7}",
        "service", "mutants", "tested", "caught", "missed", "timeout", "unviable", "score"
    );
    let mut all_met = unrecorded.is_empty();
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
    for service in &unrecorded {
        println!(
            "{service:<14} {:>7}  (no record: run `cargo xtask mutation --service {service}`)",
            "-"
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

/// cargo-mutants over one service's code, each mutant tested by the suite's
/// scenarios of that service on SQLite.
fn run_cargo_mutants(root: &Path, service: &Service, jobs: usize, iterate: bool) -> Result<()> {
    let output = output_dir(root, &service.name);
    std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    let mut cmd = cargo(root);
    cmd.args(["mutants", "--no-shuffle", "--jobs", &jobs.to_string()])
        // The copies start from this tree's build: only the crate itself is rebuilt.
        .args(["--copy-target", "true"])
        .args(selection(service))
        .arg("--output")
        .arg(&output);
    if iterate {
        cmd.arg("--iterate");
        seed_from_record(root, &service.name)?;
    } else {
        // A fresh run: earlier outcomes no longer count.
        let _ = std::fs::remove_file(ledger_path(root, &service.name));
    }
    // The suite in its mutant-run form: the service's scenarios on SQLite and its
    // teeth checks.
    cmd.env("KENSHO_MUTANT_RUN", "1")
        .env("KENSHO_MUTANT_SERVICE", &service.name)
        .env("KENSHO_MUTANT_FEATURES", service.features.join(","))
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
        other => bail!("cargo mutants failed for {} (exit {other:?})", service.name),
    }
}

/// Runs the semantic mutants and prints their verdicts; whether all were killed.
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

/// The services a full run mutates: those named by `--service` (each must be
/// registered and have Rust code), or every one with Rust code.
fn chosen(named: &[String], mutated: &[Service], registered: &[Service]) -> Result<Vec<Service>> {
    if named.is_empty() {
        return Ok(mutated.to_vec());
    }
    named
        .iter()
        .map(|name| match mutated.iter().find(|s| &s.name == name) {
            Some(service) => Ok(service.clone()),
            None if registered.iter().any(|s| &s.name == name) => {
                bail!("--service {name}: it has no code under services/{name}/src to mutate")
            }
            None => bail!(
                "--service {name}: no such service; the suite registers {}",
                registered
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect()
}

fn run(args: &Args) -> Result<bool> {
    let root = args.root.clone().unwrap_or_else(default_root);
    if args.semantic {
        return semantic(&root);
    }
    let registered = registered_services(&root)?;
    let mutated = mutated_services(&root, registered.clone());
    if args.save {
        for service in &mutated {
            save_record(&root, service)?;
        }
        return print_report(&root, &mutated);
    }
    if args.report {
        return print_report(&root, &mutated);
    }
    for service in chosen(&args.services, &mutated, &registered)? {
        run_cargo_mutants(&root, &service, args.jobs.max(1), args.iterate)?;
    }
    let met = print_report(&root, &mutated)?;
    let killed = semantic(&root)?;
    Ok(met && killed)
}

/// `cargo xtask mutation`: 0 when every service reaches the target and every
/// semantic mutant is killed, 1 when not, 2 when the run itself failed.
pub fn main(args: Args) -> ExitCode {
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("mutation: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str) -> Service {
        Service {
            name: name.to_string(),
            features: vec![format!("features/{name}/")],
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-mutation-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_suites_service_list_is_read() {
        let text = "billing\tfeatures/billing/,features/fault/billing_\nkarte\tfeatures/karte/\n";
        let services = parse_services(text).unwrap();
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].name, "billing");
        assert_eq!(
            services[0].features,
            ["features/billing/", "features/fault/billing_"]
        );
        assert_eq!(services[1].features, ["features/karte/"]);
        // A service without feature paths keeps an empty list.
        assert_eq!(
            parse_services("stock\t\n").unwrap()[0].features,
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_malformed_service_list_is_refused() {
        assert!(parse_services("").is_err());
        assert!(parse_services("billing features/billing/\n").is_err());
        assert!(parse_services("../x\tfeatures/\n").is_err());
    }

    #[test]
    fn a_service_owns_the_mutants_of_its_code_only() {
        let billing = service("billing");
        assert_eq!(billing.glob(), "services/billing/src/**");
        assert!(billing.owns("services/billing/src/batch.rs:70:5: replace f -> bool with true"));
        assert!(!billing.owns("services/billing_extra/src/a.rs:1:1: replace f with ()"));
        assert!(!billing.owns("src/billing/batch.rs:70:5: replace f -> bool with true"));
        assert!(!billing.owns("shared/src/flag.rs:3:5: replace f -> bool with true"));
    }

    #[test]
    fn positions_are_left_out_of_reason_keys() {
        assert_eq!(
            without_position(
                "services/karte/src/service.rs:753:17: replace < with <= in purge_with"
            ),
            "services/karte/src/service.rs: replace < with <= in purge_with"
        );
        assert_eq!(without_position("no position here"), "no position here");
    }

    #[test]
    fn named_services_must_be_registered_and_written_in_rust() {
        let registered = vec![service("billing"), service("karte"), service("external")];
        let mutated = vec![service("billing"), service("karte")];
        assert_eq!(chosen(&[], &mutated, &registered).unwrap(), mutated);
        assert_eq!(
            chosen(&["karte".into()], &mutated, &registered).unwrap(),
            [service("karte")]
        );
        let err = chosen(&["external".into()], &mutated, &registered).unwrap_err();
        assert!(
            err.to_string()
                .contains("no code under services/external/src"),
            "{err}"
        );
        let err = chosen(&["nope".into()], &mutated, &registered).unwrap_err();
        assert!(
            err.to_string().contains("billing, karte, external"),
            "{err}"
        );
    }

    #[test]
    fn only_services_with_code_under_services_are_mutated() {
        let root = scratch("mutated");
        std::fs::create_dir_all(root.join("services/billing/src")).unwrap();
        let mutated = mutated_services(&root, vec![service("billing"), service("external")]);
        assert_eq!(mutated, [service("billing")]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_score_counts_timeouts_as_killed() {
        let tally = Tally {
            caught: vec!["a".into(); 8],
            missed: vec!["b".into()],
            timeout: vec!["c".into()],
            unviable: vec!["d".into(); 5],
        };
        assert_eq!(tally.viable(), 10);
        assert_eq!(tally.tested(), 15);
        assert!((tally.score() - 90.0).abs() < 1e-9);
    }

    #[test]
    fn the_report_fails_when_a_service_has_no_record() {
        let root = scratch("report");
        let dir = record_dir(&root, "billing");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("total.txt"), "2\n").unwrap();
        std::fs::write(
            dir.join("caught.txt"),
            "services/billing/src/a.rs:1:1: replace f with ()\nservices/billing/src/a.rs:2:1: replace g with ()\n",
        )
        .unwrap();
        assert!(print_report(&root, &[service("billing")]).unwrap());
        assert!(!print_report(&root, &[service("billing"), service("karte")]).unwrap());
        let _ = std::fs::remove_dir_all(&root);
    }

    /// The committed record and reasons name mutants by their place in the
    /// workspace (`services/<name>/src/...`), as cargo-mutants does there.
    #[test]
    fn the_committed_record_names_mutants_by_their_service_folder() {
        let root = default_root();
        let outcomes = root.join("fixtures/mutants/outcomes");
        for entry in std::fs::read_dir(&outcomes).unwrap() {
            let dir = entry.unwrap().path();
            let owner = service(&dir.file_name().unwrap().to_string_lossy());
            for list in RECORD_LISTS {
                let text = std::fs::read_to_string(dir.join(format!("{list}.txt"))).unwrap();
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    assert!(owner.owns(line), "{}: {line}", dir.display());
                }
            }
        }
        let reasons = reasons(&root).unwrap();
        assert!(!reasons.is_empty());
        for mutant in reasons.keys() {
            assert!(mutant.starts_with("services/"), "reasons.txt: {mutant}");
        }
    }
}
