//! The consolidation service's SQL, written once and compiled once per engine with
//! [`kensho_shared::per_engine!`].
//!
//! Reads and small writes are the same text everywhere (placeholders built by
//! `QueryBuilder`). Bulk writes send the rows as one JSON document that the engine
//! expands itself ([`dialect::select_json`](kensho_shared::dialect::sqlite::select_json):
//! `json_each`, `jsonb_to_recordset`, `JSON_TABLE`), so a save is a single round
//! trip however many companies it covers. Row locks, amounts and upserts come from
//! the shared dialect layer ([`kensho_shared::dialect`]). Every call counts one
//! round trip in [`RoundTrips`]. Callers run the statements with
//! [`kensho_shared::dispatch!`]`(db, crate::store, store, pool => ..)`.
//!
//! The in-memory strategy's one save of every statement goes by each engine's
//! fastest bulk path instead ([`BulkLines`]): `COPY .. FROM STDIN` on PostgreSQL,
//! multi-row `INSERT`s with bound values on MariaDB and SQLite (on SQLite the same
//! prepared statement for every full batch, all in the caller's transaction).

use std::cell::Cell;

use sqlx::Row;

use super::model::{AccountCode, AccountKind, Line};
use kensho_shared::dialect::JsonField;
use kensho_shared::money::{self, Amount};

/// Lines per bulk statement: keeps one JSON document well under the servers'
/// packet limits (MariaDB's `max_allowed_packet` is 16 MiB by default).
pub const JSON_CHUNK: usize = 20_000;

/// Database round trips made by one operation.
#[derive(Debug, Default)]
pub struct RoundTrips(Cell<u64>);

impl RoundTrips {
    /// The round trips counted so far.
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
    /// The company's code.
    pub company: String,
    /// The account.
    pub account: AccountCode,
    /// Kind and amount.
    pub line: Line,
}

/// Errors reading or writing consolidation tables.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused a statement.
    #[error("consolidation: {action}: {source}")]
    Sql {
        /// What the statement was doing.
        action: &'static str,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value that does not read back.
    #[error("consolidation: table {table} holds an unreadable value: {what}")]
    Corrupt {
        /// The table (or `consolidation` for an amount of any table).
        table: &'static str,
        /// What is wrong with it.
        what: String,
    },
    /// The connection was lost; the transaction rolled back.
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

/// The fields of a statement line in the JSON document of a bulk write
/// ([`json_rows`]), with the widths of their columns.
const LINE_FIELDS: [JsonField; 4] = [
    JsonField {
        name: "c",
        width: 32,
        amount: false,
    },
    JsonField {
        name: "a",
        width: 64,
        amount: false,
    },
    JsonField {
        name: "k",
        width: 24,
        amount: false,
    },
    JsonField {
        name: "m",
        width: 48,
        amount: true,
    },
];

/// The start of a bulk write of statement lines, up to its `SELECT`.
const INSERT_LINES: &str = "INSERT INTO cons_statement_line (company, account, kind, amount) ";

/// Lines per multi-row `INSERT` of [`BulkLines`] on MariaDB: 4 bound values a
/// line, well under the 65,535 placeholders of one statement and the 16 MiB
/// packet.
const MARIADB_BATCH: usize = 10_000;

/// Lines per multi-row `INSERT` of [`BulkLines`] on SQLite: 4 bound values a line,
/// under SQLite's 32,766 variables of one statement.
const SQLITE_BATCH: usize = 4_000;

/// Bytes per message of PostgreSQL's `COPY` data.
const COPY_MESSAGE: usize = 1 << 20;

/// The start of a multi-row insert of statement lines, up to `VALUES`.
const INSERT_LINES_VALUES: &str =
    "INSERT INTO cons_statement_line (company, account, kind, amount) ";

/// The fastest bulk insert of new statement lines on one engine (the sqlx
/// database type), in the caller's transaction.
pub(crate) trait BulkLines: sqlx::Database {
    /// Inserts `lines` (their keys must be new), counting its round trips.
    async fn insert_lines(
        conn: &mut Self::Connection,
        trips: &RoundTrips,
        lines: &[StoredLine],
    ) -> Result<(), sqlx::Error>;
}

/// A text field of PostgreSQL's `COPY` text format, escaped.
fn copy_text(out: &mut String, field: &str) {
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

impl BulkLines for sqlx::Postgres {
    async fn insert_lines(
        conn: &mut sqlx::PgConnection,
        trips: &RoundTrips,
        lines: &[StoredLine],
    ) -> Result<(), sqlx::Error> {
        if lines.is_empty() {
            return Ok(());
        }
        trips.one();
        let mut copy = conn
            .copy_in_raw("COPY cons_statement_line (company, account, kind, amount) FROM STDIN")
            .await?;
        let mut text = String::with_capacity(COPY_MESSAGE + 256);
        for l in lines {
            copy_text(&mut text, &l.company);
            text.push('\t');
            copy_text(&mut text, l.account.as_str());
            text.push('\t');
            text.push_str(l.line.kind.code());
            text.push('\t');
            text.push_str(&money::to_storage_text(l.line.amount));
            text.push('\n');
            if text.len() >= COPY_MESSAGE {
                copy.send(std::mem::take(&mut text).into_bytes()).await?;
                text.reserve(COPY_MESSAGE + 256);
            }
        }
        if !text.is_empty() {
            copy.send(text.into_bytes()).await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

/// [`BulkLines`] by multi-row `INSERT`s of `$batch` lines with bound values, the
/// amounts as the engine's dialect stores them.
macro_rules! multi_row_insert {
    ($database:ty, $conn:ty, $dialect:ident, $batch:expr) => {
        impl BulkLines for $database {
            async fn insert_lines(
                conn: &mut $conn,
                trips: &RoundTrips,
                lines: &[StoredLine],
            ) -> Result<(), sqlx::Error> {
                for chunk in lines.chunks($batch) {
                    trips.one();
                    let mut qb = sqlx::QueryBuilder::<$database>::new(INSERT_LINES_VALUES);
                    qb.push_values(chunk, |mut b, l| {
                        b.push_bind(l.company.as_str())
                            .push_bind(l.account.as_str())
                            .push_bind(l.line.kind.code())
                            .push_bind(kensho_shared::dialect::$dialect::to_stored(l.line.amount));
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    };
}

multi_row_insert!(sqlx::MySql, sqlx::MySqlConnection, mariadb, MARIADB_BATCH);
multi_row_insert!(sqlx::Sqlite, sqlx::SqliteConnection, sqlite, SQLITE_BATCH);

kensho_shared::per_engine! {
    use super::*;

    /// One connection of this engine.
    pub type Conn = dialect::Conn;

    type DbRow = <dialect::Database as sqlx::Database>::Row;

    fn amount(row: &DbRow, column: &str) -> Result<Amount, StoreError> {
        let stored: dialect::StoredAmount = row.try_get(column).map_err(sql("reading an amount"))?;
        dialect::from_stored(stored).map_err(|e| StoreError::Corrupt {
            table: "consolidation",
            what: e.to_string(),
        })
    }

    fn text(row: &DbRow, column: &str) -> Result<String, StoreError> {
        row.try_get::<String, _>(column).map_err(sql("reading a text column"))
    }

    /// Takes the group's lock: core operations never interleave.
    pub async fn lock_group(conn: &mut Conn, trips: &RoundTrips) -> Result<(), StoreError> {
        trips.one();
        let mut qb = dialect::builder("SELECT id FROM cons_lock WHERE id = 1");
        qb.push(dialect::FOR_UPDATE);
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
        let mut qb = dialect::builder(
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
        let mut qb = dialect::builder("DELETE FROM cons_statement_line");
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
        bulk(conn, trips, insert_lines_sql(), lines).await
    }

    /// Inserts statement lines by the engine's fastest bulk path ([`BulkLines`]):
    /// the in-memory strategy's one save (keys must be new).
    pub async fn insert_lines_bulk(
        conn: &mut Conn,
        trips: &RoundTrips,
        lines: &[StoredLine],
    ) -> Result<(), StoreError> {
        <dialect::Database as BulkLines>::insert_lines(conn, trips, lines)
            .await
            .map_err(sql("saving statements"))
    }

    /// Upserts statement lines, one statement per [`JSON_CHUNK`] lines: an
    /// existing line of the same company and account is updated (the per-step
    /// save).
    pub async fn upsert_lines(
        conn: &mut Conn,
        trips: &RoundTrips,
        lines: &[StoredLine],
    ) -> Result<(), StoreError> {
        bulk(conn, trips, upsert_lines_sql(), lines).await
    }

    /// The bulk insert of statement lines: one JSON document of
    /// [`LINE_FIELDS`] objects.
    pub(super) fn insert_lines_sql() -> String {
        format!("{INSERT_LINES}{}", dialect::select_json(&LINE_FIELDS))
    }

    /// The bulk upsert of statement lines: [`insert_lines_sql`], and on a
    /// clash of company and account the new kind and amount.
    pub(super) fn upsert_lines_sql() -> String {
        format!(
            "{}{}{}",
            insert_lines_sql(),
            dialect::WHERE_BEFORE_UPSERT,
            dialect::upsert("company, account", &["kind", "amount"]),
        )
    }

    async fn bulk(
        conn: &mut Conn,
        trips: &RoundTrips,
        statement: String,
        lines: &[StoredLine],
    ) -> Result<(), StoreError> {
        // Written from the service's own constants and the dialect, never input.
        let statement: std::sync::Arc<str> = statement.into();
        for chunk in lines.chunks(JSON_CHUNK) {
            trips.one();
            sqlx::query(sqlx::AssertSqlSafe(std::sync::Arc::clone(&statement)))
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
        let mut qb = dialect::builder("DELETE FROM ");
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
            let mut qb = dialect::builder("INSERT INTO ");
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
                    b.push_bind(dialect::to_stored(*value));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bulk statements as each engine had them spelled out before the shared
    /// dialect layer (PostgreSQL's `EXCLUDED` is now written `excluded`: keywords
    /// are case-insensitive).
    #[test]
    fn bulk_statements_are_each_engines_own() {
        assert_eq!(
            sqlite::insert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT json_extract(value, '$.c'), json_extract(value, '$.a'), json_extract(value, '$.k'), json_extract(value, '$.m') \
             FROM json_each(?)"
        );
        assert_eq!(
            sqlite::upsert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT json_extract(value, '$.c'), json_extract(value, '$.a'), json_extract(value, '$.k'), json_extract(value, '$.m') \
             FROM json_each(?) WHERE true \
             ON CONFLICT (company, account) DO UPDATE SET kind = excluded.kind, amount = excluded.amount"
        );
        assert_eq!(
            postgres::insert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT x.c, x.a, x.k, x.m::numeric FROM jsonb_to_recordset($1::jsonb) AS x(c text, a text, k text, m text)"
        );
        assert_eq!(
            postgres::upsert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT x.c, x.a, x.k, x.m::numeric FROM jsonb_to_recordset($1::jsonb) AS x(c text, a text, k text, m text) \
             ON CONFLICT (company, account) DO UPDATE SET kind = excluded.kind, amount = excluded.amount"
        );
        assert_eq!(
            mariadb::insert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT x.c, x.a, x.k, CAST(x.m AS DECIMAL(19,4)) FROM JSON_TABLE(?, '$[*]' COLUMNS ( \
             c VARCHAR(32) PATH '$.c', a VARCHAR(64) PATH '$.a', k VARCHAR(24) PATH '$.k', m VARCHAR(48) PATH '$.m')) AS x"
        );
        assert_eq!(
            mariadb::upsert_lines_sql(),
            "INSERT INTO cons_statement_line (company, account, kind, amount) \
             SELECT x.c, x.a, x.k, CAST(x.m AS DECIMAL(19,4)) FROM JSON_TABLE(?, '$[*]' COLUMNS ( \
             c VARCHAR(32) PATH '$.c', a VARCHAR(64) PATH '$.a', k VARCHAR(24) PATH '$.k', m VARCHAR(48) PATH '$.m')) AS x \
             ON DUPLICATE KEY UPDATE kind = VALUES(kind), amount = VALUES(amount)"
        );
    }
}
