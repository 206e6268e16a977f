# Seed 000, follow-up incident: text memo times were recorded wrongly from
# 4/16 23:54 to 4/19 11:27 and were put right by a change of the database's
# settings. Memo times are stored in UTC and shown in Asia/Tokyo; the database's
# session time zone has no say in either.
Feature: Memo times across a time-zone change

  Scenario: Changing the session time zone does not move recorded memo times
    Given today is 2022-04-16
    And customer "佐藤" with 1 photo tagged "顔"
    And the database session time zone is "+09:00"
    When "佐藤" gets the memo "初診: 右頬に発赤" at 2022-04-16 23:54
    And the database session time zone changes to "+00:00"
    And "佐藤" gets the memo "再診: 経過良好" at 2022-04-19 11:27
    And the database session time zone changes to "-05:00"
    And "佐藤" gets the memo "早朝の電話連絡" at 2022-04-20 08:30
    Then "佐藤"'s memos read, in Asia/Tokyo:
      | recorded         | memo            |
      | 2022-04-16 23:54 | 初診: 右頬に発赤 |
      | 2022-04-19 11:27 | 再診: 経過良好   |
      | 2022-04-20 08:30 | 早朝の電話連絡   |
    And "佐藤"'s memos are stored in UTC as:
      | recorded         | memo            |
      | 2022-04-16 14:54 | 初診: 右頬に発赤 |
      | 2022-04-19 02:27 | 再診: 経過良好   |
      | 2022-04-19 23:30 | 早朝の電話連絡   |
