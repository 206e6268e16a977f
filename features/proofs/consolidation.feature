# Proofs that the consolidation steps can fail (see features/proofs/tables.feature).
# The group of fixtures/consolidation/ (P in JPY, US in USD, EU in EUR) after its
# trial balances are imported: features/consolidation/consolidated_statement.feature
# shows the statements it gives.
Feature: Proofs: the consolidation steps can fail

  Background:
    Given the consolidation group of "fixtures/consolidation/companies.csv" with the accounts of "fixtures/consolidation/accounts.csv"
    And the exchange rates of "fixtures/consolidation/rates.csv"
    And the consolidation journal of "fixtures/consolidation/journal.csv"
    And the foreign-currency monetary items of "fixtures/consolidation/monetary-items.csv"
    And the trial balances of "fixtures/consolidation/trial-balances.csv" are imported

  Scenario: Statements are not what they do not hold
    Then the step "the consolidated statement is exactly:" fails with "+ unexpected: | capital | 500000 |"
      | account | amount  |
      | cash    | 960,000 |
    And the step "the statement of US is exactly:" fails with "- missing:    | cash | 300,001 |"
      | account        | amount  |
      | cash           | 300,001 |
      | receivable     |  75,000 |
      | payable        | 120,000 |
      | capital        | 110,000 |
      | retained       |  33,000 |
      | sales          | 435,000 |
      | cost           | 377,000 |
      | net_income     |  58,000 |
      | fx_translation |  54,000 |
    And the step "the statement of US has exactly one net income line, of 58,001" fails with "statement of US: net income 58000 where 58001 was expected"

  Scenario: A snapshot is named in letters, digits, '-' and '_'
    Then the step "the consolidated statement matches the snapshot "../consolidated-after-import"" fails with "snapshot names are letters, digits"

  # The in-memory optimisation takes fewer round trips than the per-step run even for
  # a group of one company (34 against 19): no state of the service makes the
  # comparison fail. The step fails when the import did not run both ways.
  Scenario: An import that did not run both ways proves no saving of round trips
    When the trial balances of "fixtures/consolidation/us-trial-balance-v2.csv" are imported
    Then the step "the in-memory run took fewer database round trips than the per-step run" fails with "the feature needs @differential(consolidation.in_memory)"

  # US: assets 300,000 + 75,000 = 375,000, net income 58,000; consolidated
  # translation adjustment 78,500, net income 223,500
  Scenario: Totals and the consolidated net income are not amounts the statements do not hold
    Then the step "the statement of US totals:" fails with "the statement of US totals: assets 375000 where 375001 was expected; net income 58000 where 0 was expected"
      | kind       | amount  |
      | assets     | 375,001 |
      | equity     | 143,000 |
      | net income | 0       |
    And the step "the consolidated statement totals:" fails with "the consolidated statement totals: translation adjustment 78500 where 78000 was expected"
      | kind                   | amount |
      | translation adjustment | 78,000 |
    And the step "the consolidated statement has exactly one net income line, of 223,501" fails with "consolidated statement: net income 223500 where 223501 was expected"

  Scenario: A company, account or kind the group does not know is an error naming the known ones
    Then the step "the statement of T is exactly:" fails with "there is no company T in the group; the companies are EU, P, US; the consolidated statement is named `the consolidated statement` (連結財務諸表, 会社「連結」)"
      | account | amount |
      | cash    | 1      |
    And the step "the statement of US is exactly:" fails with "there is no account cahs in the chart of accounts; the accounts are capital, cash, cost, fx_gain_loss, fx_translation, investment, net_income, payable, receivable, retained, sales"
      | account | amount |
      | cahs    | 1      |
    And the step "the statement of US totals:" fails with "row 3 of the totals table: there is no kind "profit"; the kinds are assets (資産), liabilities (負債), equity (純資産), revenue (収益), expenses (費用), net income (当期純利益), translation adjustment (為替換算調整勘定), fx gain or loss (為替差損益)"
      | kind   | amount  |
      | assets | 375,000 |
      | profit | 58,000  |
    And the step "the statement of * has exactly one net income line, of 1" fails with "`*` is the code the consolidated statement is stored under; the consolidated statement is named `the consolidated statement`"
