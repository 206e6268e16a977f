//! `cargo test`'s scenario target (harness = false), speaking libtest's protocol:
//! one test per scenario and engine (`billing::rerun::<scenario>::postgres`, see
//! [`features::test_name`]) and one per teeth check (`checks::...`), so `cargo test
//! <filter>`, `--exact`, `--skip`, `--list`, `--ignored`, IDE test runners and
//! `cargo nextest run` select and run them.
//!
//! Why this shape: the command line is libtest's, read by `libtest-mimic`'s
//! `Arguments` (what nextest sends: `--list --format terse [--ignored]`, then
//! `<name> --exact --nocapture`); the tests are not run one by one through
//! libtest-mimic's `run`, because scenarios share engine servers and run
//! concurrently inside one run: the selected scenario tests become one
//! [`runner::run`] over exactly those scenarios on exactly those engines
//! ([`RunOptions::only`], the rerun machinery), and their outcomes are printed as
//! libtest's lines. `--test-threads` has no effect (the runner's own concurrency
//! applies). Kensho's options for this target come from their environment
//! variables (`KENSHO_ENGINES`, `KENSHO_REQUIRE`, `KENSHO_SCENARIO_TIMEOUT`, ...):
//! the command line is libtest's alone.
//!
//! `--list` starts no engine: the scenarios are read as the runner reads them,
//! on every engine `KENSHO_ENGINES` names (all by default); a listed test on an
//! engine that turns out to be unavailable fails in CI (CI=true requires
//! PostgreSQL and MariaDB) and is reported ignored (NOT RUN) elsewhere. `@slow`
//! scenarios are listed as ignored (run with `--ignored` or `--include-ignored`).
//!
//! Without arguments every test runs, as before: every scenario on every
//! available engine, then the teeth checks: the main billing scenario must fail
//! under each of the article's naive re-run policies, the seed 000 replay must
//! fail (the purge as one long transaction, on MariaDB, which passes when
//! chunked), and every semantic mutant (among them seed 002's second net-income
//! line) must be killed by its scenario. The closing lines count the scenarios
//! per engine and end with libtest's `test result:`; the exit code is 101 when a
//! test failed, as libtest's.

mod check_lost_server;

use std::process::ExitCode;
use std::sync::Arc;

use kensho::db::Engine;
use kensho::runner::features::{self, ScenarioTest, TestFilter};
use kensho::runner::{self, RunOptions, Setup};
use kensho_billing::demonstration::NaivePolicy;
use kensho_steps::billing::BillingState;
use kensho_steps::karte::KarteState;

/// The scenario that must fail without status management.
const MAIN_BILLING_SCENARIO: &str =
    "The article's steps 1 to 5 leave exactly the expected billing table";

/// The karte scenario that must fail when the purge runs as one long transaction.
const CONCURRENT_SAVES_SCENARIO: &str = "Concurrent photo saves during the purge all succeed";

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

/// How a check ended: passed, failed, or not run (its engine is not available
/// outside CI), with why.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    NotRun(String),
}

impl From<bool> for Outcome {
    fn from(ok: bool) -> Outcome {
        if ok { Outcome::Passed } else { Outcome::Failed }
    }
}

/// Runs the scenario named `name` (its test on `engine` in `listed`) under
/// `setup` (databases of failures are not kept) and tells whether it ended as
/// expected; NOT RUN when the engine is unavailable outside CI.
async fn check(
    label: &str,
    listed: &[ScenarioTest],
    engine: Engine,
    name: &str,
    setup: Option<Setup>,
    expect: Expect,
) -> Outcome {
    let want = match expect {
        Expect::Pass => "PASS",
        Expect::Fail => "FAIL",
    };
    eprintln!("\n{label}: must {want} on {engine}");
    let Some(test) = listed
        .iter()
        .find(|t| t.scenario == name && t.engine == engine)
    else {
        eprintln!("{label}: WRONG, no scenario named {name:?} on {engine} in the features");
        return Outcome::Failed;
    };
    let options = RunOptions {
        keep_failed: false,
        reports: false,
        setup,
        only: Some(features::rerun_of(&[test])),
    };
    match runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Suite,
        vec!["check".to_string()],
        options,
    )
    .await
    {
        Ok(r) if r.not_run.iter().any(|(e, _)| *e == engine) => {
            let why = format!("{engine} is not available");
            eprintln!("{label}: NOT RUN, {why}");
            Outcome::NotRun(why)
        }
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
            ok.into()
        }
        Err(e) => {
            eprintln!("{label}: {e:#}");
            Outcome::Failed
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
fn report_opens_in_chromium(report: &runner::Report, reports: &str) -> bool {
    let label = "report check";
    let dom = match rendered(label, &format!("{reports}/report.html")) {
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

/// One run of the suite's main job (`argv` as its command line) under `options`,
/// as the report checks start it.
async fn run_main(argv: Vec<String>, options: RunOptions) -> anyhow::Result<runner::Report> {
    runner::run(
        Arc::new(kensho_steps::suite()),
        runner::Mode::Main,
        argv,
        options,
    )
    .await
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
        only: None,
    };
    eprintln!("\n{label}: the scenarios of fixtures/report/ must FAIL on sqlite");
    match run_main(argv, options).await {
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
/// step has a proof scenario that shows it can fail; both are reported when both
/// fail, so a stale catalogue always says how to rewrite it.
fn catalogue_is_current() -> bool {
    let root = kensho_steps::root();
    eprintln!("\ncatalogue check: docs/steps.md against the step definitions");
    let mut ok = true;
    match kensho::steps::authoring::dry_run(
        &kensho_steps::suite(),
        &root.join("features"),
        true,
        None,
    ) {
        Ok(dry) => {
            let unproven = kensho::steps::authoring::unproven(&dry);
            if !unproven.is_empty() {
                eprintln!(
                    "catalogue check: FAILED, {} assertion steps are NOT PROVEN able to fail; give each a scenario (under features/proofs/ or the service's own features) with `Then the step \"...\" fails` on a state where it must fail:",
                    unproven.len()
                );
                for p in &unproven {
                    eprintln!("  {}:{} Then {}", p.file, p.line, p.regex);
                }
                ok = false;
            }
        }
        Err(e) => {
            eprintln!("catalogue check: FAILED: {e:#}");
            return false;
        }
    }
    let generated =
        match kensho::steps::authoring::catalogue(&kensho_steps::suite(), &root.join("features")) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("catalogue check: FAILED: {e:#}");
                return false;
            }
        };
    let committed = std::fs::read_to_string(root.join("docs/steps.md")).ok();
    if let Some(problem) = kensho_steps::stale_catalogue(committed.as_deref(), &generated) {
        eprintln!("catalogue check: FAILED, {problem}");
        ok = false;
    }
    if ok {
        eprintln!("catalogue check: ok");
    }
    ok
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

/// Where the report check's own run writes its reports, when the whole suite did
/// not run in this process (a filtered run, one test per process under nextest).
const CHECK_REPORTS: &str = "target/kensho/reports-check";

/// The report check's own run when the whole suite did not run in this process:
/// the billing and consolidation scenarios on SQLite (what the check reads: yen
/// amounts, labels, the working, Japanese features), reports in [`CHECK_REPORTS`].
async fn own_report_run() -> Option<runner::Report> {
    let root = kensho_steps::root();
    let argv = [
        "check".to_string(),
        "--engines".into(),
        "sqlite".into(),
        "--service".into(),
        "billing,consolidation".into(),
        "--reports".into(),
        root.join(CHECK_REPORTS).display().to_string(),
    ]
    .to_vec();
    let options = RunOptions {
        keep_failed: false,
        ..RunOptions::default()
    };
    eprintln!(
        "\nreport check: the billing and consolidation scenarios on sqlite, for their report"
    );
    match run_main(argv, options).await {
        Ok(report) => Some(report),
        Err(e) => {
            eprintln!("report check: {e:#}");
            None
        }
    }
}

/// The teeth checks, by test name: run after the scenarios, in this order.
const CHECKS: [&str; 10] = [
    "checks::report_opens_in_chromium",
    "checks::failing_report_in_chromium",
    "checks::catalogue_is_current",
    "checks::shards_cover_the_suite",
    "checks::naive_policy_delete_and_reregister_fails",
    "checks::naive_policy_register_without_deleting_fails",
    "checks::incident_replay_000_chunked_purge_passes_on_mariadb",
    "checks::incident_replay_000_long_purge_fails_on_mariadb",
    "checks::semantic_mutants_are_killed",
    "checks::a_lost_server_fails_its_engine_fast",
];

/// The checks this process lists: a mutant run (cargo-mutants, see
/// .cargo/mutants.toml) tests the services, so the report, catalogue and shard
/// checks and the semantic mutants are left out; a mutant run of one service
/// (KENSHO_MUTANT_SERVICE) keeps that service's teeth checks only.
fn listed_checks() -> Vec<&'static str> {
    let mutant_run = std::env::var_os("KENSHO_MUTANT_RUN").is_some();
    let mutated = std::env::var("KENSHO_MUTANT_SERVICE")
        .ok()
        .filter(|_| mutant_run);
    let covers = |service: &str| mutated.as_deref().is_none_or(|m| m == service);
    CHECKS
        .into_iter()
        .filter(|name| {
            if name.contains("naive_policy") {
                covers("billing")
            } else if name.contains("incident_replay_000") {
                true
            } else {
                !mutant_run
            }
        })
        .collect()
}

/// Runs the check `name`; `suite` is this process's scenario run when it was the
/// whole suite.
async fn run_check(name: &str, listed: &[ScenarioTest], suite: Option<&runner::Report>) -> Outcome {
    match name {
        "checks::report_opens_in_chromium" => match suite {
            Some(report) => report_opens_in_chromium(report, "target/kensho/reports").into(),
            None => match own_report_run().await {
                Some(report) => report_opens_in_chromium(&report, CHECK_REPORTS).into(),
                None => Outcome::Failed,
            },
        },
        "checks::failing_report_in_chromium" => failing_report_in_chromium().await.into(),
        "checks::catalogue_is_current" => catalogue_is_current().into(),
        "checks::shards_cover_the_suite" => shards_cover_the_suite().into(),
        "checks::semantic_mutants_are_killed" => semantic_mutants_are_killed().await.into(),
        "checks::a_lost_server_fails_its_engine_fast" => {
            use check_lost_server::Verdict;
            match check_lost_server::a_lost_server_fails_its_engine_fast(&kensho_steps::root())
                .await
            {
                Verdict::Held => Outcome::Passed,
                Verdict::Broken => Outcome::Failed,
                Verdict::NotRun(why) if runner::in_ci() => {
                    eprintln!("lost server check: FAILED in CI: {why}");
                    Outcome::Failed
                }
                Verdict::NotRun(why) => Outcome::NotRun(why),
            }
        }
        naive if naive.contains("naive_policy") => {
            let policy = if naive.contains("delete_and_reregister") {
                NaivePolicy::DeleteAndReregister
            } else {
                NaivePolicy::RegisterWithoutDeleting
            };
            check(
                &format!(
                    "teeth check: the main billing scenario under the naive policy {policy:?}"
                ),
                listed,
                Engine::Sqlite,
                MAIN_BILLING_SCENARIO,
                Some(Arc::new(move |w: &mut kensho::ScenarioWorld| {
                    w.state::<BillingState>().forced_policy = Some(policy);
                })),
                Expect::Fail,
            )
            .await
        }
        // Seed 000 on MariaDB: the concurrency scenario passes with the chunked
        // purge and fails with the original single long transaction.
        replay => {
            let long = replay.contains("long_purge");
            if let Some(report) = suite
                && let Some((_, why)) = report.not_run.iter().find(|(e, _)| *e == Engine::MariaDb)
            {
                eprintln!(
                    "\nincident replay (seed 000): NOT RUN, mariadb did not run in this suite"
                );
                return Outcome::NotRun(format!("mariadb: {why}"));
            }
            check(
                &format!(
                    "incident replay (seed 000): saves during the purge, {}",
                    if long {
                        "purge as one long transaction"
                    } else {
                        "chunked purge"
                    }
                ),
                listed,
                Engine::MariaDb,
                CONCURRENT_SAVES_SCENARIO,
                Some(Arc::new(move |w: &mut kensho::ScenarioWorld| {
                    w.state::<KarteState>().replay_long_purge = long;
                })),
                if long { Expect::Fail } else { Expect::Pass },
            )
            .await
        }
    }
}

/// The engines the tests are listed for: `KENSHO_ENGINES` (as the runner reads
/// it), every engine without it.
fn listed_engines() -> Result<Vec<Engine>, String> {
    match std::env::var("KENSHO_ENGINES") {
        Ok(list) if !list.trim().is_empty() => Engine::parse_list(&list)
            .map(|engines| {
                let mut engines: Vec<Engine> = engines.into_iter().collect();
                engines.sort();
                engines.dedup();
                engines
            })
            .map_err(|e| format!("KENSHO_ENGINES: {e}")),
        _ => Ok(Engine::ALL.to_vec()),
    }
}

/// Every scenario test of the suite (a mutant run's: its features only).
fn scenario_tests() -> Result<Vec<ScenarioTest>, Vec<String>> {
    let root = kensho_steps::root();
    let engines = listed_engines().map_err(|e| vec![e])?;
    let mut tests = features::scenario_tests(&root, &root.join("features"), &engines)?;
    if let Some(only) = features::mutant_run_features() {
        tests.retain(|t| {
            only.iter()
                .any(|prefix| t.path.starts_with(prefix.as_str()))
        });
    }
    Ok(tests)
}

/// How a selected scenario test ended in `report` (`Err`: the run did not start).
fn scenario_outcome(test: &ScenarioTest, report: &Result<runner::Report, String>) -> Outcome {
    let report = match report {
        Ok(report) => report,
        Err(_) => return Outcome::Failed,
    };
    if let Some((_, why)) = report.not_run.iter().find(|(e, _)| *e == test.engine) {
        return Outcome::NotRun(format!("{} NOT RUN: {why}", test.engine));
    }
    let here = |path: &str, line: usize, engine: &str| {
        path == test.path && line == test.line && engine == test.engine.name()
    };
    if report
        .failures
        .iter()
        .any(|(p, l, e)| here(p, *l, e.name()))
    {
        Outcome::Failed
    } else if report
        .scenarios
        .iter()
        .any(|s| here(&s.file, s.line, &s.engine))
    {
        Outcome::Passed
    } else {
        Outcome::Failed
    }
}

/// libtest's line for one test.
fn print_outcome(name: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Passed => println!("test {name} ... ok"),
        Outcome::Failed => println!("test {name} ... FAILED"),
        Outcome::NotRun(why) => println!("test {name} ... ignored, {why}"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let filter = TestFilter {
        filter: args.filter.clone(),
        exact: args.exact,
        skip: args.skip.clone(),
        ignored: args.ignored,
        include_ignored: args.include_ignored,
    };
    let began = std::time::Instant::now();
    runner::init_logging();
    let scenarios = match scenario_tests() {
        Ok(tests) => tests,
        Err(problems) => {
            eprintln!(
                "kensho: the scenario tests cannot be listed:\n  {}",
                problems.join("\n  ")
            );
            return ExitCode::from(101);
        }
    };
    let checks = listed_checks();
    let total = scenarios.len() + checks.len();
    let picked: Vec<&ScenarioTest> = scenarios
        .iter()
        .filter(|t| filter.selects(&t.name, t.slow))
        .collect();
    let picked_checks: Vec<&str> = checks
        .iter()
        .copied()
        .filter(|c| filter.selects(c, false))
        .collect();
    if args.list {
        // A reader that stops early (`| head`) ends the list, not the process.
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let names = picked.iter().map(|t| t.name.as_str()).chain(picked_checks);
        for name in names {
            if writeln!(out, "{name}: test").is_err() {
                break;
            }
        }
        return ExitCode::SUCCESS;
    }
    let filtered_out = total - picked.len() - picked_checks.len();
    let running = picked.len() + picked_checks.len();
    println!(
        "\nrunning {running} test{}",
        if running == 1 { "" } else { "s" }
    );
    let to_run: Vec<&ScenarioTest> = picked
        .iter()
        .copied()
        .filter(|t| filter.runs(t.slow))
        .collect();
    let mut outcomes: Vec<(String, Outcome)> = picked
        .iter()
        .filter(|t| !filter.runs(t.slow))
        .map(|t| (t.name.clone(), Outcome::NotRun("@slow".to_string())))
        .collect();
    // The whole suite runs as before (every available engine, reports written);
    // a selection runs exactly its scenarios on exactly their engines.
    let whole = filter.is_whole_suite();
    let mut suite_report = None;
    let mut per_engine = String::new();
    if !to_run.is_empty() {
        // Under nextest every test is a process of its own: their reports would
        // replace each other's in one folder, and nextest's JUnit file is the
        // report there.
        let under_nextest = std::env::var_os("NEXTEST").is_some();
        let options = RunOptions {
            only: (!whole).then(|| features::rerun_of(&to_run)),
            reports: !under_nextest,
            ..RunOptions::default()
        };
        let report = runner::run(
            Arc::new(kensho_steps::suite()),
            runner::Mode::Suite,
            vec!["scenarios".to_string()],
            options,
        )
        .await
        .map_err(|e| format!("{e:#}"));
        if let Err(e) = &report {
            eprintln!("kensho: {e}");
        }
        for test in &to_run {
            let outcome = scenario_outcome(test, &report);
            print_outcome(&test.name, &outcome);
            outcomes.push((test.name.clone(), outcome));
        }
        if let Ok(report) = &report {
            per_engine = report
                .engines
                .iter()
                .map(|(engine, s)| format!("{engine} {} passed, {} failed", s.passed, s.failed))
                .collect::<Vec<_>>()
                .join("; ");
            // A run that failed as a whole (reports not written, no scenario ran)
            // fails even when each scenario passed.
            if report.failed && outcomes.iter().all(|(_, o)| *o != Outcome::Failed) {
                outcomes.push(("the scenario run".to_string(), Outcome::Failed));
                println!("test the scenario run ... FAILED (see above)");
            }
        }
        suite_report = report.ok().filter(|_| whole);
    }
    for name in picked_checks {
        let outcome = run_check(name, &scenarios, suite_report.as_ref()).await;
        print_outcome(name, &outcome);
        outcomes.push((name.to_string(), outcome));
    }
    let count = |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| wanted(o)).count();
    let passed = count(|o| *o == Outcome::Passed);
    let failed = count(|o| *o == Outcome::Failed);
    let ignored = count(|o| matches!(o, Outcome::NotRun(_)));
    if failed > 0 {
        println!("\nfailures:");
        for (name, _) in outcomes.iter().filter(|(_, o)| *o == Outcome::Failed) {
            println!("    {name}");
        }
    }
    if !per_engine.is_empty() {
        println!("\nscenarios per engine: {per_engine}");
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; {ignored} ignored; 0 measured; {filtered_out} filtered out; finished in {:.2}s\n",
        if failed == 0 { "ok" } else { "FAILED" },
        began.elapsed().as_secs_f64()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}
