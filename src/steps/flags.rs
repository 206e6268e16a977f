//! Feature-flag steps: what an operation reads when it starts, switching a flag,
//! and the refusal of a name no service knows.

/// This file, as step locations name it.
pub const FILE: &str = file!();

use anyhow::{Result, bail, ensure};
use cucumber::{then, when};
use kensho_shared::flag;

use crate::world::ScenarioWorld;

/// Switches the flag `name` in the scenario's database, if a registered service
/// declares it.
async fn set(w: &ScenarioWorld, name: &str, on: bool) -> Result<(), anyhow::Error> {
    let known = w.suite()?.flags();
    let declared = flag::check_known(name, &known)?;
    Ok(flag::set(w.db()?, declared, on).await?)
}

fn on(word: &str) -> bool {
    word == "on"
}

/// `Then the feature flag "ledger.fast_path" is off` (as an operation
/// starting now would read it).
#[then(regex = r#"^the feature flag "([^"]+)" is (on|off)$"#)]
async fn flag_is(w: &mut ScenarioWorld, name: String, state: String) -> Result<()> {
    let known = w.suite()?.flags();
    let declared = flag::check_known(&name, &known)?;
    let is_on = declared.is_on(w.db()?).await?;
    ensure!(
        is_on == on(&state),
        "the feature flag {name} is {}, expected {state}",
        if is_on { "on" } else { "off" }
    );
    Ok(())
}

/// `When the feature flag "ledger.fast_path" is switched on`.
#[when(regex = r#"^the feature flag "([^"]+)" is switched (on|off)$"#)]
async fn switch_flag(w: &mut ScenarioWorld, name: String, state: String) -> Result<()> {
    set(w, &name, on(&state)).await
}

/// `Then switching the feature flag "x" on is refused, naming "known flags: ..."`.
#[then(regex = r#"^switching the feature flag "([^"]+)" (on|off) is refused, naming "([^"]+)"$"#)]
async fn switch_refused(
    w: &mut ScenarioWorld,
    name: String,
    state: String,
    naming: String,
) -> Result<()> {
    match set(w, &name, on(&state)).await {
        Ok(()) => bail!("switching the feature flag {name:?} {state} was accepted"),
        Err(e) => {
            let shown = e.to_string();
            ensure!(
                shown.contains(&naming),
                "the refusal does not name {naming:?}: {shown}"
            );
            Ok(())
        }
    }
}
