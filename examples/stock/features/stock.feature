Feature: Stock on hand
  The warehouse never holds less than nothing: a shipment larger than the stock
  is refused whole under strict shipping, and ships what is there otherwise.

  Scenario: Received stock ships and the rest stays on hand
    When 10 of "A-1" are received
    And 4 of "A-1" are shipped
    Then "A-1" has 6 on hand
    And the table stock_move has exactly:
      | sku | delta |
      | A-1 | 10    |
      | A-1 | -4    |

  Scenario: A shipment larger than the stock is refused under strict shipping
    Given the table stock_level contains:
      | sku | quantity |
      | B-2 | 3        |
    When the feature flag "stock.strict_shipping" is switched on
    And 5 of "B-2" are shipped
    Then the shipment is refused with "only 3 on hand"
    And "B-2" has 3 on hand
    And the table stock_move has exactly:
      | sku | delta |

  @differential(stock.strict_shipping)
  Scenario: Shipping what there is, with the flag off and on
    When 2 of "C-3" are received
    And 2 of "C-3" are shipped
    Then "C-3" has 0 on hand
