# Moving to the trash or restoring a photo or customer that does not exist is
# refused with what was asked for and its id, and changes nothing.
Feature: Trashing or restoring what does not exist is refused, naming it

  Background:
    Given today is 2026-11-01
    And customer "佐藤" with 2 photos tagged "顔"

  Scenario Outline: <action> <what> <id> is refused
    Then <action> <what> <id> <direction> the trash is refused: <message>
    And "佐藤" still has 2 photos
    And no orphan bytes or tag rows remain

    Examples:
      | action    | what     | id     | direction | message                    |
      | moving    | photo    | 999999 | to        | no photo with id 999999    |
      | restoring | photo    | 999999 | from      | no photo with id 999999    |
      | moving    | customer | 999999 | to        | no customer with id 999999 |
      | restoring | customer | 999999 | from      | no customer with id 999999 |
