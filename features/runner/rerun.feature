# Running again what failed (as Cucumber-JVM's rerun: formatter, cucumber-js's
# @rerun.txt, behave's -f rerun): every run writes rerun.txt into its reports
# folder (target/kensho/reports/rerun.txt by default), one failed
# scenario a line as path:line and its engines, and --rerun FILE runs exactly
# those. Each scenario runs Kensho itself as a program on
# fixtures/runner/rerun_mixed.feature. @serial(runner): the copies of a scenario
# for each engine share target/kensho/runner-reports/, so they take turns.
@serial(runner)
Feature: Running again the scenarios that failed

  Scenario: A run lists its failed scenarios, and --rerun runs exactly those
    When the command "kensho --features fixtures/runner/rerun_mixed.feature --reports target/kensho/runner-reports/rerun/reports" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "tests="4" failures="2""
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" contains "fixtures/runner/rerun_mixed.feature:16 @sqlite"
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" contains "fixtures/runner/rerun_mixed.feature:36 @sqlite"
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" does not contain ":8 "
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" does not contain ":35 "
    # The rerun reads the feature files the list names, and runs only its lines.
    When the command "kensho --rerun target/kensho/runner-reports/rerun/reports/rerun.txt --reports target/kensho/runner-reports/rerun/reports" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "tests="2" failures="2""
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "name="This one fails [sqlite]" time="
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "name="Row D expects X [sqlite]" time="
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" does not contain "This one passes"
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" contains "fixtures/runner/rerun_mixed.feature:36 @sqlite"

  Scenario: A run where nothing failed leaves an empty list, and its rerun runs nothing
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/rerun/reports" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/rerun/reports/rerun.txt" does not contain ":"
    When the command "kensho --rerun target/kensho/runner-reports/rerun/reports/rerun.txt --reports target/kensho/runner-reports/rerun/reports" runs
    Then it succeeds
    And its output contains "lists no failed scenario: nothing to run"

  Scenario: A rerun list written by hand runs its scenario on its engine
    When the command "kensho --rerun fixtures/runner/rerun_by_hand.txt --reports target/kensho/runner-reports/rerun/reports" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "tests="1" failures="0""
    And the file "target/kensho/runner-reports/rerun/reports/junit.xml" contains "name="This one passes [sqlite]" time="

  Scenario: A rerun list that no longer matches the features runs nothing and says which line
    When the command "kensho --rerun fixtures/runner/rerun_stale.txt --reports target/kensho/runner-reports/rerun/reports" runs
    Then it exits with code 2
    And it fails with "fixtures/runner/rerun_stale.txt: fixtures/runner/rerun_mixed.feature:3 names no scenario (the feature file changed since the run that wrote it?): run the whole suite, or correct the line"
