//! Logging in to an engine's server: one attempt that tells a refused
//! connection, a rejected login and a silent host apart ([`try_login`]), and
//! the admin pool opened after it ([`login`]), with messages that say what to
//! check.

use std::time::Duration;

use super::redact::redact_url;
use super::{DbError, Engine};

/// How long a login waits for the server's answer (a host that drops packets
/// never refuses).
pub(super) const LOGIN_WAIT: Duration = Duration::from_secs(10);

/// Why a login to an engine's server failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// Nothing accepts connections at the URL's host and port.
    Refused,
    /// The server refused the user or the password.
    Authentication,
    /// The server did not answer within [`LOGIN_WAIT`].
    NoAnswer,
    /// Anything else (no such database, name resolution, TLS, ...).
    Other,
}

impl LoginFailure {
    /// The failure `e` of a connection attempt is.
    pub fn of(e: &sqlx::Error) -> LoginFailure {
        match e {
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                LoginFailure::Refused
            }
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                LoginFailure::NoAnswer
            }
            // SQLSTATE class 28: invalid authorization (PostgreSQL 28P01 is a wrong
            // password; MariaDB's "access denied", 1045, carries 28000).
            sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("28")) => {
                LoginFailure::Authentication
            }
            _ => LoginFailure::Other,
        }
    }

    /// What to check, in words.
    fn hint(self) -> String {
        match self {
            LoginFailure::Refused => {
                "nothing accepts connections there (connection refused): check the URL's host and port, and that the server runs".into()
            }
            LoginFailure::Authentication => {
                "the server refused the login: check the URL's user and password".into()
            }
            LoginFailure::NoAnswer => format!(
                "no answer within {} s: check the URL's host and port, and the network",
                LOGIN_WAIT.as_secs()
            ),
            LoginFailure::Other => "check the URL".into(),
        }
    }
}

/// One login attempt with `options`, which fails at once when the connection is
/// refused or the login rejected: a server given by URL is either there or not, and
/// a container is only connected to once its log says it is ready.
pub async fn try_login<O>(options: &O) -> Result<(), (LoginFailure, sqlx::Error)>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    use sqlx::Connection;
    let connected = match tokio::time::timeout(LOGIN_WAIT, options.connect()).await {
        Ok(connected) => connected,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", LOGIN_WAIT.as_secs()),
        ))),
    };
    match connected {
        Ok(connection) => connection
            .close()
            .await
            .map_err(|e| (LoginFailure::of(&e), e)),
        Err(e) => Err((LoginFailure::of(&e), e)),
    }
}

/// Logs in once with `options` ([`try_login`]), then opens the admin pool with
/// `pool`; a failure names the URL (without password), the cause and what to check.
pub(super) async fn login<O, T, F, Fut>(
    engine: Engine,
    url: &str,
    options: &O,
    pool: F,
) -> Result<T, DbError>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let failed = |(failure, e): (LoginFailure, sqlx::Error)| DbError::Unavailable {
        engine,
        reason: format!(
            "cannot log in to {}: {e}; {}",
            redact_url(url),
            failure.hint()
        ),
    };
    try_login(options).await.map_err(failed)?;
    pool().await.map_err(|e| failed((LoginFailure::of(&e), e)))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::mysql::MySqlConnectOptions;
    use sqlx::postgres::PgConnectOptions;

    use super::*;

    /// Port 1 on the loopback address: nothing listens there, so the connection is
    /// refused.
    const NOTHING_THERE: &str = "127.0.0.1:1";

    #[tokio::test]
    async fn a_refused_connection_fails_at_once_as_refused() {
        let pg = PgConnectOptions::from_str(&format!("postgres://postgres:pw@{NOTHING_THERE}/x"))
            .unwrap();
        let (failure, _) = try_login(&pg).await.unwrap_err();
        assert_eq!(failure, LoginFailure::Refused);
        let my =
            MySqlConnectOptions::from_str(&format!("mysql://root:pw@{NOTHING_THERE}")).unwrap();
        let (failure, _) = try_login(&my).await.unwrap_err();
        assert_eq!(failure, LoginFailure::Refused);
    }
}
