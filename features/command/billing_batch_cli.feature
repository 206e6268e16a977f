# The billing batch (seed 003) driven as a program, the way a service not written
# in Rust is tested: only the command step (the program gets the scenario's
# database as DATABASE_URL) and the generic table steps, no step of the billing
# service. The program is `billing-batch` (services/billing/src/cli.rs), built by
# the billing service's registration before the run.
#
# The front's edits of the article's steps 2 to 4 are seeded as they leave the
# table (status 0 active, 1 logically deleted; sources B own batch, F ordinary
# user): B deleted, C corrected from 100,000 to 80,000, D registered at 30,000.
Feature: The billing batch as a command-line program

  Scenario: The article's step 5 through the command line leaves exactly the expected table
    Given the table billing_record contains:
      | person | period  | amount  | status | initial_source | last_source |
      | A      | 2026-11 | 120000  | 0      | B              | B           |
      | B      | 2026-11 | 70000   | 1      | B              | F           |
      | C      | 2026-11 | 80000   | 0      | B              | F           |
      | D      | 2026-11 | 30000   | 0      | F              | F           |
    # second-run.csv: A 120,000  B 70,000  C 100,000  D 50,000  E 45,000
    When the command "billing-batch import fixtures/billing/second-run.csv" runs
    Then it succeeds
    # E is new; A is unchanged; B, C and D were edited at the front and are skipped
    And its output contains "inserted 1, replaced 0, unchanged 1, skipped 3"
    And the table billing_record has exactly:
      | person | amount  | status | initial_source | last_source |
      | A      | 120,000 | 0      | B              | B           |
      | B      | 70,000  | 1      | B              | F           |
      | C      | 80,000  | 0      | B              | F           |
      | D      | 30,000  | 0      | F              | F           |
      | E      | 45,000  | 0      | B              | B           |
    And the table billing_warning has exactly:
      | person | reason     | by_source |
      | B      | deleted    | F         |
      | C      | corrected  | F         |
      | D      | registered | F         |

  Scenario: Running the program again changes nothing
    When the command "billing-batch import fixtures/billing/first-run.csv" runs
    Then it succeeds
    And its output contains "inserted 3, replaced 0, unchanged 0, skipped 0"
    When the command "billing-batch import fixtures/billing/first-run.csv" runs
    Then it succeeds
    And its output contains "inserted 0, replaced 0, unchanged 3, skipped 0"
    And the table billing_record has exactly:
      | person | amount  | status |
      | A      | 120,000 | 0      |
      | B      | 70,000  | 0      |
      | C      | 100,000 | 0      |

  Scenario: A refused input file exits 1, names file and line, and writes nothing
    When the command "billing-batch import fixtures/bad_input/billing/short-line.csv" runs
    Then it exits with code 1
    And it fails with "fixtures/bad_input/billing/short-line.csv:3: 2 fields where the header has 3 (person, period, amount)"
    And the table billing_record has exactly:
      | person |
    And the table billing_batch_run has exactly:
      | id |

  Scenario: A usage error exits 2 and says how to call the program
    When the command "billing-batch import" runs
    Then it exits with code 2
    And it fails with "Usage: billing-batch import"
