# Proofs of the proof steps themselves (src/steps/proof.rs): a proof fails when the
# step it names passes, when it fails for another reason than the one named, and
# when the text names no assertion step.
Feature: Proofs: a proof fails unless the step it names fails

  Scenario: A proof of a step that fails passes
    Then the step "the table billing_record holds 1 row" fails
    And 「the table billing_record holds 1 row」という手順は失敗する

  Scenario: A proof of a step that passes fails
    Then the step "the step "the table billing_record holds 0 rows" fails" fails with "the step "the table billing_record holds 0 rows" passed: the proof expects it to fail"
    And 「「the table billing_record holds 0 rows」という手順は失敗する」という手順は「the step "the table billing_record holds 0 rows" passed」というメッセージで失敗する

  Scenario: A proof that names another reason fails
    Then the step "the step "the table billing_record holds 1 row" fails with "holds 5 rows"" fails with "failed, but its message does not contain "holds 5 rows":"
    And the step "「the table billing_record holds 1 row」という手順は「holds 5 rows」というメッセージで失敗する" fails with "failed, but its message does not contain "holds 5 rows":"

  Scenario: A proof of a text that is no assertion step fails
    Then the step "the step "no step reads like this" fails" fails with "no Then step matches "no step reads like this""
    And the step "the step "the billing period is 2026-11" fails" fails with "the step "the billing period is 2026-11" is a Given step"
