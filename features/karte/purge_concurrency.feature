# Seed 000: the 30-day purge used to run as long transactions and blocked photo
# saves and updates (errors, long waits, deadlocks). Saves and updates running while
# the purge works must all succeed within the bound, and the purge must remove
# exactly the expired trash: never something younger, never something restored.
#
# The step that runs the purge beside the clients runs alone: it waits until the
# other running scenarios end and none starts until its scenario ends, so other
# scenarios' load does not count against the latency bounds (the photos are
# seeded beside the other scenarios).
Feature: Photo saves and updates while the purge runs

  Scenario: Concurrent photo saves during the purge all succeed
    Given today is 2026-11-23
    And 40 customers with 100 photos each, 75 of which went to the trash 31 days ago
    And 2 of "顧客000"'s photos went to the trash 10 days ago
    When the purge runs while 4 clients keep saving and updating photos
    Then every save succeeded
    And every update succeeded
    And no save hit a deadlock
    And no update hit a deadlock
    And the p99 save latency is below 1000 ms
    And the p99 update latency is below 1000 ms
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain

  Scenario: Restores racing the purge: a restore that commits first keeps its photo
    Given today is 2026-11-23
    And 10 customers with 20 photos each, 12 of which went to the trash 31 days ago
    When the purge runs while the expired photos of 5 customers are being restored
    Then every photo whose restore committed is still there, out of the trash
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain

  # The large variant: `cargo run -- --slow --tags @slow` (left out of the default run).
  @slow
  Scenario: Concurrent photo saves during a large purge all succeed
    Given today is 2026-11-23
    And 100 customers with 100 photos each, 60 of which went to the trash 31 days ago
    And 20 of "顧客000"'s photos went to the trash 29 days ago
    When the purge runs while 4 clients keep saving and updating photos
    Then every save succeeded
    And every update succeeded
    And no save hit a deadlock
    And the p99 save latency is below 1000 ms
    And the p99 update latency is below 1000 ms
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain
