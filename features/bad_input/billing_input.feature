# Bad billing input files (請求バッチの入力ファイル): each is refused whole with the
# message the user sees (file, line, column where they apply, and why), and the
# database is left exactly as it was: the billing records of the first run, its one
# batch run, no warning. The files are in fixtures/bad_input/billing/.
Feature: Bad billing input files are refused whole and write nothing

  Background:
    Given the billing period is 2026-11
    And the own batch has registered the billing file "fixtures/billing/first-run.csv"
    And every table as it stands is noted

  Scenario Outline: Billing input with <problem> is refused
    When the file "fixtures/bad_input/billing/<file>" is imported as the billing input
    Then it is refused with "<message>"
    And every table is exactly as noted
    And the table billing_record holds 3 rows
    And the table billing_batch_run holds 1 row

    Examples:
      | problem | file | message |
      | a line with too few fields | short-line.csv | fixtures/bad_input/billing/short-line.csv:3: 2 fields where the header has 3 (person, period, amount) |
      | an amount with a thousands comma, unquoted | unquoted-thousands.csv | fixtures/bad_input/billing/unquoted-thousands.csv:3: 4 fields where the header has 3 (person, period, amount); a value containing ',' must be quoted, e.g. "80,000" |
      | a trailing comma | trailing-comma.csv | fixtures/bad_input/billing/trailing-comma.csv:2: 4 fields where the header has 3 (person, period, amount); a value containing ',' must be quoted, e.g. "80,000" |
      | a quote never closed | unclosed-quote.csv | fixtures/bad_input/billing/unclosed-quote.csv:3: the quote at character 11 opens a field that is never closed; close it with '"' (a quote inside a field is written twice: "") |
      | text after a closing quote | text-after-quote.csv | fixtures/bad_input/billing/text-after-quote.csv:2: text after the closing quote at character 16; quote the whole field and write a quote inside it twice ("") |
      | a quote inside an unquoted field | quote-inside-field.csv | fixtures/bad_input/billing/quote-inside-field.csv:2: a quote at character 2 inside an unquoted field; quote the whole field and write the quote twice: "a ""b"" c" |
      | old Mac line ends (CR alone) | lone-cr.csv | fixtures/bad_input/billing/lone-cr.csv:1: a carriage return (CR) without a line feed; lines end with LF or CR LF |
      | Shift_JIS, as Excel saves CSV on Japanese Windows | shift-jis.csv | fixtures/bad_input/billing/shift-jis.csv:2: not UTF-8 at character 1 (bytes 8D B2): the file looks like Shift_JIS (as Excel saves "CSV" on Japanese Windows); save it as "CSV UTF-8" and import it again |
      | UTF-16 little-endian with its byte-order mark | utf16le-bom.csv | fixtures/bad_input/billing/utf16le-bom.csv:1: the file is UTF-16 (byte-order mark FF FE, as Excel's "Unicode Text" saves it), not UTF-8; save it as "CSV UTF-8" and import it again |
      | UTF-16 big-endian with its byte-order mark | utf16be-bom.csv | fixtures/bad_input/billing/utf16be-bom.csv:1: the file is UTF-16 (byte-order mark FE FF), not UTF-8; save it as "CSV UTF-8" and import it again |
      | UTF-16 without a byte-order mark | utf16-no-bom.csv | fixtures/bad_input/billing/utf16-no-bom.csv:1: a NUL byte at character 2: the file looks like UTF-16 without a byte-order mark, or is not text; save it as "CSV UTF-8" and import it again |
      | Latin-1 | latin1.csv | fixtures/bad_input/billing/latin1.csv:2: not UTF-8 at character 2 (bytes FC 6C): the file is in another encoding or is not text; save it as "CSV UTF-8" and import it again |
      | a letter O for a zero | not-a-decimal.csv | fixtures/bad_input/billing/not-a-decimal.csv:2 (column amount): "12O000" is not a decimal amount (write digits with an optional '-' and '.' decimal point, e.g. 80000 or 80,000 or 1234.50) |
      | an exponent | exponent.csv | fixtures/bad_input/billing/exponent.csv:2 (column amount): "1.2e5" is not a decimal amount (write digits with an optional '-' and '.' decimal point, e.g. 80000 or 80,000 or 1234.50) |
      | five decimal places | too-many-places.csv | fixtures/bad_input/billing/too-many-places.csv:2 (column amount): "120000.12345" has 5 decimal places; at most 4 are allowed |
      | sixteen digits | overflow.csv | fixtures/bad_input/billing/overflow.csv:2 (column amount): "1234567890123456" is too large: at most 15 digits before the decimal point |
      | a comma as decimal separator | comma-decimal.csv | fixtures/bad_input/billing/comma-decimal.csv:2 (column amount): "1200,50" uses ',' in a way that is not a thousands separator (groups of three digits); the decimal separator is '.'; if ',' is the decimal point here, write 1200.50 |
      | European notation | european-notation.csv | fixtures/bad_input/billing/european-notation.csv:2 (column amount): "120.000,50" uses '.' to group thousands and ',' as the decimal separator; write the decimal point as '.' and group thousands with ',', e.g. 1,234.56 |
      | full-width digits | full-width-digits.csv | fixtures/bad_input/billing/full-width-digits.csv:2 (column amount): "１２００００" is written in full-width characters; write amounts in ASCII (half-width) digits: 120000 |
      | a yen sign | currency-sign.csv | fixtures/bad_input/billing/currency-sign.csv:2 (column amount): "¥120000" carries a currency sign or unit; write the number alone: 120000 |
      | a yen suffix | yen-suffix.csv | fixtures/bad_input/billing/yen-suffix.csv:2 (column amount): "120000円" carries a currency sign or unit; write the number alone: 120000 |
      | a negative amount in parentheses | parentheses.csv | fixtures/bad_input/billing/parentheses.csv:2 (column amount): "(120000)" writes a negative amount in parentheses; write a leading '-': -120000 |
      | a plus sign | plus-sign.csv | fixtures/bad_input/billing/plus-sign.csv:2 (column amount): "+120000" is not a decimal amount (write digits with an optional '-' and '.' decimal point, e.g. 80000 or 80,000 or 1234.50) |
      | an empty amount | empty-amount.csv | fixtures/bad_input/billing/empty-amount.csv:2 (column amount): an amount is required but the field is empty |
      | the same person and period twice | duplicate-key.csv | fixtures/bad_input/billing/duplicate-key.csv:4 (column person): A (2026-11) appears twice in one file (first on line 2); one line per person and period |
      | month 13 | bad-period.csv | fixtures/bad_input/billing/bad-period.csv:2 (column period): "2026-13" is not a billing period; write YYYY-MM, e.g. 2026-11 |
      | a period with a slash | slash-period.csv | fixtures/bad_input/billing/slash-period.csv:2 (column period): "2026/11" is not a billing period; write YYYY-MM, e.g. 2026-11 |
      | an empty person | empty-person.csv | fixtures/bad_input/billing/empty-person.csv:2 (column person): the field is empty; a value is required |
      | a person of 65 characters | long-person.csv | fixtures/bad_input/billing/long-person.csv:2 (column person): 65 characters, at most 64 are allowed: "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP…" |
      | an empty file | empty.csv | fixtures/bad_input/billing/empty.csv: the file is empty; expected a header line 'person,period,amount', then data lines |
      | blank lines only | blank-lines.csv | fixtures/bad_input/billing/blank-lines.csv: the file is empty; expected a header line 'person,period,amount', then data lines |
      | a header without data lines | header-only.csv | fixtures/bad_input/billing/header-only.csv:1: the file has a header line but no data lines; an empty file is refused, not taken for "nothing to change" |
      | a misspelt column | unknown-column.csv | fixtures/bad_input/billing/unknown-column.csv:1 (column amout): unknown column "amout" (did you mean "amount"?); the columns are person, period, amount |
      | a missing column | missing-column.csv | fixtures/bad_input/billing/missing-column.csv:1 (column period): missing column "period"; the header is person,period,amount |
      | a column twice | duplicate-column.csv | fixtures/bad_input/billing/duplicate-column.csv:1 (column amount): column "amount" appears twice in the header |
      | a column without a name | empty-column-name.csv | fixtures/bad_input/billing/empty-column-name.csv:1: column 2 of the header has no name |

  # Excel's "CSV UTF-8" starts the file with a byte-order mark (EF BB BF) and ends
  # lines with CR LF: the mark is dropped and the file loads.
  Scenario: A UTF-8 byte-order mark, as Excel writes it, is accepted and dropped
    When the file "fixtures/bad_input/billing/utf8-bom.csv" is imported as the billing input
    Then it is accepted
    And the active billing records are exactly:
      | person | amount   |
      | A      | 120,000  |
      | B      | 70,000.5 |
      | C      | 100,000  |
      | 佐藤   | 120,000  |
    And the table billing_batch_run holds 2 rows

  Scenario: A file over the size limit is refused before it is read
    Given a file "$TMP/enormous.csv" of 65 MiB: the line "person,period,amount", then the line "A,2026-11,120000" repeated
    When the file "$TMP/enormous.csv" is imported as the billing input
    Then it is refused with "$TMP/enormous.csv: the file is 65.0 MiB (68157440 bytes); input files are limited to 64 MiB: split it into smaller files"
    And every table is exactly as noted
    And the table billing_record holds 3 rows
