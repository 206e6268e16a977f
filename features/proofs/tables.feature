# Proofs that the generic table steps can fail: each scenario sets up a state and
# asserts something wrong about it inside `Then the step "..." fails`, which passes
# only if the named assertion step fails on that state (src/steps/proof.rs). The
# catalogue (docs/steps.md) names the proof of every assertion step.
Feature: Proofs: the generic table and database steps can fail

  Background:
    Given the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | A      | 2026-11 | 80000  | 0      | B              | B           |
      | B      | 2026-11 | 30000  | 1      | F              | F           |

  Scenario: A table with a row more than written is not "exactly" the rows written
    Then the step "the table billing_record has exactly:" fails with "the table does not hold exactly the expected rows"
      | person | amount |
      | A      | 80,000 |

  Scenario: A row the table does not hold is not included
    Then the step "the table billing_record includes:" fails with "the table does not include every expected row"
      | person | amount |
      | A      | 90,000 |

  Scenario: A row the table holds is not among "none of"
    Then the step "the table billing_record has none of:" fails with "the table holds rows that should be absent"
      | person | status |
      | B      | 1      |

  Scenario: Two active records of one person and period break the billing invariant
    Given the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | A      | 2026-11 | 1000   | 0      | F              | F           |
    Then the step "the business invariants hold" fails with "at most one active billing record per person and billing period (billing_record; 1 offending)"
    And the business invariant "at most one active billing record per person and billing period" is violated

  Scenario: An invariant that holds is not violated
    Then the step "the business invariant "at most one active billing record per person and billing period" is violated" fails with "holds; the scenario expects it violated"

  Scenario: Rows that seed cleanly are not refused
    Then the step "seeding the table "billing_record" is refused, naming "row 1":" fails with "seeding "billing_record" was accepted (1 rows written)"
      | person | period  | amount | status | initial_source | last_source |
      | C      | 2026-11 | 100    | 0      | B              | B           |

  Scenario: A table seeded after the note is not as noted
    Given every table as it stands is noted
    And the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | C      | 2026-11 | 100    | 0      | B              | B           |
    Then the step "every table is exactly as noted" fails with "table billing_record, key (3): row only in now"

  Scenario: A table of two rows does not hold three
    Then the step "the table billing_record holds 3 rows" fails with "the table billing_record holds 2 rows, not 3"

  # The runner ends this scenario with the same comparison: the off database gets
  # the row too before it ends.
  @differential(consolidation.in_memory)
  Scenario: Differential runs whose tables differ are not identical
    Given in the database "consolidation.in_memory=on" only, the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | C      | 2026-11 | 100    | 0      | B              | B           |
    Then the step "the differential runs hold identical tables" fails with "table billing_record, key (3): row only in consolidation.in_memory=on"
    Given in the database "consolidation.in_memory=off" only, the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | C      | 2026-11 | 100    | 0      | B              | B           |
