//! Differential runs: the same scenario run under two settings (e.g. a feature flag
//! off and on), each in its own database, must leave identical tables. This module
//! reads every table of a database generically (names from the engine's catalog,
//! every value as text) and names each difference by table, key, column and both
//! values.

use std::collections::BTreeMap;
use std::fmt;

use sqlx::{AssertSqlSafe, Row};

use super::schema::read_catalog;
use crate::db::Db;

/// Tables a differential comparison leaves out: bookkeeping, and the flags that
/// differ by design.
pub const IGNORED_TABLES: [&str; 2] = ["_sqlx_migrations", "feature_flag"];

/// One table read generically: column names, and rows keyed by primary key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableDump {
    pub columns: Vec<String>,
    /// Primary-key values (or the whole row where there is no primary key) → row.
    pub rows: BTreeMap<Vec<Option<String>>, Vec<Option<String>>>,
}

/// Every table of a database.
pub type DatabaseDump = BTreeMap<String, TableDump>;

/// One difference between two databases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    OnlyIn {
        side: String,
        table: String,
        key: String,
    },
    Cell {
        table: String,
        key: String,
        column: String,
        left: String,
        right: String,
    },
    Columns {
        table: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::OnlyIn { side, table, key } => {
                write!(f, "table {table}, key ({key}): row only in {side}")
            }
            Difference::Cell {
                table,
                key,
                column,
                left,
                right,
            } => {
                write!(
                    f,
                    "table {table}, key ({key}), column {column}: {left} ≠ {right}"
                )
            }
            Difference::Columns { table } => write!(f, "table {table}: the columns differ"),
        }
    }
}

/// The first `most` differences, one an indented line, for a failure message.
pub fn listed(differences: &[Difference], most: usize) -> String {
    differences
        .iter()
        .take(most)
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {source}")]
pub struct DumpError {
    what: String,
    #[source]
    source: sqlx::Error,
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "NULL".into())
}

fn key_text(key: &[Option<String>]) -> String {
    key.iter().map(shown).collect::<Vec<_>>().join(", ")
}

/// Compares two dumps; `left` and `right` name the sides in the differences.
pub fn compare(left: &str, a: &DatabaseDump, right: &str, b: &DatabaseDump) -> Vec<Difference> {
    let mut out = Vec::new();
    let tables: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for table in tables {
        let empty = TableDump::default();
        let (ta, tb) = (
            a.get(table).unwrap_or(&empty),
            b.get(table).unwrap_or(&empty),
        );
        if !ta.columns.is_empty() && !tb.columns.is_empty() && ta.columns != tb.columns {
            out.push(Difference::Columns {
                table: table.clone(),
            });
            continue;
        }
        let columns = if ta.columns.is_empty() {
            &tb.columns
        } else {
            &ta.columns
        };
        for (key, row) in &ta.rows {
            match tb.rows.get(key) {
                None => out.push(Difference::OnlyIn {
                    side: left.into(),
                    table: table.clone(),
                    key: key_text(key),
                }),
                Some(other) => {
                    for (i, column) in columns.iter().enumerate() {
                        if row.get(i) != other.get(i) {
                            out.push(Difference::Cell {
                                table: table.clone(),
                                key: key_text(key),
                                column: column.clone(),
                                left: format!("{} ({left})", shown(&row[i])),
                                right: format!("{} ({right})", shown(&other[i])),
                            });
                        }
                    }
                }
            }
        }
        for key in tb.rows.keys().filter(|k| !ta.rows.contains_key(*k)) {
            out.push(Difference::OnlyIn {
                side: right.into(),
                table: table.clone(),
                key: key_text(key),
            });
        }
    }
    out
}

/// Reads every table of `db` (but [`IGNORED_TABLES`]).
pub async fn dump(db: &Db) -> Result<DatabaseDump, DumpError> {
    let err = |what: &str| {
        let what = what.to_string();
        move |source| DumpError { what, source }
    };
    // (table, [(column, position in primary key or 0)]), from the catalog.
    let schema = read_catalog(db).await.map_err(err("the catalog"))?;
    let layout: Vec<(String, Vec<(String, i64)>)> = schema
        .tables()
        .map(|t| {
            let columns = t
                .columns
                .iter()
                .map(|c| {
                    let position = t.primary_key.iter().position(|k| *k == c.name);
                    (c.name.clone(), position.map_or(0, |p| p as i64 + 1))
                })
                .collect();
            (t.name.clone(), columns)
        })
        .collect();
    let mut out = DatabaseDump::new();
    for (table, columns) in layout {
        if IGNORED_TABLES.contains(&table.as_str()) {
            continue;
        }
        let checked = |name: &str| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !checked(&table) || !columns.iter().all(|(c, _)| checked(c)) {
            continue; // only the services' own plain identifiers are read
        }
        let select = |cast: &dyn Fn(&str) -> String, quote: char| {
            let list: Vec<String> = columns
                .iter()
                .map(|(c, _)| cast(&format!("{quote}{c}{quote}")))
                .collect();
            format!("SELECT {} FROM {quote}{table}{quote}", list.join(", "))
        };
        // Every value as text, one query per table.
        macro_rules! text_rows {
            ($pool:expr, $sql:expr) => {
                sqlx::query(AssertSqlSafe($sql))
                    .fetch_all($pool)
                    .await
                    .map_err(err(&table))?
                    .iter()
                    .map(|r| (0..columns.len()).map(|i| r.get(i)).collect())
                    .collect()
            };
        }
        let rows: Vec<Vec<Option<String>>> = match db {
            Db::Sqlite(p) => text_rows!(p, select(&|c| format!("CAST({c} AS TEXT)"), '"')),
            Db::Postgres(p) => text_rows!(p, select(&|c| format!("({c})::text"), '"')),
            Db::MySql(p) => text_rows!(p, select(&|c| format!("CAST({c} AS CHAR)"), '`')),
        };
        let mut key_positions: Vec<(i64, usize)> = columns
            .iter()
            .enumerate()
            .filter(|(_, (_, pk))| *pk > 0)
            .map(|(i, (_, pk))| (*pk, i))
            .collect();
        key_positions.sort();
        let mut dumped = TableDump {
            columns: columns.iter().map(|(c, _)| c.clone()).collect(),
            rows: BTreeMap::new(),
        };
        for row in rows {
            let key = if key_positions.is_empty() {
                row.clone()
            } else {
                key_positions.iter().map(|(_, i)| row[*i].clone()).collect()
            };
            dumped.rows.insert(key, row);
        }
        out.insert(table, dumped);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &str)]) -> TableDump {
        TableDump {
            columns: vec!["account".into(), "amount".into()],
            rows: rows
                .iter()
                .map(|(k, v)| {
                    (
                        vec![Some(k.to_string())],
                        vec![Some(k.to_string()), Some(v.to_string())],
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn differences_name_table_key_column_and_both_values() {
        let a = DatabaseDump::from([(
            "cons_statement_line".to_string(),
            table(&[("net_income", "58000"), ("cash", "1")]),
        )]);
        let b = DatabaseDump::from([(
            "cons_statement_line".to_string(),
            table(&[("net_income", "116000"), ("sales", "2")]),
        )]);
        let diffs: Vec<String> = compare("off", &a, "on", &b)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            diffs,
            vec![
                "table cons_statement_line, key (cash): row only in off",
                "table cons_statement_line, key (net_income), column amount: 58000 (off) ≠ 116000 (on)",
                "table cons_statement_line, key (sales): row only in on",
            ]
        );
        assert!(compare("off", &a, "on", &a).is_empty());
    }
}
