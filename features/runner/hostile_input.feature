# Hostile input: input past one of Kensho's limits (src/gherkin/limits.rs, listed
# in the README) is refused before any engine starts, with the file, the line and
# the limit, and the run exits with code 2. Each scenario runs Kensho itself as a
# program through fixtures/runner/hostile_input.sh, which writes the input (too big
# to keep in the repository) and keeps Kensho's output in a file.
#
# @serial(runner): the copies of a scenario for each engine share the files.
@serial(runner)
Feature: Input past Kensho's limits is refused up front

  Scenario: A feature file with a line over 32 KiB is refused, naming the file, the line and the limit
    When the command "sh fixtures/runner/hostile_input.sh long-line" runs
    Then it exits with code 2
    And its output contains "kensho: target/kensho/runner-hostile/long_line.feature:5: the line is 40006 bytes long, over the limit of 32 KiB for a line of a feature file; break it up"
    And its output contains "(nothing ran)"
    And the file "target/kensho/runner-hostile/long-line.out" does not contain "kensho: starting"
    And the file "target/kensho/runner-hostile/long-line.out" does not contain "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

  Scenario: A tag expression nested 60,000 deep is refused with a message, not a stack overflow
    When the command "sh fixtures/runner/hostile_input.sh deep-tags" runs
    Then it exits with code 2
    And its output contains "kensho: --tags: the tag expression "(((((((((("
    And its output contains "nests 60000 deep (parentheses plus operators), over the limit of 64; write a shorter expression"
    And the file "target/kensho/runner-hostile/deep-tags.out" does not contain "kensho: starting"
