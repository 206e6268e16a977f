# Memo times are converted between Asia/Tokyo (UTC+9) and UTC by Kensho's own
# calendar (src/karte/time.rs), never by the database. Nine hours back from early
# morning in Tokyo crosses the day, and on the first of a month the month: the
# stored UTC time must land on the right last day, in leap years and others.
Feature: Memo times across the ends of days, months and years

  Background:
    Given today is 2026-11-01
    And customer "佐藤" with 1 photo tagged "顔"

  Scenario Outline: A memo at <tokyo> in Tokyo is stored as <utc> in UTC
    When "佐藤" gets the memo "記録" at <tokyo>
    Then "佐藤"'s memos read, in Asia/Tokyo:
      | recorded | memo |
      | <tokyo>  | 記録 |
    And "佐藤"'s memos are stored in UTC as:
      | recorded | memo |
      | <utc>    | 記録 |

    Examples:
      | tokyo            | utc              | why                                   |
      | 2026-11-01 12:00 | 2026-11-01 03:00 | same day                              |
      | 2026-05-01 03:00 | 2026-04-30 18:00 | back into a 30-day month              |
      | 2026-08-01 08:59 | 2026-07-31 23:59 | back into a 31-day month, last minute |
      | 2026-09-01 09:00 | 2026-09-01 00:00 | exactly midnight in UTC               |
      | 2027-01-01 00:15 | 2026-12-31 15:15 | back into the previous year           |
      | 2024-03-01 08:30 | 2024-02-29 23:30 | leap year: February has 29 days       |
      | 2023-03-01 08:30 | 2023-02-28 23:30 | common year: February has 28 days     |
      | 2100-03-01 08:00 | 2100-02-28 23:00 | a century is not a leap year          |
      | 2000-03-01 08:00 | 2000-02-29 23:00 | every 400th year is                   |
      | 2024-12-31 23:59 | 2024-12-31 14:59 | last minute of a leap year            |
      | 1970-01-01 08:30 | 1969-12-31 23:30 | before the epoch of the stored times  |
