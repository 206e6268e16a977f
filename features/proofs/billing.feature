# Proofs that the billing steps can fail (see features/proofs/tables.feature).
# fixtures/billing/first-run.csv : A 120,000  B 70,000  C 100,000; B is then
# deleted at the front.
Feature: Proofs: the billing steps can fail

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And an ordinary user deletes the billing record of B

  Scenario: A refusal because of an administrator is not one because of an ordinary user
    Given an administrator corrects the amount of C to 90,000
    When an ordinary user tries to correct the amount of C to 70,000
    Then the step "it is refused because the record was last updated by an ordinary user" fails with "refused, but not because it was last updated by ordinary user: refused: the billing record for C (2026-11) was last updated by administrator"

  Scenario: The active records are not those with the deleted one, nor those of a file that has it
    Then the step "the active billing records are exactly:" fails with "missing:    | B | 70,000 |"
      | person | amount  |
      | A      | 120,000 |
      | B      |  70,000 |
      | C      | 100,000 |
    And the step "the active billing records are exactly those in "fixtures/billing/first-run.csv"" fails with "- missing:    | B | 2026-11 | 70000 |"

  Scenario: A deleted record is in the billing table as deleted, not active
    Then the step "the billing table, including logically deleted records, is exactly:" fails with "+ unexpected: | B | 70000 | deleted |"
      | person | amount  | status |
      | A      | 120,000 | active |
      | B      |  70,000 | active |
      | C      | 100,000 | active |

  Scenario: The article's expected table, when it holds, is not "not those"
    Given an ordinary user corrects the amount of C to 80,000
    And an ordinary user registers a billing record of 30,000 for D
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then the step "the active billing records are not those in "fixtures/billing/expected-after-rerun.csv"" fails with "the active billing records are exactly those in fixtures/billing/expected-after-rerun.csv"

  Scenario: A person with an active record has one
    Then the step "A has no active billing record" fails with "A has 1 active billing record(s)"

  Scenario: A re-run's warnings are not other warnings, and its counts not other counts
    When the own batch re-runs the billing file "fixtures/billing/first-run.csv"
    Then the step "the warning for B reads "not registered: no reason"" fails with "expected "not registered: no reason""
    And the step "the last batch run left exactly these warnings:" fails with "- missing:    | B | corrected | ordinary user |"
      | person | reason    | by            |
      | B      | corrected | ordinary user |
    And the step "the last batch run registered 0, replaced 0, left 2 unchanged and skipped 0" fails with "the last batch run registered 0, replaced 0, left 2 unchanged and skipped 1"

  Scenario: A table changed after the note is not as noted
    Given the billing table as it stands is noted
    When an ordinary user corrects the amount of C to 80,000
    Then the step "the billing table is exactly as noted" fails with "the billing table changed"
