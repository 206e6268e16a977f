//! The billing batch's input file: CSV with the header `person,period,amount`.
//!
//! Parsing is strict and happens completely before anything is written: a bad file
//! is rejected whole with the line, column and reason, so nothing is half-registered.

use std::collections::HashMap;

pub use crate::input::InputError;
use crate::money::{Amount, parse_amount};

use super::BillingKey;

/// The columns a billing input file must have, in any order.
pub const COLUMNS: [&str; 3] = ["person", "period", "amount"];

/// One line of the batch's input (登録しようとする情報).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchLine {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub key: BillingKey,
    pub amount: Amount,
}

/// A parsed batch input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchInput {
    /// The file's name as shown in messages and stored with the run.
    pub name: String,
    pub lines: Vec<BatchLine>,
}

/// Reads and parses a batch input file.
pub fn read_file(path: &std::path::Path) -> Result<BatchInput, InputError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InputError {
        file: name.clone(),
        line: None,
        column: None,
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&name, &bytes)
}

/// Parses a batch input. Accepts a UTF-8 byte-order mark; rejects anything else that
/// is not exactly the expected shape.
pub fn parse(name: &str, bytes: &[u8]) -> Result<BatchInput, InputError> {
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
                COLUMNS.join(",")
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .byte_headers()
        .map_err(|e| err(Some(1), None, csv_message(&e)))?
        .clone();
    let mut index = HashMap::new();
    for (i, raw) in headers.iter().enumerate() {
        let header = std::str::from_utf8(raw).map_err(|_| {
            err(
                Some(1),
                None,
                format!("header field {} is not valid UTF-8", i + 1),
            )
        })?;
        let header = header.trim().to_ascii_lowercase();
        if !COLUMNS.contains(&header.as_str()) {
            return Err(err(
                Some(1),
                Some(&header),
                format!(
                    "unknown column {header:?}; the columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
        if index.insert(header.clone(), i).is_some() {
            return Err(err(
                Some(1),
                Some(&header),
                format!("column {header:?} appears twice"),
            ));
        }
    }
    if let Some(missing) = COLUMNS.iter().find(|c| !index.contains_key(**c)) {
        return Err(err(
            Some(1),
            Some(missing),
            format!("missing column {missing:?}"),
        ));
    }
    let mut lines = Vec::new();
    let mut seen: HashMap<BillingKey, usize> = HashMap::new();
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(line, None, csv_message(&e))
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let field = |column: &str| -> Result<String, InputError> {
            let raw = record.get(index[column]).unwrap_or_default();
            std::str::from_utf8(raw)
                .map(|s| s.trim().to_string())
                .map_err(|_| err(Some(line), Some(column), "not valid UTF-8".into()))
        };
        let person = field("person")?;
        if person.is_empty() || person.chars().count() > 64 {
            return Err(err(
                Some(line),
                Some("person"),
                format!("a person is 1 to 64 characters, got {person:?}"),
            ));
        }
        let period = field("period")?;
        if !is_period(&period) {
            return Err(err(
                Some(line),
                Some("period"),
                format!("{period:?} is not a billing period; write YYYY-MM, e.g. 2026-11"),
            ));
        }
        let amount = parse_amount(&field("amount")?)
            .map_err(|e| err(Some(line), Some("amount"), e.to_string()))?;
        let key = BillingKey { person, period };
        if let Some(first) = seen.insert(key.clone(), line) {
            return Err(err(
                Some(line),
                Some("person"),
                format!(
                    "{key} appears twice in one file (first on line {first}); one line per person and period"
                ),
            ));
        }
        lines.push(BatchLine { line, key, amount });
    }
    Ok(BatchInput {
        name: name.to_string(),
        lines,
    })
}

/// Whether `text` is a billing period `YYYY-MM` with a month 01 to 12.
pub fn is_period(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(text[5..].parse::<u8>(), Ok(1..=12))
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("not valid UTF-8 (field {})", err.field() + 1),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_with_their_numbers_and_a_bom() {
        let input = parse(
            "b.csv",
            "\u{feff}person,period,amount\nA,2026-11,120000\nB , 2026-11 ,\"70,000\"\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(input.lines.len(), 2);
        assert_eq!(input.lines[1].line, 3);
        assert_eq!(input.lines[1].key.person, "B");
        assert_eq!(input.lines[1].amount, parse_amount("70000").unwrap());
    }

    fn fails(text: &[u8]) -> InputError {
        parse("b.csv", text).unwrap_err()
    }

    #[test]
    fn bad_files_name_line_column_and_reason() {
        let e = fails(b"person,period,amount\nA,2026-11,12x\n");
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("amount")));
        assert!(e.to_string().starts_with("b.csv:2 (column amount):"), "{e}");
        let e = fails(b"person,period,amount\nA,2026-11\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("2 fields where the header has 3"), "{e}");
        let e = fails(b"person,period,amount\nA,2026-13,1\n");
        assert_eq!(e.column.as_deref(), Some("period"));
        let e = fails(b"person,period,amount\nA,2026-11,1\nA,2026-11,2\n");
        assert!(e.message.contains("first on line 2"), "{e}");
        assert!(fails(b"").message.contains("empty"));
        assert!(
            fails(b"person,period,amount,extra\n")
                .message
                .contains("unknown column")
        );
        assert!(
            fails(b"person,amount\n")
                .message
                .contains("missing column \"period\"")
        );
        let e = fails(b"person,period,amount\n\xff,2026-11,1\n");
        assert!(e.message.contains("UTF-8"), "{e}");
        let e = fails(b"person,period,amount\nA,2026-11,\"80,00\"\n");
        assert_eq!(e.column.as_deref(), Some("amount"));
    }
}
