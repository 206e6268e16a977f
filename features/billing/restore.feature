# Seed 003 (ステータス管理): the front may restore (復元) a billing record it deleted
# logically. The record is active again with its amount, last updated by the front,
# so a re-run of the batch leaves it alone like any front edit, and its warning says
# why: the record was restored, not corrected.
#
# fixtures/billing/first-run.csv  : A 120,000  B 70,000  C 100,000
# fixtures/billing/second-run.csv : the same, plus D 50,000 and E 45,000
Feature: The front restores a deleted billing record, and a batch re-run says it was restored

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And an ordinary user deletes the billing record of B

  Scenario: A re-run leaves the restored record alone and warns that it was restored
    When the front restores the billing record of B
    And the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    # A and C as the batch wrote them: unchanged; B restored by the front: skipped;
    # D and E new: registered
    Then the last batch run registered 2, replaced 0, left 2 unchanged and skipped 1
    And the last batch run left exactly these warnings:
      | person | reason   | by            |
      | B      | restored | ordinary user |
    And the warning for B reads "not registered 70000 for B (2026-11): the record was restored by the front (ordinary user), which outranks the own batch (line 3)"
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status | initial_source | last_source   |
      | A      | 120,000 | active | own batch      | own batch     |
      | B      |  70,000 | active | own batch      | ordinary user |
      | C      | 100,000 | active | own batch      | own batch     |
      | D      |  50,000 | active | own batch      | own batch     |
      | E      |  45,000 | active | own batch      | own batch     |

  Scenario: A correction after the restore is what the warning names
    Given the front restores the billing record of B
    And an ordinary user corrects the amount of B to 65,000
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then the last batch run left exactly these warnings:
      | person | reason    | by            |
      | B      | corrected | ordinary user |

  Scenario: A record deleted again after its restore is deleted for the batch
    Given the front restores the billing record of B
    And an ordinary user deletes the billing record of B
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then B has no active billing record
    And the last batch run left exactly these warnings:
      | person | reason  | by            |
      | B      | deleted | ordinary user |

  Scenario: An administrator's deletion is not restored by an ordinary user, nor an active record, nor someone never billed
    Given an administrator deletes the billing record of C
    When the step "the front restores the billing record of C" is attempted
    Then it is refused with "refused: the billing record for C (2026-11) was last updated by administrator, which outranks ordinary user; a lower source cannot undo a higher one"
    When the step "the front restores the billing record of A" is attempted
    Then it is refused with "the billing record for A (2026-11) is active; only a logically deleted record can be restored"
    When the step "the front restores the billing record of Z" is attempted
    Then it is refused with "there is no billing record of Z; the persons billed are A, B, C"
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status  | last_source   |
      | A      | 120,000 | active  | own batch     |
      | B      |  70,000 | deleted | ordinary user |
      | C      | 100,000 | deleted | administrator |
