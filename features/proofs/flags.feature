# Proofs that the feature-flag steps can fail (see features/proofs/tables.feature).
Feature: Proofs: the feature-flag steps can fail

  Scenario: A flag nobody switched is not on
    Then the step "the feature flag "consolidation.in_memory" is on" fails with "the feature flag consolidation.in_memory is off, expected on"

  Scenario: Switching a known flag is not refused
    Then the step "switching the feature flag "consolidation.in_memory" on is refused, naming "known flags"" fails with "switching the feature flag "consolidation.in_memory" on was accepted"
