# Bad consolidation input files (連結会計の取込ファイル): companies, chart of accounts,
# trial balances, exchange rates, consolidation journal, monetary items and
# adjustments. Each is refused whole with the message the user sees, and every
# table (inputs and statements) is exactly as it was. The files are in
# fixtures/bad_input/consolidation/; the group is the one of fixtures/consolidation/.
Feature: Bad consolidation input files are refused whole and write nothing

  Background:
    Given the consolidation group of "fixtures/consolidation/companies.csv" with the accounts of "fixtures/consolidation/accounts.csv"
    And the exchange rates of "fixtures/consolidation/rates.csv"
    And the consolidation journal of "fixtures/consolidation/journal.csv"
    And the foreign-currency monetary items of "fixtures/consolidation/monetary-items.csv"
    And the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    And every table as it stands is noted

  Scenario Outline: Importing <import> with <problem> is refused
    When the file "fixtures/bad_input/consolidation/<file>" is imported as <import>
    Then it is refused with "<message>"
    And every table is exactly as noted
    And the table <table> holds <rows> rows

    Examples:
      | import | problem | file | message | table | rows |
      | the companies | a company twice | companies-duplicate.csv | fixtures/bad_input/consolidation/companies-duplicate.csv:4 (column company): US appears twice in one file (first on line 3); one line per company | cons_company | 3 |
      | the companies | a company code of 33 characters | companies-long-code.csv | fixtures/bad_input/consolidation/companies-long-code.csv:3 (column company): 33 characters, at most 32 are allowed for a company code: "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU" | cons_company | 3 |
      | the companies | two parents | companies-two-parents.csv | fixtures/bad_input/consolidation/companies-two-parents.csv: a group has exactly one parent, found 2 | cons_company | 3 |
      | the companies | a currency in lower case | companies-unknown-currency.csv | fixtures/bad_input/consolidation/companies-unknown-currency.csv:3 (column currency): unknown currency "usd"; use JPY, USD or EUR | cons_company | 3 |
      | the companies | Y for yes | companies-parent-y.csv | fixtures/bad_input/consolidation/companies-parent-y.csv:2 (column parent): write yes or no, not "Y" | cons_company | 3 |
      | the chart of accounts | an account twice | accounts-duplicate.csv | fixtures/bad_input/consolidation/accounts-duplicate.csv:3 (column account): cash appears twice in one file (first on line 2); one line per account | cons_account | 11 |
      | the chart of accounts | an unknown kind | accounts-unknown-kind.csv | fixtures/bad_input/consolidation/accounts-unknown-kind.csv:2 (column kind): unknown kind "assets"; use one of asset, liability, equity, revenue, expense, net_income, translation_adjustment, fx_gain_loss | cons_account | 11 |
      | the trial balances | an unknown company | tb-unknown-company.csv | fixtures/bad_input/consolidation/tb-unknown-company.csv:3 (column company): unknown company "JP"; the group has EU, P, US | cons_trial_balance | 24 |
      | the trial balances | an unknown account | tb-unknown-account.csv | fixtures/bad_input/consolidation/tb-unknown-account.csv:3 (column account): unknown account cassh; it is not in the chart of accounts | cons_trial_balance | 24 |
      | the trial balances | a company and account twice | tb-duplicate.csv | fixtures/bad_input/consolidation/tb-duplicate.csv:4 (column account): P cash appears twice in one file (first on line 2); one line per company and account | cons_trial_balance | 24 |
      | the trial balances | a comma as decimal separator | tb-comma-decimal.csv | fixtures/bad_input/consolidation/tb-comma-decimal.csv:2 (column amount): "500000,5" uses ',' in a way that is not a thousands separator (groups of three digits); the decimal separator is '.'; if ',' is the decimal point here, write 500000.5 | cons_trial_balance | 24 |
      | the trial balances | full-width digits | tb-full-width.csv | fixtures/bad_input/consolidation/tb-full-width.csv:2 (column amount): "５０００００" is written in full-width characters; write amounts in ASCII (half-width) digits: 500000 | cons_trial_balance | 24 |
      | the trial balances | seventeen digits | tb-overflow.csv | fixtures/bad_input/consolidation/tb-overflow.csv:2 (column amount): "99999999999999999" is too large: at most 15 digits before the decimal point | cons_trial_balance | 24 |
      | the trial balances | no data lines | tb-header-only.csv | fixtures/bad_input/consolidation/tb-header-only.csv:1: the file has a header line but no data lines; an empty file is refused, not taken for "nothing to change" | cons_trial_balance | 24 |
      | the trial balances | Shift_JIS account names | tb-shift-jis.csv | fixtures/bad_input/consolidation/tb-shift-jis.csv:2: not UTF-8 at character 3 (bytes 8C BB): the file looks like Shift_JIS (as Excel saves "CSV" on Japanese Windows); save it as "CSV UTF-8" and import it again | cons_trial_balance | 24 |
      | the exchange rates | a currency twice | rates-duplicate.csv | fixtures/bad_input/consolidation/rates-duplicate.csv:4 (column currency): USD appears twice in one file (first on line 2); one line per currency | cons_rate | 2 |
      | the exchange rates | a rate for JPY | rates-jpy.csv | fixtures/bad_input/consolidation/rates-jpy.csv:2 (column currency): JPY is the consolidation currency; its rate is always 1 | cons_rate | 2 |
      | the exchange rates | an unknown currency | rates-unknown-currency.csv | fixtures/bad_input/consolidation/rates-unknown-currency.csv:2 (column currency): unknown currency "GBP"; use USD or EUR | cons_rate | 2 |
      | the exchange rates | six decimal places | rates-too-many-places.csv | fixtures/bad_input/consolidation/rates-too-many-places.csv:2 (column closing): "150.123456" has 6 decimal places; at most 4 are allowed | cons_rate | 2 |
      | the exchange rates | a zero rate | rates-zero.csv | fixtures/bad_input/consolidation/rates-zero.csv:2 (column closing): closing rate of USD is 0; rates must be positive | cons_rate | 2 |
      | the consolidation journal | an unknown account | journal-unknown-account.csv | fixtures/bad_input/consolidation/journal-unknown-account.csv:3 (column account): unknown account capitl; it is not in the chart of accounts | cons_journal | 4 |
      | the consolidation journal | Dr for a debit | journal-bad-side.csv | fixtures/bad_input/consolidation/journal-bad-side.csv:2 (column side): write D (debit) or C (credit), not "Dr" | cons_journal | 4 |
      | the consolidation journal | no data lines | journal-header-only.csv | fixtures/bad_input/consolidation/journal-header-only.csv:1: the file has a header line but no data lines; an empty file is refused, not taken for "nothing to change" | cons_journal | 4 |
      | the trial balances | an unknown company code of exactly 32 characters | tb-unknown-company-32.csv | fixtures/bad_input/consolidation/tb-unknown-company-32.csv:3 (column company): unknown company "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"; the group has EU, P, US | cons_trial_balance | 24 |
      | the consolidation journal | an entry whose debits and credits differ | journal-unbalanced.csv | journal entry "investment-capital" does not balance: debits 201000 ≠ credits 200000 | cons_journal | 4 |
      | the consolidation journal | two entries that balance only together | journal-balanced-only-together.csv | journal entry "intercompany" does not balance: debits 46000 ≠ credits 45000 | cons_journal | 4 |
      | the consolidation journal | a fraction of a yen | journal-fraction-of-yen.csv | journal entry "investment-capital", account capital: amount 201000.5 must be positive whole yen | cons_journal | 4 |
      | the consolidation journal | a zero amount | journal-zero.csv | journal entry "investment-capital", account capital: amount 0 must be positive whole yen | cons_journal | 4 |
      | the consolidation journal | a negative amount | journal-negative.csv | journal entry "investment-capital", account capital: amount -201000 must be positive whole yen | cons_journal | 4 |
      | the consolidation journal | a line on net income | journal-net-income.csv | journal entry "profit-elimination", account net_income: net income (当期純利益) is computed, post to revenue or expense accounts instead | cons_journal | 4 |
      | the monetary items | an equity account | monetary-equity.csv | fixtures/bad_input/consolidation/monetary-equity.csv:2 (column account): capital is equity (純資産); monetary items are assets or liabilities | cons_monetary_item | 1 |
      | the monetary items | JPY as the foreign currency | monetary-jpy.csv | fixtures/bad_input/consolidation/monetary-jpy.csv:2 (column currency): "JPY" is not a foreign currency; use USD or EUR | cons_monetary_item | 1 |
      | the monetary items | an item twice | monetary-duplicate.csv | fixtures/bad_input/consolidation/monetary-duplicate.csv:3 (column currency): P receivable USD appears twice in one file (first on line 2); one line per company, account and currency | cons_monetary_item | 1 |
      | the adjustments | a fraction of a yen after translation | adjustments-fraction-of-yen.csv | company "US": account cost: 1500.5 is not a whole number of yen | cons_adjustment | 0 |
      | the adjustments | an unknown stage | adjustments-bad-stage.csv | fixtures/bad_input/consolidation/adjustments-bad-stage.csv:2 (column stage): write local or jpy, not "yen" | cons_adjustment | 0 |
      | the adjustments | an adjustment twice | adjustments-duplicate.csv | fixtures/bad_input/consolidation/adjustments-duplicate.csv:3 (column account): US local cash appears twice in one file (first on line 2); one line per company, stage and account | cons_adjustment | 0 |

  Scenario: Trial balances over the size limit are refused before they are read
    Given a file "$TMP/enormous.csv" of 65 MiB: the line "company,account,amount", then the line "P,cash,500000" repeated
    When the file "$TMP/enormous.csv" is imported as the trial balances
    Then it is refused with "$TMP/enormous.csv: the file is 65.0 MiB (68157440 bytes); input files are limited to 64 MiB: split it into smaller files"
    And every table is exactly as noted
