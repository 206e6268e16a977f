# Strict parsing: the runner and the dry run read feature files with Kensho's own
# Gherkin parser (src/gherkin/), which knows every keyword of the official list
# (fixtures/gherkin-languages.json) and names the file, line and reason of every
# problem. Gherkin takes a line it does not recognise under a Feature:, Scenario:
# or Examples: line for description text, so a misspelled keyword would silently
# drop a scenario or a step: a description line that reads like a keyword or a step
# is an error, with the closest keyword. When a file has a problem nothing runs:
# the run exits with code 2 (it could not start).
# The runs whose steps are read back from the output print every step (--verbose).
Feature: Feature files are parsed strictly, in every language

  Scenario: A misspelled "Scenario:" and "Given" are errors naming the line and the closest keyword
    When the command "kensho --features fixtures/runner/parse_misspelled.feature --reports target/kensho/runner-reports/parse_misspelled" runs
    Then it exits with code 2
    And it fails with "kensho: the feature files do not parse (nothing ran):"
    And it fails with "fixtures/runner/parse_misspelled.feature:3: "Scenaro: The billing period is read" would be read as description text, but it reads like a misspelled keyword; closest keyword: "Scenario:"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description"
    And it fails with "fixtures/runner/parse_misspelled.feature:4: "Gven the billing period is 2026-11" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: "Given"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description"
    When the command "kensho --dry-run --features fixtures/runner/parse_misspelled.feature" runs
    Then it exits with code 1
    And it fails with "fixtures/runner/parse_misspelled.feature:3: "Scenaro: The billing period is read" would be read as description text, but it reads like a misspelled keyword; closest keyword: "Scenario:"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description"
    And it fails with "fixtures/runner/parse_misspelled.feature:4: "Gven the billing period is 2026-11" would be read as description text, but it reads like a step with a misspelled keyword; closest keyword: "Given"; write the keyword exactly (keywords are case-sensitive), or reword the line if it is meant as description"

  Scenario: The official Japanese keyword ルール (Rule) opens a rule
    When the command "kensho --verbose --features fixtures/runner/parse_rule_ja.feature --reports target/kensho/runner-reports/parse_rule_ja" runs
    Then it succeeds
    And its output contains "2 scenarios (2 passed)"
    And its output contains "ルール: 請求年月は一つ"
    When the command "kensho --dry-run --features fixtures/runner/parse_rule_ja.feature" runs
    Then it succeeds

  Scenario: The official Japanese keyword 且つ (And) continues the steps
    When the command "kensho --verbose --features fixtures/runner/parse_and_ja.feature --reports target/kensho/runner-reports/parse_and_ja" runs
    Then it succeeds
    And its output contains "1 scenario (1 passed)"
    And its output contains "且つ請求年月は2026-12である"

  Scenario: The official Japanese keyword 然し (But) continues the steps
    When the command "kensho --verbose --features fixtures/runner/parse_but_ja.feature --reports target/kensho/runner-reports/parse_but_ja" runs
    Then it succeeds
    And its output contains "1 scenario (1 passed)"
    And its output contains "然し請求年月は2026-12である"

  Scenario: An empty feature file is an error naming the file and the reason
    When the command "kensho --features fixtures/runner/parse_empty.feature --reports target/kensho/runner-reports/parse_empty" runs
    Then it exits with code 2
    And it fails with "fixtures/runner/parse_empty.feature:1: the file has no feature: it is empty or holds only comments; begin it with "Feature:" and a name"
    When the command "kensho --dry-run --features fixtures/runner/parse_empty.feature" runs
    Then it exits with code 1
    And it fails with "fixtures/runner/parse_empty.feature:1: the file has no feature: it is empty or holds only comments; begin it with "Feature:" and a name"

  Scenario: An unknown escape in a table cell is an error naming the line and the cell
    When the command "kensho --features fixtures/runner/parse_escape.feature --reports target/kensho/runner-reports/parse_escape" runs
    Then it exits with code 2
    And it fails with "fixtures/runner/parse_escape.feature:5: table cell "A\x": "\x" is not an escape in a table cell; write \\ for a backslash, \| for a bar, \n for a new line"
    When the command "kensho --dry-run --features fixtures/runner/parse_escape.feature" runs
    Then it exits with code 1
    And it fails with "fixtures/runner/parse_escape.feature:5: table cell "A\x": "\x" is not an escape in a table cell; write \\ for a backslash, \| for a bar, \n for a new line"
