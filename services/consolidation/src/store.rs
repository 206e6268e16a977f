//! The consolidation service's SQL, one module per dialect.
//!
//! Reads and small writes are the same text everywhere (placeholders built by
//! `QueryBuilder`). Bulk writes send the rows as one JSON document that the engine
//! expands itself (`jsonb_to_recordset`, `JSON_TABLE`, `json_each`), so a save is a
//! single round trip however many companies it covers. Every call counts one round
//! trip in [`RoundTrips`].

use std::cell::Cell;

use sqlx::{QueryBuilder, Row};

use super::model::{AccountCode, AccountKind, Line};
use kensho_shared::money::{self, Amount};

/// Lines per bulk statement: keeps one JSON document well under the servers'
/// packet limits (MariaDB's `max_allowed_packet` is 16 MiB by default).
pub const JSON_CHUNK: usize = 20_000;

/// Database round trips made by one operation.
#[derive(Debug, Default)]
pub struct RoundTrips(Cell<u64>);

impl RoundTrips {
    pub fn count(&self) -> u64 {
        self.0.get()
    }
    fn one(&self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A statement line as stored: company, account, kind, amount (JPY).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLine {
    pub company: String,
    pub account: AccountCode,
    pub line: Line,
}

/// Errors reading or writing consolidation tables.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("consolidation: {action}: {source}")]
    Sql {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("consolidation: table {table} holds an unreadable value: {what}")]
    Corrupt { table: &'static str, what: String },
    #[error(
        "consolidation: {0}; the operation rolled back and the previous statements are intact: run it again"
    )]
    ConnectionLost(#[from] kensho_shared::fault::ConnectionLost),
}

/// Attaches the action to a database error, saying so when the connection was lost.
pub(crate) fn sql(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match kensho_shared::fault::classify(action, source) {
        Ok(lost) => StoreError::ConnectionLost(lost),
        Err(source) => StoreError::Sql { action, source },
    }
}

fn kind_of(code: &str) -> Result<AccountKind, StoreError> {
    AccountKind::from_code(code).ok_or_else(|| StoreError::Corrupt {
        table: "cons_statement_line",
        what: format!("unknown account kind {code:?}"),
    })
}

/// Rows for a bulk write, as the JSON document the SQL expands.
fn json_rows(lines: &[StoredLine]) -> String {
    let rows: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "c": l.company,
                "a": l.account.as_str(),
                "k": l.line.kind.code(),
                "m": money::to_storage_text(l.line.amount),
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn identity(amount: Amount) -> Amount {
    amount
}

fn exact(amount: Amount) -> Result<Amount, money::AmountError> {
    Ok(money::from_decimal_column(amount))
}

fn exact_text(text: String) -> Result<Amount, money::AmountError> {
    money::from_storage_text(&text)
}

macro_rules! dialect {
    (
        $module:ident, $db:ty, $conn:ty, stored: $stored:ty, to_stored: $to:path, from_stored: $from:path,
        lock: $lock:literal,
        insert_json: $insert_json:literal,
        upsert_json: $upsert_json:literal $(,)?
    ) => {
        pub mod $module {
            use super::*;

            pub type Conn = $conn;

            fn amount(
                row: &<$db as sqlx::Database>::Row,
                column: &str,
            ) -> Result<Amount, StoreError> {
                let stored: $stored = row.try_get(column).map_err(sql("reading an amount"))?;
                $from(stored).map_err(|e| StoreError::Corrupt {
                    table: "consolidation",
                    what: e.to_string(),
                })
            }

            fn text(
                row: &<$db as sqlx::Database>::Row,
                column: &str,
            ) -> Result<String, StoreError> {
                row.try_get::<String, _>(column)
                    .map_err(sql("reading a text column"))
            }

            /// Takes the group's lock: core operations never interleave.
            pub async fn lock_group(conn: &mut Conn, trips: &RoundTrips) -> Result<(), StoreError> {
                trips.one();
                let mut qb = QueryBuilder::<$db>::new("SELECT id FROM cons_lock WHERE id = 1");
                qb.push($lock);
                qb.build()
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(sql("locking the group"))?;
                Ok(())
            }

            /// Rows of a small table as text columns (setup data).
            pub async fn rows(
                conn: &mut Conn,
                trips: &RoundTrips,
                select: &'static str,
                columns: &[&str],
            ) -> Result<Vec<Vec<String>>, StoreError> {
                trips.one();
                let rows = sqlx::query(select)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(sql("reading setup"))?;
                rows.iter()
                    .map(|row| columns.iter().map(|c| text(row, c)).collect())
                    .collect()
            }

            /// Amount columns of the same rows, by name.
            pub async fn amount_rows(
                conn: &mut Conn,
                trips: &RoundTrips,
                select: &'static str,
                texts: &[&str],
                amounts: &[&str],
            ) -> Result<Vec<(Vec<String>, Vec<Amount>)>, StoreError> {
                trips.one();
                let rows = sqlx::query(select)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(sql("reading amounts"))?;
                rows.iter()
                    .map(|row| {
                        let t = texts
                            .iter()
                            .map(|c| text(row, c))
                            .collect::<Result<Vec<_>, _>>()?;
                        let a = amounts
                            .iter()
                            .map(|c| amount(row, c))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok((t, a))
                    })
                    .collect()
            }

            /// The lines of one company's statement, or of every statement.
            pub async fn statement_lines(
                conn: &mut Conn,
                trips: &RoundTrips,
                company: Option<&str>,
            ) -> Result<Vec<StoredLine>, StoreError> {
                trips.one();
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT company, account, kind, amount FROM cons_statement_line",
                );
                if let Some(company) = company {
                    qb.push(" WHERE company = ").push_bind(company.to_string());
                }
                qb.push(" ORDER BY company, account");
                let rows = qb
                    .build()
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(sql("reading statements"))?;
                rows.iter()
                    .map(|row| {
                        Ok(StoredLine {
                            company: text(row, "company")?,
                            account: AccountCode::new(text(row, "account")?),
                            line: Line {
                                kind: kind_of(&text(row, "kind")?)?,
                                amount: amount(row, "amount")?,
                            },
                        })
                    })
                    .collect()
            }

            /// Deletes one company's statement, or every statement.
            pub async fn delete_statements(
                conn: &mut Conn,
                trips: &RoundTrips,
                company: Option<&str>,
            ) -> Result<(), StoreError> {
                trips.one();
                let mut qb = QueryBuilder::<$db>::new("DELETE FROM cons_statement_line");
                if let Some(company) = company {
                    qb.push(" WHERE company = ").push_bind(company.to_string());
                }
                qb.build()
                    .execute(&mut *conn)
                    .await
                    .map_err(sql("deleting statements"))?;
                Ok(())
            }

            /// Inserts statement lines, one statement per [`JSON_CHUNK`] lines (keys
            /// must be new).
            pub async fn insert_lines(
                conn: &mut Conn,
                trips: &RoundTrips,
                lines: &[StoredLine],
            ) -> Result<(), StoreError> {
                bulk(conn, trips, $insert_json, lines).await
            }

            /// Upserts statement lines, one statement per [`JSON_CHUNK`] lines: an
            /// existing line of the same company and account is updated (the per-step
            /// save).
            pub async fn upsert_lines(
                conn: &mut Conn,
                trips: &RoundTrips,
                lines: &[StoredLine],
            ) -> Result<(), StoreError> {
                bulk(conn, trips, $upsert_json, lines).await
            }

            async fn bulk(
                conn: &mut Conn,
                trips: &RoundTrips,
                statement: &'static str,
                lines: &[StoredLine],
            ) -> Result<(), StoreError> {
                for chunk in lines.chunks(JSON_CHUNK) {
                    trips.one();
                    sqlx::query(statement)
                        .bind(json_rows(chunk))
                        .execute(&mut *conn)
                        .await
                        .map_err(sql("saving statements"))?;
                }
                Ok(())
            }

            /// Deletes every row of a setup table (`table` is one of the service's own
            /// table names, never input).
            pub async fn delete_all(
                conn: &mut Conn,
                trips: &RoundTrips,
                table: &'static str,
            ) -> Result<(), StoreError> {
                trips.one();
                let mut qb = QueryBuilder::<$db>::new("DELETE FROM ");
                qb.push(table);
                qb.build()
                    .execute(&mut *conn)
                    .await
                    .map_err(sql("clearing a table"))?;
                Ok(())
            }

            /// Inserts rows of text and amount columns into a setup table, 1,000 rows
            /// per statement (`table` and the columns are the service's own names).
            pub async fn insert_rows(
                conn: &mut Conn,
                trips: &RoundTrips,
                table: &'static str,
                texts: &[&'static str],
                amounts: &[&'static str],
                rows: &[(Vec<String>, Vec<Amount>)],
            ) -> Result<(), StoreError> {
                for chunk in rows.chunks(1000) {
                    trips.one();
                    let mut qb = QueryBuilder::<$db>::new("INSERT INTO ");
                    qb.push(table).push(" (");
                    qb.push(
                        texts
                            .iter()
                            .chain(amounts)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    qb.push(") ");
                    qb.push_values(chunk, |mut b, (t, a)| {
                        for value in t {
                            b.push_bind(value.clone());
                        }
                        for value in a {
                            b.push_bind($to(*value));
                        }
                    });
                    qb.build()
                        .execute(&mut *conn)
                        .await
                        .map_err(sql("writing input"))?;
                }
                Ok(())
            }
        }
    };
}

dialect!(sqlite, sqlx::Sqlite, sqlx::SqliteConnection, stored: String, to_stored: money::to_storage_text, from_stored: exact_text,
    lock: "",
    insert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT json_extract(value, '$.c'), json_extract(value, '$.a'), json_extract(value, '$.k'), json_extract(value, '$.m') \
        FROM json_each(?)",
    upsert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT json_extract(value, '$.c'), json_extract(value, '$.a'), json_extract(value, '$.k'), json_extract(value, '$.m') \
        FROM json_each(?) WHERE true \
        ON CONFLICT (company, account) DO UPDATE SET kind = excluded.kind, amount = excluded.amount",
);
dialect!(postgres, sqlx::Postgres, sqlx::PgConnection, stored: Amount, to_stored: identity, from_stored: exact,
    lock: " FOR UPDATE",
    insert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT x.c, x.a, x.k, x.m::numeric FROM jsonb_to_recordset($1::jsonb) AS x(c text, a text, k text, m text)",
    upsert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT x.c, x.a, x.k, x.m::numeric FROM jsonb_to_recordset($1::jsonb) AS x(c text, a text, k text, m text) \
        ON CONFLICT (company, account) DO UPDATE SET kind = EXCLUDED.kind, amount = EXCLUDED.amount",
);
dialect!(mariadb, sqlx::MySql, sqlx::MySqlConnection, stored: Amount, to_stored: identity, from_stored: exact,
    lock: " FOR UPDATE",
    insert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT x.c, x.a, x.k, CAST(x.m AS DECIMAL(19,4)) FROM JSON_TABLE(?, '$[*]' COLUMNS ( \
        c VARCHAR(32) PATH '$.c', a VARCHAR(64) PATH '$.a', k VARCHAR(24) PATH '$.k', m VARCHAR(48) PATH '$.m')) AS x",
    upsert_json: "INSERT INTO cons_statement_line (company, account, kind, amount) \
        SELECT x.c, x.a, x.k, CAST(x.m AS DECIMAL(19,4)) FROM JSON_TABLE(?, '$[*]' COLUMNS ( \
        c VARCHAR(32) PATH '$.c', a VARCHAR(64) PATH '$.a', k VARCHAR(24) PATH '$.k', m VARCHAR(48) PATH '$.m')) AS x \
        ON DUPLICATE KEY UPDATE kind = VALUES(kind), amount = VALUES(amount)",
);

/// Runs `$body` with `$store` naming the store module of `$db`'s dialect, `$pool`
/// its pool and `$begin` the statement that opens a write transaction.
macro_rules! dispatch {
    ($db:expr, $store:ident, $pool:ident, $begin:ident => $body:expr) => {
        match $db {
            kensho_shared::db::Db::Sqlite($pool) => {
                use $crate::store::sqlite as $store;
                // SQLite takes the write lock up front, so a second operation waits
                // (busy_timeout) instead of failing on a lock upgrade.
                let $begin = Some("BEGIN IMMEDIATE");
                $body
            }
            kensho_shared::db::Db::Postgres($pool) => {
                use $crate::store::postgres as $store;
                let $begin: Option<&'static str> = None;
                $body
            }
            kensho_shared::db::Db::MySql($pool) => {
                use $crate::store::mariadb as $store;
                let $begin: Option<&'static str> = None;
                $body
            }
        }
    };
}
pub(crate) use dispatch;
