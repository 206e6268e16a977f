# An administrator sets the database session time zone as an offset from UTC,
# +HH:MM or -HH:MM (hours 00 to 14, minutes 00 to 59). Anything else is refused with
# the offset as given and how to write it, before any connection is touched.
# SQLite has no session time zone: it refuses the same, and accepts nothing to set.
# The servers have ranges of their own: MariaDB itself refuses offsets outside
# -12:59 to +13:00 ("Unknown or incorrect time zone: '+14:00'", error 1298), so the
# accepted offsets below stay inside what every engine takes.
Feature: Session time zones not written +HH:MM or -HH:MM are refused

  Scenario Outline: The session time zone "<offset>" is refused
    Then setting the database session time zone to "<offset>" is refused: time zone "<offset>": write it as an offset from UTC, +HH:MM or -HH:MM (e.g. +09:00)

    Examples:
      | offset  |
      |         |
      | JST     |
      | 09:00   |
      | +9:00   |
      | +09:000 |
      | +09-00  |
      | *09:00  |
      | +15:00  |
      | +09:60  |
      | ++9:00  |
      | +0a:00  |
      | +09:0b  |

  Scenario Outline: The session time zone "<offset>" is accepted
    Then setting the database session time zone to "<offset>" is accepted

    Examples:
      | offset |
      | +09:00 |
      | -05:30 |
      | +05:45 |
      | +00:00 |
      | +13:00 |
      | -12:59 |
