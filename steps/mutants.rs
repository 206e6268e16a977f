//! Semantic mutants: the incident-shaped defects generic mutation does not make,
//! each a small edit of the service code that a named scenario must kill. A mutant
//! is applied to a copy of the tree under `target/kensho/mutants/tree` (never to
//! the tree itself), built there with its own target directory, and the killing
//! scenario is run on the mutant's engine: the mutant is killed when that scenario
//! fails. An edit whose text is no longer found exactly once is an error naming
//! the mutant, so a refactoring cannot silently disarm it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use kensho::db::Engine;

/// One textual change of a file, `find` occurring exactly once.
pub struct Edit {
    pub file: &'static str,
    pub find: &'static str,
    pub replace: &'static str,
}

pub struct Semantic {
    pub name: &'static str,
    pub service: &'static str,
    /// The incident it stands for.
    pub what: &'static str,
    pub edits: &'static [Edit],
    /// The scenario that must fail (its exact name).
    pub killer: &'static str,
    pub engine: Engine,
}

pub const SEMANTIC: &[Semantic] = &[
    Semantic {
        name: "statement-line-upsert-dropped",
        service: "consolidation",
        what: "seed 002: setting an account that has a line adds to it (a second net-income line summed in) instead of replacing it",
        edits: &[Edit {
            file: "src/consolidation/model.rs",
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
            file: "src/billing/plan.rs",
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
            file: "src/karte/service.rs",
            find: "if options.replay_single_transaction {",
            replace: "if true {",
        }],
        killer: "A bounded purge run stops after its chunks; the next run goes on",
        engine: Engine::Sqlite,
    },
    Semantic {
        name: "purge-without-recheck",
        service: "karte",
        what: "seed 000: the purge deletes the photos it chose without checking the 30 days again under its lock, so a restore committed in between is lost",
        edits: &[Edit {
            file: "src/karte/service.rs",
            find: ".filter(|p| p.trashed_at.is_some_and(|t| t <= cutoff) || customers_expired.contains(&p.customer))",
            replace: ".filter(|p| p.id > 0 || customers_expired.contains(&p.customer))",
        }],
        killer: "A restore committed after the purge chose the photo and before it locked it keeps the photo",
        engine: Engine::Postgres,
    },
    Semantic {
        name: "in-memory-flag-on-by-default",
        service: "consolidation",
        what: "seed 002: a feature flag nobody switched reads as on",
        edits: &[Edit {
            file: "src/flags.rs",
            find: ".unwrap_or(0) == 1)",
            replace: ".unwrap_or(1) == 1)",
        }],
        killer: "A flag nobody switched is off, and a switch takes effect at once",
        engine: Engine::Sqlite,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Killed,
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

/// The copy of the tree mutants are built in.
pub struct Lab {
    source: PathBuf,
    tree: PathBuf,
    target: PathBuf,
}

/// What a copy of the tree needs to build and run the scenarios.
const COPIED: [&str; 8] = [
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "src",
    "steps",
    "features",
    "fixtures",
    "docs",
];

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        // Unchanged files keep their time stamps, so cargo rebuilds only what a
        // mutant touched.
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

impl Lab {
    /// A lab under `<source>/target/kensho/mutants`, refreshed from `source`.
    pub fn new(source: &Path) -> Result<Lab> {
        let base = source.join("target/kensho/mutants");
        let lab = Lab {
            source: source.to_path_buf(),
            tree: base.join("tree"),
            target: base.join("target"),
        };
        for part in COPIED {
            let from = source.join(part);
            if from.exists() {
                copy_tree(&from, &lab.tree.join(part))?;
            }
        }
        Ok(lab)
    }

    fn restore(&self, mutant: &Semantic) -> Result<()> {
        for edit in mutant.edits {
            copy_tree(&self.source.join(edit.file), &self.tree.join(edit.file))?;
        }
        Ok(())
    }

    fn apply(&self, mutant: &Semantic) -> Result<()> {
        for edit in mutant.edits {
            let path = self.tree.join(edit.file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("mutant {}: reading {}", mutant.name, edit.file))?;
            let found = text.matches(edit.find).count();
            if found != 1 {
                bail!(
                    "semantic mutant {}: its edit of {} no longer applies (the text to replace occurs {found} times, must be once): {:?}; update the mutant with the code",
                    mutant.name,
                    edit.file,
                    edit.find
                );
            }
            std::fs::write(&path, text.replacen(edit.find, edit.replace, 1))?;
        }
        Ok(())
    }

    /// A cargo command in the lab's tree, free of the calling cargo's settings.
    fn cargo(&self) -> Command {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        for (key, _) in std::env::vars() {
            if key.starts_with("CARGO_") && key != "CARGO_HOME" {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(&self.tree)
            .env("CARGO_TARGET_DIR", &self.target);
        cmd
    }

    /// Builds the main job in the lab; `Ok(false)` when it does not compile.
    fn build(&self) -> Result<bool> {
        let out = self
            .cargo()
            .args(["build", "--quiet", "--bin", "kensho"])
            .output()
            .context("running cargo build in the mutants' tree")?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(20).collect();
            for line in tail.into_iter().rev() {
                eprintln!("    {line}");
            }
        }
        Ok(out.status.success())
    }

    /// Runs `scenario` on `engine` with the lab's build; returns (failed, passed).
    fn run(&self, scenario: &str, engine: Engine) -> Result<(usize, usize)> {
        let bin = self.target.join("debug/kensho");
        let name = format!("^{}$", regex_escape(scenario));
        let out = Command::new(&bin)
            .args(["--engines", engine.name(), "--name", &name, "--reports"])
            .arg(self.target.join("reports"))
            .env_remove("KENSHO_SHARD")
            .env_remove("KENSHO_SLOW")
            .env_remove("KENSHO_ENGINES")
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The summary line: "  sqlite    1 scenarios: 0 passed, 1 failed; ...".
        let counts = stderr.lines().find_map(|line| {
            let rest = line.split(" scenarios: ").nth(1)?;
            let (passed, rest) = rest.split_once(" passed, ")?;
            let failed = rest.split(' ').next()?;
            Some((failed.parse().ok()?, passed.parse().ok()?))
        });
        counts.with_context(|| {
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
            if !self.build()? {
                return Ok(Verdict::Unviable);
            }
            let (failed, passed) = self.run(mutant.killer, mutant.engine)?;
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

/// Every semantic mutant, in order; the verdicts by name.
pub fn run_all(source: &Path) -> Result<Vec<(&'static Semantic, Verdict)>> {
    let lab = Lab::new(source)?;
    eprintln!(
        "semantic mutants: building in {} (the first build takes a few minutes)",
        lab.tree.display()
    );
    // Each killing scenario must pass without its mutant, or its failure proves
    // nothing.
    if !lab.build()? {
        bail!(
            "the unmutated tree does not build in {}",
            lab.tree.display()
        );
    }
    for m in SEMANTIC {
        let (failed, passed) = lab.run(m.killer, m.engine)?;
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
