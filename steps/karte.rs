//! カルテ medical-record photo steps (seed 000): customers, photos, trash and purge.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use cucumber::{given, then, when};
use kensho::check::concurrency::{ErrorKind, LatencyRecorder, classify};
use kensho::karte::service::{self, ImageKind, KarteError, PurgeReport, RETENTION_MS};
use kensho::karte::storage::{LocalStore, ObjectStore};

use crate::world::ScenarioWorld;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

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
}

fn store(w: &ScenarioWorld) -> Result<LocalStore> {
    // One folder per engine and database: database names repeat across engines.
    let database = &w.variants()?[0].database;
    Ok(LocalStore::new(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/kensho/objects")
            .join(database.engine.name())
            .join(&database.name),
    ))
}

fn customer(w: &ScenarioWorld, name: &str) -> Result<i64> {
    w.karte
        .customers
        .get(name)
        .copied()
        .ok_or_else(|| anyhow!("no customer {name:?} in this scenario"))
}

/// 前提: the scenario's date, as a day in Tokyo (midday, UTC+9).
#[given(regex = r"^today is (\d{4})-(\d{2})-(\d{2})$")]
async fn today(w: &mut ScenarioWorld, y: i32, m: u32, d: u32) -> Result<()> {
    ensure!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "not a date: {y}-{m}-{d}"
    );
    // Days since 1970-01-01 (civil calendar), then 12:00 Tokyo = 03:00 UTC.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m as i32 + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era as i64 * 146_097 + doe as i64 - 719_468;
    w.karte.now_ms = days * DAY_MS + 3 * 60 * 60 * 1000;
    Ok(())
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
                w.karte.now_ms,
            )
            .await?,
            false,
        ));
    }
    w.karte.customers.insert(name.clone(), id);
    w.karte.photos.insert(name, photos);
    Ok(())
}

#[given(expr = "{int} of {string}'s photos went to the trash {int} days ago")]
async fn photos_trashed(
    w: &mut ScenarioWorld,
    count: usize,
    name: String,
    days: i64,
) -> Result<()> {
    let db = w.db()?.clone();
    let at = w.karte.now_ms - days * DAY_MS;
    let photos = w.karte.photos.get_mut(&name).context("no such customer")?;
    let mut done = 0;
    for (id, trashed) in photos.iter_mut().filter(|(_, t)| !*t).take(count) {
        service::trash_photo(&db, *id, at).await?;
        *trashed = true;
        done += 1;
    }
    ensure!(
        done == count,
        "{name} has only {done} photos outside the trash"
    );
    Ok(())
}

#[given(expr = "customer {string} went to the trash {int} days ago")]
async fn customer_trashed(w: &mut ScenarioWorld, name: String, days: i64) -> Result<()> {
    let id = customer(w, &name)?;
    service::trash_customer(w.db()?, id, w.karte.now_ms - days * DAY_MS).await?;
    Ok(())
}

#[when(expr = "customer {string} is restored from the trash")]
async fn customer_restored(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let id = customer(w, &name)?;
    service::restore_customer(w.db()?, id).await?;
    Ok(())
}

#[when(expr = "{string}'s trashed photos are restored")]
async fn photos_restored(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let db = w.db()?.clone();
    for (id, trashed) in w
        .karte
        .photos
        .get_mut(&name)
        .context("no such customer")?
        .iter_mut()
        .filter(|(_, t)| *t)
    {
        service::restore_photo(&db, *id).await?;
        *trashed = false;
    }
    Ok(())
}

#[when("the purge runs")]
async fn purge_runs(w: &mut ScenarioWorld) -> Result<()> {
    let report = service::purge(w.db()?, &store(w)?, w.karte.now_ms).await?;
    w.karte.last_purge = Some(report);
    Ok(())
}

#[then(expr = "the purge removed {int} photo(s) and {int} customer(s)")]
async fn purge_removed(w: &mut ScenarioWorld, photos: usize, customers: usize) -> Result<()> {
    let r = w.karte.last_purge.context("the purge has not run")?;
    ensure!(
        (r.photos, r.customers) == (photos, customers),
        "the purge removed {} photos and {} customers",
        r.photos,
        r.customers
    );
    Ok(())
}

#[then(expr = "{string} still has {int} photo(s)")]
async fn still_has(w: &mut ScenarioWorld, name: String, count: usize) -> Result<()> {
    let existing = service::photo_ids(w.db()?).await?;
    let mine = w.karte.photos.get(&name).context("no such customer")?;
    let left = mine.iter().filter(|(id, _)| existing.contains(id)).count();
    ensure!(left == count, "{name} has {left} photos, expected {count}");
    Ok(())
}

/// No stored bytes without their row, no row without its bytes, no tag row
/// without its photo.
#[then("no orphan bytes or tag rows remain")]
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
    let at = w.karte.now_ms - days * DAY_MS;
    for c in 0..customers {
        let name = format!("顧客{c:03}");
        let id = service::create_customer(&db, &name).await?;
        let mut list = Vec::new();
        for n in 0..photos {
            let bytes = format!("image {n} of {name}").into_bytes();
            let photo = service::save_photo(
                &db,
                &store,
                id,
                ImageKind::Photo,
                &bytes,
                &["顔"],
                w.karte.now_ms,
            )
            .await?;
            let in_trash = n < trashed;
            if in_trash {
                service::trash_photo(&db, photo, at).await?;
                if days * DAY_MS >= RETENTION_MS {
                    w.karte.expired.push(photo);
                }
            }
            list.push((photo, in_trash));
        }
        w.karte.customers.insert(name.clone(), id);
        w.karte.photos.insert(name, list);
    }
    Ok(())
}

fn kind_of(e: &KarteError) -> ErrorKind {
    match e.database_code() {
        Some((code, message)) => classify(&message, code.as_deref()),
        None => classify(&e.to_string(), None),
    }
}

/// Most saves one client makes while the purge runs, and how long it may go on.
const MAX_SAVES_PER_CLIENT: usize = 300;
const MAX_CONCURRENT_STEP: Duration = Duration::from_secs(60);

/// The purge and `clients` savers at once: each client keeps saving new photos (to
/// customers outside the trash) until the purge has finished, at least 5 saves and
/// at most [`MAX_SAVES_PER_CLIENT`] each, within [`MAX_CONCURRENT_STEP`].
#[when(expr = "the purge runs while {int} clients keep saving photos")]
async fn purge_while_saving(w: &mut ScenarioWorld, clients: usize) -> Result<()> {
    let db = w.db()?.clone();
    let store = store(w)?;
    let now = w.karte.now_ms;
    let targets: Vec<i64> = w.karte.customers.values().copied().collect();
    ensure!(!targets.is_empty(), "no customers to save photos for");
    let done = Cell::new(false);
    let recorder = RefCell::new(LatencyRecorder::new());
    let saved = RefCell::new(Vec::new());
    let began = Instant::now();
    let purge = async {
        let result = service::purge(&db, &store, now).await;
        done.set(true);
        result
    };
    let saver = |client: usize| {
        let (db, store, targets, done, recorder, saved) =
            (&db, &store, &targets, &done, &recorder, &saved);
        async move {
            for n in 0..MAX_SAVES_PER_CLIENT {
                if (done.get() && n >= 5) || began.elapsed() > MAX_CONCURRENT_STEP {
                    break;
                }
                let customer = targets[(client * 7 + n) % targets.len()];
                let bytes = format!("saved by client {client}, #{n}").into_bytes();
                let started = Instant::now();
                let result = service::save_photo(
                    db,
                    store,
                    customer,
                    ImageKind::Photo,
                    &bytes,
                    &["顔", "経過"],
                    now,
                )
                .await;
                match result {
                    Ok(id) => {
                        recorder.borrow_mut().record_ok("save", started.elapsed());
                        saved.borrow_mut().push(id);
                    }
                    Err(e) => {
                        recorder
                            .borrow_mut()
                            .record_err("save", started.elapsed(), kind_of(&e))
                    }
                }
            }
        }
    };
    let (purged, _) = futures::join!(purge, futures::future::join_all((0..clients).map(saver)));
    let report = purged?;
    let stats = recorder.into_inner();
    let engine = w.engine.map(|e| e.name()).unwrap_or("?");
    eprintln!(
        "      [{engine}] purge: {} photos in {} chunks; {stats}",
        report.photos, report.chunks
    );
    w.karte.last_purge = Some(report);
    w.karte.stats = stats;
    let saved = saved.into_inner();
    for (_, list) in w.karte.photos.iter_mut().take(1) {
        list.extend(saved.iter().map(|id| (*id, false)));
    }
    Ok(())
}

#[then("every save succeeded")]
async fn every_save_succeeded(w: &mut ScenarioWorld) -> Result<()> {
    w.karte.stats.no_failures("save").map_err(|e| anyhow!(e))
}

#[then("no save hit a deadlock")]
async fn no_deadlock(w: &mut ScenarioWorld) -> Result<()> {
    w.karte
        .stats
        .no_errors_of("save", ErrorKind::Deadlock)
        .map_err(|e| anyhow!(e))
}

#[then(expr = "the p99 save latency is below {int} ms")]
async fn p99_below(w: &mut ScenarioWorld, ms: u64) -> Result<()> {
    w.karte
        .stats
        .p99_below("save", Duration::from_millis(ms))
        .map_err(|e| anyhow!(e))
}

/// Everything expired is gone; every other photo, including those saved during the
/// purge, is still there.
#[then("all expired trash is gone and nothing else")]
async fn expired_gone_nothing_else(w: &mut ScenarioWorld) -> Result<()> {
    let existing = service::photo_ids(w.db()?).await?;
    let still_there: Vec<&i64> = w
        .karte
        .expired
        .iter()
        .filter(|id| existing.contains(id))
        .collect();
    ensure!(
        still_there.is_empty(),
        "{} expired photos were not purged: {still_there:?}",
        still_there.len()
    );
    let expected: Vec<i64> = w
        .karte
        .photos
        .values()
        .flatten()
        .map(|(id, _)| *id)
        .filter(|id| !w.karte.expired.contains(id))
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
