# Feature flags (table feature_flag) are read by every operation when it starts. A
# flag nobody has switched is off, so a release that brings a new flag behaves as
# before until someone switches it on: the in-memory consolidation (seed 002) runs
# only where it was chosen.
Feature: Feature flags are off until someone switches them on

  Scenario: A flag nobody switched is off, and a switch takes effect at once
    Then the feature flag "consolidation.in_memory" is off
    When the feature flag "consolidation.in_memory" is switched on
    Then the feature flag "consolidation.in_memory" is on
    When the feature flag "consolidation.in_memory" is switched off
    Then the feature flag "consolidation.in_memory" is off

  Scenario: A flag name no service reads is refused, naming the known flags
    Then switching the feature flag "consolidation.inmemory" on is refused, naming "known flags: consolidation.in_memory"
    And the table feature_flag has exactly:
      | name | enabled |
