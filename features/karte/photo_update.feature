# Seed 000: updating an image (編集保存) failed during the incident, and the update
# time of images was not maintained correctly. An update writes new bytes under a
# new key, points the row at them in one short transaction, sets the update time,
# and deletes the old bytes after the commit.
Feature: Updating a photo

  Background:
    Given today is 2026-11-23
    And customer "佐藤" with 2 photos tagged "顔, 正面"

  Scenario: An update points the photo at its new bytes and keeps the update time
    When "佐藤"'s photo 1 is updated at 2026-11-24 10:15
    Then "佐藤"'s photo 1 was last updated at 2026-11-24 10:15
    And "佐藤"'s photo 2 was last updated at 2026-11-23 12:00
    And "佐藤"'s photo 1 holds the bytes of its last update
    And no orphan bytes or tag rows remain

  Scenario: A second update replaces the first one's bytes too
    When "佐藤"'s photo 2 is updated at 2026-11-24 09:00
    And "佐藤"'s photo 2 is updated at 2026-11-25 18:30
    Then "佐藤"'s photo 2 was last updated at 2026-11-25 18:30
    And "佐藤"'s photo 2 holds the bytes of its last update
    And no orphan bytes or tag rows remain

  Scenario: A photo in the trash is not updated, and no bytes are left behind
    Given 1 of "佐藤"'s photos went to the trash 1 days ago
    Then updating "佐藤"'s photo 1 is refused because it is in the trash
    And "佐藤"'s photo 1 was last updated at 2026-11-23 12:00
    And no orphan bytes or tag rows remain

  # Seed 000: saves and updates failed with lock errors while the purge held its
  # locks. An update that cannot get its photo within the lock wait fails as a lock
  # error (counted so in the concurrency statistics), and leaves the photo as it was.
  Scenario: An update held back past the lock wait fails as a lock error and changes nothing
    When "佐藤"'s photo 1 is updated while another transaction holds it
    Then the update failed and the concurrency statistics count it as:
      | engine   | counted as        |
      | sqlite   | database busy     |
      | postgres | lock wait timeout |
      | mariadb  | lock wait timeout |
    And "佐藤"'s photo 1 was last updated at 2026-11-23 12:00
    And no orphan bytes or tag rows remain
    When "佐藤"'s photo 1 is updated at 2026-11-24 10:15
    Then "佐藤"'s photo 1 holds the bytes of its last update
    And no orphan bytes or tag rows remain
