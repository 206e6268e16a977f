//! The limits on what Kensho reads and shows (入力の上限): the size of a
//! feature file, the length of a line, the rows and cells of a data table, the
//! length of a doc string, the nesting of a tag expression (`--tags`), and the
//! length of a name, tag or line shown in the console.
//!
//! A real suite never comes near them (its largest feature file is about
//! 12 KB, its longest table a few dozen rows): they stop a generated, broken or
//! hostile input from taking the machine's memory or the runner's stack. Input
//! past a limit is refused before any engine starts, with the file, the line,
//! the limit and what to do; the run exits with code 2.

use std::io::Read as _;
use std::path::Path;

use super::Problem;

/// Largest feature file, in bytes (8 MiB). The suite's largest is about 12 KB;
/// a run keeps a few copies of a file's text and parse (reports, messages), so
/// 8 MiB keeps a run's memory in the hundreds of MB at most.
pub const MAX_FEATURE_BYTES: u64 = 8 * 1024 * 1024;

/// Longest line of a feature file, in bytes (32 KiB). The suite's longest line
/// is under 300 bytes; a doc string holding a minified JSON document on one
/// line stays well below this.
pub const MAX_LINE_BYTES: usize = 32 * 1024;

/// Most rows of one data table or examples table (10,000). A step's table
/// states the rows a scenario needs (a few dozen at most in the suite); bulk
/// data belongs in a file the step loads.
pub const MAX_TABLE_ROWS: usize = 10_000;

/// Most cells of one data table or examples table, all rows together
/// (200,000: 10,000 rows of 20 columns). Each cell becomes several strings
/// (the step's table, its report, its Cucumber message).
pub const MAX_TABLE_CELLS: usize = 200_000;

/// Longest doc string, in bytes (1 MiB). The suite's doc strings are a few
/// lines of JSON or CSV; a doc string is copied into every report of its step.
pub const MAX_DOCSTRING_BYTES: usize = 1024 * 1024;

/// Deepest tag expression (`--tags`): parentheses nested plus operators
/// (`not`, `and`, `or`), 64. The expression parser and its evaluation recurse
/// once per level and per operator: 60,000 nested parentheses or 30,000 `not`s
/// overflow the stack; a real selection has a handful.
pub const MAX_TAG_EXPRESSION_DEPTH: usize = 64;

/// Most characters of a name, tag or line the console shows (200): longer
/// ones are cut with a marker saying how much was left out; the reports keep
/// the whole text.
pub const MAX_SHOWN_CHARS: usize = 200;

/// `text` as the console shows it: whole up to [`MAX_SHOWN_CHARS`]
/// characters, else its first characters and `… (N more characters)`.
pub fn cut_for_console(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => {
            let left_out = text[end..].chars().count();
            std::borrow::Cow::Owned(format!("{}… ({left_out} more characters)", &text[..end]))
        }
    }
}

/// A size in bytes as messages write it: `8 MiB`, `32 KiB`, or bytes.
fn bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Reads the feature file `path` (`shown`: how messages name it) and checks
/// its text against the limits; a file over [`MAX_FEATURE_BYTES`] is refused
/// after reading no more than the limit. Errors read `shown:line: reason`.
pub fn read_limited(path: &Path, shown: &str) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("{shown}: the file cannot be read: {e}");
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut raw = Vec::new();
    file.take(MAX_FEATURE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(cannot)?;
    if raw.len() as u64 > MAX_FEATURE_BYTES {
        let size = std::fs::metadata(path).map_or(raw.len() as u64, |m| m.len());
        let line = raw[..MAX_FEATURE_BYTES as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err(format!(
            "{shown}:{line}: the file is {size} bytes, over the limit of {} for a feature file (reached on this line); split it into several feature files",
            bytes(MAX_FEATURE_BYTES)
        ));
    }
    let text = String::from_utf8(raw).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{shown}:{line}: the file is not UTF-8 text; save it as UTF-8")
    })?;
    check_text(&text).map_err(|p| format!("{shown}:{}: {}", p.line, p.message))?;
    Ok(text)
}

/// Checks a feature file's text against the limits of a line, a table and a
/// doc string: the first line past one, and why.
pub fn check_text(text: &str) -> Result<(), Problem> {
    let problem = |line: usize, message: String| Problem { line, message };
    if text.len() as u64 > MAX_FEATURE_BYTES {
        return Err(problem(
            1,
            format!(
                "the file is {} bytes, over the limit of {} for a feature file; split it into several feature files",
                text.len(),
                bytes(MAX_FEATURE_BYTES)
            ),
        ));
    }
    // The open doc string: its separator, first line and bytes so far.
    let mut docstring: Option<(&str, usize, usize)> = None;
    // The table being read: its first line, rows and cells so far.
    let mut table: Option<(usize, usize, usize)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > MAX_LINE_BYTES {
            return Err(problem(
                line,
                format!(
                    "the line is {} bytes long, over the limit of {} for a line of a feature file; break it up (a long value belongs in a doc string or a file the step reads)",
                    raw.len(),
                    bytes(MAX_LINE_BYTES as u64)
                ),
            ));
        }
        let trimmed = raw.trim_start();
        if let Some((separator, open, size)) = &mut docstring {
            if trimmed.starts_with(*separator) {
                docstring = None;
                continue;
            }
            *size += raw.len() + 1;
            if *size > MAX_DOCSTRING_BYTES {
                return Err(problem(
                    line,
                    format!(
                        "the doc string opened on line {open} passes the limit of {} for a doc string here; put the content in a file the step reads",
                        bytes(MAX_DOCSTRING_BYTES as u64)
                    ),
                ));
            }
            continue;
        }
        if let Some(separator) = ["\"\"\"", "```"]
            .into_iter()
            .find(|s| trimmed.starts_with(s))
        {
            docstring = Some((separator, line, 0));
            table = None;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // Blank and comment lines may stand between the rows of a table.
            continue;
        }
        if !trimmed.starts_with('|') {
            table = None;
            continue;
        }
        let (first, rows, cells) = table.get_or_insert((line, 0, 0));
        *rows += 1;
        *cells += cells_of(trimmed);
        if *rows > MAX_TABLE_ROWS {
            return Err(problem(
                line,
                format!(
                    "the table that starts on line {first} has more than {MAX_TABLE_ROWS} rows (the limit of a table); split it over several steps, or put the rows in a file the step reads"
                ),
            ));
        }
        if *cells > MAX_TABLE_CELLS {
            return Err(problem(
                line,
                format!(
                    "the table that starts on line {first} has more than {MAX_TABLE_CELLS} cells (the limit of a table, all rows together); split it over several steps, or put the rows in a file the step reads"
                ),
            ));
        }
    }
    Ok(())
}

/// The cells of a table row (`| a | b |`: 2): its bars that are not escaped
/// (`\|`), less one.
fn cells_of(row: &str) -> usize {
    let mut bars: usize = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => bars += 1,
            _ => {}
        }
    }
    bars.saturating_sub(1).max(1)
}

/// Every feature file under `dir` (a folder or one file) read and checked
/// against the limits, as the run reads them, before any engine starts; `root`
/// shortens the paths in messages. The first file past a limit is the error.
pub fn check_features(root: &Path, dir: &Path) -> Result<(), String> {
    let Ok(files) = super::feature_files(dir) else {
        // A folder that cannot be listed is the run's own error to report.
        return Ok(());
    };
    for file in files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        read_limited(&file, &shown)?;
    }
    Ok(())
}

/// How deep the tag expression `expression` nests: its deepest parentheses
/// plus its operators (`not`, `and`, `or`); a `\` escapes the next character
/// of a tag.
pub fn tag_expression_depth(expression: &str) -> usize {
    let (mut open, mut deepest, mut operators) = (0usize, 0usize, 0usize);
    let mut word = String::new();
    let mut chars = expression.chars();
    let end_word = |word: &mut String, operators: &mut usize| {
        if matches!(word.as_str(), "not" | "and" | "or") {
            *operators += 1;
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                word.push('\\');
                chars.next();
            }
            '(' => {
                end_word(&mut word, &mut operators);
                open += 1;
                deepest = deepest.max(open);
            }
            ')' => {
                end_word(&mut word, &mut operators);
                open = open.saturating_sub(1);
            }
            c if c.is_whitespace() => end_word(&mut word, &mut operators),
            c => word.push(c),
        }
    }
    end_word(&mut word, &mut operators);
    deepest + operators
}

/// Checks the tag expressions of a command line (`--tags EXPR`,
/// `--tags=EXPR`, `-t EXPR`, `-tEXPR`) against [`MAX_TAG_EXPRESSION_DEPTH`],
/// before the command line's parser reads them (it would overflow the stack).
pub fn check_tag_arguments(argv: &[String]) -> Result<(), String> {
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let expression = if arg == "--tags" || arg == "-t" {
            args.next().map(String::as_str)
        } else if let Some(value) = arg.strip_prefix("--tags=") {
            Some(value)
        } else if let Some(value) = arg.strip_prefix("-t").filter(|_| !arg.starts_with("--")) {
            Some(value.strip_prefix('=').unwrap_or(value))
        } else {
            None
        };
        let Some(expression) = expression else {
            continue;
        };
        let depth = tag_expression_depth(expression);
        if depth > MAX_TAG_EXPRESSION_DEPTH {
            return Err(format!(
                "--tags: the tag expression {} nests {depth} deep (parentheses plus operators), over the limit of {MAX_TAG_EXPRESSION_DEPTH}; write a shorter expression, or tag the scenarios to select with one tag",
                lookalike_quote(expression)
            ));
        }
    }
    Ok(())
}

/// `text` in double quotes, cut for the console.
fn lookalike_quote(text: &str) -> String {
    format!("\"{}\"", cut_for_console(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feature whose one step has `rows` rows of `columns` cells.
    fn table_feature(rows: usize, columns: usize) -> String {
        let row = format!("      |{}\n", " x |".repeat(columns));
        format!(
            "Feature: f\n  Scenario: s\n    Given the table t contains:\n{}",
            row.repeat(rows)
        )
    }

    /// The line and message of `text`'s first problem.
    fn refused(text: &str) -> (usize, String) {
        let problem = check_text(text).expect_err("refused");
        (problem.line, problem.message)
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused_naming_the_line_it_passes_it_on() {
        let dir = std::env::temp_dir().join(format!("kensho-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.feature");
        // Lines of 1 KiB (with their line break): the limit falls on line 8,193.
        let line = format!("# {}\n", "x".repeat(1021));
        let under = line.repeat((MAX_FEATURE_BYTES / 1024) as usize);
        std::fs::write(&path, &under).unwrap();
        assert!(read_limited(&path, "big.feature").is_ok());
        std::fs::write(&path, format!("{under}#\n")).unwrap();
        let error = read_limited(&path, "big.feature").unwrap_err();
        assert!(
            error.starts_with(&format!(
                "big.feature:8193: the file is {} bytes, over the limit of 8 MiB for a feature file",
                MAX_FEATURE_BYTES + 2
            )),
            "{error}"
        );
        assert!(
            error.contains("split it into several feature files"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_over_the_length_limit_is_refused_with_its_number() {
        let ok = format!("Feature: f\n# {}\n", "x".repeat(MAX_LINE_BYTES - 2));
        assert_eq!(check_text(&ok), Ok(()));
        let long = format!("Feature: f\n# {}\n", "x".repeat(MAX_LINE_BYTES - 1));
        let (line, message) = refused(&long);
        assert_eq!(line, 2);
        assert!(
            message.starts_with("the line is 32769 bytes long, over the limit of 32 KiB"),
            "{message}"
        );
    }

    #[test]
    fn a_table_over_the_row_limit_is_refused_on_its_first_row_too_many() {
        assert_eq!(check_text(&table_feature(MAX_TABLE_ROWS, 1)), Ok(()));
        let (line, message) = refused(&table_feature(MAX_TABLE_ROWS + 1, 1));
        assert_eq!(line, 4 + MAX_TABLE_ROWS);
        assert!(
            message.starts_with("the table that starts on line 4 has more than 10000 rows"),
            "{message}"
        );
        // Blank and comment lines between rows do not start a new table.
        let gap = table_feature(MAX_TABLE_ROWS + 1, 1).replacen(
            "      | x |\n",
            "      | x |\n\n      # c\n",
            1,
        );
        assert_eq!(refused(&gap).0, 4 + MAX_TABLE_ROWS + 2);
        // A step between two tables ends the first.
        let two = format!(
            "{}    And the table u contains:\n{}",
            table_feature(MAX_TABLE_ROWS, 1),
            "      | x |\n".repeat(2)
        );
        assert_eq!(check_text(&two), Ok(()));
    }

    #[test]
    fn a_table_over_the_cell_limit_is_refused() {
        // 20 columns: 10,000 rows are the limit; 40 columns: half as many.
        assert_eq!(check_text(&table_feature(MAX_TABLE_ROWS, 20)), Ok(()));
        let rows = MAX_TABLE_CELLS / 40;
        assert_eq!(check_text(&table_feature(rows, 40)), Ok(()));
        let (line, message) = refused(&table_feature(rows + 1, 40));
        assert_eq!(line, 4 + rows);
        assert!(message.contains("more than 200000 cells"), "{message}");
        // An escaped bar is no cell.
        assert_eq!(cells_of(r"| a \| b | c |"), 2);
    }

    #[test]
    fn a_doc_string_over_the_limit_is_refused_naming_where_it_opens() {
        let doc = |lines: usize| {
            format!(
                "Feature: f\n  Scenario: s\n    Given the file x contains:\n      \"\"\"\n{}      \"\"\"\n",
                format!("{}\n", "y".repeat(1023)).repeat(lines)
            )
        };
        let lines = MAX_DOCSTRING_BYTES / 1024;
        assert_eq!(check_text(&doc(lines)), Ok(()));
        let (line, message) = refused(&doc(lines + 1));
        assert_eq!(line, 5 + lines);
        assert!(
            message.starts_with("the doc string opened on line 4 passes the limit of 1 MiB"),
            "{message}"
        );
        // Its lines are no table rows.
        let rows = format!(
            "Feature: f\n  Scenario: s\n    Given x:\n      \"\"\"\n{}      \"\"\"\n",
            "| x |\n".repeat(MAX_TABLE_ROWS + 1)
        );
        assert_eq!(check_text(&rows), Ok(()));
    }

    #[test]
    fn a_deep_tag_expression_is_refused_before_it_is_parsed() {
        let args = |expression: String| vec!["kensho".to_string(), "--tags".into(), expression];
        assert_eq!(
            check_tag_arguments(&args("@a and not (@b or @c)".into())),
            Ok(())
        );
        assert_eq!(tag_expression_depth("@a and not (@b or @c)"), 4);
        // Escaped parentheses are part of a tag.
        assert_eq!(tag_expression_depth(r"@a\(\(\( or @b"), 1);
        let parens = format!("{}@a{}", "(".repeat(60_000), ")".repeat(60_000));
        let nots = format!("{}@a", "not ".repeat(30_000));
        let ands = vec!["@a"; 30_000].join(" and ");
        for expression in [parens, nots, ands] {
            for argv in [
                args(expression.clone()),
                vec!["kensho".into(), format!("--tags={expression}")],
                vec!["kensho".into(), "-t".into(), expression.clone()],
                vec!["kensho".into(), format!("-t{expression}")],
            ] {
                let error = check_tag_arguments(&argv).unwrap_err();
                assert!(
                    error.starts_with("--tags: the tag expression \""),
                    "{error}"
                );
                assert!(error.contains("over the limit of 64"), "{error}");
                assert!(error.len() < 600, "the expression is cut: {}", error.len());
            }
        }
        // Just at the limit, the expression parses (no overflow).
        let deepest = format!("{}@a{}", "(".repeat(32), ")".repeat(32));
        let deepest = format!("{}{deepest}", "not ".repeat(32));
        assert_eq!(tag_expression_depth(&deepest), MAX_TAG_EXPRESSION_DEPTH);
        assert_eq!(check_tag_arguments(&args(deepest.clone())), Ok(()));
        assert!(
            deepest
                .parse::<cucumber::gherkin::tagexpr::TagOperation>()
                .is_ok()
        );
    }

    #[test]
    fn the_console_cuts_long_names_with_a_marker() {
        let short = "x".repeat(MAX_SHOWN_CHARS);
        assert_eq!(cut_for_console(&short), short);
        let long = format!("{}ééé", "名".repeat(MAX_SHOWN_CHARS));
        assert_eq!(
            cut_for_console(&long),
            format!("{}… (3 more characters)", "名".repeat(MAX_SHOWN_CHARS))
        );
    }
}
