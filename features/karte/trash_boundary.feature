# Seed 000 (カルテ): the purge removes what has been in the trash for 30 days or more.
# "today is 2026-11-23" means 12:00 in Tokyo that day (JST, UTC+9), so 30 days ago
# is 2026-10-24 12:00 JST. Times in the trash are written in days, hours and
# minutes, or as a time in Tokyo: no epoch milliseconds to work out by hand.
Feature: The 30-day boundary of the trash purge

  Background:
    Given today is 2026-11-23
    And customer "佐藤" with 4 photos tagged "顔, 正面"
    And customer "鈴木" with 2 photos tagged "手書き"

  Scenario: A photo one minute short of 30 days is kept; one at 30 days is purged
    # 2026-11-23 12:00 − 29 days 23 hours 59 minutes = 2026-10-24 12:01 JST: kept
    Given 1 of "佐藤"'s photos went to the trash 29 days 23 hours 59 minutes ago
    # 2026-10-24 12:00 JST: exactly 30 days, purged
    And 1 of "佐藤"'s photos went to the trash 30 days ago
    # 29 days 23 hours: kept
    And 1 of "佐藤"'s photos went to the trash 29 days 23 hours ago
    When the purge runs
    Then the purge removed 1 photo and 0 customers
    # 4 − 1 = 3
    And "佐藤" still has 3 photos
    And all expired trash is gone and nothing else
    And no orphan bytes or tag rows remain

  Scenario: Times in Tokyo on either side of the boundary
    # 11:59 JST is 30 days and 1 minute before 2026-11-23 12:00: purged
    Given 1 of "佐藤"'s photos went to the trash at 2026-10-24 11:59 JST
    # 12:01 JST is 1 minute short of 30 days: kept, with the whole customer
    And customer "鈴木" went to the trash at 2026-10-24 12:01 JST
    When the purge runs
    Then the purge removed 1 photo and 0 customers
    And "佐藤" still has 3 photos
    And "鈴木" still has 2 photos
    And all expired trash is gone and nothing else

  Scenario: A customer in the trash for exactly 30 days goes with their photos, one minute less stays
    Given customer "鈴木" went to the trash 30 days ago
    And customer "佐藤" went to the trash 29 days 23 hours 59 minutes ago
    When the purge runs
    Then the purge removed 2 photos and 1 customer
    And "佐藤" still has 4 photos
    And no orphan bytes or tag rows remain

  Scenario: A customer the scenario does not know is an error naming those it knows
    When the step "1 of "高橋"'s photos went to the trash 30 days ago" is attempted
    Then it is refused with "there is no customer "高橋" in this scenario; the customers are 佐藤, 鈴木"
    When the step "customer "高橋" went to the trash at 2026-10-24 11:59 JST" is attempted
    Then it is refused with "there is no customer "高橋" in this scenario; the customers are 佐藤, 鈴木"
