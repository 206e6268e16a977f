# Seed 002, under faults: a core operation recomputes every statement inside one
# transaction. When its database connection drops after it has saved part of the
# new statements (per step: after the first company's statement, EU; in memory:
# after the bulk save, before the commit), the operation fails, every table is exactly as it was
# (the previous consolidated statement intact, the new input not half-applied), and
# running the operation again succeeds. Every scenario runs with the in-memory
# optimisation off and on.
#
# Before each operation the consolidated statement is the one of
# features/consolidation/consolidated_statement.feature after the import.
# fixtures/fault/journal-investment-only.csv: the journal without the intercompany
# elimination, so receivable and payable each keep their 45,000.
@fault @differential(consolidation.in_memory)
Feature: A consolidation operation that loses its connection half-way changes nothing

  Background:
    Given the consolidation group of "fixtures/consolidation/companies.csv" with the accounts of "fixtures/consolidation/accounts.csv"
    And the exchange rates of "fixtures/consolidation/rates.csv"
    And the consolidation journal of "fixtures/consolidation/journal.csv"
    And the foreign-currency monetary items of "fixtures/consolidation/monetary-items.csv"
    And the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    And every table as it stands is noted

  Scenario: An exchange-rate update that loses its connection leaves the previous statements, and succeeds when run again
    When the exchange rates of "fixtures/consolidation/rates-usd-140.csv" are entered but the database connection is lost after saving 1 statement
    Then it stopped with the error "the connection was lost while"
    And it stopped with the error "the previous statements are intact"
    And every table is exactly as noted
    And the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   960,000 |
      | receivable     |   230,000 |
      | investment     |         0 |
      | payable        |   241,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,067,500 |
      | cost           |   844,000 |
      | net_income     |   223,500 |
      | fx_translation |    78,500 |
      | fx_gain_loss   |         0 |
    When the exchange rates of "fixtures/consolidation/rates-usd-140.csv" are entered
    Then the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   940,000 |
      | receivable     |   222,000 |
      | investment     |         0 |
      | payable        |   233,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,067,500 |
      | cost           |   844,000 |
      | net_income     |   220,500 |
      | fx_translation |    61,500 |
      | fx_gain_loss   |    -3,000 |
    And every statement balances

  Scenario: A trial-balance import that loses its connection leaves the previous statements, and succeeds when run again
    When the trial balances of "fixtures/consolidation/us-trial-balance-v2.csv" are imported but the database connection is lost after saving 1 statement
    Then it stopped with the error "the connection was lost while"
    And every table is exactly as noted
    And the statement of US has exactly one net income line, of 58,000
    When the trial balances of "fixtures/consolidation/us-trial-balance-v2.csv" are imported
    Then the statement of US has exactly one net income line, of 87,000
    And the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   990,000 |
      | receivable     |   230,000 |
      | investment     |         0 |
      | payable        |   241,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,096,500 |
      | cost           |   844,000 |
      | net_income     |   252,500 |
      | fx_translation |    79,500 |
      | fx_gain_loss   |         0 |
    And every statement balances

  Scenario: A journal replacement that loses its connection leaves the previous statements, and succeeds when run again
    When the consolidation journal of "fixtures/fault/journal-investment-only.csv" is entered but the database connection is lost after saving 1 statement
    Then it stopped with the error "the connection was lost while"
    And every table is exactly as noted
    When the consolidation journal of "fixtures/fault/journal-investment-only.csv" is entered
    # receivable 230,000 + 45,000; payable 241,000 + 45,000
    Then the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   960,000 |
      | receivable     |   275,000 |
      | investment     |         0 |
      | payable        |   286,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,067,500 |
      | cost           |   844,000 |
      | net_income     |   223,500 |
      | fx_translation |    78,500 |
      | fx_gain_loss   |         0 |
    And every statement balances
