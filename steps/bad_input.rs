//! Bad input: a file or data table that a service import or a seed must refuse
//! whole, with the exact message the user sees (the proof that every table is as
//! before uses the steps "every table as it stands is noted" / "every table is
//! exactly as noted").
//! Also the tag check of feature files (the dry run and the runner refuse unknown
//! or malformed tags).

use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail, ensure};
use cucumber::World as _;
use cucumber::gherkin::{Step, StepType};
use cucumber::step::Collection;
use cucumber::{given, then, when};
use futures::FutureExt as _;
use kensho::check::seed::{seed, seed_from_csv};
use kensho::db::Db;
use kensho::shared::input::read_input;
use kensho_billing::{Source, input};
use kensho_consolidation::service::{self, Options};

use kensho::steps::tables::{data_table, origin};
use kensho::{ScenarioWorld, refused_exactly};

/// What the bad-input steps of one scenario keep between steps.
#[derive(Debug, Default)]
pub struct BadInput {
    /// The last attempt: `Ok` if it was accepted, else the message it gave.
    outcome: Option<Result<(), String>>,
    /// A folder for files generated at run time, removed with the scenario.
    temp: Option<TempDir>,
}

/// A folder removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How generated files are named in steps and messages.
const TMP: &str = "$TMP";

impl BadInput {
    fn temp_dir(&mut self) -> Result<&Path> {
        if self.temp.is_none() {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "kensho-bad-input-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            self.temp = Some(TempDir(dir));
        }
        Ok(self.temp.as_ref().map_or(Path::new(""), |t| t.0.as_path()))
    }

    /// A message as shown in features: paths relative to the project, generated
    /// files under `$TMP`.
    fn shown(&self, message: &str) -> String {
        let mut shown = message.replace(&crate::root_prefix(), "");
        if let Some(TempDir(dir)) = &self.temp {
            shown = shown.replace(&dir.display().to_string(), TMP);
        }
        shown
    }
}

/// `$TMP/x` (a generated file, inside the scenario's folder of generated files) or
/// a path inside the project ([`crate::billing::checked_file`]).
fn resolve(w: &ScenarioWorld, file: &str) -> Result<PathBuf> {
    if let Some(name) = file.strip_prefix(&format!("{TMP}/")) {
        let dir = w
            .state_ref::<BadInput>()
            .and_then(|b| b.temp.as_ref())
            .context("no step generated a file under $TMP in this scenario")?;
        return Ok(kensho::steps::paths::inside(&dir.0, name, TMP)?);
    }
    crate::billing::checked_file(file)
}

fn project_file(path: &str) -> PathBuf {
    crate::root().join(path)
}

/// Imports `path` the way `what` names, on `db`; the error's own message is the
/// one the user sees.
async fn import(db: &Db, what: &str, path: &Path, file: &str) -> Result<()> {
    let companies = project_file("fixtures/consolidation/companies.csv");
    let accounts = project_file("fixtures/consolidation/accounts.csv");
    let options = Options::default();
    match what {
        "the billing input" => {
            kensho_billing::register_batch(db, &input::read_file(path)?, Source::OwnBatch).await?;
        }
        "the companies" => service::set_up_group(db, path, &accounts).await?,
        "the chart of accounts" => service::set_up_group(db, &companies, path).await?,
        "the trial balances" => {
            service::import_trial_balances(db, path, options).await?;
        }
        "the exchange rates" => {
            service::update_rates(db, path, options).await?;
        }
        "the consolidation journal" => {
            service::replace_journal(db, path, options).await?;
        }
        "the monetary items" => {
            service::replace_monetary_items(db, path, options).await?;
        }
        "the adjustments" => {
            service::replace_adjustments(db, path, options).await?;
        }
        other => {
            let table = other
                .strip_prefix("the rows of the table ")
                .with_context(|| format!("cannot import as {other:?}"))?;
            seed_from_csv(db, table, &read_input(path, file)?, file).await?;
        }
    }
    Ok(())
}

/// A service import (or a seed from a CSV file) that may be refused; the next
/// steps say how. `$TMP/name` is a file generated earlier in the scenario.
#[when(
    regex = r#"^the file "([^"]+)" is imported as (the billing input|the companies|the chart of accounts|the trial balances|the exchange rates|the consolidation journal|the monetary items|the adjustments|the rows of the table \S+)$"#
)]
async fn import_file(w: &mut ScenarioWorld, file: String, what: String) -> Result<()> {
    let outcome = match resolve(w, &file) {
        Ok(path) => import(w.db()?, &what, &path, &file).await,
        Err(refused) => Err(refused),
    };
    let shown = outcome.map_err(|e| w.state::<BadInput>().shown(&e.to_string()));
    w.state::<BadInput>().outcome = Some(shown);
    Ok(())
}

/// Every step definition, gathered once per process.
fn collection() -> &'static Collection<ScenarioWorld> {
    static COLLECTION: OnceLock<Collection<ScenarioWorld>> = OnceLock::new();
    COLLECTION.get_or_init(ScenarioWorld::collection)
}

/// `When the step "the own batch registers the billing file "/etc/shadow"" is
/// attempted`: runs the named `When` (or else `Given`) step on the scenario's world;
/// its failure message, as the step's report would show it, is the outcome the
/// next steps check.
#[when(regex = r#"^the step "(.+)" is attempted$"#)]
async fn step_attempted(w: &mut ScenarioWorld, text: String, step: &Step) -> Result<()> {
    let collection = collection();
    let found = [StepType::When, StepType::Given]
        .into_iter()
        .find_map(|ty| {
            let mut inner = step.clone();
            (inner.ty, inner.value) = (ty, text.clone());
            match collection.find(&inner) {
                Ok(Some((step_fn, _, _, context))) => Some(Ok((step_fn, context))),
                Ok(None) => None,
                Err(e) => Some(Err(e.possible_matches.len())),
            }
        });
    let (step_fn, context) = match found {
        Some(Ok(found)) => found,
        Some(Err(n)) => bail!("the step {text:?} is ambiguous: it matches {n} definitions"),
        None => bail!("no When or Given step matches {text:?}"),
    };
    let outcome = match AssertUnwindSafe(step_fn(w, context)).catch_unwind().await {
        Ok(()) => Ok(()),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|t| t.to_string()))
            .unwrap_or_else(|| "(a failure without a message)".to_string())),
    };
    let bad_input = w.state::<BadInput>();
    bad_input.outcome = Some(outcome.map_err(|message| bad_input.shown(&message)));
    Ok(())
}

/// `Given a named pipe "$TMP/pipe.csv"`: a FIFO with no writer (reading it would
/// wait for ever).
#[given(regex = r#"^a named pipe "\$TMP/([^"/]+)"$"#)]
async fn named_pipe(w: &mut ScenarioWorld, name: String) -> Result<()> {
    let path = w.state::<BadInput>().temp_dir()?.join(&name);
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .context("running mkfifo")?;
    ensure!(made.success(), "mkfifo {name} failed: {made}");
    Ok(())
}

/// A seed from the data table under the step that may be refused.
#[when(regex = r#"^the rows below are seeded into the table "([^"]*)":$"#)]
async fn seed_rows(w: &mut ScenarioWorld, table: String, step: &Step) -> Result<()> {
    let outcome = match data_table(w, step) {
        Ok(rows) => seed(w.db()?, &table, &rows, &origin(w, step))
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    w.state::<BadInput>().outcome = Some(outcome);
    Ok(())
}

/// The exact message of the refusal.
#[then(regex = r#"^it is refused with "(.*)"$"#)]
async fn refused_with(w: &mut ScenarioWorld, message: String) -> Result<()> {
    match w.state::<BadInput>().outcome.take() {
        None => bail!("no step attempted an import in this scenario"),
        Some(outcome) => refused_exactly("the import", outcome, &message),
    }
}

#[then("it is accepted")]
async fn accepted(w: &mut ScenarioWorld) -> Result<()> {
    match w.state::<BadInput>().outcome.take() {
        None => bail!("no step attempted an import in this scenario"),
        Some(Ok(())) => Ok(()),
        Some(Err(got)) => bail!("it was refused: {got}"),
    }
}

/// A file of exactly `mib` MiB under `$TMP`: `header`, then `line` repeated (the
/// last one cut at the size).
#[given(
    regex = r#"^a file "\$TMP/([^"/]+)" of (\d+) MiB: the line "([^"]*)", then the line "([^"]*)" repeated$"#
)]
async fn big_file(
    w: &mut ScenarioWorld,
    name: String,
    mib: u64,
    header: String,
    line: String,
) -> Result<()> {
    let path = w.state::<BadInput>().temp_dir()?.join(&name);
    let size = mib * 1024 * 1024;
    let file = std::fs::File::create(&path).with_context(|| format!("creating {name}"))?;
    let mut out = std::io::BufWriter::new(file);
    let mut block = format!("{header}\n").into_bytes();
    while (block.len() as u64) < size.min(1 << 20) {
        block.extend_from_slice(line.as_bytes());
        block.push(b'\n');
    }
    let mut written = 0u64;
    while written < size {
        let part = &block[..block.len().min((size - written) as usize)];
        out.write_all(part)?;
        written += part.len() as u64;
        if written == block.len() as u64 {
            block.drain(..header.len() + 1);
            block.extend_from_slice(line.as_bytes());
            block.push(b'\n');
        }
    }
    out.flush()?;
    Ok(())
}

/// A feature file under `$TMP` whose one scenario carries `tags` (on line 3).
#[given(regex = r#"^a feature file "\$TMP/([^"/]+\.feature)" whose scenario is tagged "(.*)"$"#)]
async fn tagged_feature(w: &mut ScenarioWorld, name: String, tags: String) -> Result<()> {
    let path = w.state::<BadInput>().temp_dir()?.join(name);
    std::fs::write(
        &path,
        format!(
            "Feature: Tagged\n\n  {tags}\n  Scenario: One scenario\n    Given the billing period is 2026-11\n"
        ),
    )?;
    Ok(())
}

/// The dry run and the runner's check of the feature file: `problems` is `none` or
/// the one problem they must report; a refused file has no scenario selected.
#[then(regex = r#"^the dry run of "([^"]+)" reports (?:"(.*)"|(nothing))$"#)]
async fn dry_run_reports(
    w: &mut ScenarioWorld,
    file: String,
    problem: String,
    nothing: String,
) -> Result<()> {
    let path = resolve(w, &file)?;
    let suite = crate::suite();
    let dry = kensho::steps::authoring::dry_run(&suite, &path, false, None)?;
    let runner = kensho::steps::authoring::tag_problems(&suite, &path)?;
    let bad_input = w.state::<BadInput>();
    let shown =
        |list: &[String]| -> Vec<String> { list.iter().map(|p| bad_input.shown(p)).collect() };
    let (dry_problems, runner_problems) = (shown(&dry.problems), shown(&runner));
    if !nothing.is_empty() {
        ensure!(
            dry_problems.is_empty() && runner_problems.is_empty() && dry.scenarios.len() == 1,
            "the dry run reports {dry_problems:?} ({} scenarios) and the runner {runner_problems:?}",
            dry.scenarios.len()
        );
        return Ok(());
    }
    ensure!(
        dry_problems == [problem.clone()],
        "the dry run reports {dry_problems:?}, expected [{problem:?}]"
    );
    ensure!(
        runner_problems == [problem.clone()],
        "the runner's tag check reports {runner_problems:?}, expected [{problem:?}]"
    );
    ensure!(
        dry.scenarios.is_empty(),
        "a file with a bad tag still selects scenarios: {:?}",
        dry.scenarios
    );
    Ok(())
}
