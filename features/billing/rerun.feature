# Seed 003 (モデリング以外のRDB論理設計 ~ ステータス管理編 ~): a billing batch re-run
# after front-office edits must neither resurrect deleted records, nor overwrite
# corrections, nor duplicate records. Amounts are yen.
#
# fixtures/billing/first-run.csv  : A 120,000  B 70,000  C 100,000
# fixtures/billing/second-run.csv : the same, plus D 50,000 and E 45,000 (the lines
#                                   the first input had missed)
Feature: Billing batch re-run with status management

  Background:
    Given the billing period is 2026-11

  Scenario: The article's steps 1 to 5 leave exactly the expected billing table
    # 1. the batch registers A, B and C
    Given the own batch has registered the billing file "fixtures/billing/first-run.csv"
    # 2. the front deletes B's record
    And an ordinary user deletes the billing record of B
    # 3. the front corrects C's amount from 100,000 to 80,000
    And an ordinary user corrects the amount of C to 80,000
    # 4. D's record was missing: the front registers it at 30,000
    And an ordinary user registers a billing record of 30,000 for D
    # 5. D and E are added to the batch input (D's amount there is 50,000) and the batch re-runs
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    # A once; B absent; C once at 80,000; D once at 30,000; E once
    Then the active billing records are exactly:
      | person | amount  |
      | A      | 120,000 |
      | C      |  80,000 |
      | D      |  30,000 |
      | E      |  45,000 |
    And B has no active billing record
    And the last batch run left exactly these warnings:
      | person | reason     | by            |
      | B      | deleted    | ordinary user |
      | C      | corrected  | ordinary user |
      | D      | registered | ordinary user |
    And the last batch run registered 1, replaced 0, left 1 unchanged and skipped 3
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status  | initial_source | last_source   |
      | A      | 120,000 | active  | own batch      | own batch     |
      | B      |  70,000 | deleted | own batch      | ordinary user |
      | C      |  80,000 | active  | own batch      | ordinary user |
      | D      |  30,000 | active  | ordinary user  | ordinary user |
      | E      |  45,000 | active  | own batch      | own batch     |

  Scenario: Running the batch again changes nothing
    Given the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And an ordinary user deletes the billing record of B
    And an ordinary user corrects the amount of C to 80,000
    And an ordinary user registers a billing record of 30,000 for D
    And the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    And the billing table as it stands is noted
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then the billing table is exactly as noted
    And the last batch run registered 0, replaced 0, left 2 unchanged and skipped 3
    And the last batch run left exactly these warnings:
      | person | reason     | by            |
      | B      | deleted    | ordinary user |
      | C      | corrected  | ordinary user |
      | D      | registered | ordinary user |

  Scenario: A corrected input replaces what the batch itself registered
    Given the own batch has registered the billing file "fixtures/billing/first-run.csv"
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then the last batch run registered 2, replaced 0, left 3 unchanged and skipped 0
    And the active billing records are exactly those in "fixtures/billing/pattern-1.csv"
    When the own batch re-runs the billing file "fixtures/billing/third-run.csv"
    # third-run.csv raises A to 125,000; every record is still the batch's own
    Then the last batch run registered 0, replaced 1, left 4 unchanged and skipped 0
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status | initial_source | last_source |
      | A      | 125,000 | active | own batch      | own batch   |
      | B      |  70,000 | active | own batch      | own batch   |
      | C      | 100,000 | active | own batch      | own batch   |
      | D      |  50,000 | active | own batch      | own batch   |
      | E      |  45,000 | active | own batch      | own batch   |

  Scenario: Without status management the re-run gives the article's pattern 1
    Given the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And an ordinary user deletes the billing record of B
    And an ordinary user corrects the amount of C to 80,000
    And an ordinary user registers a billing record of 30,000 for D
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv" under the naive policy "delete and re-register"
    # B resurrected, C's correction overwritten, D at the batch's 50,000
    Then the active billing records are exactly those in "fixtures/billing/pattern-1.csv"
    And the active billing records are not those in "fixtures/billing/expected-after-rerun.csv"

  Scenario: Without status management the re-run gives the article's pattern 2
    Given the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And an ordinary user deletes the billing record of B
    And an ordinary user corrects the amount of C to 80,000
    And an ordinary user registers a billing record of 30,000 for D
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv" under the naive policy "register without deleting"
    # A, C and D twice: the duplicates the article's pattern 2 shows
    Then the active billing records are exactly those in "fixtures/billing/pattern-2.csv"
    And the active billing records are not those in "fixtures/billing/expected-after-rerun.csv"
    And the business invariant "at most one active billing record per person and billing period" is violated
