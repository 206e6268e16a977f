//! Checks the business invariants the services declare ([`kensho_shared::invariant`]) on a
//! scenario's database: reads the tables a rule names (names checked against the
//! schema first) and evaluates the rule in Rust, amounts as decimals.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::expect::{ExpectError, read_with_schema};
use super::schema::read_schema;
use super::table::{NULL, Table};
use crate::db::Db;
use kensho_shared::invariant::{Invariant, Rule};

/// Most offending rows a violation lists.
const SHOWN: usize = 20;

/// An invariant that does not hold, with the rows that break it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    /// Each offending row (or group), as a person reads it.
    pub rows: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Invariant {
            service,
            name,
            rule,
        } = &self.invariant;
        write!(
            f,
            "invariant of {service} violated: {name} ({}; {} offending)",
            rule.tables().join(", "),
            self.rows.len()
        )?;
        for row in self.rows.iter().take(SHOWN) {
            write!(f, "\n    {row}")?;
        }
        if self.rows.len() > SHOWN {
            write!(f, "\n    ... and {} more", self.rows.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// Why an invariant could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[error("invariant of {service} {name:?} could not be checked: {source}")]
pub struct InvariantError {
    pub service: &'static str,
    pub name: &'static str,
    #[source]
    pub source: ExpectError,
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|c| c.to_string()).collect()
}

/// Checks every invariant in `invariants`; returns those that do not hold.
pub async fn check(db: &Db, invariants: &[Invariant]) -> Result<Vec<Violation>, InvariantError> {
    let mut violations = Vec::new();
    // The catalog is read once for all invariants (a failure is the first one's).
    let mut schema = None;
    for invariant in invariants {
        let err = |source| InvariantError {
            service: invariant.service,
            name: invariant.name,
            source,
        };
        let schema = match &mut schema {
            Some(schema) => &*schema,
            None => &*schema.insert(
                read_schema(db)
                    .await
                    .map_err(|e| err(ExpectError::from(e)))?,
            ),
        };
        let rows = match invariant.rule {
            Rule::Unique {
                table,
                columns: key,
                only_where,
            } => {
                let mut wanted = columns(key);
                if let Some((column, _)) = only_where {
                    wanted.push(column.to_string());
                }
                let t = read_with_schema(db, schema, table, &wanted)
                    .await
                    .map_err(err)?;
                duplicates(&t, key.len(), only_where.map(|(_, v)| v))
            }
            Rule::References {
                table,
                column,
                target,
                target_column,
            } => {
                let from = read_with_schema(db, schema, table, &columns(&[column]))
                    .await
                    .map_err(err)?;
                let to = read_with_schema(db, schema, target, &columns(&[target_column]))
                    .await
                    .map_err(err)?;
                dangling(&from, &to, table, column, target, target_column)
            }
            Rule::Balanced {
                table,
                group_by,
                groups,
                kind,
                amount,
                plus,
                minus,
            } => {
                let t = read_with_schema(db, schema, table, &columns(&[group_by, kind, amount]))
                    .await
                    .map_err(err)?;
                unbalanced(&t, group_by, groups, plus, minus)
            }
        };
        if !rows.is_empty() {
            violations.push(Violation {
                invariant: *invariant,
                rows,
            });
        }
    }
    Ok(violations)
}

/// Keys (the first `key_len` columns) that occur more than once among the rows whose
/// last column equals `only` (when given).
fn duplicates(t: &Table, key_len: usize, only: Option<&str>) -> Vec<String> {
    let mut counts: BTreeMap<&[String], usize> = BTreeMap::new();
    for row in &t.rows {
        if only.is_some_and(|v| row.last().map(String::as_str) != Some(v)) {
            continue;
        }
        *counts.entry(&row[..key_len]).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(key, n)| {
            let pairs: Vec<String> = t.columns[..key_len]
                .iter()
                .zip(key)
                .map(|(c, v)| format!("{c} = {v}"))
                .collect();
            format!("{}: {n} rows", pairs.join(", "))
        })
        .collect()
}

fn dangling(
    from: &Table,
    to: &Table,
    table: &str,
    column: &str,
    target: &str,
    target_column: &str,
) -> Vec<String> {
    let known: BTreeSet<&str> = to.rows.iter().map(|r| r[0].as_str()).collect();
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &from.rows {
        let value = row[0].as_str();
        if value != NULL && !known.contains(value) {
            *missing.entry(value).or_default() += 1;
        }
    }
    missing
        .into_iter()
        .map(|(value, n)| {
            format!(
                "{table}.{column} = {value} ({n} rows): no {target} with {target_column} = {value}"
            )
        })
        .collect()
}

fn unbalanced(
    t: &Table,
    group_by: &str,
    groups: &[&str],
    plus: &[&str],
    minus: &[&str],
) -> Vec<String> {
    let mut sums: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    let mut bad = Vec::new();
    for row in &t.rows {
        let (group, kind, amount) = (row[0].as_str(), row[1].as_str(), row[2].as_str());
        if !groups.is_empty() && !groups.contains(&group) {
            continue;
        }
        let Ok(value) = Decimal::from_str(amount) else {
            bad.push(format!(
                "{group_by} = {group}: amount {amount:?} is not a decimal"
            ));
            continue;
        };
        let entry = sums.entry(group).or_default();
        if plus.contains(&kind) {
            entry.0 += value;
        } else if minus.contains(&kind) {
            entry.1 += value;
        }
    }
    bad.extend(
        sums.into_iter()
            .filter(|(_, (p, m))| p != m)
            .map(|(group, (p, m))| {
                format!(
                    "{group_by} = {group}: {} {} ≠ {} {} (difference {})",
                    plus.join(" + "),
                    p.normalize(),
                    minus.join(" + "),
                    m.normalize(),
                    (p - m).normalize()
                )
            }),
    );
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn duplicates_among_filtered_rows_are_named_with_their_count() {
        let t = table(
            &["person", "period", "status"],
            &[
                &["A", "2026-11", "1"],
                &["A", "2026-11", "0"],
                &["B", "2026-11", "1"],
                &["B", "2026-11", "1"],
            ],
        );
        assert_eq!(
            duplicates(&t, 2, Some("1")),
            vec!["person = B, period = 2026-11: 2 rows"]
        );
        assert_eq!(duplicates(&t, 2, None).len(), 2);
    }

    #[test]
    fn dangling_references_name_value_and_target() {
        let photos = table(&["customer_id"], &[&["1"], &["2"], &["2"], &["NULL"]]);
        let customers = table(&["id"], &[&["1"]]);
        assert_eq!(
            dangling(
                &photos,
                &customers,
                "album_photo",
                "customer_id",
                "album_owner",
                "id"
            ),
            vec!["album_photo.customer_id = 2 (2 rows): no album_owner with id = 2"]
        );
    }

    #[test]
    fn balance_is_decimal_and_per_group() {
        let t = table(
            &["company", "kind", "amount"],
            &[
                &["*", "asset", "100.10"],
                &["*", "liability", "60.0000"],
                &["*", "equity", "40.1"],
                &["*", "revenue", "999"],
                &["US", "asset", "5"],
            ],
        );
        let plus = ["asset"];
        let minus = ["liability", "equity"];
        assert!(unbalanced(&t, "company", &["*"], &plus, &minus).is_empty());
        assert_eq!(
            unbalanced(&t, "company", &[], &plus, &minus),
            vec!["company = US: asset 5 ≠ liability + equity 0 (difference 5)"]
        );
    }
}
