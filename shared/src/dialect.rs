//! Where SQLite, PostgreSQL and MariaDB differ, in one place: one module per engine
//! ([`sqlite`], [`postgres`], [`mariadb`]) with the same items, so SQL written once
//! against `dialect::...` works on every engine.
//!
//! | item | SQLite | PostgreSQL | MariaDB |
//! |---|---|---|---|
//! | [`sqlite::FOR_UPDATE`] (row lock) | none: a write transaction locks the file | `FOR UPDATE` | `FOR UPDATE` |
//! | [`sqlite::FOR_SHARE`] | none | `FOR SHARE` | `LOCK IN SHARE MODE` |
//! | [`sqlite::begin`] (write transaction) | `BEGIN IMMEDIATE` after the write gate | `BEGIN` | `BEGIN` |
//! | [`sqlite::begin_read_committed`] | as `begin` | as `begin` | `READ COMMITTED` first |
//! | [`sqlite::StoredAmount`] (amount column) | exact TEXT | NUMERIC | DECIMAL |
//! | [`sqlite::INSERT_IGNORE`] / [`sqlite::ON_CONFLICT_IGNORE`] | `ON CONFLICT (..) DO NOTHING` | same | `INSERT IGNORE` |
//! | [`sqlite::upsert`] (replace the other columns on a key clash) | `ON CONFLICT .. DO UPDATE SET c = excluded.c` | same | `ON DUPLICATE KEY UPDATE c = VALUES(c)` |
//! | placeholders | `?` | `$1` | `?` (use `QueryBuilder`, which writes the engine's own) |
//!
//! [`per_engine!`](crate::per_engine) writes a block of SQL code once per engine,
//! with `dialect` naming that engine's module; [`dispatch!`](crate::dispatch) runs a
//! block on the pool of a [`Db`](crate::db::Db) with the module of its engine.

use crate::money::{self, Amount, AmountError};

/// Writes the engine-specific items of one dialect module.
macro_rules! dialect_module {
    (
        $(#[$doc:meta])*
        $module:ident, $database:ty, $conn:ty,
        stored: $stored:ty, to_stored: $to:expr, from_stored: $from:expr,
        for_update: $for_update:literal, for_share: $for_share:literal,
        read_committed: $rc:expr,
        insert_ignore: $insert_ignore:literal, on_conflict_ignore: $on_conflict_ignore:literal,
        upsert: $upsert:expr,
        gate: $gate:expr
    ) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;

            /// The sqlx database type.
            pub type Database = $database;
            /// One connection.
            pub type Conn = $conn;
            /// The connection pool.
            pub type Pool = sqlx::Pool<$database>;
            /// How an amount is bound to and read from an amount column.
            pub type StoredAmount = $stored;
            /// A write transaction and, on SQLite, the write gate held until it ends.
            pub type Tx = (Gate, sqlx::Transaction<'static, $database>);

            /// The amount as the column stores it.
            pub fn to_stored(amount: Amount) -> StoredAmount {
                ($to)(amount)
            }

            /// The amount read back from the column, exact (no trailing zeros of a
            /// DECIMAL column's scale).
            pub fn from_stored(stored: StoredAmount) -> Result<Amount, AmountError> {
                ($from)(stored)
            }

            /// Locks the selected rows for update (append to a `SELECT`).
            pub const FOR_UPDATE: &str = $for_update;
            /// Locks the selected rows against writers (append to a `SELECT`).
            pub const FOR_SHARE: &str = $for_share;
            /// `INSERT` that leaves a row whose key exists alone (with
            /// [`ON_CONFLICT_IGNORE`] after the values).
            pub const INSERT_IGNORE: &str = $insert_ignore;
            /// See [`INSERT_IGNORE`]; `{key}` is replaced by the key's columns.
            pub const ON_CONFLICT_IGNORE: &str = $on_conflict_ignore;

            /// The clause that turns an `INSERT` into an upsert: on a clash of `key`
            /// (comma-separated columns), the row's `columns` take the new values.
            pub fn upsert(key: &str, columns: &[&str]) -> String {
                ($upsert)(key, columns)
            }

            /// The write gate's guard (SQLite only; `None` elsewhere).
            pub type Gate = Option<tokio::sync::OwnedMutexGuard<()>>;

            /// Queues at the database's write gate (SQLite), or passes at once.
            #[allow(unused_variables)]
            pub async fn gate(pool: &Pool) -> Gate {
                ($gate)(pool).await
            }

            /// A write transaction: on SQLite one that takes the write lock at once
            /// (`BEGIN IMMEDIATE`, so a writer waits on `busy_timeout` instead of
            /// failing on a lock upgrade), after queueing at the write gate, which is
            /// held until the returned guard drops, after the commit.
            pub async fn begin(pool: &Pool) -> Result<Tx, sqlx::Error> {
                let gate = gate(pool).await;
                let begin: Option<&'static str> = if FOR_UPDATE.is_empty() {
                    Some("BEGIN IMMEDIATE")
                } else {
                    None
                };
                let tx = match begin {
                    Some(begin) => pool.begin_with(begin).await?,
                    None => pool.begin().await?,
                };
                Ok((gate, tx))
            }

            /// A write transaction in READ COMMITTED where the engine's default is
            /// stricter (MariaDB: REPEATABLE READ takes gap and next-key locks, so a
            /// chunked delete would lock rows and gaps it does not delete and
            /// deadlock with inserts; READ COMMITTED locks only the rows it changes).
            pub async fn begin_read_committed(pool: &Pool) -> Result<Tx, sqlx::Error> {
                let read_committed: Option<&'static str> = $rc;
                let Some(set) = read_committed else {
                    return begin(pool).await;
                };
                let mut conn = pool.acquire().await?;
                sqlx::query(set).execute(&mut *conn).await?;
                let tx = sqlx::Transaction::begin(conn, None).await?;
                Ok((None, tx))
            }

            /// A query builder over this engine (it writes the engine's placeholders).
            pub fn builder(sql: &str) -> sqlx::QueryBuilder<$database> {
                sqlx::QueryBuilder::<$database>::new(sql)
            }
        }
    };
}

fn upsert_excluded(key: &str, columns: &[&str]) -> String {
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(" ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "))
}

fn upsert_duplicate_key(_key: &str, columns: &[&str]) -> String {
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = VALUES({c})"))
        .collect();
    format!(" ON DUPLICATE KEY UPDATE {}", set.join(", "))
}

fn exact_text(text: String) -> Result<Amount, AmountError> {
    money::from_storage_text(&text)
}

fn exact_column(amount: Amount) -> Result<Amount, AmountError> {
    Ok(money::from_decimal_column(amount))
}

fn same(amount: Amount) -> Amount {
    amount
}

dialect_module!(
    /// SQLite: one writer at a time, amounts as exact text.
    sqlite, sqlx::Sqlite, sqlx::SqliteConnection,
    stored: String, to_stored: money::to_storage_text, from_stored: exact_text,
    for_update: "", for_share: "",
    read_committed: None,
    insert_ignore: "INSERT INTO", on_conflict_ignore: " ON CONFLICT ({key}) DO NOTHING",
    upsert: upsert_excluded,
    gate: |pool: &Pool| futures::FutureExt::map(crate::db::sqlite_write_gate(pool).lock_owned(), Some)
);

dialect_module!(
    /// PostgreSQL: row locks, NUMERIC amounts.
    postgres, sqlx::Postgres, sqlx::PgConnection,
    stored: Amount, to_stored: same, from_stored: exact_column,
    for_update: " FOR UPDATE", for_share: " FOR SHARE",
    read_committed: None,
    insert_ignore: "INSERT INTO", on_conflict_ignore: " ON CONFLICT ({key}) DO NOTHING",
    upsert: upsert_excluded,
    gate: |_: &Pool| std::future::ready(None)
);

dialect_module!(
    /// MariaDB/MySQL (InnoDB): row locks, DECIMAL amounts, READ COMMITTED where gap
    /// locks would get in the way.
    mariadb, sqlx::MySql, sqlx::MySqlConnection,
    stored: Amount, to_stored: same, from_stored: exact_column,
    for_update: " FOR UPDATE", for_share: " LOCK IN SHARE MODE",
    read_committed: Some("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"),
    insert_ignore: "INSERT IGNORE INTO", on_conflict_ignore: "",
    upsert: upsert_duplicate_key,
    gate: |_: &Pool| std::future::ready(None)
);

/// Writes the items inside once per engine, as modules `sqlite`, `postgres` and
/// `mariadb`, each with `dialect` naming that engine's module of
/// [`kensho_shared::dialect`](crate::dialect):
///
/// ```ignore
/// kensho_shared::per_engine! {
///     use crate::Record;
///     pub async fn count(conn: &mut dialect::Conn) -> Result<i64, sqlx::Error> { .. }
/// }
/// ```
#[macro_export]
macro_rules! per_engine {
    ($($body:tt)*) => {
        /// SQLite.
        pub mod sqlite {
            #[allow(unused_imports)]
            pub use $crate::dialect::sqlite as dialect;
            $($body)*
        }
        /// PostgreSQL.
        pub mod postgres {
            #[allow(unused_imports)]
            pub use $crate::dialect::postgres as dialect;
            $($body)*
        }
        /// MariaDB.
        pub mod mariadb {
            #[allow(unused_imports)]
            pub use $crate::dialect::mariadb as dialect;
            $($body)*
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool of the [`Db`](crate::db::Db) `$db`
/// and `$module` naming the engine's module under `$path` (a module written with
/// [`per_engine!`](crate::per_engine), or [`crate::dialect`] itself).
#[macro_export]
macro_rules! dispatch {
    ($db:expr, $path:path, $module:ident, $pool:ident => $body:expr) => {{
        use $path as __kensho_engines;
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                #[allow(unused_imports)]
                use __kensho_engines::sqlite as $module;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                #[allow(unused_imports)]
                use __kensho_engines::postgres as $module;
                $body
            }
            $crate::db::Db::MySql($pool) => {
                #[allow(unused_imports)]
                use __kensho_engines::mariadb as $module;
                $body
            }
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_and_ignores_are_spelled_per_engine() {
        assert_eq!(
            sqlite::upsert("company, account", &["amount"]),
            " ON CONFLICT (company, account) DO UPDATE SET amount = excluded.amount"
        );
        assert_eq!(
            postgres::upsert("name", &["enabled", "note"]),
            " ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, note = excluded.note"
        );
        assert_eq!(
            mariadb::upsert("name", &["enabled"]),
            " ON DUPLICATE KEY UPDATE enabled = VALUES(enabled)"
        );
        assert_eq!(mariadb::INSERT_IGNORE, "INSERT IGNORE INTO");
        assert_eq!(sqlite::FOR_UPDATE, "");
        assert_eq!(mariadb::FOR_SHARE, " LOCK IN SHARE MODE");
    }

    #[test]
    fn amounts_are_stored_exactly() {
        let amount: Amount = "1234.50".parse().unwrap();
        assert_eq!(sqlite::to_stored(amount), "1234.5");
        assert_eq!(
            sqlite::from_stored("1234.5".into()).unwrap(),
            amount.normalize()
        );
        let column: Amount = "1234.5000".parse().unwrap();
        assert_eq!(postgres::from_stored(column).unwrap().to_string(), "1234.5");
    }
}
