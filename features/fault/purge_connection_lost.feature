# Seed 000, under faults: each purge chunk is one short transaction that deletes the
# chunk's rows and tag rows and queues their keys; the bytes go only after the
# commit. When the database connection drops after a chunk's deletes and before its
# commit, the database rolls the chunk back: its photos, tag rows and bytes are all
# still there, nothing is queued, and the next run finishes the purge.
#
# 6 customers × 20 photos: 15 each in the trash for 31 days (90 expired), 5 each
# outside it, and 3 of 顧客001's in the trash for only 5 days (kept).
@fault
Feature: A purge that loses its database connection is finished by the next run

  Background:
    Given today is 2026-11-23
    And 6 customers with 20 photos each, 15 of which went to the trash 31 days ago
    And 3 of "顧客001"'s photos went to the trash 5 days ago

  Scenario: The connection drops after a chunk's deletes, before its commit
    When the purge runs in chunks of 20 photos and loses its database connection in chunk 2
    Then the purge stopped with the error "the connection was lost while committing a purge chunk"
    # chunk 1 committed and its bytes are gone; chunk 2 rolled back whole
    And 20 expired photos are gone and 0 of their keys wait in the deletion queue
    And no orphan bytes or tag rows remain
    When the purge runs
    Then the purge removed 70 photos and 0 customers
    And all expired trash is gone and nothing else
    And "顧客001" still has 5 photos
    And no orphan bytes or tag rows remain
