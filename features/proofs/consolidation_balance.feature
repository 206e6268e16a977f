# Proofs that "every statement balances" covers every statement of the group: each
# company the database holds (not a fixed list of names) and the consolidated one.
# The statements are seeded as the service stores them (cons_statement_line, the
# consolidated one under company "*"); each balances but the one named.
Feature: Proofs: every statement of the group must balance

  Scenario: A subsidiary S that does not balance fails "every statement balances"
    Given the table cons_company contains:
      | code | currency | is_parent |
      | P    | JPY      | yes       |
      | S    | USD      | no        |
    And the table cons_statement_line contains:
      | company | account | kind   | amount |
      | P       | cash    | asset  | 1000   |
      | P       | capital | equity | 1000   |
      | S       | cash    | asset  | 1500   |
      | S       | capital | equity | 1000   |
      | *       | cash    | asset  | 2500   |
      | *       | capital | equity | 2500   |
    Then the step "every statement balances" fails with "the statement of S does not balance: assets exceed the other side by 500"

  Scenario: A consolidated statement that does not balance fails "every statement balances"
    Given the table cons_company contains:
      | code | currency | is_parent |
      | P    | JPY      | yes       |
    And the table cons_statement_line contains:
      | company | account    | kind       | amount |
      | P       | cash       | asset      | 1000   |
      | P       | capital    | equity     | 1000   |
      | *       | cash       | asset      | 1000   |
      | *       | net_income | net_income | 1      |
    Then the step "every statement balances" fails with "the consolidated statement does not balance: assets exceed the other side by 999"
    And the business invariant "the consolidated balance sheet balances (assets = liabilities + equity + net income + translation adjustment)" is violated

  Scenario: A statement stored under a company the group does not list is checked too
    Given the table cons_company contains:
      | code | currency | is_parent |
      | P    | JPY      | yes       |
    And the table cons_statement_line contains:
      | company | account | kind   | amount |
      | X       | capital | equity | 10     |
    Then the step "every statement balances" fails with "the statement of X does not balance: assets exceed the other side by -10"

  Scenario: A group without companies has no statement to balance
    Then the step "every statement balances" fails with "the group has no companies: no statement to balance"
