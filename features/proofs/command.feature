# Proofs that the command steps can fail (see features/proofs/tables.feature): the
# billing batch program refuses a file (exit code 1) or imports one (exit code 0).
Feature: Proofs: the command steps can fail

  Scenario: A program that exits with 1 did not succeed, nor exit with 0
    When the command "billing-batch import fixtures/bad_input/billing/short-line.csv" runs
    Then the step "it succeeds" fails with "the command did not succeed"
    And the step "it exits with code 0" fails with "the command exited with 1, expected 0"
    And the step "it fails with "the database is unreachable"" fails with "the command failed, but its standard error does not contain "the database is unreachable""

  Scenario: A program that succeeds did not fail, nor print what it did not print, nor run out of time
    When the command "billing-batch import fixtures/billing/first-run.csv" runs
    Then the step "it fails with "short-line.csv"" fails with "the command was expected to fail, but it succeeded"
    And the step "its output contains "inserted 9"" fails with "the output of the command does not contain "inserted 9""
    And the step "it runs out of time" fails with "the command finished within its time limit"

  # The password checks themselves are shown failing on PostgreSQL and MariaDB by
  # features/runner/secrets.feature (their URLs carry passwords; SQLite's has none):
  # with the masking of programs' output removed, its file checks fail there.
  Scenario: A file that is not there is not taken for one that shows no password
    Then the step "the file "target/kensho/proofs/no-such-report.xml" shows no password of the scenario's database" fails with "cannot read the file target/kensho/proofs/no-such-report.xml"
