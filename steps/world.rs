//! The world of one scenario: its isolated database, and what the last step produced.

use anyhow::{Context, Result, anyhow, bail};
use kensho::billing::demonstration::NaivePolicy;
use kensho::billing::{BatchOutcome, BillingRecord};
use kensho::db::{Db, Engine, ScenarioDb};

/// One database of a scenario and the setting it runs under.
#[derive(Debug)]
pub struct Variant {
    /// `flag=off` / `flag=on` in a differential run; empty otherwise.
    pub label: String,
    pub database: ScenarioDb,
}

/// One per scenario run (per engine): owns its fresh database(s).
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct ScenarioWorld {
    /// The engine this run of the scenario uses.
    pub engine: Option<Engine>,
    /// The feature file, relative to the project (for error messages).
    pub feature_file: String,
    /// The scenario's own databases, attached by the runner before the first step:
    /// one, or one per setting of a differential run.
    pub databases: Vec<Variant>,
    /// Why the runner could not attach a database (reported by the first step).
    pub setup_error: Option<String>,
    /// The billing period the scenario's front operations address (YYYY-MM).
    pub period: String,
    /// The outcome of the last billing batch run.
    pub last_batch: Option<BatchOutcome>,
    /// The error of the last operation a step expected might be refused.
    pub last_refusal: Option<String>,
    /// The billing table as noted by a step, to compare with later.
    pub noted_records: Option<Vec<BillingRecord>>,
    /// Set only by the suite's own teeth check: batch steps then use this naive
    /// re-run policy, so the check can prove the main scenario fails without status
    /// management. No option or variable reaches it.
    pub forced_policy: Option<NaivePolicy>,
    /// カルテ: clock, customers and photos of the scenario.
    pub karte: crate::karte::KarteState,
    /// Lines for the report (e.g. the statistics of a concurrent step).
    pub notes: Vec<String>,
    /// Set only by the suite's incident replay check (seed 002).
    pub replay_net_income_defect: bool,
    /// The error of the last operation a fault step interrupted (one line per
    /// database of the scenario).
    pub interrupted: Option<String>,
    /// Every table of each database, as noted by a step, to compare with later.
    pub noted_tables: Vec<kensho::check::differential::DatabaseDump>,
    /// Bad-input steps: tables noted before an attempt, its outcome, generated files.
    pub bad_input: crate::bad_input::BadInput,
    /// What the last consolidation import did, one outcome per variant.
    pub consolidation_outcomes: Vec<kensho::consolidation::service::Outcome>,
}

impl ScenarioWorld {
    fn new() -> Self {
        ScenarioWorld {
            engine: None,
            feature_file: String::new(),
            databases: Vec::new(),
            setup_error: None,
            period: "2026-11".into(),
            last_batch: None,
            last_refusal: None,
            noted_records: None,
            forced_policy: None,
            replay_net_income_defect: false,
            interrupted: None,
            noted_tables: Vec::new(),
            notes: Vec::new(),
            karte: Default::default(),
            bad_input: Default::default(),
            consolidation_outcomes: Vec::new(),
        }
    }

    /// The scenario's database (the first one of a differential run).
    pub fn db(&self) -> Result<&Db> {
        Ok(&self.variants()?[0].database.db)
    }

    /// Every database of the scenario, with the setting it runs under.
    pub fn variants(&self) -> Result<&[Variant]> {
        match (self.databases.as_slice(), &self.setup_error) {
            (_, Some(error)) => Err(anyhow!("the scenario has no database: {error}")),
            ([], None) => Err(anyhow!(
                "the scenario has no database (the runner attaches one per scenario)"
            )),
            (variants, None) => Ok(variants),
        }
    }

    /// The last batch run's outcome.
    pub fn last_batch(&self) -> Result<&BatchOutcome> {
        self.last_batch
            .as_ref()
            .context("no billing batch has run in this scenario yet")
    }
}

/// An attempt that must be refused with exactly `expected`, the message the user
/// sees; `what` names the attempt in the failure.
pub fn refused_exactly<T: std::fmt::Debug, E: std::fmt::Display>(
    what: &str,
    outcome: std::result::Result<T, E>,
    expected: &str,
) -> Result<()> {
    match outcome {
        Ok(done) => bail!("{what} was accepted ({done:?}); expected the refusal\n  {expected}"),
        Err(e) if e.to_string() == expected => Ok(()),
        Err(e) => bail!("{what} was refused with\n  {e}\nnot\n  {expected}"),
    }
}
