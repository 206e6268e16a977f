# A photo's tags are 1 to 64 characters. A photo with a tag outside that is refused
# with the tag and the rule, and nothing of it is kept: no photo row, no tag row,
# no bytes in the image storage.
Feature: Photos with tags that are too long or empty are refused and leave nothing

  Background:
    Given today is 2026-11-01
    And customer "佐藤" with 1 photo tagged "顔"

  Scenario Outline: A photo tagged "<tags>" is refused
    Then saving a photo of "佐藤" tagged "<tags>" is refused: <message>
    And "佐藤" still has 1 photo
    And no orphan bytes or tag rows remain

    Examples:
      | tags | message |
      | 顔, | tag "": a tag is 1 to 64 characters |
      | , 正面 | tag "": a tag is 1 to 64 characters |
      | あああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああ | tag "あああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああ": a tag is 1 to 64 characters |

  Scenario: A tag of exactly 64 characters is accepted
    Given customer "鈴木" with 1 photo tagged "ああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああああ"
    Then "鈴木" still has 1 photo
    And no orphan bytes or tag rows remain
