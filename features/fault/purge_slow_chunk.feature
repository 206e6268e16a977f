# Seed 000: a purge transaction must stay short, so the purge's chunks adapt to how
# long they hold the database: after a quick chunk (under half the time target) the
# next one is twice as large, up to the most; after a chunk that took longer than
# the target the next one is half as large, down to the least. Here the chunks aim
# at 4 seconds, start at 10 photos and grow to at most 80, and chunk 4 stalls for
# 5 seconds (a congested server): its successor is halved.
#
# 6 customers × 60 photos, 50 of each in the trash for 31 days: 300 expired.
# Chunk sizes: 10, 20, 40, 80 (stalls), 40, 80, then the last 30.
@fault
Feature: Purge chunks grow while they are quick and shrink after a slow one

  Background:
    Given today is 2026-11-23
    And 6 customers with 60 photos each, 50 of which went to the trash 31 days ago

  Scenario: Five chunks remove 10 + 20 + 40 + 80 + 40 photos
    When the purge runs aiming at 4 seconds per chunk, in chunks of 10 to 80 photos, and chunk 4 stalls for 5 seconds; it stops after 5 chunks
    Then 190 expired photos are gone and 0 of their keys wait in the deletion queue
    And no orphan bytes or tag rows remain

  Scenario: The whole purge takes seven chunks and removes exactly the expired trash
    When the purge runs aiming at 4 seconds per chunk, in chunks of 10 to 80 photos, and chunk 4 stalls for 5 seconds
    Then the purge took 7 chunks
    And the purge removed 300 photos and 0 customers
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain
