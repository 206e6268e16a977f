//! File steps: what a file inside the project holds, e.g. the reports a run of a
//! program left (`Then the file "target/x/junit.xml" contains "failures=\"1\""`).
//! Paths are relative to the project root and never leave it (see
//! [`super::paths`]).

/// This file, as step locations name it.
pub const FILE: &str = file!();

use anyhow::{Context, Result, ensure};
use cucumber::then;

use super::paths::project_path;
use crate::world::ScenarioWorld;

/// The text of the project file `path`.
fn read(w: &ScenarioWorld, path: &str) -> Result<String> {
    let full = project_path(w.suite()?.root(), path)?;
    // The strict reader: regular files only (a pipe or device is refused, never
    // waited on), capped while reading.
    let bytes = kensho_shared::input::read_input(&full, path)
        .with_context(|| format!("cannot read the file {path}"))?;
    String::from_utf8(bytes).with_context(|| format!("the file {path} is not UTF-8 text"))
}

/// A file's text as a failure shows it: whole when short, else its beginning,
/// masked ([`kensho_shared::secret::mask`]).
fn shown(text: &str) -> String {
    let text = &kensho_shared::secret::mask(text);
    // Enough to see what a report holds around a check, short enough to read.
    const SHOWN: usize = 2000;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}\n… ({} more bytes)", &text[..cut], text.len() - cut),
        None => text.to_string(),
    }
}

/// `Then the file "target/kensho/x/junit.xml" contains "type=\"undefined\""`.
#[then(regex = r#"^the file "([^"]+)" contains "(.+)"$"#)]
async fn file_contains(w: &mut ScenarioWorld, path: String, text: String) -> Result<()> {
    let content = read(w, &path)?;
    ensure!(
        content.contains(&text),
        "the file {path} does not contain {text:?}; it holds:\n{}",
        shown(&content)
    );
    Ok(())
}

/// `Then the file "target/kensho/x/junit.xml" does not contain "<skipped"`.
#[then(regex = r#"^the file "([^"]+)" does not contain "(.+)"$"#)]
async fn file_lacks(w: &mut ScenarioWorld, path: String, text: String) -> Result<()> {
    let content = read(w, &path)?;
    ensure!(
        !content.contains(&text),
        "the file {path} contains {text:?}; it holds:\n{}",
        shown(&content)
    );
    Ok(())
}

/// `Then the file "target/kensho/x/junit.xml" shows no password of the
/// scenario's database`: no password of the URL of any database of the scenario
/// is in the file, in any form a URL may write it
/// ([`kensho_shared::secret::forms`]), and where the URL has one, the file shows a
/// URL's password masked (`:***@`), so that it is known to quote a URL at all. A
/// URL without password (SQLite's) leaves nothing to look for. A failure names
/// the line, never the password.
#[then(regex = r#"^the file "([^"]+)" shows no password of the scenario's database$"#)]
async fn file_hides_passwords(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let content = read(w, &path)?;
    for variant in w.variants()? {
        let passwords = kensho_shared::db::url_passwords(&variant.database.url);
        for password in &passwords {
            for form in kensho_shared::secret::forms(password) {
                if let Some(at) = content.find(&form) {
                    let line = content[..at].matches('\n').count() + 1;
                    anyhow::bail!(
                        "the file {path}, line {line}, shows the password of the scenario's database{} ({}); whatever wrote it must mask it",
                        if variant.label.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", variant.label)
                        },
                        variant.database.location,
                    );
                }
            }
        }
        ensure!(
            passwords.is_empty() || content.contains(":***@"),
            "the file {path} shows no database URL with its password masked (\":***@\"); it holds:\n{}",
            shown(&content)
        );
    }
    Ok(())
}

/// `Then there is no file "target/kensho/x/STALE"`.
#[then(regex = r#"^there is no file "([^"]+)"$"#)]
async fn no_file(w: &mut ScenarioWorld, path: String) -> Result<()> {
    let full = project_path(w.suite()?.root(), &path)?;
    ensure!(
        !full.exists(),
        "the file {path} exists; it holds:\n{}",
        shown(&read(w, &path).unwrap_or_default())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_files_are_shown_cut() {
        assert_eq!(shown("short"), "short");
        let long = "x".repeat(2500);
        assert_eq!(
            shown(&long),
            format!("{}\n… (500 more bytes)", "x".repeat(2000))
        );
    }
}
