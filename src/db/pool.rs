//! The warm pool: scenario databases made in the background while scenarios
//! run, so that a scenario takes a ready one instead of waiting for its copy of
//! the template; and the dropping of used databases, also in the background, so
//! that a scenario's end does not wait for it either.
//!
//! The pool holds at most its size of ready databases (each a fresh copy of the
//! template, connected); [`FILLERS`] are made at once.
//! Every database the pool made and nobody took is dropped by the run's end,
//! like any other database still counted by the [`Maker`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::health::Health;
use super::maker::{Maker, SCENARIO_POOL_SIZE, ScenarioDb};
use super::{DbError, Engine};

/// How long the filler waits after a failed copy before it tries again (a
/// server that went away fails every attempt at once).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(200);

/// How long the run's end waits for the database being made when the pool
/// stops (a copy takes well under a second on a server that answers).
const FILLER_PATIENCE: Duration = Duration::from_secs(30);

/// How many databases a pool makes at once. One copy at a time left PostgreSQL's
/// pool empty under the full suite (a copy waits on the server's disk work while
/// the other core is idle); two keep it filled, and more only add load on a
/// two-core machine.
pub(super) const FILLERS: usize = 2;

/// The ready databases of one engine and the tasks that keep it filled.
pub(super) struct Warm {
    engine: Engine,
    ready: tokio::sync::Mutex<mpsc::Receiver<Result<ScenarioDb, DbError>>>,
    fillers: Vec<JoinHandle<()>>,
}

impl Warm {
    /// Starts filling a pool of `size` databases made by `maker`, until the
    /// server's `health` says it is lost.
    pub fn start(maker: Arc<Maker>, size: usize, health: Health) -> Warm {
        let engine = maker.engine;
        let (ready, taken) = mpsc::channel(size.max(1));
        let fillers = (0..FILLERS)
            .map(|_| {
                let (maker, ready, health) = (maker.clone(), ready.clone(), health.clone());
                tokio::spawn(async move {
                    // A place in the pool first, then the database: never more
                    // than `size` made ahead.
                    while let Ok(place) = ready.reserve().await {
                        let made = tokio::select! {
                            made = maker.create(SCENARIO_POOL_SIZE) => made,
                            // Whoever waits for a database learns of the loss
                            // from the server itself.
                            _ = health.lost() => return,
                        };
                        let failed = made.is_err();
                        place.send(made);
                        if failed {
                            tokio::time::sleep(RETRY_AFTER_FAILURE).await;
                        }
                    }
                })
            })
            .collect();
        Warm {
            engine,
            ready: tokio::sync::Mutex::new(taken),
            fillers,
        }
    }

    /// A ready database, waiting for one if the pool is empty; its
    /// [`ScenarioDb::handed_out_in`] is how long the caller waited.
    pub async fn take(&self) -> Result<ScenarioDb, DbError> {
        let began = Instant::now();
        let taken = self.ready.lock().await.recv().await;
        let mut scenario = taken.unwrap_or_else(|| {
            Err(DbError::Unavailable {
                engine: self.engine,
                reason: "the run is ending; no more databases are made".into(),
            })
        })?;
        scenario.handed_out_in = began.elapsed();
        Ok(scenario)
    }

    /// Stops making databases and returns those nobody took (after those being
    /// made, if any, are ready).
    pub async fn stop(self) -> Vec<ScenarioDb> {
        let mut ready = self.ready.into_inner();
        ready.close();
        let aborts: Vec<_> = self.fillers.iter().map(JoinHandle::abort_handle).collect();
        let all = futures::future::join_all(self.fillers);
        if tokio::time::timeout(FILLER_PATIENCE, all).await.is_err() {
            // A copy the server does not finish; what it made is dropped with
            // the run's other databases.
            for filler in aborts {
                filler.abort();
            }
        }
        let mut left = Vec::new();
        while let Some(made) = ready.recv().await {
            if let Ok(scenario) = made {
                left.push(scenario);
            }
        }
        left
    }
}

/// Drops used scenario databases one after another in the background.
pub(super) struct Dropper {
    used: mpsc::UnboundedSender<ScenarioDb>,
    task: JoinHandle<()>,
}

impl Dropper {
    /// Starts dropping what is handed to [`Dropper::drop_later`] with `maker`;
    /// once the server's `health` says it is lost, what is queued is let go
    /// (there is nothing to drop it on).
    pub fn start(maker: Arc<Maker>, health: Health) -> Dropper {
        let (used, mut queue) = mpsc::unbounded_channel::<ScenarioDb>();
        let task = tokio::spawn(async move {
            while let Some(scenario) = queue.recv().await {
                if health.is_lost().is_some() {
                    continue;
                }
                let dropped = tokio::select! {
                    dropped = maker.drop_scenario_db(scenario) => dropped,
                    _ = health.lost() => continue,
                };
                if let Err(e) = dropped {
                    eprintln!(
                        "kensho: {}: could not drop a scenario database: {e}",
                        maker.engine
                    );
                }
            }
        });
        Dropper { used, task }
    }

    /// Queues `scenario` to be closed and dropped; if the dropper has ended, it
    /// stays counted and the run's end drops it.
    pub fn drop_later(&self, scenario: ScenarioDb) {
        let _ = self.used.send(scenario);
    }

    /// Waits until everything queued is dropped.
    pub async fn finish(self) {
        drop(self.used);
        let _ = self.task.await;
    }
}
