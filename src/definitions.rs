//! The step definitions as text: which kind of step a line would be. Read by the
//! strict parser, which must not depend on the authoring aids that use it.

use cucumber::codegen::{StepConstructor, WorldInventory, inventory};
use cucumber::gherkin;

use crate::world::ScenarioWorld;

/// The type (`Given`, `When`, `Then`) of the first step definition whose
/// pattern matches `text`, if any: how the strict parser ([`crate::gherkin`])
/// tells a description line that reads like a step.
pub fn defined_step(text: &str) -> Option<gherkin::StepType> {
    macro_rules! find {
        ($ty:ty, $kind:expr) => {
            for step in inventory::iter::<$ty> {
                let (_, regex, _) = step.inner();
                if regex().is_match(text) {
                    return Some($kind);
                }
            }
        };
    }
    find!(
        <ScenarioWorld as WorldInventory>::Given,
        gherkin::StepType::Given
    );
    find!(
        <ScenarioWorld as WorldInventory>::When,
        gherkin::StepType::When
    );
    find!(
        <ScenarioWorld as WorldInventory>::Then,
        gherkin::StepType::Then
    );
    None
}

/// The step definitions an ambiguous step matches, as `regex (file:line)` joined
/// by "and", for the messages of the dry run and of proofs.
pub fn ambiguous_matches(e: &cucumber::step::AmbiguousMatchError) -> String {
    e.possible_matches
        .iter()
        .map(|(re, loc)| match loc {
            Some(l) => format!("{re} ({}:{})", l.path, l.line),
            None => re.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}
