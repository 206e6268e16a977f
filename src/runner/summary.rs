//! The counts of a run, per engine, and the summary printed at its end.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::db::{Engine, EngineServer};

/// Counts for one engine.
#[derive(Clone, Debug, Default)]
pub struct EngineStats {
    pub passed: usize,
    pub failed: usize,
    pub databases: usize,
    pub database_time: Duration,
    pub database_max: Duration,
}

impl EngineStats {
    /// Counts one isolated database and the time it took to hand out.
    pub fn count_database(&mut self, took: Duration) {
        self.databases += 1;
        self.database_time += took;
        self.database_max = self.database_max.max(took);
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub failed: bool,
    pub engines: BTreeMap<Engine, EngineStats>,
    pub not_run: Vec<(Engine, String)>,
}

pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// How the scenarios of an interrupted run ended: finished, stopped while running,
/// never started (when known).
pub type Interrupted = (usize, usize, Option<usize>);

/// Prints the summary per engine, engines not run, servers that went away during
/// the run, kept databases (on servers still there), and how an interrupted run
/// ended.
pub fn print(
    report: &Report,
    servers: &BTreeMap<Engine, EngineServer>,
    kept: &[(Engine, String)],
    gone: &BTreeMap<Engine, String>,
    interrupted: Option<Interrupted>,
) {
    let total: usize = report.engines.values().map(|s| s.passed + s.failed).sum();
    eprintln!("\nKensho summary (per engine)");
    for (engine, server) in servers {
        let s = report.engines.get(engine).cloned().unwrap_or_default();
        let avg = if s.databases > 0 {
            s.database_time / s.databases as u32
        } else {
            Duration::ZERO
        };
        eprintln!(
            "  {:<9} {} scenarios: {} passed, {} failed; isolated databases: {} created, {:.1} ms average, {:.1} ms max ({})",
            engine.name(),
            s.passed + s.failed,
            s.passed,
            s.failed,
            s.databases,
            avg.as_secs_f64() * 1000.0,
            s.database_max.as_secs_f64() * 1000.0,
            server.describe()
        );
    }
    for (engine, reason) in &report.not_run {
        eprintln!("  {:<9} NOT RUN: {reason}", engine.name());
    }
    if let Some((finished, stopped, never)) = interrupted {
        let scenarios = |n: usize| format!("{n} scenario{}", if n == 1 { "" } else { "s" });
        let mut told = format!(
            "  INTERRUPTED: {} finished before the run stopped",
            scenarios(finished)
        );
        if stopped > 0 {
            told.push_str(&format!(
                "; {} stopped while running (counted neither passed nor failed)",
                scenarios(stopped)
            ));
        }
        if let Some(never) = never.filter(|&n| n > 0) {
            told.push_str(&format!("; {} did not start", scenarios(never)));
        }
        eprintln!("{told}");
    } else if total == 0 {
        eprintln!(
            "  no scenario ran: check the features folder, --name, --tags and --service (@slow scenarios also need --slow)"
        );
    }
    for (engine, why) in gone {
        eprintln!(
            "  [{engine}] the server is gone: {why}; the databases of its scenarios went with it (nothing was kept)"
        );
    }
    for (engine, line) in kept {
        if !gone.contains_key(engine) {
            eprintln!("  {line}");
        }
    }
}
