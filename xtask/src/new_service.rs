//! Adding a service to this repository, tried as a new user would: the example
//! service `examples/stock` becomes a fourth service of the scenario suite in a
//! copy of the tree, with only the edits the README lists outside the service's
//! own folders and files ([`README_EDITS`]), and its features must pass on
//! SQLite through the suite's main job built in that copy.
//!
//! The copy is a [`Lab`] of its own (`target/kensho/new-service/`), refreshed
//! from the tree on each try the way the semantic mutants' lab is. Its target
//! directory starts from the tree's build (compiled dependencies hard-linked,
//! cargo's records copied), so no dependency is rebuilt: only the workspace's
//! crates are compiled, once in a new lab and then incrementally. It is not the
//! tree's own target directory because the copy's main job, also named
//! `kensho`, would replace the tree's `target/debug/kensho`.
//!
//! Cost, measured on 2 cores shared with other builds (load 7): a new lab 2½ to
//! 3 minutes (seeding its target directory 0.6 s, the workspace's crates
//! compiled in the copy, then three scenarios on SQLite in a few seconds); a lab
//! already built 25 to 45 s (the copy's edited files are written again, so the
//! suite's crate and the new service are compiled again). Its disk cost is the
//! workspace's crates compiled once more, about 1.6 GB: the dependencies are
//! hard links.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::mutants::{Edit, Lab};

/// Where the copy lives, under the project root.
const LAB: &str = "target/kensho/new-service";

/// The new service's name, as `--service` takes it.
pub const NAME: &str = "stock";

/// The new service's own folders and files, each made from a part of the
/// example: (from the example, to the copy). The service's crate goes under
/// `services/` (the workspace takes it in by its `services/*` glob), its
/// features under `features/<name>/`, its steps and registration into the suite
/// as `steps/<name>.rs`.
pub const OWN_FILES: [(&str, &str); 3] = [
    ("examples/stock", "services/stock"),
    ("examples/stock/features", "features/stock"),
    ("examples/stock/steps/stock.rs", "steps/stock.rs"),
];

/// The edits of the service's own files. The example stays in the copy (the
/// workspace's `examples/*` glob needs it), so the new service's crate takes a
/// name of its own, `kensho-stock`; and the example runs from its own folder,
/// the suite from the project root, so the feature path names the service's
/// folder of features.
pub const OWN_EDITS: [Edit; 2] = [
    Edit {
        file: "services/stock/Cargo.toml",
        find: "name = \"kensho-example-stock\"",
        replace: "name = \"kensho-stock\"",
    },
    Edit {
        file: "steps/stock.rs",
        find: "features: &[\"features/\"],",
        replace: "features: &[\"features/stock/\"],",
    },
];

/// The crate's new name where the steps use it: (file, every occurrence of,
/// replaced by).
pub const OWN_RENAMES: [(&str, &str, &str); 1] =
    [("steps/stock.rs", "kensho_example_stock::", "kensho_stock::")];

/// The edits outside the service's own folders and files, exactly as the
/// README ("Using Kensho on your own service") lists them: the dependency line
/// in `steps/Cargo.toml` and the service's name in `services!` in `steps/lib.rs`.
pub const README_EDITS: [Edit; 2] = [
    Edit {
        file: "steps/Cargo.toml",
        find: "kensho-karte = { path = \"../services/karte\", features = [\"fault-points\"] }\n",
        replace: "kensho-karte = { path = \"../services/karte\", features = [\"fault-points\"] }\nkensho-stock = { path = \"../services/stock\" }\n",
    },
    Edit {
        file: "steps/lib.rs",
        find: "    karte,\n}",
        replace: "    karte,\n    stock,\n}",
    },
];

/// The number of scenarios in the example's feature files.
fn scenarios_of_the_example(source: &Path) -> Result<usize> {
    let dir = source.join("examples/stock/features");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let text = std::fs::read_to_string(entry?.path())?;
        count += text
            .lines()
            .filter(|line| line.trim_start().starts_with("Scenario:"))
            .count();
    }
    Ok(count)
}

/// Makes the example a fourth service in a copy of the project at `source`
/// with only [`OWN_FILES`], [`OWN_EDITS`], [`OWN_RENAMES`] and
/// [`README_EDITS`], builds the
/// suite's main job there and runs the new service's features on SQLite
/// (`kensho --service stock --engines sqlite`); an error unless every one of
/// them passes.
pub fn add_the_example_as_a_service(source: &Path) -> Result<()> {
    let lab = Lab::at(source, LAB)?;
    for (from, to) in OWN_FILES {
        lab.copy_in(from, to)?;
    }
    for edit in OWN_EDITS.iter().chain(&README_EDITS) {
        lab.edit(edit)?;
    }
    for (file, from, to) in OWN_RENAMES {
        let path = lab.tree().join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if !text.contains(from) {
            bail!("{file} no longer names {from:?}: update OWN_RENAMES with the example");
        }
        std::fs::write(&path, text.replace(from, to))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let Some(bin) = lab.build()? else {
        bail!(
            "the suite with {NAME} as a fourth service does not build in {} (its errors above): the README's edits are not all a new service needs",
            lab.tree().display()
        );
    };
    let expected = scenarios_of_the_example(source)?;
    let (failed, passed) = lab.run_main_job(&bin, &["--service", NAME, "--engines", "sqlite"])?;
    if (failed, passed) != (0, expected) {
        bail!(
            "{NAME} as a fourth service: {passed} of its {expected} scenarios passed on SQLite, {failed} failed (reports in {})",
            lab.reports().display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The project root (the workspace holding `xtask/`).
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf()
    }

    /// The README's paragraph on adding a service to this repository.
    fn readme_paragraph() -> String {
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        let start = readme
            .find("Adding a service to this repository")
            .expect("the README says how to add a service");
        let rest = &readme[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    }

    /// The README names every file the edits touch, and as many places as there
    /// are edits.
    #[test]
    fn the_edits_are_those_the_readme_lists() {
        let paragraph = readme_paragraph();
        for edit in &README_EDITS {
            assert!(
                paragraph.contains(&format!("`{}`", edit.file)),
                "the README's paragraph does not name {}: {paragraph}",
                edit.file
            );
        }
        assert!(
            paragraph.contains("**two places**") && README_EDITS.len() == 2,
            "the README's count of places is not the number of edits ({}): {paragraph}",
            README_EDITS.len()
        );
    }

    /// The whole promise: the example added as a fourth service with the
    /// README's edits only passes its features on SQLite (see the module's
    /// documentation for what it costs).
    #[test]
    fn the_example_added_with_the_readmes_edits_passes_its_features() {
        add_the_example_as_a_service(&root()).unwrap_or_else(|e| panic!("{e:#}"));
    }
}
