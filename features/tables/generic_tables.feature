# Generic table steps: a QA engineer seeds and checks any table of the scenario's
# database from the feature file alone, with no Rust. Names are checked against the
# schema first; seeding is all-or-nothing; comparison ignores row order, reads
# 80000 and 80000.00 as the same amount, and spells NULL out.
Feature: Tables seeded and checked from the feature file alone

  Scenario: A seeded billing table reads back decimal-aware and order-insensitive
    Given the table billing_record contains:
      | person | period  | amount  | status | initial_source | last_source |
      | A      | 2026-11 | 80000   | 1      | B              | B           |
      | B      | 2026-11 | 30000.5 | 0      | F              | A           |
      | C      | 2026-12 | 12.25   | 1      | T              | T           |
    Then the table billing_record has exactly:
      | person | period  | amount   | status |
      | C      | 2026-12 | 12.2500  | 1      |
      | A      | 2026-11 | 80000.00 | 1      |
      | B      | 2026-11 | 30000.50 | 0      |
    And the table billing_record includes:
      | person | amount |
      | A      | 80,000 |
    And the table billing_record has none of:
      | person | status |
      | B      | 1      |
      | D      | 1      |

  Scenario: A CSV fixture seeds customers; NULL is written and read as NULL
    Given the table karte_customer is loaded from "fixtures/tables/customers.csv"
    Then the table karte_customer has exactly:
      | id | name | trashed_at    |
      | 1  | 佐藤 | NULL          |
      | 2  | 鈴木 | 1761188400000 |

  Scenario: A bad row writes nothing; an unknown or unsafe table name is refused
    Then seeding the table "billing_record" is refused, naming "row 2, column amount":
      | person | period  | amount | status | initial_source | last_source |
      | A      | 2026-11 | 80000  | 1      | B              | B           |
      | B      | 2026-11 | 8O000  | 1      | B              | B           |
    And the table billing_record has exactly:
      | person |
    And seeding the table "billing_record; DROP TABLE billing_warning" is refused, naming "in the database; the closest tables are billing_record":
      | person |
      | A      |
    And the table billing_warning has exactly:
      | id |
