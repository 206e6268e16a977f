//! Semantic mutants: the incident-shaped defects generic mutation does not make,
//! each a small edit of a service's code (`services/<name>/src/`, or the shared
//! layer in `shared/src/`) that a named scenario must kill.
//!
//! A mutant is applied to a copy of the tree under `target/kensho/mutants/tree`
//! (never to the tree itself, see [`Lab`]), the suite's main job is built there
//! (`cargo build -p kensho-steps --bin kensho`, with a target directory of its
//! own, incremental from one mutant to the next) and the killing scenario is run
//! with it on the mutant's engine: the mutant is killed when that scenario fails.
//! A new lab's target directory starts from the tree's own build: its compiled
//! dependencies are linked in ([`seed_from`]), so only the workspace's crates are
//! compiled in the lab. An edit whose text is no longer
//! found exactly once is an error naming the mutant, so a refactoring cannot
//! silently disarm it.
//!
//! `cargo xtask mutation --semantic` runs them alone; the scenario suite's
//! `cargo test` runs them every time ([`run_all`]). `cargo test -p xtask` checks
//! in a second, without building anything, that every edit still applies to the
//! tree and every killing scenario still exists.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The database engine a killing scenario runs on, as the main job's
/// `--engines` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite (no server).
    Sqlite,
    /// PostgreSQL (a container or a given URL, as the main job finds it).
    Postgres,
}

impl Engine {
    /// The engine's name on the main job's command line (`sqlite`, `postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One textual change of a file, `find` occurring exactly once.
pub struct Edit {
    /// The file, relative to the project root (`services/karte/src/service.rs`).
    pub file: &'static str,
    /// The text replaced; it must occur exactly once in the file.
    pub find: &'static str,
    /// What replaces it.
    pub replace: &'static str,
}

/// A semantic mutant: the edits that make the defect, and the scenario that must
/// catch it.
pub struct Semantic {
    /// Its name, as reports and `cargo test` print it.
    pub name: &'static str,
    /// The service whose behaviour it breaks.
    pub service: &'static str,
    /// The incident it stands for.
    pub what: &'static str,
    /// The changes of the code that make the mutant.
    pub edits: &'static [Edit],
    /// The scenario that must fail (its exact name).
    pub killer: &'static str,
    /// The engine the killing scenario runs on.
    pub engine: Engine,
}

/// Every semantic mutant, in the order they are tried.
pub const SEMANTIC: &[Semantic] = &[
    Semantic {
        name: "statement-line-upsert-dropped",
        service: "consolidation",
        what: "seed 002: setting an account that has a line adds to it (a second net-income line summed in) instead of replacing it",
        edits: &[Edit {
            file: "services/consolidation/src/model.rs",
            find: "let previous = self.lines.insert(account, Line { kind, amount });\n        Ok(previous.map(|line| line.amount))",
            replace: "let previous = self.lines.get(&account).map(|line| line.amount);\n        self.lines.entry(account).or_insert(Line { kind, amount: Decimal::ZERO }).amount += amount;\n        Ok(previous)",
        }],
        killer: "Recomputing a statement that already holds net income",
        engine: Engine::Sqlite,
    },
    Semantic {
        name: "batch-overwrites-front-edit",
        service: "billing",
        what: "seed 003: the batch replaces a record an administrator corrected at the front",
        edits: &[Edit {
            file: "services/billing/src/plan.rs",
            find: "Some(r) if r.last_source > source => {",
            replace: "Some(r) if r.last_source > source && !r.last_source.is_front() => {",
        }],
        killer: "An administrator's correction survives an ordinary user's batch import",
        engine: Engine::Sqlite,
    },
    Semantic {
        name: "purge-as-one-transaction",
        service: "karte",
        what: "seed 000: the purge widened to one transaction over everything expired",
        edits: &[Edit {
            file: "services/karte/src/service.rs",
            find: "    let cutoff = now_ms - RETENTION_MS;\n    let mut report = PurgeReport {",
            replace: "    let cutoff = now_ms - RETENTION_MS;\n    if cutoff < i64::MAX {\n        return purge_as_in_the_incident(db, store, now_ms).await;\n    }\n    let mut report = PurgeReport {",
        }],
        killer: "A bounded purge run stops after its chunks; the next run goes on",
        engine: Engine::Sqlite,
    },
    Semantic {
        name: "purge-without-recheck",
        service: "karte",
        what: "seed 000: the purge deletes the photos it chose without checking the 30 days again under its lock, so a restore committed in between is lost",
        edits: &[Edit {
            file: "services/karte/src/service.rs",
            find: ".push_bind($last)\n            .push(\" AND \");\n        expired!($qb, $cutoff);",
            replace: ".push_bind($last)\n            .push(\" AND TRUE\");",
        }],
        killer: "A restore committed after the purge chose the photo and before it locked it keeps the photo",
        engine: Engine::Postgres,
    },
    Semantic {
        name: "in-memory-flag-on-by-default",
        service: "consolidation",
        what: "seed 002: a feature flag nobody switched reads as on",
        edits: &[Edit {
            file: "shared/src/flag.rs",
            find: ".unwrap_or(0) == 1)",
            replace: ".unwrap_or(1) == 1)",
        }],
        killer: "A flag nobody switched is off, and a switch takes effect at once",
        engine: Engine::Sqlite,
    },
];

/// What became of a semantic mutant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its killing scenario failed: the suite catches the defect.
    Killed,
    /// Its killing scenario passed with the defect in the code.
    Survived,
    /// The mutant does not build (a semantic mutant must).
    Unviable,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Killed => "killed",
            Verdict::Survived => "SURVIVED",
            Verdict::Unviable => "UNVIABLE",
        })
    }
}

/// The copy of the tree mutants are built in: `<root>/target/kensho/mutants/tree`,
/// built with its own target directory `<root>/target/kensho/mutants/target`, so
/// a mutant never touches the tree or its build.
pub struct Lab {
    source: PathBuf,
    tree: PathBuf,
    target: PathBuf,
}

/// What a copy of the tree needs to build the workspace and run the scenarios:
/// the workspace's manifest and lock file, every member (the harness `src`, the
/// shared layer, the services, the suite, the example, the tooling, the
/// workspace hack), the scenarios' inputs and the cargo settings.
const COPIED: [&str; 13] = [
    "Cargo.toml",
    "Cargo.lock",
    "src",
    "shared",
    "services",
    "steps",
    "examples",
    "xtask",
    "workspace-hack",
    "features",
    "fixtures",
    "docs",
    ".cargo",
];

/// What the scenario runs write in the copy (their SQLite databases under
/// `target/kensho/`): kept when the copy is refreshed.
const WRITTEN_IN_THE_COPY: &str = "target";

/// The package and binary of the suite's main job, which the lab builds and runs.
const MAIN_JOB_PACKAGE: &str = "kensho-steps";
const MAIN_JOB_BIN: &str = "kensho";

/// Makes `to` a copy of `from`: files that differ are copied, files and folders
/// `from` does not have are removed (so a file deleted or moved in the tree, say
/// an old `build.rs`, does not linger in the copy). Unchanged files keep their
/// time stamps, so cargo rebuilds only what a mutant touched.
fn mirror(from: &Path, to: &Path) -> Result<()> {
    let meta = match std::fs::metadata(from) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return remove(to),
        Err(e) => return Err(e).with_context(|| format!("reading {}", from.display())),
    };
    if meta.is_dir() {
        if to.is_file() || to.is_symlink() {
            remove(to)?;
        }
        std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
        let mut names = std::collections::BTreeSet::new();
        for entry in
            std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?
        {
            let entry = entry?;
            names.insert(entry.file_name());
            mirror(&entry.path(), &to.join(entry.file_name()))?;
        }
        for entry in std::fs::read_dir(to).with_context(|| format!("reading {}", to.display()))? {
            let entry = entry?;
            if !names.contains(&entry.file_name()) {
                remove(&entry.path())?;
            }
        }
    } else {
        if to.is_dir() && !to.is_symlink() {
            remove(to)?;
        }
        let same = std::fs::read(to).is_ok_and(|old| std::fs::read(from).is_ok_and(|n| n == old));
        if !same {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from, to).with_context(|| format!("copying {}", from.display()))?;
        }
    }
    Ok(())
}

/// What of a build's `debug` folder a new lab's target directory starts from:
/// the compiled crates, their build scripts' outputs, and cargo's records of
/// them. Dependencies are the same units in both builds (same sources, same
/// settings), so cargo finds them fresh; the workspace's crates sit elsewhere in
/// the lab (their path is part of their identity) and are compiled there.
const SEEDED: [&str; 3] = ["deps", "build", ".fingerprint"];

/// Starts the lab's target directory `to` from the build in `from` (the tree's
/// `target`), if there is one: compiled files are hard-linked (cargo and rustc
/// replace an output by a new file, never rewrite it in place), cargo's small
/// records copied; where a link cannot be made (another file system), copied.
/// Everything goes into a temporary folder renamed into place at the end, so a
/// stopped seeding leaves no half-seeded lab.
fn seed_from(from: &Path, to: &Path) -> Result<()> {
    let debug = from.join("debug");
    if !debug.join("deps").is_dir() {
        return Ok(());
    }
    let began = Instant::now();
    let partial = to.with_extension("seeding");
    remove(&partial)?;
    for part in SEEDED {
        link_tree(
            &debug.join(part),
            &partial.join("debug").join(part),
            part != ".fingerprint",
        )?;
    }
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming {} to {}", partial.display(), to.display()))?;
    eprintln!(
        "lab {}: its build starts from {} ({:.1} s)",
        to.display(),
        debug.display(),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Recreates the tree `from` at `to`, its files hard-linked when `link` (copied
/// when not, or when linking fails).
fn link_tree(from: &Path, to: &Path, link: bool) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(from) else {
        return Ok(());
    };
    if meta.is_dir() {
        std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
        for entry in
            std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?
        {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()), link)?;
        }
    } else if meta.is_file() && !(link && std::fs::hard_link(from, to).is_ok()) {
        std::fs::copy(from, to).with_context(|| format!("copying {}", from.display()))?;
    }
    Ok(())
}

/// Removes a file or a folder, if there is one.
fn remove(path: &Path) -> Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
    };
    result.with_context(|| format!("removing {}", path.display()))
}

impl Lab {
    /// A lab under `<source>/target/kensho/mutants`, its tree refreshed from
    /// `source` (the project root): the parts the build needs are mirrored, and
    /// anything else at the top of the copy (but what scenario runs wrote there)
    /// is removed.
    pub fn new(source: &Path) -> Result<Lab> {
        Lab::at(source, "target/kensho/mutants")
    }

    /// A lab under `<source>/<base>` (its tree `tree`, its target directory
    /// `target`), refreshed from `source` as [`Lab::new`] does: one folder per
    /// use, so that no use of a lab finds another's edits.
    pub(crate) fn at(source: &Path, base: &str) -> Result<Lab> {
        let base = source.join(base);
        let lab = Lab {
            source: source.to_path_buf(),
            tree: base.join("tree"),
            target: base.join("target"),
        };
        std::fs::create_dir_all(&lab.tree)
            .with_context(|| format!("creating {}", lab.tree.display()))?;
        if !lab.target.exists() {
            seed_from(&source.join("target"), &lab.target)?;
        }
        for part in COPIED {
            mirror(&source.join(part), &lab.tree.join(part))?;
        }
        for entry in std::fs::read_dir(&lab.tree)? {
            let name = entry?.file_name();
            if name != WRITTEN_IN_THE_COPY && !COPIED.iter().any(|part| name == **part) {
                remove(&lab.tree.join(name))?;
            }
        }
        Ok(lab)
    }

    fn restore(&self, mutant: &Semantic) -> Result<()> {
        for edit in mutant.edits {
            mirror(&self.source.join(edit.file), &self.tree.join(edit.file))?;
        }
        Ok(())
    }

    fn apply(&self, mutant: &Semantic) -> Result<()> {
        for edit in mutant.edits {
            self.edit(edit)
                .with_context(|| format!("semantic mutant {}", mutant.name))?;
        }
        Ok(())
    }

    /// Makes one edit in the copy; its text must occur exactly once.
    pub(crate) fn edit(&self, edit: &Edit) -> Result<()> {
        let path = self.tree.join(edit.file);
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", edit.file))?;
        let found = text.matches(edit.find).count();
        if found != 1 {
            bail!(
                "the edit of {} no longer applies (the text to replace occurs {found} times, must be once): {:?}; update the edit with the code",
                edit.file,
                edit.find
            );
        }
        std::fs::write(&path, text.replacen(edit.find, edit.replace, 1))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Makes `to` in the copy (a path relative to the project root) a copy of
    /// `from` in the source tree, a file or a folder; `from` missing removes `to`.
    pub(crate) fn copy_in(&self, from: &str, to: &str) -> Result<()> {
        mirror(&self.source.join(from), &self.tree.join(to))
    }

    /// The copy of the tree.
    pub(crate) fn tree(&self) -> &Path {
        &self.tree
    }

    /// Where the main job run by [`Lab::run_main_job`] writes its reports.
    pub(crate) fn reports(&self) -> PathBuf {
        self.target.join("reports")
    }

    /// A cargo command in the lab's tree, free of the calling cargo's settings.
    fn cargo(&self) -> Command {
        self.in_lab(Command::new(
            std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        ))
    }

    /// `cmd` run in the lab's tree with the lab's target directory and none of
    /// the calling cargo's settings: the main job builds a service's program
    /// (`cargo build -p kensho-billing ...`) where the lab built it, from the
    /// lab's build, not in a target directory of its own.
    fn in_lab(&self, mut cmd: Command) -> Command {
        for (key, _) in std::env::vars_os() {
            if key
                .to_str()
                .is_some_and(|key| key.starts_with("CARGO_") && key != "CARGO_HOME")
            {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(&self.tree)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    /// Builds the main job in the lab (`cargo build -p kensho-steps --bin
    /// kensho`); its executable, or `None` when it does not compile.
    pub(crate) fn build(&self) -> Result<Option<PathBuf>> {
        let out = self
            .cargo()
            .args(["build", "--quiet", "--package", MAIN_JOB_PACKAGE])
            .args(["--bin", MAIN_JOB_BIN])
            .arg("--message-format=json-render-diagnostics")
            .output()
            .context("running cargo build in the mutants' tree")?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(20).collect();
            for line in tail.into_iter().rev() {
                eprintln!("    {line}");
            }
            return Ok(None);
        }
        executable(&String::from_utf8_lossy(&out.stdout), MAIN_JOB_BIN)
            .map(Some)
            .with_context(|| {
                format!(
                    "cargo built {MAIN_JOB_PACKAGE} in {} but named no executable `{MAIN_JOB_BIN}`",
                    self.tree.display()
                )
            })
    }

    /// Runs `scenario` on `engine` with the main job at `bin`; returns (failed,
    /// passed).
    fn run(&self, bin: &Path, scenario: &str, engine: Engine) -> Result<(usize, usize)> {
        let name = format!("^{}$", regex_escape(scenario));
        self.run_main_job(bin, &["--engines", engine.name(), "--name", &name])
    }

    /// Runs the main job at `bin` in the lab with `args` (its reports under the
    /// lab's target directory); returns (failed, passed) from its summary.
    pub(crate) fn run_main_job(&self, bin: &Path, args: &[&str]) -> Result<(usize, usize)> {
        let out = self
            .in_lab(Command::new(bin))
            .args(args)
            .arg("--reports")
            .arg(self.reports())
            .env_remove("KENSHO_SHARD")
            .env_remove("KENSHO_SLOW")
            .env_remove("KENSHO_ENGINES")
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        summary_counts(&stderr).with_context(|| {
            format!(
                "no summary from the scenario run (exit {:?}); stderr:\n{stderr}",
                out.status.code()
            )
        })
    }

    /// Applies, builds and tests one mutant, then restores the tree.
    pub fn try_mutant(&self, mutant: &Semantic) -> Result<Verdict> {
        let began = Instant::now();
        eprintln!(
            "semantic mutant {} ({}): {}",
            mutant.name, mutant.service, mutant.what
        );
        self.apply(mutant)?;
        let verdict = (|| {
            let Some(bin) = self.build()? else {
                return Ok(Verdict::Unviable);
            };
            let (failed, passed) = self.run(&bin, mutant.killer, mutant.engine)?;
            if failed + passed == 0 {
                bail!(
                    "semantic mutant {}: no scenario is named {:?}",
                    mutant.name,
                    mutant.killer
                );
            }
            Ok(if failed > 0 {
                Verdict::Killed
            } else {
                Verdict::Survived
            })
        })();
        self.restore(mutant)?;
        let verdict = verdict?;
        eprintln!(
            "  {verdict} by \"{}\" on {} ({:.0} s)",
            mutant.killer,
            mutant.engine,
            began.elapsed().as_secs_f64()
        );
        Ok(verdict)
    }
}

/// The executable of the binary target `bin` in cargo's JSON messages
/// (`--message-format=json`): the last `compiler-artifact` naming it.
fn executable(messages: &str, bin: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
        })
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
}

/// (failed, passed) from the main job's summary line:
/// `  sqlite    1 scenarios: 0 passed, 1 failed; ...`.
fn summary_counts(stderr: &str) -> Option<(usize, usize)> {
    stderr.lines().find_map(|line| {
        let rest = line.split(" scenarios: ").nth(1)?;
        let (passed, rest) = rest.split_once(" passed, ")?;
        let failed = rest.split(' ').next()?;
        Some((failed.parse().ok()?, passed.trim().parse().ok()?))
    })
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Tries every semantic mutant of the project at `source` (its root), in order,
/// and returns each with its verdict. First it checks that the unmutated tree
/// builds and that each killing scenario passes without its mutant (or its
/// failure would prove nothing); either failing is an error.
pub fn run_all(source: &Path) -> Result<Vec<(&'static Semantic, Verdict)>> {
    let lab = Lab::new(source)?;
    eprintln!(
        "semantic mutants: building in {} (the first build takes a few minutes)",
        lab.tree.display()
    );
    let Some(bin) = lab.build()? else {
        bail!(
            "the unmutated tree does not build in {}",
            lab.tree.display()
        );
    };
    for m in SEMANTIC {
        let (failed, passed) = lab.run(&bin, m.killer, m.engine)?;
        if (failed, passed) != (0, 1) {
            bail!(
                "the scenario {:?} must pass on {} without a mutant before it can kill one; {passed} passed, {failed} failed",
                m.killer,
                m.engine
            );
        }
    }
    SEMANTIC
        .iter()
        .map(|m| lab.try_mutant(m).map(|v| (m, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The project root (the workspace holding `xtask/`).
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_edit_applies_exactly_once_to_the_tree() {
        for m in SEMANTIC {
            assert!(!m.edits.is_empty(), "{}", m.name);
            for edit in m.edits {
                let path = root().join(edit.file);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", m.name, path.display()));
                assert_eq!(
                    text.matches(edit.find).count(),
                    1,
                    "{}: the edit of {} must find its text exactly once",
                    m.name,
                    edit.file
                );
            }
        }
    }

    #[test]
    fn every_killer_is_a_scenario_of_the_features() {
        fn scenario_names(dir: &Path, names: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    scenario_names(&path, names);
                } else if path.extension().is_some_and(|e| e == "feature") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    names.extend(text.lines().filter_map(|line| {
                        let (_, name) = line.trim().split_once(':')?;
                        Some(name.trim().to_string())
                    }));
                }
            }
        }
        let mut names = Vec::new();
        scenario_names(&root().join("features"), &mut names);
        for m in SEMANTIC {
            assert!(
                names.iter().any(|n| n == m.killer),
                "{}: no scenario is named {:?}",
                m.name,
                m.killer
            );
        }
    }

    #[test]
    fn names_are_unique_and_engines_named_as_the_main_job_takes_them() {
        let mut names: Vec<&str> = SEMANTIC.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SEMANTIC.len());
        assert_eq!(Engine::Sqlite.to_string(), "sqlite");
        assert_eq!(Engine::Postgres.name(), "postgres");
    }

    /// A member left out of the copy would fail every mutant's build.
    #[test]
    fn the_copy_holds_every_member_of_the_workspace() {
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        let members = manifest
            .lines()
            .find_map(|line| line.strip_prefix("members = ["))
            .expect("the workspace's members line");
        for member in members.trim_end_matches(']').split(',') {
            let member = member.trim().trim_matches('"');
            let top = member.split('/').next().unwrap();
            let top = if top == "." { "src" } else { top };
            assert!(COPIED.contains(&top), "member {member} is not copied");
        }
    }

    #[test]
    fn the_copy_mirrors_the_tree_and_drops_what_is_gone() {
        let dir = scratch("mirror");
        let (from, to) = (dir.join("from"), dir.join("to"));
        std::fs::create_dir_all(from.join("src/a")).unwrap();
        std::fs::write(from.join("src/a/kept.rs"), "new").unwrap();
        std::fs::create_dir_all(to.join("src/a")).unwrap();
        std::fs::create_dir_all(to.join("src/old")).unwrap();
        std::fs::write(to.join("src/a/kept.rs"), "old").unwrap();
        std::fs::write(to.join("src/a/gone.rs"), "x").unwrap();
        std::fs::write(to.join("src/old/mod.rs"), "x").unwrap();
        mirror(&from.join("src"), &to.join("src")).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("src/a/kept.rs")).unwrap(),
            "new"
        );
        assert!(!to.join("src/a/gone.rs").exists());
        assert!(!to.join("src/old").exists());
        // A part the tree no longer has goes from the copy too.
        std::fs::write(to.join("build.rs"), "fn main() {}").unwrap();
        mirror(&from.join("build.rs"), &to.join("build.rs")).unwrap();
        assert!(!to.join("build.rs").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_new_lab_starts_from_the_trees_build() {
        let dir = scratch("seed");
        let from = dir.join("target");
        std::fs::create_dir_all(from.join("debug/deps")).unwrap();
        std::fs::create_dir_all(from.join("debug/.fingerprint/serde-1")).unwrap();
        std::fs::create_dir_all(from.join("debug/incremental/kensho-1")).unwrap();
        std::fs::write(from.join("debug/deps/libserde-1.rlib"), "rlib").unwrap();
        std::fs::write(from.join("debug/.fingerprint/serde-1/lib-serde"), "hash").unwrap();
        std::fs::write(from.join("debug/incremental/kensho-1/s"), "x").unwrap();
        std::fs::write(from.join("debug/kensho"), "bin").unwrap();
        let to = dir.join("lab/target");
        seed_from(&from, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("debug/deps/libserde-1.rlib")).unwrap(),
            "rlib"
        );
        assert_eq!(
            std::fs::read_to_string(to.join("debug/.fingerprint/serde-1/lib-serde")).unwrap(),
            "hash"
        );
        // The tree's own binaries and incremental state stay out of the lab.
        assert!(!to.join("debug/kensho").exists());
        assert!(!to.join("debug/incremental").exists());
        assert!(!to.with_extension("seeding").exists());
        // Cargo's records are copies: the lab rewriting one leaves the tree's.
        std::fs::write(to.join("debug/.fingerprint/serde-1/lib-serde"), "new").unwrap();
        assert_eq!(
            std::fs::read_to_string(from.join("debug/.fingerprint/serde-1/lib-serde")).unwrap(),
            "hash"
        );
        // Nothing to start from: nothing made.
        let none = dir.join("none/target");
        seed_from(&dir.join("nothing"), &none).unwrap();
        assert!(!none.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unchanged_files_keep_their_time_stamps() {
        let dir = scratch("stamps");
        let (from, to) = (dir.join("from.rs"), dir.join("to.rs"));
        std::fs::write(&from, "same").unwrap();
        std::fs::write(&to, "same").unwrap();
        let before = std::fs::metadata(&to).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        mirror(&from, &to).unwrap();
        assert_eq!(std::fs::metadata(&to).unwrap().modified().unwrap(), before);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_main_job_is_found_in_cargo_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"kensho"},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"kensho"},"executable":"/lab/target/debug/kensho"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            executable(&messages, "kensho"),
            Some(PathBuf::from("/lab/target/debug/kensho"))
        );
        assert_eq!(executable(&messages, "other"), None);
    }

    #[test]
    fn the_summary_line_gives_failed_and_passed() {
        let stderr = "feature ...\n  sqlite    1 scenarios: 0 passed, 1 failed; 12 steps\n";
        assert_eq!(summary_counts(stderr), Some((1, 0)));
        assert_eq!(summary_counts("nothing ran"), None);
    }

    #[test]
    fn scenario_names_are_matched_literally() {
        assert_eq!(regex_escape("A (b) 1.5 + c?"), r"A \(b\) 1\.5 \+ c\?");
    }
}
