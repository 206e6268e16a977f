//! Whose turn it is: a scenario tagged `@serial` (on itself, its rule or its
//! feature) runs alone; one tagged `@serial(group)` runs one at a time with the
//! other scenarios of its group, beside the rest; the others side by side.
//!
//! The cucumber runner only starts `@serial` scenarios first and one at a time;
//! it still runs them beside the concurrent scenarios already started, so a
//! latency bound would count other scenarios' load. Every scenario therefore
//! takes a turn before it is set up: its group's, if it has one, then a shared
//! turn of the run or, for `@serial`, the whole run. The run's lock is fair: once
//! an `@serial` scenario waits, scenarios that come after it wait for it to end,
//! so it is never starved. A step that measures time may also take the rest of
//! its scenario alone ([`Turn::alone`], through `ScenarioWorld::run_alone`), so
//! the scenario's setup still runs beside the others. The group comes first, so that a scenario waiting for
//! its group holds no turn of the run (no scenario holding a turn of the run ever
//! waits, so turns never wait on each other in a circle).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cucumber::gherkin;
use tokio::sync::{OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use crate::authoring::serial_group;

/// The tag of a scenario that runs alone.
pub const SERIAL: &str = "serial";

/// How a scenario shares the run, from its tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sharing {
    /// `@serial`: alone in the run.
    pub alone: bool,
    /// `@serial(group)`: one at a time within these groups (sorted, once each).
    pub groups: Vec<String>,
}

impl Sharing {
    /// The sharing the tags on a scenario, its rule and its feature ask for.
    pub fn of(
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> Sharing {
        let tags: Vec<&String> = scenario
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| &r.tags))
            .chain(&feature.tags)
            .collect();
        let mut groups: Vec<String> = tags
            .iter()
            .filter_map(|tag| serial_group(tag))
            .map(str::to_string)
            .collect();
        groups.sort();
        groups.dedup();
        Sharing {
            alone: tags.iter().any(|tag| *tag == SERIAL),
            groups,
        }
    }
}

/// The run's turns.
#[derive(Clone, Default)]
pub struct Turns {
    run: Arc<RwLock<()>>,
    groups: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A scenario's turn, held from before its setup until it is cleaned up (kept in
/// its World; dropping it ends the turn).
#[derive(Default)]
pub struct Turn {
    /// The run's turns, to take the run alone later ([`Turn::alone`]).
    turns: Option<Turns>,
    /// Its groups' turns.
    _groups: Vec<OwnedMutexGuard<()>>,
    /// Its turn of the run.
    run: RunTurn,
}

/// A turn of the run.
#[derive(Default)]
enum RunTurn {
    /// None held (the scenario did not start, or its turn ended).
    #[default]
    None,
    /// Beside the other scenarios (the guard is held, never read).
    Shared(#[expect(dead_code, reason = "held for its drop")] OwnedRwLockReadGuard<()>),
    /// Alone in the run.
    Alone(#[expect(dead_code, reason = "held for its drop")] OwnedRwLockWriteGuard<()>),
}

impl Turn {
    /// Whether the scenario holds the run alone.
    pub fn is_alone(&self) -> bool {
        matches!(self.run, RunTurn::Alone(_))
    }

    /// The rest of the scenario alone in the run: gives its shared turn back,
    /// then waits until the scenarios running end (none starts meanwhile). Its
    /// groups stay held. A turn taken outside a run stays as it is.
    pub async fn alone(mut self) -> Turn {
        let Some(turns) = self.turns.clone() else {
            return self;
        };
        if !self.is_alone() {
            self.run = RunTurn::None;
            self.run = RunTurn::Alone(turns.run.clone().write_owned().await);
        }
        self
    }
}

impl Turns {
    /// Waits for the scenario's turn: its groups' (in name order), then the
    /// run's, alone or shared.
    pub async fn take(&self, sharing: &Sharing) -> Turn {
        let mut groups = Vec::new();
        for name in &sharing.groups {
            let group = self
                .groups
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(name.clone())
                .or_default()
                .clone();
            groups.push(group.lock_owned().await);
        }
        let run = if sharing.alone {
            RunTurn::Alone(self.run.clone().write_owned().await)
        } else {
            RunTurn::Shared(self.run.clone().read_owned().await)
        };
        Turn {
            turns: Some(self.clone()),
            _groups: groups,
            run,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sharing(alone: bool, groups: &[&str]) -> Sharing {
        Sharing {
            alone,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// Lets the spawned tasks run as far as they can.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[tokio::test]
    async fn a_serial_turn_waits_for_the_running_ones_and_keeps_later_ones_out() {
        let turns = Turns::default();
        let running = turns.take(&sharing(false, &[])).await;
        let also_running = turns.take(&sharing(false, &[])).await;
        let serial = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(true, &[])).await }
        });
        settle().await;
        assert!(
            !serial.is_finished(),
            "a serial scenario started beside running ones"
        );
        // A scenario that comes after the serial one waits for it.
        let later = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(false, &[])).await }
        });
        drop(running);
        drop(also_running);
        let alone = serial.await.unwrap();
        assert!(alone.is_alone());
        settle().await;
        assert!(
            !later.is_finished(),
            "a scenario started beside a serial one"
        );
        drop(alone);
        assert!(!later.await.unwrap().is_alone());
    }

    #[tokio::test]
    async fn a_scenario_can_take_the_rest_of_its_time_alone() {
        let turns = Turns::default();
        let other = turns.take(&sharing(false, &[])).await;
        let measuring = turns.take(&sharing(false, &["runner"])).await;
        let upgrading = tokio::spawn(measuring.alone());
        settle().await;
        assert!(!upgrading.is_finished(), "alone beside a running scenario");
        drop(other);
        let alone = upgrading.await.unwrap();
        assert!(alone.is_alone());
        let later = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(false, &[])).await }
        });
        settle().await;
        assert!(!later.is_finished(), "a scenario started beside one alone");
        drop(alone);
        later.await.unwrap();
    }

    #[tokio::test]
    async fn a_group_runs_one_at_a_time_beside_the_others() {
        let turns = Turns::default();
        let first = turns.take(&sharing(false, &["runner"])).await;
        // Another group and an ungrouped scenario run beside it.
        let _other = turns.take(&sharing(false, &["reports"])).await;
        let _plain = turns.take(&sharing(false, &[])).await;
        let second = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(false, &["runner"])).await }
        });
        settle().await;
        assert!(
            !second.is_finished(),
            "two scenarios of one group ran at once"
        );
        drop(first);
        second.await.unwrap();
    }

    #[tokio::test]
    async fn a_scenario_waiting_for_its_group_holds_no_turn_of_the_run() {
        let turns = Turns::default();
        let grouped = turns.take(&sharing(false, &["runner"])).await;
        // Waits for the group, holding nothing of the run.
        let waiting = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(false, &["runner"])).await }
        });
        settle().await;
        // A serial scenario waits only for the one that runs.
        let serial = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take(&sharing(true, &[])).await }
        });
        settle().await;
        drop(grouped);
        let alone = tokio::time::timeout(Duration::from_secs(5), serial)
            .await
            .expect("the serial scenario waited for one that was only waiting")
            .unwrap();
        drop(alone);
        waiting.await.unwrap();
    }

    #[test]
    fn tags_on_the_scenario_its_rule_and_its_feature_count() {
        let parse = |text: &str| {
            gherkin::Feature::parse(text, gherkin::GherkinEnv::default()).expect("a feature")
        };
        let feature = parse(
            "@serial(runner)\nFeature: f\n  @serial(reports)\n  Rule: r\n    @serial @serial(runner)\n    Scenario: s\n      Given x\n",
        );
        let rule = &feature.rules[0];
        let scenario = &rule.scenarios[0];
        assert_eq!(
            Sharing::of(&feature, Some(rule), scenario),
            sharing(true, &["reports", "runner"])
        );
        let plain = parse("Feature: f\n  Scenario: s\n    Given x\n");
        assert_eq!(
            Sharing::of(&plain, None, &plain.scenarios[0]),
            sharing(false, &[])
        );
    }
}
