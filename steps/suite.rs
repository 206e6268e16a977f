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

/// How many scenarios of a run passed and failed, all engines together.
fn passed_failed(report: &runner::Report) -> (usize, usize) {
    report
        .engines
        .values()
        .fold((0, 0), |(p, f), s| (p + s.passed, f + s.failed))
}

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
            let (p, f) = passed_failed(&r);
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

/// The DOM of the HTML report at `path` (relative to the project) as headless
/// Chromium renders it; `Ok(None)` when Chromium is not installed outside CI
/// (the check is NOT RUN), `Err` with why the check fails otherwise.
fn rendered(label: &str, path: &str) -> Result<Option<String>, String> {
    let path = kensho_steps::root().join(path);
    eprintln!("\n{label}: {} in headless Chromium", path.display());
    match xtask::browser::dump_dom(&path) {
        Ok(dom) => Ok(Some(dom)),
        Err(xtask::browser::BrowserError::NotFound) if !runner::in_ci() => {
            eprintln!(
                "{label}: NOT RUN: {}",
                xtask::browser::BrowserError::NotFound
            );
            Ok(None)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The page text between the first `from` and the next `to` after it (empty
/// when `from` is not there).
fn between<'a>(dom: &'a str, from: &str, to: &str) -> &'a str {
    let Some(start) = dom.find(from) else {
        return "";
    };
    let rest = &dom[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

/// What an accountant must see on every report: `(what, whether it is there)`.
fn accountant_reads(dom: &str) -> Vec<(&'static str, bool)> {
    vec![
        (
            "a title naming the features and the commit",
            between(dom, "<h1>", "</h1>").starts_with("<h1>Kensho: "),
        ),
        (
            "the start in Tokyo time with its zone",
            between(dom, "<time ", "</time>").ends_with(" JST"),
        ),
        (
            "a failures-only filter without scripts",
            dom.contains("<input type=\"checkbox\" id=\"only-failures\">")
                && !dom.contains("<script"),
        ),
        (
            "the matrix grouped per feature",
            dom.contains("<section class=\"matrix-feature"),
        ),
        (
            "an A4 print layout",
            dom.contains("@page { size: A4;") && dom.contains("@media print"),
        ),
    ]
}

/// Prints what is missing from a page; true when nothing is.
fn all_there(label: &str, reads: &[(&str, bool)]) -> bool {
    let missing: Vec<&str> = reads
        .iter()
        .filter(|(_, there)| !there)
        .map(|(what, _)| *what)
        .collect();
    for what in &missing {
        eprintln!("{label}: FAILED, the page does not show {what}");
    }
    missing.is_empty()
}

/// The main run's HTML report, opened in headless Chromium, shows one element per
/// scenario run with the same counts of passed and failed ones, and what an
/// accountant signs off: amounts as yen with separators, codes with their labels,
/// the features' working beside their steps, the runner's closing steps in the
/// feature's language, Tokyo time, a title, a matrix per feature with a failures
/// filter, an A4 print layout. Without Chromium the check is NOT RUN, except in
/// CI, where it fails.
fn report_opens_in_chromium(report: &runner::Report) -> bool {
    let label = "report check";
    let dom = match rendered(label, "target/kensho/reports/report.html") {
        Ok(Some(dom)) => dom,
        Ok(None) => return true,
        Err(e) => {
            eprintln!("{label}: FAILED: {e}");
            return false;
        }
    };
    let count = |status: &str| {
        dom.matches(&format!("<article class=\"scenario {status}\""))
            .count()
    };
    let (passed, failed) = passed_failed(report);
    let shown = (count("passed"), count("failed"));
    let mut reads = accountant_reads(&dom);
    reads.extend([
        ("連結 in the page", dom.contains("連結")),
        (
            "the consolidated sales as yen, right-aligned, with separators",
            dom.contains("<td class=\"num money\">¥1,067,500</td>"),
        ),
        (
            "the consolidated company's label",
            dom.contains("<span class=\"label\">連結</span> <code class=\"code\">*</code>"),
        ),
        (
            "an account's Japanese label",
            dom.contains("<span class=\"label\">為替換算調整勘定</span>"),
        ),
        (
            "a billing status's label",
            dom.contains("<span class=\"label\">有効</span> <code class=\"code\">0</code>")
                || dom.contains("<span class=\"label\">active</span> <code class=\"code\">0</code>"),
        ),
        (
            "the working of a feature's comments",
            dom.contains("<li class=\"working\"") && dom.contains("2,000 × 150 = 300,000"),
        ),
        (
            "the closing step in Japanese in a Japanese feature",
            dom.contains("<span class=\"keyword\">ならば</span> <span class=\"text\">業務上の不変条件が成り立つ</span>"),
        ),
        ("no amount left without its separator", !dom.contains(">1067500<")),
    ]);
    let ok = all_there(label, &reads) && shown == (passed, failed);
    if ok {
        eprintln!(
            "{label}: ok, {} passed and {} failed scenarios rendered",
            shown.0, shown.1
        );
    } else if shown != (passed, failed) {
        eprintln!(
            "{label}: FAILED, the page shows {shown:?} (passed, failed) where the run had {:?}",
            (passed, failed)
        );
    }
    ok
}

/// Where the failing run writes its reports (beside the main run's).
const FAILING_REPORTS: &str = "target/kensho/reports-failing";

/// A failing run (fixtures/report/: B expected at 75,000, found at 70,000, in
/// English and in Japanese) must fail, and its report, opened in headless
/// Chromium, must show the failed step's rows side by side (B once, changed,
/// both amounts as yen), the database's row of B marked changed (never same)
/// with the expected amount beside the found one, and what every report shows.
async fn failing_report_in_chromium() -> bool {
    let label = "failing report check";
    let root = kensho_steps::root();
    let argv = [
        "check".to_string(),
        "--engines".into(),
        "sqlite".into(),
        "--features".into(),
        root.join("fixtures/report").display().to_string(),
        "--reports".into(),
        root.join(FAILING_REPORTS).display().to_string(),
    ]
    .to_vec();
    let options = RunOptions {
        keep_failed: false,
        reports: true,
        setup: None,
    };
    eprintln!("\n{label}: the scenarios of fixtures/report/ must FAIL on sqlite");
    match runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Main,
        argv,
        options,
    )
    .await
    {
        Ok(r) if r.failed && r.engines.values().map(|s| s.failed).sum::<usize>() == 2 => {}
        Ok(r) => {
            let (p, f) = passed_failed(&r);
            eprintln!(
                "{label}: WRONG, the run must fail its two scenarios; {p} passed, {f} failed"
            );
            return false;
        }
        Err(e) => {
            eprintln!("{label}: {e:#}");
            return false;
        }
    }
    let dom = match rendered(label, &format!("{FAILING_REPORTS}/report.html")) {
        Ok(Some(dom)) => dom,
        Ok(None) => return true,
        Err(e) => {
            eprintln!("{label}: FAILED: {e}");
            return false;
        }
    };
    let step_diff = between(&dom, "<table class=\"diff\">", "</table>");
    let database = between(&dom, "<table class=\"result\">", "</table>");
    let row_b = |table: &str| -> Vec<String> {
        table
            .split("<tr class=\"row ")
            .skip(1)
            .filter(|row| row.contains("<td>B</td>"))
            .map(|row| row[..row.find('"').unwrap_or(0)].to_string())
            .collect()
    };
    let mut reads = accountant_reads(&dom);
    reads.extend([
        (
            "B once in the failed step's rows, as changed",
            row_b(step_diff) == ["changed"],
        ),
        (
            "B's expected and found amounts side by side, marked",
            step_diff.contains("<td class=\"num money changed-cell\">¥75,000</td>")
                && step_diff.contains("<td class=\"num money changed-cell\">¥70,000</td>"),
        ),
        (
            "only B's amount marked as differing",
            step_diff.matches("changed-cell").count() == 2,
        ),
        (
            "the database row of B marked changed, once",
            row_b(database) == ["changed"],
        ),
        (
            "the database's amount of B found and expected, as yen",
            database.contains(
                "<td class=\"num money changed-cell\">¥70,000<span class=\"expected\">期待 expected ¥75,000</span></td>",
            ),
        ),
        (
            "the other rows of the database marked same",
            database.matches("<tr class=\"row same\">").count() == 2,
        ),
        (
            "the Japanese feature's failed step with its rows side by side",
            dom.matches("<table class=\"diff\">").count() == 2,
        ),
        (
            "the working above the failed step",
            dom.contains("B: 70,000 in the file; 75,000 below is the wrong expectation"),
        ),
    ]);
    let ok = all_there(label, &reads);
    if ok {
        eprintln!("{label}: ok, B shows once as changed, 75,000 expected and 70,000 found");
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
        tally(failing_report_in_chromium().await);
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
