//! カルテ medical-record photo steps (seed 000): customers, photos, trash and purge.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, ensure};
use cucumber::{given, then, when};
use kensho::karte::service::{self, ImageKind, PurgeReport};
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
