//! One self-contained HTML page for reviewers and accountants (レビュー用の報告書).
//!
//! The page needs nothing but itself: inline CSS, no scripts, no fonts or
//! images to fetch. At the top, the counts per engine and, per feature
//! (features with failures first), a matrix of its scenarios against the
//! engines/variants; a checkbox hides what passed (CSS only). Below, each
//! feature and scenario with its steps, the working written in its comments
//! (計算), data tables, failures (a failed table step's rows side by side,
//! expected and found, differing cells marked), notes and the tables its
//! database holds, rows marked same, changed, missing or unexpected.
//!
//! Cells are shown as the services declared their columns
//! ([`kensho_shared::vocabulary`]): money right-aligned with separators and
//! `¥`, codes with their labels in the feature's language. Times are Tokyo
//! time (JST). The page prints on A4.
//!
//! Elements a reader or a test looks for have stable classes and ids:
//! `section.feature#f-0`, `article.scenario.passed#s-0-1` (status one of
//! `passed`, `failed`, `skipped`, `undefined`) with `data-engine`,
//! `data-variant` and `data-status`; `li.step.<status>`; `li.working`;
//! `pre.failure`; `table.diff` rows `tr.row.<changed|missing|unexpected>`;
//! `table.result` rows `tr.row.<same|missing|unexpected|changed>` with changed
//! cells `td.changed-cell`; money cells `td.money`; code cells `span.label`;
//! `input#only-failures`; `section.matrix-feature` with `table.matrix
//! td.cell.<status>`; on the stand-in page of a run that has not finished,
//! `div.stale#stale`.

use std::fmt::Write;

use kensho_shared::money::{grouped, parse_amount};
use kensho_shared::vocabulary::{self, Meaning, Term};

use super::diff::{self, RowsDiff};
use super::escape::html as esc;
use super::{
    Comment, FeatureReport, ResultTable, RowMark, RunReport, ScenarioReport, ScenarioStatus,
    StatusCounts, StepReport, StepStatus, Timing, seconds, tag_name,
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
table { border-collapse: collapse; margin: .4rem 0; max-width: 100%; }
th, td { border: 1px solid var(--line); padding: .2rem .6rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
thead th { background: #f2f4f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code.code { color: var(--muted); font-size: .8em; }
.badge, .verdict { display: inline-block; padding: 0 .5rem; border-radius: .3rem; font-size: .85em;
  font-weight: bold; }
.passed > .badge, .badge.passed, .verdict.passed, td.cell.passed { background: var(--pass-bg); color: var(--pass); }
.failed > .badge, .badge.failed, .verdict.failed, td.cell.failed { background: var(--fail-bg); color: var(--fail); }
.badge.skipped, td.cell.skipped { background: var(--skip-bg); color: var(--skip); }
.badge.undefined, td.cell.undefined { background: var(--undef-bg); color: var(--undef); }
td.cell { text-align: center; font-weight: bold; white-space: nowrap; }
td.cell a { color: inherit; text-decoration: none; }
td.cell.none { color: var(--muted); font-weight: normal; }
.counts .failed-count.nonzero { color: var(--fail); font-weight: bold; }
.engine, .variant, .tag { display: inline-block; padding: 0 .4rem; border-radius: .3rem;
  font-size: .8em; font-weight: normal; border: 1px solid var(--line); }
.engine { background: #eef4ff; }
.variant { background: #f9f5ff; }
.tag { background: #f2f4f7; }
.description { white-space: pre-wrap; }
.filter { display: inline-block; margin: .5rem 0; padding: .2rem .6rem; border: 1px solid var(--line);
  border-radius: .3rem; cursor: pointer; }
#only-failures { position: absolute; left: -100vw; }
#only-failures:checked ~ #summary label.filter {
  background: var(--fail-bg); border-color: var(--fail); }
#only-failures:checked ~ #summary .filter .box::before { content: "☑ "; }
#only-failures:not(:checked) ~ #summary .filter .box::before { content: "☐ "; }
#only-failures:checked ~ #summary .matrix-feature.all-passed,
#only-failures:checked ~ #summary tr.matrix-row.all-passed,
#only-failures:checked ~ main section.feature.all-passed,
#only-failures:checked ~ main article.scenario.passed { display: none; }
section.matrix-feature { margin: .5rem 0 1rem; break-inside: avoid; }
section.matrix-feature h4 { margin: .25rem 0; }
table.matrix { width: 100%; table-layout: fixed; }
table.matrix th.scenario-name { width: auto; }
table.matrix th.engine-column { width: 7.5rem; }
article.scenario { border: 1px solid var(--line); border-left: .4rem solid var(--line);
  border-radius: .3rem; padding: .75rem 1rem; margin: .75rem 0; }
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
li.working { margin: .3rem 0 .1rem 1.5rem; padding: .2rem .6rem; border-left: .25rem solid #98a2b3;
  background: #f8f9fb; }
li.working .working-label { font-size: .8em; font-weight: bold; color: var(--muted); }
li.working pre { margin: 0; padding: 0; background: none; font-size: .9em; }
li.working .line { color: var(--muted); font-size: .8em; }
div.stale { margin: 1rem 0; padding: .75rem 1rem; border: 3px solid var(--fail);
  background: var(--fail-bg); color: var(--fail); font-weight: bold; }
li.step .keyword { font-weight: bold; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; padding: .5rem;
  background: #f6f8fa; border-radius: .3rem; }
pre.failure { background: #fff; border: 1px solid var(--fail); color: #1d2330; }
pre.failure .del { color: var(--fail); background: var(--fail-bg); }
pre.failure .add { color: var(--pass); background: var(--pass-bg); }
table.diff th.side { text-align: center; }
table.diff td.absent { color: var(--muted); text-align: center; }
tr.row.missing { background: var(--fail-bg); }
tr.row.unexpected { background: var(--skip-bg); }
tr.row.changed { background: #f5f8ff; }
td.changed-cell { background: #ffe08a; font-weight: bold; }
td.changed-cell .expected { display: block; font-weight: normal; font-size: .85em; color: var(--fail); }
td.mark { font-size: .85em; white-space: nowrap; }
ul.notes { margin: .25rem 0; }
@page { size: A4; margin: 12mm 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.4; }
  a { color: inherit; text-decoration: none; }
  .filter, #only-failures { display: none; }
  table { width: 100%; page-break-inside: auto; }
  thead { display: table-header-group; }
  tr, li.step, li.working { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  th, td { padding: .1rem .3rem; }
  pre { white-space: pre-wrap; }
  details.raw { display: none; }
}
"#;

/// How cells are shown: the services' declared meaning of columns, in the
/// language of the feature (`ja`, or English).
#[derive(Clone, Copy)]
struct Cells<'a> {
    terms: &'a [Term],
    language: &'a str,
}

impl Cells<'_> {
    /// A cell of a column `term` declares (none: shown as written, numbers
    /// right-aligned): `(class, inner HTML)`.
    fn show(&self, term: Option<&Term>, value: &str) -> (&'static str, String) {
        let value = value.trim();
        let Some(term) = term else {
            let class = if parse_amount(value).is_ok() {
                "num"
            } else {
                ""
            };
            return (class, esc(value));
        };
        match term.meaning {
            Meaning::Money { currency } => match parse_amount(value) {
                Ok(amount) => ("num money", money(&grouped(amount), currency)),
                Err(_) => ("", esc(value)),
            },
            Meaning::Codes(_) => match (term.label(value, self.language), term.code(value)) {
                (Some(label), Some(code)) if code != label => (
                    "",
                    format!(
                        "<span class=\"label\">{}</span> <code class=\"code\">{}</code>",
                        esc(label),
                        esc(code)
                    ),
                ),
                (Some(label), _) => ("", format!("<span class=\"label\">{}</span>", esc(label))),
                _ => ("", esc(value)),
            },
        }
    }

    /// The declaration of a data table's column, by its header.
    fn of_header(&self, header: &str) -> Option<&Term> {
        vocabulary::of_header(self.terms, header)
    }
}

/// An amount with its currency's sign: `¥1,067,500` (minus before the sign).
fn money(grouped: &str, currency: &str) -> String {
    let sign = match currency {
        "JPY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        _ => "",
    };
    let (minus, digits) = match grouped.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", grouped),
    };
    if sign.is_empty() {
        format!("{minus}{digits} {}", esc(currency))
    } else {
        format!("{minus}{sign}{digits}")
    }
}

/// The run as one self-contained HTML5 page, every piece of report text
/// escaped.
pub fn html(run: &RunReport) -> String {
    let mut sink = super::Sink::default();
    html_into(run, &mut sink);
    sink.text
}

/// [`html`], written to `to` a scenario at a time.
pub fn write_html(run: &RunReport, to: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut sink = super::Sink::to(to);
    html_into(run, &mut sink);
    sink.finish().map(drop)
}

/// Makes [`html`] into `sink`, flushing it after every scenario.
fn html_into(run: &RunReport, sink: &mut super::Sink) {
    let run = &*run.as_written();
    let out = &mut sink.text;
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
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <input type=\"checkbox\" id=\"only-failures\">\n",
        esc(&run.title)
    );
    let shown_start =
        super::tokyo_time(&run.started_at_utc).unwrap_or_else(|| run.started_at_utc.clone());
    let _ = writeln!(
        out,
        "<header id=\"run\">\n<h1>{title}</h1>\n<p class=\"run-meta\">開始 started \
         <time datetime=\"{start}\">{shown}</time> · 所要時間 duration {duration} s · \
         {total} シナリオ scenarios · <span class=\"verdict {verdict}\">{label}</span></p>\n</header>",
        title = esc(&run.title),
        start = esc(&run.started_at_utc),
        shown = esc(&shown_start),
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
    write_summary(out, run);
    if let Some(timing) = &run.timing {
        write_timing(out, timing);
    }
    out.push_str("<main>\n");
    sink.flush();
    for (f, feature) in run.features.iter().enumerate() {
        let cells = Cells {
            terms: &run.vocabulary,
            language: &feature.language,
        };
        write_feature(sink, f, feature, cells);
    }
    sink.text.push_str("</main>\n</body>\n</html>\n");
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

/// (engine, variant).
type Column<'a> = (&'a str, Option<&'a str>);
/// Status of the run in one column and the id of its details.
type Cell = Option<(ScenarioStatus, String)>;

/// One row of a feature's matrix: the scenario's name and line, and a cell
/// per column.
struct MatrixRow<'a> {
    name: &'a str,
    line: usize,
    cells: Vec<Cell>,
}

impl MatrixRow<'_> {
    /// The worst status of the row's runs.
    fn worst(&self) -> ScenarioStatus {
        self.cells
            .iter()
            .flatten()
            .map(|(s, _)| *s)
            .max()
            .unwrap_or(ScenarioStatus::Passed)
    }
}

/// Per feature (those with failures first), one row per scenario (name and
/// line; failures first), one column per engine and variant the feature ran
/// on, each cell the status of that run linked to its details. A checkbox at
/// the top hides what passed.
fn write_matrix(out: &mut String, run: &RunReport) {
    out.push_str(
        "<h3>シナリオ × エンジン Scenario matrix</h3>\n\
         <label class=\"filter\" for=\"only-failures\"><span class=\"box\"></span>\
         失敗のみ表示 show failures only</label>\n<div class=\"matrix-groups\">\n",
    );
    let mut groups: Vec<(usize, Vec<Column>, Vec<MatrixRow>)> = Vec::new();
    for (f, feature) in run.features.iter().enumerate() {
        let mut columns: Vec<Column> = Vec::new();
        let mut rows: Vec<MatrixRow> = Vec::new();
        for (s, scenario) in feature.scenarios.iter().enumerate() {
            let column = (scenario.engine.as_str(), scenario.variant.as_deref());
            let c = columns
                .iter()
                .position(|c| *c == column)
                .unwrap_or_else(|| {
                    columns.push(column);
                    columns.len() - 1
                });
            let r = rows
                .iter()
                .position(|r| r.name == scenario.name && r.line == scenario.line)
                .unwrap_or_else(|| {
                    rows.push(MatrixRow {
                        name: &scenario.name,
                        line: scenario.line,
                        cells: Vec::new(),
                    });
                    rows.len() - 1
                });
            let cells = &mut rows[r].cells;
            cells.resize(cells.len().max(c + 1), None);
            let status = scenario.status();
            // Two runs in one cell (e.g. outline examples of one name and
            // line): the cell shows the worse one.
            if cells[c].as_ref().is_none_or(|(old, _)| status > *old) {
                cells[c] = Some((status, format!("s-{f}-{s}")));
            }
        }
        // Failures first; otherwise in file order (a stable sort).
        rows.sort_by_key(|r| std::cmp::Reverse(r.worst()));
        groups.push((f, columns, rows));
    }
    let worst = |rows: &[MatrixRow]| {
        rows.iter()
            .map(MatrixRow::worst)
            .max()
            .unwrap_or(ScenarioStatus::Passed)
    };
    groups.sort_by_key(|(_, _, rows)| std::cmp::Reverse(worst(rows)));
    for (f, columns, rows) in &groups {
        let feature = &run.features[*f];
        let all_passed = worst(rows) == ScenarioStatus::Passed;
        let counts = feature.counts();
        let _ = write!(
            out,
            "<section class=\"matrix-feature{}\" data-feature=\"f-{f}\">\n<h4><a href=\"#f-{f}\">{}</a> \
             <span class=\"muted\">{} · 成功 {} / 失敗 {} / 合計 {}</span></h4>\n\
             <table class=\"matrix\">\n<thead><tr><th class=\"scenario-name\">シナリオ scenario</th>",
            if all_passed { " all-passed" } else { "" },
            esc(&feature.name),
            esc(&feature.path),
            counts.passed,
            counts.failures(),
            counts.total(),
        );
        for (engine, variant) in columns {
            let _ = write!(
                out,
                "<th class=\"engine-column\" data-engine=\"{}\">{}",
                esc(engine),
                esc(engine)
            );
            if let Some(variant) = variant {
                let _ = write!(out, "<br><span class=\"variant\">{}</span>", esc(variant));
            }
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            let _ = write!(
                out,
                "<tr class=\"matrix-row{}\"><td>{} <span class=\"muted\">:{}</span></td>",
                if row.worst() == ScenarioStatus::Passed {
                    " all-passed"
                } else {
                    ""
                },
                esc(row.name),
                row.line
            );
            for (c, (engine, _)) in columns.iter().enumerate() {
                match row.cells.get(c).and_then(Option::as_ref) {
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
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</div>\n");
}

fn write_feature(sink: &mut super::Sink, f: usize, feature: &FeatureReport, cells: Cells) {
    let out = &mut sink.text;
    let counts = feature.counts();
    let all_passed = counts.passed == counts.total();
    let _ = writeln!(
        out,
        "<section class=\"feature{}\" id=\"f-{f}\" lang=\"{}\">\n<h2><span class=\"keyword\">{}</span> {}</h2>\n\
         <p class=\"path\"><code>{}</code> · 成功 {} / 失敗 {} / 合計 {}</p>",
        if all_passed { " all-passed" } else { "" },
        if feature.language == "ja" { "ja" } else { "en" },
        esc(feature.keyword()),
        esc(&feature.name),
        esc(&feature.path),
        counts.passed,
        counts.failures(),
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
    if !feature.working.is_empty() {
        out.push_str("<ol class=\"steps feature-working\">\n");
        write_working(out, &feature.working);
        out.push_str("</ol>\n");
    }
    for (s, scenario) in feature.scenarios.iter().enumerate() {
        write_scenario(&mut sink.text, f, s, scenario, cells);
        sink.flush();
    }
    sink.text.push_str("</section>\n");
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

/// Comments of consecutive lines as one block of working (計算), its first
/// line named.
fn write_working(out: &mut String, comments: &[Comment]) {
    let mut blocks: Vec<&[Comment]> = Vec::new();
    let mut start = 0;
    for i in 1..=comments.len() {
        if i == comments.len() || comments[i].line != comments[i - 1].line + 1 {
            blocks.push(&comments[start..i]);
            start = i;
        }
    }
    for block in blocks.into_iter().filter(|b| !b.is_empty()) {
        let text: Vec<&str> = block.iter().map(|c| c.text.as_str()).collect();
        let _ = writeln!(
            out,
            "<li class=\"working\" data-line=\"{line}\"><span class=\"working-label\">計算 working</span> \
             <span class=\"line\">行 {line}</span><pre>{}</pre></li>",
            esc(&text.join("\n")),
            line = block[0].line,
        );
    }
}

/// What the meta line says of a scenario run again after failing (`--retry
/// N`): its last attempt is shown; nothing for a scenario run once.
fn attempts(scenario: &ScenarioReport) -> String {
    let failed = scenario.earlier.len();
    match failed {
        0 => String::new(),
        _ if scenario.flaky() => format!(
            " · 不安定 flaky: passed on attempt {} after {failed} failed",
            failed + 1
        ),
        _ => format!(" · failed on all {} attempts", failed + 1),
    }
}

fn write_scenario(out: &mut String, f: usize, s: usize, scenario: &ScenarioReport, cells: Cells) {
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
        "</h3>\n<p class=\"meta\">行 line {} · {} s{}</p>",
        scenario.line,
        seconds(scenario.duration_ms),
        attempts(scenario)
    );
    write_tags(out, &scenario.tags);

    out.push_str("<ol class=\"steps\">\n");
    let mut working = scenario.working.as_slice();
    for step in &scenario.steps {
        let before = working.iter().take_while(|c| c.line < step.line).count();
        write_working(out, &working[..before]);
        working = &working[before..];
        write_step(out, step, cells);
    }
    write_working(out, working);
    out.push_str("</ol>\n");

    if !scenario.notes.is_empty() {
        out.push_str("<section class=\"notes\">\n<h4>メモ notes</h4>\n<ul class=\"notes\">\n");
        for note in &scenario.notes {
            let _ = writeln!(out, "<li>{}</li>", esc(note));
        }
        out.push_str("</ul>\n</section>\n");
    }
    for table in &scenario.tables {
        write_result_table(out, table, cells);
    }
    out.push_str("</article>\n");
}

fn write_step(out: &mut String, step: &StepReport, cells: Cells) {
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
        write_data_table(out, table, cells);
    }
    if let Some(docstring) = &step.docstring {
        let _ = writeln!(out, "<pre class=\"docstring\">{}</pre>", esc(docstring));
    }
    if let Some((_, message)) = step.status.problem() {
        match diff::parse(message) {
            Some(rows) => {
                write_diff(out, &rows, cells);
                out.push_str(
                    "<details class=\"raw\"><summary>メッセージ全文 full message</summary>\
                     <pre class=\"failure\">",
                );
                write_failure_lines(out, message);
                out.push_str("</pre></details>\n");
            }
            None => {
                out.push_str("<pre class=\"failure\">");
                write_failure_lines(out, message);
                out.push_str("</pre>\n");
            }
        }
    }
    out.push_str("</li>\n");
}

/// A column's header cell, right-aligned over money.
fn header_cell(out: &mut String, name: &str, term: Option<&Term>) {
    let class = if term.is_some_and(|t| matches!(t.meaning, Meaning::Money { .. })) {
        " class=\"num\""
    } else {
        ""
    };
    let _ = write!(out, "<th{class}>{}</th>", esc(name));
}

/// A failed table step's rows side by side: expected on the left, found on
/// the right, each differing row once, the differing cells marked.
fn write_diff(out: &mut String, diff: &RowsDiff, cells: Cells) {
    let terms: Vec<Option<&Term>> = diff.columns.iter().map(|c| cells.of_header(c)).collect();
    let width = diff.columns.len();
    let _ = write!(
        out,
        "<table class=\"diff\">\n<thead><tr><th rowspan=\"2\" class=\"mark\">照合 check</th>\
         <th colspan=\"{width}\" class=\"side\">期待 expected</th>\
         <th colspan=\"{width}\" class=\"side\">実際 found</th></tr>\n<tr>"
    );
    for _ in 0..2 {
        for (column, term) in diff.columns.iter().zip(&terms) {
            header_cell(out, column, *term);
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let side = |out: &mut String, row: Option<&Vec<String>>, other: Option<&Vec<String>>| match row
    {
        Some(row) => {
            for (i, cell) in row.iter().enumerate() {
                let (class, inner) = cells.show(terms[i], cell);
                let differs = other.is_some_and(|o| !crate::check::table::same_cell(&o[i], cell));
                let class = match (differs, class.is_empty()) {
                    (true, true) => " class=\"changed-cell\"".to_string(),
                    (true, false) => format!(" class=\"{class} changed-cell\""),
                    (false, true) => String::new(),
                    (false, false) => format!(" class=\"{class}\""),
                };
                let _ = write!(out, "<td{class}>{inner}</td>");
            }
        }
        None => {
            let _ = write!(out, "<td class=\"absent\" colspan=\"{width}\">—</td>");
        }
    };
    for (expected, found) in &diff.changed {
        out.push_str("<tr class=\"row changed\"><td class=\"mark\">差異 changed</td>");
        side(out, Some(expected), Some(found));
        side(out, Some(found), Some(expected));
        out.push_str("</tr>\n");
    }
    for expected in &diff.missing {
        out.push_str("<tr class=\"row missing\"><td class=\"mark\">不足 missing</td>");
        side(out, Some(expected), None);
        side(out, None, None);
        out.push_str("</tr>\n");
    }
    for found in &diff.unexpected {
        out.push_str("<tr class=\"row unexpected\"><td class=\"mark\">余分 unexpected</td>");
        side(out, None, None);
        side(out, Some(found), None);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
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

/// A step's data table, its first row as the header; cells shown as the
/// header's declared column means.
fn write_data_table(out: &mut String, table: &[Vec<String>], cells: Cells) {
    let Some((header, body)) = table.split_first() else {
        return;
    };
    let terms: Vec<Option<&Term>> = header.iter().map(|h| cells.of_header(h)).collect();
    out.push_str("<table class=\"data\">\n<thead><tr>");
    for (cell, term) in header.iter().zip(&terms) {
        header_cell(out, cell, *term);
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in body {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let (class, inner) = cells.show(terms.get(i).copied().flatten(), cell);
            if class.is_empty() {
                let _ = write!(out, "<td>{inner}</td>");
            } else {
                let _ = write!(out, "<td class=\"{class}\">{inner}</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn write_result_table(out: &mut String, table: &ResultTable, cells: Cells) {
    let terms: Vec<Option<&Term>> = table
        .columns
        .iter()
        .map(|c| vocabulary::of_column(cells.terms, &table.table, c))
        .collect();
    let _ = write!(
        out,
        "<section class=\"result-table\">\n<h4>{}</h4>\n<table class=\"result\">\n<thead><tr><th class=\"mark\">照合 check</th>",
        esc(&table.title)
    );
    for (column, term) in table.columns.iter().zip(&terms) {
        header_cell(out, column, *term);
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (mark, row) in &table.rows {
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
        for (i, cell) in row.iter().enumerate() {
            let term = terms.get(i).copied().flatten();
            let (class, inner) = cells.show(term, cell);
            let expected = match mark {
                RowMark::Changed(changed) => changed
                    .iter()
                    .find(|(index, _)| *index == i)
                    .map(|(_, expected)| expected),
                _ => None,
            };
            match expected {
                Some(expected) => {
                    let (_, expected) = cells.show(term, expected);
                    let _ = write!(
                        out,
                        "<td class=\"{}\">{inner}<span class=\"expected\">期待 expected {expected}</span></td>",
                        format!("{class} changed-cell").trim_start(),
                    );
                }
                None if class.is_empty() => {
                    let _ = write!(out, "<td>{inner}</td>");
                }
                None => {
                    let _ = write!(out, "<td class=\"{class}\">{inner}</td>");
                }
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
        // Summary, a matrix per feature, 2 features, 4 scenarios with notes,
        // 3 result tables.
        assert_eq!(
            elements.iter().filter(|e| *e == "section").count(),
            1 + 2 + 2 + 4 + 3
        );
        assert!(page.contains("@page { size: A4;"));
        assert!(page.contains("@media print {"));
    }

    #[test]
    fn html_says_which_attempt_of_a_retried_scenario_it_shows() {
        let mut run = sample::run();
        let scenario = &mut run.features[0].scenarios[0];
        let mut failed = scenario.clone();
        failed.steps[0].status = StepStatus::Failed("once".into());
        scenario.earlier = vec![failed.clone()];
        let page = html(&run);
        assert!(
            page.contains(" s · 不安定 flaky: passed on attempt 2 after 1 failed</p>"),
            "{page}"
        );
        run.features[0].scenarios[0] = ScenarioReport {
            earlier: vec![failed.clone(), failed.clone()],
            ..failed
        };
        assert!(html(&run).contains(" s · failed on all 3 attempts</p>"));
        assert!(!page.contains("failed on all"));
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
        // Per feature its own columns: sqlite/off, postgres/off, postgres/on;
        // then sqlite, postgres.
        let matrix = &page[page.find("<div class=\"matrix-groups\">").unwrap()..];
        let matrix = &matrix[..matrix.find("</div>").unwrap()];
        assert_eq!(
            matrix
                .matches("<th class=\"engine-column\" data-engine=")
                .count(),
            5
        );
        assert_eq!(
            matrix.matches("<section class=\"matrix-feature\"").count(),
            2
        );
        assert!(matrix.contains(
            "<tr class=\"matrix-row\"><td>当期純利益の再計算 <span class=\"muted\">:4</span></td>\
             <td class=\"cell passed\" data-engine=\"sqlite\"><a href=\"#s-0-0\">成功 passed</a></td>\
             <td class=\"cell passed\" data-engine=\"postgres\"><a href=\"#s-0-1\">成功 passed</a></td>\
             <td class=\"cell failed\" data-engine=\"postgres\"><a href=\"#s-0-2\">失敗 failed</a></td></tr>"
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
             <table class=\"data\">\n<thead><tr><th>勘定科目</th><th>金額</th></tr></thead>\n<tbody>\n<tr><td>当期純利益</td><td class=\"num\">1,200,000</td></tr>\n</tbody>\n</table>"
        ));
        // The diff's rows side by side, and its text kept.
        assert!(page.contains(
            "<tr class=\"row missing\"><td class=\"mark\">不足 missing</td><td>C</td><td class=\"num\">80,000</td><td class=\"absent\" colspan=\"2\">—</td></tr>"
        ));
        assert!(page.contains(
            "<summary>メッセージ全文 full message</summary><pre class=\"failure\">the table differs (person | amount):\n\
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
            "<tr class=\"row changed\"><td class=\"mark\">差異 changed</td><td>当期純利益</td><td class=\"num changed-cell\">2,400,000<span class=\"expected\">期待 expected 1,200,000</span></td></tr>"
        ));
        assert!(page.contains(
            "<tr class=\"row missing\"><td class=\"mark\">不足 missing</td><td>法人税等</td><td class=\"num\">300,000</td></tr>"
        ));
        assert!(page.contains(
            "<tr class=\"row unexpected\"><td class=\"mark\">余分 unexpected</td><td>当期純利益</td><td class=\"num\">1,200,000</td></tr>"
        ));
        assert_eq!(page.matches("class=\"row same\"").count(), 3);
        assert_eq!(page.matches(" changed-cell\"").count(), 1);
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

    #[test]
    fn matrix_puts_failures_first_and_a_checkbox_hides_what_passed() {
        let mut run = sample::run();
        run.features[0].scenarios.truncate(2);
        let page = html(&run);
        let matrix = &page[page.find("<div class=\"matrix-groups\">").unwrap()..];
        let failing = matrix.find("data-feature=\"f-1\"").unwrap();
        let passing = matrix.find("data-feature=\"f-0\"").unwrap();
        assert!(failing < passing, "the feature with a failure comes first");
        assert!(
            matrix.contains("<section class=\"matrix-feature all-passed\" data-feature=\"f-0\">")
        );
        assert!(page.contains("<body>\n<input type=\"checkbox\" id=\"only-failures\">\n<header"));
        assert!(page.contains("<label class=\"filter\" for=\"only-failures\">"));
        assert!(page.contains("#only-failures:checked ~ main article.scenario.passed"));
        assert!(page.contains("<section class=\"feature all-passed\" id=\"f-0\""));
        well_formed(&page, true).expect("well-formed HTML");
    }

    /// A run of one Japanese billing scenario whose table step failed (B
    /// expected at 75,000, found at 70,000), with the billing vocabulary.
    fn billing_run() -> RunReport {
        use super::super::Comment;
        use crate::check::table::{Table, compare_exact};
        use kensho_shared::vocabulary::{Code, Meaning};
        const TERMS: &[Term] = &[
            Term {
                service: "billing",
                table: "billing_record",
                column: "amount",
                headers: &["請求金額"],
                meaning: Meaning::Money { currency: "JPY" },
            },
            Term {
                service: "billing",
                table: "billing_record",
                column: "status",
                headers: &[],
                meaning: Meaning::Codes(&[Code {
                    code: "0",
                    en: "active",
                    ja: "有効",
                }]),
            },
        ];
        let table_of = |rows: &[[&str; 2]]| Table {
            columns: vec!["person".into(), "amount".into()],
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect(),
        };
        let expected = table_of(&[["A", "120,000"], ["B", "75,000"]]);
        let found = table_of(&[["A", "120000"], ["B", "70000"]]);
        let diff = compare_exact(&expected, &found).unwrap();
        let mut table = ResultTable {
            title: "billing_record".into(),
            table: "billing_record".into(),
            columns: vec!["person".into(), "amount".into(), "status".into()],
            rows: vec![
                (RowMark::Same, vec!["A".into(), "120000".into(), "0".into()]),
                (RowMark::Same, vec!["B".into(), "70000".into(), "0".into()]),
            ],
        };
        let read = diff::parse(&diff.to_string()).unwrap();
        diff::mark(&mut table, &read, TERMS);
        let comment = |line: usize, text: &str| Comment {
            line,
            text: text.into(),
        };
        RunReport {
            title: "Kensho: features/billing @ 53da3ab".into(),
            started_at_utc: "2026-12-02T02:46:09Z".into(),
            vocabulary: TERMS.to_vec(),
            features: vec![FeatureReport {
                keyword: "機能".into(),
                name: "請求".into(),
                language: "ja".into(),
                working: vec![comment(2, "種 003")],
                scenarios: vec![ScenarioReport {
                    keyword: "シナリオ".into(),
                    name: "誤った期待値".into(),
                    engine: "sqlite".into(),
                    line: 5,
                    working: vec![
                        comment(6, "A 120,000 + B 70,000"),
                        comment(7, "= 190,000"),
                        comment(9, "B は 70,000"),
                    ],
                    steps: vec![
                        StepReport {
                            keyword: "前提".into(),
                            text: "登録済みである".into(),
                            line: 8,
                            status: StepStatus::Passed,
                            ..StepReport::default()
                        },
                        StepReport {
                            keyword: "ならば".into(),
                            text: "次のとおりである".into(),
                            line: 10,
                            table: Some(vec![
                                vec!["対象者".into(), "請求金額".into()],
                                vec!["B".into(), "75,000".into()],
                            ]),
                            status: StepStatus::Failed(format!("features/b.feature:10: {diff}")),
                            ..StepReport::default()
                        },
                    ],
                    tables: vec![table],
                    ..ScenarioReport::default()
                }],
                ..FeatureReport::default()
            }],
            ..RunReport::default()
        }
    }

    #[test]
    fn a_failed_table_step_shows_each_differing_row_once_side_by_side() {
        let page = html(&billing_run());
        well_formed(&page, true).expect("well-formed HTML");
        let diff = &page[page.find("<table class=\"diff\">").unwrap()..];
        let diff = &diff[..diff.find("</table>").unwrap()];
        assert_eq!(diff.matches("<tr class=\"row ").count(), 1, "{diff}");
        assert!(
            diff.contains(
                "<tr class=\"row changed\"><td class=\"mark\">差異 changed</td><td>B</td><td class=\"num money changed-cell\">¥75,000</td><td>B</td><td class=\"num money changed-cell\">¥70,000</td></tr>"
            ),
            "{diff}"
        );
        // The database's row of B is changed (not same), with both amounts.
        assert!(
            page.contains(
                "<tr class=\"row changed\"><td class=\"mark\">差異 changed</td><td>B</td><td class=\"num money changed-cell\">¥70,000<span class=\"expected\">期待 expected ¥75,000</span></td><td><span class=\"label\">有効</span> <code class=\"code\">0</code></td></tr>"
            ),
            "{page}"
        );
        assert!(page.contains(
            "<tr class=\"row same\"><td class=\"mark\">一致 same</td><td>A</td><td class=\"num money\">¥120,000</td>"
        ));
        assert_eq!(page.matches("<tr class=\"row same\">").count(), 1);
        // The step's own table: money by its Japanese header.
        assert!(page.contains("<th class=\"num\">請求金額</th>"));
        assert!(page.contains("<td class=\"num money\">¥75,000</td>"));
    }

    #[test]
    fn amounts_codes_times_and_working_read_as_an_accountant_reads_them() {
        let page = html(&billing_run());
        assert!(page.contains("<title>Kensho: features/billing @ 53da3ab</title>"));
        assert!(
            page.contains("<time datetime=\"2026-12-02T02:46:09Z\">2026-12-02 11:46 JST</time>")
        );
        assert!(!page.contains(">70000<") && !page.contains(">120000<"));
        // English labels in an English feature.
        let mut english = billing_run();
        english.features[0].language = String::new();
        assert!(
            html(&english)
                .contains("<span class=\"label\">active</span> <code class=\"code\">0</code>")
        );
        // The working, in order, at their lines: two lines before the first
        // step as one block, one before the second, the file's under the feature.
        assert_eq!(
            page.matches("<li class=\"working\" data-line=\"").count(),
            3
        );
        assert!(page.contains(
            "<li class=\"working\" data-line=\"6\"><span class=\"working-label\">計算 working</span> <span class=\"line\">行 6</span><pre>A 120,000 + B 70,000\n= 190,000</pre></li>\n<li class=\"step passed\">"
        ));
        let first_step = page.find("<li class=\"step passed\">").unwrap();
        let before_failed = page.find("<li class=\"working\" data-line=\"9\"").unwrap();
        let failed = page.find("<li class=\"step failed\">").unwrap();
        assert!(first_step < before_failed && before_failed < failed);
        assert!(page.contains("<li class=\"working\" data-line=\"2\">"));
    }
}
