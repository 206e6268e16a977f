//! Faults (障害): how a lost database connection is recognised and reported, and the
//! fault points where fault-injection scenarios lose it on purpose.
//!
//! A [`Fault`] travels in an operation's options (`#[doc(hidden)]`): no
//! configuration, flag or option of the runner sets it, only the steps of
//! fault-injection scenarios. Each operation documents its fault points, counted
//! from 1 in the order it reaches them (for example "chunk `n`, after its writes and
//! before its commit").

use std::future::Future;

/// A fault to inject into one run of an operation.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// At fault point `at` the database drops the transaction's own connection
    /// (PostgreSQL: `pg_terminate_backend(pg_backend_pid())`; MariaDB: `KILL` of its
    /// `CONNECTION_ID()`) and the operation goes on, so its next statement or its
    /// commit fails with a real I/O error. SQLite has no server connection: the
    /// transaction is abandoned uncommitted and the operation fails.
    ConnectionLost { at: usize },
    /// The run stops right after the commit at fault point `after`, writing nothing
    /// more, as an aborted process would leave it.
    Abort { after: usize },
    /// At fault point `at` the transaction stalls for `time` (a slow disk, a
    /// congested server) and then goes on as usual.
    Stall {
        at: usize,
        time: std::time::Duration,
    },
}

/// The database connection was lost in the middle of a transaction: the database
/// rolled the transaction back, so nothing of it was saved.
#[derive(Debug, thiserror::Error)]
#[error("the connection was lost while {action} ({})", cause(.source))]
pub struct ConnectionLost {
    /// What the transaction was doing, e.g. "committing a purge chunk".
    pub action: &'static str,
    /// The database driver's error; none where the transaction was abandoned
    /// without a server connection (SQLite).
    #[source]
    pub source: Option<sqlx::Error>,
}

fn cause(source: &Option<sqlx::Error>) -> String {
    match source {
        Some(e) => e.to_string(),
        None => "SQLite: the transaction was abandoned uncommitted".to_string(),
    }
}

/// An operation stopped by [`Fault::Abort`].
#[derive(Debug, thiserror::Error)]
#[error("the run was aborted after its commit number {after}")]
pub struct Aborted {
    pub after: usize,
}

/// Whether a driver error means the connection itself is gone (closed, reset,
/// killed by the server) rather than a statement refused on a live connection.
pub fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            let code = e.code().map(|c| c.into_owned()).unwrap_or_default();
            match e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                // ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED, CR_SERVER_GONE_ERROR,
                // CR_SERVER_LOST.
                Some(mysql) => matches!(mysql.number(), 1053 | 1927 | 2006 | 2013),
                // SQLSTATE class 08 (connection exception); 57P01 to 57P03: the
                // server terminated the session or is shutting down.
                None => {
                    code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02" | "57P03")
                }
            }
        }
        _ => false,
    }
}

/// `error` as a [`ConnectionLost`] if it means the connection is gone, else as it is.
pub fn classify(action: &'static str, error: sqlx::Error) -> Result<ConnectionLost, sqlx::Error> {
    if is_connection_lost(&error) {
        Ok(ConnectionLost {
            action,
            source: Some(error),
        })
    } else {
        Err(error)
    }
}

/// A database session a fault can drop.
pub trait Session: Send {
    /// Drops this very connection on the server side. Returns `false` where there is
    /// no server connection to drop (SQLite).
    fn drop_connection(&mut self) -> impl Future<Output = bool> + Send;
}

impl Session for sqlx::SqliteConnection {
    fn drop_connection(&mut self) -> impl Future<Output = bool> + Send {
        std::future::ready(false)
    }
}

impl Session for sqlx::PgConnection {
    async fn drop_connection(&mut self) -> bool {
        // The server ends the session that asks, so the statement itself fails.
        let _ = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(&mut *self)
            .await;
        true
    }
}

impl Session for sqlx::MySqlConnection {
    async fn drop_connection(&mut self) -> bool {
        let id: Result<u64, _> = sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut *self)
            .await;
        if let Ok(id) = id {
            // The server ends the session that asks, so the statement may fail.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("KILL {id}")))
                .execute(&mut *self)
                .await;
        }
        true
    }
}

/// Fault point `point` inside an open transaction on `conn`, which goes on to
/// `action`. Under [`Fault::ConnectionLost`] at this point the connection is dropped
/// (and the caller's next statement or commit fails), or, without a server
/// connection, the error is returned here and the caller abandons the transaction.
/// Under [`Fault::Stall`] at this point it waits, then lets the transaction go on.
pub async fn in_transaction<C: Session>(
    fault: Option<Fault>,
    point: usize,
    conn: &mut C,
    action: &'static str,
) -> Result<(), ConnectionLost> {
    match fault {
        Some(Fault::ConnectionLost { at }) if at == point => {
            if conn.drop_connection().await {
                Ok(())
            } else {
                Err(ConnectionLost {
                    action,
                    source: None,
                })
            }
        }
        Some(Fault::Stall { at, time }) if at == point => {
            tokio::time::sleep(time).await;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The point right after commit number `point`: under [`Fault::Abort`] there, the
/// run stops.
pub fn after_commit(fault: Option<Fault>, point: usize) -> Result<(), Aborted> {
    match fault {
        Some(Fault::Abort { after }) if after == point => Err(Aborted { after }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_a_lost_connection_and_refusals_are_not() {
        let io = sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "unexpected end of file",
        ));
        let lost = classify("committing a purge chunk", io).unwrap();
        assert!(
            lost.to_string()
                .starts_with("the connection was lost while committing a purge chunk ("),
            "{lost}"
        );
        assert!(classify("reading", sqlx::Error::RowNotFound).is_err());
    }

    #[test]
    fn faults_act_only_at_their_point() {
        let abort = Some(Fault::Abort { after: 2 });
        assert!(after_commit(abort, 1).is_ok());
        assert_eq!(after_commit(abort, 2).unwrap_err().after, 2);
        assert!(after_commit(None, 2).is_ok());
        assert!(after_commit(Some(Fault::ConnectionLost { at: 2 }), 2).is_ok());
    }
}

/// A meeting point inside an operation, for race scenarios: the operation says it
/// has reached the point and waits there until the scenario lets it go on, so a
/// concurrent action lands exactly in between (e.g. a restore committing after the
/// purge chose its photos and before it locked them). Like [`Fault`], it travels
/// in an operation's options, set only by scenario steps.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct Pause {
    reached: std::sync::Arc<tokio::sync::Notify>,
    resume: std::sync::Arc<tokio::sync::Notify>,
}

impl PartialEq for Pause {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.reached, &other.reached)
    }
}

impl Eq for Pause {}

impl Pause {
    /// Waits until the operation has reached the point.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the operation go on.
    pub fn resume(&self) {
        self.resume.notify_one();
    }

    /// In the operation: signals the point and waits to be resumed.
    pub async fn hold(&self) {
        self.reached.notify_one();
        self.resume.notified().await;
    }
}
