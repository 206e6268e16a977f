//! Property tests (fuzzing) of the parsers of user input: the CSV reader of the
//! services' imports ([`kensho_shared::input::parse_csv`]), the generic table loader's
//! ([`crate::check::seed::table_from_csv`]) and the Gherkin data-table reader
//! ([`crate::check::table::Table::from_raw`]).
//!
//! Inputs are mutations of a corpus: every CSV fixture of the project plus the
//! nasty cases of `fixtures/fuzz/csv/`, and the data tables of
//! `fixtures/fuzz/tables/*.json`. Properties: no panic; an accepted input is
//! consistent (every line as long as the header, line numbers increasing); a
//! refused one names the file and, unless the whole file is at fault, a line; a
//! valid table written as CSV reads back as itself. A failing case is shrunk and
//! saved as a new corpus file (`found-<hash>`), then the test fails.
//!
//! `cargo test --lib fuzz` runs 1,000 cases per property; `PROPTEST_CASES=N` runs N.

use std::path::{Path, PathBuf};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};

use crate::check::seed::table_from_csv;
use crate::check::table::Table;
use kensho_shared::input::{InputError, parse_csv};

fn project(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// Every CSV file under `fixtures/` (the real fixtures, the bad inputs and the
/// fuzz corpus), in a stable order.
fn csv_corpus() -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    files(&project("fixtures"), "csv", &mut paths);
    paths.sort();
    let corpus: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(corpus.len() > 10, "the CSV corpus is missing");
    corpus
}

/// The data tables of `fixtures/fuzz/tables/*.json`, plus every CSV fixture read
/// as rows of cells.
fn table_corpus() -> Vec<Vec<Vec<String>>> {
    let mut paths = Vec::new();
    files(&project("fixtures/fuzz/tables"), "json", &mut paths);
    paths.sort();
    let mut corpus: Vec<Vec<Vec<String>>> = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect();
    for bytes in csv_corpus() {
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Ok(records) = kensho_shared::input::records("corpus", text)
        {
            corpus.push(records.into_iter().map(|r| r.fields).collect());
        }
    }
    corpus
}

/// Byte strings a spreadsheet, an editor or a careless export puts into CSV.
const NASTY: &[&[u8]] = &[
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    b"\t",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFF",
    b"\x82\xA0",
    b"\xE3\x80\x80",
    b"\xEF\xBC\x90",
    b"NULL",
    b"80,000",
    b"1e5",
    b"-",
    b".",
    b"\xE4\xBD\x90\xE8\x97\xA4",
];

#[derive(Clone, Debug)]
enum Mutation {
    Insert(usize, usize),
    Delete(usize, usize),
    Replace(usize, u8),
    Repeat(usize, usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0..NASTY.len()).prop_map(|(at, n)| Mutation::Insert(at, n)),
        2 => (any::<usize>(), 1..8usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        1 => (any::<usize>(), 1..40usize, 1..4u8).prop_map(|(at, n, k)| Mutation::Repeat(at, n, k)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let at = |i: usize| {
            if bytes.is_empty() {
                0
            } else {
                i % (bytes.len() + 1)
            }
        };
        match *m {
            Mutation::Insert(i, n) => {
                let i = at(i);
                bytes.splice(i..i, NASTY[n].iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = at(i);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Replace(i, b) => {
                if !bytes.is_empty() {
                    let i = i % bytes.len();
                    bytes[i] = b;
                }
            }
            Mutation::Repeat(i, n, k) => {
                let i = at(i);
                let end = (i + n).min(bytes.len());
                let chunk = bytes[i..end].to_vec();
                for _ in 0..k {
                    bytes.splice(end..end, chunk.iter().copied());
                }
            }
        }
    }
    bytes
}

/// A corpus file, mutated.
fn mutated_csv(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = corpus.len();
    (0..n, prop::collection::vec(mutation(), 0..8))
        .prop_map(move |(i, mutations)| mutate(corpus[i].clone(), &mutations))
}

/// Whether a refusal names the file and, unless the whole file is at fault
/// (empty, too large), a line.
fn names_file_and_line(e: &InputError, name: &str) -> Result<(), String> {
    let shown = e.to_string();
    if !shown.starts_with(name) || e.file != name {
        return Err(format!(
            "the error does not start with the file name: {shown}"
        ));
    }
    let whole_file = e.message.starts_with("the file is empty") || e.message.contains(" MiB (");
    if e.line.is_none() && !whole_file {
        return Err(format!("the error names no line: {shown}"));
    }
    if let Some(line) = e.line
        && !shown.starts_with(&format!("{name}:{line}"))
    {
        return Err(format!("the error does not show line {line}: {shown}"));
    }
    Ok(())
}

/// Runs `property` on `strategy`; a failing case is shrunk, saved under `corpus`
/// as `found-<hash>.<extension>`, and fails the test.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    corpus: &str,
    extension: &str,
    save: impl Fn(&S::Value) -> Vec<u8>,
    property: impl Fn(&S::Value) -> Result<(), String>,
) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |value| {
        property(&value).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!(
            "fuzz {name}: {cases} cases in {:.1} s, no finding",
            started.elapsed().as_secs_f64()
        ),
        Err(TestError::Fail(reason, value)) => {
            let bytes = save(&value);
            let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            let path = project(corpus).join(format!("found-{hash:016x}.{extension}"));
            let saved = std::fs::write(&path, &bytes);
            panic!(
                "fuzz {name}: {reason}\ninput {value:?}\nsaved to {} ({saved:?})",
                path.display()
            );
        }
        Err(TestError::Abort(reason)) => panic!("fuzz {name}: aborted: {reason}"),
    }
}

const FORMATS: &[&[&str]] = &[
    &["person", "period", "amount"],
    &["company", "account", "amount"],
    &["currency", "closing", "average", "historical"],
    &["id", "name", "trashed_at"],
];

#[test]
fn csv_imports_never_panic_and_refuse_with_file_and_line() {
    fuzz(
        "parse_csv",
        (mutated_csv(csv_corpus()), 0..FORMATS.len()),
        "fixtures/fuzz/csv",
        "csv",
        |(bytes, _)| bytes.clone(),
        |(bytes, format)| {
            let columns = FORMATS[*format];
            match parse_csv("in.csv", bytes, columns) {
                Ok(lines) => {
                    if lines.is_empty() {
                        return Err("accepted with no data line".into());
                    }
                    let mut previous = 1;
                    for line in &lines {
                        if line.line <= previous {
                            return Err(format!("line {} after line {previous}", line.line));
                        }
                        previous = line.line;
                        for column in columns {
                            let value = line.raw(column);
                            if value != value.trim() {
                                return Err(format!("untrimmed field {value:?}"));
                            }
                        }
                    }
                    Ok(())
                }
                Err(e) => names_file_and_line(&e, "in.csv"),
            }
        },
    );
}

#[test]
fn csv_tables_never_panic_and_agree_with_the_imports() {
    fuzz(
        "table_from_csv",
        mutated_csv(csv_corpus()),
        "fixtures/fuzz/csv",
        "csv",
        |bytes| bytes.clone(),
        |bytes| match table_from_csv(bytes, "fixtures/t.csv") {
            Ok(table) => {
                if table.rows.is_empty() {
                    return Err("accepted with no row".into());
                }
                for (i, column) in table.columns.iter().enumerate() {
                    if column.is_empty() || table.columns[..i].contains(column) {
                        return Err(format!("header {:?} accepted", table.columns));
                    }
                }
                if let Some(row) = table.rows.iter().find(|r| r.len() != table.columns.len()) {
                    return Err(format!("row {row:?} under header {:?}", table.columns));
                }
                // The services' reader takes the same file with the same cells.
                let lower: Vec<String> = table
                    .columns
                    .iter()
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                let columns: Vec<&str> = lower.iter().map(String::as_str).collect();
                let unique = columns
                    .iter()
                    .enumerate()
                    .all(|(i, c)| !columns[..i].contains(c));
                if unique {
                    let lines = parse_csv("fixtures/t.csv", bytes, &columns)
                        .map_err(|e| format!("the import refuses what the loader takes: {e}"))?;
                    for (line, row) in lines.iter().zip(&table.rows) {
                        for (column, cell) in columns.iter().zip(row) {
                            if line.raw(column) != cell {
                                return Err(format!("{column}: {:?} ≠ {cell:?}", line.raw(column)));
                            }
                        }
                    }
                }
                Ok(())
            }
            Err(e) => names_file_and_line(&e, "fixtures/t.csv"),
        },
    );
}

/// A cell as a spreadsheet may hold it: any text (no NUL), trimmed.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ,.\"\n\r\t佐藤８-]{0,12}",
        1 => any::<String>(),
    ]
    .prop_map(|s| s.replace('\0', "").trim().to_string())
}

/// A valid table: unique non-empty column names, at least one row.
fn valid_table() -> impl Strategy<Value = Table> {
    (1..6usize)
        .prop_flat_map(|width| {
            (
                prop::collection::btree_set("[a-z_][a-z0-9_ ,\"]{0,8}", width..=width),
                prop::collection::vec(prop::collection::vec(cell(), width..=width), 1..6),
            )
        })
        .prop_map(|(names, rows)| Table {
            columns: names.into_iter().map(|n| n.trim().to_string()).collect(),
            rows,
        })
        .prop_filter("names unique and non-empty once trimmed", |t| {
            t.columns
                .iter()
                .enumerate()
                .all(|(i, c)| !c.is_empty() && !t.columns[..i].contains(c))
        })
}

/// How a table is written as CSV: which fields are quoted when they need not be,
/// line ends, a byte-order mark, a final line end, blank lines.
#[derive(Clone, Debug)]
struct Style {
    quote_all: bool,
    crlf: bool,
    bom: bool,
    final_newline: bool,
    blank_line_after: Option<usize>,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0..6usize),
    )
        .prop_map(
            |(quote_all, crlf, bom, final_newline, blank_line_after)| Style {
                quote_all,
                crlf,
                bom,
                final_newline,
                blank_line_after,
            },
        )
}

fn write_csv(table: &Table, style: &Style) -> Vec<u8> {
    let end = if style.crlf { "\r\n" } else { "\n" };
    let field = |f: &str, alone: bool| {
        let needs = f.is_empty() && alone || f.contains([',', '"', '\n', '\r']);
        if needs || style.quote_all {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    };
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| field(c, cells.len() == 1))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::new();
    if style.bom {
        out.push('\u{feff}');
    }
    let mut lines = vec![line(&table.columns)];
    lines.extend(table.rows.iter().map(|r| line(r)));
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(end);
        }
        out.push_str(l);
        if style.blank_line_after == Some(i) && i + 1 < lines.len() {
            out.push_str(end);
        }
    }
    if style.final_newline {
        out.push_str(end);
    }
    out.into_bytes()
}

#[test]
fn valid_tables_written_as_csv_read_back_as_themselves() {
    fuzz(
        "csv round trip",
        (valid_table(), style()),
        "fixtures/fuzz/csv",
        "csv",
        |(table, style)| write_csv(table, style),
        |(table, style)| {
            let bytes = write_csv(table, style);
            let back = table_from_csv(&bytes, "t.csv").map_err(|e| e.to_string())?;
            if &back != table {
                return Err(format!("read back as {back:?}"));
            }
            Ok(())
        },
    );
}

/// A corpus table, mutated: cells changed, rows cut or lengthened, cells padded
/// with spaces.
fn mutated_table(corpus: Vec<Vec<Vec<String>>>) -> impl Strategy<Value = Vec<Vec<String>>> {
    let n = corpus.len();
    (
        0..n,
        prop::collection::vec((any::<usize>(), any::<usize>(), 0..4u8, cell()), 0..6),
    )
        .prop_map(move |(i, edits)| {
            let mut raw = corpus[i].clone();
            for (r, c, op, text) in edits {
                if raw.is_empty() {
                    raw.push(vec![text]);
                    continue;
                }
                let r = r % raw.len();
                let row = &mut raw[r];
                match op {
                    0 if !row.is_empty() => {
                        let c = c % row.len();
                        row[c] = text;
                    }
                    1 => row.push(text),
                    2 if !row.is_empty() => {
                        row.pop();
                    }
                    _ if !row.is_empty() => {
                        let c = c % row.len();
                        row[c] = format!(" {} ", row[c]);
                    }
                    _ => row.push(text),
                }
            }
            raw
        })
}

#[test]
fn data_tables_never_panic_and_name_the_row_at_fault() {
    fuzz(
        "Table::from_raw",
        mutated_table(table_corpus()),
        "fixtures/fuzz/tables",
        "json",
        |raw| serde_json::to_vec_pretty(raw).unwrap_or_default(),
        |raw| match Table::from_raw(raw) {
            Ok(table) => {
                let header = &raw[0];
                if table.columns.len() != header.len() {
                    return Err("the header changed length".into());
                }
                for (i, column) in table.columns.iter().enumerate() {
                    if column.is_empty()
                        || table.columns[..i].contains(column)
                        || column != header[i].trim()
                    {
                        return Err(format!("header {:?} accepted", table.columns));
                    }
                }
                if table.rows.len() + 1 != raw.len() {
                    return Err("rows lost or added".into());
                }
                for (row, original) in table.rows.iter().zip(&raw[1..]) {
                    let trimmed: Vec<&str> = original.iter().map(|c| c.trim()).collect();
                    if row.len() != table.columns.len() || row != &trimmed {
                        return Err(format!("row {original:?} read as {row:?}"));
                    }
                }
                Ok(())
            }
            Err(e) => {
                let Some((header, rows)) = raw.split_first() else {
                    return if e.where_ == "header" {
                        Ok(())
                    } else {
                        Err(format!("an empty table refused at {}", e.where_))
                    };
                };
                let names: Vec<&str> = header.iter().map(|c| c.trim()).collect();
                let bad_header = names
                    .iter()
                    .enumerate()
                    .any(|(i, c)| c.is_empty() || names[..i].contains(c));
                let bad_row = rows
                    .iter()
                    .position(|r| r.len() != header.len())
                    .map(|i| format!("row {}", i + 1));
                match (e.where_.as_str(), bad_row) {
                    ("header", _) if bad_header => Ok(()),
                    (at, Some(expected)) if !bad_header && at == expected => Ok(()),
                    (at, expected) => Err(format!("refused at {at}, expected {expected:?}: {e}")),
                }
            }
        },
    );
}
