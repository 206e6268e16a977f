# Proofs that the object store steps can fail (see features/proofs/tables.feature).
Feature: Proofs: the object store steps can fail

  Scenario: A stored object reads as its bytes, is there, and is listed
    Given the object store holds "customers/1/a.jpg" with the bytes "写真A"
    Then the step "reading "customers/1/a.jpg" from the object store gives "写真B"" fails with "reads as Some("写真A"), expected "写真B""
    And the step "reading "customers/1/a.jpg" from the object store gives nothing" fails with "reads as "写真A", expected nothing"
    And the step "the object store has no object "customers/1/a.jpg"" fails with "the object store has "customers/1/a.jpg""
    And the step "the object store lists "nothing"" fails with "the object store lists ["customers/1/a.jpg"], expected []"

  Scenario: A store that works does not fail
    Given the object store holds "customers/1/a.jpg" with the bytes "写真A"
    Then the step "reading "customers/1/a.jpg" in the object store fails: no reason" fails with "reading "customers/1/a.jpg" was accepted"
    And the step "listing the object store fails: no reason" fails with "listing was accepted"

  Scenario: Keys: one too long is not accepted, a short one not refused
    Then the step "storing bytes under a key of 201 characters is accepted" fails with "the key is 201 characters long, more than 200"
    And the step "storing bytes under a key of 20 characters is refused: the key is too long" fails with "a key of 20 characters was accepted"

  Scenario: Deleting from a store whose folder is a file does not succeed
    Given a file lies where the object store's folder should be
    Then the step "deleting "customers/1/a.jpg" from the object store succeeds" fails with "Not a directory"
