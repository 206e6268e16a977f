# A run's inputs are checked before anything starts: every selected feature file
# parsed, the --tags expression, the rerun file, cucumber's --concurrency. A wrong
# input ends the run with exit code 2 (the run could not start) and a message
# naming the file and line, or the option, and the fix; no engine starts (no
# "engines ready"). Exit codes: 0 all passed, 1 a scenario failed, 2 the run could
# not start, 130 interrupted.
#
# A run's lists (rerun.txt, timings.json) go into its own reports folder, with its
# reports: two runs with reports folders side by side keep their own.
#
# Each scenario runs Kensho itself as a program, its output kept in a file under
# target/kensho/runner-reports/inputs/. @serial(runner): the copies of a scenario
# for each engine share those folders, so they take turns.
@serial(runner)
Feature: A run checks its inputs before anything starts, and keeps its lists in its own reports folder

  Scenario: A feature file that does not parse stops the run before any engine starts, with exit code 2
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/inputs && kensho --features fixtures/runner/parse_misspelled.feature --reports target/kensho/runner-reports/inputs/parse > target/kensho/runner-reports/inputs/parse.out 2>&1'" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/inputs/parse.out" contains "kensho: the feature files do not parse (nothing ran):"
    And the file "target/kensho/runner-reports/inputs/parse.out" contains "fixtures/runner/parse_misspelled.feature:3: "Scenaro: The billing period is read" would be read as description text"
    And the file "target/kensho/runner-reports/inputs/parse.out" does not contain "kensho: starting"
    And the file "target/kensho/runner-reports/inputs/parse.out" does not contain "engines ready"
    And the file "target/kensho/runner-reports/inputs/parse/junit.xml" contains "name="The feature file parses""

  Scenario: A tag expression that does not read stops the run before any engine starts, with exit code 2
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/inputs && kensho --features fixtures/runner/clean_quick.feature --tags not --reports target/kensho/runner-reports/inputs/tags > target/kensho/runner-reports/inputs/tags.out 2>&1'" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/inputs/tags.out" contains "invalid value 'not' for '--tags <tagexpr>'"
    And the file "target/kensho/runner-reports/inputs/tags.out" does not contain "engines ready"

  Scenario: A rerun file that is missing stops the run before any engine starts, with exit code 2
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/inputs && kensho --rerun target/kensho/runner-reports/inputs/no-such-rerun.txt --reports target/kensho/runner-reports/inputs/rerun > target/kensho/runner-reports/inputs/rerun.out 2>&1'" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/inputs/rerun.out" contains "the rerun file target/kensho/runner-reports/inputs/no-such-rerun.txt cannot be read"
    And the file "target/kensho/runner-reports/inputs/rerun.out" does not contain "engines ready"

  Scenario: --concurrency 0 is refused, naming the option and what it takes, instead of a run that never ends
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/inputs && kensho --features fixtures/runner/clean_quick.feature --concurrency 0 --reports target/kensho/runner-reports/inputs/concurrency > target/kensho/runner-reports/inputs/concurrency.out 2>&1'" runs within 30 seconds
    Then it exits with code 2
    And the file "target/kensho/runner-reports/inputs/concurrency.out" contains "invalid value '0' for '--concurrency <int>': 0 scenarios at once would never start one; give --concurrency the number of scenarios to run at once: 1 or more"
    And the file "target/kensho/runner-reports/inputs/concurrency.out" does not contain "engines ready"

  Scenario: An unknown service stops the run before any engine starts, with exit code 2
    When the command "sh -c 'mkdir -p target/kensho/runner-reports/inputs && kensho --features fixtures/runner/clean_quick.feature --service nosuch --reports target/kensho/runner-reports/inputs/service > target/kensho/runner-reports/inputs/service.out 2>&1'" runs
    Then it exits with code 2
    And the file "target/kensho/runner-reports/inputs/service.out" contains "--service "nosuch": no such service; give one of the registered:"
    And the file "target/kensho/runner-reports/inputs/service.out" does not contain "engines ready"

  Scenario: Two runs with reports folders side by side keep their own rerun lists
    When the command "kensho --features fixtures/runner/retry_always.feature --reports target/kensho/runner-reports/inputs/lists/failing" runs
    Then it exits with code 1
    When the command "kensho --features fixtures/runner/report_same_names.feature --reports target/kensho/runner-reports/inputs/lists/passing" runs
    Then it succeeds
    And the file "target/kensho/runner-reports/inputs/lists/failing/rerun.txt" contains "fixtures/runner/retry_always.feature:4 @sqlite"
    And the file "target/kensho/runner-reports/inputs/lists/failing/timings.json" contains "fixtures/runner/retry_always.feature:4"
    And the file "target/kensho/runner-reports/inputs/lists/passing/rerun.txt" does not contain ":"
    And the file "target/kensho/runner-reports/inputs/lists/passing/timings.json" does not contain "retry_always"
    # --rerun without a file reads the list of the reports folder it is given.
    When the command "kensho --rerun --reports target/kensho/runner-reports/inputs/lists/failing" runs
    Then it exits with code 1
    And the file "target/kensho/runner-reports/inputs/lists/failing/junit.xml" contains "tests="1" failures="1""
    And the file "target/kensho/runner-reports/inputs/lists/failing/junit.xml" contains "name="Fails every time [sqlite]""
    When the command "kensho --rerun --reports target/kensho/runner-reports/inputs/lists/passing" runs
    Then it succeeds
    And its output contains "lists no failed scenario: nothing to run"
