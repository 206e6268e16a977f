# A memo holds 1 to 2,000 characters (counted as characters, not bytes) and is not
# blank. A memo outside that is refused with the customer and the reason, and no
# memo is written.
Feature: Memos that are blank or longer than 2,000 characters are refused

  Background:
    Given today is 2026-11-01
    And customer "佐藤" with 1 photo tagged "顔"

  Scenario Outline: A memo of <length> <made of> is refused
    Then a memo of <length> <made of> for "佐藤" is refused: <reason>
    And "佐藤"'s memos are stored in UTC as:
      | recorded | memo |

    Examples:
      | length | made of           | reason                                  |
      | 0      | characters        | the memo is empty                       |
      | 3      | spaces            | the memo is empty                       |
      | 2      | full-width spaces | the memo is empty                       |
      | 2001   | characters        | the memo is longer than 2000 characters |
      | 5000   | characters        | the memo is longer than 2000 characters |

  Scenario: A memo of exactly 2,000 characters (6,000 bytes in UTF-8) is kept whole
    Then a memo of 2000 characters for "佐藤" is kept whole
