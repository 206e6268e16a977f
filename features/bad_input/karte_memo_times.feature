# A memo time written in a scenario (Asia/Tokyo, YYYY-MM-DD HH:MM) that is not a
# real date and time is refused with the reason, and no memo is written.
Feature: Memo times that do not exist are refused

  Background:
    Given today is 2026-11-01
    And customer "佐藤" with 1 photo tagged "顔"

  Scenario Outline: The memo time "<at>" is refused
    Then the memo "記録" for "佐藤" at "<at>" is refused: <message>
    And "佐藤"'s memos are stored in UTC as:
      | recorded | memo |

    Examples:
      | at               | message                                                                                            |
      | 2026-02-29 10:00 | "2026-02-29 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2100-02-29 10:00 | "2100-02-29 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2026-04-31 10:00 | "2026-04-31 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2026-11-31 10:00 | "2026-11-31 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2026-12-32 10:00 | "2026-12-32 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2026-11-00 10:00 | "2026-11-00 10:00" is not a date and time written YYYY-MM-DD HH:MM: that month has no such day      |
      | 2026-13-01 10:00 | "2026-13-01 10:00" is not a date and time written YYYY-MM-DD HH:MM: the month is 01 to 12           |
      | 2026-00-10 10:00 | "2026-00-10 10:00" is not a date and time written YYYY-MM-DD HH:MM: the month is 01 to 12           |
      | 2026-11-01 24:00 | "2026-11-01 24:00" is not a date and time written YYYY-MM-DD HH:MM: the time is 00:00 to 23:59      |
      | 2026-11-01 23:60 | "2026-11-01 23:60" is not a date and time written YYYY-MM-DD HH:MM: the time is 00:00 to 23:59      |
      | 2026-11-01 1000  | "2026-11-01 1000" is not a date and time written YYYY-MM-DD HH:MM: the time is hours:minutes        |
      | 2026-11-1 10:00  | "2026-11-1 10:00" is not a date and time written YYYY-MM-DD HH:MM: every field is written with its digits |
      | 2026-11-01 9:30  | "2026-11-01 9:30" is not a date and time written YYYY-MM-DD HH:MM: every field is written with its digits |
      | ２０２６-11-01 10:00 | "２０２６-11-01 10:00" is not a date and time written YYYY-MM-DD HH:MM: every field is written with its digits |
      | 2026/11/01 10:00 | "2026/11/01 10:00" is not a date and time written YYYY-MM-DD HH:MM: the date is year-month-day      |
      | 2026-11-01-01 10:00 | "2026-11-01-01 10:00" is not a date and time written YYYY-MM-DD HH:MM: the date is year-month-day |

  Scenario Outline: The memo time "<at>" exists and is accepted
    When "佐藤" gets the memo "記録" at <at>
    Then "佐藤"'s memos read, in Asia/Tokyo:
      | recorded | memo |
      | <at>     | 記録 |

    Examples:
      | at               |
      | 2024-02-29 10:00 |
      | 2000-02-29 23:59 |
      | 2026-12-31 00:00 |
