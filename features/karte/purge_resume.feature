# Seed 000: the purge must be resumable. A run may stop part-way (a bounded run, or
# the object storage failing after a chunk's rows are deleted); the next run
# finishes the job: all expired trash gone, nothing else, no orphan bytes.
Feature: Resuming an interrupted purge

  Background:
    Given today is 2026-11-23
    And 6 customers with 20 photos each, 15 of which went to the trash 31 days ago
    And 3 of "顧客001"'s photos went to the trash 5 days ago

  Scenario: A bounded purge run stops after its chunks; the next run goes on
    When the purge runs for at most 1 chunk
    Then 50 expired photos are gone and 0 of their keys wait in the deletion queue
    When the purge runs
    Then the purge removed 40 photos and 0 customers
    And the purge deleted the bytes of 40 stored objects
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain

  Scenario: Bytes left behind when the object storage failed are deleted by the next run
    When the purge runs while the object storage refuses deletions
    Then the purge stopped with the error "the object storage is unreachable"
    And 50 expired photos are gone and 50 of their keys wait in the deletion queue
    When the purge runs
    Then the purge removed 40 photos and 0 customers
    # the 50 keys left queued by the failed run, then the 40 photos purged now
    And the purge deleted the bytes of 90 stored objects
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain
