//! Tables as scenarios write them, and their comparison with what the database holds.
//!
//! A table is a header row plus data rows of text. Comparison is order-insensitive
//! (rows are a multiset: a row expected once must appear exactly once),
//! decimal-aware (`80000` equals `80000.00` and `80,000`) and spells NULL as `NULL`.
//! A difference is reported as missing and unexpected rows, readable by a person.

use std::fmt;

use rust_decimal::Decimal;

use kensho_shared::money::parse_amount;

/// How a missing value is written in a table.
pub const NULL: &str = "NULL";

/// A table: named columns and rows of text cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A table that is malformed as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("table {where_}: {message}")]
pub struct TableError {
    pub where_: String,
    pub message: String,
}

impl Table {
    /// Builds a table from raw rows whose first row is the header (as Gherkin data
    /// tables arrive). Header names are trimmed and must be unique and non-empty;
    /// every row must have as many cells as the header.
    pub fn from_raw(raw: &[Vec<String>]) -> Result<Table, TableError> {
        let err = |where_: String, message: String| TableError { where_, message };
        let (header, rows) = raw.split_first().ok_or_else(|| {
            err(
                "header".into(),
                "the table is empty; its first row names the columns".into(),
            )
        })?;
        let columns: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
        for (i, column) in columns.iter().enumerate() {
            if column.is_empty() {
                return Err(err(
                    "header".into(),
                    format!("column {} has no name", i + 1),
                ));
            }
            if columns[..i].contains(column) {
                return Err(err(
                    "header".into(),
                    format!("column {column:?} appears twice"),
                ));
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(err(
                    format!("row {}", i + 1),
                    format!("{} cells where the header has {}", row.len(), columns.len()),
                ));
            }
            out.push(row.iter().map(|c| c.trim().to_string()).collect());
        }
        Ok(Table { columns, rows: out })
    }

    /// The index of `column`, or an error naming the columns there are.
    pub fn column(&self, column: &str) -> Result<usize, TableError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| TableError {
                where_: "header".into(),
                message: format!(
                    "no column {column:?}; the columns are {}",
                    self.columns.join(", ")
                ),
            })
    }
}

/// A cell's value for comparison: decimals by value, NULL, or exact text.
#[derive(Debug, PartialEq, Eq, Hash, Clone)]
pub(crate) enum Value {
    Null,
    Number(Decimal),
    Text(String),
}

/// The value a cell stands for. A decimal may carry more places than an amount
/// when they are trailing zeros (`80000.000000`, as a `NUMERIC` without scale
/// reads back on PostgreSQL).
pub(crate) fn value(cell: &str) -> Value {
    if cell == NULL {
        return Value::Null;
    }
    if let Ok(number) = parse_amount(cell) {
        return Value::Number(number.normalize());
    }
    if let Some((whole, places)) = cell.trim().split_once('.') {
        let significant = places.trim_end_matches('0');
        if significant.len() < places.len() && places.bytes().all(|b| b.is_ascii_digit()) {
            let shorter = if significant.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{significant}")
            };
            if let Ok(number) = parse_amount(&shorter) {
                return Value::Number(number.normalize());
            }
        }
    }
    Value::Text(cell.to_string())
}

/// Whether two cells hold the same value: decimals by value (`80000`, `80000.00`
/// and `80,000` are the same), `NULL` only equal to `NULL`, other text exactly.
pub fn same_cell(a: &str, b: &str) -> bool {
    value(a) == value(b)
}

/// How `actual` differs from `expected`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableDiff {
    pub columns: Vec<String>,
    /// Expected rows not found (as many times as expected).
    pub missing: Vec<Vec<String>>,
    /// Rows found but not expected (or found more often than expected).
    pub unexpected: Vec<Vec<String>>,
    /// A missing row and the unexpected row it became (same first cell: the
    /// row's subject, as tables write it first), expected then found. Both
    /// rows are in `missing` and `unexpected` too.
    pub changed: Vec<(Vec<String>, Vec<String>)>,
}

impl TableDiff {
    /// No row missing and none unexpected.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty()
    }
}

/// How a changed row's line starts in a [`TableDiff`]'s text.
pub const CHANGED_PREFIX: &str = "  ~ changed:    ";
/// What separates the expected and the found row on a changed row's line.
pub const FOUND_AS: &str = " is found as ";

impl fmt::Display for TableDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the table differs ({}):", self.columns.join(" | "))?;
        for row in &self.missing {
            writeln!(f, "  - missing:    | {} |", row.join(" | "))?;
        }
        for row in &self.unexpected {
            writeln!(f, "  + unexpected: | {} |", row.join(" | "))?;
        }
        for (expected, found) in &self.changed {
            writeln!(
                f,
                "{CHANGED_PREFIX}| {} |{FOUND_AS}| {} |",
                expected.join(" | "),
                found.join(" | ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for TableDiff {}

/// Compares `actual` with `expected` on `expected`'s columns, as multisets of rows.
/// `actual` must have every column `expected` names.
pub fn compare_exact(expected: &Table, actual: &Table) -> Result<TableDiff, TableError> {
    let indexes: Vec<usize> = expected
        .columns
        .iter()
        .map(|c| actual.column(c))
        .collect::<Result<_, _>>()?;
    let project =
        |row: &Vec<String>| -> Vec<String> { indexes.iter().map(|&i| row[i].clone()).collect() };
    let mut remaining: Vec<(Vec<Value>, Vec<String>)> = actual
        .rows
        .iter()
        .map(project)
        .map(|row| (row.iter().map(|c| value(c)).collect(), row))
        .collect();
    let mut diff = TableDiff {
        columns: expected.columns.clone(),
        ..TableDiff::default()
    };
    for row in &expected.rows {
        let wanted: Vec<Value> = row.iter().map(|c| value(c)).collect();
        match remaining.iter().position(|(values, _)| *values == wanted) {
            Some(i) => {
                remaining.swap_remove(i);
            }
            None => diff.missing.push(row.clone()),
        }
    }
    diff.unexpected = remaining.into_iter().map(|(_, row)| row).collect();
    diff.unexpected.sort();
    diff.changed = pair_changed(&diff.missing, &diff.unexpected);
    Ok(diff)
}

/// Pairs each missing row with the unexpected row of the same first cell that
/// shares the most cells with it (each unexpected row at most once), so that a
/// reader sees one row whose value changed rather than one row gone and one
/// come. Tables of one column pair nothing.
fn pair_changed(
    missing: &[Vec<String>],
    unexpected: &[Vec<String>],
) -> Vec<(Vec<String>, Vec<String>)> {
    let mut taken = vec![false; unexpected.len()];
    let mut pairs = Vec::new();
    for row in missing {
        if row.len() < 2 {
            continue;
        }
        let shared = |other: &Vec<String>| {
            row.iter()
                .zip(other)
                .filter(|(a, b)| value(a) == value(b))
                .count()
        };
        let best = unexpected
            .iter()
            .enumerate()
            .filter(|(i, other)| !taken[*i] && value(&other[0]) == value(&row[0]))
            .max_by_key(|(i, other)| (shared(other), std::cmp::Reverse(*i)));
        if let Some((i, other)) = best {
            taken[i] = true;
            pairs.push((row.clone(), other.clone()));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        let raw: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        Table::from_raw(&raw).unwrap()
    }

    #[test]
    fn equal_tables_ignore_order_and_decimal_spelling() {
        let expected = table(&[&["person", "amount"], &["C", "80,000"], &["A", "1"]]);
        let actual = table(&[
            &["amount", "person", "status"],
            &["1.00", "A", "x"],
            &["80000", "C", "y"],
        ]);
        assert!(compare_exact(&expected, &actual).unwrap().is_empty());
    }

    #[test]
    fn duplicates_and_differences_are_named() {
        let expected = table(&[&["person", "amount"], &["A", "1"], &["C", "80000"]]);
        let actual = table(&[
            &["person", "amount"],
            &["A", "1"],
            &["A", "1"],
            &["C", "100000"],
        ]);
        let diff = compare_exact(&expected, &actual).unwrap();
        assert_eq!(
            diff.missing,
            vec![vec!["C".to_string(), "80000".to_string()]]
        );
        assert_eq!(diff.unexpected.len(), 2);
        let shown = diff.to_string();
        assert!(shown.contains("- missing:    | C | 80000 |"), "{shown}");
        assert!(shown.contains("+ unexpected: | C | 100000 |"), "{shown}");
        // C's amount changed; the second A is only unexpected.
        assert_eq!(
            diff.changed,
            vec![(
                vec!["C".to_string(), "80000".to_string()],
                vec!["C".to_string(), "100000".to_string()]
            )]
        );
        assert!(
            shown.contains("  ~ changed:    | C | 80000 | is found as | C | 100000 |"),
            "{shown}"
        );
    }

    #[test]
    fn cells_compare_decimals_by_value() {
        assert!(same_cell("80000", "80000.00"));
        assert!(same_cell("80,000", "80000.000000"));
        assert!(same_cell("-1.50", "-1.5"));
        assert!(!same_cell("80000", "75000"));
        assert!(!same_cell("NULL", ""));
        assert!(!same_cell("1.0x0", "1"));
        assert!(same_cell("abc", "abc"));
    }

    #[test]
    fn null_is_explicit_and_malformed_tables_are_errors() {
        let expected = table(&[&["a"], &["NULL"]]);
        assert!(
            !compare_exact(&expected, &table(&[&["a"], &[""]]))
                .unwrap()
                .is_empty()
        );
        let raw = vec![
            vec!["a".to_string(), "b".to_string()],
            vec!["1".to_string()],
        ];
        assert_eq!(Table::from_raw(&raw).unwrap_err().where_, "row 1");
        let err = compare_exact(&table(&[&["zz"]]), &table(&[&["a"]])).unwrap_err();
        assert!(err.message.contains("no column \"zz\""), "{err}");
    }
}
