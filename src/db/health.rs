//! Whether an engine's server is still there during a run.
//!
//! A server that dies mid-run (its container killed, its host gone) would
//! otherwise stall every scenario of its engine on its pools' connection
//! timeouts, one after the other, for tens of minutes, and starve the other
//! engines of the runner's places meanwhile. A [`Health`] is watched by a
//! heartbeat on a connection of its own ([`watch`]); once the server is
//! [`Lost`], everything of that engine waiting on it stops at once: the
//! database handout ([`super::EngineServer::create_scenario_db`]), the running
//! steps (the runner's step limits select on [`Health::lost`]), the warm pool
//! and the drops. The other engines go on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use sqlx::{ConnectOptions, Connection};
use tokio::sync::Notify;
use tokio::sync::watch as channel;

use super::Engine;
use super::redact::redact_url;

/// How often the heartbeat asks the server whether it is there: a killed
/// container is noticed within about this long.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a heartbeat waits for the server's answer on its open connection
/// before it tries a new one. Generous: a busy server under the whole suite
/// answers `SELECT 1` in milliseconds, and only a server that stopped answering
/// waits this long.
const ANSWER_WAIT: Duration = Duration::from_secs(4);

/// How long a new connection may take after an unanswered heartbeat. A killed
/// server refuses at once; one that drops packets is taken for lost after
/// [`ANSWER_WAIT`] and this, well within the 10 s in which its engine's
/// scenarios must fail.
const RECONNECT_WAIT: Duration = Duration::from_secs(4);

/// How a server was lost.
#[derive(Clone, Debug)]
pub struct Lost {
    /// The engine whose server it was.
    pub engine: Engine,
    /// When the heartbeat found it gone (wall clock, for reports).
    pub at: SystemTime,
    /// The same moment on the monotonic clock (for measured delays).
    pub noticed: Instant,
    /// Why, in words (no password).
    pub reason: String,
}

impl Lost {
    /// `the postgres server was lost at 23:40:07 UTC: <reason>`: how steps,
    /// summaries and reports name it.
    pub fn message(&self) -> String {
        format!(
            "the {} server was lost at {} UTC: {}",
            self.engine,
            clock_time(self.at),
            self.reason
        )
    }
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// `HH:MM:SS` of a wall-clock time, in UTC.
fn clock_time(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

/// Whether one engine's server is there: cloned into everything that waits on
/// it. Until the heartbeat finds the server gone, [`Health::lost`] never ends.
#[derive(Clone)]
pub struct Health {
    engine: Engine,
    state: channel::Sender<Option<Arc<Lost>>>,
    /// The heartbeat's side of [`Health::confirm`].
    asked: Arc<Asked>,
}

/// Questions to the heartbeat: "is the server still there, as of now?".
#[derive(Default)]
struct Asked {
    /// A heartbeat watches this server (never for SQLite).
    watched: AtomicBool,
    /// The last question's number.
    last: AtomicU64,
    /// Wakes the heartbeat for a question.
    wake: Notify,
    /// The highest question number that a probe begun after it answered.
    answered: channel::Sender<u64>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Health({}, lost: {:?})", self.engine, self.is_lost())
    }
}

impl Health {
    /// A server that is there, until [`Health::mark_lost`] says otherwise.
    pub fn new(engine: Engine) -> Health {
        Health {
            engine,
            state: channel::Sender::new(None),
            asked: Arc::new(Asked {
                answered: channel::Sender::new(0),
                ..Asked::default()
            }),
        }
    }

    /// Whether the server is lost as of now: asks the heartbeat for a probe
    /// begun after this call (a round trip on a server that answers) and waits
    /// for its verdict. A step that failed on a connection error before the
    /// heartbeat noticed the loss learns of it so. `None` when the server
    /// answers, or nothing watches it (SQLite).
    pub async fn confirm(&self) -> Option<Arc<Lost>> {
        if let Some(lost) = self.is_lost() {
            return Some(lost);
        }
        if !self.asked.watched.load(Ordering::SeqCst) {
            return None;
        }
        let mut answered = self.asked.answered.subscribe();
        let question = self.asked.last.fetch_add(1, Ordering::SeqCst) + 1;
        self.asked.wake.notify_one();
        let verdict = async {
            tokio::select! {
                _ = answered.wait_for(|&n| n >= question) => None,
                lost = self.lost() => Some(lost),
            }
        };
        tokio::time::timeout(ANSWER_WAIT + RECONNECT_WAIT + HEARTBEAT, verdict)
            .await
            .unwrap_or_else(|_| self.is_lost())
    }

    /// How the server was lost, if it was.
    pub fn is_lost(&self) -> Option<Arc<Lost>> {
        self.state.borrow().clone()
    }

    /// Ends when the server is lost (at once if it was); never for a server
    /// that stays.
    pub async fn lost(&self) -> Arc<Lost> {
        let mut seen = self.state.subscribe();
        let lost = seen
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|lost| lost.clone());
        match lost {
            Some(lost) => lost,
            // The sender lives in `self`: it cannot close while waited on.
            None => futures::future::pending().await,
        }
    }

    /// Marks the server lost for `reason` (the first loss stays); returns it.
    pub fn mark_lost(&self, reason: String) -> Arc<Lost> {
        let lost = Arc::new(Lost {
            engine: self.engine,
            at: SystemTime::now(),
            noticed: Instant::now(),
            reason,
        });
        self.state.send_if_modified(|state| {
            if state.is_some() {
                return false;
            }
            *state = Some(lost.clone());
            true
        });
        self.is_lost().unwrap_or(lost)
    }
}

/// Watches the server reached with `options` (shown as `url`, without its
/// password) until the task is aborted: every [`HEARTBEAT`] a `SELECT 1`
/// ([`Connection::ping`]) on a connection of its own; when that fails or gets
/// no answer within [`ANSWER_WAIT`], one new connection within
/// [`RECONNECT_WAIT`]; when that fails too, the server is lost and the task
/// ends. A server that answers the new connection goes on being watched.
pub fn watch<O>(health: Health, options: O, url: &str) -> tokio::task::JoinHandle<()>
where
    O: ConnectOptions + Send + Sync + 'static,
    O::Connection: Connection + Sized + Send,
{
    let shown = redact_url(url);
    health.asked.watched.store(true, Ordering::SeqCst);
    tokio::spawn(async move {
        let mut connection = None;
        loop {
            // The questions asked before this probe begins are answered by it.
            let covers = health.asked.last.load(Ordering::SeqCst);
            let answered = match connection.as_mut() {
                Some(open) => matches!(
                    tokio::time::timeout(ANSWER_WAIT, Connection::ping(open)).await,
                    Ok(Ok(()))
                ),
                None => false,
            };
            if !answered {
                // The old connection goes without a goodbye: the server may be gone.
                drop(connection.take());
                match tokio::time::timeout(RECONNECT_WAIT, options.connect()).await {
                    Ok(Ok(open)) => connection = Some(open),
                    Ok(Err(e)) => {
                        announce(&health.mark_lost(format!("{shown} refuses connections ({e})")));
                        return;
                    }
                    Err(_) => {
                        announce(&health.mark_lost(format!(
                            "{shown} answered neither a query within {} s nor a new connection within {} s",
                            ANSWER_WAIT.as_secs(),
                            RECONNECT_WAIT.as_secs()
                        )));
                        return;
                    }
                }
            }
            health
                .asked
                .answered
                .send_modify(|answered| *answered = (*answered).max(covers));
            tokio::select! {
                () = tokio::time::sleep(HEARTBEAT) => {}
                () = health.asked.wake.notified() => {}
            }
        }
    })
}

/// Says on the console, as it happens, that a server was lost and what follows.
fn announce(lost: &Lost) {
    eprintln!("\nkensho: {lost}; its engine's scenarios fail from now on, the other engines go on");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_loss_reaches_every_waiter_and_the_first_one_stays() {
        let health = Health::new(Engine::Postgres);
        assert!(health.is_lost().is_none());
        let waiter = {
            let health = health.clone();
            tokio::spawn(async move { health.lost().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        health.mark_lost("its container stopped".into());
        health.mark_lost("a later reason".into());
        let lost = waiter.await.unwrap();
        assert_eq!(lost.reason, "its container stopped");
        assert_eq!(health.is_lost().unwrap().reason, "its container stopped");
        let message = health.lost().await.message();
        assert!(
            message.starts_with("the postgres server was lost at "),
            "{message}"
        );
        assert!(
            message.ends_with(" UTC: its container stopped"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_server_that_refuses_is_lost_and_the_reason_hides_the_password() {
        // Nothing listens on port 1 of the loopback: refused at once.
        let url = "postgres://postgres:s3cretpw@127.0.0.1:1/postgres";
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        let health = Health::new(Engine::Postgres);
        let task = watch(health.clone(), options, url);
        let lost = tokio::time::timeout(Duration::from_secs(30), health.lost())
            .await
            .expect("a refusing server is lost");
        task.await.unwrap();
        assert!(
            lost.reason.contains("refuses connections"),
            "{}",
            lost.reason
        );
        assert!(lost.reason.contains("127.0.0.1:1"), "{}", lost.reason);
        assert!(!lost.reason.contains("s3cretpw"), "{}", lost.reason);
    }

    #[test]
    fn clock_time_is_utc_hours_minutes_seconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 3600 * 23 + 60 * 4 + 5);
        assert_eq!(clock_time(at), "23:04:05");
    }
}
