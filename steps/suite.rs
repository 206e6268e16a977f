//! `cargo test`'s scenario suite: every scenario on every available engine
//! (PostgreSQL and MariaDB required when CI=true), then the teeth checks: the main
//! billing scenario must fail under each of the article's naive re-run policies,
//! the seed 000 replay must fail (the purge as one long transaction, on MariaDB,
//! which passes when chunked), and every semantic mutant (among them seed 002's
//! second net-income line) must be killed by its scenario.

use std::process::ExitCode;
use std::sync::Arc;

use kensho::db::Engine;
use kensho::runner::{self, RunOptions, Setup};
use kensho_billing::demonstration::NaivePolicy;
use kensho_steps::billing::BillingState;
use kensho_steps::karte::KarteState;

/// The scenario that must fail without status management.
const MAIN_BILLING_SCENARIO: &str =
    "^The article's steps 1 to 5 leave exactly the expected billing table$";

/// The karte scenario that must fail when the purge runs as one long transaction.
const CONCURRENT_SAVES_SCENARIO: &str = "^Concurrent photo saves during the purge all succeed$";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    Fail,
}

/// Runs the one scenario matching `name` on `engine` under `internal` settings
/// (databases of failures are not kept) and tells whether it ended as expected.
async fn check(
    label: &str,
    engine: Engine,
    name: &str,
    setup: Option<Setup>,
    expect: Expect,
) -> bool {
    let want = match expect {
        Expect::Pass => "PASS",
        Expect::Fail => "FAIL",
    };
    eprintln!("\n{label}: must {want} on {engine}");
    let argv = ["check", "--engines", engine.name(), "--name", name]
        .map(String::from)
        .to_vec();
    let options = RunOptions {
        keep_failed: false,
        reports: false,
        setup,
    };
    match runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Main,
        argv,
        options,
    )
    .await
    {
        Ok(r) => {
            let (p, f) = r
                .engines
                .values()
                .fold((0, 0), |(p, f), s| (p + s.passed, f + s.failed));
            let ok = match expect {
                Expect::Pass => (p, f) == (1, 0),
                Expect::Fail => (p, f) == (0, 1),
            };
            if ok {
                eprintln!("{label}: ok, the scenario did {want}");
            } else {
                eprintln!(
                    "{label}: WRONG, expected the one scenario to {want}; {p} passed, {f} failed"
                );
            }
            ok
        }
        Err(e) => {
            eprintln!("{label}: {e:#}");
            false
        }
    }
}

/// The main run's HTML report, opened in headless Chromium, shows one element per
/// scenario run with the same counts of passed and failed ones. Without Chromium the
/// check is NOT RUN, except in CI, where it fails.
fn report_opens_in_chromium(report: &runner::Report) -> bool {
    let path = kensho_steps::root().join("target/kensho/reports/report.html");
    eprintln!("\nreport check: {} in headless Chromium", path.display());
    let dom = match xtask::browser::dump_dom(&path) {
        Ok(dom) => dom,
        Err(xtask::browser::BrowserError::NotFound) if !runner::in_ci() => {
            eprintln!(
                "report check: NOT RUN: {}",
                xtask::browser::BrowserError::NotFound
            );
            return true;
        }
        Err(e) => {
            eprintln!("report check: FAILED: {e}");
            return false;
        }
    };
    let count = |status: &str| {
        dom.matches(&format!("<article class=\"scenario {status}\""))
            .count()
    };
    let (passed, failed) = report
        .engines
        .values()
        .fold((0, 0), |(p, f), s| (p + s.passed, f + s.failed));
    let shown = (count("passed"), count("failed"));
    let ok = shown == (passed, failed) && dom.contains("連結");
    if ok {
        eprintln!(
            "report check: ok, {} passed and {} failed scenarios rendered",
            shown.0, shown.1
        );
    } else {
        eprintln!(
            "report check: FAILED, the page shows {shown:?} (passed, failed) where the run had {:?}",
            (passed, failed)
        );
    }
    ok
}

/// docs/steps.md is what `--catalogue` generates now, and every assertion (`Then`)
/// step has a proof scenario that shows it can fail.
fn catalogue_is_current() -> bool {
    let root = kensho_steps::root();
    eprintln!("\ncatalogue check: docs/steps.md against the step definitions");
    let unproven = match kensho::steps::authoring::dry_run(
        &kensho_steps::suite(),
        &root.join("features"),
        true,
        None,
    ) {
        Ok(dry) => kensho::steps::authoring::unproven(&dry),
        Err(e) => {
            eprintln!("catalogue check: FAILED: {e:#}");
            return false;
        }
    };
    if !unproven.is_empty() {
        eprintln!(
            "catalogue check: FAILED, {} assertion steps are NOT PROVEN able to fail; give each a scenario under features/proofs/ with `Then the step \"...\" fails` on a state where it must fail:",
            unproven.len()
        );
        for p in &unproven {
            eprintln!("  {}:{} Then {}", p.file, p.line, p.regex);
        }
        return false;
    }
    let generated =
        match kensho::steps::authoring::catalogue(&kensho_steps::suite(), &root.join("features")) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("catalogue check: FAILED: {e:#}");
                return false;
            }
        };
    match std::fs::read_to_string(root.join("docs/steps.md")) {
        Ok(committed) if committed == generated => {
            eprintln!("catalogue check: ok");
            true
        }
        _ => {
            eprintln!(
                "catalogue check: FAILED, docs/steps.md is out of date: run `cargo run -- --catalogue > docs/steps.md`"
            );
            false
        }
    }
}

/// For 2, 3 and 4 shards: every scenario is in exactly one shard.
fn shards_cover_the_suite() -> bool {
    let features = kensho_steps::root().join("features");
    let suite = kensho_steps::suite();
    eprintln!("\nshard check: the shards of the suite are disjoint and cover it");
    let select = |shard| {
        kensho::steps::authoring::dry_run(&suite, &features, true, shard).map(|d| d.scenarios)
    };
    let all = match select(None) {
        Ok(mut all) => {
            all.sort();
            all
        }
        Err(e) => {
            eprintln!("shard check: FAILED: {e:#}");
            return false;
        }
    };
    for total in 2..=4 {
        let mut union = Vec::new();
        let mut sizes = Vec::new();
        for index in 1..=total {
            match select(Some(kensho::authoring::Shard { index, total })) {
                Ok(part) => {
                    sizes.push(part.len());
                    union.extend(part);
                }
                Err(e) => {
                    eprintln!("shard check: FAILED: {e:#}");
                    return false;
                }
            }
        }
        union.sort();
        if union != all {
            eprintln!(
                "shard check: FAILED for {total} shards: their union has {} scenarios, the suite {}",
                union.len(),
                all.len()
            );
            return false;
        }
        eprintln!(
            "shard check: {total} shards of {} scenarios: {sizes:?}",
            all.len()
        );
    }
    eprintln!("shard check: ok");
    true
}

/// Every semantic mutant (steps/mutants.rs) is killed by its named scenario.
async fn semantic_mutants_are_killed() -> bool {
    eprintln!("\nsemantic mutants: each must be killed by its scenario");
    let began = std::time::Instant::now();
    let root = kensho_steps::root();
    match tokio::task::spawn_blocking(move || xtask::mutants::run_all(&root)).await {
        Ok(Ok(verdicts)) => {
            let survivors: Vec<&str> = verdicts
                .iter()
                .filter(|(_, v)| *v != xtask::mutants::Verdict::Killed)
                .map(|(m, _)| m.name)
                .collect();
            if survivors.is_empty() {
                eprintln!(
                    "semantic mutants: all {} killed ({} s)",
                    verdicts.len(),
                    began.elapsed().as_secs()
                );
                true
            } else {
                eprintln!("semantic mutants: NOT killed: {}", survivors.join(", "));
                false
            }
        }
        Ok(Err(e)) => {
            eprintln!("semantic mutants: {e:#}");
            false
        }
        Err(e) => {
            eprintln!("semantic mutants: {e}");
            false
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    runner::init_logging();
    let report = match runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Suite,
        std::env::args().collect(),
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
    let mut failed = usize::from(report.failed);
    let mut passed = usize::from(!report.failed);
    let mut tally = |ok: bool| {
        if ok { passed += 1 } else { failed += 1 }
    };
    // A mutant run (cargo-mutants, see .cargo/mutants.toml) tests the services: the
    // report, catalogue and shard checks and the semantic mutants are left out.
    let mutant_run = std::env::var_os("KENSHO_MUTANT_RUN").is_some();
    // A mutant run of one service (KENSHO_MUTANT_SERVICE) runs that service's
    // scenarios and teeth checks only.
    let mutated = std::env::var("KENSHO_MUTANT_SERVICE")
        .ok()
        .filter(|_| mutant_run);
    let covers = |service: &str| mutated.as_deref().is_none_or(|m| m == service);
    if !mutant_run {
        tally(report_opens_in_chromium(&report));
        tally(catalogue_is_current());
        tally(shards_cover_the_suite());
    }
    let naive_policies = if covers("billing") {
        &[
            NaivePolicy::DeleteAndReregister,
            NaivePolicy::RegisterWithoutDeleting,
        ][..]
    } else {
        &[]
    };
    for &policy in naive_policies {
        tally(
            check(
                &format!(
                    "teeth check: the main billing scenario under the naive policy {policy:?}"
                ),
                Engine::Sqlite,
                MAIN_BILLING_SCENARIO,
                Some(Arc::new(move |w: &mut kensho::ScenarioWorld| {
                    w.state::<BillingState>().forced_policy = Some(policy);
                })),
                Expect::Fail,
            )
            .await,
        );
    }
    // Seed 000 on MariaDB: the concurrency scenario passes with the chunked purge and
    // fails with the original single long transaction.
    if report.engines.contains_key(&Engine::MariaDb) {
        for (replay, expect) in [(false, Expect::Pass), (true, Expect::Fail)] {
            tally(
                check(
                    &format!(
                        "incident replay (seed 000): saves during the purge, {}",
                        if replay {
                            "purge as one long transaction"
                        } else {
                            "chunked purge"
                        }
                    ),
                    Engine::MariaDb,
                    CONCURRENT_SAVES_SCENARIO,
                    Some(Arc::new(move |w: &mut kensho::ScenarioWorld| {
                        w.state::<KarteState>().replay_long_purge = replay;
                    })),
                    expect,
                )
                .await,
            );
        }
    } else {
        eprintln!("\nincident replay (seed 000): NOT RUN, mariadb did not run in this suite");
    }
    if !mutant_run {
        tally(semantic_mutants_are_killed().await);
    }
    // The plain closing line CI reads: scenario suite + teeth checks.
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
