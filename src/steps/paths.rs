//! The files a step may read: only inside one folder (the project, the fixtures
//! folder, a scenario's folder of generated files), whatever a feature file writes.
//! A path is taken relative to that folder; an absolute path, `..`, or a symbolic
//! link that leads out of the folder is refused before anything is opened, so a
//! scenario cannot read `/etc/shadow`, a device or another project's files, nor
//! show their content in a message or a report.

use std::path::{Component, Path, PathBuf};

/// A path a step may not read, with why and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{written:?}: {reason}")]
pub struct PathRefused {
    /// The path as the step wrote it.
    pub written: String,
    /// Why it is refused, and what to give instead.
    pub reason: String,
}

/// `written`, a path relative to the project folder `root`, as the path to read
/// ([`inside`] with "the project folder").
pub fn project_path(root: &Path, written: &str) -> Result<PathBuf, PathRefused> {
    inside(root, written, "the project folder")
}

/// `written`, a path relative to `folder` (named `folder_name` in messages), as the
/// path to read: `folder` joined with `written`. Refused when `written` is empty or
/// absolute, holds a `..` part, or leads out of `folder` once every symbolic link is
/// resolved (the file itself, or the nearest of its folders that exists, is
/// resolved and checked). A path that does not exist inside the folder is returned:
/// reading it says that it is missing.
pub fn inside(folder: &Path, written: &str, folder_name: &str) -> Result<PathBuf, PathRefused> {
    let refuse = |reason: String| PathRefused {
        written: written.to_string(),
        reason,
    };
    if written.trim().is_empty() {
        return Err(refuse(format!(
            "no file named; give a path relative to {folder_name}"
        )));
    }
    let path = Path::new(written);
    for component in path.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse(format!(
                    "an absolute path; give a path relative to {folder_name} (files outside it are not read)"
                )));
            }
            Component::ParentDir => {
                return Err(refuse(format!(
                    "'..' may lead out of {folder_name}; give a path inside it, without '..'"
                )));
            }
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    let real_folder = folder.canonicalize().map_err(|e| {
        refuse(format!(
            "{folder_name} ({}) cannot be resolved: {e}",
            folder.display()
        ))
    })?;
    let joined = folder.join(path);
    // The file itself, or (when it does not exist) the nearest folder above it that
    // does: a link to a folder outside is refused even for a file missing there.
    let resolved = joined
        .ancestors()
        .take_while(|p| p.starts_with(folder))
        .find_map(|p| p.canonicalize().ok());
    match resolved {
        Some(real) if !real.starts_with(&real_folder) => Err(refuse(format!(
            "leads out of {folder_name} through a symbolic link (to {}); only files inside it are read",
            real.display()
        ))),
        _ => Ok(joined),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("kensho-paths-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("project/fixtures")).unwrap();
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        std::fs::write(dir.join("project/fixtures/a.csv"), "x\n1\n").unwrap();
        std::fs::write(dir.join("outside/secret.csv"), "s3cret\n").unwrap();
        Scratch(dir)
    }

    #[test]
    fn paths_inside_the_folder_are_read() {
        let dir = scratch("inside");
        let project = dir.0.join("project");
        assert_eq!(
            project_path(&project, "fixtures/a.csv").unwrap(),
            project.join("fixtures/a.csv")
        );
        assert_eq!(
            project_path(&project, "./fixtures/missing.csv").unwrap(),
            project.join("./fixtures/missing.csv")
        );
    }

    #[test]
    fn absolute_paths_and_dot_dot_are_refused_before_anything_is_opened() {
        let dir = scratch("lexical");
        let project = dir.0.join("project");
        let refused = |written: &str| project_path(&project, written).unwrap_err().to_string();
        assert_eq!(
            refused("/etc/shadow"),
            "\"/etc/shadow\": an absolute path; give a path relative to the project folder (files outside it are not read)"
        );
        assert_eq!(
            refused("../outside/secret.csv"),
            "\"../outside/secret.csv\": '..' may lead out of the project folder; give a path inside it, without '..'"
        );
        assert!(refused("fixtures/../../outside/secret.csv").contains("without '..'"));
        assert!(refused("").contains("no file named"));
        assert!(
            inside(&project.join("fixtures"), "../Cargo.toml", "fixtures/")
                .unwrap_err()
                .to_string()
                .contains("'..' may lead out of fixtures/")
        );
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_out_of_the_folder_are_refused() {
        let dir = scratch("links");
        let project = dir.0.join("project");
        let outside = dir.0.join("outside");
        std::os::unix::fs::symlink(
            outside.join("secret.csv"),
            project.join("fixtures/file-link"),
        )
        .unwrap();
        std::os::unix::fs::symlink(&outside, project.join("fixtures/folder-link")).unwrap();
        std::os::unix::fs::symlink("a.csv", project.join("fixtures/inner-link")).unwrap();
        let real_outside = outside.canonicalize().unwrap();
        assert_eq!(
            project_path(&project, "fixtures/file-link")
                .unwrap_err()
                .to_string(),
            format!(
                "\"fixtures/file-link\": leads out of the project folder through a symbolic link (to {}); only files inside it are read",
                real_outside.join("secret.csv").display()
            )
        );
        for written in [
            "fixtures/folder-link/secret.csv",
            "fixtures/folder-link/missing.csv",
        ] {
            let err = project_path(&project, written).unwrap_err().to_string();
            assert!(err.contains("leads out of the project folder"), "{err}");
        }
        assert_eq!(
            project_path(&project, "fixtures/inner-link").unwrap(),
            project.join("fixtures/inner-link")
        );
    }
}
