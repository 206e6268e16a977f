//! Proofs that an assertion step can fail. `Then the step "<step text>" fails`
//! (in Japanese `ならば 「<step text>」という手順は失敗する`) runs the named `Then`
//! step on the scenario's own world, with the data table or doc string written
//! under the proof, and passes only if that step fails; it fails if the step
//! passes, is not defined as a `Then` step, or matches more than one definition.
//! `Then the step "<step text>" fails with "<part of its message>"` (in Japanese
//! `「<step text>」という手順は「<part>」というメッセージで失敗する`) also pins why.
//! The step runs for real: what it changes before failing (a row it writes, an
//! outcome it takes) stays changed for the rest of the scenario.
//!
//! A proof scenario sets up a state, then asserts something wrong about it inside
//! a proof: an assertion step with no such scenario could be one that never fails.
//! The catalogue (`--catalogue`) shows the proof beside each `Then` step, and the
//! suite's catalogue check fails while any `Then` step has none ([`super::authoring`]).
//!
//! Also a step for proofs of whole-database comparisons: seeding the table of one
//! database of a differential run only.

/// This file, as step locations name it.
pub const FILE: &str = file!();

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use anyhow::{Result, bail};
use cucumber::World as _;
use cucumber::gherkin::{Step, StepType};
use cucumber::given;
use cucumber::step::{Collection, Location};
use cucumber::then;
use futures::FutureExt as _;

use crate::check::seed::seed;
use crate::steps::tables::{data_table, origin};
use crate::world::ScenarioWorld;

/// Every step definition, gathered once per process.
fn collection() -> &'static Collection<ScenarioWorld> {
    static COLLECTION: OnceLock<Collection<ScenarioWorld>> = OnceLock::new();
    COLLECTION.get_or_init(ScenarioWorld::collection)
}

/// The step `text` as a `Then` step, in the place of `outer` and with its data
/// table or doc string (so messages name the proof's line).
pub fn then_step(outer: &Step, text: &str) -> Step {
    let mut inner = outer.clone();
    inner.keyword = "Then ".into();
    inner.ty = StepType::Then;
    inner.value = text.to_string();
    inner
}

/// The message a failed step panicked with (a step returning `Err` panics with the
/// error's text).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Why `text` names no single `Then` step: undefined (saying when it is a `Given`
/// or `When` step instead) or ambiguous (naming every definition it matches).
fn not_one_then_step(collection: &Collection<ScenarioWorld>, inner: &Step) -> String {
    let text = &inner.value;
    match collection.find(inner) {
        Ok(Some(_)) => format!("the step {text:?} is defined"),
        Ok(None) => {
            let other = [(StepType::Given, "Given"), (StepType::When, "When")]
                .into_iter()
                .find(|(ty, _)| {
                    let mut step = inner.clone();
                    step.ty = *ty;
                    matches!(collection.find(&step), Ok(Some(_)))
                });
            match other {
                Some((_, keyword)) => format!(
                    "the step {text:?} is a {keyword} step: only assertion (Then) steps are proven able to fail"
                ),
                None => format!(
                    "no Then step matches {text:?}: write the text of an assertion step as the catalogue (docs/steps.md) lists it"
                ),
            }
        }
        Err(e) => format!(
            "the step {text:?} is ambiguous: it matches {}",
            crate::definitions::ambiguous_matches(&e)
        ),
    }
}

/// If `step` is a proof (a `Then` step defined in this file), the definition of
/// the assertion step it names, or why it names no single `Then` step (the dry run
/// and the catalogue read proofs with it).
pub fn proven_definition(
    collection: &Collection<ScenarioWorld>,
    step: &Step,
) -> Option<Result<Location, String>> {
    if step.ty != StepType::Then {
        return None;
    }
    let (_, _, Some(loc), context) = collection.find(step).ok()?? else {
        return None;
    };
    if loc.path != FILE {
        return None;
    }
    let inner = then_step(step, &context.matches.get(1)?.1);
    Some(match collection.find(&inner) {
        Ok(Some((_, _, Some(loc), _))) => Ok(loc),
        _ => Err(not_one_then_step(collection, &inner)),
    })
}

/// Runs the `Then` step `text` (with `outer`'s table or doc string) on `w`; its
/// failure message if it failed, an error if it passed or is not one `Then` step.
pub async fn failure_of(w: &mut ScenarioWorld, outer: &Step, text: &str) -> Result<String> {
    let collection = collection();
    let inner = then_step(outer, text);
    let (step_fn, context) = match collection.find(&inner) {
        Ok(Some((step_fn, _, _, context))) => (step_fn, context),
        _ => bail!("{}", not_one_then_step(collection, &inner)),
    };
    match AssertUnwindSafe(step_fn(w, context)).catch_unwind().await {
        Ok(()) => bail!(
            "the step {text:?} passed: the proof expects it to fail on this state (an assertion step that cannot fail proves nothing)"
        ),
        Err(payload) => Ok(panic_message(payload.as_ref())),
    }
}

/// Keeps the inner step's failure for the report.
fn note(w: &mut ScenarioWorld, text: &str, message: &str) {
    w.notes.push(format!(
        "proof: the step {text:?} failed, as it must:\n{message}"
    ));
}

/// `Then the step "the table ledger_entry holds 3 rows" fails`: the named
/// assertion step must fail here.
#[then(regex = r#"^the step "(.+)" fails$"#)]
async fn step_fails(w: &mut ScenarioWorld, text: String, step: &Step) -> Result<()> {
    let message = failure_of(w, step, &text).await?;
    note(w, &text, &message);
    Ok(())
}

/// 「…」という手順は失敗する: the same proof in a Japanese scenario.
#[then(regex = r"^「(.+)」という手順は失敗する$")]
async fn step_fails_ja(w: &mut ScenarioWorld, text: String, step: &Step) -> Result<()> {
    step_fails(w, text, step).await
}

/// `Then the step "..." fails with "holds 0 rows, not 3"`: the step must fail, and
/// its message must contain `part`.
#[then(regex = r#"^the step "(.+)" fails with "(.+)"$"#)]
async fn step_fails_with(
    w: &mut ScenarioWorld,
    text: String,
    part: String,
    step: &Step,
) -> Result<()> {
    let message = failure_of(w, step, &text).await?;
    if !message.contains(&part) {
        bail!("the step {text:?} failed, but its message does not contain {part:?}:\n{message}");
    }
    note(w, &text, &message);
    Ok(())
}

/// 「…」という手順は「…」というメッセージで失敗する: the same in a Japanese scenario.
#[then(regex = r"^「(.+)」という手順は「(.+)」というメッセージで失敗する$")]
async fn step_fails_with_ja(
    w: &mut ScenarioWorld,
    text: String,
    part: String,
    step: &Step,
) -> Result<()> {
    step_fails_with(w, text, part, step).await
}

/// `Given in the database "consolidation.in_memory=on" only, the table cons_company contains:`:
/// seeds one database of a differential run (named by its setting, as reports
/// show it), so that a proof can make the two runs differ.
#[given(regex = r#"^in the database "([^"]+)" only, the table (\S+) contains:$"#)]
async fn one_database_contains(
    w: &mut ScenarioWorld,
    label: String,
    table: String,
    step: &Step,
) -> Result<()> {
    let rows = data_table(w, step)?;
    let at = origin(w, step);
    let variants = w.variants()?;
    let Some(variant) = variants.iter().find(|v| v.label == label) else {
        let labels: Vec<&str> = variants
            .iter()
            .filter(|v| !v.label.is_empty())
            .map(|v| v.label.as_str())
            .collect();
        if labels.is_empty() {
            bail!(
                "{at}: the scenario has one database; a database named by its setting belongs to @differential(flag) scenarios"
            );
        }
        bail!(
            "{at}: no database of this scenario runs under {label:?}; its databases: {}",
            labels.join(", ")
        );
    };
    seed(&variant.database.db, &table, &rows, &at).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cucumber::gherkin::{Feature, GherkinEnv};

    /// The steps of a one-scenario feature, as a feature file writes them.
    fn steps(lines: &str) -> Vec<Step> {
        let text = format!("Feature: f\n  Scenario: s\n{lines}\n");
        Feature::parse(text, GherkinEnv::default())
            .expect("the feature parses")
            .scenarios
            .remove(0)
            .steps
    }

    fn world() -> ScenarioWorld {
        futures::executor::block_on(<ScenarioWorld as cucumber::World>::new())
            .expect("a world without database")
    }

    #[test]
    fn a_proof_names_the_definition_of_the_step_it_proves() {
        let steps = steps(
            "    Then the step \"the table ledger_entry holds 3 rows\" fails\n\
             \x20   Then the step \"the step \"the table t holds 1 row\" fails\" fails with \"passed\"\n\
             \x20   Then 「the table t holds 1 row」という手順は失敗する\n\
             \x20   Then the table ledger_entry holds 3 rows\n\
             \x20   Given in the database \"f=on\" only, the table t contains:",
        );
        let collection = collection();
        let defined = |step: &Step| proven_definition(collection, step);
        let holds = defined(&steps[0]).expect("a proof").expect("a Then step");
        assert_eq!(
            (holds.path, holds.line > 0),
            (crate::steps::differential::FILE, true)
        );
        let proof = defined(&steps[1]).expect("a proof").expect("a Then step");
        assert_eq!(proof.path, FILE, "a proof of a proof proves the proof step");
        assert_eq!(
            defined(&steps[2]).expect("a proof").expect("a Then step"),
            holds
        );
        assert!(defined(&steps[3]).is_none(), "an assertion is not a proof");
        assert!(
            defined(&steps[4]).is_none(),
            "a Given step of this file is not a proof"
        );
    }

    #[test]
    fn a_proof_of_no_single_then_step_says_why() {
        let steps = steps(
            "    Then the step \"no step reads like this\" fails\n\
             \x20   Then the step \"the table t contains:\" fails",
        );
        let why = |step: &Step| {
            proven_definition(collection(), step)
                .expect("a proof")
                .unwrap_err()
        };
        assert!(why(&steps[0]).contains("no Then step matches \"no step reads like this\""));
        assert!(
            why(&steps[1]).contains("is a Given step"),
            "{}",
            why(&steps[1])
        );
    }

    #[test]
    fn a_proof_passes_only_when_its_step_fails() {
        let mut w = world();
        let steps = steps("    Then the step \"x\" fails");
        // Without a database the step fails: the proof holds, with the step's message.
        let message = futures::executor::block_on(failure_of(
            &mut w,
            &steps[0],
            "the table billing_record holds 0 rows",
        ))
        .expect("the step fails");
        assert!(
            message.contains("the scenario has no database"),
            "{message}"
        );
        // A proof of that failing step passes, so a proof of the proof fails.
        let error = futures::executor::block_on(failure_of(
            &mut w,
            &steps[0],
            "the step \"the table billing_record holds 0 rows\" fails",
        ))
        .expect_err("the inner proof passes");
        assert!(
            error
                .to_string()
                .contains("passed: the proof expects it to fail"),
            "{error}"
        );
    }
}
