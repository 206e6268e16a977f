//! One self-contained HTML page for reviewers and accountants (レビュー用の報告書).
//!
//! The page needs nothing but itself: inline CSS, no scripts, no fonts or
//! images to fetch. At the top, the counts per engine and a matrix of every
//! scenario against every engine/variant; below, each feature and scenario
//! with its steps, data tables, failure messages, notes and the amount tables
//! it produced, rows marked missing, unexpected or changed.
//!
//! Elements a reader or a test looks for have stable classes and ids:
//! `section.feature#f-0`, `article.scenario.passed#s-0-1` (status one of
//! `passed`, `failed`, `skipped`, `undefined`) with `data-engine`,
//! `data-variant` and `data-status`; `li.step.<status>`; `pre.failure`;
//! `table.result` rows `tr.row.<same|missing|unexpected|changed>` with changed
//! cells `td.changed-cell`; `table.matrix td.cell.<status>`; on the stand-in
//! page of a run that has not finished, `div.stale#stale`.

use std::fmt::Write;

use super::escape::html as esc;
use super::{
    FeatureReport, ResultTable, RowMark, RunReport, ScenarioReport, ScenarioStatus, StatusCounts,
    StepReport, StepStatus, Timing, seconds, tag_name,
};

const STYLE: &str = r#"
:root { --pass: #1a7f37; --pass-bg: #e6f4ea; --fail: #b42318; --fail-bg: #fdecea;
  --skip: #8a6d00; --skip-bg: #fff6d6; --undef: #6941c6; --undef-bg: #f1ecfd;
  --line: #d0d5dd; --muted: #555e6b; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1d2330; background: #fff;
  font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Yu Gothic", "YuGothic", "Meiryo", sans-serif;
  font-size: 15px; line-height: 1.6; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 0 0 .25rem; }
h4 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, pre, .mono { font-family: "Noto Sans Mono CJK JP", "Noto Sans Mono", "Osaka-Mono",
  "MS Gothic", ui-monospace, monospace; }
.muted, .run-meta, .meta, .step-meta, .path { color: var(--muted); font-size: .9em; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid var(--line); padding: .2rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge, .verdict { display: inline-block; padding: 0 .5rem; border-radius: .3rem; font-size: .85em;
  font-weight: bold; }
.passed > .badge, .badge.passed, .verdict.passed, td.cell.passed { background: var(--pass-bg); color: var(--pass); }
.failed > .badge, .badge.failed, .verdict.failed, td.cell.failed { background: var(--fail-bg); color: var(--fail); }
.badge.skipped, td.cell.skipped { background: var(--skip-bg); color: var(--skip); }
.badge.undefined, td.cell.undefined { background: var(--undef-bg); color: var(--undef); }
td.cell { text-align: center; font-weight: bold; }
td.cell a { color: inherit; text-decoration: none; }
td.cell.none { color: var(--muted); font-weight: normal; }
.counts .failed-count.nonzero { color: var(--fail); font-weight: bold; }
.engine, .variant, .tag { display: inline-block; padding: 0 .4rem; border-radius: .3rem;
  font-size: .8em; font-weight: normal; border: 1px solid var(--line); }
.engine { background: #eef4ff; }
.variant { background: #f9f5ff; }
.tag { background: #f2f4f7; }
.description { white-space: pre-wrap; }
article.scenario { border: 1px solid var(--line); border-left: .4rem solid var(--line);
  border-radius: .3rem; padding: .75rem 1rem; margin: .75rem 0; break-inside: avoid; }
article.scenario.passed { border-left-color: var(--pass); }
article.scenario.failed { border-left-color: var(--fail); }
article.scenario.skipped { border-left-color: var(--skip); }
article.scenario.undefined { border-left-color: var(--undef); }
ol.steps { list-style: none; padding: 0; margin: .5rem 0; }
li.step { padding: .15rem .5rem; border-left: .25rem solid transparent; }
li.step.passed { border-left-color: var(--pass); }
li.step.failed { border-left-color: var(--fail); background: var(--fail-bg); }
li.step.skipped { border-left-color: var(--skip); color: var(--muted); }
li.step.undefined { border-left-color: var(--undef); background: var(--undef-bg); }
li.step.ambiguous { border-left-color: var(--fail); background: var(--fail-bg); }
div.stale { margin: 1rem 0; padding: .75rem 1rem; border: 3px solid var(--fail);
  background: var(--fail-bg); color: var(--fail); font-weight: bold; }
li.step .keyword { font-weight: bold; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; padding: .5rem;
  background: #f6f8fa; border-radius: .3rem; }
pre.failure { background: #fff; border: 1px solid var(--fail); color: #1d2330; }
pre.failure .del { color: var(--fail); background: var(--fail-bg); }
pre.failure .add { color: var(--pass); background: var(--pass-bg); }
tr.row.missing { background: var(--fail-bg); }
tr.row.unexpected { background: var(--skip-bg); }
tr.row.changed { background: #f5f8ff; }
td.changed-cell { background: #ffe08a; font-weight: bold; }
td.mark { font-size: .85em; white-space: nowrap; }
ul.notes { margin: .25rem 0; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; } }
"#;

/// The run as one self-contained HTML5 page, every piece of report text
/// escaped.
pub fn html(run: &RunReport) -> String {
    let run = &*run.as_written();
    let mut out = String::new();
    let counts = run.counts();
    let verdict = if run.all_passed() {
        ScenarioStatus::Passed
    } else {
        ScenarioStatus::Failed
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&run.title)
    );
    let _ = writeln!(
        out,
        "<header id=\"run\">\n<h1>{title}</h1>\n<p class=\"run-meta\">開始 started \
         <time datetime=\"{start}\">{start}</time> · 所要時間 duration {duration} s · \
         {total} シナリオ scenarios · <span class=\"verdict {verdict}\">{label}</span></p>\n</header>",
        title = esc(&run.title),
        start = esc(&run.started_at_utc),
        duration = seconds(run.duration_ms),
        total = counts.total(),
        verdict = verdict.as_str(),
        label = status_label(verdict),
    );
    if let Some(reason) = &run.pending {
        let _ = writeln!(
            out,
            "<div class=\"stale\" id=\"stale\" role=\"alert\">古い報告・未完了 {}</div>",
            esc(reason)
        );
    }
    write_summary(&mut out, run);
    if let Some(timing) = &run.timing {
        write_timing(&mut out, timing);
    }
    out.push_str("<main>\n");
    for (f, feature) in run.features.iter().enumerate() {
        write_feature(&mut out, f, feature);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn status_label(status: ScenarioStatus) -> &'static str {
    match status {
        ScenarioStatus::Passed => "成功 passed",
        ScenarioStatus::Failed => "失敗 failed",
        ScenarioStatus::Skipped => "スキップ skipped",
        ScenarioStatus::Undefined => "未定義 undefined",
    }
}

fn write_summary(out: &mut String, run: &RunReport) {
    out.push_str("<section id=\"summary\">\n<h2>概要 Summary</h2>\n");
    out.push_str(
        "<table class=\"counts\">\n<thead><tr><th>エンジン engine</th><th>成功 passed</th>\
         <th>失敗 failed</th><th>スキップ skipped</th><th>未定義 undefined</th>\
         <th>合計 total</th></tr></thead>\n<tbody>\n",
    );
    for engine in run.counts_by_engine() {
        counts_row(
            out,
            &format!(" data-engine=\"{}\"", esc(&engine.engine)),
            &esc(&engine.engine),
            engine.counts,
        );
    }
    counts_row(out, " class=\"total\"", "合計 all", run.counts());
    out.push_str("</tbody>\n</table>\n");
    write_matrix(out, run);
    out.push_str("</section>\n");
}

/// Where the run's time went: per engine its wall time and how long scenarios
/// waited for their databases, then the slowest scenarios.
fn write_timing(out: &mut String, timing: &Timing) {
    let ms = super::millis;
    out.push_str(
        "<section id=\"timing\">\n<h2>所要時間 Where the time went</h2>\n\
         <table class=\"counts\">\n<thead><tr><th>エンジン engine</th><th>経過 wall s</th>\
         <th>シナリオ scenarios</th><th>DB databases</th><th>払出 handout p50 ms</th>\
         <th>p95 ms</th><th>最大 max ms</th></tr></thead>\n<tbody>\n",
    );
    for e in &timing.engines {
        let _ = writeln!(
            out,
            "<tr data-engine=\"{engine}\"><th>{engine}</th><td class=\"num\">{wall}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            e.scenarios,
            e.databases,
            ms(e.handout_p50_us),
            ms(e.handout_p95_us),
            ms(e.handout_max_us),
            engine = esc(&e.engine),
            wall = seconds(e.wall_ms),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if !timing.slowest.is_empty() {
        out.push_str("<h3>最も遅いシナリオ Slowest scenarios</h3>\n<ol class=\"slowest\">\n");
        for s in &timing.slowest {
            let _ = writeln!(
                out,
                "<li><span class=\"num\">{} s</span> [{}] {} <span class=\"location\">{}:{}</span></li>",
                seconds(s.ms),
                esc(&s.engine),
                esc(&s.name),
                esc(&s.file),
                s.line
            );
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
}

fn counts_row(out: &mut String, attrs: &str, label: &str, counts: StatusCounts) {
    let failed_class = if counts.failed > 0 { " nonzero" } else { "" };
    let _ = writeln!(
        out,
        "<tr{attrs}><th>{label}</th><td class=\"num passed-count\">{}</td>\
         <td class=\"num failed-count{failed_class}\">{}</td><td class=\"num skipped-count\">{}</td>\
         <td class=\"num undefined-count\">{}</td><td class=\"num total-count\">{}</td></tr>",
        counts.passed,
        counts.failed,
        counts.skipped,
        counts.undefined,
        counts.total(),
    );
}

/// One row per scenario (feature, name, line), one column per engine and
/// variant, each cell the status of that run linked to its details.
fn write_matrix(out: &mut String, run: &RunReport) {
    /// (engine, variant).
    type Column<'a> = (&'a str, Option<&'a str>);
    /// (feature index, scenario name, line).
    type RowKey<'a> = (usize, &'a str, usize);
    /// Status of the run in one column and the id of its details.
    type Cell = Option<(ScenarioStatus, String)>;
    let mut columns: Vec<Column> = Vec::new();
    let mut rows: Vec<(RowKey, Vec<Cell>)> = Vec::new();
    for (f, feature) in run.features.iter().enumerate() {
        for (s, scenario) in feature.scenarios.iter().enumerate() {
            let column = (scenario.engine.as_str(), scenario.variant.as_deref());
            let c = columns
                .iter()
                .position(|c| *c == column)
                .unwrap_or_else(|| {
                    columns.push(column);
                    columns.len() - 1
                });
            let key = (f, scenario.name.as_str(), scenario.line);
            let r = rows.iter().position(|(k, _)| *k == key).unwrap_or_else(|| {
                rows.push((key, Vec::new()));
                rows.len() - 1
            });
            let cells = &mut rows[r].1;
            cells.resize(cells.len().max(c + 1), None);
            let status = scenario.status();
            // Two runs in one cell (e.g. outline examples of one name and
            // line): the cell shows the worse one.
            if cells[c].as_ref().is_none_or(|(old, _)| status > *old) {
                cells[c] = Some((status, format!("s-{f}-{s}")));
            }
        }
    }

    out.push_str("<h3>シナリオ × エンジン Scenario matrix</h3>\n<table class=\"matrix\">\n<thead><tr><th>機能 feature</th><th>シナリオ scenario</th>");
    for (engine, variant) in &columns {
        let _ = write!(out, "<th data-engine=\"{}\">{}", esc(engine), esc(engine));
        if let Some(variant) = variant {
            let _ = write!(out, "<br><span class=\"variant\">{}</span>", esc(variant));
        }
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for ((f, name, line), cells) in &rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{} <span class=\"muted\">:{line}</span></td>",
            esc(&run.features[*f].name),
            esc(name)
        );
        for (c, (engine, _)) in columns.iter().enumerate() {
            match cells.get(c).and_then(Option::as_ref) {
                Some((status, anchor)) => {
                    let _ = write!(
                        out,
                        "<td class=\"cell {status}\" data-engine=\"{engine}\"><a href=\"#{anchor}\">{label}</a></td>",
                        status = status.as_str(),
                        engine = esc(engine),
                        label = status_label(*status),
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "<td class=\"cell none\" data-engine=\"{}\">—</td>",
                        esc(engine)
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn write_feature(out: &mut String, f: usize, feature: &FeatureReport) {
    let counts = feature.counts();
    let _ = writeln!(
        out,
        "<section class=\"feature\" id=\"f-{f}\">\n<h2><span class=\"keyword\">機能</span> {}</h2>\n\
         <p class=\"path\"><code>{}</code> · 成功 {} / 失敗 {} / 合計 {}</p>",
        esc(&feature.name),
        esc(&feature.path),
        counts.passed,
        counts.failed,
        counts.total(),
    );
    write_tags(out, &feature.tags);
    if !feature.description.trim().is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"description\">{}</p>",
            esc(feature.description.trim())
        );
    }
    for (s, scenario) in feature.scenarios.iter().enumerate() {
        write_scenario(out, f, s, scenario);
    }
    out.push_str("</section>\n");
}

fn write_tags(out: &mut String, tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    out.push_str("<p class=\"tags\">");
    for tag in tags {
        let _ = write!(out, "<span class=\"tag\">{}</span> ", esc(&tag_name(tag)));
    }
    out.push_str("</p>\n");
}

fn write_scenario(out: &mut String, f: usize, s: usize, scenario: &ScenarioReport) {
    let status = scenario.status();
    let variant_attr = scenario
        .variant
        .as_deref()
        .map(|v| format!(" data-variant=\"{}\"", esc(v)))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<article class=\"scenario {status}\" id=\"s-{f}-{s}\" data-engine=\"{engine}\"{variant_attr} data-status=\"{status}\">\n\
         <h3><span class=\"badge {status}\">{label}</span> {name} <span class=\"engine\">{engine}</span>",
        status = status.as_str(),
        engine = esc(&scenario.engine),
        label = status_label(status),
        name = esc(&scenario.name),
    );
    if let Some(variant) = &scenario.variant {
        let _ = write!(out, " <span class=\"variant\">{}</span>", esc(variant));
    }
    let _ = writeln!(
        out,
        "</h3>\n<p class=\"meta\">行 line {} · {} s</p>",
        scenario.line,
        seconds(scenario.duration_ms)
    );
    write_tags(out, &scenario.tags);

    out.push_str("<ol class=\"steps\">\n");
    for step in &scenario.steps {
        write_step(out, step);
    }
    out.push_str("</ol>\n");

    if !scenario.notes.is_empty() {
        out.push_str("<section class=\"notes\">\n<h4>メモ notes</h4>\n<ul class=\"notes\">\n");
        for note in &scenario.notes {
            let _ = writeln!(out, "<li>{}</li>", esc(note));
        }
        out.push_str("</ul>\n</section>\n");
    }
    for table in &scenario.tables {
        write_result_table(out, table);
    }
    out.push_str("</article>\n");
}

fn write_step(out: &mut String, step: &StepReport) {
    let _ = write!(
        out,
        "<li class=\"step {}\"><span class=\"keyword\">{}</span> <span class=\"text\">{}</span> \
         <span class=\"step-meta\">行 {} · {} s",
        step.status.as_str(),
        esc(step.keyword.trim()),
        esc(&step.text),
        step.line,
        seconds(step.duration_ms),
    );
    if !matches!(step.status, StepStatus::Passed) {
        let _ = write!(out, " · {}", step.status.as_str());
    }
    out.push_str("</span>\n");
    if let Some(table) = &step.table {
        write_data_table(out, table);
    }
    if let Some(docstring) = &step.docstring {
        let _ = writeln!(out, "<pre class=\"docstring\">{}</pre>", esc(docstring));
    }
    if let Some((_, message)) = step.status.problem() {
        out.push_str("<pre class=\"failure\">");
        write_failure_lines(out, message);
        out.push_str("</pre>\n");
    }
    out.push_str("</li>\n");
}

/// A failure message, with the lines of a table diff (`- missing`, `+
/// unexpected`) marked so that they stand out.
fn write_failure_lines(out: &mut String, message: &str) {
    for (i, line) in message.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let class = match line.trim_start().chars().next() {
            Some('-') => Some("del"),
            Some('+') => Some("add"),
            _ => None,
        };
        match class {
            Some(class) => {
                let _ = write!(out, "<span class=\"{class}\">{}</span>", esc(line));
            }
            None => out.push_str(&esc(line)),
        }
    }
}

/// A step's data table, its first row as the header.
fn write_data_table(out: &mut String, table: &[Vec<String>]) {
    let Some((header, body)) = table.split_first() else {
        return;
    };
    out.push_str("<table class=\"data\">\n<thead><tr>");
    for cell in header {
        let _ = write!(out, "<th>{}</th>", esc(cell));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in body {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn write_result_table(out: &mut String, table: &ResultTable) {
    let _ = write!(
        out,
        "<section class=\"result-table\">\n<h4>{}</h4>\n<table class=\"result\">\n<thead><tr><th class=\"mark\">照合 check</th>",
        esc(&table.title)
    );
    for column in &table.columns {
        let _ = write!(out, "<th>{}</th>", esc(column));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (mark, cells) in &table.rows {
        let label = match mark {
            RowMark::Same => "一致 same",
            RowMark::Missing => "不足 missing",
            RowMark::Unexpected => "余分 unexpected",
            RowMark::Changed(_) => "差異 changed",
        };
        let _ = write!(
            out,
            "<tr class=\"row {}\"><td class=\"mark\">{label}</td>",
            mark.as_str()
        );
        for (i, cell) in cells.iter().enumerate() {
            let changed = matches!(mark, RowMark::Changed(indices) if indices.contains(&i));
            if changed {
                let _ = write!(out, "<td class=\"changed-cell\">{}</td>", esc(cell));
            } else {
                let _ = write!(out, "<td>{}</td>", esc(cell));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::super::testing::{sample, well_formed};
    use super::*;

    fn page() -> String {
        html(&sample::run())
    }

    #[test]
    fn html_is_self_contained_and_well_formed() {
        let page = page();
        assert!(
            page.starts_with(
                "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">"
            )
        );
        for external in [
            "<script", "<link", "src=", "@import", "url(", "http://", "https://",
        ] {
            assert!(
                !page.contains(external),
                "page refers to something outside: {external}"
            );
        }
        assert!(page.contains(
            "font-family: \"Noto Sans CJK JP\", \"Noto Sans JP\", \"Hiragino Sans\", \"Hiragino Kaku Gothic ProN\",\n    \"Yu Gothic\", \"YuGothic\", \"Meiryo\", sans-serif;"
        ));
        let elements = well_formed(&page, true).expect("well-formed HTML");
        assert_eq!(elements.iter().filter(|e| *e == "article").count(), 5);
        // Summary, 2 features, 4 scenarios with notes, 3 result tables.
        assert_eq!(
            elements.iter().filter(|e| *e == "section").count(),
            1 + 2 + 4 + 3
        );
    }

    #[test]
    fn html_marks_scenarios_with_status_and_engine() {
        let page = page();
        assert_eq!(page.matches("class=\"scenario passed\"").count(), 3);
        assert_eq!(page.matches("class=\"scenario failed\"").count(), 1);
        assert_eq!(page.matches("class=\"scenario undefined\"").count(), 1);
        assert!(page.contains(
            "<article class=\"scenario failed\" id=\"s-0-2\" data-engine=\"postgres\" data-variant=\"ledger.fast_path=on\" data-status=\"failed\">"
        ));
        assert!(page.contains(
            "<article class=\"scenario undefined\" id=\"s-1-0\" data-engine=\"sqlite\" data-status=\"undefined\">"
        ));
    }

    #[test]
    fn html_summary_counts_per_engine_and_matrix() {
        let page = page();
        assert!(page.contains(
            "<tr data-engine=\"sqlite\"><th>sqlite</th><td class=\"num passed-count\">1</td><td class=\"num failed-count\">0</td><td class=\"num skipped-count\">0</td><td class=\"num undefined-count\">1</td><td class=\"num total-count\">2</td></tr>"
        ));
        assert!(page.contains(
            "<tr data-engine=\"postgres\"><th>postgres</th><td class=\"num passed-count\">2</td><td class=\"num failed-count nonzero\">1</td>"
        ));
        assert!(page.contains(
            "<tr class=\"total\"><th>合計 all</th><td class=\"num passed-count\">3</td>"
        ));
        // Columns: sqlite/off, postgres/off, postgres/on, sqlite, postgres.
        let matrix = &page[page.find("<table class=\"matrix\">").unwrap()..];
        let matrix = &matrix[..matrix.find("</table>").unwrap()];
        assert_eq!(matrix.matches("<th data-engine=").count(), 5);
        assert!(matrix.contains(
            "<tr><td>連結財務諸表</td><td>当期純利益の再計算 <span class=\"muted\">:4</span></td>\
             <td class=\"cell passed\" data-engine=\"sqlite\"><a href=\"#s-0-0\">成功 passed</a></td>\
             <td class=\"cell passed\" data-engine=\"postgres\"><a href=\"#s-0-1\">成功 passed</a></td>\
             <td class=\"cell failed\" data-engine=\"postgres\"><a href=\"#s-0-2\">失敗 failed</a></td>\
             <td class=\"cell none\" data-engine=\"sqlite\">—</td><td class=\"cell none\" data-engine=\"postgres\">—</td></tr>"
        ));
        assert_eq!(matrix.matches("class=\"cell failed\"").count(), 1);
        assert_eq!(matrix.matches("class=\"cell passed\"").count(), 3);
        assert_eq!(matrix.matches("class=\"cell undefined\"").count(), 1);
        assert!(page.contains("<span class=\"verdict failed\">失敗 failed</span>"));
        assert!(page.contains("所要時間 duration 61.005 s"));
    }

    #[test]
    fn html_shows_steps_tables_failures_and_notes() {
        let page = page();
        assert!(page.contains(
            "<li class=\"step passed\"><span class=\"keyword\">前提</span> <span class=\"text\">連結対象の財務諸表がある</span> <span class=\"step-meta\">行 5 · 0.012 s</span>\n\
             <table class=\"data\">\n<thead><tr><th>勘定科目</th><th>金額</th></tr></thead>\n<tbody>\n<tr><td>当期純利益</td><td>1,200,000</td></tr>\n</tbody>\n</table>"
        ));
        assert!(page.contains(
            "<pre class=\"failure\">the table differs (person | amount):\n\
             <span class=\"del\">  - missing:    | C | 80,000 |</span>\n\
             <span class=\"add\">  + unexpected: | C | 100,000 |</span></pre>"
        ));
        assert!(page.contains("<li class=\"step skipped\">"));
        assert!(page.contains("<pre class=\"docstring\">A,100\nB,200</pre>"));
        assert!(page.contains("<li>statements saved: 6</li>"));
    }

    #[test]
    fn html_marks_result_rows_and_changed_cells() {
        let page = page();
        assert!(page.contains(
            "<tr class=\"row changed\"><td class=\"mark\">差異 changed</td><td>当期純利益</td><td class=\"changed-cell\">2,400,000</td></tr>"
        ));
        assert!(page.contains(
            "<tr class=\"row missing\"><td class=\"mark\">不足 missing</td><td>法人税等</td><td>300,000</td></tr>"
        ));
        assert!(page.contains(
            "<tr class=\"row unexpected\"><td class=\"mark\">余分 unexpected</td><td>当期純利益</td><td>1,200,000</td></tr>"
        ));
        assert_eq!(page.matches("class=\"row same\"").count(), 3);
        assert_eq!(page.matches("class=\"changed-cell\"").count(), 1);
    }

    #[test]
    fn html_shows_why_undefined_and_ambiguous_steps_fail() {
        let page = page();
        assert!(page.contains(&format!(
            "<li class=\"step undefined\"><span class=\"keyword\">When</span> <span class=\"text\">the batch runs twice</span> <span class=\"step-meta\">行 12 · 0.000 s · undefined</span>\n<pre class=\"failure\">{}</pre>",
            esc(crate::report::UNDEFINED_MESSAGE)
        )));
        let mut run = sample::run();
        run.features[1].scenarios[0].steps[1].status =
            StepStatus::Ambiguous("it matches ^a$ and ^.*$".into());
        let page = html(&run);
        assert!(page.contains(
            "<li class=\"step ambiguous\"><span class=\"keyword\">When</span> <span class=\"text\">the batch runs twice</span> <span class=\"step-meta\">行 12 · 0.000 s · ambiguous</span>\n<pre class=\"failure\">it matches ^a$ and ^.*$</pre>"
        ));
        assert!(page.contains("<article class=\"scenario failed\" id=\"s-1-0\""));
        assert!(!page.contains("id=\"stale\""));
    }

    #[test]
    fn html_shows_where_the_time_went() {
        let mut run = sample::run();
        assert!(
            !html(&run).contains("id=\"timing\""),
            "no timing, no section"
        );
        run.timing = Some(Timing {
            engines: vec![super::super::EngineTiming {
                engine: "postgres".into(),
                wall_ms: 12_345,
                scenarios: 3,
                databases: 4,
                handout_p50_us: 1_250,
                handout_p95_us: 20_000,
                handout_max_us: 31_500,
            }],
            slowest: vec![super::super::ScenarioTime {
                engine: "postgres".into(),
                name: "Purge <all>".into(),
                file: "features/karte/purge.feature".into(),
                line: 7,
                ms: 4_200,
            }],
        });
        let page = html(&run);
        well_formed(&page, true).expect("well-formed HTML");
        assert!(page.contains(
            "<tr data-engine=\"postgres\"><th>postgres</th><td class=\"num\">12.345</td><td class=\"num\">3</td><td class=\"num\">4</td><td class=\"num\">1.3</td><td class=\"num\">20.0</td><td class=\"num\">31.5</td></tr>"
        ), "{page}");
        assert!(page.contains(
            "<li><span class=\"num\">4.200 s</span> [postgres] Purge &lt;all&gt; <span class=\"location\">features/karte/purge.feature:7</span></li>"
        ));
    }

    #[test]
    fn html_of_a_stand_in_has_a_banner_and_never_says_passed() {
        let run = RunReport {
            title: "Kensho run 7".into(),
            pending: Some("STALE: these are not test results <yet>.".into()),
            ..RunReport::default()
        };
        let page = html(&run);
        assert!(page.contains(
            "<div class=\"stale\" id=\"stale\" role=\"alert\">古い報告・未完了 STALE: these are not test results &lt;yet&gt;.</div>"
        ));
        assert!(page.contains("<span class=\"verdict failed\">"));
        well_formed(&page, true).expect("well-formed HTML");
        // An empty run is no green either.
        let empty = html(&RunReport::default());
        assert!(empty.contains("<span class=\"verdict failed\">"));
    }

    #[test]
    fn html_escapes_hostile_text() {
        let page = page();
        assert!(!page.contains("<script"));
        assert!(!page.contains("<b>"));
        assert!(!page.contains('\u{1}'));
        assert!(page.contains(
            "Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;q&#39; <span class=\"engine\">postgres</span>"
        ));
        assert!(
            page.contains("<span class=\"text\">text &lt;b&gt;bold&lt;/b&gt; &amp; control</span>")
        );
        assert!(page.contains("<span class=\"tag\">@x&quot;y</span>"));
        assert!(page.contains("<li>p95 &lt; 50 ms &amp; &quot;ok&quot;</li>"));

        // Attribute values cannot be broken out of either.
        let mut run = sample::run();
        run.features[0].scenarios[0].engine = "x\" onmouseover=\"alert(1)".into();
        run.features[0].scenarios[0].variant = Some("'><img src=x>".into());
        let page = html(&run);
        assert!(!page.contains("\" onmouseover"));
        assert!(!page.contains("<img"));
        assert!(page.contains("data-engine=\"x&quot; onmouseover=&quot;alert(1)\""));
        well_formed(&page, true).expect("well-formed HTML");
    }
}
