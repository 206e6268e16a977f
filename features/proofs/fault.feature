# Proofs that the fault steps can fail (see features/proofs/tables.feature).
@fault
Feature: Proofs: the fault steps can fail

  Scenario: A batch run that lost its connection did not stop with another error
    Given the billing period is 2026-11
    When the own batch re-runs the billing file "fixtures/fault/billing-first.csv" in chunks of 3 lines and loses its database connection in chunk 2
    Then the step "it stopped with the error "the process was aborted"" fails with "which does not say "the process was aborted""
