//! Benchmark (not a test): the karte purge over a large trash while many clients
//! keep saving photos, per engine, the chunked purge and the original single long
//! transaction side by side. Prints purge rows/s, saves completed, failed saves by
//! kind and save latency p50/p99, and checks that both strategies leave exactly
//! the live photos (rows and bytes). Beside them, in the same run: the chunked
//! purge alone (no client saving), and the floor of the work on that engine: the
//! same rows deleted on an idle database by one `DELETE` per table (tag rows, then
//! photos) in one transaction; every purge line shows its time over the floor.
//! Before each measurement the server finishes what the ones before left it to do
//! in the background ([`settle`]); with `--repeat N` the floor and the strategies
//! are measured in N rounds, and each line shows the median run and the range.
//!
//! `cargo bench --bench karte -- --engines sqlite,postgres,mariadb`
//! (options: `--expired 1000000 --live 20000 --savers 32 --chunk 50`
//! `--strategies alone,chunked,single --time-limit 600 --repeat 3`; servers as for
//! the scenarios).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use kensho::check::concurrency::{ErrorKind, LatencyRecorder, classify};
use kensho::db::{Db, EngineServer};
use kensho::runner::engines;
use kensho_karte::service::{self, ImageKind, KarteError, PURGE_CHUNK, PurgeOptions};
use kensho_karte::storage::{ObjectStore, StoreError, validate_key};
use kensho_karte::time::{DAY_MS, WallClock};
use sqlx::AssertSqlSafe;

#[derive(Parser, Debug)]
struct Args {
    /// Engines: comma-separated sqlite, postgres, mariadb, or all.
    #[arg(long, default_value = "sqlite")]
    engines: String,
    /// Photos in the trash for 31 days (all to be purged).
    #[arg(long, default_value_t = 1_000_000)]
    expired: u64,
    /// Photos outside the trash (all to be kept).
    #[arg(long, default_value_t = 20_000)]
    live: u64,
    /// Clients saving photos while the purge runs.
    #[arg(long, default_value_t = 32)]
    savers: usize,
    /// Photos per transaction of the chunked purge.
    #[arg(long, default_value_t = PURGE_CHUNK)]
    chunk: usize,
    /// Target time of one purge transaction in ms (default: the engine's).
    #[arg(long)]
    target_ms: Option<u64>,
    /// Strategies: chunked, alone (chunked with no client saving), single (the
    /// original long transaction); the floor is always measured.
    #[arg(long, default_value = "alone,chunked,single")]
    strategies: String,
    /// Stop a purge that has not finished after this many seconds (its open
    /// transaction rolls back; the line says it did not finish).
    #[arg(long)]
    time_limit: Option<u64>,
    /// Rounds of measurements, each the floor and then every strategy; each line
    /// shows the median run and the range of all runs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Accepted for `cargo bench` compatibility.
    #[arg(long, hide = true)]
    bench: bool,
}

const CUSTOMERS: u64 = 1_000;

/// Fills a fresh database: customers, `expired` photos in the trash since
/// `trashed_at`, `live` photos outside it, a tag on every photo; set-based SQL.
async fn seed(db: &Db, expired: u64, live: u64, now: i64, trashed_at: i64) -> Result<()> {
    let total = expired + live;
    let photo_values = |n: &str, concat: &str| {
        format!(
            "1 + {n} % {CUSTOMERS}, 'photo', {concat}, {now}, CASE WHEN {n} <= {expired} THEN {trashed_at} END"
        )
    };
    let statements: Vec<String> = match db {
        Db::Sqlite(_) => vec![
            format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {CUSTOMERS}) \
                 INSERT INTO karte_customer (name) SELECT 'customer ' || n FROM seq"
            ),
            format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {total}) \
                 INSERT INTO karte_photo (customer_id, kind, object_key, updated_at, trashed_at) SELECT {} FROM seq",
                photo_values("n", "'bench/' || n")
            ),
        ],
        Db::Postgres(_) => vec![
            format!(
                "INSERT INTO karte_customer (name) SELECT 'customer ' || n FROM generate_series(1, {CUSTOMERS}) AS n"
            ),
            format!(
                "INSERT INTO karte_photo (customer_id, kind, object_key, updated_at, trashed_at) \
                 SELECT {} FROM generate_series(1, {total}) AS n ORDER BY n",
                photo_values("n", "'bench/' || n")
            ),
        ],
        Db::MySql(_) => vec![
            format!(
                "INSERT INTO karte_customer (name) SELECT CONCAT('customer ', seq) FROM seq_1_to_{CUSTOMERS}"
            ),
            format!(
                "INSERT INTO karte_photo (customer_id, kind, object_key, updated_at, trashed_at) \
                 SELECT {} FROM seq_1_to_{total} ORDER BY seq",
                photo_values("seq", "CONCAT('bench/', seq)")
            ),
        ],
    };
    let tags = [
        "INSERT INTO karte_tag (name) VALUES ('顔')".to_string(),
        "INSERT INTO karte_photo_tag (photo_id, tag_id) SELECT p.id, t.id FROM karte_photo p, karte_tag t"
            .to_string(),
    ];
    for sql in statements.iter().chain(&tags) {
        match db {
            Db::Sqlite(p) => sqlx::query(AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(drop),
            Db::Postgres(p) => sqlx::query(AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(drop),
            Db::MySql(p) => sqlx::query(AssertSqlSafe(sql.clone()))
                .execute(p)
                .await
                .map(drop),
        }
        .with_context(|| format!("seeding: {sql}"))?;
    }
    Ok(())
}

fn kind_of(e: &KarteError) -> ErrorKind {
    match e.database_code() {
        Some((code, message)) => classify(&message, code.as_deref()),
        None => classify(&e.to_string(), None),
    }
}

/// One client: saves photos until the purge is done (at least 3), then returns its
/// latencies and the photos it saved.
async fn saver(
    db: Db,
    store: Arc<MemoryStore>,
    client: usize,
    now: i64,
    done: Arc<AtomicBool>,
) -> (LatencyRecorder, Vec<i64>) {
    let mut recorder = LatencyRecorder::new();
    let mut saved = Vec::new();
    for n in 0.. {
        if done.load(Ordering::Relaxed) && n >= 3 {
            break;
        }
        let customer = 1 + ((client * 31 + n) as i64 % CUSTOMERS as i64);
        let bytes = format!("client {client}, save {n}").into_bytes();
        let started = Instant::now();
        match service::save_photo(
            &db,
            store.as_ref(),
            customer,
            ImageKind::Photo,
            &bytes,
            &["顔", "経過"],
            now,
        )
        .await
        {
            Ok(id) => {
                recorder.record_ok("save", started.elapsed());
                saved.push(id);
            }
            Err(e) => {
                let kind = kind_of(&e);
                if recorder
                    .summary("save")
                    .is_none_or(|s| s.errors.of(kind) == 0)
                {
                    eprintln!("  client {client}: first {} failure: {e}", kind.label());
                }
                recorder.record_err("save", started.elapsed(), kind)
            }
        }
    }
    (recorder, saved)
}

/// The shortest and longest of `times` (sorted), in seconds: `0.95-1.26`.
fn range(times: &[Duration]) -> String {
    match (times.first(), times.last()) {
        (Some(least), Some(most)) => {
            format!("{:.2}-{:.2}", least.as_secs_f64(), most.as_secs_f64())
        }
        _ => String::new(),
    }
}

struct Measured {
    purge: Duration,
    /// Whether the purge finished within `--time-limit`.
    finished: bool,
    photos: usize,
    stats: LatencyRecorder,
}

/// Most time to wait for the server to finish earlier measurements' background
/// work before the next one: MariaDB's purge of 1,000,000 deleted rows takes
/// about a minute here.
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// Waits until the server has done the background work that seeding and the
/// measurements before left, so that no measurement pays for another's: on
/// MariaDB, InnoDB's purge of deleted rows (its history list empty); on
/// PostgreSQL, `VACUUM ANALYZE` and a checkpoint, which autovacuum and the
/// checkpointer would otherwise do during the measurement; on SQLite, a checkpoint
/// of its write-ahead log and the file system's `sync`, so that the measurement
/// does not pay for writing back what seeding wrote. Prints how long it waited.
async fn settle(db: &Db) -> Result<()> {
    let began = Instant::now();
    match db {
        Db::Sqlite(p) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .context("settling the database before a measurement: checkpointing its WAL")?;
            let synced = std::process::Command::new("sync")
                .status()
                .context("settling the database before a measurement: running `sync`")?;
            if !synced.success() {
                bail!("settling the database before a measurement: `sync` failed ({synced})");
            }
        }
        Db::Postgres(p) => {
            for statement in ["VACUUM ANALYZE", "CHECKPOINT"] {
                sqlx::query(statement)
                    .execute(p)
                    .await
                    .with_context(|| format!("settling the server before a measurement: {statement} (it needs a superuser)"))?;
            }
        }
        Db::MySql(p) => {
            loop {
                let (_, value): (String, String) =
                sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Innodb_history_list_length'")
                    .fetch_one(p)
                    .await
                    .context("settling the server before a measurement: reading InnoDB's history list length")?;
                if value.trim() == "0" {
                    break;
                }
                if began.elapsed() > SETTLE_LIMIT {
                    eprintln!(
                        "  InnoDB's history list still holds {value} after {} s; measuring anyway (the figure may include its purge)",
                        SETTLE_LIMIT.as_secs()
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    eprintln!("  settled in {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

/// Runs the floor's two statements in one transaction on `$pool`; evaluates to the
/// photos deleted.
macro_rules! delete_floor {
    ($pool:expr, $tags:expr, $photos:expr) => {{
        let mut tx = $pool.begin().await?;
        sqlx::query(AssertSqlSafe($tags)).execute(&mut *tx).await?;
        let n = sqlx::query(AssertSqlSafe($photos))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n.rows_affected()
    }};
}

/// The floor: on an idle database seeded as for the purge, the expired photos'
/// tag rows and then the photos deleted by one statement each, in one
/// transaction. Returns its wall time.
async fn floor(server: &EngineServer, args: &Args, now: i64) -> Result<Duration> {
    let scenario = server.create_scenario_db().await?;
    let db = scenario.db.clone();
    let trashed_at = now - 31 * DAY_MS;
    seed(&db, args.expired, args.live, now, trashed_at).await?;
    let cutoff = now - service::RETENTION_MS;
    let tags = format!(
        "DELETE FROM karte_photo_tag WHERE photo_id IN (SELECT id FROM karte_photo WHERE trashed_at <= {cutoff})"
    );
    let photos = format!("DELETE FROM karte_photo WHERE trashed_at <= {cutoff}");
    settle(&db).await?;
    let began = Instant::now();
    let deleted = match &db {
        Db::Sqlite(p) => delete_floor!(p, tags, photos),
        Db::Postgres(p) => delete_floor!(p, tags, photos),
        Db::MySql(p) => delete_floor!(p, tags, photos),
    };
    let took = began.elapsed();
    if deleted != args.expired {
        bail!(
            "the floor deleted {deleted} photos, expected {}",
            args.expired
        );
    }
    server.drop_scenario_db(scenario).await?;
    Ok(took)
}

async fn measure(
    server: &EngineServer,
    args: &Args,
    single: bool,
    savers: usize,
    now: i64,
) -> Result<Measured> {
    let scenario = server
        .create_scenario_db_with_pool(savers as u32 + 2)
        .await?;
    let db = scenario.db.clone();
    let began = Instant::now();
    seed(&db, args.expired, args.live, now, now - 31 * DAY_MS).await?;
    let store = Arc::new(MemoryStore::new());
    for n in 1..=args.expired + args.live {
        store.put(&format!("bench/{n}"), b"image")?;
    }
    eprintln!(
        "  seeded {} photos in {:.1} s",
        args.expired + args.live,
        began.elapsed().as_secs_f64()
    );
    settle(&db).await?;
    let done = Arc::new(AtomicBool::new(false));
    let savers: Vec<_> = (0..savers)
        .map(|client| tokio::spawn(saver(db.clone(), store.clone(), client, now, done.clone())))
        .collect();
    let options = PurgeOptions {
        chunk: args.chunk,
        target: args.target_ms.map(Duration::from_millis),
        ..PurgeOptions::default()
    };
    let began = Instant::now();
    let run = async {
        if single {
            service::purge_as_in_the_incident(&db, store.as_ref(), now).await
        } else {
            service::purge_with(&db, store.as_ref(), now, &options).await
        }
    };
    let report = match args.time_limit {
        Some(limit) => tokio::time::timeout(Duration::from_secs(limit), run)
            .await
            .ok(),
        None => Some(run.await),
    };
    let purge = began.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut stats = LatencyRecorder::new();
    let mut saved = Vec::new();
    for task in savers {
        let (recorder, ids) = task.await?;
        stats.merge(recorder);
        saved.extend(ids);
    }
    let Some(report) = report else {
        eprintln!(
            "  the purge did not finish within {} s; stopped (its open transaction rolled back)",
            purge.as_secs()
        );
        server.drop_scenario_db(scenario).await?;
        return Ok(Measured {
            purge,
            finished: false,
            photos: 0,
            stats,
        });
    };
    let report = report?;
    // Exactly the live photos and those saved remain, rows and bytes alike.
    let rows: BTreeSet<String> = service::object_keys(&db).await?.into_iter().collect();
    let stored: BTreeSet<String> = store.list()?.into_iter().collect();
    let expected_rows = args.live as usize + saved.len();
    if rows.len() != expected_rows || rows != stored {
        bail!(
            "after the purge: {} photo rows, {} stored objects; expected {expected_rows} of each, the same keys",
            rows.len(),
            stored.len()
        );
    }
    server.drop_scenario_db(scenario).await?;
    Ok(Measured {
        purge,
        finished: true,
        photos: report.photos,
        stats,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    kensho::runner::init_logging();
    let selection = engines::named(&args.engines)?;
    // (name, single transaction, clients saving)
    let mut strategies = Vec::new();
    for s in args.strategies.split(',').map(str::trim) {
        strategies.push(match s {
            "alone" => ("alone", false, 0),
            "chunked" => ("chunked", false, args.savers),
            "single" => ("single", true, args.savers),
            other => bail!("unknown strategy {other:?}: use alone, chunked, single"),
        });
    }
    let now = WallClock::parse("2026-11-23 12:00")?.tokyo_to_utc_ms();
    let root = kensho_steps::root().join("target/kensho");
    println!(
        "karte purge: {} expired photos, {} live, {} clients saving, chunk {}",
        args.expired, args.live, args.savers, args.chunk
    );
    let started =
        engines::start_own_run(&kensho_steps::suite(), &selection, &root.join("sqlite")).await?;
    let mut lines = Vec::new();
    for (engine, server) in started.servers {
        // Rounds of the floor and then each strategy, so that a server that runs
        // slower for a while slows a round's floor and strategies alike.
        let mut floors = Vec::new();
        let mut measured: Vec<Vec<Measured>> = strategies.iter().map(|_| Vec::new()).collect();
        for run in 1..=args.repeat {
            eprintln!("{engine} floor, round {run} of {}:", args.repeat);
            floors.push(floor(&server, &args, now).await?);
            for (runs, &(strategy, single, savers)) in measured.iter_mut().zip(&strategies) {
                eprintln!("{engine} {strategy}, round {run} of {}:", args.repeat);
                runs.push(measure(&server, &args, single, savers, now).await?);
            }
        }
        floors.sort();
        let floor = floors[floors.len() / 2];
        let line = format!(
            "{:<9} {:<8} {:>9.2} {:>11} {:>10.0} {:>7}",
            engine.name(),
            "floor",
            floor.as_secs_f64(),
            range(&floors),
            args.expired as f64 / floor.as_secs_f64(),
            "1.0×"
        );
        println!("{line}");
        lines.push(line);
        for (mut runs, &(strategy, _, savers)) in measured.into_iter().zip(&strategies) {
            // The median run by purge time (one that did not finish counts as
            // its time limit, so it sorts last).
            runs.sort_by_key(|m| m.purge);
            let times: Vec<Duration> = runs.iter().map(|m| m.purge).collect();
            let m = runs.swap_remove(runs.len() / 2);
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let (purge_s, rate) = if m.finished {
                (
                    format!("{:.2}", m.purge.as_secs_f64()),
                    format!("{:.0}", m.photos as f64 / m.purge.as_secs_f64()),
                )
            } else {
                // Unfinished: nothing committed, so the rate is below all / limit.
                (
                    format!(">{:.0}", m.purge.as_secs_f64()),
                    format!("<{:.0}", args.expired as f64 / m.purge.as_secs_f64()),
                )
            };
            let over_floor = format!(
                "{}{:.1}×",
                if m.finished { "" } else { ">" },
                m.purge.as_secs_f64() / floor.as_secs_f64()
            );
            let saves = match m.stats.summary("save") {
                Some(s) => format!(
                    "{:>7} {:>6} {:>5}/{:<5}/{:<5}/{:<5} {:>9.1} {:>9.1}",
                    s.count - s.failed(),
                    s.failed(),
                    s.errors.of(ErrorKind::LockWaitTimeout),
                    s.errors.of(ErrorKind::Deadlock),
                    s.errors.of(ErrorKind::Busy),
                    s.errors.of(ErrorKind::Other),
                    ms(s.p50),
                    ms(s.p99),
                ),
                None if savers == 0 => format!("{:>7} {:>6}", "-", "-"),
                None => bail!("no save ran"),
            };
            let line = format!(
                "{:<9} {:<8} {:>9} {:>11} {:>10} {:>7} {saves}",
                engine.name(),
                strategy,
                purge_s,
                range(&times),
                rate,
                over_floor,
            );
            println!("{line}");
            lines.push(line);
        }
        server.finish(false).await;
    }
    if let Some(lock) = started.sqlite_lock {
        lock.release();
    }
    println!(
        "\n{:<9} {:<8} {:>9} {:>11} {:>10} {:>7} {:>7} {:>6} {:>23} {:>9} {:>9}",
        "engine",
        "purge",
        "purge s",
        "range s",
        "rows/s",
        "×floor",
        "saves",
        "failed",
        "lock/deadlock/busy/other",
        "p50 ms",
        "p99 ms"
    );
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// An object store held in memory (for measurements, where the filesystem would
/// dominate what is measured). Keys are checked as in every store.
#[derive(Debug, Default)]
struct MemoryStore {
    objects: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    fn new() -> Self {
        MemoryStore::default()
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock leaves the map itself intact.
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ObjectStore for MemoryStore {
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        validate_key(key)?;
        self.objects().insert(key.to_string(), bytes.to_vec());
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_key(key)?;
        Ok(self.objects().get(key).cloned())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        self.objects().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        validate_key(key)?;
        Ok(self.objects().contains_key(key))
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.objects().keys().cloned().collect())
    }
}
