# Seed 000 (カルテ): deleting moves customers and photos to the trash; the purge
# permanently removes what has been there for 30 days or more, rows and bytes.
Feature: Trash and purge of medical-record photos

  Background:
    Given today is 2026-11-23
    And customer "佐藤" with 5 photos tagged "顔, 正面"
    And customer "鈴木" with 2 photos tagged "手書き"

  Scenario: The purge removes only what has been in the trash for 30 days or more
    Given 2 of "佐藤"'s photos went to the trash 31 days ago
    And 1 of "佐藤"'s photos went to the trash 29 days ago
    When the purge runs
    Then the purge removed 2 photos and 0 customers
    And "佐藤" still has 3 photos
    And "鈴木" still has 2 photos
    And no orphan bytes or tag rows remain

  Scenario: A customer in the trash for 30 days goes with all their photos
    Given customer "鈴木" went to the trash 30 days ago
    When the purge runs
    Then the purge removed 2 photos and 1 customer
    And "佐藤" still has 5 photos
    And no orphan bytes or tag rows remain

  Scenario: What is restored before the purge is kept
    Given 3 of "佐藤"'s photos went to the trash 40 days ago
    And customer "鈴木" went to the trash 45 days ago
    When "佐藤"'s trashed photos are restored
    And customer "鈴木" is restored from the trash
    And the purge runs
    Then the purge removed 0 photos and 0 customers
    And "佐藤" still has 5 photos
    And "鈴木" still has 2 photos
    And no orphan bytes or tag rows remain

  # The purge chooses its photos with a plain read, then locks them and checks the
  # 30 days again: a restore that commits in between wins. (SQLite lets one writer
  # in at a time: there the restore waits for the chunk and finds the photo purged.)
  Scenario: A restore committed after the purge chose the photo and before it locked it keeps the photo
    Given 3 of "佐藤"'s photos went to the trash 31 days ago
    When "佐藤"'s first expired photo is restored after the purge chose it and before it locked it
    Then every photo whose restore committed is still there, out of the trash
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain
