//! Input files in CSV (header line first), read strictly: a file is parsed
//! completely before anything is written, and an error names the file, line,
//! column and why.
//!
//! The text must be UTF-8 (a leading UTF-8 byte-order mark, as Excel's "CSV UTF-8"
//! writes it, is accepted and dropped); UTF-16 and Shift_JIS files are refused
//! with what they are and how to save them. Fields are separated by `,`, records by
//! LF or CRLF; a field with a comma, quote or line break is quoted (`"80,000"`),
//! a quote inside it doubled (`""`). Fields are trimmed; blank lines are skipped.
//! Anything else (an unclosed quote, text after a closing quote, a quote inside an
//! unquoted field, a lone CR) is an error at its line and character, never a guess.
//! Only regular files are read (a folder, named pipe, device or socket is refused
//! before it is opened), and never more than [`MAX_INPUT_BYTES`]: a file whose size
//! says more is refused before it is read, and the read itself stops one byte past
//! the limit whatever the size said. Messages never repeat a file's content beyond
//! the offending cell, cut to [`SHOWN_CHARS`] characters ([`shown`]).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::money::{Amount, parse_amount};

/// Largest input file accepted (64 MiB); larger ones are refused before reading.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// How many characters of a cell a message shows at most ([`shown`]).
pub const SHOWN_CHARS: usize = 40;

/// `text` as a message may show it: at most [`SHOWN_CHARS`] characters, and `…`
/// after them when it was cut. A message quotes a file's content only through this.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

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

impl InputError {
    fn at(file: &str, line: Option<usize>, column: Option<&str>, message: String) -> InputError {
        InputError {
            file: file.to_string(),
            line,
            column: column.map(shown),
            message,
        }
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
    /// The error for this line and `column`. A cell of the line that the message
    /// quotes is shown cut ([`shown`]): a message never carries more of the file.
    pub fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        let mut message = message.into();
        for value in self.fields.values() {
            if value.chars().count() > SHOWN_CHARS {
                let cut = shown(value);
                message = message
                    .replace(&format!("{value:?}"), &format!("{cut:?}"))
                    .replace(value.as_str(), &cut);
            }
        }
        InputError::at(&self.file, Some(self.line), Some(column), message)
    }

    /// The field of `column` as written (trimmed; empty if the column is not there).
    pub fn raw(&self, column: &str) -> &str {
        self.fields
            .get(column)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// A non-empty text field.
    pub fn text(&self, column: &str) -> Result<&str, InputError> {
        let value = self.raw(column);
        if value.is_empty() {
            return Err(self.error(column, "the field is empty; a value is required"));
        }
        let length = value.chars().count();
        if length > 64 {
            return Err(self.error(
                column,
                format!(
                    "{length} characters, at most 64 are allowed: {:?}",
                    shown(value)
                ),
            ));
        }
        Ok(value)
    }

    /// An exact decimal amount.
    pub fn amount(&self, column: &str) -> Result<Amount, InputError> {
        parse_amount(self.raw(column)).map_err(|e| self.error(column, e.to_string()))
    }
}

/// Reads an input file's bytes. Only a regular file is read: a folder, named pipe
/// (FIFO), device or socket is refused before it is opened (a pipe may never answer,
/// a device never end). A file whose size says more than [`MAX_INPUT_BYTES`] is
/// refused before it is read, and the read stops one byte past the limit whatever
/// the size said ([`read_capped`]). `name` is how messages show the file.
pub fn read_input(path: &Path, name: &str) -> Result<Vec<u8>, InputError> {
    let metadata = std::fs::metadata(path).map_err(cannot_read(name))?;
    regular_file(name, &metadata)?;
    check_size(name, metadata.len(), MAX_INPUT_BYTES)?;
    let file = std::fs::File::open(path).map_err(cannot_read(name))?;
    // What was opened is what is read: checked again on the open file.
    regular_file(name, &file.metadata().map_err(cannot_read(name))?)?;
    read_capped(file, name, MAX_INPUT_BYTES)
}

/// Reads at most `limit` bytes from `reader`, through `Read::take(limit + 1)`: a
/// reader with more than `limit` bytes is refused after `limit + 1` bytes, however
/// long (or endless) it is.
pub fn read_capped(reader: impl Read, name: &str, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot_read(name))?;
    if bytes.len() as u64 > limit {
        return Err(InputError::at(
            name,
            None,
            None,
            format!(
                "the file holds more than {} (it grew while it was read, or its size was not known before); input files are limited to {}: split it into smaller files",
                size_text(limit),
                size_text(limit)
            ),
        ));
    }
    Ok(bytes)
}

fn cannot_read(name: &str) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |e| InputError::at(name, None, None, format!("cannot read the file: {e}"))
}

/// Refuses anything but a regular file, saying what it is.
fn regular_file(name: &str, metadata: &std::fs::Metadata) -> Result<(), InputError> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(InputError::at(
            name,
            None,
            None,
            "is a folder, not a file; give the path of a CSV file".into(),
        ));
    }
    Err(InputError::at(
        name,
        None,
        None,
        format!(
            "is {}, not a regular file; input is read only from saved files (a pipe or device may never answer, or never end): save the data to a file and give that file",
            special_kind(&kind)
        ),
    ))
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// `bytes` as "64 MiB" (whole mebibytes) or "1000 bytes".
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

fn check_size(name: &str, len: u64, limit: u64) -> Result<(), InputError> {
    if len <= limit {
        return Ok(());
    }
    const MIB: f64 = 1024.0 * 1024.0;
    Err(InputError::at(
        name,
        None,
        None,
        format!(
            "the file is {:.1} MiB ({len} bytes); input files are limited to {}: split it into smaller files",
            len as f64 / MIB,
            size_text(limit)
        ),
    ))
}

/// Whether `bytes` (not UTF-8) read as Japanese Shift_JIS: ASCII, half-width
/// katakana and valid two-byte sequences only, at least one of them a kana or
/// symbol (lead byte 81–84) or with a trail byte of 80 or more. Latin-1 text
/// (`Müller`, `Hélène`: an accented letter, then ASCII) is not taken for it.
fn looks_like_shift_jis(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut japanese = false;
    while i < bytes.len() {
        match bytes[i] {
            0x00..=0x7F | 0xA1..=0xDF => i += 1,
            lead @ (0x81..=0x9F | 0xE0..=0xFC) => {
                let trail = match bytes.get(i + 1) {
                    Some(&t @ (0x40..=0x7E | 0x80..=0xFC)) => t,
                    _ => return false,
                };
                japanese |= (0x81..=0x84).contains(&lead) || trail >= 0x80;
                i += 2;
            }
            _ => return false,
        }
    }
    japanese
}

/// Line (1-based) and character in that line (1-based) of byte `at` of `bytes`,
/// whose first `at` bytes are UTF-8.
fn position(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let character = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    (line, character)
}

/// The text of an input file: UTF-8, without a leading byte-order mark. Refuses a
/// file over [`MAX_INPUT_BYTES`], UTF-16/UTF-32 (by their byte-order marks or NUL
/// bytes) and anything that is not UTF-8, naming the line and character and, for
/// Shift_JIS, what the file is.
pub fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    check_size(name, bytes.len() as u64, MAX_INPUT_BYTES)?;
    let save_as = "save it as \"CSV UTF-8\" and import it again";
    for (bom, what) in [
        (
            &b"\xFF\xFE\x00\x00"[..],
            "UTF-32 (byte-order mark FF FE 00 00)",
        ),
        (
            &b"\x00\x00\xFE\xFF"[..],
            "UTF-32 (byte-order mark 00 00 FE FF)",
        ),
        (
            &b"\xFF\xFE"[..],
            "UTF-16 (byte-order mark FF FE, as Excel's \"Unicode Text\" saves it)",
        ),
        (&b"\xFE\xFF"[..], "UTF-16 (byte-order mark FE FF)"),
    ] {
        if bytes.starts_with(bom) {
            return Err(InputError::at(
                name,
                Some(1),
                None,
                format!("the file is {what}, not UTF-8; {save_as}"),
            ));
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            if let Some(at) = text.find('\0') {
                let (line, character) = position(bytes, at);
                return Err(InputError::at(
                    name,
                    Some(line),
                    None,
                    format!(
                        "a NUL byte at character {character}: the file looks like UTF-16 without a byte-order mark, or is not text; {save_as}"
                    ),
                ));
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.valid_up_to();
            let (line, character) = position(bytes, at);
            let shown: Vec<String> = bytes[at..(at + 2).min(bytes.len())]
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            let what = if looks_like_shift_jis(bytes) {
                "the file looks like Shift_JIS (as Excel saves \"CSV\" on Japanese Windows)"
            } else {
                "the file is in another encoding or is not text"
            };
            Err(InputError::at(
                name,
                Some(line),
                None,
                format!(
                    "not UTF-8 at character {character} (bytes {}): {what}; {save_as}",
                    shown.join(" ")
                ),
            ))
        }
    }
}

/// One record of a CSV text: the line it starts on and its fields, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits CSV text into records, strictly (see the module documentation). Blank
/// lines are skipped; every error names the line and the character in it.
pub fn records(name: &str, text: &str) -> Result<Vec<Record>, InputError> {
    let b = text.as_bytes();
    let character = |line_start: usize, at: usize| text[line_start..at].chars().count() + 1;
    let fail = |line: usize, message: String| Err(InputError::at(name, Some(line), None, message));
    let lone_cr = "a carriage return (CR) without a line feed; lines end with LF or CR LF";
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0, 1, 0);
    while i < b.len() {
        let record_line = line;
        let mut fields = Vec::new();
        let mut blank = true;
        loop {
            let mut j = i;
            while j < b.len() && matches!(b[j], b' ' | b'\t') {
                j += 1;
            }
            if b.get(j) == Some(&b'"') {
                blank = false;
                let (open_line, open_at) = (line, character(line_start, j));
                let mut value = String::new();
                let (mut k, mut from) = (j + 1, j + 1);
                loop {
                    match b.get(k) {
                        None => {
                            return fail(
                                open_line,
                                format!(
                                    "the quote at character {open_at} opens a field that is never closed; close it with '\"' (a quote inside a field is written twice: \"\")"
                                ),
                            );
                        }
                        Some(b'"') if b.get(k + 1) == Some(&b'"') => {
                            value.push_str(&text[from..=k]);
                            k += 2;
                            from = k;
                        }
                        Some(b'"') => {
                            value.push_str(&text[from..k]);
                            k += 1;
                            break;
                        }
                        Some(b'\n') => {
                            k += 1;
                            line += 1;
                            line_start = k;
                        }
                        Some(_) => k += 1,
                    }
                }
                while k < b.len() && matches!(b[k], b' ' | b'\t') {
                    k += 1;
                }
                match (b.get(k), b.get(k + 1)) {
                    (None | Some(b',' | b'\n'), _) | (Some(b'\r'), Some(b'\n')) => {}
                    (Some(b'\r'), _) => return fail(line, lone_cr.to_string()),
                    (Some(_), _) => {
                        return fail(
                            line,
                            format!(
                                "text after the closing quote at character {}; quote the whole field and write a quote inside it twice (\"\")",
                                character(line_start, k)
                            ),
                        );
                    }
                }
                fields.push(value.trim().to_string());
                i = k;
            } else {
                let mut k = j;
                while k < b.len() && !matches!(b[k], b',' | b'\n' | b'\r' | b'"') {
                    k += 1;
                }
                match (b.get(k), b.get(k + 1)) {
                    (Some(b'"'), _) => {
                        return fail(
                            line,
                            format!(
                                "a quote at character {} inside an unquoted field; quote the whole field and write the quote twice: \"a \"\"b\"\" c\"",
                                character(line_start, k)
                            ),
                        );
                    }
                    (Some(b'\r'), next) if next != Some(&b'\n') => {
                        return fail(line, lone_cr.to_string());
                    }
                    _ => {}
                }
                let value = text[i..k].trim();
                blank &= value.is_empty();
                fields.push(value.to_string());
                i = k;
            }
            match b.get(i) {
                Some(b',') => {
                    blank = false;
                    i += 1;
                }
                Some(b'\r') => {
                    i += 2;
                    line += 1;
                    line_start = i;
                    break;
                }
                Some(_) => {
                    i += 1;
                    line += 1;
                    line_start = i;
                    break;
                }
                None => break,
            }
        }
        if !blank {
            out.push(Record {
                line: record_line,
                fields,
            });
        }
    }
    Ok(out)
}

/// The header and data records of a CSV file, with every data record as long as
/// the header; refuses an empty file, a header without data lines, a header
/// column without a name or named twice. `columns` (when known) shows the
/// expected header in messages.
pub fn header_and_rows(
    name: &str,
    bytes: &[u8],
    expected: Option<&[&str]>,
) -> Result<(Record, Vec<Record>), InputError> {
    let text = decode(name, bytes)?;
    let mut all = records(name, text)?.into_iter();
    let Some(header) = all.next() else {
        let want = match expected {
            Some(columns) => format!("a header line '{}'", columns.join(",")),
            None => "a header line naming the columns".to_string(),
        };
        return Err(InputError::at(
            name,
            None,
            None,
            format!("the file is empty; expected {want}, then data lines"),
        ));
    };
    for (i, column) in header.fields.iter().enumerate() {
        if column.is_empty() {
            return Err(InputError::at(
                name,
                Some(header.line),
                None,
                format!("column {} of the header has no name", i + 1),
            ));
        }
        if header.fields[..i].contains(column) {
            return Err(InputError::at(
                name,
                Some(header.line),
                Some(column),
                format!("column {:?} appears twice in the header", shown(column)),
            ));
        }
    }
    let rows: Vec<Record> = all.collect();
    if rows.is_empty() {
        return Err(InputError::at(
            name,
            Some(header.line),
            None,
            "the file has a header line but no data lines; an empty file is refused, not taken for \"nothing to change\"".into(),
        ));
    }
    for row in &rows {
        let (got, want) = (row.fields.len(), header.fields.len());
        if got != want {
            let hint = if got > want {
                "; a value containing ',' must be quoted, e.g. \"80,000\""
            } else {
                ""
            };
            return Err(InputError::at(
                name,
                Some(row.line),
                None,
                format!(
                    "{got} field{} where the header has {want} ({}){hint}",
                    if got == 1 { "" } else { "s" },
                    shown(&header.fields.join(", "))
                ),
            ));
        }
    }
    Ok((header, rows))
}

/// Reads a CSV file whose header has exactly `columns` (in any order).
pub fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
    let name = path.display().to_string();
    let bytes = read_input(path, &name)?;
    parse_csv(&name, &bytes, columns)
}

/// Parses CSV bytes whose header has exactly `columns` (in any order; names are
/// case-insensitive).
pub fn parse_csv(name: &str, bytes: &[u8], columns: &[&str]) -> Result<Vec<CsvLine>, InputError> {
    let (header, rows) = header_and_rows(name, bytes, Some(columns))?;
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for (i, h) in names.iter().enumerate() {
        if !columns.contains(&h.as_str()) {
            let near = crate::text::closest(h, columns, 1);
            let hint = near
                .first()
                .map(|c| format!(" (did you mean {c:?}?)"))
                .unwrap_or_default();
            return Err(InputError::at(
                name,
                Some(header.line),
                Some(&header.fields[i]),
                format!(
                    "unknown column {:?}{hint}; the columns are {}",
                    shown(h),
                    columns.join(", ")
                ),
            ));
        }
        if names[..i].contains(h) {
            return Err(InputError::at(
                name,
                Some(header.line),
                Some(h),
                format!("column {:?} appears twice in the header", shown(h)),
            ));
        }
    }
    if let Some(missing) = columns.iter().find(|c| !names.iter().any(|h| h == *c)) {
        return Err(InputError::at(
            name,
            Some(header.line),
            Some(missing),
            format!(
                "missing column {missing:?}; the header is {}",
                columns.join(",")
            ),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|row| CsvLine {
            file: name.to_string(),
            line: row.line,
            fields: names.iter().cloned().zip(row.fields).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [&str; 3] = ["company", "account", "amount"];

    fn fails(bytes: &[u8]) -> String {
        parse_csv("tb.csv", bytes, &COLUMNS)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn lines_carry_their_numbers_and_errors_name_the_column() {
        let lines = parse_csv(
            "tb.csv",
            b"company,account,amount\nP,cash,\"1,000\"\n",
            &COLUMNS,
        )
        .unwrap();
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].amount("amount").unwrap(), Amount::from(1000));
        let e = parse_csv(
            "tb.csv",
            b"company,account,amount\nP,cash,1.2.3\n",
            &COLUMNS,
        )
        .unwrap()[0]
            .amount("amount")
            .unwrap_err();
        assert!(
            e.to_string().starts_with("tb.csv:2 (column amount): "),
            "{e}"
        );
        assert_eq!(
            fails(b"company,account\nP,cash\n"),
            "tb.csv:1 (column amount): missing column \"amount\"; the header is company,account,amount"
        );
        assert_eq!(
            fails(b""),
            "tb.csv: the file is empty; expected a header line 'company,account,amount', then data lines"
        );
    }

    #[test]
    fn quoting_is_strict_and_errors_name_line_and_character() {
        let ok = parse_csv(
            "tb.csv",
            b"company,account,amount\r\n\r\n P , \"ca\"\"sh\" ,\"80,000\"\r\n\n\"E\nU\",x,1",
            &COLUMNS,
        )
        .unwrap();
        assert_eq!(
            (ok[0].line, ok[0].raw("company"), ok[0].raw("account")),
            (3, "P", "ca\"sh")
        );
        assert_eq!((ok[1].line, ok[1].raw("company")), (5, "E\nU"));
        assert_eq!(
            fails(b"company,account,amount\nP,cash,\"80,000\n"),
            "tb.csv:2: the quote at character 8 opens a field that is never closed; close it with '\"' (a quote inside a field is written twice: \"\")"
        );
        assert_eq!(
            fails(b"company,account,amount\nP,\"cash\"x,1\n"),
            "tb.csv:2: text after the closing quote at character 9; quote the whole field and write a quote inside it twice (\"\")"
        );
        assert_eq!(
            fails(b"company,account,amount\nP,ca\"sh,1\n"),
            "tb.csv:2: a quote at character 5 inside an unquoted field; quote the whole field and write the quote twice: \"a \"\"b\"\" c\""
        );
        assert_eq!(
            fails(b"company,account,amount\rP,cash,1\r"),
            "tb.csv:1: a carriage return (CR) without a line feed; lines end with LF or CR LF"
        );
        assert_eq!(
            fails(b"company,account,amount\nP,cash,80,000\n"),
            "tb.csv:2: 4 fields where the header has 3 (company, account, amount); a value containing ',' must be quoted, e.g. \"80,000\""
        );
        assert_eq!(
            fails(b"company,account,amount\nP\n"),
            "tb.csv:2: 1 field where the header has 3 (company, account, amount)"
        );
    }

    #[test]
    fn encodings_other_than_utf8_are_named() {
        assert!(
            parse_csv(
                "b.csv",
                b"\xEF\xBB\xBFcompany,account,amount\nP,c,1\n",
                &COLUMNS
            )
            .is_ok()
        );
        // 会社 in Shift_JIS.
        assert_eq!(
            fails(b"company,account,amount\n\x89\xEF\x8E\xD0,cash,1\n"),
            "tb.csv:2: not UTF-8 at character 1 (bytes 89 EF): the file looks like Shift_JIS (as Excel saves \"CSV\" on Japanese Windows); save it as \"CSV UTF-8\" and import it again"
        );
        assert_eq!(
            fails(b"\xFF\xFEc\x00o\x00"),
            "tb.csv:1: the file is UTF-16 (byte-order mark FF FE, as Excel's \"Unicode Text\" saves it), not UTF-8; save it as \"CSV UTF-8\" and import it again"
        );
        assert!(fails(b"c\x00o\x00").contains("a NUL byte at character 2"));
        assert!(fails(b"company,account,amount\nP,\xFF,1\n").contains("another encoding"));
        // Latin-1 Müller and Hélène are not taken for Shift_JIS; katakana サトウ is.
        assert!(fails(b"company,account,amount\nM\xFCller,c,1\n").contains("another encoding"));
        assert!(fails(b"company,account,amount\nH\xE9l\xE8ne,c,1\n").contains("another encoding"));
        assert!(fails(b"company,account,amount\n\x83T\x83g\x83E,c,1\n").contains("Shift_JIS"));
    }

    #[test]
    fn files_over_the_limit_are_refused_before_parsing() {
        let big = vec![b'a'; MAX_INPUT_BYTES as usize + 1];
        assert_eq!(
            fails(&big),
            "tb.csv: the file is 64.0 MiB (67108865 bytes); input files are limited to 64 MiB: split it into smaller files"
        );
    }

    /// An endless source that fails once more than `allowed` bytes were taken from it.
    struct Endless {
        taken: u64,
        allowed: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.taken > self.allowed {
                return Err(std::io::Error::other("read past the cap"));
            }
            buf.fill(b'a');
            self.taken += buf.len() as u64;
            Ok(buf.len())
        }
    }

    #[test]
    fn the_read_itself_stops_one_byte_past_the_limit() {
        let limit = 100_000;
        let mut endless = Endless {
            taken: 0,
            allowed: limit + 1 + 64 * 1024,
        };
        let err = read_capped(&mut endless, "endless", limit).unwrap_err();
        assert_eq!(
            err.to_string(),
            "endless: the file holds more than 100000 bytes (it grew while it was read, or its size was not known before); input files are limited to 100000 bytes: split it into smaller files"
        );
        assert!(endless.taken <= limit + 1 + 64 * 1024, "{}", endless.taken);
        assert_eq!(
            read_capped(&b"person\nA\n"[..], "small", 9).unwrap(),
            b"person\nA\n"
        );
        assert!(read_capped(&b"person\nA\n"[..], "small", 8).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let dev = read_input(Path::new("/dev/zero"), "/dev/zero").unwrap_err();
        assert_eq!(
            dev.to_string(),
            "/dev/zero: is a character device, not a regular file; input is read only from saved files (a pipe or device may never answer, or never end): save the data to a file and give that file"
        );
        let dir = std::env::temp_dir().join(format!("kensho-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.csv");
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // A writer waits for a reader; should the pipe be read, it gets a line (and
        // the test fails on the message instead of waiting).
        let writer_end = fifo.clone();
        std::thread::spawn(move || {
            if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(writer_end) {
                let _ = std::io::Write::write_all(&mut pipe, b"person\n");
            }
        });
        // Opening a pipe without a writer would wait for ever: it is refused first.
        let err = read_input(&fifo, "pipe.csv").unwrap_err().to_string();
        assert!(
            err.starts_with("pipe.csv: is a named pipe (FIFO), not a regular file;"),
            "{err}"
        );
        assert_eq!(
            read_input(&dir, "dir").unwrap_err().to_string(),
            "dir: is a folder, not a file; give the path of a CSV file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn messages_show_at_most_a_cut_cell() {
        assert_eq!(shown("short"), "short");
        let long = "x".repeat(41);
        assert_eq!(shown(&long), format!("{}…", "x".repeat(40)));
        assert_eq!(shown(&"字".repeat(40)), "字".repeat(40));
        let secret = format!("root:{}", "s".repeat(200));
        let header = format!("{secret}\nA,B\n");
        let err = fails(header.as_bytes());
        assert!(!err.contains(&"s".repeat(41)), "{err}");
        assert!(
            err.contains(&format!("(root:{}…)", "s".repeat(35))),
            "{err}"
        );
        let err = parse_csv(
            "tb.csv",
            format!("company,account,amount\nP,{secret},1\n").as_bytes(),
            &COLUMNS,
        )
        .unwrap()[0]
            .amount("account")
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&"s".repeat(41)), "{err}");
        assert!(
            err.starts_with("tb.csv:2 (column account): \"root:"),
            "{err}"
        );
        let err = parse_csv(
            "tb.csv",
            format!("company,account,amount\n{secret},c,1\n").as_bytes(),
            &COLUMNS,
        )
        .unwrap()[0]
            .text("company")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "tb.csv:2 (column company): 205 characters, at most 64 are allowed: \"root:{}…\"",
                "s".repeat(35)
            )
        );
        let err = fails(format!("{secret},account,amount\nP,c,1\n").as_bytes());
        assert!(!err.contains(&"s".repeat(41)), "{err}");
    }

    #[test]
    fn headers_are_checked_and_a_header_alone_is_refused() {
        assert_eq!(
            fails(b"company,account,amount\n\n"),
            "tb.csv:1: the file has a header line but no data lines; an empty file is refused, not taken for \"nothing to change\""
        );
        assert_eq!(
            fails(b"company,acount,amount\nP,c,1\n"),
            "tb.csv:1 (column acount): unknown column \"acount\" (did you mean \"account\"?); the columns are company, account, amount"
        );
        assert_eq!(
            fails(b"company,Company,account,amount\nP,P,c,1\n"),
            "tb.csv:1 (column company): column \"company\" appears twice in the header"
        );
        assert_eq!(
            fails(b"company,,amount\nP,c,1\n"),
            "tb.csv:1: column 2 of the header has no name"
        );
    }
}
