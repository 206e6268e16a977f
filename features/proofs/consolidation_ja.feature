# language: ja
# 連結会計の手順が失敗しうることの証明(features/proofs/tables.feature を参照)。
# fixtures/consolidation/ のグループ(P は円、US は米ドル、EU はユーロ)に試算表を
# 取り込んだ状態で、それが持たない内容を主張する。
機能: 証明: 連結会計の手順は失敗しうる

  シナリオ: 財務諸表は持たない内容と一致せず、スナップショットの名前は英数字である
    前提 会社一覧「fixtures/consolidation/companies.csv」と勘定科目一覧「fixtures/consolidation/accounts.csv」の連結グループがある
    かつ 為替レート「fixtures/consolidation/rates.csv」が登録されている
    かつ 連結仕訳「fixtures/consolidation/journal.csv」が登録されている
    かつ 外貨建金銭債権債務「fixtures/consolidation/monetary-items.csv」が登録されている
    かつ 試算表「fixtures/consolidation/trial-balances.csv」を取り込み済みである
    ならば 「連結財務諸表は過不足なく次のとおりである」という手順は「+ unexpected: | capital | 500000 |」というメッセージで失敗する
      | 勘定科目 | 金額    |
      | cash     | 960,000 |
    かつ 「会社「US」の財務諸表は過不足なく次のとおりである」という手順は「statement of US: the table differs」というメッセージで失敗する
      | 勘定科目 | 金額    |
      | cash     | 300,000 |
    かつ 「会社「US」の財務諸表には当期純利益の行がちょうど1行あり、その金額は58,001円である」という手順は「statement of US: net income 58000 where 58001 was expected」というメッセージで失敗する
    かつ 「連結財務諸表はスナップショット「連結」と一致する」という手順は「snapshot names are letters, digits」というメッセージで失敗する

  # US: 資産 300,000 + 75,000 = 375,000。連結: 当期純利益 223,500
  シナリオ: 種類別の合計と連結の当期純利益は財務諸表が持たない金額と一致せず、知らない会社は知っている会社を挙げて誤りになる
    前提 会社一覧「fixtures/consolidation/companies.csv」と勘定科目一覧「fixtures/consolidation/accounts.csv」の連結グループがある
    かつ 為替レート「fixtures/consolidation/rates.csv」が登録されている
    かつ 連結仕訳「fixtures/consolidation/journal.csv」が登録されている
    かつ 外貨建金銭債権債務「fixtures/consolidation/monetary-items.csv」が登録されている
    かつ 試算表「fixtures/consolidation/trial-balances.csv」を取り込み済みである
    ならば 「会社「US」の財務諸表の種類別の合計は次のとおりである」という手順は「the statement of US totals: assets 375000 where 375001 was expected」というメッセージで失敗する
      | 種類 | 金額    |
      | 資産 | 375,001 |
    かつ 「連結財務諸表の種類別の合計は次のとおりである」という手順は「the consolidated statement totals: net income 223500 where 223000 was expected」というメッセージで失敗する
      | 種類       | 金額    |
      | 当期純利益 | 223,000 |
    かつ 「連結財務諸表には当期純利益の行がちょうど1行あり、その金額は1円である」という手順は「consolidated statement: net income 223500 where 1 was expected」というメッセージで失敗する
    かつ 「会社「T」の財務諸表は過不足なく次のとおりである」という手順は「there is no company T in the group; the companies are EU, P, US」というメッセージで失敗する
      | 勘定科目 | 金額 |
      | cash     | 1    |

  シナリオ: 子会社 S の貸借が一致しなければ「すべての財務諸表で貸借が一致する」は失敗する
    前提 the table cons_company contains:
      | code | currency | is_parent |
      | P    | JPY      | yes       |
      | S    | USD      | no        |
    かつ the table cons_statement_line contains:
      | company | account | kind   | amount |
      | S       | cash    | asset  | 1500   |
      | S       | capital | equity | 1000   |
    ならば 「すべての財務諸表で貸借が一致する」という手順は「the statement of S does not balance: assets exceed the other side by 500」というメッセージで失敗する
