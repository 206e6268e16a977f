# Seed 003, generalised: sources are ranked own batch < transfer batch <
# ordinary user < administrator. A write may replace a record only if its source
# ranks at least as high as the source of the record's last update.
Feature: Source priority of billing records

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"

  Scenario: An administrator's correction survives an ordinary user's batch import
    Given an administrator corrects the amount of C to 90,000
    When an ordinary user registers the billing file "fixtures/billing/second-run.csv"
    Then the active billing records are exactly:
      | person | amount  |
      | A      | 120,000 |
      | B      |  70,000 |
      | C      |  90,000 |
      | D      |  50,000 |
      | E      |  45,000 |
    And the last batch run left exactly these warnings:
      | person | reason    | by            |
      | C      | corrected | administrator |
    And the warning for C reads "not registered 100000 for C (2026-11): the record was corrected by the front (administrator), which outranks the ordinary user (line 4)"
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | initial_source | last_source   |
      | A      | 120,000 | own batch      | ordinary user |
      | B      |  70,000 | own batch      | ordinary user |
      | C      |  90,000 | own batch      | administrator |
      | D      |  50,000 | ordinary user  | ordinary user |
      | E      |  45,000 | ordinary user  | ordinary user |

  Scenario: An ordinary user cannot undo an administrator's correction
    Given an administrator corrects the amount of C to 90,000
    When an ordinary user tries to correct the amount of C to 70,000
    Then it is refused because the record was last updated by an administrator
    When an ordinary user tries to delete the billing record of C
    Then it is refused because the record was last updated by an administrator
    And the active billing records are exactly:
      | person | amount  |
      | A      | 120,000 |
      | B      |  70,000 |
      | C      |  90,000 |

  Scenario: The own batch cannot overwrite what the transfer batch registered
    Given the transfer batch has registered the billing file "fixtures/billing/third-run.csv"
    When the own batch re-runs the billing file "fixtures/billing/second-run.csv"
    Then the last batch run left exactly these warnings:
      | person | reason     | by             |
      | A      | registered | transfer batch |
      | B      | registered | transfer batch |
      | C      | registered | transfer batch |
      | D      | registered | transfer batch |
      | E      | registered | transfer batch |
    And the active billing records are exactly:
      | person | amount  |
      | A      | 125,000 |
      | B      |  70,000 |
      | C      | 100,000 |
      | D      |  50,000 |
      | E      |  45,000 |
