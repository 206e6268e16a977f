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
