//! The world of one scenario: its isolated database(s), what the generic steps
//! keep between steps, and each service's own state, held without the harness
//! knowing the service's types ([`ScenarioWorld::state`]).

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;

use anyhow::{Result, anyhow, bail};

use crate::check::differential::DatabaseDump;
use crate::db::{Db, Engine, ScenarioDb};
use crate::service::SharedSuite;

/// One database of a scenario and the setting it runs under.
#[derive(Debug)]
pub struct Variant {
    /// `flag=off` / `flag=on` in a differential run; empty otherwise.
    pub label: String,
    /// The database.
    pub database: ScenarioDb,
}

/// Per-service state of one scenario, by type: each service's steps keep one
/// value of their own type here (created with `Default` on first use).
#[derive(Default)]
pub struct States(HashMap<TypeId, (&'static str, Box<dyn Any + Send + Sync>)>);

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.values().map(|(name, _)| name))
            .finish()
    }
}

/// One per scenario run (per engine): owns its fresh database(s).
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct ScenarioWorld {
    /// The services of this run (set by the runner before the first step).
    pub suite: Option<SharedSuite>,
    /// The engine this run of the scenario uses.
    pub engine: Option<Engine>,
    /// The feature file, relative to the project (for error messages).
    pub feature_file: String,
    /// The scenario's own databases, attached by the runner before the first step:
    /// one, or one per setting of a differential run.
    pub databases: Vec<Variant>,
    /// Why the runner could not attach a database (reported by the first step).
    pub setup_error: Option<String>,
    /// The error of the last operation a step expected might be refused.
    pub last_refusal: Option<String>,
    /// Lines for the report (e.g. the statistics of a concurrent step).
    pub notes: Vec<String>,
    /// The error of the last operation a fault step interrupted (one line per
    /// database of the scenario).
    pub interrupted: Option<String>,
    /// Every table of each database, as noted by a step, to compare with later.
    pub noted_tables: Vec<DatabaseDump>,
    /// Each service's own state.
    pub states: States,
}

impl ScenarioWorld {
    fn new() -> Self {
        ScenarioWorld {
            suite: None,
            engine: None,
            feature_file: String::new(),
            databases: Vec::new(),
            setup_error: None,
            last_refusal: None,
            notes: Vec::new(),
            interrupted: None,
            noted_tables: Vec::new(),
            states: States::default(),
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

    /// The suite this scenario runs in.
    pub fn suite(&self) -> Result<&SharedSuite> {
        self.suite
            .as_ref()
            .ok_or_else(|| anyhow!("the scenario has no suite (the runner sets it)"))
    }

    /// The state of type `T` a service's steps keep in this scenario (its
    /// `Default` the first time).
    pub fn state<T: Default + Send + Sync + 'static>(&mut self) -> &mut T {
        self.states
            .0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| (type_name::<T>(), Box::new(T::default())))
            .1
            .downcast_mut::<T>()
            .expect("a state is stored under its own type")
    }

    /// Runs the rest of this scenario alone: waits until the other running
    /// scenarios end, and none starts until this one has ended. For a step
    /// that measures time (a latency bound), so that other scenarios' load does
    /// not count; the steps before it still ran beside the others. Outside a run
    /// (no turn taken) it returns at once.
    pub async fn run_alone(&mut self) {
        let turn = std::mem::take(self.state::<crate::turns::Turn>());
        *self.state::<crate::turns::Turn>() = turn.alone().await;
    }

    /// The state of type `T` if a step has made it, without making it.
    pub fn state_ref<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.states
            .0
            .get(&TypeId::of::<T>())
            .and_then(|(_, s)| s.downcast_ref::<T>())
    }
}

/// An attempt that must be refused with exactly `expected`, the message the user
/// sees; `what` names the attempt in the failure.
pub fn refused_exactly<T: fmt::Debug, E: fmt::Display>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Counter(u32);

    #[test]
    fn each_state_type_has_its_own_slot() {
        let mut w = ScenarioWorld::new();
        assert!(w.state_ref::<Counter>().is_none());
        w.state::<Counter>().0 += 2;
        w.state::<Counter>().0 += 1;
        *w.state::<String>() = "kept".into();
        assert_eq!(w.state_ref::<Counter>(), Some(&Counter(3)));
        assert_eq!(w.state_ref::<String>().map(String::as_str), Some("kept"));
        assert!(format!("{:?}", w.states).contains("Counter"));
    }
}
