//! The image store (オブジェクトストレージ) as the karte service uses it, through
//! the scenario's own [`LocalStore`] (a folder per scenario database, created by the
//! first write): which keys it refuses, what a missing object reads as, and how it
//! reports a filesystem that is in the way. Messages name the store's folder as
//! `<root>`.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use cucumber::{given, then};
use kensho_karte::storage::{LocalStore, ObjectStore, StoreError};

use crate::karte::store;
use kensho::{ScenarioWorld, refused_exactly};

/// A message as a scenario writes it: `<root>` stands for the store's folder.
fn with_root(store: &LocalStore, message: &str) -> String {
    message.replace("<root>", &store.root.display().to_string())
}

/// Writes a file into the store's folder behind the store's back.
fn write_behind(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[given(expr = "the object store holds {string} with the bytes {string}")]
async fn holds(w: &mut ScenarioWorld, key: String, bytes: String) -> Result<()> {
    store(w)?.put(&key, bytes.as_bytes())?;
    Ok(())
}

/// A file the store did not write (e.g. a temporary file left by a crash).
#[given(expr = "a stray file {string} lies in the object store's folder")]
async fn stray_file(w: &mut ScenarioWorld, name: String) -> Result<()> {
    write_behind(&store(w)?.root.join(name), "stray")
}

/// The store's folder is a file (a volume mounted wrongly, a typo in a path).
#[given("a file lies where the object store's folder should be")]
async fn root_is_a_file(w: &mut ScenarioWorld) -> Result<()> {
    write_behind(&store(w)?.root, "not a folder")
}

#[then(expr = "reading {string} from the object store gives {string}")]
async fn reads(w: &mut ScenarioWorld, key: String, expected: String) -> Result<()> {
    let got = store(w)?.get(&key)?;
    ensure!(
        got.as_deref() == Some(expected.as_bytes()),
        "{key:?} reads as {:?}, expected {expected:?}",
        got.map(|b| String::from_utf8_lossy(&b).into_owned())
    );
    Ok(())
}

#[then(expr = "reading {string} from the object store gives nothing")]
async fn reads_nothing(w: &mut ScenarioWorld, key: String) -> Result<()> {
    if let Some(bytes) = store(w)?.get(&key)? {
        bail!(
            "{key:?} reads as {:?}, expected nothing",
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok(())
}

#[then(regex = r#"^the object store (has|has no object) "([^"]*)"$"#)]
async fn has(w: &mut ScenarioWorld, which: String, key: String) -> Result<()> {
    let expected = which == "has";
    let exists = store(w)?.exists(&key)?;
    ensure!(
        exists == expected,
        "the object store {} {key:?}",
        if exists { "has" } else { "has no object" }
    );
    Ok(())
}

/// Deleting succeeds, also when there is nothing to delete.
#[then(expr = "deleting {string} from the object store succeeds")]
async fn deletes(w: &mut ScenarioWorld, key: String) -> Result<()> {
    store(w)?.delete(&key)?;
    Ok(())
}

/// The keys the store lists, comma-separated, or "nothing".
#[then(expr = "the object store lists {string}")]
async fn lists(w: &mut ScenarioWorld, expected: String) -> Result<()> {
    let expected: Vec<&str> = match expected.as_str() {
        "nothing" => Vec::new(),
        keys => keys.split(',').map(str::trim).collect(),
    };
    let listed = store(w)?.list()?;
    ensure!(
        listed == expected,
        "the object store lists {listed:?}, expected {expected:?}"
    );
    Ok(())
}

/// An operation the filesystem refuses: the exact message (`<root>` for the folder).
#[then(
    regex = r#"^(reading|deleting|looking up|storing bytes under) "([^"]*)" in the object store fails: (.+)$"#
)]
async fn fails(w: &mut ScenarioWorld, action: String, key: String, expected: String) -> Result<()> {
    let store = store(w)?;
    let what = format!("{action} {key:?}");
    let expected = with_root(&store, &expected);
    match action.as_str() {
        "reading" => refused_exactly(&what, store.get(&key), &expected),
        "deleting" => refused_exactly(&what, store.delete(&key), &expected),
        "looking up" => refused_exactly(&what, store.exists(&key), &expected),
        _ => refused_exactly(&what, store.put(&key, b"refused"), &expected),
    }
}

#[then(expr = "listing the object store fails: {}")]
async fn listing_fails(w: &mut ScenarioWorld, expected: String) -> Result<()> {
    let store = store(w)?;
    refused_exactly("listing", store.list(), &with_root(&store, &expected))
}

/// A key of `length` characters, `a/` segments ending in `.jpg`.
fn long_key(length: usize) -> String {
    let mut key: String = "ab/".repeat(length / 3 + 1);
    key.truncate(length.saturating_sub(4));
    key.push_str(".jpg");
    key
}

/// Storing under a generated key of `length` characters: refused with the reason,
/// or accepted and read back.
#[then(regex = r#"^storing bytes under a key of (\d+) characters is (accepted|refused: .+)$"#)]
async fn long_key_outcome(w: &mut ScenarioWorld, length: usize, outcome: String) -> Result<()> {
    let store = store(w)?;
    let key = long_key(length);
    ensure!(
        key.len() == length,
        "the generated key has {} characters",
        key.len()
    );
    match (store.put(&key, b"long"), outcome.strip_prefix("refused: ")) {
        (Ok(()), None) => {
            ensure!(
                store.get(&key)?.as_deref() == Some(&b"long"[..]),
                "the key of {length} characters was accepted but reads back otherwise"
            );
            Ok(())
        }
        (Ok(()), Some(_)) => bail!("a key of {length} characters was accepted"),
        (Err(StoreError::InvalidKey { reason, .. }), Some(expected)) => {
            ensure!(
                reason == expected,
                "a key of {length} characters was refused because\n  {reason}\nnot\n  {expected}"
            );
            Ok(())
        }
        (Err(e), _) => bail!("a key of {length} characters: {e}"),
    }
}
