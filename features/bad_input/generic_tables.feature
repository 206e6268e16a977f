# Bad rows for the generic table steps (steps/tables.rs): a Gherkin data table or a
# CSV file that names an unknown table or column, tries to inject SQL through an
# identifier, or holds a value its column cannot take. Each is refused before any
# SQL runs, with the message the user sees, and every table is exactly as it was.
# The CSV files are in fixtures/bad_input/tables/.
Feature: Bad rows for the generic table steps are refused whole and write nothing

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And the table karte_customer is loaded from "fixtures/tables/customers.csv"
    And every table as it stands is noted

  Scenario Outline: A data table with <problem> is refused
    When the rows below are seeded into the table "<table>":
      | id   | person   | period  | <amount column> | status   | initial_source | last_source |
      | 10   | <person> | 2026-11 | <amount>        | <status> | B              | B           |
      | <id> | E        | 2026-11 | 1               | 0        | B              | B           |
    Then it is refused with "<message>"
    And every table is exactly as noted
    And the table billing_record holds 3 rows

    Examples:
      | problem | table | amount column | person | amount | status | id | message |
      | an unknown table | billing_records | amount | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_records: no table "billing_records" in the database; the closest tables are billing_record, billing_batch_run, billing_warning; no row was written |
      | an injection attempt in the table name | billing_record; DROP TABLE billing_warning | amount | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record; DROP TABLE billing_warning: no table "billing_record; DROP TABLE billing_warning" in the database; the closest tables are billing_record, billing_warning, billing_batch_run; no row was written |
      | an unknown column | billing_record | amonut | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, header, column amonut: no column "amonut" in table billing_record; the closest columns are amount, status, id; no row was written |
      | an injection attempt in a column name | billing_record | amount) VALUES (1); DROP TABLE billing_record; -- | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, header, column amount) VALUES (1); DROP TABLE billing_record; --: no column "amount) VALUES (1); DROP TABLE billing_record; --" in table billing_record; the closest columns are amount, initial_source, restored; no row was written |
      | a column twice | billing_record | person | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: table header: column "person" appears twice |
      | a column without a name | billing_record |  | A | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: table header: column 4 has no name |
      | a status that is not an integer | billing_record | amount | A | 80000 | x1 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column status: "x1" is not an integer (write digits with an optional leading '-'); no row was written |
      | a status in full-width digits | billing_record | amount | A | 80000 | １ | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column status: "１" is not an integer (write digits with an optional leading '-'); no row was written |
      | an id beyond 64 bits | billing_record | amount | A | 80000 | 0 | 99999999999999999999 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 2, column id: "99999999999999999999" is not an integer (write digits with an optional leading '-'); no row was written |
      | an amount that is not a decimal | billing_record | amount | A | 8O000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: "8O000" is not a decimal amount (write digits with an optional '-' and '.' decimal point, e.g. 80000 or 80,000 or 1234.50); no row was written |
      | a comma as decimal separator | billing_record | amount | A | 80,00 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: "80,00" uses ',' in a way that is not a thousands separator (groups of three digits); the decimal separator is '.'; if ',' is the decimal point here, write 80.00; no row was written |
      | full-width digits | billing_record | amount | A | ８００００ | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: "８００００" is written in full-width characters; write amounts in ASCII (half-width) digits: 80000; no row was written |
      | five decimal places | billing_record | amount | A | 1.23456 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: "1.23456" has 5 decimal places; at most 4 are allowed; no row was written |
      | sixteen digits | billing_record | amount | A | 9999999999999999 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: "9999999999999999" is too large: at most 15 digits before the decimal point; no row was written |
      | an empty amount | billing_record | amount | A |  | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column amount: an amount is required but the field is empty; no row was written |
      | NULL in a NOT NULL column | billing_record | amount | NULL | 80000 | 0 | 11 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 1, column person: NULL in a NOT NULL column; no row was written |
      | the same id twice | billing_record | amount | A | 80000 | 0 | 10 | features/bad_input/generic_tables.feature:15: seeding table billing_record, row 2, column id: duplicate primary key (10), already given by row 1; no row was written |

  Scenario Outline: A CSV file with <problem> is refused
    When the file "fixtures/bad_input/tables/<file>" is imported as the rows of the table <table>
    Then it is refused with "<message>"
    And every table is exactly as noted
    And the table karte_customer holds 2 rows

    Examples:
      | problem | file | table | message |
      | Shift_JIS | customers-shift-jis.csv | karte_customer | fixtures/bad_input/tables/customers-shift-jis.csv:2: not UTF-8 at character 4 (bytes 8D 82): the file looks like Shift_JIS (as Excel saves "CSV" on Japanese Windows); save it as "CSV UTF-8" and import it again |
      | UTF-16 with its byte-order mark | customers-utf16le-bom.csv | karte_customer | fixtures/bad_input/tables/customers-utf16le-bom.csv:1: the file is UTF-16 (byte-order mark FF FE, as Excel's "Unicode Text" saves it), not UTF-8; save it as "CSV UTF-8" and import it again |
      | a quote never closed | customers-unclosed-quote.csv | karte_customer | fixtures/bad_input/tables/customers-unclosed-quote.csv:2: the quote at character 4 opens a field that is never closed; close it with '"' (a quote inside a field is written twice: "") |
      | a line with too few fields | customers-short-line.csv | karte_customer | fixtures/bad_input/tables/customers-short-line.csv:2: 2 fields where the header has 3 (id, name, trashed_at) |
      | a header without data lines | customers-header-only.csv | karte_customer | fixtures/bad_input/tables/customers-header-only.csv:1: the file has a header line but no data lines; an empty file is refused, not taken for "nothing to change" |
      | an empty file | customers-empty.csv | karte_customer | fixtures/bad_input/tables/customers-empty.csv: the file is empty; expected a header line naming the columns, then data lines |
      | a misspelt column | customers-unknown-column.csv | karte_customer | fixtures/bad_input/tables/customers-unknown-column.csv:1: seeding table karte_customer, header, column nmae: no column "nmae" in table karte_customer; the closest columns are name, id, trashed_at; no row was written |
      | a column without a name | customers-empty-header.csv | karte_customer | fixtures/bad_input/tables/customers-empty-header.csv:1: column 2 of the header has no name |
      | a date in an integer column | customers-not-integer.csv | karte_customer | fixtures/bad_input/tables/customers-not-integer.csv:2: seeding table karte_customer, row 1, column trashed_at: "2026-11-23" is not an integer (write digits with an optional leading '-'); no row was written |
      | the same id twice | customers-duplicate-key.csv | karte_customer | fixtures/bad_input/tables/customers-duplicate-key.csv:4: seeding table karte_customer, row 3, column id: duplicate primary key (10), already given by row 1; no row was written |
      | NULL in a NOT NULL column | customers-null-name.csv | karte_customer | fixtures/bad_input/tables/customers-null-name.csv:2: seeding table karte_customer, row 1, column name: NULL in a NOT NULL column; no row was written |
      | an injection attempt in a column name | customers-injection.csv | karte_customer | fixtures/bad_input/tables/customers-injection.csv:1: seeding table karte_customer, header, column name) VALUES (1); DROP TABLE karte_customer; --: no column "name) VALUES (1); DROP TABLE karte_customer; --" in table karte_customer; the closest columns are name, trashed_at, id; no row was written |
      | an unknown table | customers-utf8-bom.csv | karte_customers | fixtures/bad_input/tables/customers-utf8-bom.csv: seeding table karte_customers: no table "karte_customers" in the database; the closest tables are karte_customer, karte_memo, karte_photo; no row was written |

  Scenario: A CSV file with a UTF-8 byte-order mark and CR LF line ends loads
    When the file "fixtures/bad_input/tables/customers-utf8-bom.csv" is imported as the rows of the table karte_customer
    Then it is accepted
    And the table karte_customer has exactly:
      | id | name | trashed_at    |
      | 1  | 佐藤 | NULL          |
      | 2  | 鈴木 | 1761188400000 |
      | 10 | 高橋 | NULL          |
      | 11 | 田中 | 1761188400000 |

  Scenario: A CSV file over the size limit is refused before it is read
    Given a file "$TMP/enormous.csv" of 65 MiB: the line "id,name,trashed_at", then the line "10,高橋,NULL" repeated
    When the file "$TMP/enormous.csv" is imported as the rows of the table karte_customer
    Then it is refused with "$TMP/enormous.csv: the file is 65.0 MiB (68157440 bytes); input files are limited to 64 MiB: split it into smaller files"
    And every table is exactly as noted
    And the table karte_customer holds 2 rows
