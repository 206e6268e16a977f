# Seed 003, under faults: the billing batch commits one chunk of input lines per
# transaction. A run that stops part-way (its database connection lost in the middle
# of a chunk, or its process aborted between two chunks) is completed by running the
# same input again, and then the billing table, the warnings and the run's counts are
# exactly what one uninterrupted run leaves: nothing lost, nothing twice.
#
# fixtures/fault/billing-first.csv : P01 to P10, P0n at n × 10,000 (P10 100,000)
# fixtures/fault/billing-rerun.csv : the same with P03 at 33,000, plus P11 110,000 and
#                                    P12 120,000; in chunks of 3 lines:
#   chunk 1 (lines 2-4)   P01 unchanged, P02 skipped (deleted), P03 replaced
#   chunk 2 (lines 5-7)   P04 unchanged, P05 skipped (corrected), P06 unchanged
#   chunk 3 (lines 8-10)  P07 unchanged, P08 skipped (corrected), P09 unchanged
#   chunk 4 (lines 11-13) P10 unchanged, P11 skipped (registered), P12 registered
@fault
Feature: An interrupted billing batch run is completed by running it again

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/fault/billing-first.csv"
    And an ordinary user deletes the billing record of P02
    And an ordinary user corrects the amount of P05 to 55,555
    And an ordinary user corrects the amount of P08 to 88,888
    And an administrator registers a billing record of 115,000 for P11

  Scenario: An uninterrupted re-run, for comparison
    When the own batch re-runs the billing file "fixtures/fault/billing-rerun.csv"
    Then the last batch run registered 1, replaced 1, left 6 unchanged and skipped 4
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status  | initial_source | last_source   |
      | P01    |  10,000 | active  | own batch      | own batch     |
      | P02    |  20,000 | deleted | own batch      | ordinary user |
      | P03    |  33,000 | active  | own batch      | own batch     |
      | P04    |  40,000 | active  | own batch      | own batch     |
      | P05    |  55,555 | active  | own batch      | ordinary user |
      | P06    |  60,000 | active  | own batch      | own batch     |
      | P07    |  70,000 | active  | own batch      | own batch     |
      | P08    |  88,888 | active  | own batch      | ordinary user |
      | P09    |  90,000 | active  | own batch      | own batch     |
      | P10    | 100,000 | active  | own batch      | own batch     |
      | P11    | 115,000 | active  | administrator  | administrator |
      | P12    | 120,000 | active  | own batch      | own batch     |
    And the table billing_warning has exactly:
      | run_id | line_no | person | reason     | by_source |
      | 2      | 3       | P02    | deleted    | F         |
      | 2      | 6       | P05    | corrected  | F         |
      | 2      | 9       | P08    | corrected  | F         |
      | 2      | 12      | P11    | registered | A         |
    And the table billing_batch_run has exactly:
      | id | inserted | replaced | unchanged | skipped | lines_done | finished |
      | 1  | 10       | 0        | 0         | 0       | 10         | 1        |
      | 2  | 1        | 1        | 6         | 4       | 12         | 1        |

  Scenario Outline: <what>; running the same input again completes the run
    When the own batch re-runs the billing file "fixtures/fault/billing-rerun.csv" in chunks of 3 lines and <fault>
    Then it stopped with the error "<error>"
    # the chunks before the fault committed; the rest did not
    And the table billing_batch_run has exactly:
      | id | lines_done | finished |
      | 1  | 10         | 1        |
      | 2  | <done>     | 0        |
    When the own batch re-runs the billing file "fixtures/fault/billing-rerun.csv"
    Then the last batch run registered 1, replaced 1, left 6 unchanged and skipped 4
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status  | initial_source | last_source   |
      | P01    |  10,000 | active  | own batch      | own batch     |
      | P02    |  20,000 | deleted | own batch      | ordinary user |
      | P03    |  33,000 | active  | own batch      | own batch     |
      | P04    |  40,000 | active  | own batch      | own batch     |
      | P05    |  55,555 | active  | own batch      | ordinary user |
      | P06    |  60,000 | active  | own batch      | own batch     |
      | P07    |  70,000 | active  | own batch      | own batch     |
      | P08    |  88,888 | active  | own batch      | ordinary user |
      | P09    |  90,000 | active  | own batch      | own batch     |
      | P10    | 100,000 | active  | own batch      | own batch     |
      | P11    | 115,000 | active  | administrator  | administrator |
      | P12    | 120,000 | active  | own batch      | own batch     |
    And the table billing_warning has exactly:
      | run_id | line_no | person | reason     | by_source |
      | 2      | 3       | P02    | deleted    | F         |
      | 2      | 6       | P05    | corrected  | F         |
      | 2      | 9       | P08    | corrected  | F         |
      | 2      | 12      | P11    | registered | A         |
    And the table billing_batch_run has exactly:
      | id | inserted | replaced | unchanged | skipped | lines_done | finished |
      | 1  | 10       | 0        | 0         | 0       | 10         | 1        |
      | 2  | 1        | 1        | 6         | 4       | 12         | 1        |

    Examples:
      | what                                                | fault                                    | error                                                          | done |
      | The connection drops in the middle of chunk 3       | loses its database connection in chunk 3 | the connection was lost while committing a billing batch chunk | 6    |
      | The run is aborted between chunk 1 and chunk 2      | is aborted after chunk 1                 | aborted after its commit number 1                              | 3    |
      | The run is aborted after its last chunk             | is aborted after chunk 4                 | aborted after its commit number 4                              | 12   |

  # The file is exported again under the same name before the re-run, now with
  # the lines of fixtures/fault/billing-rerun-changed.csv: P01 at 11,000, P03 at
  # 34,000 and P12 at 125,000. A run is resumed only by the input it started with:
  # the changed file starts a run of its own from its first line, and the stopped
  # run stays as it stopped.
  Scenario: A file changed after an interrupted run starts a new run from its first line
    When the own batch re-runs the billing file "fixtures/fault/billing-rerun.csv" in chunks of 3 lines and is aborted after chunk 1
    Then it stopped with the error "aborted after its commit number 1"
    When the own batch re-runs the billing file "fixtures/fault/billing-rerun.csv", which now holds the lines of "fixtures/fault/billing-rerun-changed.csv"
    Then the last batch run registered 1, replaced 2, left 5 unchanged and skipped 4
    And the billing table, including logically deleted records, is exactly:
      | person | amount  | status  | initial_source | last_source   |
      | P01    |  11,000 | active  | own batch      | own batch     |
      | P02    |  20,000 | deleted | own batch      | ordinary user |
      | P03    |  34,000 | active  | own batch      | own batch     |
      | P04    |  40,000 | active  | own batch      | own batch     |
      | P05    |  55,555 | active  | own batch      | ordinary user |
      | P06    |  60,000 | active  | own batch      | own batch     |
      | P07    |  70,000 | active  | own batch      | own batch     |
      | P08    |  88,888 | active  | own batch      | ordinary user |
      | P09    |  90,000 | active  | own batch      | own batch     |
      | P10    | 100,000 | active  | own batch      | own batch     |
      | P11    | 115,000 | active  | administrator  | administrator |
      | P12    | 125,000 | active  | own batch      | own batch     |
    And the table billing_warning has exactly:
      | run_id | line_no | person | reason     | by_source |
      | 2      | 3       | P02    | deleted    | F         |
      | 3      | 3       | P02    | deleted    | F         |
      | 3      | 6       | P05    | corrected  | F         |
      | 3      | 9       | P08    | corrected  | F         |
      | 3      | 12      | P11    | registered | A         |
    And the table billing_batch_run has exactly:
      | id | inserted | replaced | unchanged | skipped | lines_done | finished |
      | 1  | 10       | 0        | 0         | 0       | 10         | 1        |
      | 2  | 0        | 1        | 1         | 1       | 3          | 0        |
      | 3  | 1        | 2        | 5         | 4       | 12         | 1        |
