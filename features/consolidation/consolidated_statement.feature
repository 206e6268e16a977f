# Seed 002 (連結会計): statements of a parent in JPY and two foreign subsidiaries go
# through six steps, then add up with the consolidation journal. Every scenario runs
# twice, with the in-memory optimisation off and on, each in its own database, and
# the two runs must leave identical tables.
#
# Inputs (fixtures/consolidation/): companies P (JPY, parent), US (USD), EU (EUR);
# rates USD closing 150 / average 145 / historical 110, EUR 160 / 155 / 130;
# journal: investment 201,000 against capital, intercompany 45,000 (US owes P);
# P's receivable includes 300 USD booked at 45,000 (a monetary item, step 6).
# Signs: every amount is positive on its natural side.
@differential(consolidation.in_memory)
Feature: Consolidated statement of a group with foreign subsidiaries

  Background:
    Given the consolidation group of "fixtures/consolidation/companies.csv" with the accounts of "fixtures/consolidation/accounts.csv"
    And the exchange rates of "fixtures/consolidation/rates.csv"
    And the consolidation journal of "fixtures/consolidation/journal.csv"
    And the foreign-currency monetary items of "fixtures/consolidation/monetary-items.csv"

  Scenario: Importing the trial balances gives the hand-computed consolidated statement
    When the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # US (USD): assets at 150, equity at 110, revenue and expenses at 145
    #   cash 2,000 × 150 = 300,000   receivable 500 × 150 = 75,000   payable 800 × 150 = 120,000
    #   capital 1,000 × 110 = 110,000   retained 300 × 110 = 33,000
    #   sales 3,000 × 145 = 435,000   cost 2,600 × 145 = 377,000   net income 435,000 − 377,000 = 58,000
    #   translation adjustment 375,000 − 120,000 − 143,000 − 58,000 = 54,000
    Then the statement of US is exactly:
      | account        | amount  |
      | cash           | 300,000 |
      | receivable     |  75,000 |
      | payable        | 120,000 |
      | capital        | 110,000 |
      | retained       |  33,000 |
      | sales          | 435,000 |
      | cost           | 377,000 |
      | net_income     |  58,000 |
      | fx_translation |  54,000 |
    # Consolidated = P + US + EU, then the journal:
    #   cash 500,000 + 300,000 + 160,000 = 960,000
    #   receivable 200,000 + 75,000 − 45,000 = 230,000
    #   investment 201,000 − 201,000 = 0
    #   payable 150,000 + 120,000 + 16,000 − 45,000 = 241,000
    #   capital 500,000 + 110,000 + 91,000 − 201,000 = 500,000
    #   retained 101,000 + 33,000 + 13,000 = 147,000
    #   sales 400,000 + 435,000 + 232,500 = 1,067,500;  cost 250,000 + 377,000 + 217,000 = 844,000
    #   net income 1,067,500 − 844,000 = 223,500;  translation adjustment 0 + 54,000 + 24,500 = 78,500
    #   FX: P's 300 USD receivable at 150 = 45,000, as booked: no gain or loss
    #   check: 960,000 + 230,000 = 241,000 + 647,000 + 223,500 + 78,500 = 1,190,000
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
    And every statement balances
    And the consolidated statement matches the snapshot "consolidated-after-import"
    And the in-memory run took fewer database round trips than the per-step run

  Scenario: Recomputing a statement that already holds net income
    Given the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # US's new trial balance: sales 3,200 and cash 2,200; its net income line still says 400
    When the trial balances of "fixtures/consolidation/us-trial-balance-v2.csv" are imported
    # net income (3,200 − 2,600) × 145 = 87,000: one line, the new amount
    Then the statement of US has exactly one net income line, of 87,000
    # consolidated net income 1,096,500 − 844,000 = 252,500
    # translation adjustment 0 + (405,000 − 120,000 − 143,000 − 87,000) + 24,500 = 79,500
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

  Scenario: Recomputing a statement that already holds a translation adjustment line
    Given the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # US's books carry a translation adjustment line of their own (20): the balancing
    # figure replaces it, whatever it held, and there is still one line
    When the trial balances of "fixtures/consolidation/us-trial-balance-stale-translation.csv" are imported
    Then the statement of US is exactly:
      | account        | amount  |
      | cash           | 300,000 |
      | receivable     |  75,000 |
      | payable        | 120,000 |
      | capital        | 110,000 |
      | retained       |  33,000 |
      | sales          | 435,000 |
      | cost           | 377,000 |
      | net_income     |  58,000 |
      | fx_translation |  54,000 |
    And every statement balances

  Scenario: Adjustments to profit and loss move net income before the translation adjustment balances
    Given the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # US accrues 100 USD of cost (個別修正, local: cost and payable), and 1,500 yen more
    # cost after translation (換算修正, jpy):
    #   cost (2,600 + 100) × 145 + 1,500 = 393,000   payable (800 + 100) × 150 = 135,000
    #   net income 435,000 − 393,000 = 42,000
    #   translation adjustment 375,000 − 135,000 − 143,000 − 42,000 = 55,000
    When the adjustments of "fixtures/consolidation/adjustments-us-accrual.csv" are entered
    Then the statement of US is exactly:
      | account        | amount  |
      | cash           | 300,000 |
      | receivable     |  75,000 |
      | payable        | 135,000 |
      | capital        | 110,000 |
      | retained       |  33,000 |
      | sales          | 435,000 |
      | cost           | 393,000 |
      | net_income     |  42,000 |
      | fx_translation |  55,000 |
    # consolidated: payable 241,000 + 15,000 = 256,000; cost 844,000 + 16,000 = 860,000
    #   net income 1,067,500 − 860,000 = 207,500; translation adjustment 55,000 + 24,500 = 79,500
    #   check: 960,000 + 230,000 = 256,000 + 647,000 + 207,500 + 79,500 = 1,190,000
    And the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   960,000 |
      | receivable     |   230,000 |
      | investment     |         0 |
      | payable        |   256,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,067,500 |
      | cost           |   860,000 |
      | net_income     |   207,500 |
      | fx_translation |    79,500 |
      | fx_gain_loss   |         0 |
    And every statement balances

  Scenario: An exchange-rate update recomputes every foreign subsidiary and the translation adjustment
    Given the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # USD closing rate 150 → 140: US cash 280,000, receivable 70,000, payable 112,000
    # US translation adjustment 350,000 − 112,000 − 143,000 − 58,000 = 37,000
    # P's 300 USD receivable: 300 × 140 = 42,000 against 45,000 booked: FX loss 3,000,
    #   so receivable 200,000 + 70,000 − 45,000 − 3,000 = 222,000
    #   and net income 1,067,500 − 844,000 − 3,000 = 220,500
    #   check: 940,000 + 222,000 = 233,000 + 647,000 + 220,500 + 61,500 = 1,162,000
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

  Scenario: Totals by kind state each statement in the accountant's words
    When the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # US: assets 300,000 + 75,000 = 375,000; equity 110,000 + 33,000 = 143,000
    #   check: 375,000 = 120,000 + 143,000 + 58,000 + 54,000
    Then the statement of US totals:
      | kind                   | amount  |
      | assets                 | 375,000 |
      | liabilities            | 120,000 |
      | equity                 | 143,000 |
      | revenue                | 435,000 |
      | expenses               | 377,000 |
      | net income             |  58,000 |
      | translation adjustment |  54,000 |
    # Consolidated: assets 960,000 + 230,000 + 0 = 1,190,000
    #   equity 500,000 + 147,000 = 647,000
    #   check: 1,190,000 = 241,000 + 647,000 + 223,500 + 78,500
    And the consolidated statement totals:
      | kind                   | amount    |
      | assets                 | 1,190,000 |
      | liabilities            |   241,000 |
      | equity                 |   647,000 |
      | revenue                | 1,067,500 |
      | expenses               |   844,000 |
      | net income             |   223,500 |
      | translation adjustment |    78,500 |
      | fx gain or loss        |         0 |
    And the consolidated statement has exactly one net income line, of 223,500

  Scenario: A foreign-currency liability that shrinks in yen is an FX gain
    Given the trial balances of "fixtures/consolidation/trial-balances.csv" are imported
    # P's payable includes 100 USD booked at 15,000, next to its 300 USD receivable
    And the foreign-currency monetary items of "fixtures/consolidation/monetary-items-with-payable.csv"
    # USD closing rate 150 → 140: receivable 300 × 140 = 42,000 against 45,000: loss 3,000;
    #   payable 100 × 140 = 14,000 against 15,000: the liability shrinks by 1,000, a gain
    #   FX gain/loss −3,000 + 1,000 = −2,000; payable 233,000 − 1,000 = 232,000
    #   net income 1,067,500 − 844,000 − 2,000 = 221,500
    #   check: 940,000 + 222,000 = 232,000 + 647,000 + 221,500 + 61,500 = 1,162,000
    When the exchange rates of "fixtures/consolidation/rates-usd-140.csv" are entered
    Then the consolidated statement is exactly:
      | account        | amount    |
      | cash           |   940,000 |
      | receivable     |   222,000 |
      | investment     |         0 |
      | payable        |   232,000 |
      | capital        |   500,000 |
      | retained       |   147,000 |
      | sales          | 1,067,500 |
      | cost           |   844,000 |
      | net_income     |   221,500 |
      | fx_translation |    61,500 |
      | fx_gain_loss   |    -2,000 |
    And every statement balances

  Scenario: Two core operations at once never interleave
    When the trial balances of "fixtures/consolidation/trial-balances.csv" are imported while the exchange rates of "fixtures/consolidation/rates-usd-140.csv" are entered
    # as if run one after the other: the same table as the rate-update scenario
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
