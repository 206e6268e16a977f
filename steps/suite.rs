//! `cargo test`'s scenario suite: every scenario on every available engine
//! (PostgreSQL and MariaDB required when CI=true), then the teeth check: the main
//! billing scenario must fail under each of the article's naive re-run policies.

#[path = "billing.rs"]
mod billing;
#[path = "consolidation.rs"]
mod consolidation;
#[path = "karte.rs"]
mod karte;
#[path = "runner.rs"]
mod runner;
#[path = "world.rs"]
mod world;

use std::process::ExitCode;

use kensho::billing::demonstration::NaivePolicy;

/// The scenario that must fail without status management.
const MAIN_BILLING_SCENARIO: &str =
    "^The article's steps 1 to 5 leave exactly the expected billing table$";

#[tokio::main]
async fn main() -> ExitCode {
    runner::init_logging();
    let report = match runner::run(
        runner::Mode::Suite,
        std::env::args().collect(),
        runner::Internal::default(),
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
    for policy in [
        NaivePolicy::DeleteAndReregister,
        NaivePolicy::RegisterWithoutDeleting,
    ] {
        eprintln!(
            "\nteeth check: the main billing scenario must FAIL under the naive policy {policy:?}"
        );
        let argv = [
            "teeth",
            "--engines",
            "sqlite",
            "--name",
            MAIN_BILLING_SCENARIO,
        ]
        .map(String::from)
        .to_vec();
        let internal = runner::Internal {
            forced_policy: Some(policy),
            keep_failed: false,
            ..runner::Internal::default()
        };
        match runner::run(runner::Mode::Main, argv, internal).await {
            Ok(r) if r.failed && r.engines.values().map(|s| s.failed).sum::<usize>() == 1 => {
                eprintln!("teeth check: ok, the scenario failed under {policy:?} as it must");
                passed += 1;
            }
            Ok(_) => {
                eprintln!(
                    "teeth check: FAILED, the main billing scenario did not fail under {policy:?}"
                );
                failed += 1;
            }
            Err(e) => {
                eprintln!("teeth check: {e:#}");
                failed += 1;
            }
        }
    }
    eprintln!(
        "\nincident replay (seed 002): the net-income defect must FAIL the consolidation scenarios"
    );
    let argv = [
        "replay",
        "--engines",
        "sqlite",
        "--name",
        "^Recomputing a statement that already holds net income$",
    ]
    .map(String::from)
    .to_vec();
    let internal = runner::Internal {
        keep_failed: false,
        replay_net_income_defect: true,
        ..runner::Internal::default()
    };
    match runner::run(runner::Mode::Main, argv, internal).await {
        Ok(r) if r.failed && r.engines.values().map(|s| s.failed).sum::<usize>() == 1 => {
            eprintln!("incident replay: ok, the defect fails the scenario");
            passed += 1;
        }
        Ok(_) => {
            eprintln!("incident replay: FAILED, the scenario passed with the defect reintroduced");
            failed += 1;
        }
        Err(e) => {
            eprintln!("incident replay: {e:#}");
            failed += 1;
        }
    }
    // The plain closing line CI reads: scenario suite + teeth checks.
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
