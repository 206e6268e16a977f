//! Test fixtures shared by the report writers: a sample run, a markup
//! checker, and a scratch directory under the build's target directory.

use std::path::{Path, PathBuf};

pub mod sample {
    //! A run used by the tests of every writer: two engines, Japanese names
    //! and keywords, a scenario outline, a failed step with a table diff, a
    //! skipped and an undefined step, step definition locations, and a
    //! hostile scenario name.

    use super::super::*;

    pub const HOSTILE: &str = "Tom & Jerry <script>alert(\"x\")</script> 'q'";
    pub const DIFF: &str = "the table differs (person | amount):\n  - missing:    | C | 80,000 |\n  + unexpected: | C | 100,000 |";

    /// A step; one that ran (passed or failed) names its definition,
    /// `steps/<line of the step>.rs:<line * 10>`.
    fn step(keyword: &str, text: &str, line: usize, status: StepStatus, ms: u64) -> StepReport {
        let ran = matches!(status, StepStatus::Passed | StepStatus::Failed(_));
        StepReport {
            keyword: keyword.into(),
            text: text.into(),
            line,
            table: None,
            docstring: None,
            status,
            duration_ms: ms,
            location: ran.then(|| format!("steps/{line}.rs:{}", line * 10)),
        }
    }

    fn fast_path(engine: &str, variant: &str, failed: bool) -> ScenarioReport {
        let mut steps = vec![
            StepReport {
                table: Some(vec![
                    vec!["勘定科目".into(), "金額".into()],
                    vec!["当期純利益".into(), "1,200,000".into()],
                ]),
                ..step(
                    "前提",
                    "連結対象の財務諸表がある",
                    5,
                    StepStatus::Passed,
                    12,
                )
            },
            step("もし", "連結処理を再実行する", 9, StepStatus::Passed, 340),
        ];
        if failed {
            steps.push(step(
                "ならば",
                "当期純利益の行は1行だけである",
                10,
                StepStatus::Failed(DIFF.into()),
                3,
            ));
            steps.push(step(
                "かつ",
                "金額はフラグに依らず同じである",
                11,
                StepStatus::Skipped,
                0,
            ));
        } else {
            steps.push(step(
                "ならば",
                "当期純利益の行は1行だけである",
                10,
                StepStatus::Passed,
                2,
            ));
            steps.push(step(
                "かつ",
                "金額はフラグに依らず同じである",
                11,
                StepStatus::Passed,
                1,
            ));
        }
        ScenarioReport {
            keyword: "シナリオ".into(),
            name: "当期純利益の再計算".into(),
            engine: engine.into(),
            variant: Some(variant.into()),
            line: 4,
            tags: vec!["@seed-002".into()],
            steps,
            duration_ms: if failed { 1_234 } else { 355 },
            started_ms: 0,
            notes: vec!["statements saved: 6".into()],
            tables: vec![ResultTable {
                table: String::new(),
                title: "連結損益計算書".into(),
                columns: vec!["勘定科目".into(), "金額".into()],
                rows: if failed {
                    vec![
                        (RowMark::Same, vec!["売上高".into(), "10,000,000".into()]),
                        (
                            RowMark::Changed(vec![(1, "1,200,000".into())]),
                            vec!["当期純利益".into(), "2,400,000".into()],
                        ),
                        (RowMark::Missing, vec!["法人税等".into(), "300,000".into()]),
                        (
                            RowMark::Unexpected,
                            vec!["当期純利益".into(), "1,200,000".into()],
                        ),
                    ]
                } else {
                    vec![(RowMark::Same, vec!["売上高".into(), "10,000,000".into()])]
                },
            }],
            working: Vec::new(),
            earlier: Vec::new(),
        }
    }

    /// Three runs of `連結財務諸表` (one failing on postgres with the flag
    /// on) and two of an invoice feature (one undefined, one with a hostile
    /// name): 3 passed, 1 failed, 1 undefined.
    pub fn run() -> RunReport {
        RunReport {
            title: "Kensho シナリオ".into(),
            started_at_utc: "2025-04-01T09:30:00Z".into(),
            duration_ms: 61_005,
            pending: None,
            interrupted: false,
            lost_servers: Vec::new(),
            timing: None,
            vocabulary: Vec::new(),
            features: vec![
                FeatureReport {
                    keyword: "機能".into(),
                    name: "連結財務諸表".into(),
                    path: "features/ledger/net_income.feature".into(),
                    description: "当期純利益は1計算書に1行だけ。".into(),
                    line: 2,
                    tags: vec!["ledger".into()],
                    language: "ja".into(),
                    working: Vec::new(),
                    // No file text: Cucumber Messages make no test case of it.
                    source: String::new(),
                    scenarios: vec![
                        fast_path("sqlite", "ledger.fast_path=off", false),
                        fast_path("postgres", "ledger.fast_path=off", false),
                        fast_path("postgres", "ledger.fast_path=on", true),
                    ],
                },
                FeatureReport {
                    keyword: "Feature".into(),
                    name: "請求バッチ".into(),
                    path: "features/invoices/rerun.feature".into(),
                    description: String::new(),
                    line: 1,
                    tags: vec![],
                    language: String::new(),
                    working: Vec::new(),
                    // No file text: Cucumber Messages make no test case of it.
                    source: String::new(),
                    scenarios: vec![
                        ScenarioReport {
                            keyword: "Scenario".into(),
                            name: "再実行".into(),
                            engine: "sqlite".into(),
                            variant: None,
                            line: 7,
                            tags: vec![],
                            steps: vec![
                                StepReport {
                                    docstring: Some("A,100\nB,200".into()),
                                    ..step("Given", "the invoice CSV", 8, StepStatus::Passed, 4)
                                },
                                step("When", "the batch runs twice", 12, StepStatus::Undefined, 0),
                            ],
                            duration_ms: 4,
                            started_ms: 0,
                            ..Default::default()
                        },
                        ScenarioReport {
                            keyword: "Scenario Outline".into(),
                            name: HOSTILE.into(),
                            engine: "postgres".into(),
                            variant: None,
                            line: 20,
                            tags: vec!["@x\"y".into()],
                            steps: vec![step(
                                "Then",
                                "text <b>bold</b> & \u{1}control",
                                21,
                                StepStatus::Passed,
                                7,
                            )],
                            duration_ms: 7,
                            started_ms: 0,
                            notes: vec!["p95 < 50 ms & \"ok\"".into()],
                            ..Default::default()
                        },
                    ],
                },
            ],
        }
    }
}

/// A fresh directory under the build's target directory.
pub fn test_dir(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        manifest.join(target)
    };
    target
        .join("report-tests")
        .join(format!("{name}-{}", std::process::id()))
}

/// HTML elements that have no end tag.
const VOID: &[&str] = &["meta", "br", "hr", "img", "link", "input", "col", "wbr"];

/// Checks that `doc` is well-formed enough: every tag closed in order,
/// attribute values quoted, `<` never raw in text, `&` only as `&name;` or
/// `&#digits;`. With `html`, void elements need no end tag and the content
/// of `<style>` is not inspected. Returns the names of the elements opened,
/// in document order.
pub fn well_formed(doc: &str, html: bool) -> Result<Vec<String>, String> {
    let mut opened = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = doc;
    let mut offset = 0;
    let at = |offset: usize, what: &str| format!("at byte {offset}: {what}");
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            check_text(rest).map_err(|e| at(offset, &e))?;
            break;
        };
        check_text(&rest[..lt]).map_err(|e| at(offset, &e))?;
        let tag_start = &rest[lt..];
        let (consumed, tag) = if let Some(body) = tag_start.strip_prefix("<?") {
            (body.find("?>").ok_or("unclosed <?")? + 4, None)
        } else if let Some(body) = tag_start.strip_prefix("<!--") {
            (body.find("-->").ok_or("unclosed comment")? + 7, None)
        } else if tag_start.starts_with("<!") {
            (tag_start.find('>').ok_or("unclosed <!")? + 1, None)
        } else {
            let end = tag_end(tag_start).ok_or_else(|| at(offset, "unclosed tag"))?;
            (end + 1, Some(&tag_start[1..end]))
        };
        if let Some(tag) = tag {
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim();
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => return Err(at(offset + lt, &format!("</{name}> closes {other:?}"))),
                }
            } else {
                let self_closing = tag.ends_with('/');
                let tag = tag.trim_end_matches('/');
                let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == ':')
                {
                    return Err(at(offset + lt, &format!("bad element name {name:?}")));
                }
                check_attributes(&tag[name.len()..]).map_err(|e| at(offset + lt, &e))?;
                opened.push(name.clone());
                if html && name == "style" {
                    let close = rest[lt + consumed..]
                        .find("</style>")
                        .ok_or("unclosed <style>")?;
                    let skip = lt + consumed + close + "</style>".len();
                    offset += skip;
                    rest = &rest[skip..];
                    continue;
                }
                let void = html && VOID.contains(&name.as_str());
                if !self_closing && !void {
                    stack.push(name);
                }
            }
        }
        offset += lt + consumed;
        rest = &rest[lt + consumed..];
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    Ok(opened)
}

/// Index of the `>` that ends the tag starting at `tag[0] == '<'`, skipping
/// quoted attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn check_attributes(mut attrs: &str) -> Result<(), String> {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return Ok(());
        }
        let eq = attrs
            .find('=')
            .ok_or_else(|| format!("attribute without value: {attrs:?}"))?;
        let name = &attrs[..eq];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == ':')
        {
            return Err(format!("bad attribute name {name:?}"));
        }
        let value = &attrs[eq + 1..];
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'');
        let quote = quote.ok_or_else(|| format!("unquoted value of {name}"))?;
        let close = value[1..]
            .find(quote)
            .ok_or_else(|| format!("unclosed value of {name}"))?;
        let inner = &value[1..1 + close];
        if inner.contains('<') {
            return Err(format!("raw < in value of {name}"));
        }
        check_text(inner)?;
        attrs = &value[close + 2..];
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let semi = after.find(';').ok_or("raw & in text")?;
        let entity = &after[..semi];
        let ok = match entity.strip_prefix('#') {
            Some(digits) => !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
            None => matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos"),
        };
        if !ok {
            return Err(format!("bad entity &{entity};"));
        }
        rest = &after[semi + 1..];
    }
    if text.contains("]]>") {
        return Err("]]> in text".into());
    }
    Ok(())
}

#[test]
fn the_checker_rejects_broken_markup() {
    assert!(well_formed("<a><b></b></a>", false).is_ok());
    assert!(well_formed("<a><b></a></b>", false).is_err());
    assert!(well_formed("<a>x & y</a>", false).is_err());
    assert!(well_formed("<a>x &amp; y &#10;</a>", false).is_ok());
    assert!(well_formed("<a t=\"<\"></a>", false).is_err());
    assert!(well_formed("<a t=x></a>", false).is_err());
    assert!(well_formed("<a>", false).is_err());
    assert!(well_formed("<meta charset=\"utf-8\"><p>x</p>", true).is_ok());
    assert!(well_formed("<meta charset=\"utf-8\"><p>x</p>", false).is_err());
    assert!(well_formed("<style>a > b {}</style><p></p>", true).is_ok());
}
