//! Input files of the consolidation service (CSV, header line first):
//!
//! | file | columns | one line per |
//! |---|---|---|
//! | companies | `company,currency,parent` (`parent` is `yes` for the one parent, in JPY) | company |
//! | chart of accounts | `account,kind` (kinds: asset, liability, equity, revenue, expense, net_income, translation_adjustment, fx_gain_loss) | account |
//! | trial balances | `company,account,amount` (company currency, each amount positive on its natural side) | company and account |
//! | exchange rates | `currency,closing,average,historical` (JPY per unit) | currency |
//! | adjustments | `company,stage,account,amount` (stage `local`: 個別修正; `jpy`: 換算修正) | company, stage and account |
//! | journal entries | `entry,account,side,amount` (side `D` or `C`) | (an entry has several lines) |
//! | monetary items | `company,account,currency,foreign_amount,booked_jpy` | company, account and currency |
//!
//! Every file is parsed completely, and checked against the group's companies and
//! accounts, before anything is written; an error names file, line, column and why.
//! Reading a file also refuses what the tables could not hold the same way on
//! every engine: the same key twice in one file (a later line would silently win)
//! and a code longer than its column (`company` 32 characters, `account` and
//! `entry` 64).

use std::collections::HashMap;
use std::path::Path;

pub use kensho_shared::input::{CsvLine, InputError};

/// A file format: its columns, the columns that identify a line, and what a line
/// is one of (for messages).
struct Format {
    columns: &'static [&'static str],
    key: &'static [&'static str],
    one_per: &'static str,
}

const FORMATS: [Format; 7] = [
    Format {
        columns: &["company", "currency", "parent"],
        key: &["company"],
        one_per: "company",
    },
    Format {
        columns: &["account", "kind"],
        key: &["account"],
        one_per: "account",
    },
    Format {
        columns: &["company", "account", "amount"],
        key: &["company", "account"],
        one_per: "company and account",
    },
    Format {
        columns: &["currency", "closing", "average", "historical"],
        key: &["currency"],
        one_per: "currency",
    },
    Format {
        columns: &["company", "stage", "account", "amount"],
        key: &["company", "stage", "account"],
        one_per: "company, stage and account",
    },
    Format {
        columns: &["entry", "account", "side", "amount"],
        key: &[],
        one_per: "",
    },
    Format {
        columns: &[
            "company",
            "account",
            "currency",
            "foreign_amount",
            "booked_jpy",
        ],
        key: &["company", "account", "currency"],
        one_per: "company, account and currency",
    },
];

/// Longest code each column holds (`VARCHAR(n)` in every engine's schema).
const LENGTHS: [(&str, usize); 3] = [("company", 32), ("account", 64), ("entry", 64)];

/// Reads a consolidation input file with the header `columns` (see
/// [`kensho_shared::input::read_csv`]), refusing a key given twice and a code too long for
/// its column.
pub fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
    let lines = kensho_shared::input::read_csv(path, columns)?;
    check(&lines, columns)?;
    Ok(lines)
}

fn check(lines: &[CsvLine], columns: &[&str]) -> Result<(), InputError> {
    for line in lines {
        for (column, max) in LENGTHS {
            let length = line.raw(column).chars().count();
            if columns.contains(&column) && length > max {
                return Err(line.error(
                    column,
                    format!(
                        "{length} characters, at most {max} are allowed for a {column} code: {:?}",
                        line.raw(column)
                    ),
                ));
            }
        }
    }
    let Some(format) = FORMATS.iter().find(|f| f.columns == columns) else {
        return Ok(());
    };
    if format.key.is_empty() {
        return Ok(());
    }
    let mut seen: HashMap<Vec<&str>, usize> = HashMap::new();
    for line in lines {
        let key: Vec<&str> = format.key.iter().map(|c| line.raw(c)).collect();
        if let Some(first) = seen.insert(key.clone(), line.line) {
            return Err(line.error(
                format.key.last().copied().unwrap_or_default(),
                format!(
                    "{} appears twice in one file (first on line {first}); one line per {}",
                    key.join(" "),
                    format.one_per
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
        let lines = kensho_shared::input::parse_csv("x.csv", text.as_bytes(), columns)?;
        check(&lines, columns)?;
        Ok(lines)
    }

    #[test]
    fn keys_given_twice_and_long_codes_are_refused() {
        let rates = FORMATS[3].columns;
        assert_eq!(
            lines(
                "currency,closing,average,historical\nUSD,150,145,110\nUSD,151,145,110\n",
                rates
            )
            .unwrap_err()
            .to_string(),
            "x.csv:3 (column currency): USD appears twice in one file (first on line 2); one line per currency"
        );
        let balances = FORMATS[2].columns;
        let long = "C".repeat(33);
        assert_eq!(
            lines(
                &format!("company,account,amount\n{long},cash,1\n"),
                balances
            )
            .unwrap_err()
            .to_string(),
            format!(
                "x.csv:2 (column company): 33 characters, at most 32 are allowed for a company code: {long:?}"
            )
        );
        // A journal entry has several lines.
        assert!(
            lines(
                "entry,account,side,amount\ne,cash,D,1\ne,cash,D,1\n",
                FORMATS[5].columns
            )
            .is_ok()
        );
    }
}
