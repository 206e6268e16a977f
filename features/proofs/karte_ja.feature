# language: ja
# カルテの手順が失敗しうることの証明(features/proofs/tables.feature を参照)。
機能: 証明: カルテの手順は失敗しうる

  背景:
    前提 今日は2026-11-23である
    かつ 顧客「佐藤」に「顔」のタグ付き写真が3枚ある

  シナリオ: 一括削除の結果は別の件数ではない
    前提 「佐藤」の写真のうち1枚が31日前にゴミ箱に移された
    もし ゴミ箱の一括削除を実行する
    ならば 「一括削除で写真2枚と顧客0名が完全に削除された」という手順は「the purge removed 1 photos and 0 customers」というメッセージで失敗する
    かつ 「「佐藤」の写真は3枚残っている」という手順は「佐藤 has 2 photos, expected 3」というメッセージで失敗する

  シナリオ: 写真の行が知らない画像データは持ち主のない画像データである
    前提 the object store holds "stray/orphan.img" with the bytes "迷子"
    ならば 「持ち主のない画像データもタグ行も残っていない」という手順は「object store and photo rows disagree」というメッセージで失敗する
