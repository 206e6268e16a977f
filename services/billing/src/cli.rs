//! `billing-batch`: the billing batch as a command-line program, so that scenarios
//! (and people) can run it the way production does, as a process against a
//! database.
//!
//! `billing-batch import FILE [--source own|transfer]` reads `FILE` strictly (the
//! whole file before anything is written), connects to `DATABASE_URL` and registers
//! the file with [`register_batch`]. The report goes to stdout, errors to stderr
//! prefixed `billing-batch: `; the exit status says which kind of failure it was
//! (see [`CliError::exit_code`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kensho_shared::db::{Db, DbError};

use crate::{BatchOutcome, BillingError, InputError, Source, input, register_batch};

/// The environment variable that names the database to write.
pub const DATABASE_URL: &str = "DATABASE_URL";

/// What `--help` adds after the options: the environment and the exit statuses.
const AFTER_HELP: &str = "\
Environment:
  DATABASE_URL  the database to write (required): sqlite:PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE
                or mysql://... (mariadb://...); its billing tables must exist (migrated)

Exit status:
  0  the batch ran; stdout has `run R: inserted I, replaced P, unchanged U, skipped S`,
     then one line per warning (a line the batch left alone, and why)
  1  the input file was refused (the message names file, line and column); nothing was written
  2  usage error, DATABASE_URL missing or unusable, or the database unreachable or failing";

/// The command line of `billing-batch`.
#[derive(Debug, PartialEq, Eq, Parser)]
#[command(
    name = "billing-batch",
    version,
    about = "Runs the billing batch (請求バッチ) against the database named by DATABASE_URL",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A `billing-batch` subcommand.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Registers the billing records of a CSV file (header `person,period,amount`).
    ///
    /// With status management: records a person wrote or deleted at the front are
    /// left alone, with a warning. Running the same file again changes nothing.
    #[command(after_help = AFTER_HELP)]
    Import {
        /// The input file: CSV with the header `person,period,amount`, one line per
        /// person and billing period (YYYY-MM).
        file: PathBuf,
        /// Which batch registers the file.
        #[arg(long, value_enum, default_value_t = BatchSource::Own)]
        source: BatchSource,
    },
}

/// The sources a batch can run as (the front's sources are people, not batches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BatchSource {
    /// A batch closed within this system (自システム内でクローズしたバッチ).
    Own,
    /// A batch reflecting data transferred from another system (他システムからの転送データ).
    Transfer,
}

impl From<BatchSource> for Source {
    fn from(source: BatchSource) -> Source {
        match source {
            BatchSource::Own => Source::OwnBatch,
            BatchSource::Transfer => Source::TransferBatch,
        }
    }
}

/// Why `billing-batch` failed. Usage errors are clap's, before any of these.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `DATABASE_URL` is unset or empty.
    #[error(
        "{DATABASE_URL} is not set: set it to the database to write, e.g. DATABASE_URL=sqlite:billing.sqlite or DATABASE_URL=postgres://USER@HOST/DATABASE"
    )]
    NoDatabase,
    /// The input file was refused (unreadable or malformed); nothing was written.
    #[error("{0}; nothing was registered")]
    Refused(#[source] InputError),
    /// The database URL is unusable or the database cannot be reached.
    #[error(transparent)]
    Connect(#[from] DbError),
    /// The batch failed in the database.
    #[error(transparent)]
    Batch(BillingError),
    /// The report could not be written to stdout.
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}

impl From<BillingError> for CliError {
    fn from(error: BillingError) -> CliError {
        match error {
            BillingError::Input(refused) => CliError::Refused(refused),
            other => CliError::Batch(other),
        }
    }
}

impl CliError {
    /// The process's exit status: 1 when the input file was refused, 2 otherwise
    /// (the environment or the database, not the file, is at fault).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused(_) => 1,
            _ => 2,
        }
    }
}

/// Runs `billing-batch` with the process's arguments and environment: the body of
/// the binary's `main`. Returns the exit status.
pub async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(usage) => {
            // Help and version go to stdout with status 0, usage errors to stderr
            // with status 2.
            let _ = usage.print();
            return ExitCode::from(u8::try_from(usage.exit_code()).unwrap_or(2));
        }
    };
    let database_url = std::env::var(DATABASE_URL).ok();
    let mut stdout = std::io::stdout().lock();
    match run(&args, database_url.as_deref(), &mut stdout).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("billing-batch: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// Runs a parsed command line against `database_url` (the value of `DATABASE_URL`),
/// writing the report to `out`. The input file is read before the database is
/// touched, so a refused file is reported even when the database is unreachable.
pub async fn run(
    args: &Args,
    database_url: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let Command::Import { file, source } = &args.command;
    let database_url = database_url
        .filter(|url| !url.trim().is_empty())
        .ok_or(CliError::NoDatabase)?;
    let input = input::read_file(file).map_err(CliError::Refused)?;
    let db = Db::connect(database_url).await?;
    let outcome = register_batch(&db, &input, (*source).into()).await;
    db.close().await;
    write_report(&outcome?, out)?;
    Ok(())
}

/// Writes what a run did: the counts line, then one line per warning.
fn write_report(outcome: &BatchOutcome, out: &mut dyn Write) -> std::io::Result<()> {
    let c = &outcome.counts;
    writeln!(
        out,
        "run {}: inserted {}, replaced {}, unchanged {}, skipped {}",
        outcome.run_id, c.inserted, c.replaced, c.unchanged, c.skipped
    )?;
    for warning in &outcome.warnings {
        writeln!(out, "{}", warning.message)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("billing-batch").chain(args.iter().copied()))
    }

    fn import(file: &str, source: BatchSource) -> Args {
        Args {
            command: Command::Import {
                file: PathBuf::from(file),
                source,
            },
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn import_runs_as_the_own_batch_unless_told_otherwise() {
        assert_eq!(
            parse(&["import", "b.csv"]).unwrap(),
            import("b.csv", BatchSource::Own)
        );
        assert_eq!(
            parse(&["import", "--source", "transfer", "b.csv"]).unwrap(),
            import("b.csv", BatchSource::Transfer)
        );
        assert_eq!(
            parse(&["import", "b.csv", "--source=own"]).unwrap(),
            import("b.csv", BatchSource::Own)
        );
        assert_eq!(Source::from(BatchSource::Own), Source::OwnBatch);
        assert_eq!(Source::from(BatchSource::Transfer), Source::TransferBatch);
    }

    #[test]
    fn usage_errors_are_refused_with_status_2() {
        for (args, kind) in [
            (&[][..], ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand),
            (&["import"][..], ErrorKind::MissingRequiredArgument),
            (
                &["import", "b.csv", "--source", "administrator"][..],
                ErrorKind::InvalidValue,
            ),
            (
                &["import", "a.csv", "b.csv"][..],
                ErrorKind::UnknownArgument,
            ),
            (&["export", "b.csv"][..], ErrorKind::InvalidSubcommand),
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.kind(), kind, "{args:?}: {err}");
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn help_explains_sources_environment_and_exit_statuses() {
        let err = parse(&["import", "--help"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DisplayHelp);
        assert_eq!(err.exit_code(), 0);
        let help = err.to_string();
        for expected in ["--source", "own", "transfer", "DATABASE_URL", "Exit status"] {
            assert!(help.contains(expected), "{expected} missing from:\n{help}");
        }
    }

    #[tokio::test]
    async fn a_missing_database_url_or_an_unknown_scheme_is_status_2() {
        let args = import("b.csv", BatchSource::Own);
        for url in [None, Some(" ")] {
            let err = run(&args, url, &mut Vec::new()).await.unwrap_err();
            assert!(matches!(err, CliError::NoDatabase), "{err}");
            assert_eq!(err.exit_code(), 2);
        }
        let file = scratch("scheme").join("b.csv");
        std::fs::write(&file, "person,period,amount\nA,2026-11,100\n").unwrap();
        let args = import(file.to_str().unwrap(), BatchSource::Own);
        let err = run(&args, Some("oracle://u:pw@host/db"), &mut Vec::new())
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("\"oracle\""), "{err}");
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_refused_file_is_status_1_before_the_database_is_touched() {
        let file = scratch("refused").join("b.csv");
        std::fs::write(&file, "person,period,amount\nA,2026-11,12x\n").unwrap();
        let args = import(file.to_str().unwrap(), BatchSource::Own);
        let err = run(
            &args,
            Some("postgres://nobody@127.0.0.1:1/none"),
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.exit_code(), 1, "{err}");
        let shown = err.to_string();
        assert!(shown.contains(":2 (column amount)"), "{shown}");
        assert!(shown.contains("b.csv"), "{shown}");
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn imports_report_counts_then_warnings() {
        let dir = scratch("import");
        let db_file = dir.join("billing.sqlite");
        std::fs::write(&db_file, b"").unwrap();
        let url = format!("sqlite:{}", db_file.display());
        let db = Db::connect(&url).await.unwrap();
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        crate::MIGRATIONS.sqlite.run(pool).await.unwrap();
        let key = crate::BillingKey {
            person: "B".into(),
            period: "2026-11".into(),
        };
        let amount = kensho_shared::money::parse_amount("5000").unwrap();
        crate::front::register(&db, &key, amount, Source::OrdinaryUser)
            .await
            .unwrap();
        db.close().await;

        let file = dir.join("b.csv");
        std::fs::write(
            &file,
            "person,period,amount\nA,2026-11,100\nB,2026-11,200\n",
        )
        .unwrap();
        let args = import(file.to_str().unwrap(), BatchSource::Own);
        let mut out = Vec::new();
        run(&args, Some(&url), &mut out).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].ends_with(": inserted 1, replaced 0, unchanged 0, skipped 1"),
            "{out}"
        );
        assert!(lines[0].starts_with("run "), "{out}");
        assert!(lines[1].contains("B (2026-11)"), "{out}");

        let mut again = Vec::new();
        run(&args, Some(&url), &mut again).await.unwrap();
        let again = String::from_utf8(again).unwrap();
        assert!(
            again.contains(": inserted 0, replaced 0, unchanged 1, skipped 1"),
            "{again}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A fresh folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kensho-billing-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
