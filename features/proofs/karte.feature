# Proofs that the karte steps can fail (see features/proofs/tables.feature).
Feature: Proofs: the karte steps can fail

  Background:
    Given today is 2026-11-23
    And customer "佐藤" with 3 photos tagged "顔"

  Scenario: A purge stopped by the object storage, with one photo gone and its key queued
    Given 1 of "佐藤"'s photos went to the trash 31 days ago
    When the purge runs while the object storage refuses deletions
    Then the step "the purge stopped with the error "the connection was lost"" fails with "the object storage is unreachable", which does not say "the connection was lost""
    And the step "0 expired photos are gone and 0 of their keys wait in the deletion queue" fails with "1 expired photos are gone, expected 0"

  Scenario: An update held back as a lock error is not counted as a deadlock
    When "佐藤"'s photo 1 is updated while another transaction holds it
    Then the step "the update failed and the concurrency statistics count it as:" fails with "expected deadlock"
      | engine   | counted as |
      | sqlite   | deadlock   |
      | postgres | deadlock   |
      | mariadb  | deadlock   |

  Scenario: A photo outside the trash is updated, at the time of its update
    Then the step "updating "佐藤"'s photo 1 is refused because it is in the trash" fails with "photo 1 was updated although it is in the trash"
    When "佐藤"'s photo 2 is updated at 2026-11-24 10:15
    Then the step ""佐藤"'s photo 2 was last updated at 2026-11-24 10:16" fails with "was last updated at 2026-11-24 10:15 (Asia/Tokyo), expected 2026-11-24 10:16"

  Scenario: A purged photo no longer holds the bytes of its last update
    When "佐藤"'s photo 1 is updated at 2026-11-23 10:15
    Given 1 of "佐藤"'s photos went to the trash 31 days ago
    When the purge runs
    Then the step ""佐藤"'s photo 1 holds the bytes of its last update" fails with "no photo with id 1"

  Scenario: Session time zones: a good one is not refused, a bad one not accepted
    Then the step "setting the database session time zone to "+09:00" is refused: no reason" fails with "the session time zone "+09:00" was accepted"
    And the step "setting the database session time zone to "+25:00" is accepted" fails with "time zone "+25:00": write it as an offset from UTC"

  Scenario: Memos: a good one is not refused, an empty one not kept, a real time not refused
    Then the step "a memo of 10 characters for "佐藤" is refused: the memo is empty" fails with "a memo of 10 characters was accepted"
    And the step "a memo of 0 characters for "佐藤" is kept whole" fails with "memo for customer 1: the memo is empty"
    And the step "the memo "記録" for "佐藤" at "2026-11-23 10:00" is refused: no reason" fails with "the memo time "2026-11-23 10:00" was accepted"

  Scenario: A photo with good tags is not refused
    Then the step "saving a photo of "佐藤" tagged "顔, 正面" is refused: no reason" fails with "was accepted"

  Scenario: Memos do not read at other times
    When "佐藤" gets the memo "初診" at 2026-11-23 10:00
    Then the step ""佐藤"'s memos read, in Asia/Tokyo:" fails with "found    [("2026-11-23 10:00", "初診")]"
      | recorded         | memo |
      | 2026-11-23 01:00 | 初診 |
    And the step ""佐藤"'s memos are stored in UTC as:" fails with "found    [("2026-11-23 01:00", "初診")]"
      | recorded         | memo |
      | 2026-11-23 10:00 | 初診 |

  Scenario: A purge of one expired photo reports it, not other counts
    Given 1 of "佐藤"'s photos went to the trash 31 days ago
    When the purge runs
    Then the step "the purge took 5 chunks" fails with "the purge took 1 chunks (1 photos), expected 5"
    And the step "the purge removed 2 photos and 0 customers" fails with "the purge removed 1 photos and 0 customers"
    And the step "the purge deleted the bytes of 2 stored objects" fails with "the purge deleted the bytes of 1 stored objects, expected 2"
    And the step ""佐藤" still has 3 photos" fails with "佐藤 has 2 photos, expected 3"

  Scenario: Expired trash before the purge is not gone
    Given 1 of "佐藤"'s photos went to the trash 31 days ago
    Then the step "all expired trash is gone and nothing else" fails with "1 photos in the trash for 30 days or more were not purged: [1]"

  # The checks cover what the database holds, not only what the scenario's own steps
  # made: a customer in the trash (whose photos no step moved), a photo seeded
  # straight into the table.
  Scenario: A customer in the trash for 31 days, before the purge, is expired trash
    Given customer "佐藤" went to the trash 31 days ago
    Then the step "all expired trash is gone and nothing else" fails with "1 customers in the trash for 30 days or more were not purged: [1]"

  Scenario: Photos seeded into the table count as the customer's, and as expired trash
    Given the table karte_photo contains:
      | customer_id | kind  | object_key        | updated_at    | trashed_at    |
      | 1           | photo | customers/1/x.img | 1795402800000 | 1761188400000 |
    Then the step ""佐藤" still has 3 photos" fails with "佐藤 has 4 photos, expected 3"
    And the step "all expired trash is gone and nothing else" fails with "1 photos in the trash for 30 days or more were not purged: [4]"

  Scenario: Moving an existing customer to the trash is not refused
    Then the step "moving customer 1 to the trash is refused: no customer with id 1" fails with "moving customer 1 was accepted"

  Scenario: Bytes the photo rows do not know are orphans
    Given the object store holds "stray/orphan.img" with the bytes "迷子"
    Then the step "no orphan bytes or tag rows remain" fails with "object store and photo rows disagree"

  Scenario: A restore check with no restore proves nothing
    Then the step "every photo whose restore committed is still there, out of the trash" fails with "no restore ran"

  # 鈴木 is purged, then two clients keep saving photos, one of them to 鈴木 on
  # every other save: those saves fail.
  Scenario: Saves to a purged customer do not all succeed
    Given customer "鈴木" with 1 photo tagged "手書き"
    And customer "鈴木" went to the trash 31 days ago
    When the purge runs
    And the purge runs while 2 clients keep saving and updating photos
    Then the step "every save succeeded" fails with "operations failed, expected none"
    And the step "no restore hit a deadlock" fails with "restore: no operations of that name were recorded"
    And the step "the p99 save latency is below 0 ms" fails with "is not below 0.0 ms"
