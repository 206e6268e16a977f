# Seed 000: the 30-day purge used to run as long transactions and blocked photo
# saves (errors, long waits, deadlocks). Saves running while the purge works must all
# succeed within the bound, and the purge must remove exactly the expired trash.
Feature: Photo saves while the purge runs

  Scenario: Concurrent photo saves during the purge all succeed
    Given today is 2026-11-23
    And 10 customers with 20 photos each, 12 of which went to the trash 31 days ago
    And 2 of "顧客000"'s photos went to the trash 10 days ago
    When the purge runs while 4 clients keep saving photos
    Then every save succeeded
    And no save hit a deadlock
    And the p99 save latency is below 1000 ms
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain
