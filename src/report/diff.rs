//! A table step's failure read back as rows (差分): the expected rows not
//! found, the rows found and not expected, and the rows whose cells changed,
//! from the text [`crate::check::table::TableDiff`] writes. The HTML page shows
//! them side by side, each differing row once, and marks the rows of the
//! scenario's database tables with them.

use kensho_shared::vocabulary::{self, Term};

use super::{ResultTable, RowMark};
use crate::check::table::{CHANGED_PREFIX, FOUND_AS, same_cell};

/// How a failed table step's rows differ, each differing row once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowsDiff {
    /// The compared columns (the step's header).
    pub columns: Vec<String>,
    /// Rows whose cells changed: expected, then found.
    pub changed: Vec<(Vec<String>, Vec<String>)>,
    /// Expected rows not found, and not changed either.
    pub missing: Vec<Vec<String>>,
    /// Rows found, not expected, and not the change of an expected row.
    pub unexpected: Vec<Vec<String>>,
}

/// The header line's start.
const HEADER: &str = "the table differs (";

/// The cells of `| a | b |`.
fn cells(row: &str) -> Option<Vec<String>> {
    let inner = row.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split(" | ").map(|c| c.trim().to_string()).collect())
}

/// Reads a table diff out of a failure message; `None` when it holds none.
pub fn parse(message: &str) -> Option<RowsDiff> {
    let mut lines = message.lines();
    let header = lines.find_map(|l| {
        let at = l.find(HEADER)?;
        l[at + HEADER.len()..]
            .strip_suffix("):")
            .map(str::to_string)
    })?;
    let columns: Vec<String> = header.split(" | ").map(str::to_string).collect();
    let mut diff = RowsDiff {
        columns,
        ..RowsDiff::default()
    };
    for line in lines {
        let width = |row: &Vec<String>| row.len() == diff.columns.len();
        if let Some(rest) = line.strip_prefix(CHANGED_PREFIX) {
            let Some((expected, found)) = rest.split_once(FOUND_AS) else {
                continue;
            };
            if let (Some(expected), Some(found)) = (cells(expected), cells(found))
                && width(&expected)
                && width(&found)
            {
                diff.changed.push((expected, found));
            }
        } else if let Some(rest) = line.trim_start().strip_prefix("- missing:") {
            if let Some(row) = cells(rest).filter(width) {
                diff.missing.push(row);
            }
        } else if let Some(rest) = line.trim_start().strip_prefix("+ unexpected:") {
            if let Some(row) = cells(rest).filter(width) {
                diff.unexpected.push(row);
            }
        } else if !line.starts_with("  ") {
            break;
        }
    }
    // Each differing row once: a changed row is neither missing nor unexpected.
    for (expected, found) in &diff.changed {
        if let Some(i) = diff.missing.iter().position(|r| r == expected) {
            diff.missing.remove(i);
        }
        if let Some(i) = diff.unexpected.iter().position(|r| r == found) {
            diff.unexpected.remove(i);
        }
    }
    Some(diff)
}

/// Whether a database cell holds what a step's cell says: the same value
/// (decimals by value), or the code the step's label stands for.
fn same(term: Option<&Term>, stored: &str, written: &str) -> bool {
    same_cell(stored, written) || term.and_then(|t| t.code(written)) == Some(stored.trim())
}

/// Marks the rows of a scenario's database `table` with the failed step's
/// `diff`: the row a changed row was found as is changed (its differing cells
/// with the expected values), a row found and not expected is unexpected, an
/// expected row not found is added as missing, the others stay as they are.
/// A table that lacks one of the step's columns is left as it is.
pub fn mark(table: &mut ResultTable, diff: &RowsDiff, terms: &[Term]) {
    let mapped: Option<Vec<(usize, Option<&Term>)>> = diff
        .columns
        .iter()
        .map(|header| {
            let term = vocabulary::of_header(terms, header)
                .filter(|t| t.table == table.table)
                .or_else(|| vocabulary::of_column(terms, &table.table, header));
            let index = table
                .columns
                .iter()
                .position(|c| c == header || term.is_some_and(|t| t.column == c))?;
            Some((
                index,
                vocabulary::of_column(terms, &table.table, &table.columns[index]),
            ))
        })
        .collect();
    let Some(mapped) = mapped else {
        return;
    };
    let matches = |row: &Vec<String>, cells: &[String]| {
        mapped
            .iter()
            .zip(cells)
            .all(|((i, term), cell)| same(*term, &row[*i], cell))
    };
    let mut claimed = vec![false; table.rows.len()];
    for (expected, found) in &diff.changed {
        let Some(r) =
            (0..table.rows.len()).find(|&r| !claimed[r] && matches(&table.rows[r].1, found))
        else {
            continue;
        };
        claimed[r] = true;
        let cells = mapped
            .iter()
            .zip(expected.iter().zip(found))
            .filter(|(_, (e, f))| !same_cell(e, f))
            .map(|((i, _), (e, _))| (*i, e.clone()))
            .collect();
        table.rows[r].0 = RowMark::Changed(cells);
    }
    for found in &diff.unexpected {
        if let Some(r) =
            (0..table.rows.len()).find(|&r| !claimed[r] && matches(&table.rows[r].1, found))
        {
            claimed[r] = true;
            table.rows[r].0 = RowMark::Unexpected;
        }
    }
    for expected in &diff.missing {
        let mut row = vec![String::new(); table.columns.len()];
        for ((i, _), cell) in mapped.iter().zip(expected) {
            row[*i] = cell.clone();
        }
        table.rows.push((RowMark::Missing, row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::table::{Table, compare_exact};

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    /// A table of people and amounts.
    fn table(rows: &[[&str; 2]]) -> Table {
        Table {
            columns: row(&["person", "amount"]),
            rows: rows.iter().map(|r| row(r)).collect(),
        }
    }

    #[test]
    fn a_diff_reads_back_with_each_differing_row_once() {
        let expected = table(&[["A", "1"], ["B", "75,000"], ["D", "30,000"]]);
        let actual = table(&[["A", "1"], ["B", "70000"], ["E", "5"]]);
        let diff = compare_exact(&expected, &actual).unwrap();
        let message = format!("features/x.feature:9: active billing records: {diff}");
        let read = parse(&message).unwrap();
        assert_eq!(read.columns, ["person", "amount"]);
        assert_eq!(
            read.changed,
            vec![(row(&["B", "75,000"]), row(&["B", "70000"]))]
        );
        assert_eq!(read.missing, vec![row(&["D", "30,000"])]);
        assert_eq!(read.unexpected, vec![row(&["E", "5"])]);
        assert_eq!(parse("the step failed: no table"), None);
    }

    #[test]
    fn database_rows_are_marked_truthfully() {
        const STATUS: Term = Term {
            service: "billing",
            table: "billing_record",
            column: "status",
            headers: &[],
            meaning: kensho_shared::vocabulary::Meaning::Codes(&[
                kensho_shared::vocabulary::Code {
                    code: "1",
                    en: "deleted",
                    ja: "削除済み",
                },
            ]),
        };
        let diff = RowsDiff {
            columns: vec!["person".into(), "amount".into(), "status".into()],
            changed: vec![(
                row(&["B", "75,000", "deleted"]),
                row(&["B", "70000", "deleted"]),
            )],
            missing: vec![row(&["D", "30,000", "deleted"])],
            unexpected: vec![row(&["E", "5", "deleted"])],
        };
        let mut db = ResultTable {
            title: "billing_record".into(),
            table: "billing_record".into(),
            columns: vec![
                "id".into(),
                "person".into(),
                "amount".into(),
                "status".into(),
            ],
            rows: vec![
                (RowMark::Same, row(&["1", "A", "1", "0"])),
                (RowMark::Same, row(&["2", "B", "70000", "1"])),
                (RowMark::Same, row(&["3", "E", "5", "1"])),
            ],
        };
        mark(&mut db, &diff, &[STATUS]);
        let marks: Vec<_> = db.rows.iter().map(|(m, _)| m.clone()).collect();
        assert_eq!(
            marks,
            [
                RowMark::Same,
                RowMark::Changed(vec![(2, "75,000".into())]),
                RowMark::Unexpected,
                RowMark::Missing,
            ]
        );
        assert_eq!(db.rows[3].1, row(&["", "D", "30,000", "deleted"]));
        // A table without the step's columns is left alone.
        let mut other = ResultTable {
            table: "other".into(),
            columns: vec!["x".into()],
            rows: vec![(RowMark::Same, row(&["1"]))],
            ..ResultTable::default()
        };
        mark(&mut other, &diff, &[]);
        assert_eq!(other.rows, vec![(RowMark::Same, row(&["1"]))]);
    }
}
