//! Table assertions (期待値の検証): what a table holds, compared with rows a
//! scenario writes.
//!
//! A table is read generically (names checked against the
//! [schema](super::schema), every value as text, NULL as `NULL`) and compared with
//! the expected rows on the expected table's columns only: order-insensitive,
//! as multisets, decimal-aware (`80000` = `80000.00` = `80,000`). Three
//! expectations: the table holds [exactly](Expectation::Exactly) these rows, it
//! [includes](Expectation::Includes) them, or it [excludes](Expectation::Excludes)
//! them. A mismatch reads as a diff whose rows are Gherkin tables, ready to paste
//! back into a feature file.

use std::fmt;

use sqlx::{AssertSqlSafe, Row};

use super::schema::{Schema, SchemaError, read_schema, text_expression};
use super::table::{NULL, Table, TableError, Value, value};
use crate::db::{Db, Engine};

/// What the expected rows say about the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expectation {
    /// The table holds these rows and no other (on the columns named).
    Exactly,
    /// The table holds these rows, and maybe others.
    Includes,
    /// The table holds none of these rows.
    Excludes,
}

impl Expectation {
    /// Every expectation.
    pub const ALL: [Expectation; 3] = [
        Expectation::Exactly,
        Expectation::Includes,
        Expectation::Excludes,
    ];

    /// The expectation's name as steps write it: `exactly`, `includes`, `excludes`.
    pub fn name(self) -> &'static str {
        match self {
            Expectation::Exactly => "exactly",
            Expectation::Includes => "includes",
            Expectation::Excludes => "excludes",
        }
    }

    /// Parses a name (`exactly`, `includes`, `excludes`, ignoring case).
    pub fn parse(text: &str) -> Option<Expectation> {
        let text = text.trim();
        Expectation::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One cell that differs between an expected row and the found row with the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedCell {
    /// The key values, as the expected row writes them.
    pub key: Vec<String>,
    pub column: String,
    pub expected: String,
    pub found: String,
}

/// How the rows of a table differ from an expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowDiff {
    pub expectation: Expectation,
    /// The compared columns (the expected table's header).
    pub columns: Vec<String>,
    /// The columns rows were paired on to show changed cells (may be empty).
    pub key: Vec<String>,
    /// Expected rows not found, as written.
    pub missing: Vec<Vec<String>>,
    /// Rows found but not expected (only for [`Expectation::Exactly`]).
    pub unexpected: Vec<Vec<String>>,
    /// Rows found that should be absent (only for [`Expectation::Excludes`]).
    pub present: Vec<Vec<String>>,
    /// Cells of expected rows found with the same key but another value.
    pub changed: Vec<ChangedCell>,
}

/// Why a table does not meet an expectation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableMismatch {
    /// The expected table names a column the table read does not have.
    #[error("{0}")]
    Columns(TableError),
    /// The rows differ.
    #[error("{0}")]
    Rows(Box<RowDiff>),
}

/// Compares `actual` with `expected` on `expected`'s columns (a subset of
/// `actual`'s), as multisets of rows, decimal-aware, `NULL` only equal to `NULL`.
///
/// `key` names the table's primary-key columns; those present in `expected`'s
/// header pair a missing row with an unexpected one to show changed cells
/// (`row (C): column amount expected 80000, found 75000`). Without key columns in
/// the header, rows are not paired.
pub fn check(
    expected: &Table,
    actual: &Table,
    how: Expectation,
    key: &[String],
) -> Result<(), TableMismatch> {
    let indexes: Vec<usize> = expected
        .columns
        .iter()
        .map(|c| actual.column(c))
        .collect::<Result<_, _>>()
        .map_err(TableMismatch::Columns)?;
    let found: Vec<(Vec<Value>, Vec<String>)> = actual
        .rows
        .iter()
        .map(|row| {
            let row: Vec<String> = indexes.iter().map(|&i| row[i].clone()).collect();
            (row.iter().map(|c| value(c)).collect(), row)
        })
        .collect();
    let wanted: Vec<(Vec<Value>, &Vec<String>)> = expected
        .rows
        .iter()
        .map(|row| (row.iter().map(|c| value(c)).collect(), row))
        .collect();
    let key_indexes: Vec<usize> = key
        .iter()
        .filter_map(|k| expected.columns.iter().position(|c| c == k))
        .collect();
    let mut diff = RowDiff {
        expectation: how,
        columns: expected.columns.clone(),
        key: key_indexes
            .iter()
            .map(|&i| expected.columns[i].clone())
            .collect(),
        missing: Vec::new(),
        unexpected: Vec::new(),
        present: Vec::new(),
        changed: Vec::new(),
    };

    match how {
        Expectation::Excludes => {
            diff.present = found
                .iter()
                .filter(|(values, _)| wanted.iter().any(|(w, _)| w == values))
                .map(|(_, row)| row.clone())
                .collect();
            diff.present.sort();
        }
        Expectation::Exactly | Expectation::Includes => {
            let mut remaining = found;
            let mut missing: Vec<(&Vec<Value>, &Vec<String>)> = Vec::new();
            for (values, row) in &wanted {
                match remaining.iter().position(|(v, _)| v == values) {
                    Some(i) => {
                        remaining.remove(i);
                    }
                    None => missing.push((values, row)),
                }
            }
            for (values, row) in missing {
                let same_key = |(v, _): &(Vec<Value>, Vec<String>)| {
                    key_indexes.iter().all(|&k| v[k] == values[k])
                };
                let paired = if key_indexes.is_empty() {
                    None
                } else {
                    remaining.iter().position(same_key)
                };
                match paired {
                    Some(i) => {
                        let (found_values, found_row) = remaining.remove(i);
                        let key: Vec<String> =
                            key_indexes.iter().map(|&k| row[k].clone()).collect();
                        for (c, column) in expected.columns.iter().enumerate() {
                            if found_values[c] != values[c] {
                                diff.changed.push(ChangedCell {
                                    key: key.clone(),
                                    column: column.clone(),
                                    expected: row[c].clone(),
                                    found: found_row[c].clone(),
                                });
                            }
                        }
                    }
                    None => diff.missing.push(row.clone()),
                }
            }
            if how == Expectation::Exactly {
                diff.unexpected = remaining.into_iter().map(|(_, row)| row).collect();
                diff.unexpected.sort();
            }
        }
    }
    if diff.missing.is_empty()
        && diff.unexpected.is_empty()
        && diff.present.is_empty()
        && diff.changed.is_empty()
    {
        Ok(())
    } else {
        Err(TableMismatch::Rows(Box::new(diff)))
    }
}

impl fmt::Display for RowDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expectation {
            Expectation::Exactly => {
                writeln!(f, "the table does not hold exactly the expected rows:")?
            }
            Expectation::Includes => writeln!(f, "the table does not include every expected row:")?,
            Expectation::Excludes => writeln!(f, "the table holds rows that should be absent:")?,
        }
        let sections = [
            ("missing (expected, not found):", &self.missing),
            ("unexpected (found, not expected):", &self.unexpected),
            ("present (found, should be absent):", &self.present),
        ];
        let shown_rows = sections.iter().flat_map(|(_, rows)| rows.iter());
        let widths = column_widths(&self.columns, shown_rows);
        for (title, rows) in sections {
            if rows.is_empty() {
                continue;
            }
            writeln!(f, "  {title}")?;
            writeln!(f, "    {}", gherkin_row(&self.columns, &widths))?;
            for row in rows {
                writeln!(f, "    {}", gherkin_row(row, &widths))?;
            }
        }
        if !self.changed.is_empty() {
            writeln!(f, "  changed (paired on {}):", self.key.join(", "))?;
            for cell in &self.changed {
                writeln!(
                    f,
                    "    row ({}): column {} expected {}, found {}",
                    cell.key.join(", "),
                    cell.column,
                    cell.expected,
                    cell.found
                )?;
            }
        }
        Ok(())
    }
}

/// A cell as a Gherkin table writes it: `|`, `\` and line breaks escaped.
fn gherkin_cell(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for c in cell.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Columns a character takes in a terminal: two for East Asian wide and full-width
/// characters (kanji, kana, hangul, full-width forms), one otherwise.
fn char_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

fn text_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn column_widths<'a>(header: &[String], rows: impl Iterator<Item = &'a Vec<String>>) -> Vec<usize> {
    let mut widths: Vec<usize> = header
        .iter()
        .map(|h| text_width(&gherkin_cell(h)))
        .collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(text_width(&gherkin_cell(cell)));
        }
    }
    widths
}

/// `| a   | b |`, each cell padded to its column's width.
fn gherkin_row(cells: &[String], widths: &[usize]) -> String {
    let mut out = String::from("|");
    for (cell, width) in cells.iter().zip(widths) {
        let cell = gherkin_cell(cell);
        let padding = width.saturating_sub(text_width(&cell));
        out.push(' ');
        out.push_str(&cell);
        out.push_str(&" ".repeat(padding));
        out.push_str(" |");
    }
    out
}

/// A table that could not be read or does not meet its expectation.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    #[error("{0}")]
    Schema(#[from] SchemaError),
    #[error("{engine}: reading table {table}: {source}")]
    Read {
        engine: Engine,
        table: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("table {table}: {mismatch}")]
    Mismatch {
        table: String,
        mismatch: TableMismatch,
    },
}

/// Reads `columns` of `table` (all its columns when `columns` is empty), every value
/// as text and NULL as `NULL`, ordered by primary key where there is one. Names are
/// checked against the schema first: an unknown one is an error, never SQL.
pub async fn read_table(db: &Db, table: &str, columns: &[String]) -> Result<Table, ExpectError> {
    let schema = read_schema(db).await?;
    read_with_schema(db, &schema, table, columns).await
}

/// As [`read_table`], with the schema already read (one catalog read for many
/// tables).
pub async fn read_with_schema(
    db: &Db,
    schema: &Schema,
    table: &str,
    columns: &[String],
) -> Result<Table, ExpectError> {
    let engine = db.engine();
    let target = schema.table(table)?;
    let columns: Vec<String> = if columns.is_empty() {
        target.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        columns.to_vec()
    };
    let mut list = Vec::with_capacity(columns.len());
    for name in &columns {
        list.push(text_expression(
            engine,
            &target.column(name)?.quoted(engine)?,
        ));
    }
    let mut order = Vec::with_capacity(target.primary_key.len());
    for name in &target.primary_key {
        order.push(target.column(name)?.quoted(engine)?);
    }
    let mut sql = format!("SELECT {} FROM {}", list.join(", "), target.quoted(engine)?);
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    let error = |source| ExpectError::Read {
        engine,
        table: table.to_string(),
        source,
    };
    let width = columns.len();
    macro_rules! text_rows {
        ($pool:expr) => {
            sqlx::query(AssertSqlSafe(sql))
                .fetch_all($pool)
                .await
                .map_err(error)?
                .iter()
                .map(|r| {
                    (0..width)
                        .map(|i| r.try_get::<Option<String>, _>(i))
                        .map(|v| v.map(|v| v.unwrap_or_else(|| NULL.to_string())))
                        .collect::<Result<Vec<String>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(error)?
        };
    }
    let rows = match db {
        Db::Sqlite(p) => text_rows!(p),
        Db::Postgres(p) => text_rows!(p),
        Db::MySql(p) => text_rows!(p),
    };
    Ok(Table { columns, rows })
}

/// Asserts that `table` meets `how` with the `expected` rows, compared on
/// `expected`'s columns and paired on the table's primary-key columns present there.
pub async fn assert_table(
    db: &Db,
    table: &str,
    expected: &Table,
    how: Expectation,
) -> Result<(), ExpectError> {
    let schema = read_schema(db).await?;
    let actual = read_with_schema(db, &schema, table, &expected.columns).await?;
    let key = &schema.table(table)?.primary_key;
    check(expected, &actual, how, key).map_err(|mismatch| ExpectError::Mismatch {
        table: table.to_string(),
        mismatch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::seed::seed;
    use sqlx::sqlite::SqlitePoolOptions;

    fn table(rows: &[&[&str]]) -> Table {
        let raw: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        Table::from_raw(&raw).unwrap()
    }

    fn key(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn mismatch(expected: &Table, actual: &Table, how: Expectation, k: &[&str]) -> String {
        check(expected, actual, how, &key(k))
            .unwrap_err()
            .to_string()
    }

    /// A table after a batch re-run (seed 003's steps 1–5), as a database holds it.
    fn ledger() -> Table {
        table(&[
            &["person", "amount", "status"],
            &["A", "10000.0000", "0"],
            &["C", "75000.0000", "0"],
            &["D", "30000.0000", "0"],
            &["E", "5000.0000", "NULL"],
        ])
    }

    #[test]
    fn exactly_passes_on_the_same_multiset_in_any_order_and_spelling() {
        let expected = table(&[
            &["amount", "person"],
            &["5,000", "E"],
            &["10000", "A"],
            &["30000.00", "D"],
            &["75000", "C"],
        ]);
        check(
            &expected,
            &ledger(),
            Expectation::Exactly,
            &key(&["person"]),
        )
        .unwrap();
    }

    #[test]
    fn exactly_shows_missing_unexpected_and_changed_rows() {
        let expected = table(&[
            &["person", "amount", "status"],
            &["A", "10000", "0"],
            &["B", "20000", "0"],
            &["C", "80,000", "0"],
            &["E", "5000", "NULL"],
        ]);
        assert_eq!(
            mismatch(&expected, &ledger(), Expectation::Exactly, &["person"]),
            "the table does not hold exactly the expected rows:\n\
             \x20 missing (expected, not found):\n\
             \x20   | person | amount     | status |\n\
             \x20   | B      | 20000      | 0      |\n\
             \x20 unexpected (found, not expected):\n\
             \x20   | person | amount     | status |\n\
             \x20   | D      | 30000.0000 | 0      |\n\
             \x20 changed (paired on person):\n\
             \x20   row (C): column amount expected 80,000, found 75000.0000\n"
        );
        // Without the key in the header (or without a key), rows are not paired.
        let expected = table(&[&["amount", "status"], &["80000", "0"]]);
        let shown = mismatch(&expected, &ledger(), Expectation::Exactly, &["person"]);
        assert_eq!(
            shown,
            "the table does not hold exactly the expected rows:\n\
             \x20 missing (expected, not found):\n\
             \x20   | amount     | status |\n\
             \x20   | 80000      | 0      |\n\
             \x20 unexpected (found, not expected):\n\
             \x20   | amount     | status |\n\
             \x20   | 10000.0000 | 0      |\n\
             \x20   | 30000.0000 | 0      |\n\
             \x20   | 5000.0000  | NULL   |\n\
             \x20   | 75000.0000 | 0      |\n"
        );
    }

    #[test]
    fn a_row_expected_twice_must_be_found_twice() {
        let expected = table(&[&["person"], &["A"], &["A"]]);
        let actual = table(&[&["person"], &["A"], &["B"]]);
        assert_eq!(
            mismatch(&expected, &actual, Expectation::Includes, &[]),
            "the table does not include every expected row:\n\
             \x20 missing (expected, not found):\n\
             \x20   | person |\n\
             \x20   | A      |\n"
        );
        let twice = table(&[&["person"], &["A"], &["B"], &["A"]]);
        check(&expected, &twice, Expectation::Includes, &[]).unwrap();
        assert!(check(&expected, &twice, Expectation::Exactly, &[]).is_err());
    }

    #[test]
    fn includes_ignores_other_rows_but_shows_changed_cells() {
        let expected = table(&[&["person", "amount"], &["D", "30,000"], &["A", "10000.00"]]);
        check(
            &expected,
            &ledger(),
            Expectation::Includes,
            &key(&["person"]),
        )
        .unwrap();
        let expected = table(&[
            &["person", "amount", "status"],
            &["C", "80000", "1"],
            &["Z", "1", "0"],
        ]);
        assert_eq!(
            mismatch(
                &expected,
                &ledger(),
                Expectation::Includes,
                &["person", "period"]
            ),
            "the table does not include every expected row:\n\
             \x20 missing (expected, not found):\n\
             \x20   | person | amount | status |\n\
             \x20   | Z      | 1      | 0      |\n\
             \x20 changed (paired on person):\n\
             \x20   row (C): column amount expected 80000, found 75000.0000\n\
             \x20   row (C): column status expected 1, found 0\n"
        );
    }

    #[test]
    fn excludes_passes_when_absent_and_lists_rows_present() {
        let expected = table(&[&["person", "status"], &["B", "0"], &["E", "0"]]);
        check(
            &expected,
            &ledger(),
            Expectation::Excludes,
            &key(&["person"]),
        )
        .unwrap();
        let expected = table(&[
            &["person", "status"],
            &["B", "0"],
            &["E", "NULL"],
            &["A", "0.00"],
        ]);
        assert_eq!(
            mismatch(&expected, &ledger(), Expectation::Excludes, &["person"]),
            "the table holds rows that should be absent:\n\
             \x20 present (found, should be absent):\n\
             \x20   | person | status |\n\
             \x20   | A      | 0      |\n\
             \x20   | E      | NULL   |\n"
        );
    }

    #[test]
    fn null_is_only_equal_to_null() {
        let expected = table(&[&["status"], &[""]]);
        let actual = table(&[&["status"], &["NULL"]]);
        assert!(check(&expected, &actual, Expectation::Exactly, &[]).is_err());
        let expected = table(&[&["status"], &["NULL"]]);
        check(&expected, &actual, Expectation::Exactly, &[]).unwrap();
    }

    #[test]
    fn rows_are_aligned_and_escaped_as_gherkin_writes_them() {
        let expected = table(&[&["対象者", "memo"], &["山田", "a|b"], &["x", "c\\d"]]);
        let actual = table(&[&["対象者", "memo"]]);
        assert_eq!(
            mismatch(&expected, &actual, Expectation::Exactly, &[]),
            "the table does not hold exactly the expected rows:\n\
             \x20 missing (expected, not found):\n\
             \x20   | 対象者 | memo |\n\
             \x20   | 山田   | a\\|b |\n\
             \x20   | x      | c\\\\d |\n"
        );
    }

    #[test]
    fn an_expected_column_the_table_lacks_is_named() {
        let err = mismatch(&table(&[&["amonut"]]), &ledger(), Expectation::Exactly, &[]);
        assert!(err.contains("no column \"amonut\""), "{err}");
    }

    #[test]
    fn expectations_parse_by_name() {
        assert_eq!(Expectation::parse(" Includes"), Some(Expectation::Includes));
        assert_eq!(Expectation::parse("exactly"), Some(Expectation::Exactly));
        assert_eq!(Expectation::parse("all"), None);
    }

    async fn sqlite() -> Db {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query(
            "CREATE TABLE ledger_entry (person TEXT NOT NULL PRIMARY KEY, \
             amount DECIMAL(19,4) NOT NULL, status INTEGER, note TEXT)",
        )
        .execute(&pool)
        .await
        .unwrap();
        Db::Sqlite(pool)
    }

    #[tokio::test]
    async fn seeded_rows_read_back_and_meet_their_expectation() {
        let db = sqlite().await;
        let rows = table(&[
            &["person", "amount", "status", "note"],
            &["C", "75,000", "0", "NULL"],
            &["A", "10000.50", "NULL", "x"],
        ]);
        seed(&db, "ledger_entry", &rows, "features/b.feature:3")
            .await
            .unwrap();
        let read = read_table(&db, "ledger_entry", &[]).await.unwrap();
        assert_eq!(
            read,
            table(&[
                &["person", "amount", "status", "note"],
                &["A", "10000.5", "NULL", "x"],
                &["C", "75000", "0", "NULL"],
            ])
        );
        let expected = table(&[
            &["person", "amount"],
            &["A", "10,000.50"],
            &["C", "75000.00"],
        ]);
        assert_table(&db, "ledger_entry", &expected, Expectation::Exactly)
            .await
            .unwrap();
        let expected = table(&[&["person", "amount"], &["C", "80000"]]);
        let err = assert_table(&db, "ledger_entry", &expected, Expectation::Includes)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "table ledger_entry: the table does not include every expected row:\n\
             \x20 changed (paired on person):\n\
             \x20   row (C): column amount expected 80000, found 75000\n"
        );
    }

    #[tokio::test]
    async fn injection_attempts_in_names_are_refused_before_any_sql() {
        let db = sqlite().await;
        let err = read_table(&db, "ledger_entry; DROP TABLE ledger_entry", &[])
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExpectError::Schema(SchemaError::UnknownTable { .. })),
            "{err}"
        );
        let columns = key(&["person FROM ledger_entry; DROP TABLE ledger_entry; --"]);
        let err = read_table(&db, "ledger_entry", &columns).await.unwrap_err();
        assert!(
            err.to_string().starts_with(
                "no column \"person FROM ledger_entry; DROP TABLE ledger_entry; --\" in table ledger_entry"
            ),
            "{err}"
        );
        assert_eq!(
            read_table(&db, "ledger_entry", &key(&["person"]))
                .await
                .unwrap()
                .rows
                .len(),
            0
        );
    }
}
