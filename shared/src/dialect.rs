//! Where SQLite, PostgreSQL and MariaDB differ, in one place: one module per engine
//! ([`sqlite`], [`postgres`], [`mariadb`]) with the same items, so SQL written once
//! against `dialect::...` works on every engine.
//!
//! | item | SQLite | PostgreSQL | MariaDB |
//! |---|---|---|---|
//! | [`sqlite::WRITE_LOCKS_DATABASE`] (a write transaction holds the whole database) | yes | no | no |
//! | [`sqlite::FOR_UPDATE`] (row lock) | none: a write transaction locks the file | `FOR UPDATE` | `FOR UPDATE` |
//! | [`sqlite::FOR_SHARE`] | none | `FOR SHARE` | `LOCK IN SHARE MODE` |
//! | [`sqlite::BEGIN_WRITE`] (how a write transaction begins) | `BEGIN IMMEDIATE` | `BEGIN` | `BEGIN` |
//! | [`sqlite::gate`] (the write gate) | one writer per database file at a time, in the process | none | none |
//! | [`sqlite::begin`] (write transaction) | `BEGIN_WRITE` after the write gate | `BEGIN` | `BEGIN` |
//! | [`sqlite::begin_ungated`] | `BEGIN_WRITE`, no gate (writers wait on `busy_timeout`) | `BEGIN` | `BEGIN` |
//! | [`sqlite::begin_read_committed`] | as `begin` | as `begin` | `READ COMMITTED` first |
//! | [`sqlite::StoredAmount`] (amount column) | exact TEXT | NUMERIC | DECIMAL(19,4) |
//! | [`sqlite::amount_from_text`] (SQL: exact text to the amount column's type) | as is | `::numeric` | `CAST(.. AS DECIMAL(19,4))` |
//! | [`sqlite::INSERT_IGNORE`] / [`sqlite::ON_CONFLICT_IGNORE`] | `ON CONFLICT (..) DO NOTHING` | same | `INSERT IGNORE` |
//! | [`sqlite::upsert`] (replace the other columns on a key clash) | `ON CONFLICT .. DO UPDATE SET c = excluded.c` | same | `ON DUPLICATE KEY UPDATE c = VALUES(c)` |
//! | [`sqlite::WHERE_BEFORE_UPSERT`] (ends an `INSERT .. SELECT` before the upsert) | `WHERE true` | none | none |
//! | [`sqlite::insert_returning_id`] (the new row's id) | `RETURNING id` | `RETURNING id` | `RETURNING id` (10.5+; MySQL has none) |
//! | [`sqlite::select_json`] (rows of a JSON array parameter) | `json_each` | `jsonb_to_recordset` | `JSON_TABLE` |
//! | [`sqlite::in_ids`] (is one of these ids) | `IN (?, ..)` | `= ANY($1)` (one array) | `IN (?, ..)` lists of 500 joined by `OR` |
//! | [`sqlite::set_time_zone`] (session time zone) | none | `SET TIME ZONE INTERVAL` | `SET time_zone` |
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
        amount_from_text: $amount_from_text:expr,
        for_update: $for_update:literal, for_share: $for_share:literal,
        begin_write: $begin_write:expr, read_committed: $rc:expr,
        write_locks_database: $write_locks_database:literal,
        insert_ignore: $insert_ignore:literal, on_conflict_ignore: $on_conflict_ignore:literal,
        upsert: $upsert:expr, where_before_upsert: $where_before_upsert:literal,
        select_json: $select_json:expr,
        set_time_zone: $set_time_zone:expr,
        gate: $gate:expr,
        in_ids: $in_ids:expr
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

            /// SQL that turns `text`, an SQL expression holding an amount as exact
            /// text (as [`money::to_storage_text`] writes it), into the amount
            /// column's type.
            pub fn amount_from_text(text: &str) -> String {
                ($amount_from_text)(text)
            }

            /// Whether a write transaction ([`begin`]) holds the whole database
            /// until it ends (SQLite): nothing it reads can change under it, so a
            /// read inside it needs no lock and no second, locking read.
            pub const WRITE_LOCKS_DATABASE: bool = $write_locks_database;

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

            /// Ends the `SELECT` of an `INSERT .. SELECT` that an [`upsert`] clause
            /// follows (SQLite would read the `ON` of `ON CONFLICT` after a bare
            /// `FROM` as a join constraint, so the `SELECT` needs a `WHERE`).
            pub const WHERE_BEFORE_UPSERT: &str = $where_before_upsert;

            /// Runs an `INSERT` (its builder, up to the end of the values) and
            /// returns the id of the row it inserted (`RETURNING id`).
            pub async fn insert_returning_id(
                conn: &mut Conn,
                mut insert: sqlx::QueryBuilder<$database>,
            ) -> Result<i64, sqlx::Error> {
                insert.push(" RETURNING id");
                let row = insert.build().fetch_one(&mut *conn).await?;
                sqlx::Row::try_get::<i64, _>(&row, 0)
            }

            /// A `SELECT` of the rows of a JSON array, the statement's only
            /// parameter (bind it as text): one row per object, one column per
            /// field, in the order of `fields`; an amount field, exact text in the
            /// JSON, becomes the amount column's type ([`amount_from_text`]).
            pub fn select_json(fields: &[JsonField]) -> String {
                ($select_json)(fields)
            }

            /// Appends "`column` is one of `ids`" to a statement: `column IN (?,
            /// ?, ..)` with a parameter per id; where the engine takes an array
            /// (PostgreSQL) `column = ANY($1)` with one parameter, which a list of
            /// thousands of ids parses and plans far faster; on MariaDB lists of
            /// at most [`MARIADB_IN_LIST`] ids joined by `OR`. `ids` must not be
            /// empty.
            pub fn in_ids(qb: &mut sqlx::QueryBuilder<$database>, column: &str, ids: &[i64]) {
                ($in_ids)(qb, column, ids)
            }

            /// The statement that sets the session's time zone to `offset`, or
            /// `None` where a session has no time zone (SQLite). `offset` (`+HH:MM`
            /// or `-HH:MM`) is written into the statement as it is: check it first.
            pub fn set_time_zone(offset: &str) -> Option<String> {
                ($set_time_zone)(offset)
            }

            /// The write gate's guard (SQLite only; `None` elsewhere).
            pub type Gate = Option<crate::db::GateGuard>;

            /// Queues at the database's write gate (SQLite), or passes at once.
            #[allow(unused_variables)]
            pub async fn gate(pool: &Pool) -> Gate {
                ($gate)(pool).await
            }

            /// The statement that opens a write transaction, where the engine's
            /// plain `BEGIN` will not do (SQLite: `BEGIN IMMEDIATE`, which takes the
            /// write lock at once, so a writer waits on `busy_timeout` instead of
            /// failing on a lock upgrade); `None`: `BEGIN`.
            pub const BEGIN_WRITE: Option<&str> = $begin_write;

            /// A write transaction begun with [`BEGIN_WRITE`], without queueing at
            /// the write gate.
            pub async fn begin_ungated(
                pool: &Pool,
            ) -> Result<sqlx::Transaction<'static, $database>, sqlx::Error> {
                match BEGIN_WRITE {
                    Some(begin) => pool.begin_with(begin).await,
                    None => pool.begin().await,
                }
            }

            /// A write transaction ([`begin_ungated`]) after queueing at the write
            /// gate ([`gate`], SQLite), which is held until the returned guard drops,
            /// after the commit.
            pub async fn begin(pool: &Pool) -> Result<Tx, sqlx::Error> {
                let gate = gate(pool).await;
                let tx = begin_ungated(pool).await?;
                Ok((gate, tx))
            }

            /// A write transaction in READ COMMITTED where the engine's default is
            /// stricter (MariaDB: REPEATABLE READ takes gap and next-key locks, so a
            /// chunked delete would lock rows and gaps it does not delete and
            /// deadlock with inserts; READ COMMITTED locks only the rows it changes);
            /// elsewhere [`begin`]. An error names the step that failed.
            pub async fn begin_read_committed(pool: &Pool) -> Result<Tx, BeginError> {
                let read_committed: Option<&'static str> = $rc;
                let Some(set) = read_committed else {
                    return begin(pool).await.map_err(BeginError::starting);
                };
                let mut conn = pool.acquire().await.map_err(|source| BeginError {
                    action: "connecting",
                    source,
                })?;
                sqlx::query(set)
                    .execute(&mut *conn)
                    .await
                    .map_err(|source| BeginError {
                        action: "setting the isolation level",
                        source,
                    })?;
                let tx = sqlx::Transaction::begin(conn, None)
                    .await
                    .map_err(BeginError::starting)?;
                Ok((None, tx))
            }

            /// A query builder over this engine (it writes the engine's placeholders).
            pub fn builder(sql: &str) -> sqlx::QueryBuilder<$database> {
                sqlx::QueryBuilder::<$database>::new(sql)
            }
        }
    };
}

/// A transaction that could not begin: the step that failed and the database's
/// error.
#[derive(Debug, thiserror::Error)]
#[error("{action}: {source}")]
pub struct BeginError {
    /// `connecting`, `setting the isolation level` or `starting a transaction`.
    pub action: &'static str,
    /// What the database or the driver said.
    #[source]
    pub source: sqlx::Error,
}

impl BeginError {
    fn starting(source: sqlx::Error) -> BeginError {
        BeginError {
            action: "starting a transaction",
            source,
        }
    }
}

/// A field of the objects of a JSON array that `select_json` turns into rows
/// (see [`sqlite::select_json`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonField {
    /// The key in every object, and the name of the column (`x.<name>`).
    pub name: &'static str,
    /// The longest text the field holds, in characters (MariaDB's `JSON_TABLE`
    /// declares a width).
    pub width: u16,
    /// An amount, as exact text: it becomes the amount column's type.
    pub amount: bool,
}

/// Most values in one `IN (..)` list on MariaDB: from 1,000 values
/// (`in_predicate_conversion_threshold`) it turns the list into a join with a
/// temporary table, which scans and locks far more rows than the listed ones and
/// deadlocks with concurrent writers. Longer lists are split into lists of this
/// many, joined by `OR`, which MariaDB reads as ranges of the index.
pub const MARIADB_IN_LIST: usize = 500;

/// `column IN (?, ?, ..)` (a parameter per id) in lists of at most `most` ids
/// joined by `OR`.
fn in_lists<DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<DB>,
    column: &str,
    ids: &[i64],
    most: usize,
) where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let lists = ids.chunks(most.max(1)).count();
    if lists > 1 {
        qb.push("(");
    }
    for (n, part) in ids.chunks(most.max(1)).enumerate() {
        if n > 0 {
            qb.push(" OR ");
        }
        qb.push(column).push(" IN (");
        let mut list = qb.separated(", ");
        for id in part {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
    }
    if lists > 1 {
        qb.push(")");
    }
}

/// `column = ANY($1)`, the ids as one array parameter.
fn any_array(qb: &mut sqlx::QueryBuilder<sqlx::Postgres>, column: &str, ids: &[i64]) {
    qb.push(column)
        .push(" = ANY(")
        .push_bind(ids.to_vec())
        .push(")");
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

/// The select list of [`sqlite::select_json`]: each field as `column(field)`,
/// amounts through `amount`.
fn json_columns(
    fields: &[JsonField],
    column: impl Fn(&JsonField) -> String,
    amount: fn(&str) -> String,
) -> String {
    let columns: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.amount {
                amount(&column(f))
            } else {
                column(f)
            }
        })
        .collect();
    columns.join(", ")
}

fn json_each(fields: &[JsonField]) -> String {
    let columns = json_columns(
        fields,
        |f| format!("json_extract(value, '$.{}')", f.name),
        sqlite::amount_from_text,
    );
    format!("SELECT {columns} FROM json_each(?)")
}

fn jsonb_to_recordset(fields: &[JsonField]) -> String {
    let columns = json_columns(
        fields,
        |f| format!("x.{}", f.name),
        postgres::amount_from_text,
    );
    let types: Vec<String> = fields.iter().map(|f| format!("{} text", f.name)).collect();
    format!(
        "SELECT {columns} FROM jsonb_to_recordset($1::jsonb) AS x({})",
        types.join(", ")
    )
}

fn json_table(fields: &[JsonField]) -> String {
    let columns = json_columns(
        fields,
        |f| format!("x.{}", f.name),
        mariadb::amount_from_text,
    );
    let paths: Vec<String> = fields
        .iter()
        .map(|f| format!("{} VARCHAR({}) PATH '$.{}'", f.name, f.width, f.name))
        .collect();
    format!(
        "SELECT {columns} FROM JSON_TABLE(?, '$[*]' COLUMNS ( {})) AS x",
        paths.join(", ")
    )
}

dialect_module!(
    /// SQLite: one writer at a time, amounts as exact text.
    sqlite, sqlx::Sqlite, sqlx::SqliteConnection,
    stored: String, to_stored: money::to_storage_text, from_stored: exact_text,
    amount_from_text: |text: &str| text.to_string(),
    for_update: "", for_share: "",
    begin_write: Some("BEGIN IMMEDIATE"), read_committed: None,
    write_locks_database: true,
    insert_ignore: "INSERT INTO", on_conflict_ignore: " ON CONFLICT ({key}) DO NOTHING",
    upsert: upsert_excluded, where_before_upsert: " WHERE true",
    select_json: json_each,
    set_time_zone: |_: &str| None,
    gate: |pool: &Pool| futures::FutureExt::map(crate::db::sqlite_write_gate(pool).enter(), Some),
    in_ids: |qb: &mut sqlx::QueryBuilder<sqlx::Sqlite>, column: &str, ids: &[i64]| in_lists(qb, column, ids, usize::MAX)
);

dialect_module!(
    /// PostgreSQL: row locks, NUMERIC amounts.
    postgres, sqlx::Postgres, sqlx::PgConnection,
    stored: Amount, to_stored: same, from_stored: exact_column,
    amount_from_text: |text: &str| format!("{text}::numeric"),
    for_update: " FOR UPDATE", for_share: " FOR SHARE",
    begin_write: None, read_committed: None,
    write_locks_database: false,
    insert_ignore: "INSERT INTO", on_conflict_ignore: " ON CONFLICT ({key}) DO NOTHING",
    upsert: upsert_excluded, where_before_upsert: "",
    select_json: jsonb_to_recordset,
    set_time_zone: |offset: &str| Some(format!("SET TIME ZONE INTERVAL '{offset}' HOUR TO MINUTE")),
    gate: |_: &Pool| std::future::ready(None),
    in_ids: any_array
);

dialect_module!(
    /// MariaDB/MySQL (InnoDB): row locks, DECIMAL amounts, READ COMMITTED where gap
    /// locks would get in the way.
    mariadb, sqlx::MySql, sqlx::MySqlConnection,
    stored: Amount, to_stored: same, from_stored: exact_column,
    amount_from_text: |text: &str| format!("CAST({text} AS DECIMAL(19,4))"),
    for_update: " FOR UPDATE", for_share: " LOCK IN SHARE MODE",
    begin_write: None, read_committed: Some("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"),
    write_locks_database: false,
    insert_ignore: "INSERT IGNORE INTO", on_conflict_ignore: "",
    upsert: upsert_duplicate_key, where_before_upsert: "",
    select_json: json_table,
    set_time_zone: |offset: &str| Some(format!("SET time_zone = '{offset}'")),
    gate: |_: &Pool| std::future::ready(None),
    in_ids: |qb: &mut sqlx::QueryBuilder<sqlx::MySql>, column: &str, ids: &[i64]| in_lists(qb, column, ids, MARIADB_IN_LIST)
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
    fn json_rows_transactions_and_time_zones_are_spelled_per_engine() {
        let fields = [
            JsonField {
                name: "c",
                width: 32,
                amount: false,
            },
            JsonField {
                name: "m",
                width: 48,
                amount: true,
            },
        ];
        assert_eq!(
            sqlite::select_json(&fields),
            "SELECT json_extract(value, '$.c'), json_extract(value, '$.m') FROM json_each(?)"
        );
        assert_eq!(
            postgres::select_json(&fields),
            "SELECT x.c, x.m::numeric FROM jsonb_to_recordset($1::jsonb) AS x(c text, m text)"
        );
        assert_eq!(
            mariadb::select_json(&fields),
            "SELECT x.c, CAST(x.m AS DECIMAL(19,4)) FROM JSON_TABLE(?, '$[*]' COLUMNS ( \
             c VARCHAR(32) PATH '$.c', m VARCHAR(48) PATH '$.m')) AS x"
        );
        assert_eq!(sqlite::WHERE_BEFORE_UPSERT, " WHERE true");
        assert_eq!(postgres::WHERE_BEFORE_UPSERT, "");
        assert_eq!(sqlite::BEGIN_WRITE, Some("BEGIN IMMEDIATE"));
        assert_eq!((postgres::BEGIN_WRITE, mariadb::BEGIN_WRITE), (None, None));
        assert_eq!(sqlite::set_time_zone("+09:00"), None);
        assert_eq!(
            postgres::set_time_zone("+09:00").as_deref(),
            Some("SET TIME ZONE INTERVAL '+09:00' HOUR TO MINUTE")
        );
        assert_eq!(
            mariadb::set_time_zone("-03:30").as_deref(),
            Some("SET time_zone = '-03:30'")
        );
    }

    #[tokio::test]
    async fn a_writer_inside_the_sqlite_gate_holds_back_the_next() {
        let dir = std::env::temp_dir().join(format!("kensho-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.join("gate.sqlite"))
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        let inside = sqlite::gate(&pool).await;
        assert!(inside.is_some());
        // Nothing else holds the gate: the writer inside must keep it alive.
        let next = tokio::time::timeout(std::time::Duration::from_millis(200), sqlite::gate(&pool));
        assert!(
            next.await.is_err(),
            "a second writer went in beside the first"
        );
        let gate = crate::db::sqlite_write_gate(&pool);
        assert_eq!(gate.entered(), 1);
        drop(inside);
        assert!(sqlite::gate(&pool).await.is_some());
        assert_eq!(gate.entered(), 2);
        pool.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn sqlite_writes_return_ids_in_immediate_transactions() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let (gate, mut tx) = sqlite::begin(&pool).await.unwrap();
        assert!(gate.is_some());
        let mut insert = sqlite::builder("INSERT INTO t (name) VALUES (");
        insert.push_bind("a").push(")");
        assert_eq!(
            sqlite::insert_returning_id(&mut tx, insert).await.unwrap(),
            1
        );
        tx.commit().await.unwrap();
        drop(gate);
        let (gate, tx) = sqlite::begin_read_committed(&pool).await.unwrap();
        assert!(gate.is_some());
        tx.rollback().await.unwrap();
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
