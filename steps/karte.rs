//! カルテ medical-record photo steps (seed 000): customers, photos, trash and purge.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use cucumber::{given, then, when};
use futures::{StreamExt as _, TryStreamExt as _};
use kensho::check::concurrency::{ErrorKind, LatencyRecorder, classify};
use kensho::db::Db;
use kensho_karte::service::{self, ImageKind, KarteError, PurgeOptions, PurgeReport, RETENTION_MS};
use kensho_karte::storage::{LocalStore, ObjectStore, StoreError};
use kensho_karte::time::{DAY_MS, HOUR_MS, MINUTE_MS, WallClock};

use kensho::{ScenarioWorld, refused_exactly};

/// The scenario's karte state: its clock, object store and the photos it made.
#[derive(Debug, Default)]
pub struct KarteState {
    /// The scenario's "now" (UTC ms); set by "today is".
    pub now_ms: i64,
    pub customers: BTreeMap<String, i64>,
    /// Photo ids per customer, in creation order, with their trash state.
    pub photos: BTreeMap<String, Vec<(i64, bool)>>,
    pub last_purge: Option<PurgeReport>,
    /// Photos the purge must remove (in the trash 30 days or more when it ran).
    pub expired: Vec<i64>,
    /// Latency statistics of the last concurrent step.
    pub stats: LatencyRecorder,
    /// The error of the last purge a step let fail.
    pub purge_error: Option<String>,
    /// Photos whose restore committed before the purge reached them.
    pub restored_in_race: Vec<i64>,
    /// Photos the purge removed before their restore could.
    pub lost_in_race: Vec<i64>,
    /// The bytes each photo got in its last update.
    pub updated_bytes: BTreeMap<i64, Vec<u8>>,
    /// How the concurrency statistics count the last update that was held back by
    /// another transaction, with its message.
    pub blocked_update: Option<(ErrorKind, String)>,
    /// Set only by the suite's incident replay check (seed 000): "the purge runs"
    /// runs the purge as it was in the incident, one long transaction.
    pub replay_long_purge: bool,
}

impl KarteState {
    /// The options "the purge runs" uses.
    pub fn purge_options(&self) -> PurgeOptions {
        PurgeOptions::default()
    }
}

/// The scenario's karte state, as it stands (the defaults before any karte step).
pub fn karte(w: &ScenarioWorld) -> &KarteState {
    static NONE: std::sync::LazyLock<KarteState> = std::sync::LazyLock::new(KarteState::default);
    w.state_ref::<KarteState>().unwrap_or(&NONE)
}

/// The scenario's karte state, to change.
pub fn karte_mut(w: &mut ScenarioWorld) -> &mut KarteState {
    w.state::<KarteState>()
}

pub fn store(w: &ScenarioWorld) -> Result<LocalStore> {
    // One folder per engine and database: database names repeat across engines.
    let database = &w.variants()?[0].database;
    Ok(LocalStore::new(
        crate::root()
            .join("target/kensho/objects")
            .join(database.engine.name())
            .join(&database.name),
    ))
}

/// The error for a customer no step of the scenario made, naming those it made.
fn unknown_customer(w: &ScenarioWorld, name: &str) -> anyhow::Error {
    let known: Vec<&str> = karte(w).customers.keys().map(String::as_str).collect();
    anyhow!(
        "there is no customer {name:?} in this scenario; the customers are {}",
        if known.is_empty() {
            "none (no step made one yet)".to_string()
        } else {
            known.join(", ")
        }
    )
}

fn customer(w: &ScenarioWorld, name: &str) -> Result<i64> {
    karte(w)
        .customers
        .get(name)
        .copied()
        .ok_or_else(|| unknown_customer(w, name))
}

/// How long ago something went to the trash, from the scenario's now: days, hours
/// and minutes, largest first, each at most once (`31 days`, `29 days 23 hours`,
/// `29 days 23 hours 59 minutes`, `2 hours`); in Japanese `31日`, `29日23時間59分`.
#[derive(Debug, Clone, Copy, cucumber::Parameter)]
#[param(
    name = "elapsed",
    regex = r"\d+ days?(?: \d+ hours?)?(?: \d+ minutes?)?|\d+ hours?(?: \d+ minutes?)?|\d+ minutes?"
)]
pub struct Elapsed(pub i64);

impl std::str::FromStr for Elapsed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        /// The units, largest first: English names, Japanese name, milliseconds.
        const UNITS: [(&str, &str, &str, i64); 3] = [
            ("day", "days", "日", DAY_MS),
            ("hour", "hours", "時間", HOUR_MS),
            ("minute", "minutes", "分", MINUTE_MS),
        ];
        let bad = || {
            format!(
                "{s:?} is not a time ago: write days, hours and minutes, largest first (`29 days 23 hours 59 minutes`, `29日23時間59分`)"
            )
        };
        let mut rest = s.trim();
        let (mut total, mut next_unit, mut parts) = (0i64, 0, 0);
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let number: i64 = rest[..digits].parse().map_err(|_| bad())?;
            let after = rest[digits..].trim_start();
            let (unit, tail) = UNITS
                .iter()
                .enumerate()
                .skip(next_unit)
                .find_map(|(i, (one, many, ja, ms))| {
                    [*many, *one, *ja]
                        .into_iter()
                        .find(|name| after.starts_with(name))
                        .map(|name| ((i, *ms), &after[name.len()..]))
                })
                .ok_or_else(bad)?;
            total = number
                .checked_mul(unit.1)
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(bad)?;
            next_unit = unit.0 + 1;
            parts += 1;
            rest = tail.trim_start();
        }
        if parts == 0 {
            return Err(bad());
        }
        Ok(Elapsed(total))
    }
}

/// A time in Tokyo as written in a step (`2026-10-24 11:59`), in UTC milliseconds.
fn tokyo_time_ms(text: &str) -> Result<i64> {
    Ok(WallClock::parse(text)?.tokyo_to_utc_ms())
}

/// 前提: the scenario's date: `today is 2026-11-23` means 12:00 (midday) in Tokyo
/// on that day (Asia/Tokyo, UTC+9: 03:00 UTC), and every "… ago" of the karte
/// steps counts back from that moment.
#[given(regex = r"^today is (\d{4}-\d{2}-\d{2})$")]
#[given(regex = r"^今日は(\d{4}-\d{2}-\d{2})である$")]
async fn today(w: &mut ScenarioWorld, date: String) -> Result<()> {
    karte_mut(w).now_ms = WallClock::parse(&format!("{date} 12:00"))?.tokyo_to_utc_ms();
    Ok(())
}

/// The id of a customer's `n`-th photo (1-based, in the order they were made).
fn nth_photo(w: &ScenarioWorld, name: &str, n: usize) -> Result<i64> {
    let photos = karte(w)
        .photos
        .get(name)
        .ok_or_else(|| unknown_customer(w, name))?;
    photos
        .get(n.checked_sub(1).context("photos are counted from 1")?)
        .map(|(id, _)| *id)
        .ok_or_else(|| anyhow!("{name} has {} photos, not {n}", photos.len()))
}

#[given(expr = "customer {string} with {int} photo(s) tagged {string}")]
async fn customer_with_photos(
    w: &mut ScenarioWorld,
    name: String,
    count: usize,
    tags: String,
) -> Result<()> {
    let db = w.db()?.clone();
    let id = service::create_customer(&db, &name).await?;
    let store = store(w)?;
    let tags: Vec<&str> = tags
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let mut photos = Vec::new();
    for n in 0..count {
        let bytes = format!("image {n} of {name}").into_bytes();
        photos.push((
            service::save_photo(
                &db,
                &store,
                id,
                ImageKind::Photo,
                &bytes,
                &tags,
                karte(w).now_ms,
            )
            .await?,
            false,
        ));
    }
    karte_mut(w).customers.insert(name.clone(), id);
    karte_mut(w).photos.insert(name, photos);
    Ok(())
}

/// 前提: 顧客「佐藤」に「顔, 正面」のタグ付き写真が5枚ある. Step values arrive in the
/// order they are written, and Japanese names the tags before the count.
#[given(regex = r"^顧客「([^」]+)」に「([^」]*)」のタグ付き写真が(\d+)枚ある$")]
async fn customer_with_photos_ja(
    w: &mut ScenarioWorld,
    name: String,
    tags: String,
    count: usize,
) -> Result<()> {
    customer_with_photos(w, name, count, tags).await
}

/// Moves `count` of a customer's photos (those not in the trash, first made first)
/// to the trash at `at` (UTC ms); those 30 days or more before the scenario's now
/// are expired trash the purge must remove.
async fn trash_photos_at(w: &mut ScenarioWorld, count: usize, name: &str, at: i64) -> Result<()> {
    let db = w.db()?.clone();
    if !karte(w).photos.contains_key(name) {
        return Err(unknown_customer(w, name));
    }
    let state = karte_mut(w);
    let expired = state.now_ms - at >= RETENTION_MS;
    let photos = state.photos.get_mut(name).context("checked above")?;
    let mut done = 0;
    for (id, trashed) in photos.iter_mut().filter(|(_, t)| !*t).take(count) {
        service::trash_photo(&db, *id, at).await?;
        *trashed = true;
        if expired {
            state.expired.push(*id);
        }
        done += 1;
    }
    ensure!(
        done == count,
        "{name} has only {done} photos outside the trash"
    );
    Ok(())
}

/// 前提: photos moved to the trash some time before the scenario's now (12:00 in
/// Tokyo on "today"): `2 of "佐藤"'s photos went to the trash 29 days 23 hours 59
/// minutes ago`.
#[given(expr = "{int} of {string}'s photos went to the trash {elapsed} ago")]
async fn photos_trashed(
    w: &mut ScenarioWorld,
    count: usize,
    name: String,
    ago: Elapsed,
) -> Result<()> {
    let at = karte(w).now_ms - ago.0;
    trash_photos_at(w, count, &name, at).await
}

/// 前提: 「佐藤」の写真のうち2枚が29日23時間59分前にゴミ箱に移された (days, hours
/// and minutes before 12:00 in Tokyo on "today"). Step values arrive in the order
/// they are written, and Japanese names the customer before the count.
#[given(
    regex = r"^「([^」]+)」の写真のうち(\d+)枚が((?:\d+日)?(?:\d+時間)?(?:\d+分)?)前にゴミ箱に移された$"
)]
async fn photos_trashed_ja(
    w: &mut ScenarioWorld,
    name: String,
    count: usize,
    ago: String,
) -> Result<()> {
    let ago: Elapsed = ago.parse().map_err(|e: String| anyhow!(e))?;
    photos_trashed(w, count, name, ago).await
}

/// 前提: photos moved to the trash at a time in Tokyo (JST, 日本時間):
/// `1 of "佐藤"'s photos went to the trash at 2026-10-24 11:59 JST`.
#[given(
    regex = r#"^(\d+) of "([^"]+)"'s photos went to the trash at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) JST$"#
)]
async fn photos_trashed_at(
    w: &mut ScenarioWorld,
    count: usize,
    name: String,
    at: String,
) -> Result<()> {
    trash_photos_at(w, count, &name, tokyo_time_ms(&at)?).await
}

/// 前提: 「佐藤」の写真のうち1枚が日本時間2026-10-24 11:59にゴミ箱に移された.
#[given(
    regex = r"^「([^」]+)」の写真のうち(\d+)枚が日本時間(\d{4}-\d{2}-\d{2} \d{2}:\d{2})にゴミ箱に移された$"
)]
async fn photos_trashed_at_ja(
    w: &mut ScenarioWorld,
    name: String,
    count: usize,
    at: String,
) -> Result<()> {
    trash_photos_at(w, count, &name, tokyo_time_ms(&at)?).await
}

/// 前提: a customer (with all their photos) moved to the trash some time before
/// the scenario's now: `customer "鈴木" went to the trash 30 days ago`,
/// 顧客「鈴木」が29日23時間59分前にゴミ箱に移された.
#[given(expr = "customer {string} went to the trash {elapsed} ago")]
async fn customer_trashed(w: &mut ScenarioWorld, name: String, ago: Elapsed) -> Result<()> {
    let id = customer(w, &name)?;
    service::trash_customer(w.db()?, id, karte(w).now_ms - ago.0).await?;
    Ok(())
}

/// 前提: 顧客「鈴木」が30日前にゴミ箱に移された (days, hours and minutes).
#[given(regex = r"^顧客「([^」]+)」が((?:\d+日)?(?:\d+時間)?(?:\d+分)?)前にゴミ箱に移された$")]
async fn customer_trashed_ja(w: &mut ScenarioWorld, name: String, ago: String) -> Result<()> {
    let ago: Elapsed = ago.parse().map_err(|e: String| anyhow!(e))?;
    customer_trashed(w, name, ago).await
}

/// 前提: a customer moved to the trash at a time in Tokyo (JST, 日本時間).
#[given(regex = r#"^customer "([^"]+)" went to the trash at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) JST$"#)]
#[given(regex = r"^顧客「([^」]+)」が日本時間(\d{4}-\d{2}-\d{2} \d{2}:\d{2})にゴミ箱に移された$")]
async fn customer_trashed_at(w: &mut ScenarioWorld, name: String, at: String) -> Result<()> {
    let id = customer(w, &name)?;
    service::trash_customer(w.db()?, id, tokyo_time_ms(&at)?).await?;
    Ok(())
}

#[when(expr = "customer {string} is restored from the trash")]
#[when(regex = r"^顧客「([^」]+)」をゴミ箱から復元する$")]
async fn customer_restored(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let id = customer(w, &name)?;
    service::restore_customer(w.db()?, id).await?;
    Ok(())
}

#[when(expr = "{string}'s trashed photos are restored")]
#[when(regex = r"^ゴミ箱にある「([^」]+)」の写真を復元する$")]
async fn photos_restored(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let db = w.db()?.clone();
    if !karte(w).photos.contains_key(&name) {
        return Err(unknown_customer(w, &name));
    }
    for (id, trashed) in karte_mut(w)
        .photos
        .get_mut(&name)
        .context("checked above")?
        .iter_mut()
        .filter(|(_, t)| *t)
    {
        service::restore_photo(&db, *id).await?;
        *trashed = false;
    }
    Ok(())
}

#[when("the purge runs")]
#[when("ゴミ箱の一括削除を実行する")]
async fn purge_runs(w: &mut ScenarioWorld) -> Result<()> {
    let (db, store, now) = (w.db()?, &store(w)?, karte(w).now_ms);
    // The service's own entry point with its default options; the incident
    // replay runs the purge as it was.
    let report = if karte(w).replay_long_purge {
        service::purge_as_in_the_incident(db, store, now).await?
    } else {
        service::purge(db, store, now).await?
    };
    karte_mut(w).last_purge = Some(report);
    Ok(())
}

/// A bounded purge run: it stops after `chunks` chunks; the next run goes on.
#[when(expr = "the purge runs for at most {int} chunk(s)")]
async fn purge_bounded(w: &mut ScenarioWorld, chunks: usize) -> Result<()> {
    let options = PurgeOptions {
        max_chunks: Some(chunks),
        ..karte(w).purge_options()
    };
    let report = service::purge_with(w.db()?, &store(w)?, karte(w).now_ms, &options).await?;
    karte_mut(w).last_purge = Some(report);
    Ok(())
}

/// The scenario's object store, refusing every deletion (an outage of the object
/// storage between the purge's commit and its byte deletion).
struct RefusingDeletes(LocalStore);

impl ObjectStore for RefusingDeletes {
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.0.put(key, bytes)
    }
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        Err(StoreError::Io {
            action: "delete",
            key: key.to_string(),
            path: self.0.root.join(key),
            source: std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "the object storage is unreachable",
            ),
        })
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.0.exists(key)
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        self.0.list()
    }
}

/// The purge runs while the object storage refuses deletions: it must stop with
/// that error after committing its first chunk.
#[when("the purge runs while the object storage refuses deletions")]
async fn purge_store_down(w: &mut ScenarioWorld) -> Result<()> {
    let options = karte(w).purge_options();
    let store = RefusingDeletes(store(w)?);
    match service::purge_with(w.db()?, &store, karte(w).now_ms, &options).await {
        Ok(report) => bail!(
            "the purge succeeded ({} photos) although no bytes could be deleted",
            report.photos
        ),
        Err(e) => karte_mut(w).purge_error = Some(e.to_string()),
    }
    Ok(())
}

#[then(expr = "the purge stopped with the error {string}")]
async fn purge_stopped_with(w: &mut ScenarioWorld, expected: String) -> Result<()> {
    let error = karte(w).purge_error.as_deref().context("no purge failed")?;
    ensure!(
        error.contains(&expected),
        "the purge failed with {error:?}, which does not say {expected:?}"
    );
    Ok(())
}

/// Exactly `count` of the expired photos are gone so far, and the bytes of those
/// gone are either deleted or still queued for deletion (never lost track of).
#[then(expr = "{int} expired photos are gone and {int} of their keys wait in the deletion queue")]
async fn partly_purged(w: &mut ScenarioWorld, count: usize, queued: usize) -> Result<()> {
    let db = w.db()?;
    let existing = service::photo_ids(db).await?;
    let gone = karte(w)
        .expired
        .iter()
        .filter(|id| !existing.contains(id))
        .count();
    ensure!(
        gone == count,
        "{gone} expired photos are gone, expected {count}"
    );
    let waiting = service::queued_deletions(db).await?;
    ensure!(
        waiting.len() == queued,
        "{} keys wait in the deletion queue, expected {queued}",
        waiting.len()
    );
    let store = store(w)?;
    for key in &waiting {
        ensure!(
            store.exists(key)?,
            "queued key {key} has no bytes left to delete"
        );
    }
    Ok(())
}

fn wall_clock_ms(text: &str) -> Result<i64> {
    Ok(WallClock::parse(text)?.tokyo_to_utc_ms())
}

/// 画像の更新: new bytes for a customer's n-th photo, at a time in Tokyo.
#[when(regex = r#"^"([^"]+)"'s photo (\d+) is updated at (\d{4}-\d{2}-\d{2} \d{2}:\d{2})$"#)]
async fn photo_updated(w: &mut ScenarioWorld, name: String, n: usize, at: String) -> Result<()> {
    let id = nth_photo(w, &name, n)?;
    let bytes = format!("image {n} of {name}, as updated at {at}").into_bytes();
    service::update_photo(w.db()?, &store(w)?, id, &bytes, wall_clock_ms(&at)?).await?;
    karte_mut(w).updated_bytes.insert(id, bytes);
    Ok(())
}

/// 画像の更新 while another transaction holds the photo's row lock (on SQLite, where
/// a transaction locks the whole database, the write lock): the update waits out
/// the lock wait ([`kensho::db::LOCK_WAIT`]) and fails; the holder then rolls back.
#[when(regex = r#"^"([^"]+)"'s photo (\d+) is updated while another transaction holds it$"#)]
async fn update_held_back(w: &mut ScenarioWorld, name: String, n: usize) -> Result<()> {
    let id = nth_photo(w, &name, n)?;
    let db = w.db()?.clone();
    let store = store(w)?;
    let bytes = format!("image {n} of {name}, held back").into_bytes();
    let update = service::update_photo(&db, &store, id, &bytes, karte(w).now_ms);
    // The holder's statement: a row lock on the photo, or on SQLite any write (it
    // takes the database's write lock until the transaction ends).
    macro_rules! held_back {
        ($pool:expr, $lock:literal) => {{
            let mut holder = $pool.begin().await?;
            sqlx::query($lock).bind(id).execute(&mut *holder).await?;
            let updated = update.await;
            holder.rollback().await?;
            updated
        }};
    }
    let updated = match &db {
        Db::Sqlite(pool) => held_back!(
            pool,
            "UPDATE karte_photo SET updated_at = updated_at WHERE id = ?"
        ),
        Db::Postgres(pool) => {
            held_back!(pool, "SELECT id FROM karte_photo WHERE id = $1 FOR UPDATE")
        }
        Db::MySql(pool) => held_back!(pool, "SELECT id FROM karte_photo WHERE id = ? FOR UPDATE"),
    };
    match updated {
        Ok(()) => bail!("photo {id} was updated while another transaction held it"),
        Err(e) => karte_mut(w).blocked_update = Some((kind_of(&e), e.to_string())),
    }
    Ok(())
}

/// How the concurrency statistics count the held-back update, per engine:
/// | engine | counted as |, one row per engine.
#[then("the update failed and the concurrency statistics count it as:")]
async fn blocked_update_counted(
    w: &mut ScenarioWorld,
    step: &cucumber::gherkin::Step,
) -> Result<()> {
    let table = step
        .table
        .as_ref()
        .context("the step needs a table: | engine | counted as |")?;
    let engine = w.db()?.engine().name();
    let mut expected = None;
    for row in table.rows.iter().skip(1) {
        match row.as_slice() {
            [e, kind] if e.trim() == engine => expected = Some(kind.trim().to_string()),
            [_, _] => {}
            _ => bail!("each row is | engine | counted as |, found {row:?}"),
        }
    }
    let expected = expected.with_context(|| format!("the table has no row for {engine}"))?;
    let (kind, message) = karte(w)
        .blocked_update
        .as_ref()
        .context("no update was held back in this scenario")?;
    ensure!(
        kind.to_string() == expected,
        "the held-back update is counted as {kind}, expected {expected}; its error: {message}"
    );
    Ok(())
}

#[then(regex = r#"^updating "([^"]+)"'s photo (\d+) is refused because it is in the trash$"#)]
async fn update_refused(w: &mut ScenarioWorld, name: String, n: usize) -> Result<()> {
    let id = nth_photo(w, &name, n)?;
    match service::update_photo(w.db()?, &store(w)?, id, b"refused", karte(w).now_ms).await {
        Err(KarteError::InTrash(photo)) if photo == id => Ok(()),
        Err(e) => bail!("the update was refused, but with: {e}"),
        Ok(()) => bail!("photo {id} was updated although it is in the trash"),
    }
}

#[then(regex = r#"^"([^"]+)"'s photo (\d+) was last updated at (\d{4}-\d{2}-\d{2} \d{2}:\d{2})$"#)]
async fn last_updated(w: &mut ScenarioWorld, name: String, n: usize, at: String) -> Result<()> {
    let row = service::photo(w.db()?, nth_photo(w, &name, n)?).await?;
    let shown = WallClock::tokyo(row.updated_at).to_string();
    ensure!(
        shown == at,
        "{name}'s photo {n} was last updated at {shown} (Asia/Tokyo), expected {at}"
    );
    Ok(())
}

#[then(expr = "{string}'s photo {int} holds the bytes of its last update")]
async fn holds_updated_bytes(w: &mut ScenarioWorld, name: String, n: usize) -> Result<()> {
    let id = nth_photo(w, &name, n)?;
    let row = service::photo(w.db()?, id).await?;
    let expected = karte(w)
        .updated_bytes
        .get(&id)
        .context("that photo was not updated in this scenario")?;
    let stored = store(w)?.get(&row.object_key)?;
    ensure!(
        stored.as_ref() == Some(expected),
        "{name}'s photo {n} points at {} holding {:?}, not the update's bytes",
        row.object_key,
        stored.map(|b| String::from_utf8_lossy(&b).into_owned())
    );
    Ok(())
}

/// An administrator changes the database's session time zone (every connection of
/// the scenario's pool). SQLite has no session time zone: nothing changes there.
#[given(regex = r#"^the database session time zone (?:is|changes to) "([^"]*)"$"#)]
#[when(regex = r#"^the database session time zone (?:is|changes to) "([^"]*)"$"#)]
async fn session_time_zone(w: &mut ScenarioWorld, offset: String) -> Result<()> {
    if !service::set_session_time_zone(w.db()?, &offset).await? {
        eprintln!("      (sqlite has no session time zone; nothing to change)");
    }
    Ok(())
}

/// A session time zone an administrator may not set: the exact message.
#[then(regex = r#"^setting the database session time zone to "([^"]*)" is refused: (.+)$"#)]
async fn time_zone_refused(w: &mut ScenarioWorld, offset: String, expected: String) -> Result<()> {
    refused_exactly(
        &format!("the session time zone {offset:?}"),
        service::set_session_time_zone(w.db()?, &offset).await,
        &expected,
    )
}

/// A session time zone that is set on every connection of the servers; SQLite has
/// no session time zone and says so.
#[then(regex = r#"^setting the database session time zone to "([^"]*)" is accepted$"#)]
async fn time_zone_accepted(w: &mut ScenarioWorld, offset: String) -> Result<()> {
    let db = w.db()?;
    let set = service::set_session_time_zone(db, &offset).await?;
    let has_zones = db.engine() != kensho::db::Engine::Sqlite;
    ensure!(
        set == has_zones,
        "{}: setting the session time zone reported {set}, expected {has_zones} (only SQLite has none)",
        db.engine().name()
    );
    Ok(())
}

/// A memo body of `length` characters: a kanji repeated, ASCII spaces or
/// full-width spaces (U+3000).
fn memo_body(length: usize, made_of: &str) -> Result<String> {
    let c = match made_of {
        "characters" => '記',
        "spaces" => ' ',
        "full-width spaces" => '\u{3000}',
        other => bail!("a memo is made of characters, spaces or full-width spaces, not {other:?}"),
    };
    Ok(std::iter::repeat_n(c, length).collect())
}

/// A memo refused for its body: the exact reason, after "memo for customer <id>: ".
#[then(
    regex = r#"^a memo of (\d+) (characters|spaces|full-width spaces) for "([^"]+)" is refused: (.+)$"#
)]
async fn memo_body_refused(
    w: &mut ScenarioWorld,
    length: usize,
    made_of: String,
    name: String,
    reason: String,
) -> Result<()> {
    let id = customer(w, &name)?;
    let body = memo_body(length, &made_of)?;
    refused_exactly(
        &format!("a memo of {length} {made_of}"),
        service::add_memo(w.db()?, id, &body, karte(w).now_ms).await,
        &format!("memo for customer {id}: {reason}"),
    )
}

/// A memo accepted and read back exactly as written.
#[then(regex = r#"^a memo of (\d+) characters for "([^"]+)" is kept whole$"#)]
async fn memo_body_kept(w: &mut ScenarioWorld, length: usize, name: String) -> Result<()> {
    let id = customer(w, &name)?;
    let body = memo_body(length, "characters")?;
    service::add_memo(w.db()?, id, &body, karte(w).now_ms).await?;
    let memos = service::memos(w.db()?, id).await?;
    ensure!(
        memos.iter().any(|m| m.body == body),
        "no memo of {name} holds the {length} characters written; their lengths: {:?}",
        memos
            .iter()
            .map(|m| m.body.chars().count())
            .collect::<Vec<_>>()
    );
    Ok(())
}

#[when(regex = r#"^"([^"]+)" gets the memo "([^"]*)" at (\d{4}-\d{2}-\d{2} \d{2}:\d{2})$"#)]
async fn memo_written(w: &mut ScenarioWorld, name: String, body: String, at: String) -> Result<()> {
    let id = customer(w, &name)?;
    service::add_memo(w.db()?, id, &body, wall_clock_ms(&at)?).await?;
    Ok(())
}

/// A photo whose tags are refused: the exact message. Tags are split at commas and
/// trimmed, and an empty one is kept (so "顔, " carries an empty tag).
#[then(regex = r#"^saving a photo of "([^"]+)" tagged "([^"]*)" is refused: (.+)$"#)]
async fn photo_refused(
    w: &mut ScenarioWorld,
    name: String,
    tags: String,
    expected: String,
) -> Result<()> {
    let id = customer(w, &name)?;
    let store = store(w)?;
    let tags: Vec<&str> = tags.split(',').map(str::trim).collect();
    let saved = service::save_photo(
        w.db()?,
        &store,
        id,
        ImageKind::Photo,
        b"refused image",
        &tags,
        karte(w).now_ms,
    )
    .await;
    refused_exactly(&format!("the photo tagged {tags:?}"), saved, &expected)
}

/// A memo time that is not a date and time: the exact message, and no memo written.
#[then(regex = r#"^the memo "([^"]*)" for "([^"]+)" at "([^"]*)" is refused: (.+)$"#)]
async fn memo_refused(
    w: &mut ScenarioWorld,
    body: String,
    name: String,
    at: String,
    expected: String,
) -> Result<()> {
    let id = customer(w, &name)?;
    let error = match wall_clock_ms(&at) {
        Ok(ms) => {
            service::add_memo(w.db()?, id, &body, ms).await?;
            bail!("the memo time {at:?} was accepted")
        }
        Err(e) => e.to_string(),
    };
    ensure!(
        error == expected,
        "the memo time {at:?} was refused with\n  {error}\nnot\n  {expected}"
    );
    Ok(())
}

/// The memos as the screen shows them (Asia/Tokyo) or as stored (UTC), against a
/// table `| recorded | memo |`.
async fn memos_match(
    w: &ScenarioWorld,
    name: &str,
    step: &cucumber::gherkin::Step,
    show: fn(i64) -> WallClock,
    zone: &str,
) -> Result<()> {
    let table = step
        .table
        .as_ref()
        .context("the step needs a table: | recorded | memo |")?;
    let expected: Vec<(String, String)> = table
        .rows
        .iter()
        .skip(1)
        .map(|r| match r.as_slice() {
            [at, memo] => Ok((at.trim().to_string(), memo.trim().to_string())),
            _ => Err(anyhow!("each row is | recorded | memo |, found {r:?}")),
        })
        .collect::<Result<_>>()?;
    let actual: Vec<(String, String)> = service::memos(w.db()?, customer(w, name)?)
        .await?
        .into_iter()
        .map(|m| (show(m.recorded_at).to_string(), m.body))
        .collect();
    ensure!(
        actual == expected,
        "{name}'s memos ({zone}):\n  expected {expected:?}\n  found    {actual:?}"
    );
    Ok(())
}

#[then(expr = "{string}'s memos read, in Asia\\/Tokyo:")]
async fn memos_in_tokyo(
    w: &mut ScenarioWorld,
    name: String,
    step: &cucumber::gherkin::Step,
) -> Result<()> {
    memos_match(w, &name, step, WallClock::tokyo, "Asia/Tokyo").await
}

#[then(expr = "{string}'s memos are stored in UTC as:")]
async fn memos_in_utc(
    w: &mut ScenarioWorld,
    name: String,
    step: &cucumber::gherkin::Step,
) -> Result<()> {
    memos_match(w, &name, step, WallClock::utc, "UTC").await
}

/// The report of the last purge a step ran.
fn last_purge(w: &ScenarioWorld) -> Result<PurgeReport> {
    karte(w).last_purge.context("the purge has not run")
}

/// How many chunks (transactions) the last purge took.
#[then(expr = "the purge took {int} chunk(s)")]
async fn purge_chunks(w: &mut ScenarioWorld, chunks: usize) -> Result<()> {
    let r = last_purge(w)?;
    ensure!(
        r.chunks == chunks,
        "the purge took {} chunks ({} photos), expected {chunks}",
        r.chunks,
        r.photos
    );
    Ok(())
}

#[then(expr = "the purge removed {int} photo(s) and {int} customer(s)")]
#[then(regex = r"^一括削除で写真(\d+)枚と顧客(\d+)名が完全に削除された$")]
async fn purge_removed(w: &mut ScenarioWorld, photos: usize, customers: usize) -> Result<()> {
    let r = last_purge(w)?;
    ensure!(
        (r.photos, r.customers) == (photos, customers),
        "the purge removed {} photos and {} customers",
        r.photos,
        r.customers
    );
    Ok(())
}

/// Stored objects whose bytes the last purge deleted: the purged photos' and any
/// left queued by an earlier run.
#[then(expr = "the purge deleted the bytes of {int} stored object(s)")]
async fn purge_deleted_objects(w: &mut ScenarioWorld, objects: usize) -> Result<()> {
    let r = last_purge(w)?;
    ensure!(
        r.objects == objects,
        "the purge deleted the bytes of {} stored objects, expected {objects}",
        r.objects
    );
    Ok(())
}

/// Moving to or out of the trash something that does not exist: the exact message.
#[then(
    regex = r#"^(moving|restoring) (photo|customer) (\d+) (?:to|from) the trash is refused: (.+)$"#
)]
async fn trash_refused(
    w: &mut ScenarioWorld,
    action: String,
    what: String,
    id: i64,
    expected: String,
) -> Result<()> {
    let db = w.db()?;
    let now = karte(w).now_ms;
    let done = match (action.as_str(), what.as_str()) {
        ("moving", "photo") => service::trash_photo(db, id, now).await,
        ("moving", _) => service::trash_customer(db, id, now).await,
        (_, "photo") => service::restore_photo(db, id).await,
        _ => service::restore_customer(db, id).await,
    };
    refused_exactly(&format!("{action} {what} {id}"), done, &expected)
}

/// Integer columns of every row of `table`, as the database holds them (`None` for
/// NULL).
async fn integer_rows(db: &Db, table: &str, columns: &[&str]) -> Result<Vec<Vec<Option<i64>>>> {
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let read = kensho::check::expect::read_table(db, table, &columns).await?;
    read.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| match cell.as_str() {
                    kensho::check::table::NULL => Ok(None),
                    text => text
                        .parse()
                        .map(Some)
                        .with_context(|| format!("{table}: {text:?} is not an integer")),
                })
                .collect()
        })
        .collect()
}

/// How many photos the customer has in the database, in the trash or not (every
/// photo the database holds for them, whichever step made it).
#[then(expr = "{string} still has {int} photo(s)")]
#[then(regex = r"^「([^」]+)」の写真は(\d+)枚残っている$")]
async fn still_has(w: &mut ScenarioWorld, name: String, count: usize) -> Result<()> {
    let id = customer(w, &name)?;
    let left = integer_rows(w.db()?, "karte_photo", &["customer_id"])
        .await?
        .iter()
        .filter(|row| row[0] == Some(id))
        .count();
    ensure!(left == count, "{name} has {left} photos, expected {count}");
    Ok(())
}

/// No stored bytes without their row, no row without its bytes, no tag row
/// without its photo.
#[then("no orphan bytes or tag rows remain")]
#[then("持ち主のない画像データもタグ行も残っていない")]
async fn no_orphans(w: &mut ScenarioWorld) -> Result<()> {
    let db = w.db()?;
    let keys = service::object_keys(db).await?;
    let stored = store(w)?.list()?;
    ensure!(
        keys == stored,
        "object store and photo rows disagree:\n  rows:   {keys:?}\n  stored: {stored:?}"
    );
    let orphans = service::orphan_tag_rows(db).await?;
    ensure!(
        orphans == 0,
        "{orphans} tag rows point at photos that no longer exist"
    );
    let queued = service::queued_deletions(db).await?;
    ensure!(
        queued.is_empty(),
        "{} stored objects still wait for deletion: {queued:?}",
        queued.len()
    );
    Ok(())
}

/// A group of customers with photos, some of them in the trash for `days` days.
#[given(
    expr = "{int} customers with {int} photos each, {int} of which went to the trash {int} days ago"
)]
async fn many_customers(
    w: &mut ScenarioWorld,
    customers: usize,
    photos: usize,
    trashed: usize,
    days: i64,
) -> Result<()> {
    ensure!(
        trashed <= photos,
        "{trashed} of {photos} photos cannot go to the trash"
    );
    let db = w.db()?.clone();
    let store = store(w)?;
    let now = karte(w).now_ms;
    let at = now - days * DAY_MS;
    let expired = days * DAY_MS >= RETENTION_MS;
    // Customers side by side, each its photos in order: the setup of the large
    // concurrency scenarios, not what they measure.
    let seeded: Vec<Seeded> = futures::stream::iter(0..customers)
        .map(|c| {
            let (db, store) = (&db, &store);
            async move {
                let name = format!("顧客{c:03}");
                let id = service::create_customer(db, &name).await?;
                let mut list = Vec::new();
                for n in 0..photos {
                    let bytes = format!("image {n} of {name}").into_bytes();
                    let photo =
                        service::save_photo(db, store, id, ImageKind::Photo, &bytes, &["顔"], now)
                            .await?;
                    let in_trash = n < trashed;
                    if in_trash {
                        service::trash_photo(db, photo, at).await?;
                    }
                    list.push((photo, in_trash));
                }
                Ok::<_, KarteError>((name, id, list))
            }
        })
        .buffered(SEEDING_CUSTOMERS_AT_ONCE)
        .try_collect()
        .await?;
    for (name, id, list) in seeded {
        if expired {
            karte_mut(w).expired.extend(
                list.iter()
                    .filter(|(_, in_trash)| *in_trash)
                    .map(|(p, _)| *p),
            );
        }
        karte_mut(w).customers.insert(name.clone(), id);
        karte_mut(w).photos.insert(name, list);
    }
    Ok(())
}

/// A customer [`many_customers`] seeded: its name, its id, and its photos with
/// whether each went to the trash.
type Seeded = (String, i64, Vec<(i64, bool)>);

/// Customers seeded at once by [`many_customers`]: one fewer than a scenario
/// database's connections, which leaves one free for anything else.
const SEEDING_CUSTOMERS_AT_ONCE: usize = 4;

fn kind_of(e: &KarteError) -> ErrorKind {
    match e.database_code() {
        Some((code, message)) => classify(&message, code.as_deref()),
        None => classify(&e.to_string(), None),
    }
}

/// Most operations one client makes while the purge runs, and how long it may go on.
const MAX_OPS_PER_CLIENT: usize = 300;
const MAX_CONCURRENT_STEP: Duration = Duration::from_secs(60);

/// The purge and `clients` clients at once: each client keeps saving new photos (to
/// customers outside the trash) and updating the photos it saved, alternately,
/// until the purge has finished: at least 6 operations and at most
/// [`MAX_OPS_PER_CLIENT`] each, within [`MAX_CONCURRENT_STEP`]. Latencies and
/// errors are recorded per operation (`save`, `update`). The step runs alone in
/// the run (the scenario's setup ran beside the others).
#[when(expr = "the purge runs while {int} clients keep saving and updating photos")]
async fn purge_while_saving(w: &mut ScenarioWorld, clients: usize) -> Result<()> {
    // Latencies are measured: no other scenario's load may count against them.
    w.run_alone().await;
    let db = w.db()?.clone();
    let store = store(w)?;
    let now = karte(w).now_ms;
    let options = karte(w).purge_options();
    let replay = karte(w).replay_long_purge;
    let targets: Vec<i64> = karte(w).customers.values().copied().collect();
    ensure!(!targets.is_empty(), "no customers to save photos for");
    let done = Cell::new(false);
    let recorder = RefCell::new(LatencyRecorder::new());
    let saved = RefCell::new(Vec::new());
    let began = Instant::now();
    let purge = async {
        // The incident replay runs the purge as it was: one long transaction.
        let result = if replay {
            service::purge_as_in_the_incident(&db, &store, now).await
        } else {
            service::purge_with(&db, &store, now, &options).await
        };
        done.set(true);
        result
    };
    let client = |client: usize| {
        let (db, store, targets, done, recorder, saved) =
            (&db, &store, &targets, &done, &recorder, &saved);
        async move {
            let mut mine: Vec<i64> = Vec::new();
            for n in 0..MAX_OPS_PER_CLIENT {
                if (done.get() && n >= 6) || began.elapsed() > MAX_CONCURRENT_STEP {
                    break;
                }
                let bytes = format!("client {client}, operation {n}").into_bytes();
                let started = Instant::now();
                let (op, result) = match mine.get(n / 2) {
                    Some(&photo) if n % 2 == 1 => (
                        "update",
                        service::update_photo(db, store, photo, &bytes, now + n as i64)
                            .await
                            .map(|()| photo),
                    ),
                    _ => {
                        let customer = targets[(client * 7 + n) % targets.len()];
                        let tags = ["顔", "経過"];
                        (
                            "save",
                            service::save_photo(
                                db,
                                store,
                                customer,
                                ImageKind::Photo,
                                &bytes,
                                &tags,
                                now,
                            )
                            .await,
                        )
                    }
                };
                let latency = started.elapsed();
                match result {
                    Ok(id) => {
                        recorder.borrow_mut().record_ok(op, latency);
                        if op == "save" {
                            mine.push(id);
                            saved.borrow_mut().push(id);
                        }
                    }
                    Err(e) => recorder.borrow_mut().record_err(op, latency, kind_of(&e)),
                }
            }
        }
    };
    let (purged, _) = futures::join!(purge, futures::future::join_all((0..clients).map(client)));
    let report = purged?;
    let stats = recorder.into_inner();
    let engine = w.engine.map(|e| e.name()).unwrap_or("?");
    eprintln!(
        "      [{engine}] purge: {} photos in {} chunks in {:.0} ms\n        {}",
        report.photos,
        report.chunks,
        began.elapsed().as_secs_f64() * 1000.0,
        stats.to_string().replace('\n', "\n        ")
    );
    w.notes.push(format!(
        "[{engine}] purge: {} photos in {} chunks",
        report.photos, report.chunks
    ));
    w.notes
        .extend(stats.to_string().lines().map(|l| format!("[{engine}] {l}")));
    karte_mut(w).last_purge = Some(report);
    karte_mut(w).stats = stats;
    let saved = saved.into_inner();
    for (_, list) in karte_mut(w).photos.iter_mut().take(1) {
        list.extend(saved.iter().map(|id| (*id, false)));
    }
    Ok(())
}

/// The purge while the expired photos of the first `customers` customers are being
/// restored, newest first (so the restores meet the purge, which goes by id
/// upwards). A restore either commits before the purge reaches its photo (the
/// photo stays) or finds the photo gone; any other outcome fails the step.
#[when(expr = "the purge runs while the expired photos of {int} customers are being restored")]
async fn purge_while_restoring(w: &mut ScenarioWorld, customers: usize) -> Result<()> {
    let db = w.db()?.clone();
    let store = store(w)?;
    let now = karte(w).now_ms;
    let options = karte(w).purge_options();
    let mut to_restore: Vec<i64> = karte(w)
        .photos
        .values()
        .take(customers)
        .flatten()
        .map(|(id, _)| *id)
        .filter(|id| karte(w).expired.contains(id))
        .collect();
    ensure!(!to_restore.is_empty(), "no expired photos to restore");
    to_restore.sort_unstable_by(|a, b| b.cmp(a));
    let restores = async {
        let mut won = Vec::new();
        let mut lost = Vec::new();
        for id in to_restore {
            match service::restore_photo(&db, id).await {
                Ok(()) => won.push(id),
                Err(KarteError::NotFound { .. }) => lost.push(id),
                Err(e) => return Err(anyhow!("restoring photo {id}: {e}")),
            }
        }
        Ok((won, lost))
    };
    let (purged, restored) =
        futures::join!(service::purge_with(&db, &store, now, &options), restores);
    let report = purged?;
    let (won, lost) = restored?;
    let engine = w.engine.map(|e| e.name()).unwrap_or("?");
    eprintln!(
        "      [{engine}] purge: {} photos; restores: {} committed first, {} found the photo purged",
        report.photos,
        won.len(),
        lost.len()
    );
    karte_mut(w).last_purge = Some(report);
    karte_mut(w).expired.retain(|id| !won.contains(id));
    for list in karte_mut(w).photos.values_mut() {
        for (id, trashed) in list.iter_mut() {
            if won.contains(id) {
                *trashed = false;
            }
        }
    }
    karte_mut(w).restored_in_race = won;
    karte_mut(w).lost_in_race = lost;
    Ok(())
}

/// The purge's first chunk pauses after choosing its photos and before locking
/// them, and the first expired photo of `name` is restored meanwhile. On PostgreSQL
/// and MariaDB the choice is a plain read, so the restore must commit during the
/// pause, and the purge, re-checking under its lock, must keep the photo. SQLite
/// lets one writer in at a time, so there the restore waits for the chunk and must
/// find the photo purged.
#[when(
    expr = "{string}'s first expired photo is restored after the purge chose it and before it locked it"
)]
async fn restore_between_choice_and_lock(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let db = w.db()?.clone();
    let store = store(w)?;
    let now = karte(w).now_ms;
    let id = karte(w)
        .photos
        .get(&name)
        .ok_or_else(|| unknown_customer(w, &name))?
        .iter()
        .map(|(id, _)| *id)
        .find(|id| karte(w).expired.contains(id))
        .with_context(|| format!("{name} has no expired photo"))?;
    let pause = kensho::shared::fault::Pause::default();
    let options = PurgeOptions {
        pause_before_lock: Some(pause.clone()),
        ..karte(w).purge_options()
    };
    let purge = {
        let db = db.clone();
        tokio::spawn(async move { service::purge_with(&db, &store, now, &options).await })
    };
    tokio::time::timeout(Duration::from_secs(30), pause.reached())
        .await
        .context("the purge never reached the point between choosing and locking")?;
    let mut restore = {
        let db = db.clone();
        tokio::spawn(async move { service::restore_photo(&db, id).await })
    };
    let serialised = w.engine == Some(kensho::db::Engine::Sqlite);
    // A server commits the restore at once (given time on a loaded machine); SQLite
    // holds it until the chunk ends, so there is nothing to wait for.
    let wait = if serialised {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(10)
    };
    let during_pause = tokio::time::timeout(wait, &mut restore).await.ok();
    pause.resume();
    let report = purge.await??;
    let restored = match during_pause {
        Some(result) => result?,
        None => restore.await?,
    };
    let committed_first = match restored {
        Ok(()) => true,
        Err(KarteError::NotFound { .. }) => false,
        Err(e) => bail!("restoring photo {id}: {e}"),
    };
    ensure!(
        committed_first != serialised,
        "photo {id}: the restore {} (expected on {}: {})",
        if committed_first {
            "committed"
        } else {
            "found the photo purged"
        },
        w.engine.map(|e| e.name()).unwrap_or("?"),
        if serialised {
            "it waits for the chunk and finds the photo purged"
        } else {
            "it commits while the purge waits between choosing and locking"
        }
    );
    karte_mut(w).last_purge = Some(report);
    if committed_first {
        karte_mut(w).expired.retain(|e| *e != id);
        for list in karte_mut(w).photos.values_mut() {
            for (photo, trashed) in list.iter_mut() {
                if *photo == id {
                    *trashed = false;
                }
            }
        }
        karte_mut(w).restored_in_race = vec![id];
    } else {
        karte_mut(w).lost_in_race = vec![id];
    }
    Ok(())
}

/// Every restore that committed kept its photo, out of the trash, with its bytes.
#[then("every photo whose restore committed is still there, out of the trash")]
async fn restored_kept(w: &mut ScenarioWorld) -> Result<()> {
    let db = w.db()?;
    let store = store(w)?;
    for &id in &karte(w).restored_in_race {
        let row = service::photo(db, id)
            .await
            .with_context(|| format!("photo {id} was restored, then purged"))?;
        ensure!(
            row.trashed_at.is_none(),
            "photo {id} was restored but is in the trash again"
        );
        ensure!(
            store.exists(&row.object_key)?,
            "restored photo {id} lost its bytes ({})",
            row.object_key
        );
    }
    let total = karte(w).restored_in_race.len() + karte(w).lost_in_race.len();
    ensure!(total > 0, "no restore ran");
    Ok(())
}

#[then(expr = "every {word} succeeded")]
async fn every_op_succeeded(w: &mut ScenarioWorld, op: String) -> Result<()> {
    karte(w).stats.no_failures(&op).map_err(|e| anyhow!(e))
}

#[then(expr = "no {word} hit a deadlock")]
async fn no_deadlock(w: &mut ScenarioWorld, op: String) -> Result<()> {
    karte(w)
        .stats
        .no_errors_of(&op, ErrorKind::Deadlock)
        .map_err(|e| anyhow!(e))
}

#[then(expr = "the p99 {word} latency is below {int} ms")]
async fn p99_below(w: &mut ScenarioWorld, op: String, ms: u64) -> Result<()> {
    karte(w)
        .stats
        .p99_below(&op, Duration::from_millis(ms))
        .map_err(|e| anyhow!(e))
}

/// Everything expired is gone: no photo or customer the database holds has been in
/// the trash for [`RETENTION_MS`] or more (nor a photo of such a customer), whichever
/// step made it. Every other photo the scenario made, including those saved during
/// the purge, is still there.
#[then("all expired trash is gone and nothing else")]
async fn expired_gone_nothing_else(w: &mut ScenarioWorld) -> Result<()> {
    let db = w.db()?;
    let cutoff = karte(w).now_ms - RETENTION_MS;
    let expired = |trashed_at: Option<i64>| trashed_at.is_some_and(|t| t <= cutoff);
    let customers = integer_rows(db, "karte_customer", &["id", "trashed_at"]).await?;
    let expired_customers: Vec<i64> = customers
        .iter()
        .filter(|row| expired(row[1]))
        .filter_map(|row| row[0])
        .collect();
    ensure!(
        expired_customers.is_empty(),
        "{} customers in the trash for 30 days or more were not purged: {expired_customers:?}",
        expired_customers.len()
    );
    let photos = integer_rows(db, "karte_photo", &["id", "customer_id", "trashed_at"]).await?;
    let expired_photos: Vec<i64> = photos
        .iter()
        .filter(|row| expired(row[2]))
        .filter_map(|row| row[0])
        .collect();
    ensure!(
        expired_photos.is_empty(),
        "{} photos in the trash for 30 days or more were not purged: {expired_photos:?}",
        expired_photos.len()
    );
    let existing = service::photo_ids(db).await?;
    let still_there: Vec<&i64> = karte(w)
        .expired
        .iter()
        .filter(|id| existing.contains(id))
        .collect();
    ensure!(
        still_there.is_empty(),
        "{} expired photos were not purged: {still_there:?}",
        still_there.len()
    );
    let expected: Vec<i64> = karte(w)
        .photos
        .values()
        .flatten()
        .map(|(id, _)| *id)
        .filter(|id| !karte(w).expired.contains(id))
        .collect();
    let lost: Vec<&i64> = expected
        .iter()
        .filter(|id| !existing.contains(id))
        .collect();
    ensure!(
        lost.is_empty(),
        "{} photos that were not expired are gone: {lost:?}",
        lost.len()
    );
    Ok(())
}

/// カルテ: the karte service's registration with the harness.
pub static SERVICE: kensho::Service = kensho::Service {
    name: "karte",
    about: "カルテ medical-record photos, trash and chunked purge (seed 000)",
    migrations: &kensho_karte::MIGRATIONS,
    invariants: kensho_karte::INVARIANTS,
    flags: &[],
    features: &[
        "features/karte/",
        "features/fault/purge_",
        "features/bad_input/karte_",
        "features/bad_input/generic_tables",
        "features/tables/",
    ],
    steps: &[file!(), "steps/object_store.rs"],
    amount_tables: &[],
    vocabulary: &[],
    build: &[],
};
