//! The billing batch's input file: CSV with the header `person,period,amount`.
//!
//! Parsing is strict and happens completely before anything is written: a bad file
//! is rejected whole with the line, column and reason, so nothing is half-registered.

use std::collections::HashMap;

pub use kensho_shared::input::InputError;
use kensho_shared::money::Amount;

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
    let lines = kensho_shared::input::read_csv(path, &COLUMNS)?;
    from_lines(&path.display().to_string(), lines)
}

/// Parses a batch input. Accepts a UTF-8 byte-order mark; rejects anything else that
/// is not exactly the expected shape.
pub fn parse(name: &str, bytes: &[u8]) -> Result<BatchInput, InputError> {
    from_lines(
        name,
        kensho_shared::input::parse_csv(name, bytes, &COLUMNS)?,
    )
}

fn from_lines(
    name: &str,
    rows: Vec<kensho_shared::input::CsvLine>,
) -> Result<BatchInput, InputError> {
    let mut lines = Vec::with_capacity(rows.len());
    let mut seen: HashMap<BillingKey, usize> = HashMap::new();
    for row in rows {
        let person = row.text("person")?.to_string();
        let period = row.text("period")?.to_string();
        if !is_period(&period) {
            return Err(row.error(
                "period",
                format!("{period:?} is not a billing period; write YYYY-MM, e.g. 2026-11"),
            ));
        }
        let amount = row.amount("amount")?;
        let key = BillingKey { person, period };
        if let Some(first) = seen.insert(key.clone(), row.line) {
            return Err(row.error(
                "person",
                format!("{key} appears twice in one file (first on line {first}); one line per person and period"),
            ));
        }
        lines.push(BatchLine {
            line: row.line,
            key,
            amount,
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use kensho_shared::money::parse_amount;

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
            fails(b"person,period,amount,extra\nA,2026-11,1,x\n")
                .message
                .contains("unknown column")
        );
        assert!(
            fails(b"person,amount\nA,1\n")
                .message
                .contains("missing column \"period\"")
        );
        let e = fails(b"person,period,amount\n\xff,2026-11,1\n");
        assert!(e.message.contains("UTF-8"), "{e}");
        let e = fails(b"person,period,amount\nA,2026-11,\"80,00\"\n");
        assert_eq!(e.column.as_deref(), Some("amount"));
    }
}
