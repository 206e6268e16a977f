# Clean ends (seed of the issue "A green that never lies"): a run leaves nothing
# behind, however it ends — out of time, interrupted, or killed. Each scenario runs
# Kensho itself as a program through fixtures/runner/clean_kensho.sh (with
# --verbose where a step's line in its output is the cue to interrupt it), on the
# scenario's own engine: PostgreSQL and MariaDB on the server of the scenario's
# database, given by URL (the server this suite runs on: its own databases are a
# concurrent run's there, which nothing may touch); SQLite in a folder of the
# scenario's own under target/kensho/runner-sqlite/. What a run left is what the
# next run removes and names ("... left by ended runs"): a check run, its errors
# kept in a file, says it left nothing.
#
# @serial(runner): a run removes what ended runs left on its server, and the
# copies of a scenario for each engine share their folders, so these runs of
# Kensho go one at a time (beside the other scenarios, which are a running run's).
@serial(runner)
Feature: A run that leaves nothing behind

  Scenario: A step still running when the scenario's time is up is stopped, and the scenario fails naming it
    When the command "sh fixtures/runner/clean_kensho.sh clean-timeout --features fixtures/runner/clean_hung.feature --scenario-timeout 2" runs
    Then it exits with code 1
    And its output contains "out of time: the scenario's time limit of 2 s passed while this step was running, and it was stopped: When the command "sleep 30" runs (fixtures/runner/clean_hung.feature:9)"
    And its output contains "1 scenarios: 0 passed, 1 failed"
    And its output contains "kept database"
    # The failure's database was kept for inspection: the next run removes it.
    When the command "sh fixtures/runner/clean_kensho.sh clean-timeout --features fixtures/runner/clean_quick.feature" runs
    Then it succeeds
    And its output contains "left by ended runs: "

  Scenario: Interrupted, a run lets the running scenarios finish, starts no other, reports, cleans up and exits 130
    When the command "sh fixtures/runner/clean_kensho.sh clean-interrupt --verbose --features fixtures/runner/clean_slow.feature --concurrency 2" runs and is interrupted once its output shows "Then it succeeds"
    Then it exits with code 130
    And its output contains "SIGINT: stopping: no further scenario starts"
    And its output contains "2 scenarios: 2 passed, 0 failed"
    And its output contains "INTERRUPTED: 2 scenarios finished before the run stopped; 1 scenario did not start"
    And its output contains "2 scenarios (2 passed)"
    And the file "target/kensho/runner-reports/clean-interrupt/junit.xml" contains "The scenario that is running"
    And the file "target/kensho/runner-reports/clean-interrupt/junit.xml" contains "The scenario that ends first"
    And the file "target/kensho/runner-reports/clean-interrupt/junit.xml" does not contain "The scenario that waits for its turn"
    And there is no file "target/kensho/runner-reports/clean-interrupt/STALE"
    When the command "sh -c 'sh fixtures/runner/clean_kensho.sh clean-interrupt --features fixtures/runner/clean_quick.feature > target/kensho/runner-reports/clean-interrupt.check'" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/clean-interrupt.check" contains "1 scenarios: 1 passed, 0 failed"
    And the file "target/kensho/runner-reports/clean-interrupt.check" does not contain "left by ended runs"

  Scenario: Interrupted twice, a run stops the running scenario too, cleans up and exits 130
    When the command "sh fixtures/runner/clean_kensho.sh clean-abort --verbose --features fixtures/runner/clean_hung.feature" runs and is interrupted once its output shows "Then it succeeds", then again once it shows "no further scenario starts"
    Then it exits with code 130
    And its output contains "SIGINT again: stopping the running scenarios now"
    And its output contains "INTERRUPTED: 0 scenarios finished before the run stopped; 1 scenario stopped while running (counted neither passed nor failed)"
    When the command "sh -c 'sh fixtures/runner/clean_kensho.sh clean-abort --features fixtures/runner/clean_quick.feature > target/kensho/runner-reports/clean-abort.check'" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/clean-abort.check" contains "1 scenarios: 1 passed, 0 failed"
    And the file "target/kensho/runner-reports/clean-abort.check" does not contain "left by ended runs"

  Scenario: After a kill -9, the next run removes what the killed run left, says so, and touches nothing of a running run
    Given the table billing_record contains:
      | person | period  | amount | status | initial_source | last_source |
      | A      | 2026-11 | 100    | 0      | B              | B           |
    When the command "sh fixtures/runner/clean_kensho.sh clean-killed --verbose --features fixtures/runner/clean_hung.feature" runs and is killed once its output shows "Then it succeeds"
    And the command "sh fixtures/runner/clean_kensho.sh clean-killed --features fixtures/runner/clean_quick.feature" runs
    Then it succeeds
    And its output contains "left by ended runs: "
    # This scenario's own database, on the same server, belongs to a running run.
    And the table billing_record has exactly:
      | person | amount |
      | A      | 100    |
