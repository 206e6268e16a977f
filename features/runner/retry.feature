# Running a failed scenario again (`--retry N`, cucumber's own runner option; seed
# of issue 17): only failed scenarios run again, each attempt in a fresh database;
# the last attempt counts, once. A scenario that passes on a retry is flaky: the
# run passes (unless --fail-on-flaky) and the summary names it; JUnit shows each
# scenario once, its earlier failures as <flakyFailure> (passed in the end) or
# <rerunFailure> (failed every time), as Maven Surefire, quick-junit and nextest
# write them. Each scenario runs Kensho itself as a program on a fixture of
# fixtures/runner/: retry_flaky.feature fails on its first attempt in a run and
# passes on the next (fail_once.sh keeps a marker per run of Kensho, which no World
# resets, and checks that the retry got another database), retry_always.feature
# fails every time. @serial(runner): the copies of a scenario for each engine share
# their folders under target/kensho/runner-reports/, so they take turns.
@serial(runner)
Feature: Running a failed scenario again

  Scenario: A scenario that passes on its retry is flaky: the run passes, and JUnit shows it once with its failure
    When the command "sh -c 'kensho --features fixtures/runner/retry_flaky.feature --retry 1 --reports target/kensho/runner-reports/retry/flaky 2>&1'" runs
    Then it succeeds
    And its output contains "RETRY [sqlite]"
    And its output contains "fixtures/runner/retry_flaky.feature:7  Fails once, then passes  (attempt 1 of 2 failed; it runs again)"
    And its output contains "FLAKY [sqlite]"
    And its output contains "1 scenarios: 1 passed, 0 failed, 1 flaky (passed on a retry)"
    And its output contains "[sqlite] "Fails once, then passes" (fixtures/runner/retry_flaky.feature:7): passed on attempt 2 after 1 failed"
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" contains "tests="1" failures="0" errors="0" skipped="0""
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" contains "<flakyFailure message="Then it succeeds (line 12): the command did not succeed:" type="assertion""
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" contains "<stackTrace>Then it succeeds (line 12)"
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" contains "the first attempt in this run fails on purpose"
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" does not contain "<failure"
    And the file "target/kensho/runner-reports/retry/flaky/junit.xml" does not contain "rerunFailure"
    And the file "target/kensho/runner-reports/retry/flaky/report.html" contains "不安定 flaky: passed on attempt 2 after 1 failed"

  Scenario: With --fail-on-flaky a scenario that passed only on its retry fails the run
    When the command "sh -c 'kensho --features fixtures/runner/retry_flaky.feature --retry 1 --fail-on-flaky --reports target/kensho/runner-reports/retry/strict 2>&1'" runs
    Then it exits with code 1
    And its output contains "1 scenarios: 1 passed, 0 failed, 1 flaky (passed on a retry)"
    And its output contains "--fail-on-flaky fails the run for them"

  Scenario: A scenario that fails on every attempt is one failure, its earlier attempts rerunFailure
    When the command "sh -c 'kensho --features fixtures/runner/retry_always.feature --retry 2 --reports target/kensho/runner-reports/retry/always 2>&1'" runs
    Then it exits with code 1
    And its output contains "attempt 2 of 3 failed; it runs again"
    And its output contains "Fails every time  (failed on all 3 attempts)"
    And its output contains "1 scenarios: 0 passed, 1 failed;"
    And its output contains "isolated databases: 3 handed out"
    And the file "target/kensho/runner-reports/retry/always/junit.xml" contains "tests="1" failures="1" errors="0" skipped="0""
    And the file "target/kensho/runner-reports/retry/always/junit.xml" contains "<rerunFailure message="Then it succeeds (line 6): the command did not succeed:" type="assertion""
    And the file "target/kensho/runner-reports/retry/always/junit.xml" does not contain "flakyFailure"
    And the file "target/kensho/runner-reports/retry/always/rerun.txt" contains "fixtures/runner/retry_always.feature:4 @sqlite"

  Scenario: Without --retry a failed scenario runs once
    When the command "sh -c 'kensho --features fixtures/runner/retry_flaky.feature --reports target/kensho/runner-reports/retry/once 2>&1'" runs
    Then it exits with code 1
    And its output contains "1 scenarios: 0 passed, 1 failed;"
    And the file "target/kensho/runner-reports/retry/once/junit.xml" contains "tests="1" failures="1""
    And the file "target/kensho/runner-reports/retry/once/junit.xml" does not contain "flakyFailure"
