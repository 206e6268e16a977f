//! Cucumber Messages (`messages.ndjson`): the stream of JSON envelopes, one per
//! line, that Cucumber-JVM, cucumber-js and Reqnroll write and that report
//! tools and the official HTML formatter read.
//!
//! The stream is written from the finished [`RunReport`], in the order the
//! protocol gives: `meta`; each feature file's `source` and `gherkinDocument`
//! (once per file, though it runs once per engine); a `pickle` per scenario
//! and engine (an outline's example: per row and engine); the `hook`s;
//! `testRunStarted`; a `testCase` per pickle; then each test case's execution
//! (`testCaseStarted` with attempt 0, `testStepStarted` and
//! `testStepFinished` per step, `testCaseFinished`) in the order the cases
//! started; and `testRunFinished`, whose `success` is what the exit code says.
//!
//! One test case per scenario and engine: each engine's run of a scenario is
//! its own pickle, named as the other reports name it
//! ([`RunReport::case_names`]: `Name [postgres] [flag: off and on]`) and
//! tagged `@engine-<engine>` (the tag's AST node is the scenario's own, as no
//! tag of the file stands for the engine).
//!
//! The Gherkin document is the feature file read again by Kensho's parser
//! ([`crate::gherkin::parse`]), with an id for every node. The steps the
//! runner adds at the end of every scenario (the business invariants, the
//! differential comparison) are in no file: they are `AFTER_TEST_CASE`
//! hooks, named by their text, as are the scenario hooks that failed.
//!
//! Times: the run's start is the report's (to the second); a test case starts
//! when its scenario did (to the millisecond) and its steps follow one
//! another by their durations. A report without a scenario's start puts it
//! at the run's start. Step definitions are not written (the report knows
//! where a definition is, not its pattern): test steps name none.
//!
//! What ran on no engine (a feature file that did not parse, a run in which
//! no scenario ran, an interrupted run, the stand-in of an unfinished run) is
//! no test case: a file that did not parse is a `parseError`, and the problem
//! is the message of a `testRunFinished` whose `success` is false.

use std::collections::HashMap;

use cucumber::gherkin;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{FeatureReport, RunReport, ScenarioReport, StepReport, StepStatus};

/// The version of the Cucumber Messages protocol the stream follows: that of
/// the schema it is checked against (`fixtures/messages/`, cucumber/messages
/// v34.2.1).
pub const PROTOCOL_VERSION: &str = "34.2.1";

/// The media type of a Gherkin feature file's `source`, as the protocol names it.
const GHERKIN_MEDIA_TYPE: &str = "text/x.cucumber.gherkin+plain";

/// The keyword the report gives a failed scenario hook (see `src/report/collect.rs`).
const HOOK_KEYWORD: &str = "Hook";

/// The keyword the report gives the step of a feature file that did not parse.
const PARSE_KEYWORD: &str = "Parse";

/// The run as Cucumber Messages: one JSON envelope per line, each line ended.
pub fn messages_ndjson(run: &RunReport) -> String {
    let run = &*run.as_written();
    let mut stream = Stream::default();
    stream.write(run);
    stream.sink.text
}

/// [`messages_ndjson`], written to `to` an envelope at a time.
pub fn write_messages(run: &RunReport, to: &mut dyn std::io::Write) -> std::io::Result<()> {
    let run = &*run.as_written();
    let mut stream = Stream {
        sink: super::Sink::to(to),
        next: 0,
    };
    stream.write(run);
    stream.sink.finish().map(drop)
}

/// The envelopes written so far, as text (each is written as it is made:
/// the stream holds no tree of JSON values), and the next id.
#[derive(Default)]
struct Stream<'w> {
    sink: super::Sink<'w>,
    next: u64,
}

/// What the pickles of one feature file need of its Gherkin document.
#[derive(Default)]
struct Document {
    uri: String,
    language: String,
    /// Each scenario by its line.
    scenarios: HashMap<usize, ScenarioNode>,
    /// Each row of an outline's examples by its line.
    rows: HashMap<usize, ExampleRow>,
}

/// A tag node: its name and id.
type TagNode = (String, String);

/// A row of an outline's examples: the outline's line, the row's id and the
/// examples' tags.
type ExampleRow = (usize, String, Vec<TagNode>);

/// A scenario of a Gherkin document, as its pickles see it.
struct ScenarioNode {
    id: String,
    /// The steps that run: the backgrounds' (feature's, then rule's), then its
    /// own; each with its id and type.
    steps: Vec<(String, gherkin::StepType)>,
    /// The tags that apply (feature's, rule's, its own), name and id.
    tags: Vec<(String, String)>,
}

/// A test case to run: its pickle, its steps' ids and the scenario.
struct Case<'r> {
    id: String,
    scenario: &'r ScenarioReport,
    step_ids: Vec<String>,
}

/// A hook (a failed scenario hook, or a closing step the runner adds):
/// name, kind and step definition; the same name and definition are one hook.
type HookKey = (String, &'static str, Option<String>);

impl Stream<'_> {
    fn id(&mut self) -> String {
        self.next += 1;
        self.next.to_string()
    }

    fn push(&mut self, kind: &str, message: Value) {
        let envelope = json!({ kind: message });
        self.push_text(&envelope.to_string());
    }

    /// Writes an envelope already made into text.
    fn push_text(&mut self, envelope: &str) {
        self.sink.text.push_str(envelope);
        self.sink.text.push('\n');
        self.sink.flush();
    }

    fn write(&mut self, run: &RunReport) {
        self.push(
            "meta",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "implementation": {"name": "kensho", "version": env!("CARGO_PKG_VERSION")},
                "runtime": {"name": "rust"},
                "os": {"name": std::env::consts::OS},
                "cpu": {"name": std::env::consts::ARCH},
            }),
        );
        let mut documents: HashMap<&str, Document> = HashMap::new();
        for feature in &run.features {
            if feature.source.is_empty() || documents.contains_key(feature.path.as_str()) {
                continue;
            }
            let Ok(parsed) = crate::gherkin::parse(&feature.source, &|_| None) else {
                continue;
            };
            self.push(
                "source",
                json!({
                    "uri": feature.path,
                    "data": feature.source,
                    "mediaType": GHERKIN_MEDIA_TYPE,
                }),
            );
            let document = self.document(feature, &parsed);
            documents.insert(&feature.path, document);
        }

        let names = run.case_names();
        let mut problems: Vec<String> = Vec::new();
        let mut cases: Vec<(Case, Vec<StepKind>)> = Vec::new();
        for (feature, names) in run.features.iter().zip(names) {
            for (scenario, name) in feature.scenarios.iter().zip(names) {
                let pickle = documents
                    .get(feature.path.as_str())
                    .and_then(|document| self.pickle(document, scenario, name));
                match pickle {
                    Some(pickle) => cases.push(pickle),
                    None => self.problem(feature, scenario, &mut problems),
                }
            }
        }

        let mut hooks: Vec<(HookKey, String)> = Vec::new();
        let mut test_cases = Vec::new();
        for (case, kinds) in &cases {
            let mut steps = Vec::new();
            for kind in kinds {
                let step_id = self.id();
                let mut test_step = json!({ "id": step_id });
                match kind {
                    StepKind::Pickle(pickle_step) => {
                        test_step["pickleStepId"] = json!(pickle_step);
                        test_step["stepDefinitionIds"] = json!([]);
                        test_step["stepMatchArgumentsLists"] = json!([]);
                    }
                    StepKind::Hook(key) => {
                        let hook = match hooks.iter().find(|(k, _)| k == key) {
                            Some((_, id)) => id.clone(),
                            None => {
                                let id = self.id();
                                hooks.push((key.clone(), id.clone()));
                                id
                            }
                        };
                        test_step["hookId"] = json!(hook);
                    }
                }
                steps.push(test_step);
            }
            test_cases.push((case.id.clone(), steps));
        }
        for ((name, kind, location), id) in &hooks {
            let source = location.as_deref().map_or(json!({}), source_reference);
            self.push(
                "hook",
                json!({"id": id, "name": name, "type": kind, "sourceReference": source}),
            );
        }

        let run_start = run_start_ms(run);
        let run_id = self.id();
        self.push(
            "testRunStarted",
            json!({"id": run_id, "timestamp": timestamp(run_start)}),
        );
        let mut case_ids = Vec::new();
        for ((pickle_id, steps), (case, _)) in test_cases.into_iter().zip(&cases) {
            let id = self.id();
            let step_ids = steps
                .iter()
                .map(|s| s["id"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>();
            self.push(
                "testCase",
                json!({"id": id, "pickleId": pickle_id, "testSteps": steps, "testRunStartedId": run_id}),
            );
            case_ids.push((
                Case {
                    id,
                    scenario: case.scenario,
                    step_ids,
                },
                case.scenario.started_ms,
            ));
        }
        // Executions in the order the scenarios started.
        case_ids.sort_by_key(|(_, started)| *started);
        for (case, _) in &case_ids {
            self.execute(case, run_start);
        }
        let mut finished = json!({
            "success": run.all_passed(),
            "timestamp": timestamp(run_start + run.duration_ms),
            "testRunStartedId": run_id,
        });
        if !problems.is_empty() {
            finished["message"] = json!(problems.join("\n"));
        }
        self.push("testRunFinished", finished);
    }

    /// Writes a test case's execution: started, each step, finished.
    fn execute(&mut self, case: &Case, run_start: u64) {
        let started_id = self.id();
        let start = match case.scenario.started_ms {
            0 => run_start,
            ms => ms,
        };
        self.push(
            "testCaseStarted",
            json!({"id": started_id, "testCaseId": case.id, "attempt": 0, "timestamp": timestamp(start)}),
        );
        let mut at = start;
        for (step, step_id) in case.scenario.steps.iter().zip(&case.step_ids) {
            self.push(
                "testStepStarted",
                json!({"testCaseStartedId": started_id, "testStepId": step_id, "timestamp": timestamp(at)}),
            );
            at += step.duration_ms;
            self.push(
                "testStepFinished",
                json!({
                    "testCaseStartedId": started_id,
                    "testStepId": step_id,
                    "testStepResult": result(step),
                    "timestamp": timestamp(at),
                }),
            );
        }
        let end = at.max(start + case.scenario.duration_ms);
        self.push(
            "testCaseFinished",
            json!({"testCaseStartedId": started_id, "timestamp": timestamp(end), "willBeRetried": false}),
        );
    }

    /// What ran on no engine: a parse error, or a problem of the run.
    fn problem(
        &mut self,
        feature: &FeatureReport,
        scenario: &ScenarioReport,
        problems: &mut Vec<String>,
    ) {
        let Some((step, problem, message)) = scenario.problem() else {
            return;
        };
        if step.keyword == PARSE_KEYWORD && !feature.path.is_empty() {
            self.push(
                "parseError",
                json!({
                    "source": {"uri": feature.path, "location": {"line": scenario.line.max(1)}},
                    "message": message,
                }),
            );
        }
        problems.push(format!(
            "{}: {}{message}",
            scenario.display_name(),
            problem.prefix()
        ));
    }

    /// The Gherkin document of `feature`'s file, `parsed`, with ids; what
    /// its pickles need of it.
    fn document(&mut self, feature: &FeatureReport, parsed: &gherkin::Feature) -> Document {
        let lines: Vec<&str> = feature.source.lines().collect();
        let language = match feature.language.as_str() {
            "" => "en".to_string(),
            language => language.to_string(),
        };
        let mut document = Document {
            uri: feature.path.clone(),
            language: language.clone(),
            ..Document::default()
        };
        let feature_tags = self.tags(&lines, parsed.position.line, &parsed.tags);
        // Each child is made into text as soon as it is made: a file's whole
        // document as JSON values takes hundreds of bytes per table cell.
        let mut children: Vec<(usize, String)> = Vec::new();
        let feature_background = parsed
            .background
            .as_ref()
            .map(|b| self.background(&lines, b));
        if let Some((value, _)) = &feature_background {
            children.push((0, format!("{{\"background\":{}}}", value.get())));
        }
        let background_steps = feature_background
            .map(|(_, steps)| steps)
            .unwrap_or_default();
        for scenario in &parsed.scenarios {
            let value = self.scenario(
                &lines,
                scenario,
                &background_steps,
                &tag_pairs(&feature_tags),
                &mut document,
            );
            children.push((scenario.position.line, format!("{{\"scenario\":{value}}}")));
        }
        for rule in &parsed.rules {
            let rule_tags = self.tags(&lines, rule.position.line, &rule.tags);
            let mut inherited = tag_pairs(&feature_tags);
            inherited.extend(tag_pairs(&rule_tags));
            let mut rule_children = Vec::new();
            let mut steps = background_steps.clone();
            if let Some(background) = &rule.background {
                let (value, rule_steps) = self.background(&lines, background);
                rule_children.push(raw(format!("{{\"background\":{}}}", value.get())));
                steps.extend(rule_steps);
            }
            for scenario in &rule.scenarios {
                let value = self.scenario(&lines, scenario, &steps, &inherited, &mut document);
                rule_children.push(raw(format!("{{\"scenario\":{value}}}")));
            }
            let node = RuleNode {
                children: rule_children,
                description: rule.description.as_deref().unwrap_or_default(),
                id: self.id(),
                keyword: rule.keyword.trim(),
                location: location(&lines, rule.position),
                name: &rule.name,
                tags: rule_tags,
            };
            children.push((
                rule.position.line,
                format!("{{\"rule\":{}}}", json_text(&node)),
            ));
        }
        children.sort_by_key(|(line, _)| *line);
        // The envelope as `json!` would write it (keys in alphabetical order),
        // around the children's text.
        let rest = json!({
            "location": location(&lines, parsed.position),
            "tags": feature_tags,
            "language": language,
            "keyword": parsed.keyword.trim(),
            "name": parsed.name,
            "description": parsed.description.clone().unwrap_or_default(),
        })
        .to_string();
        let mut envelope = String::from("{\"gherkinDocument\":{\"comments\":");
        envelope.push_str(&Value::Array(comments(&lines)).to_string());
        envelope.push_str(",\"feature\":{\"children\":[");
        for (i, (_, child)) in children.iter().enumerate() {
            if i > 0 {
                envelope.push(',');
            }
            envelope.push_str(child);
        }
        envelope.push_str("],");
        // `rest` without its opening brace: its keys follow "children".
        envelope.push_str(&rest[1..]);
        envelope.push_str(",\"uri\":");
        envelope.push_str(&Value::from(feature.path.as_str()).to_string());
        envelope.push_str("}}");
        self.push_text(&envelope);
        document
    }

    /// A background node and its steps' ids and types.
    fn background(
        &mut self,
        lines: &[&str],
        background: &gherkin::Background,
    ) -> (Box<RawValue>, Vec<(String, gherkin::StepType)>) {
        let steps: Vec<(Box<RawValue>, String, gherkin::StepType)> = background
            .steps
            .iter()
            .map(|s| self.step(lines, s))
            .collect();
        let ids = steps.iter().map(|(_, id, ty)| (id.clone(), *ty)).collect();
        let node = BackgroundNode {
            description: background.description.as_deref().unwrap_or_default(),
            id: self.id(),
            keyword: background.keyword.trim(),
            location: location(lines, background.position),
            name: &background.name,
            steps: steps.into_iter().map(|(v, _, _)| v).collect(),
        };
        (raw(json_text(&node)), ids)
    }

    /// A scenario node (with its examples), filed in `document` by its line
    /// and its example rows' lines.
    fn scenario(
        &mut self,
        lines: &[&str],
        scenario: &gherkin::Scenario,
        background_steps: &[(String, gherkin::StepType)],
        inherited_tags: &[(String, String)],
        document: &mut Document,
    ) -> String {
        let tags = self.tags(lines, scenario.position.line, &scenario.tags);
        let steps: Vec<(Box<RawValue>, String, gherkin::StepType)> =
            scenario.steps.iter().map(|s| self.step(lines, s)).collect();
        let mut examples = Vec::new();
        let mut rows = Vec::new();
        for example in &scenario.examples {
            let example_tags = self.tags(lines, example.position.line, &example.tags);
            let table = example
                .table
                .as_ref()
                .map(|t| self.table_rows(lines, t))
                .unwrap_or_default();
            let mut table = table.into_iter();
            let header = table.next().map(|row| json!(row));
            let body: Vec<Row> = table.collect();
            for row in &body {
                rows.push((row.location.line, row.id.clone(), tag_pairs(&example_tags)));
            }
            let id = self.id();
            let mut value = json!({
                "id": id,
                "location": location(lines, example.position),
                "tags": example_tags,
                "keyword": example.keyword.trim(),
                "name": example.name.clone().unwrap_or_default(),
                "description": example.description.clone().unwrap_or_default(),
                "tableBody": body,
            });
            if let Some(header) = header {
                value["tableHeader"] = header;
            }
            examples.push(value);
        }
        let id = self.id();
        let mut all_tags = inherited_tags.to_vec();
        all_tags.extend(tag_pairs(&tags));
        let mut all_steps = background_steps.to_vec();
        all_steps.extend(steps.iter().map(|(_, id, ty)| (id.clone(), *ty)));
        for (line, row_id, example_tags) in rows {
            document
                .rows
                .insert(line, (scenario.position.line, row_id, example_tags));
        }
        document.scenarios.insert(
            scenario.position.line,
            ScenarioNode {
                id: id.clone(),
                steps: all_steps,
                tags: all_tags,
            },
        );
        json_text(&ScenarioNodeText {
            description: scenario.description.as_deref().unwrap_or_default(),
            examples,
            id,
            keyword: scenario.keyword.trim(),
            location: location(lines, scenario.position),
            name: &scenario.name,
            steps: steps.into_iter().map(|(v, _, _)| v).collect(),
            tags,
        })
    }

    /// A step node, its id and type.
    fn step(
        &mut self,
        lines: &[&str],
        step: &gherkin::Step,
    ) -> (Box<RawValue>, String, gherkin::StepType) {
        let data_table = step.table.as_ref().map(|table| DataTable {
            location: location(lines, table.position),
            rows: self.table_rows(lines, table),
        });
        let doc_string = step
            .docstring
            .as_ref()
            .map(|content| doc_string(lines, step.position.line, content));
        let id = self.id();
        let node = StepNode {
            data_table,
            doc_string,
            id: &id,
            keyword: &step.keyword,
            location: location(lines, step.position),
            text: &step.value,
        };
        (raw(json_text(&node)), id, step.ty)
    }

    /// A table's rows, each with an id and its cells' locations.
    fn table_rows<'t>(&mut self, lines: &[&str], table: &'t gherkin::Table) -> Vec<Row<'t>> {
        let found = row_lines(lines, table.position.line, table.rows.len());
        table
            .rows
            .iter()
            .enumerate()
            .map(|(i, cells)| {
                let (line, column, columns) =
                    found
                        .get(i)
                        .cloned()
                        .unwrap_or((table.position.line + i, 1, Vec::new()));
                let cells: Vec<Cell> = cells
                    .iter()
                    .enumerate()
                    .map(|(c, value)| Cell {
                        location: Place {
                            column: columns.get(c).copied().unwrap_or(1),
                            line,
                        },
                        value,
                    })
                    .collect();
                Row {
                    cells,
                    id: self.id(),
                    location: Place { column, line },
                }
            })
            .collect()
    }

    /// The tags of the node at `line`, each with an id and where it is written.
    fn tags(&mut self, lines: &[&str], line: usize, tags: &[String]) -> Vec<Value> {
        tags.iter()
            .map(|tag| {
                let name = super::tag_name(tag);
                let (at, column) = tag_location(lines, line, &name);
                json!({"location": {"line": at, "column": column}, "name": name, "id": self.id()})
            })
            .collect()
    }

    /// The pickle of `scenario` (one engine's run of it), and what each of its
    /// report's steps is in its test case; `None` when the document has no
    /// scenario at its line.
    fn pickle<'r>(
        &mut self,
        document: &Document,
        scenario: &'r ScenarioReport,
        name: String,
    ) -> Option<(Case<'r>, Vec<StepKind>)> {
        let (node, row) = match document.scenarios.get(&scenario.line) {
            Some(node) => (node, None),
            None => {
                let (outline, row_id, tags) = document.rows.get(&scenario.line)?;
                (document.scenarios.get(outline)?, Some((row_id, tags)))
            }
        };
        let mut ast_ids = vec![node.id.clone()];
        let mut tags = node.tags.clone();
        if let Some((row_id, example_tags)) = row {
            ast_ids.push(row_id.clone());
            tags.extend(example_tags.iter().cloned());
        }
        let mut pickle_tags: Vec<Value> = tags
            .iter()
            .map(|(name, id)| json!({"name": name, "astNodeId": id}))
            .collect();
        if !scenario.engine.is_empty() {
            pickle_tags.push(
                json!({"name": format!("@engine-{}", scenario.engine), "astNodeId": node.id}),
            );
        }
        let mut steps: Vec<PickleStep> = Vec::new();
        let mut kinds = Vec::new();
        let mut ast_steps = node.steps.iter();
        for step in &scenario.steps {
            if step.keyword == HOOK_KEYWORD {
                let kind = if step.text.starts_with("before") {
                    "BEFORE_TEST_CASE"
                } else {
                    "AFTER_TEST_CASE"
                };
                kinds.push(StepKind::Hook((step.text.clone(), kind, None)));
                continue;
            }
            let Some((ast_id, ty)) = ast_steps.next() else {
                // A closing step the runner adds: in no file.
                kinds.push(StepKind::Hook((
                    step.text.clone(),
                    "AFTER_TEST_CASE",
                    step.location.clone(),
                )));
                continue;
            };
            let id = self.id();
            let mut node_ids = vec![ast_id.clone()];
            if let Some((row_id, _)) = row {
                node_ids.push(row_id.clone());
            }
            steps.push(PickleStep {
                argument: argument(step),
                ast_node_ids: node_ids,
                id: id.clone(),
                text: &step.text,
                kind: step_type(*ty),
            });
            kinds.push(StepKind::Pickle(id));
        }
        let id = self.id();
        let pickle = Pickle {
            ast_node_ids: ast_ids,
            id: &id,
            language: &document.language,
            location: json!({"line": scenario.line.max(1)}),
            name,
            steps,
            tags: pickle_tags,
            uri: &document.uri,
        };
        self.push_text(&format!("{{\"pickle\":{}}}", json_text(&pickle)));
        Some((
            Case {
                id,
                scenario,
                step_ids: Vec::new(),
            },
            kinds,
        ))
    }
}

/// What a step of a report is in its test case.
enum StepKind {
    /// A step of the file: its pickle step's id.
    Pickle(String),
    /// A hook.
    Hook(HookKey),
}

/// Name and id of each tag node.
fn tag_pairs(tags: &[Value]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            let text = |key: &str| t[key].as_str().unwrap_or_default().to_string();
            (text("name"), text("id"))
        })
        .collect()
}

/// Where a node is: its line, and its column in characters (the parser
/// counts bytes, the protocol characters).
fn location(lines: &[&str], at: gherkin::LineCol) -> Value {
    let column = lines
        .get(at.line.wrapping_sub(1))
        .and_then(|line| line.get(..at.col.saturating_sub(1)))
        .map_or(at.col, |before| before.chars().count() + 1);
    json!({"line": at.line.max(1), "column": column.max(1)})
}

/// A step definition's place, `path:line`, as a source reference.
fn source_reference(place: &str) -> Value {
    match place.rsplit_once(':') {
        Some((uri, line)) if line.parse::<usize>().is_ok_and(|l| l > 0) => {
            json!({"uri": uri, "location": {"line": line.parse::<usize>().unwrap_or(1)}})
        }
        _ => json!({ "uri": place }),
    }
}

/// The pickle step type of a Gherkin step type.
fn step_type(ty: gherkin::StepType) -> &'static str {
    match ty {
        gherkin::StepType::Given => "Context",
        gherkin::StepType::When => "Action",
        gherkin::StepType::Then => "Outcome",
    }
}

/// A pickle step's argument: its data table or doc string, as it ran (an
/// outline's placeholders filled in).
fn argument(step: &StepReport) -> Option<Argument<'_>> {
    if let Some(table) = &step.table {
        let rows = table
            .iter()
            .map(|cells| PickleRow {
                cells: cells.iter().map(|value| PickleCell { value }).collect(),
            })
            .collect();
        return Some(Argument {
            data_table: Some(PickleTable { rows }),
            doc_string: None,
        });
    }
    step.docstring.as_ref().map(|content| Argument {
        data_table: None,
        doc_string: Some(json!({ "content": content })),
    })
}

// The nodes that hold tables are written from these types, not from JSON
// values: a table cell as a value takes hundreds of bytes. Their fields are in
// alphabetical order, as `json!` writes an object's keys.

/// A line and column (1-based) in a feature file.
#[derive(Serialize)]
struct Place {
    column: usize,
    line: usize,
}

/// A cell of a table row of a Gherkin document.
#[derive(Serialize)]
struct Cell<'t> {
    location: Place,
    value: &'t str,
}

/// A table row of a Gherkin document.
#[derive(Serialize)]
struct Row<'t> {
    cells: Vec<Cell<'t>>,
    id: String,
    location: Place,
}

/// A step's data table in a Gherkin document.
#[derive(Serialize)]
struct DataTable<'t> {
    location: Value,
    rows: Vec<Row<'t>>,
}

/// A step node of a Gherkin document.
#[derive(Serialize)]
struct StepNode<'t> {
    #[serde(rename = "dataTable", skip_serializing_if = "Option::is_none")]
    data_table: Option<DataTable<'t>>,
    #[serde(rename = "docString", skip_serializing_if = "Option::is_none")]
    doc_string: Option<Value>,
    id: &'t str,
    keyword: &'t str,
    location: Value,
    text: &'t str,
}

/// A background node of a Gherkin document, its steps already text.
#[derive(Serialize)]
struct BackgroundNode<'t> {
    description: &'t str,
    id: String,
    keyword: &'t str,
    location: Value,
    name: &'t str,
    steps: Vec<Box<RawValue>>,
}

/// A scenario node of a Gherkin document, its steps already text.
#[derive(Serialize)]
struct ScenarioNodeText<'t> {
    description: &'t str,
    examples: Vec<Value>,
    id: String,
    keyword: &'t str,
    location: Value,
    name: &'t str,
    steps: Vec<Box<RawValue>>,
    tags: Vec<Value>,
}

/// A rule node of a Gherkin document, its children already text.
#[derive(Serialize)]
struct RuleNode<'t> {
    children: Vec<Box<RawValue>>,
    description: &'t str,
    id: String,
    keyword: &'t str,
    location: Value,
    name: &'t str,
    tags: Vec<Value>,
}

/// A pickle.
#[derive(Serialize)]
struct Pickle<'t> {
    #[serde(rename = "astNodeIds")]
    ast_node_ids: Vec<String>,
    id: &'t str,
    language: &'t str,
    location: Value,
    name: String,
    steps: Vec<PickleStep<'t>>,
    tags: Vec<Value>,
    uri: &'t str,
}

/// A pickle step.
#[derive(Serialize)]
struct PickleStep<'t> {
    #[serde(skip_serializing_if = "Option::is_none")]
    argument: Option<Argument<'t>>,
    #[serde(rename = "astNodeIds")]
    ast_node_ids: Vec<String>,
    id: String,
    text: &'t str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A pickle step's argument: a data table or a doc string.
#[derive(Serialize)]
struct Argument<'t> {
    #[serde(rename = "dataTable", skip_serializing_if = "Option::is_none")]
    data_table: Option<PickleTable<'t>>,
    #[serde(rename = "docString", skip_serializing_if = "Option::is_none")]
    doc_string: Option<Value>,
}

/// A pickle step's data table.
#[derive(Serialize)]
struct PickleTable<'t> {
    rows: Vec<PickleRow<'t>>,
}

/// A row of a pickle step's data table.
#[derive(Serialize)]
struct PickleRow<'t> {
    cells: Vec<PickleCell<'t>>,
}

/// A cell of a pickle step's data table.
#[derive(Serialize)]
struct PickleCell<'t> {
    value: &'t str,
}

/// `value` as JSON text (a value of these types always serializes).
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({ "error": format!("the message could not be written: {e}") }).to_string()
    })
}

/// JSON text as a value that is written as it is.
fn raw(text: String) -> Box<RawValue> {
    RawValue::from_string(text)
        .unwrap_or_else(|_| RawValue::from_string("null".to_string()).unwrap_or_default())
}

/// A step's result: status, duration and, for a problem, its message.
fn result(step: &StepReport) -> Value {
    let status = match step.status {
        StepStatus::Passed => "PASSED",
        StepStatus::Failed(_) => "FAILED",
        StepStatus::Skipped => "SKIPPED",
        StepStatus::Undefined => "UNDEFINED",
        StepStatus::Ambiguous(_) => "AMBIGUOUS",
    };
    let mut result = json!({"status": status, "duration": duration(step.duration_ms)});
    if let Some((problem, message)) = step.status.problem() {
        result["message"] = json!(format!("{}{message}", problem.prefix()));
    }
    result
}

/// A duration in milliseconds as the protocol writes it.
fn duration(ms: u64) -> Value {
    json!({"seconds": ms / 1000, "nanos": (ms % 1000) * 1_000_000})
}

/// A time in milliseconds since the Unix epoch as the protocol writes it.
fn timestamp(ms: u64) -> Value {
    duration(ms)
}

/// The run's start in milliseconds since the Unix epoch, from its
/// `YYYY-MM-DDTHH:MM:SSZ`; 0 when it does not read so.
fn run_start_ms(run: &RunReport) -> u64 {
    let read = || -> Option<u64> {
        let (date, time) = run
            .started_at_utc
            .trim()
            .strip_suffix('Z')?
            .split_once('T')?;
        let mut date = date.splitn(3, '-').map(str::parse::<u32>);
        let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
        let mut time = time.splitn(3, ':').map(str::parse::<u64>);
        let (hour, minute, second) = (time.next()?.ok()?, time.next()?.ok()?, time.next()?.ok()?);
        let days = kensho_shared::calendar::days_from_civil(year as i32, month, day);
        let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
        Some(seconds * 1000)
    };
    read().unwrap_or(0)
}

/// The doc string of the step at `step_line`: where its delimiter is, which
/// one, and the media type written after it.
fn doc_string(lines: &[&str], step_line: usize, content: &str) -> Value {
    let found = lines
        .iter()
        .enumerate()
        .skip(step_line)
        .find_map(|(i, line)| {
            let trimmed = line.trim_start();
            ["\"\"\"", "```"]
                .into_iter()
                .find(|d| trimmed.starts_with(d))
                .map(|d| {
                    (
                        i + 1,
                        line.len() - trimmed.len() + 1,
                        d,
                        trimmed[3..].trim(),
                    )
                })
        });
    let (line, column, delimiter, media_type) = found.unwrap_or((step_line + 1, 1, "\"\"\"", ""));
    let mut value = json!({
        "location": {"line": line, "column": column},
        "content": content,
        "delimiter": delimiter,
    });
    if !media_type.is_empty() {
        value["mediaType"] = json!(media_type);
    }
    value
}

/// The lines of the `count` rows of a table from line `from` on, each with
/// the column of its first `|` and those where its cells' text starts
/// (1-based, in characters).
fn row_lines(lines: &[&str], from: usize, count: usize) -> Vec<(usize, usize, Vec<usize>)> {
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(from.saturating_sub(1)) {
        if rows.len() == count {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !trimmed.starts_with('|') {
            break;
        }
        let column = line.chars().take_while(|c| c.is_whitespace()).count() + 1;
        rows.push((i + 1, column, cell_columns(line)));
    }
    rows
}

/// The column (1-based, in characters) where each cell of a table row starts:
/// its first character after the spaces that follow its `|`.
fn cell_columns(line: &str) -> Vec<usize> {
    let chars: Vec<char> = line.chars().collect();
    let mut pipes = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '|' => pipes.push(i),
            _ => {}
        }
        i += 1;
    }
    pipes
        .windows(2)
        .map(|pair| {
            let first = (pair[0] + 1..pair[1])
                .find(|&c| !chars[c].is_whitespace())
                .unwrap_or(pair[0] + 1);
            first + 1
        })
        .collect()
}

/// Where the tag `name` (with its `@`) of the node at `line` is written: on
/// the tag lines above it (comments and blank lines between them skipped).
fn tag_location(lines: &[&str], line: usize, name: &str) -> (usize, usize) {
    for at in (1..line).rev() {
        let text = lines.get(at - 1).copied().unwrap_or_default();
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !trimmed.starts_with('@') {
            break;
        }
        let found = text.match_indices(name).find(|(start, _)| {
            let after = &text[start + name.len()..];
            after.is_empty() || after.starts_with(char::is_whitespace) || after.starts_with('@')
        });
        if let Some((start, _)) = found {
            return (at, text[..start].chars().count() + 1);
        }
    }
    (line.saturating_sub(1).max(1), 1)
}

/// The comment lines of a feature file (not its `# language:` line, nor
/// lines inside doc strings), as Gherkin keeps them: the whole line.
fn comments(lines: &[&str]) -> Vec<Value> {
    let mut comments = Vec::new();
    let mut in_doc_string: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if let Some(delimiter) = in_doc_string {
            if trimmed.starts_with(delimiter) {
                in_doc_string = None;
            }
            continue;
        }
        if let Some(delimiter) = ["\"\"\"", "```"]
            .into_iter()
            .find(|d| trimmed.starts_with(d))
        {
            in_doc_string = Some(delimiter);
            continue;
        }
        let Some(after) = trimmed.strip_prefix('#') else {
            continue;
        };
        if after.trim_start().starts_with("language:") {
            continue;
        }
        comments.push(json!({"location": {"line": i + 1, "column": 1}, "text": line.trim_end()}));
    }
    comments
}

/// Checks of a written stream, for the tests: each line against the
/// published schema (`fixtures/messages/messages.schema.json`), and every
/// reference between messages.
#[cfg(test)]
pub(crate) mod check {
    use std::collections::{HashMap, HashSet};

    use serde_json::Value;

    /// The vendored schema: cucumber/messages' `jsonschema/messages.schema.json`
    /// (every message's schema bundled under `Envelope`).
    const SCHEMA: &str = include_str!("../../fixtures/messages/messages.schema.json");

    /// What a valid stream holds.
    #[derive(Debug, Default)]
    pub struct Summary {
        /// Each message's kind, in order.
        pub kinds: Vec<String>,
        /// Each pickle's name, in order.
        pub pickles: Vec<String>,
        /// Each test case's pickle name and its steps' statuses, in the order
        /// the cases ran.
        pub runs: Vec<(String, Vec<String>)>,
        /// The `testRunFinished` message.
        pub finished: Value,
    }

    /// Every problem of `ndjson`: lines the schema refuses, messages not
    /// one per line, references that resolve to nothing, test cases not
    /// started and finished once with each step once.
    pub fn validate(ndjson: &str) -> Result<Summary, Vec<String>> {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the vendored schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("the vendored schema compiles");
        let mut problems = Vec::new();
        let mut envelopes = Vec::new();
        if !ndjson.ends_with('\n') {
            problems.push("the stream does not end with a line break".to_string());
        }
        for (i, line) in ndjson.lines().enumerate() {
            let envelope: Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("line {}: not JSON: {e}", i + 1));
                    continue;
                }
            };
            for error in validator.iter_errors(&envelope) {
                problems.push(format!(
                    "line {}: at {}: {error}",
                    i + 1,
                    error.instance_path()
                ));
            }
            match envelope.as_object() {
                Some(o) if o.len() == 1 => envelopes.push(envelope),
                _ => problems.push(format!("line {}: not one message", i + 1)),
            }
        }
        let summary = references(&envelopes, &mut problems);
        if problems.is_empty() {
            Ok(summary)
        } else {
            Err(problems)
        }
    }

    fn text(v: &Value) -> String {
        v.as_str().unwrap_or_default().to_string()
    }

    /// Every `id` in a Gherkin document.
    fn node_ids(v: &Value, ids: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(id) = o.get("id").and_then(Value::as_str) {
                    ids.push(id.to_string());
                }
                o.values().for_each(|v| node_ids(v, ids));
            }
            Value::Array(a) => a.iter().for_each(|v| node_ids(v, ids)),
            _ => {}
        }
    }

    /// The problems found so far, the ids seen, and the kind of the message
    /// being read.
    #[derive(Default)]
    struct Refs {
        problems: Vec<String>,
        ids: HashSet<String>,
        kind: String,
    }

    impl Refs {
        /// Notes a reference `value` that resolves to nothing.
        fn resolves(&mut self, what: &str, known: bool, value: &Value) {
            if !known {
                let kind = &self.kind;
                self.problems
                    .push(format!("{kind}: {what} {value} resolves to nothing"));
            }
        }

        /// Notes an id, and a second use of it.
        fn id(&mut self, id: String) -> String {
            if !self.ids.insert(id.clone()) {
                let kind = &self.kind;
                self.problems
                    .push(format!("{kind}: the id {id} is used twice"));
            }
            id
        }
    }

    fn references(envelopes: &[Value], problems: &mut Vec<String>) -> Summary {
        let mut summary = Summary::default();
        let mut refs = Refs::default();
        let mut sources = HashSet::new();
        let mut nodes = HashSet::new();
        let mut pickles: HashMap<String, (String, HashSet<String>)> = HashMap::new();
        let mut hooks = HashSet::new();
        let mut run_started = None;
        let mut cases: HashMap<String, (String, Vec<String>)> = HashMap::new();
        let mut started: HashMap<String, String> = HashMap::new();
        let mut steps_done: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut finished_cases = HashSet::new();
        let mut order = Vec::new();
        for envelope in envelopes {
            let Some((kind, m)) = envelope.as_object().and_then(|o| o.iter().next()) else {
                continue;
            };
            summary.kinds.push(kind.clone());
            refs.kind = kind.clone();
            match kind.as_str() {
                "source" => {
                    sources.insert(text(&m["uri"]));
                }
                "gherkinDocument" => {
                    refs.resolves("uri", sources.contains(&text(&m["uri"])), &m["uri"]);
                    let mut ids = Vec::new();
                    node_ids(&m["feature"], &mut ids);
                    for node in ids {
                        nodes.insert(refs.id(node));
                    }
                }
                "pickle" => {
                    refs.resolves("uri", sources.contains(&text(&m["uri"])), &m["uri"]);
                    for node in m["astNodeIds"].as_array().into_iter().flatten() {
                        refs.resolves("astNodeId", nodes.contains(&text(node)), node);
                    }
                    let mut steps = HashSet::new();
                    for step in m["steps"].as_array().into_iter().flatten() {
                        for node in step["astNodeIds"].as_array().into_iter().flatten() {
                            refs.resolves("step astNodeId", nodes.contains(&text(node)), node);
                        }
                        steps.insert(refs.id(text(&step["id"])));
                    }
                    for tag in m["tags"].as_array().into_iter().flatten() {
                        refs.resolves(
                            "tag astNodeId",
                            nodes.contains(&text(&tag["astNodeId"])),
                            tag,
                        );
                    }
                    summary.pickles.push(text(&m["name"]));
                    let pickle = refs.id(text(&m["id"]));
                    pickles.insert(pickle, (text(&m["name"]), steps));
                }
                "hook" => {
                    hooks.insert(refs.id(text(&m["id"])));
                }
                "testRunStarted" => run_started = Some(refs.id(text(&m["id"]))),
                "testCase" => {
                    let pickle = pickles.get(&text(&m["pickleId"]));
                    refs.resolves("pickleId", pickle.is_some(), &m["pickleId"]);
                    refs.resolves(
                        "testRunStartedId",
                        run_started == Some(text(&m["testRunStartedId"])),
                        &m["testRunStartedId"],
                    );
                    let mut steps = Vec::new();
                    for step in m["testSteps"].as_array().into_iter().flatten() {
                        match (step.get("pickleStepId"), step.get("hookId")) {
                            (Some(p), None) => refs.resolves(
                                "pickleStepId",
                                pickle.is_some_and(|(_, s)| s.contains(&text(p))),
                                p,
                            ),
                            (None, Some(h)) => refs.resolves("hookId", hooks.contains(&text(h)), h),
                            _ => refs
                                .problems
                                .push(format!("{kind}: step {step} is neither")),
                        }
                        steps.push(refs.id(text(&step["id"])));
                    }
                    let name = pickle.map(|(n, _)| n.clone()).unwrap_or_default();
                    cases.insert(refs.id(text(&m["id"])), (name, steps));
                }
                "testCaseStarted" => {
                    let case = text(&m["testCaseId"]);
                    refs.resolves("testCaseId", cases.contains_key(&case), &m["testCaseId"]);
                    let this = refs.id(text(&m["id"]));
                    order.push(this.clone());
                    started.insert(this, case);
                }
                "testStepStarted" | "testStepFinished" => {
                    let case = started.get(&text(&m["testCaseStartedId"]));
                    refs.resolves("testCaseStartedId", case.is_some(), &m["testCaseStartedId"]);
                    let step = text(&m["testStepId"]);
                    let known = case
                        .and_then(|c| cases.get(c))
                        .is_some_and(|(_, steps)| steps.contains(&step));
                    refs.resolves("testStepId", known, &m["testStepId"]);
                    if kind == "testStepFinished" {
                        steps_done
                            .entry(text(&m["testCaseStartedId"]))
                            .or_default()
                            .push((step, text(&m["testStepResult"]["status"])));
                    }
                }
                "testCaseFinished" => {
                    let this = text(&m["testCaseStartedId"]);
                    refs.resolves(
                        "testCaseStartedId",
                        started.contains_key(&this),
                        &m["testCaseStartedId"],
                    );
                    if !finished_cases.insert(this.clone()) {
                        refs.problems.push(format!("{kind}: {this} finishes twice"));
                    }
                }
                "testRunFinished" => {
                    refs.resolves(
                        "testRunStartedId",
                        run_started == Some(text(&m["testRunStartedId"])),
                        &m["testRunStartedId"],
                    );
                    summary.finished = m.clone();
                }
                _ => {}
            }
        }
        problems.append(&mut refs.problems);
        if summary.kinds.first().map(String::as_str) != Some("meta") {
            problems.push("the stream does not start with meta".into());
        }
        if summary.kinds.last().map(String::as_str) != Some("testRunFinished") {
            problems.push("the stream does not end with testRunFinished".into());
        }
        if started.len() != cases.len() {
            problems.push(format!(
                "{} test cases, {} started",
                cases.len(),
                started.len()
            ));
        }
        for case_started in order {
            if !finished_cases.contains(&case_started) {
                problems.push(format!("test case {case_started} started, never finished"));
            }
            let (name, steps) = &cases[&started[&case_started]];
            let done = steps_done.remove(&case_started).unwrap_or_default();
            let done_steps: Vec<&String> = done.iter().map(|(s, _)| s).collect();
            if done_steps != steps.iter().collect::<Vec<_>>() {
                problems.push(format!(
                    "test case {name}: its steps did not each run once, in order"
                ));
            }
            summary
                .runs
                .push((name.clone(), done.into_iter().map(|(_, s)| s).collect()));
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::testing::sample;
    use super::super::{FeatureReport, RunReport, ScenarioReport, StepReport, StepStatus};
    use super::check::validate;
    use super::*;

    /// A feature file with every part a document has: tags on each level, a
    /// background, a rule with its own background, a data table, a doc
    /// string with a media type, an outline with tagged examples, comments.
    const SOURCE: &str = "# The working: 2 × 50 = 100
@billing
Feature: Invoices
  Invoices are billed once.

  Background:
    Given the ledger is empty

  @seed-003 @slow
  Scenario: Billed once
    Given these invoices:
      | person | amount |
      | A      | 100    |
    # the batch runs
    When the batch runs
    Then the summary is:
      \"\"\"text/plain
      # not a comment
      1 invoice
      \"\"\"

  Rule: Re-runs
    Background:
      Given a billed batch

    Scenario Outline: Re-run for <person>
      When <person> is re-run
      But nothing changes

      @people
      Examples: People
        | person |
        | A      |
        | B      |
";

    fn step(keyword: &str, text: &str, line: usize, status: StepStatus) -> StepReport {
        StepReport {
            keyword: keyword.into(),
            text: text.into(),
            line,
            status,
            duration_ms: 7,
            location: Some(format!("src/steps/x.rs:{line}")),
            ..StepReport::default()
        }
    }

    fn invariants(line: usize, status: StepStatus) -> StepReport {
        step("Then", "the business invariants hold", line, status)
    }

    /// The file run on two engines: the plain scenario passes on SQLite and
    /// fails on PostgreSQL; the outline's rows end undefined and ambiguous;
    /// a before hook fails on one run.
    fn run() -> RunReport {
        use StepStatus::*;
        let billed = |engine: &str, last: StepStatus| ScenarioReport {
            keyword: "Scenario".into(),
            name: "Billed once".into(),
            engine: engine.into(),
            line: 10,
            tags: vec!["seed-003".into(), "slow".into()],
            steps: vec![
                step("Given", "the ledger is empty", 7, Passed),
                StepReport {
                    table: Some(vec![
                        vec!["person".into(), "amount".into()],
                        vec!["A".into(), "100".into()],
                    ]),
                    ..step("Given", "these invoices:", 11, Passed)
                },
                step("When", "the batch runs", 15, Passed),
                StepReport {
                    docstring: Some("# not a comment\n1 invoice".into()),
                    ..step("Then", "the summary is:", 16, last.clone())
                },
                invariants(16, if last == Passed { Passed } else { Skipped }),
            ],
            duration_ms: 100,
            started_ms: 1_764_640_801_250,
            ..ScenarioReport::default()
        };
        let rerun = |person: &str, line: usize, engine: &str, last: StepStatus| ScenarioReport {
            keyword: "Scenario Outline".into(),
            name: format!("Re-run for {person}"),
            engine: engine.into(),
            line,
            steps: vec![
                step("Given", "the ledger is empty", 7, Passed),
                step("Given", "a billed batch", 23, Passed),
                step("When", &format!("{person} is re-run"), 26, Passed),
                step("But", "nothing changes", 27, last),
                invariants(27, Skipped),
            ],
            duration_ms: 30,
            started_ms: 1_764_640_801_000 + line as u64,
            ..ScenarioReport::default()
        };
        let mut hooked = rerun("A", 33, "postgres", Skipped);
        for s in &mut hooked.steps {
            s.status = Skipped;
        }
        hooked.steps.insert(
            0,
            StepReport {
                keyword: "Hook".into(),
                text: "before the scenario".into(),
                status: Failed("no database".into()),
                ..StepReport::default()
            },
        );
        RunReport {
            title: "run".into(),
            started_at_utc: "2025-12-02T02:00:00Z".into(),
            duration_ms: 2_500,
            features: vec![FeatureReport {
                keyword: "Feature".into(),
                name: "Invoices".into(),
                path: "features/billing/invoices.feature".into(),
                language: "en".into(),
                line: 3,
                source: SOURCE.into(),
                scenarios: vec![
                    billed("sqlite", Passed),
                    billed("postgres", Failed("the summary differs".into())),
                    rerun("A", 33, "sqlite", Undefined),
                    rerun("B", 34, "sqlite", Ambiguous("two match".into())),
                    hooked,
                ],
                ..FeatureReport::default()
            }],
            ..RunReport::default()
        }
    }

    fn lines(ndjson: &str) -> Vec<Value> {
        ndjson
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn messages<'a>(all: &'a [Value], kind: &str) -> Vec<&'a Value> {
        all.iter().filter_map(|e| e.get(kind)).collect()
    }

    #[test]
    fn the_stream_is_valid_with_one_test_case_per_scenario_and_engine() {
        let ndjson = messages_ndjson(&run());
        let summary = validate(&ndjson).unwrap_or_else(|p| panic!("{}\n{ndjson}", p.join("\n")));
        assert_eq!(
            summary.pickles,
            [
                "Billed once [sqlite]",
                "Billed once [postgres]",
                "Re-run for A [sqlite]",
                "Re-run for B [sqlite]",
                "Re-run for A [postgres]",
            ]
        );
        assert_eq!(summary.runs.len(), 5);
        // In the order the scenarios started: the outline's rows first.
        let by_name: HashMap<&str, Vec<&str>> = summary
            .runs
            .iter()
            .map(|(n, s)| (n.as_str(), s.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(summary.runs[0].0, "Re-run for A [sqlite]");
        assert_eq!(
            by_name["Billed once [postgres]"],
            ["PASSED", "PASSED", "PASSED", "FAILED", "SKIPPED"]
        );
        assert_eq!(
            by_name["Re-run for A [sqlite]"],
            ["PASSED", "PASSED", "PASSED", "UNDEFINED", "SKIPPED"]
        );
        assert_eq!(
            by_name["Re-run for B [sqlite]"],
            ["PASSED", "PASSED", "PASSED", "AMBIGUOUS", "SKIPPED"]
        );
        assert_eq!(
            by_name["Re-run for A [postgres]"],
            [
                "FAILED", "SKIPPED", "SKIPPED", "SKIPPED", "SKIPPED", "SKIPPED"
            ]
        );
        assert_eq!(summary.finished["success"], false);
        let kinds: Vec<&str> = summary.kinds.iter().map(String::as_str).collect();
        assert_eq!(&kinds[..3], ["meta", "source", "gherkinDocument"]);
        // The source once, though it ran on two engines.
        assert_eq!(kinds.iter().filter(|k| **k == "source").count(), 1);
    }

    #[test]
    fn pickles_carry_the_engine_the_tags_and_the_steps_as_run() {
        let all = lines(&messages_ndjson(&run()));
        let pickles = messages(&all, "pickle");
        let tags = |p: &Value| -> Vec<String> {
            p["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            tags(pickles[1]),
            ["@billing", "@seed-003", "@slow", "@engine-postgres"]
        );
        assert_eq!(tags(pickles[3]), ["@billing", "@people", "@engine-sqlite"]);
        assert_eq!(pickles[3]["language"], "en");
        assert_eq!(pickles[3]["location"]["line"], 34);
        // Background steps (feature's, rule's) then its own; placeholders filled.
        let texts: Vec<&str> = pickles[3]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "the ledger is empty",
                "a billed batch",
                "B is re-run",
                "nothing changes"
            ]
        );
        assert_eq!(pickles[3]["steps"][2]["type"], "Action");
        assert_eq!(
            pickles[3]["steps"][2]["astNodeIds"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            pickles[0]["steps"][1]["argument"]["dataTable"]["rows"][1]["cells"][1]["value"],
            "100"
        );
        assert_eq!(
            pickles[0]["steps"][3]["argument"]["docString"]["content"],
            "# not a comment\n1 invoice"
        );
        // The closing step is a hook, named by its text, with its definition.
        let hooks = messages(&all, "hook");
        let names: Vec<(&str, &str)> = hooks
            .iter()
            .map(|h| (h["name"].as_str().unwrap(), h["type"].as_str().unwrap()))
            .collect();
        assert!(names.contains(&("the business invariants hold", "AFTER_TEST_CASE")));
        assert!(names.contains(&("before the scenario", "BEFORE_TEST_CASE")));
        let failed = messages(&all, "testStepFinished")
            .into_iter()
            .find(|m| {
                m["testStepResult"]["status"] == "FAILED"
                    && m["testStepResult"]["message"] != "no database"
            })
            .unwrap();
        assert_eq!(failed["testStepResult"]["message"], "the summary differs");
        assert_eq!(
            failed["testStepResult"]["duration"],
            serde_json::json!({"seconds": 0, "nanos": 7_000_000})
        );
    }

    #[test]
    fn the_gherkin_document_locates_every_node() {
        let all = lines(&messages_ndjson(&run()));
        let document = messages(&all, "gherkinDocument")[0];
        let feature = &document["feature"];
        assert_eq!(
            feature["tags"][0]["location"],
            serde_json::json!({"line": 2, "column": 1})
        );
        assert_eq!(feature["description"], "Invoices are billed once.");
        let scenario = &feature["children"][1]["scenario"];
        assert_eq!(scenario["tags"][1]["name"], "@slow");
        assert_eq!(
            scenario["tags"][1]["location"],
            serde_json::json!({"line": 9, "column": 13})
        );
        let table = &scenario["steps"][0]["dataTable"]["rows"][1];
        assert_eq!(
            table["location"],
            serde_json::json!({"line": 13, "column": 7})
        );
        assert_eq!(
            table["cells"][1]["location"],
            serde_json::json!({"line": 13, "column": 18})
        );
        let doc_string = &scenario["steps"][2]["docString"];
        assert_eq!(
            doc_string["location"],
            serde_json::json!({"line": 17, "column": 7})
        );
        assert_eq!(doc_string["mediaType"], "text/plain");
        assert_eq!(doc_string["delimiter"], "\"\"\"");
        let rule = &feature["children"][2]["rule"];
        let outline = &rule["children"][1]["scenario"];
        assert_eq!(
            outline["examples"][0]["tableBody"][1]["location"]["line"],
            34
        );
        // Comments, not the `#` line inside the doc string.
        let comments: Vec<i64> = document["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["location"]["line"].as_i64().unwrap())
            .collect();
        assert_eq!(comments, [1, 14]);
    }

    #[test]
    fn times_follow_the_scenario_start_and_the_step_durations() {
        let all = lines(&messages_ndjson(&run()));
        assert_eq!(
            messages(&all, "testRunStarted")[0]["timestamp"],
            serde_json::json!({"seconds": 1_764_640_800, "nanos": 0})
        );
        let started = messages(&all, "testCaseStarted");
        assert_eq!(started[0]["attempt"], 0);
        assert_eq!(
            started[0]["timestamp"],
            serde_json::json!({"seconds": 1_764_640_801, "nanos": 33_000_000})
        );
        let step_started = messages(&all, "testStepStarted");
        assert_eq!(
            step_started[1]["timestamp"],
            serde_json::json!({"seconds": 1_764_640_801, "nanos": 40_000_000})
        );
        assert_eq!(
            messages(&all, "testRunFinished")[0]["timestamp"],
            serde_json::json!({"seconds": 1_764_640_802, "nanos": 500_000_000})
        );
    }

    #[test]
    fn a_passing_run_succeeds_and_what_ran_on_no_engine_fails_it() {
        let mut passing = run();
        passing.features[0].scenarios.truncate(1);
        let summary = validate(&messages_ndjson(&passing)).unwrap();
        assert_eq!(summary.finished["success"], true);
        assert!(summary.finished.get("message").is_none());

        // A file that did not parse: a parse error, and the run fails.
        let mut broken = passing.clone();
        broken.features.push(FeatureReport {
            path: "features/broken.feature".into(),
            scenarios: vec![ScenarioReport {
                name: "The feature file parses".into(),
                line: 5,
                steps: vec![StepReport {
                    keyword: "Parse".into(),
                    status: StepStatus::Failed("features/broken.feature:5: unexpected text".into()),
                    ..StepReport::default()
                }],
                ..ScenarioReport::default()
            }],
            ..FeatureReport::default()
        });
        let ndjson = messages_ndjson(&broken);
        let summary = validate(&ndjson).unwrap();
        assert_eq!(summary.finished["success"], false);
        assert!(summary.kinds.contains(&"parseError".to_string()));
        assert_eq!(summary.runs.len(), 1);
        let error = messages(&lines(&ndjson), "parseError")[0].clone();
        assert_eq!(error["source"]["location"]["line"], 5);

        // The sample run has no sources: no test case, its failures said.
        let summary = validate(&messages_ndjson(&sample::run())).unwrap();
        assert!(summary.runs.is_empty());
        assert_eq!(summary.finished["success"], false);
        let message = summary.finished["message"].as_str().unwrap();
        assert!(message.contains("undefined step: "), "{message}");

        // An interrupted run fails, and says why.
        let mut interrupted = passing;
        interrupted.interrupted = true;
        let summary = validate(&messages_ndjson(&interrupted)).unwrap();
        assert_eq!(summary.finished["success"], false);
        let message = summary.finished["message"].as_str().unwrap();
        assert!(message.contains("interrupted"), "{message}");
    }

    #[test]
    fn the_checks_refuse_a_missing_field_and_a_dangling_reference() {
        let ndjson = messages_ndjson(&run());
        let without_attempt = ndjson.replacen("\"attempt\":0,", "", 1);
        assert_ne!(without_attempt, ndjson);
        let problems = validate(&without_attempt).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"attempt\" is a required property")),
            "{problems:?}"
        );
        let all = lines(&ndjson);
        let pickle = messages(&all, "pickle")[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let dangling = ndjson.replace(
            &format!("\"pickleId\":\"{pickle}\""),
            "\"pickleId\":\"nowhere\"",
        );
        let problems = validate(&dangling).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("pickleId \"nowhere\" resolves to nothing")),
            "{problems:?}"
        );
        let unknown_status = ndjson.replacen("\"PASSED\"", "\"GREEN\"", 1);
        assert!(validate(&unknown_status).is_err());
    }

    #[test]
    fn columns_count_characters_and_skip_escaped_bars() {
        assert_eq!(cell_columns("  | 勘定 | a\\|b |  |"), [5, 10, 16]);
        let lines = ["@a @bb", "  @c@d # x", "Scenario: x"];
        assert_eq!(tag_location(&lines, 3, "@bb"), (1, 4));
        assert_eq!(tag_location(&lines, 3, "@d"), (2, 5));
        assert_eq!(tag_location(&lines, 3, "@b"), (2, 1));
    }
}
