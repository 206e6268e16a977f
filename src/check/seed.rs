//! Seeding (初期データ投入): filling a database table from rows a scenario writes
//! (a Gherkin data table or a CSV fixture), without Rust.
//!
//! Every name is checked against the [schema](super::schema) and every cell is
//! parsed by its column's kind before the first statement runs; then all rows go in
//! one transaction, so a seed is written completely or not at all. Values are
//! bound as parameters, never written into SQL: integers as `i64`, decimals exactly
//! as the engine stores amounts ([`kensho_shared::dialect`]'s `to_stored`:
//! `rust_decimal`, never floating point; canonical text on SQLite), text as written,
//! and the cell `NULL` as SQL NULL.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use sqlx::AssertSqlSafe;

use super::schema::{ColumnKind, Schema, SchemaError, is_plain_identifier, read_schema};
use super::table::{NULL, Table};
use crate::db::{Db, Engine};
use kensho_shared::input::InputError;
use kensho_shared::money::{AmountError, parse_amount};

/// Why a seed was refused. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum SeedProblem {
    /// The table or a column is not in the schema (or cannot be written into SQL).
    #[error("{0}")]
    Schema(SchemaError),
    #[error("{0:?} is not an integer (write digits with an optional leading '-')")]
    NotInteger(String),
    #[error("{0}")]
    NotDecimal(AmountError),
    #[error("NULL in a NOT NULL column")]
    NullInNotNull,
    #[error(
        "the column is required (NOT NULL without a default) but the rows do not give it; add a column {0:?}"
    )]
    MissingColumn(String),
    #[error("duplicate primary key ({}), already given by row {first_row}", .values.join(", "))]
    DuplicateKey {
        values: Vec<String>,
        first_row: usize,
    },
    #[error("the database refused it: {0}")]
    Refused(String),
    #[error("{engine}: {action}: {source}")]
    Database {
        engine: Engine,
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// A refused seed: where (origin, table, row, column) and why. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub struct SeedError {
    /// Where the rows come from: `features/x.feature:12`, `fixtures/y.csv`.
    pub origin: String,
    pub table: String,
    /// The data row (1 = first row under the header), when one row is at fault.
    pub row: Option<usize>,
    /// For rows read from a file: the line of the row at fault (or of the header,
    /// for a column at fault).
    pub line: Option<usize>,
    /// The column at fault (several, comma-separated, for a primary key).
    pub column: Option<String>,
    pub problem: Box<SeedProblem>,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: seeding table {}", self.origin, self.table)?,
            None => write!(f, "{}: seeding table {}", self.origin, self.table)?,
        }
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, ", row {row}, column {column}")?,
            (Some(row), None) => write!(f, ", row {row}")?,
            (None, Some(column)) => write!(f, ", header, column {column}")?,
            (None, None) => {}
        }
        write!(f, ": {}; no row was written", self.problem)
    }
}

/// One bound value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Param {
    Null(ColumnKind),
    Integer(i64),
    Decimal(Decimal),
    Text(String),
}

/// An insert ready to run: one statement, one parameter list per row.
#[derive(Debug)]
struct Plan {
    sql: Arc<str>,
    rows: Vec<Vec<Param>>,
}

/// Inserts every row of `rows` into `table` in one transaction and returns how many
/// rows were written. `origin` names where the rows come from in every error.
///
/// Refused before any statement runs: an unknown table or column, a cell that does
/// not parse as its column's kind, `NULL` in a NOT NULL column, a required column
/// missing from the header, the same primary key twice among the rows. A refusal
/// by the database (a constraint) names the row it came from. On any error the
/// transaction is rolled back: nothing stays written.
pub async fn seed(db: &Db, table: &str, rows: &Table, origin: &str) -> Result<usize, SeedError> {
    let engine = db.engine();
    let error = |row: Option<usize>, problem: SeedProblem| SeedError {
        origin: origin.to_string(),
        table: table.to_string(),
        row,
        line: None,
        column: None,
        problem: Box::new(problem),
    };
    let schema = read_schema(db)
        .await
        .map_err(|e| error(None, SeedProblem::Schema(e)))?;
    let plan = plan(&schema, engine, table, rows, origin)?;
    if plan.rows.is_empty() {
        return Ok(0);
    }
    let database = |action: &'static str| {
        move |source| {
            error(
                None,
                SeedProblem::Database {
                    engine,
                    action,
                    source,
                },
            )
        }
    };
    let refused = |row: usize, e: sqlx::Error| match e.as_database_error() {
        Some(_) => error(Some(row), SeedProblem::Refused(refusal(&e))),
        None => SeedError {
            row: Some(row),
            ..database("inserting")(e)
        },
    };
    // One transaction, rolled back on the first error; `engine` binds the values
    // as the engine stores them.
    kensho_shared::dispatch!(db, crate::check::seed, engine, pool => {
        let mut tx = pool
            .begin()
            .await
            .map_err(database("starting a transaction"))?;
        for (i, params) in plan.rows.iter().enumerate() {
            let mut query = sqlx::query(AssertSqlSafe(Arc::clone(&plan.sql)));
            for param in params {
                query = engine::bind(query, param);
            }
            if let Err(e) = query.execute(&mut *tx).await {
                // Dropping the transaction would roll it back too; waiting for the
                // rollback means the table is as before when the error is returned.
                let _ = tx.rollback().await;
                return Err(refused(i + 1, e));
            }
        }
        tx.commit().await.map_err(|e| {
            error(
                None,
                SeedProblem::Refused(format!("at commit: {}", refusal(&e))),
            )
        })?;
    });
    Ok(plan.rows.len())
}

/// The database's own words for a refused statement, with the constraint when the
/// driver names it.
fn refusal(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => match d.constraint() {
            Some(c) if !d.message().contains(c) => format!("{} (constraint {c})", d.message()),
            _ => d.message().to_string(),
        },
        None => e.to_string(),
    }
}

// How a value is bound, written once; `dialect` is each engine's module of the
// shared dialect layer, which says how an amount is stored.
kensho_shared::per_engine! {
    use super::{ColumnKind, Param};

    /// A query on this engine, with its arguments.
    pub(super) type Query<'q> = sqlx::query::Query<
        'q,
        dialect::Database,
        <dialect::Database as sqlx::Database>::Arguments,
    >;

    /// Binds one value: an amount as the engine stores it, NULL typed by the
    /// column's kind.
    pub(super) fn bind<'q>(query: Query<'q>, param: &Param) -> Query<'q> {
        match param {
            Param::Null(ColumnKind::Integer) => query.bind(None::<i64>),
            Param::Null(ColumnKind::Decimal) => query.bind(None::<dialect::StoredAmount>),
            Param::Null(_) => query.bind(None::<String>),
            Param::Integer(n) => query.bind(*n),
            Param::Decimal(d) => query.bind(dialect::to_stored(*d)),
            Param::Text(t) => query.bind(t.clone()),
        }
    }
}

/// Parses an integer strictly: an optional leading `-` and ASCII digits.
fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Checks `rows` against the schema and builds the insert, without touching the
/// database.
fn plan(
    schema: &Schema,
    engine: Engine,
    table: &str,
    rows: &Table,
    origin: &str,
) -> Result<Plan, SeedError> {
    let error = |row: Option<usize>, column: Option<&str>, problem: SeedProblem| SeedError {
        origin: origin.to_string(),
        table: table.to_string(),
        row,
        line: None,
        column: column.map(str::to_string),
        problem: Box::new(problem),
    };
    let target = schema
        .table(table)
        .map_err(|e| error(None, None, SeedProblem::Schema(e)))?;
    let quoted_table = target
        .quoted(engine)
        .map_err(|e| error(None, None, SeedProblem::Schema(e)))?;
    let mut columns = Vec::with_capacity(rows.columns.len());
    for name in &rows.columns {
        let column = target
            .column(name)
            .and_then(|c| c.quoted(engine).map(|q| (c, q)))
            .map_err(|e| error(None, Some(name), SeedProblem::Schema(e)))?;
        columns.push(column);
    }
    if let Some(required) = target
        .columns
        .iter()
        .find(|c| !c.nullable && !c.has_default && !rows.columns.contains(&c.name))
    {
        return Err(error(
            None,
            Some(&required.name),
            SeedProblem::MissingColumn(required.name.clone()),
        ));
    }

    let mut parsed = Vec::with_capacity(rows.rows.len());
    for (i, cells) in rows.rows.iter().enumerate() {
        let mut params = Vec::with_capacity(cells.len());
        for ((column, _), cell) in columns.iter().zip(cells) {
            let fail = |problem| error(Some(i + 1), Some(&column.name), problem);
            let param = if cell == NULL {
                if !column.nullable {
                    return Err(fail(SeedProblem::NullInNotNull));
                }
                Param::Null(column.kind)
            } else {
                match column.kind {
                    ColumnKind::Integer => Param::Integer(
                        parse_integer(cell)
                            .ok_or_else(|| fail(SeedProblem::NotInteger(cell.clone())))?,
                    ),
                    ColumnKind::Decimal => Param::Decimal(
                        parse_amount(cell).map_err(|e| fail(SeedProblem::NotDecimal(e)))?,
                    ),
                    ColumnKind::Text | ColumnKind::Other => Param::Text(cell.clone()),
                }
            };
            params.push(param);
        }
        parsed.push(params);
    }

    // The same primary key twice among the rows, when the rows give the whole key.
    let key_indexes: Option<Vec<usize>> = target
        .primary_key
        .iter()
        .map(|k| rows.columns.iter().position(|c| c == k))
        .collect();
    if let Some(key_indexes) = key_indexes.filter(|k| !k.is_empty()) {
        let mut seen: HashMap<Vec<Param>, usize> = HashMap::new();
        for (i, params) in parsed.iter().enumerate() {
            let key: Vec<Param> = key_indexes
                .iter()
                .map(|&k| match &params[k] {
                    Param::Decimal(d) => Param::Decimal(d.normalize()),
                    other => other.clone(),
                })
                .collect();
            if key.iter().any(|p| matches!(p, Param::Null(_))) {
                continue;
            }
            if let Some(first_row) = seen.insert(key, i + 1) {
                return Err(error(
                    Some(i + 1),
                    Some(&target.primary_key.join(", ")),
                    SeedProblem::DuplicateKey {
                        values: key_indexes
                            .iter()
                            .map(|&k| rows.rows[i][k].clone())
                            .collect(),
                        first_row,
                    },
                ));
            }
        }
    }

    let names: Vec<&str> = columns.iter().map(|(_, q)| q.as_str()).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (column, _))| match engine {
            Engine::Sqlite | Engine::MariaDb => "?".to_string(),
            // Text converts to other types only through an explicit cast.
            Engine::Postgres
                if column.kind == ColumnKind::Other && is_plain_identifier(&column.type_name) =>
            {
                format!("CAST(${} AS \"{}\")", i + 1, column.type_name)
            }
            Engine::Postgres => format!("${}", i + 1),
        })
        .collect();
    let sql = if names.is_empty() {
        match engine {
            Engine::MariaDb => format!("INSERT INTO {quoted_table} () VALUES ()"),
            Engine::Sqlite | Engine::Postgres => {
                format!("INSERT INTO {quoted_table} DEFAULT VALUES")
            }
        }
    } else {
        format!(
            "INSERT INTO {quoted_table} ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        )
    };
    Ok(Plan {
        sql: sql.into(),
        rows: parsed,
    })
}

/// Reads a CSV file's bytes (header line first) into a table, strictly, as
/// [`kensho_shared::input`] reads every input file: UTF-8 (a leading byte-order mark is
/// dropped), at most [`kensho_shared::input::MAX_INPUT_BYTES`], strict quoting, fields
/// trimmed, every line as long as the header, header names non-empty and unique,
/// at least one data line. `NULL` stays the cell `NULL`. Errors name `origin`, the
/// line and, where it applies, the column.
pub fn table_from_csv(bytes: &[u8], origin: &str) -> Result<Table, InputError> {
    csv_rows(bytes, origin).map(|(table, _)| table)
}

/// [`table_from_csv`], with the line of the header (first) and of every row.
fn csv_rows(bytes: &[u8], origin: &str) -> Result<(Table, Vec<usize>), InputError> {
    let (header, rows) = kensho_shared::input::header_and_rows(origin, bytes, None)?;
    let lines = std::iter::once(header.line)
        .chain(rows.iter().map(|r| r.line))
        .collect();
    let table = Table {
        columns: header.fields,
        rows: rows.into_iter().map(|r| r.fields).collect(),
    };
    Ok((table, lines))
}

/// Why seeding from a CSV file was refused. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum CsvSeedError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Seed(#[from] SeedError),
}

/// Seeds `table` from a CSV file's bytes ([`table_from_csv`], then [`seed`]); a
/// refused row or header column also names its line in the file.
pub async fn seed_from_csv(
    db: &Db,
    table: &str,
    bytes: &[u8],
    origin: &str,
) -> Result<usize, CsvSeedError> {
    let (rows, lines) = csv_rows(bytes, origin)?;
    seed(db, table, &rows, origin).await.map_err(|mut e| {
        e.line = match (e.row, &e.column) {
            (Some(row), _) => lines.get(row).copied(),
            (None, Some(_)) => lines.first().copied(),
            (None, None) => None,
        };
        CsvSeedError::Seed(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::schema::{ColumnSchema, TableSchema};
    use sqlx::sqlite::SqlitePoolOptions;

    fn table(rows: &[&[&str]]) -> Table {
        let raw: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        Table::from_raw(&raw).unwrap()
    }

    async fn sqlite() -> Db {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        for sql in [
            "CREATE TABLE ledger_entry (id INTEGER PRIMARY KEY, person TEXT NOT NULL, \
             amount DECIMAL(19,4) NOT NULL, status INTEGER NOT NULL DEFAULT 0, note TEXT)",
            "CREATE TABLE statement_line (company VARCHAR(32) NOT NULL, account VARCHAR(64) NOT NULL, \
             amount TEXT NOT NULL, PRIMARY KEY (company, account))",
            "CREATE TABLE x (a INTEGER)",
        ] {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
        Db::Sqlite(pool)
    }

    async fn count(db: &Db, table: &'static str) -> i64 {
        let Db::Sqlite(p) = db else { unreachable!() };
        let sql = format!("SELECT count(*) FROM {table}");
        sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap()
    }

    async fn stored(db: &Db) -> Vec<(i64, String, String, i64, Option<String>)> {
        let Db::Sqlite(p) = db else { unreachable!() };
        sqlx::query_as(
            "SELECT id, person, CAST(amount AS TEXT), status, note FROM ledger_entry ORDER BY id",
        )
        .fetch_all(p)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn rows_are_written_with_values_bound_by_kind() {
        let db = sqlite().await;
        let rows = table(&[
            &["id", "person", "amount", "note"],
            &["1", "A", "80,000", "NULL"],
            &["2", "C", "1234.5000", "front; DROP TABLE x"],
            &["3", "D", "-30000.25", ""],
        ]);
        assert_eq!(
            seed(&db, "ledger_entry", &rows, "features/b.feature:5")
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            stored(&db).await,
            vec![
                (1, "A".into(), "80000".into(), 0, None),
                (
                    2,
                    "C".into(),
                    "1234.5".into(),
                    0,
                    Some("front; DROP TABLE x".into())
                ),
                (3, "D".into(), "-30000.25".into(), 0, Some(String::new())),
            ]
        );
        // No rows: nothing to write, still checked.
        assert_eq!(seed(&db, "x", &table(&[&["a"]]), "t").await.unwrap(), 0);
    }

    async fn refused(db: &Db, rows: &Table) -> String {
        let err = seed(db, "ledger_entry", rows, "features/b.feature:12")
            .await
            .unwrap_err()
            .to_string();
        assert!(stored(db).await.is_empty(), "{err}: rows stayed written");
        err
    }

    #[tokio::test]
    async fn a_bad_row_in_the_middle_names_row_and_column_and_writes_nothing() {
        let db = sqlite().await;
        let good = ["1", "A", "1", "0"];
        let header = ["id", "person", "amount", "status"];
        let with_middle =
            |middle: [&str; 4]| table(&[&header, &good, &middle, &["9", "E", "5", "0"]]);
        assert_eq!(
            refused(&db, &with_middle(["2", "B", "abc", "0"])).await,
            "features/b.feature:12: seeding table ledger_entry, row 2, column amount: \
             \"abc\" is not a decimal amount (write digits with an optional '-' and '.' decimal point, \
             e.g. 80000 or 80,000 or 1234.50); no row was written"
        );
        assert_eq!(
            refused(&db, &with_middle(["2", "B", "1", "x1"])).await,
            "features/b.feature:12: seeding table ledger_entry, row 2, column status: \
             \"x1\" is not an integer (write digits with an optional leading '-'); no row was written"
        );
        assert_eq!(
            refused(&db, &with_middle(["2", "NULL", "1", "0"])).await,
            "features/b.feature:12: seeding table ledger_entry, row 2, column person: \
             NULL in a NOT NULL column; no row was written"
        );
        assert_eq!(
            refused(&db, &with_middle(["1", "B", "1", "0"])).await,
            "features/b.feature:12: seeding table ledger_entry, row 2, column id: \
             duplicate primary key (1), already given by row 1; no row was written"
        );
        let unknown = table(&[&["id", "person", "amonut"], &["1", "A", "1"]]);
        assert_eq!(
            refused(&db, &unknown).await,
            "features/b.feature:12: seeding table ledger_entry, header, column amonut: \
             no column \"amonut\" in table ledger_entry; the closest columns are amount, note, \
             status; no row was written"
        );
        let missing = table(&[&["id", "person"], &["1", "A"]]);
        assert_eq!(
            refused(&db, &missing).await,
            "features/b.feature:12: seeding table ledger_entry, header, column amount: \
             the column is required (NOT NULL without a default) but the rows do not give it; \
             add a column \"amount\"; no row was written"
        );
    }

    #[tokio::test]
    async fn composite_keys_are_compared_by_value_and_database_refusals_name_the_row() {
        let db = sqlite().await;
        let rows = table(&[
            &["company", "account", "amount"],
            &["P", "cash", "1"],
            &["P", "sales", "2"],
            &["P", "cash", "3"],
        ]);
        let err = seed(&db, "statement_line", &rows, "fixtures/s.csv")
            .await
            .unwrap_err();
        assert_eq!(
            (err.row, err.column.as_deref()),
            (Some(3), Some("company, account"))
        );
        assert!(
            err.to_string()
                .contains("duplicate primary key (P, cash), already given by row 1"),
            "{err}"
        );

        // Already in the table: the database refuses row 2, and row 1 is rolled back.
        seed(
            &db,
            "statement_line",
            &table(&[&["company", "account", "amount"], &["Q", "cash", "9"]]),
            "t",
        )
        .await
        .unwrap();
        let rows = table(&[
            &["company", "account", "amount"],
            &["P", "cash", "1"],
            &["Q", "cash", "2"],
        ]);
        let err = seed(&db, "statement_line", &rows, "fixtures/s.csv")
            .await
            .unwrap_err();
        assert_eq!(err.row, Some(2));
        let shown = err.to_string();
        assert!(
            shown.starts_with("fixtures/s.csv: seeding table statement_line, row 2: the database refused it: UNIQUE constraint failed"),
            "{shown}"
        );
        assert_eq!(count(&db, "statement_line").await, 1);
    }

    #[tokio::test]
    async fn injection_attempts_in_names_are_refused_before_any_sql() {
        let db = sqlite().await;
        let rows = table(&[&["a"], &["1"]]);
        let err = seed(&db, "x; DROP TABLE x", &rows, "features/h.feature:3")
            .await
            .unwrap_err();
        assert!(matches!(
            *err.problem,
            SeedProblem::Schema(SchemaError::UnknownTable { .. })
        ));
        assert!(
            err.to_string().starts_with(
                "features/h.feature:3: seeding table x; DROP TABLE x: no table \"x; DROP TABLE x\" in the database; the closest tables are"
            ),
            "{err}"
        );
        let rows = table(&[&["a) VALUES (1); DROP TABLE x; --"], &["1"]]);
        let err = seed(&db, "x", &rows, "features/h.feature:4")
            .await
            .unwrap_err();
        assert_eq!(
            err.column.as_deref(),
            Some("a) VALUES (1); DROP TABLE x; --")
        );
        assert!(matches!(
            *err.problem,
            SeedProblem::Schema(SchemaError::UnknownColumn { .. })
        ));
        assert_eq!(count(&db, "x").await, 0);
    }

    fn schema_of(columns: &[(&str, ColumnKind, bool, &str)]) -> Schema {
        Schema::from_tables([TableSchema {
            name: "photo".into(),
            columns: columns
                .iter()
                .map(|(name, kind, nullable, type_name)| ColumnSchema {
                    name: name.to_string(),
                    kind: *kind,
                    nullable: *nullable,
                    has_default: false,
                    type_name: type_name.to_string(),
                })
                .collect(),
            primary_key: vec!["id".into()],
        }])
    }

    #[test]
    fn each_dialect_gets_its_own_quotes_placeholders_and_casts() {
        let schema = schema_of(&[
            ("id", ColumnKind::Integer, false, "int8"),
            ("kind", ColumnKind::Text, false, "varchar"),
            ("amount", ColumnKind::Decimal, true, "numeric"),
            ("taken", ColumnKind::Other, true, "timestamptz"),
        ]);
        let rows = table(&[
            &["id", "kind", "amount", "taken"],
            &["1", "photo", "80,000.50", "NULL"],
        ]);
        let pg = plan(&schema, Engine::Postgres, "photo", &rows, "t").unwrap();
        assert_eq!(
            &*pg.sql,
            "INSERT INTO \"photo\" (\"id\", \"kind\", \"amount\", \"taken\") VALUES ($1, $2, $3, CAST($4 AS \"timestamptz\"))"
        );
        assert_eq!(
            pg.rows,
            vec![vec![
                Param::Integer(1),
                Param::Text("photo".into()),
                Param::Decimal(Decimal::new(8_000_050, 2)),
                Param::Null(ColumnKind::Other),
            ]]
        );
        let my = plan(&schema, Engine::MariaDb, "photo", &rows, "t").unwrap();
        assert_eq!(
            &*my.sql,
            "INSERT INTO `photo` (`id`, `kind`, `amount`, `taken`) VALUES (?, ?, ?, ?)"
        );
        // A catalog name that is not a plain identifier is never written into SQL.
        let odd = schema_of(&[
            ("id", ColumnKind::Integer, false, "int8"),
            ("a\"b", ColumnKind::Text, true, "text"),
        ]);
        let err = plan(
            &odd,
            Engine::Postgres,
            "photo",
            &table(&[&["a\"b"], &["1"]]),
            "t",
        )
        .unwrap_err();
        assert!(
            matches!(
                *err.problem,
                SeedProblem::Schema(SchemaError::NotPlain { .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(parse_integer("-42"), Some(-42));
        for bad in [
            "",
            "-",
            "+1",
            "1.0",
            "1,000",
            "1e3",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_reads_into_a_table_strictly() {
        let t = table_from_csv(
            "\u{feff}person, amount\nA,\"80,000\"\nB , NULL\n".as_bytes(),
            "fixtures/y.csv",
        )
        .unwrap();
        assert_eq!(
            t,
            table(&[&["person", "amount"], &["A", "80,000"], &["B", "NULL"]])
        );
        let err = table_from_csv(b"a,b\n1,2\n3\n", "fixtures/y.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "fixtures/y.csv:3: 1 field where the header has 2 (a, b)"
        );
        let err = table_from_csv(b"a,a\n1,2\n", "fixtures/y.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "fixtures/y.csv:1 (column a): column \"a\" appears twice in the header"
        );
        assert!(table_from_csv(b"  \n", "fixtures/y.csv").is_err());
        assert!(table_from_csv(b"a,b\n", "fixtures/y.csv").is_err());
    }
}
