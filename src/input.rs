//! Input files in CSV (header line first), read strictly: a file is parsed
//! completely before anything is written, and an error names the file, line,
//! column and why.

use std::collections::HashMap;
use std::path::Path;

use crate::money::{Amount, parse_amount};

/// An input file that cannot be used, with where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", location(*.line, .column.as_deref()))]
pub struct InputError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<&str>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l} (column {c})"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// One data line of a CSV file: its line number and fields by column name.
#[derive(Clone, Debug)]
pub struct CsvLine {
    pub file: String,
    pub line: usize,
    fields: HashMap<String, String>,
}

impl CsvLine {
    /// The error for this line and `column`.
    pub fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.clone(),
            line: Some(self.line),
            column: Some(column.to_string()),
            message: message.into(),
        }
    }

    /// A non-empty text field.
    pub fn text(&self, column: &str) -> Result<&str, InputError> {
        let value = self
            .fields
            .get(column)
            .map(String::as_str)
            .unwrap_or_default();
        if value.is_empty() || value.chars().count() > 64 {
            return Err(self.error(
                column,
                format!("expected 1 to 64 characters, got {value:?}"),
            ));
        }
        Ok(value)
    }

    /// An exact decimal amount.
    pub fn amount(&self, column: &str) -> Result<Amount, InputError> {
        parse_amount(
            self.fields
                .get(column)
                .map(String::as_str)
                .unwrap_or_default(),
        )
        .map_err(|e| self.error(column, e.to_string()))
    }
}

/// Reads a CSV file whose header has exactly `columns` (in any order).
pub fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InputError {
        file: name.clone(),
        line: None,
        column: None,
        message: format!("cannot read the file: {e}"),
    })?;
    parse_csv(&name, &bytes, columns)
}

/// Parses CSV text whose header has exactly `columns` (in any order).
pub fn parse_csv(name: &str, bytes: &[u8], columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
    let err = |line: Option<usize>, column: Option<&str>, message: String| InputError {
        file: name.to_string(),
        line,
        column: column.map(str::to_string),
        message,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(err(
            None,
            None,
            format!(
                "the file is empty; expected a header line '{}'",
                columns.join(",")
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| err(Some(1), None, format!("unreadable header: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for (i, h) in header.iter().enumerate() {
        if !columns.contains(&h.as_str()) {
            return Err(err(
                Some(1),
                Some(h),
                format!(
                    "unknown column {h:?}; the columns are {}",
                    columns.join(", ")
                ),
            ));
        }
        if header[..i].contains(h) {
            return Err(err(Some(1), Some(h), format!("column {h:?} appears twice")));
        }
    }
    if let Some(missing) = columns.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(err(
            Some(1),
            Some(missing),
            format!("missing column {missing:?}"),
        ));
    }
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => {
                    format!("{len} fields where the header has {expected_len}")
                }
                csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                other => format!("{other:?}"),
            };
            err(line, None, message)
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let fields = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        lines.push(CsvLine {
            file: name.to_string(),
            line,
            fields,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_their_numbers_and_errors_name_the_column() {
        let lines = parse_csv(
            "tb.csv",
            b"company,account,amount\nP,cash,\"1,000\"\n",
            &["company", "account", "amount"],
        )
        .unwrap();
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].amount("amount").unwrap(), Amount::from(1000));
        let e = parse_csv(
            "tb.csv",
            b"company,account,amount\nP,cash,1.2.3\n",
            &["company", "account", "amount"],
        )
        .unwrap()[0]
            .amount("amount")
            .unwrap_err();
        assert_eq!(
            e.to_string()
                .split(':')
                .take(2)
                .collect::<Vec<_>>()
                .join(":"),
            "tb.csv:2 (column amount)"
        );
        assert!(
            parse_csv(
                "x.csv",
                b"company,account\n",
                &["company", "account", "amount"]
            )
            .is_err()
        );
        assert!(
            parse_csv("x.csv", b"", &["a"])
                .unwrap_err()
                .message
                .contains("empty")
        );
    }
}
