# Proofs that the bad-input steps can fail (see features/proofs/tables.feature).
Feature: Proofs: the bad-input steps can fail

  Scenario: An accepted import is not refused
    When the file "fixtures/billing/first-run.csv" is imported as the billing input
    Then the step "it is refused with "fixtures/billing/first-run.csv:2: anything"" fails with "the import was accepted"

  Scenario: A refused import is not accepted
    When the file "fixtures/bad_input/billing/short-line.csv" is imported as the billing input
    Then the step "it is accepted" fails with "it was refused: fixtures/bad_input/billing/short-line.csv:3: 2 fields where the header has 3"

  Scenario: The dry run of a file with a misspelt tag does not report nothing, nor another problem
    Given a feature file "$TMP/tagged.feature" whose scenario is tagged "@slwo"
    Then the step "the dry run of "$TMP/tagged.feature" reports nothing" fails with "closest known tag: @slow"
    And the step "the dry run of "$TMP/tagged.feature" reports "$TMP/tagged.feature:3: unknown tag "@slow""" fails with "unknown tag \"@slwo\"; closest known tag: @slow"
