//! Object storage (オブジェクトストレージ) for image bytes: カルテ photos and
//! handwritten-chart images (手書きカルテ画像).
//!
//! [`ObjectStore`] is the interface the service uses; [`LocalStore`] keeps each
//! object as a file under a root folder and is the default backend.
//!
//! Keys are validated before anything touches the filesystem (see
//! [`validate_key`]). Writes are atomic: the bytes go to a temporary file in the
//! object's own directory, which is then renamed over the object, so a crash
//! leaves either the old object or the new one, never half of one. Temporary
//! files carry a `~`, which no key may contain, so they never collide with an
//! object and [`ObjectStore::list`] never reports them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest key accepted, in bytes (keys are ASCII, so also in characters).
pub const MAX_KEY_LEN: usize = 200;

/// A failure of the object store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key is not acceptable; nothing was read or written.
    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },
    /// The filesystem refused.
    #[error("object store could not {action} {key:?} ({path}): {source}")]
    Io {
        action: &'static str,
        key: String,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Where image bytes live, by key (e.g. `customers/42/photos/7.jpg`).
pub trait ObjectStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing any object already there, atomically.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes under `key`, or `None` if there is no such object.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes the object under `key`; removing a missing object is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Whether an object is stored under `key`.
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
    /// Every key stored, sorted.
    fn list(&self) -> Result<Vec<String>, StoreError>;
}

/// Checks that `key` is acceptable: non-empty, at most [`MAX_KEY_LEN`]
/// characters, only `A-Z a-z 0-9 . _ / -`, no `..`, no leading or trailing `/`,
/// no empty (`//`) or `.` segment.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let reason = if key.is_empty() {
        Some("the key is empty".to_string())
    } else if key.len() > MAX_KEY_LEN {
        Some(format!(
            "the key is {} characters long, more than {MAX_KEY_LEN}",
            key.chars().count()
        ))
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-')))
    {
        Some(format!(
            "character {c:?} is not allowed (only A-Z a-z 0-9 . _ / -)"
        ))
    } else if key.contains("..") {
        Some("the key contains \"..\"".to_string())
    } else if key.starts_with('/') {
        Some("the key starts with \"/\"".to_string())
    } else if key.ends_with('/') {
        Some("the key ends with \"/\"".to_string())
    } else if key.contains("//") {
        Some("the key has an empty segment (\"//\")".to_string())
    } else if key.split('/').any(|segment| segment == ".") {
        Some("the key has a \".\" segment".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Objects as files under `root`: key `a/b.jpg` is the file `root/a/b.jpg`.
/// The root folder is created by the first `put`.
#[derive(Clone, Debug)]
pub struct LocalStore {
    pub root: PathBuf,
}

/// Distinguishes temporary files of concurrent puts within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The file of a (valid) key.
    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    fn io_error(action: &'static str, key: &str, path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            key: key.to_string(),
            path: path.to_path_buf(),
            source,
        }
    }

    /// Collects the keys of the files under `dir` (whose key prefix is `prefix`).
    fn walk(&self, dir: &Path, prefix: &str, keys: &mut Vec<String>) -> Result<(), StoreError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Self::io_error("list", prefix, dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Self::io_error("list", prefix, dir, e))?;
            // Names that are not UTF-8 cannot be keys.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let key = format!("{prefix}{name}");
            let file_type = entry
                .file_type()
                .map_err(|e| Self::io_error("list", &key, &entry.path(), e))?;
            if file_type.is_dir() {
                self.walk(&entry.path(), &format!("{key}/"), keys)?;
            } else if file_type.is_file() && validate_key(&key).is_ok() {
                // Temporary files (with `~`) and stray names fail validation.
                keys.push(key);
            }
        }
        Ok(())
    }
}

impl ObjectStore for LocalStore {
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| Self::io_error("create the folder of", key, dir, e))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let temp = dir.join(format!(
            ".{name}~tmp-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = fs::File::create_new(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(Self::io_error("write", key, &temp, e));
        }
        if let Err(e) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(Self::io_error("store", key, &path, e));
        }
        // Make the rename itself durable; best effort (not possible everywhere).
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(key)?;
        if path.is_dir() {
            return Ok(None);
        }
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::io_error("read", key, &path, e)),
        }
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        if path.is_dir() {
            // A folder of other objects, not an object: nothing to delete.
            return Ok(());
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::io_error("delete", key, &path, e)),
        }
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        match fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Self::io_error("look up", key, &path, e)),
        }
    }

    fn list(&self) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        self.walk(&self.root, "", &mut keys)?;
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store in `target/kensho/unit-storage-<pid>/<name>`, removed on drop.
    struct Scratch {
        store: LocalStore,
    }

    impl Scratch {
        /// A scratch store of its own for one test. Each test has its own
        /// top folder, so no test's cleanup can remove a folder another test
        /// (running in parallel) is about to create files in.
        fn new(name: &str) -> Scratch {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/kensho")
                .join(format!("unit-storage-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            Scratch {
                store: LocalStore::new(root),
            }
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.store.root);
        }
    }

    #[test]
    fn put_get_delete_list_round_trip() {
        let scratch = Scratch::new("round-trip");
        let store = &scratch.store;
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
        assert_eq!(store.get("customers/1/photo.jpg").unwrap(), None);

        store.put("customers/2/photo.jpg", b"two").unwrap();
        store.put("customers/1/photo.jpg", b"one").unwrap();
        store.put("customers/1/chart-1.png", &[0, 255, 1]).unwrap();
        store.put("top.bin", b"").unwrap();

        assert_eq!(
            store.get("customers/1/photo.jpg").unwrap().as_deref(),
            Some(&b"one"[..])
        );
        assert_eq!(
            store.get("customers/1/chart-1.png").unwrap(),
            Some(vec![0, 255, 1])
        );
        assert_eq!(store.get("top.bin").unwrap(), Some(vec![]));
        assert!(store.exists("customers/2/photo.jpg").unwrap());
        assert!(!store.exists("customers/3/photo.jpg").unwrap());
        // A folder is not an object.
        assert!(!store.exists("customers/1").unwrap());
        assert_eq!(store.get("customers/1").unwrap(), None);
        assert_eq!(
            store.list().unwrap(),
            [
                "customers/1/chart-1.png",
                "customers/1/photo.jpg",
                "customers/2/photo.jpg",
                "top.bin"
            ]
        );

        store.delete("customers/1/photo.jpg").unwrap();
        assert_eq!(store.get("customers/1/photo.jpg").unwrap(), None);
        assert!(!store.exists("customers/1/photo.jpg").unwrap());
        assert_eq!(
            store.list().unwrap(),
            [
                "customers/1/chart-1.png",
                "customers/2/photo.jpg",
                "top.bin"
            ]
        );
    }

    #[test]
    fn invalid_keys_are_rejected_without_touching_the_filesystem() {
        let scratch = Scratch::new("invalid-keys");
        let store = &scratch.store;
        let long = "a".repeat(MAX_KEY_LEN + 1);
        let cases: [(&str, &str); 10] = [
            ("", "empty"),
            (&long, "more than 200"),
            ("../escape", "\"..\""),
            ("a/../../b", "\"..\""),
            ("/etc/passwd", "starts with \"/\""),
            ("photos/", "ends with \"/\""),
            ("a//b", "empty segment"),
            ("a/./b", "\".\" segment"),
            ("写真.jpg", "character '写' is not allowed"),
            ("a b", "character ' ' is not allowed"),
        ];
        for (key, why) in cases {
            for result in [
                store.put(key, b"x").map(|_| ()),
                store.get(key).map(|_| ()),
                store.delete(key),
                store.exists(key).map(|_| ()),
            ] {
                let message = result.unwrap_err().to_string();
                assert!(
                    message.starts_with(&format!("invalid object key {key:?}: ")),
                    "{message}"
                );
                assert!(message.contains(why), "{key:?}: {message}");
            }
        }
        assert!(!store.root.exists(), "nothing may be created");
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN)).is_ok());
        assert!(validate_key("A-z_0.9/x.y").is_ok());
    }

    #[test]
    fn put_overwrites_atomically() {
        let scratch = Scratch::new("overwrite");
        let store = &scratch.store;
        store.put("p/photo.jpg", b"first version").unwrap();
        store.put("p/photo.jpg", b"second").unwrap();
        assert_eq!(store.get("p/photo.jpg").unwrap(), Some(b"second".to_vec()));

        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(store.root.join("p"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["photo.jpg"]);

        // A put that crashed before its rename leaves only its temporary file:
        // the object keeps its old bytes and the listing ignores the leftover.
        fs::write(store.root.join("p/.photo.jpg~tmp-1-1"), b"half writ").unwrap();
        assert_eq!(store.get("p/photo.jpg").unwrap(), Some(b"second".to_vec()));
        assert_eq!(store.list().unwrap(), ["p/photo.jpg"]);
        store.put("p/photo.jpg", b"third").unwrap();
        assert_eq!(store.get("p/photo.jpg").unwrap(), Some(b"third".to_vec()));
    }

    #[test]
    fn deleting_a_missing_key_is_ok() {
        let scratch = Scratch::new("delete-missing");
        let store = &scratch.store;
        // Not even the root exists yet.
        store.delete("never/stored.jpg").unwrap();
        store.put("once.jpg", b"x").unwrap();
        store.delete("once.jpg").unwrap();
        store.delete("once.jpg").unwrap();
        assert!(!store.exists("once.jpg").unwrap());
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn io_errors_name_the_key() {
        let scratch = Scratch::new("io-error");
        let store = &scratch.store;
        store.put("a", b"file").unwrap();
        // "a" is a file, so "a/b" cannot be created under it.
        let message = store.put("a/b", b"x").unwrap_err().to_string();
        assert!(
            message.starts_with("object store could not create the folder of \"a/b\""),
            "{message}"
        );
    }
}
