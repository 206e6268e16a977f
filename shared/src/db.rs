//! The database handle every side uses: the [`Engine`] a database runs on, the
//! [`Db`] connection pool by dialect, the errors of the database layer, and the
//! SQLite write gate. Where the engines differ in SQL, see [`crate::dialect`].

use std::fmt;
use std::time::Duration;

/// How long a statement waits for a lock before failing (`innodb_lock_wait_timeout`,
/// PostgreSQL `lock_timeout`, SQLite `busy_timeout`): short, so a blocked write shows
/// up as an error instead of a hung suite.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A database engine Kensho runs scenarios on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    Sqlite,
    Postgres,
    MariaDb,
}

impl Engine {
    /// Every engine, in the order runs and summaries list them.
    pub const ALL: [Engine; 3] = [Engine::Sqlite, Engine::Postgres, Engine::MariaDb];

    /// The engine's name as written in options, tags and output.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::MariaDb => "mariadb",
        }
    }

    /// Parses an engine name (`sqlite`, `postgres`/`postgresql`, `mariadb`/`mysql`).
    pub fn parse(text: &str) -> Result<Engine, DbError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Engine::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            "mariadb" | "mysql" => Ok(Engine::MariaDb),
            other => Err(DbError::UnknownEngine(other.to_string())),
        }
    }

    /// Parses a comma-separated list of engines, or `all`.
    pub fn parse_list(text: &str) -> Result<Vec<Engine>, DbError> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(Engine::ALL.to_vec());
        }
        let mut engines = Vec::new();
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let engine = Engine::parse(part)?;
            if !engines.contains(&engine) {
                engines.push(engine);
            }
        }
        if engines.is_empty() {
            return Err(DbError::UnknownEngine(text.to_string()));
        }
        engines.sort();
        Ok(engines)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A connection pool to one database, by dialect.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

impl Db {
    /// The write gate of this database (SQLite; `None` on engines whose writers do
    /// not queue behind one another). A long job that holds it on to sees who
    /// else writes ([`WriteGate::waiting`], [`WriteGate::entered`]).
    pub fn write_gate(&self) -> Option<std::sync::Arc<WriteGate>> {
        match self {
            Db::Sqlite(pool) => Some(sqlite_write_gate(pool)),
            Db::Postgres(_) | Db::MySql(_) => None,
        }
    }

    /// The engine behind this handle.
    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
            Db::MySql(_) => Engine::MariaDb,
        }
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
            Db::MySql(p) => p.close().await,
        }
    }
}

/// Errors of the database layer. Each names the engine and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unknown engine {0:?}: use sqlite, postgres or mariadb (comma-separated), or all")]
    UnknownEngine(String),
    #[error("engine {engine} unavailable: {reason}")]
    Unavailable { engine: Engine, reason: String },
    #[error("{engine}: {action} on {location}: {source}")]
    Sql {
        engine: Engine,
        action: String,
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{engine}: migrating {location}: {source}")]
    Migrate {
        engine: Engine,
        location: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("{engine}: {action} {path}: {source}")]
    Io {
        engine: Engine,
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A database URL [`Db::connect`] cannot use (`url` is shown without its password).
    #[error(
        "database URL {url}: {reason}; write sqlite:PATH, postgres://USER@HOST[:PORT]/DATABASE (or postgresql://), or mysql://USER@HOST[:PORT]/DATABASE (or mariadb://)"
    )]
    BadUrl {
        /// The URL, without its password.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// [`Db::connect`] could not open a connection (`url` is shown without its password).
    #[error("{engine}: cannot connect to {url}: {source}; {hint}")]
    Connect {
        /// The engine the URL names.
        engine: Engine,
        /// The URL, without its password.
        url: String,
        /// What to check, for this engine.
        hint: &'static str,
        /// Why the connection failed.
        #[source]
        source: sqlx::Error,
    },
}

/// The write gate of one SQLite database file: SQLite lets one writer in at a time,
/// and a writer that finds the database locked polls with growing sleeps (up to
/// 100 ms), so under contention a write can wait far longer than the writes ahead
/// of it take. Writers of this process that take the gate first queue in order
/// (first come, first served) instead, and a long job that holds on to the gate
/// ([`Db::write_gate`]) can see whether anyone else writes. Other engines need
/// none.
#[derive(Debug, Default)]
pub struct WriteGate {
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    waiting: std::sync::atomic::AtomicUsize,
    entered: std::sync::atomic::AtomicU64,
}

impl WriteGate {
    /// Queues for the gate; the returned guard lets the next writer in when it
    /// drops.
    pub async fn enter(self: std::sync::Arc<Self>) -> GateGuard {
        use std::sync::atomic::{AtomicUsize, Ordering};
        /// Counts one writer as waiting until it is let in or gives up.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        let inside = self.lock.clone().lock_owned().await;
        self.entered.fetch_add(1, Ordering::SeqCst);
        GateGuard {
            _inside: inside,
            _gate: self.clone(),
        }
    }

    /// How many writers of this process have been let in so far (while anyone
    /// holds on to the gate): a job that notes it after its own write sees at its
    /// next whether anyone wrote between.
    pub fn entered(&self) -> u64 {
        self.entered.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many writers of this process wait for the gate now (not counting the
    /// one inside).
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A writer's turn at a [`WriteGate`]: the next writer goes in when it drops. It
/// keeps the gate itself alive, so that every writer of the file meanwhile queues
/// at this gate and no other.
#[derive(Debug)]
pub struct GateGuard {
    _inside: tokio::sync::OwnedMutexGuard<()>,
    _gate: std::sync::Arc<WriteGate>,
}

/// The [`WriteGate`] of the SQLite database file of `pool` (one per file in the
/// process).
pub fn sqlite_write_gate(pool: &sqlx::SqlitePool) -> std::sync::Arc<WriteGate> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, Weak};
    static GATES: Mutex<Option<HashMap<std::path::PathBuf, Weak<WriteGate>>>> = Mutex::new(None);
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut gates = GATES.lock().unwrap_or_else(|e| e.into_inner());
    let gates = gates.get_or_insert_with(HashMap::new);
    gates.retain(|_, gate| gate.strong_count() > 0);
    if let Some(gate) = gates.get(&file).and_then(Weak::upgrade) {
        return gate;
    }
    let gate = Arc::new(WriteGate::default());
    gates.insert(file, Arc::downgrade(&gate));
    gate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_write_gate_counts_the_writers_waiting_behind_it() {
        let gate = std::sync::Arc::new(WriteGate::default());
        let inside = gate.clone().enter().await;
        assert_eq!(gate.waiting(), 0, "the writer inside does not wait");
        assert_eq!(gate.entered(), 1);
        let next = tokio::spawn(gate.clone().enter());
        let given_up = tokio::spawn(gate.clone().enter());
        while gate.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        // A writer that gives up no longer counts.
        given_up.abort();
        assert!(given_up.await.unwrap_err().is_cancelled());
        assert_eq!(gate.waiting(), 1);
        drop(inside);
        let _next_inside = next.await.unwrap();
        assert_eq!(gate.waiting(), 0);
        assert_eq!(gate.entered(), 2, "the writer that gave up never entered");
    }

    #[test]
    fn engine_lists_parse_and_reject_unknown_names() {
        assert_eq!(
            Engine::parse_list("mysql, sqlite,postgresql").unwrap(),
            vec![Engine::Sqlite, Engine::Postgres, Engine::MariaDb]
        );
        assert_eq!(Engine::parse_list("all").unwrap(), Engine::ALL.to_vec());
        let err = Engine::parse_list("sqlite,oracle").unwrap_err().to_string();
        assert!(err.contains("\"oracle\""), "{err}");
        assert!(Engine::parse_list(" , ").is_err());
    }
}

/// A service's schema: its migrations for each engine (`sqlx::migrate!` of its
/// `migrations/sqlite`, `migrations/postgres` and `migrations/mariadb`). Versions
/// are unique across the services of a suite: the harness refuses two services
/// with the same version.
#[derive(Debug)]
pub struct Migrations {
    /// For SQLite.
    pub sqlite: sqlx::migrate::Migrator,
    /// For PostgreSQL.
    pub postgres: sqlx::migrate::Migrator,
    /// For MariaDB/MySQL.
    pub mariadb: sqlx::migrate::Migrator,
}

impl Migrations {
    /// The migrations for `engine`.
    pub fn for_engine(&self, engine: Engine) -> &sqlx::migrate::Migrator {
        match engine {
            Engine::Sqlite => &self.sqlite,
            Engine::Postgres => &self.postgres,
            Engine::MariaDb => &self.mariadb,
        }
    }
}

/// Declares a crate's [`Migrations`] from its `migrations/{sqlite,postgres,mariadb}`
/// folders: `pub static MIGRATIONS: Migrations = kensho_shared::migrations!();`.
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::db::Migrations {
            sqlite: sqlx::migrate!("migrations/sqlite"),
            postgres: sqlx::migrate!("migrations/postgres"),
            mariadb: sqlx::migrate!("migrations/mariadb"),
        }
    };
}

impl Db {
    /// Connects to the database at `url`, for a program run outside the harness (a
    /// service's command-line tool): `sqlite:PATH` or `sqlite://PATH` (the file must
    /// exist), `postgres://` or `postgresql://`, `mysql://` or `mariadb://`. The pool
    /// is small (2 connections) and every connection waits at most [`LOCK_WAIT`] for
    /// a lock, as the harness's own connections do. A database that does not answer
    /// within [`CONNECT_WAIT`] is an error, with the cause when there is one (refused,
    /// bad password, no such database). Errors show the URL without its password.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
        use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        use std::str::FromStr;

        const POOL: u32 = 2;
        let shown = redact_url(url);
        let url = url.trim();
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let bad = |reason: String| DbError::BadUrl {
            url: shown.clone(),
            reason,
        };
        let unusable = |e: sqlx::Error| bad(format!("not usable ({e})"));
        let cannot_connect = |engine: Engine| {
            let url = shown.clone();
            let hint = match engine {
                Engine::Sqlite => {
                    "check that the file exists (it is not created) and can be opened"
                }
                Engine::Postgres | Engine::MariaDb => {
                    "check that the server is running and that the URL's host, port, user, password and database are right"
                }
            };
            move |source: sqlx::Error| DbError::Connect {
                engine,
                url,
                hint,
                source,
            }
        };
        match scheme.as_deref() {
            Some("sqlite") => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(unusable)?
                    .busy_timeout(LOCK_WAIT);
                probe(&options)
                    .await
                    .map_err(cannot_connect(Engine::Sqlite))?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(POOL)
                    .acquire_timeout(CONNECT_WAIT)
                    .connect_with(options)
                    .await
                    .map_err(cannot_connect(Engine::Sqlite))?;
                Ok(Db::Sqlite(pool))
            }
            Some("postgres" | "postgresql") => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(unusable)?
                    .options([("lock_timeout", format!("{}ms", LOCK_WAIT.as_millis()))]);
                probe(&options)
                    .await
                    .map_err(cannot_connect(Engine::Postgres))?;
                let pool = PgPoolOptions::new()
                    .max_connections(POOL)
                    .acquire_timeout(CONNECT_WAIT)
                    .connect_with(options)
                    .await
                    .map_err(cannot_connect(Engine::Postgres))?;
                Ok(Db::Postgres(pool))
            }
            Some(scheme @ ("mysql" | "mariadb")) => {
                let url = format!("mysql{}", &url[scheme.len()..]);
                let options = MySqlConnectOptions::from_str(&url).map_err(unusable)?;
                probe(&options)
                    .await
                    .map_err(cannot_connect(Engine::MariaDb))?;
                let lock_wait = format!(
                    "SET SESSION innodb_lock_wait_timeout = {}",
                    LOCK_WAIT.as_secs().max(1)
                );
                let pool = MySqlPoolOptions::new()
                    .max_connections(POOL)
                    .acquire_timeout(CONNECT_WAIT)
                    .after_connect(move |conn, _| {
                        let set = sqlx::AssertSqlSafe(lock_wait.clone());
                        Box::pin(async move {
                            sqlx::query(set).execute(conn).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(cannot_connect(Engine::MariaDb))?;
                Ok(Db::MySql(pool))
            }
            Some(other) => Err(bad(format!("unknown scheme {other:?}"))),
            None => Err(bad("no scheme".to_string())),
        }
    }
}

/// How long [`Db::connect`] waits for a database to answer.
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Opens and closes one connection, so that a database that cannot be reached is
/// reported with its cause (a pool only says it timed out) and without the pool's
/// retries.
async fn probe<O>(options: &O) -> Result<(), sqlx::Error>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    use sqlx::Connection;
    match tokio::time::timeout(CONNECT_WAIT, options.connect()).await {
        Ok(connection) => connection?.close().await,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", CONNECT_WAIT.as_secs()),
        ))),
    }
}

/// `url` as it may be shown: the password of its user-info part, and the value of
/// every parameter whose name is a password's (`password`, `sslpassword`, `passwd`,
/// `pwd`, in any case, percent-encoded or not) wherever it stands, replaced by `***`.
///
/// A password written without percent-encoding may hold `@`, `:`, `/`, `?` or `#`:
/// the user info ends at the last `@` before the first `/`, `?` or `#` after the
/// first `@`, and when that cannot be told apart from a path or query, more is
/// hidden rather than less.
pub fn redact_url(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_parameters(url);
    };
    let shown = match user_info(rest) {
        Some((at, UserInfo::Password { user, .. })) => format!("{user}:***@{}", &rest[at + 1..]),
        Some((at, UserInfo::User(user))) => format!("{user}@{}", &rest[at + 1..]),
        Some((at, UserInfo::Unclear(_))) => format!("***@{}", &rest[at + 1..]),
        None => rest.to_string(),
    };
    format!("{scheme}://{}", redact_parameters(&shown))
}

/// The passwords `url` holds, as written (percent-encoded or not): its user
/// info's password (all of the user info when [`redact_url`] hides all of it), and
/// the value of every parameter whose name is a password's. What [`redact_url`]
/// replaces by `***`, for a caller that must recognise them in other text too.
pub fn url_passwords(url: &str) -> Vec<String> {
    let url = url.trim();
    let mut found = Vec::new();
    let parameters = match url.split_once("://") {
        Some((_, rest)) => {
            match user_info(rest) {
                Some((_, UserInfo::Password { password, .. })) => found.push(password.to_string()),
                Some((_, UserInfo::Unclear(all))) => found.push(all.to_string()),
                Some((_, UserInfo::User(_))) | None => {}
            }
            rest
        }
        None => url,
    };
    for parameter in parameters.split(|c: char| matches!(c, '?' | '&' | ';') || c.is_whitespace()) {
        if let Some((name, value)) = parameter.split_once('=')
            && is_password_parameter(name)
            && !value.is_empty()
        {
            found.push(value.to_string());
            // A fragment after the last parameter is not part of its value.
            if let Some((value, _fragment)) = value.split_once('#') {
                found.push(value.to_string());
            }
        }
    }
    found
}

/// The user info of a URL (what follows `scheme://`), as [`redact_url`] reads it.
enum UserInfo<'a> {
    /// `user:password`.
    Password { user: &'a str, password: &'a str },
    /// A user without password.
    User(&'a str),
    /// Something that cannot be told apart from a path or query: all of it is
    /// hidden.
    Unclear(&'a str),
}

/// Where the user info of `rest` (a URL after `scheme://`) ends (its `@`) and what
/// it holds; `None` without user info. A password written without
/// percent-encoding may hold `@`, `:`, `/`, `?` or `#`: the user info ends at the
/// last `@` before the first `/`, `?` or `#` after the first `@`.
fn user_info(rest: &str) -> Option<(usize, UserInfo<'_>)> {
    let first_at = rest.find('@')?;
    let end = rest[first_at..]
        .find(['/', '?', '#'])
        .map_or(rest.len(), |i| first_at + i);
    let at = rest[..end].rfind('@').unwrap_or(first_at);
    let user_info = &rest[..at];
    let plain = |text: &str| !text.contains(['/', '?', '#', '&', '=']);
    let shown = match user_info.split_once(':') {
        Some((user, password)) if plain(user) => UserInfo::Password { user, password },
        None if plain(user_info) => UserInfo::User(user_info),
        _ => UserInfo::Unclear(user_info),
    };
    Some((at, shown))
}

/// Whether a parameter named `name` (percent-encoded or not) holds a password.
fn is_password_parameter(name: &str) -> bool {
    let name = percent_decoded_bytes(name);
    let name = String::from_utf8_lossy(&name).to_ascii_lowercase();
    ["password", "passwd", "pwd"]
        .iter()
        .any(|secret| name.contains(secret))
}

/// The bytes of `text` with its `%XX` escapes decoded (other bytes, and a `%`
/// not followed by two hexadecimal digits, as they are).
pub(crate) fn percent_decoded_bytes(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                decoded.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    decoded
}

/// `text` with the value of every `name=value` parameter whose name is a
/// password's replaced by `***`; parameters are separated by `?`, `&`, `;` or
/// white space, wherever they stand.
fn redact_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| matches!(c, '?' | '&' | ';') || c.is_whitespace())
            .unwrap_or(rest.len());
        let (parameter, after) = rest.split_at(end);
        match parameter.split_once('=') {
            Some((name, _value)) if is_password_parameter(name) => {
                out.push_str(name);
                out.push_str("=***");
            }
            _ => out.push_str(parameter),
        }
        let separator = after.chars().next().map_or(0, char::len_utf8);
        out.push_str(&after[..separator]);
        rest = &after[separator..];
    }
    out
}

#[cfg(test)]
mod connect_tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact_url("postgres://qa:s3cret@db.internal:5432/ledger"),
            "postgres://qa:***@db.internal:5432/ledger"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1:3306/x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            redact_url("postgres://h/db?user=qa&password=s3cret&sslmode=disable"),
            "postgres://h/db?user=qa&password=***&sslmode=disable"
        );
        assert!(!redact_url("mariadb://u:p@ss:w0rd@host/db").contains("w0rd"));
        assert_eq!(redact_url("sqlite:ledger.db"), "sqlite:ledger.db");
    }

    #[test]
    fn passwords_in_query_parameters_are_hidden_wherever_they_stand() {
        assert_eq!(
            redact_url("postgres://postgres@db.internal/ledger?password=s3cret"),
            "postgres://postgres@db.internal/ledger?password=***"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=verify-full&sslpassword=k3y&PassWord=s3cret#x"),
            "postgres://u@h/db?sslmode=verify-full&sslpassword=***&PassWord=***"
        );
        for url in [
            "postgres://u@h/db?pass%77ord=s3cret",
            "mysql://u@h/db?ssl-mode=DISABLED&pwd=s3cret",
            "postgres://u:pa/s3cret@h/db?x=1",
            "postgres://u:pa?s3cret@h/db",
            "postgres://u:pa#s3cret@h/db",
            "postgres://h/db?application_name=me@laptop&password=s3cret",
            "postgres://u@h/db?user=x;password=s3cret",
            "host=h user=u password=s3cret",
        ] {
            let shown = redact_url(url);
            assert!(!shown.contains("s3cret"), "{url} -> {shown}");
        }
        assert_eq!(
            redact_url("postgres://u:pa/ss@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("postgres://h:5432/db?application_name=kensho&sslmode=disable"),
            "postgres://h:5432/db?application_name=kensho&sslmode=disable"
        );
    }

    #[tokio::test]
    async fn unknown_schemes_are_named_with_the_accepted_ones() {
        let err = Db::connect("oracle://scott:tiger@host/orcl")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown scheme \"oracle\""), "{err}");
        assert!(
            err.contains("sqlite:PATH") && err.contains("mariadb://"),
            "{err}"
        );
        assert!(!err.contains("tiger"), "{err}");
        let err = Db::connect("ledger.db").await.unwrap_err().to_string();
        assert!(err.contains("no scheme"), "{err}");
    }

    #[tokio::test]
    async fn sqlite_files_open_and_missing_ones_are_refused() {
        let dir = std::env::temp_dir().join(format!("kensho-db-connect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.sqlite");
        let err = Db::connect(&format!("sqlite:{}", missing.display()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DbError::Connect {
                    engine: Engine::Sqlite,
                    ..
                }
            ),
            "{err}"
        );
        let file = dir.join("present.sqlite");
        std::fs::write(&file, b"").unwrap();
        for url in [
            format!("sqlite:{}", file.display()),
            format!("sqlite://{}", file.display()),
        ] {
            let db = Db::connect(&url).await.unwrap();
            assert_eq!(db.engine(), Engine::Sqlite);
            if let Db::Sqlite(pool) = &db {
                let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                    .fetch_one(pool)
                    .await
                    .unwrap();
                assert_eq!(busy, LOCK_WAIT.as_millis() as i64);
            }
            db.close().await;
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
