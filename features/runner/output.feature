# What a run prints while it runs (issue 17: no progress, a line per step). Not on
# a terminal (here: the output goes to a file, as in CI) a run says at once what
# starts, then prints one line per finished scenario with its result, engine, time
# and place, and under a failure its failing step in full (the step, where it is,
# the error with the table difference); cucumber's line per step only with
# --verbose. Each scenario runs Kensho itself as a program on a fixture of
# fixtures/runner/. @serial(runner): the copies of a scenario for each engine share
# their files under target/kensho/runner-reports/, so they take turns.
@serial(runner)
Feature: A line per scenario, and every step only when asked for

  Scenario: Not on a terminal, a run prints a line per scenario and a failure's step in full
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/output && kensho --features fixtures/runner/rerun_mixed.feature --reports target/kensho/runner-reports/output/lines > target/kensho/runner-reports/output/lines.out 2>&1'" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/output/lines.out" contains "kensho: starting: building the services' programs while the engines (sqlite) come up"
    And the file "target/kensho/runner-reports/output/lines.out" contains "kensho: running 4 scenarios (sqlite 4)"
    And the file "target/kensho/runner-reports/output/lines.out" contains "PASS  [sqlite]"
    And the file "target/kensho/runner-reports/output/lines.out" contains " s  fixtures/runner/rerun_mixed.feature:8  This one passes"
    And the file "target/kensho/runner-reports/output/lines.out" contains " s  fixtures/runner/rerun_mixed.feature:16  This one fails"
    And the file "target/kensho/runner-reports/output/lines.out" contains "FAIL  [sqlite]"
    And the file "target/kensho/runner-reports/output/lines.out" contains "      step:  Then the table billing_record has exactly:"
    And the file "target/kensho/runner-reports/output/lines.out" contains "      at:    fixtures/runner/rerun_mixed.feature:20 (step definition src/steps/tables.rs:"
    And the file "target/kensho/runner-reports/output/lines.out" contains "      error: fixtures/runner/rerun_mixed.feature:20: table billing_record: the table does not hold exactly the expected rows:"
    And the file "target/kensho/runner-reports/output/lines.out" contains "                 | Z      |"
    # No line per step: cucumber marks each step it prints with ✔ or ✘.
    And the file "target/kensho/runner-reports/output/lines.out" does not contain "✔"
    And the file "target/kensho/runner-reports/output/lines.out" does not contain "Given the table billing_record contains:"
    And the file "target/kensho/runner-reports/output/lines.out" contains "4 scenarios: 2 passed, 2 failed"

  Scenario: With --verbose a run prints every step
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/output && kensho --verbose --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/output/verbose > target/kensho/runner-reports/output/verbose.out 2>&1'" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/output/verbose.out" contains "✔  Given the table billing_record contains:"
    And the file "target/kensho/runner-reports/output/verbose.out" contains "✔  Then the business invariants hold"
    And the file "target/kensho/runner-reports/output/verbose.out" does not contain "PASS  [sqlite]"
    And the file "target/kensho/runner-reports/output/verbose.out" contains "2 scenarios: 2 passed, 0 failed"
