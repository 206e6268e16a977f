//! Karte (カルテ): medical-record photos, from seed 000.
//!
//! Customers (顧客) carry photos and handwritten-chart images
//! (写真・手書きカルテ画像); deleting either moves it to the trash (ゴミ箱), and
//! a purge removes what has been in the trash for 30 days or more. In the
//! incident the purge ran as long transactions and blocked photo saves;
//! a follow-up incident shifted memo times when the database's time zone changed.
//!
//! [`service`] holds customers, photos, tags, memos, trash, restore and the
//! chunked purge; [`storage`] the object store for image bytes; [`time`] the UTC
//! storage and Asia/Tokyo display of times.

pub mod service;
pub mod storage;
pub mod time;

use kensho_shared::invariant::{Invariant, Rule};

/// The karte tables for each engine (`migrations/<engine>/`).
pub static MIGRATIONS: kensho_shared::db::Migrations = kensho_shared::migrations!();

/// What must hold in the karte tables after any operation. (Stored bytes without
/// their row are checked against the object store by the scenarios.)
pub const INVARIANTS: &[Invariant] = &[
    Invariant {
        service: "karte",
        name: "no photo without its customer",
        rule: Rule::References {
            table: "karte_photo",
            column: "customer_id",
            target: "karte_customer",
            target_column: "id",
        },
    },
    Invariant {
        service: "karte",
        name: "no tag row without its photo",
        rule: Rule::References {
            table: "karte_photo_tag",
            column: "photo_id",
            target: "karte_photo",
            target_column: "id",
        },
    },
    Invariant {
        service: "karte",
        name: "no tag row without its tag",
        rule: Rule::References {
            table: "karte_photo_tag",
            column: "tag_id",
            target: "karte_tag",
            target_column: "id",
        },
    },
    Invariant {
        service: "karte",
        name: "no memo without its customer",
        rule: Rule::References {
            table: "karte_memo",
            column: "customer_id",
            target: "karte_customer",
            target_column: "id",
        },
    },
];
