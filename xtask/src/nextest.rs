//! The nextest configuration (`.config/nextest.toml`) against the features: every
//! feature that carries an `@serial` tag must be in the test group that runs one
//! test at a time, since nextest's processes are Kensho runs of their own and
//! Kensho's turns hold only within a run.

use std::path::{Path, PathBuf};

/// The test-name prefixes (`runner::retry`) of the features under `features/`
/// that carry an `@serial` tag (on a tag line of their own), sorted.
pub fn serial_features(root: &Path) -> std::io::Result<Vec<String>> {
    let features = root.join("features");
    let mut found = Vec::new();
    let mut dirs = vec![features.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "feature")
                && std::fs::read_to_string(&path)?.lines().any(|line| {
                    let line = line.trim_start();
                    line.starts_with('@')
                        && line.split_whitespace().any(|t| t.starts_with("@serial"))
                })
            {
                found.push(prefix(&features, &path));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A feature file's test-name prefix: its path below `features/` without
/// `.feature`, `/` as `::`.
fn prefix(features: &Path, file: &Path) -> String {
    let relative: PathBuf = file
        .strip_prefix(features)
        .unwrap_or(file)
        .with_extension("");
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}

/// The prefixes of `serial` that the `kensho-runner` group's filter in `config`
/// (the text of `.config/nextest.toml`) does not name.
pub fn missing_from_runner_group(config: &str, serial: &[String]) -> Vec<String> {
    let lines: Vec<&str> = config.lines().collect();
    let filter = lines
        .iter()
        .position(|l| l.trim() == "test-group = \"kensho-runner\"")
        .and_then(|at| {
            lines[..at]
                .iter()
                .rev()
                .find(|l| l.trim_start().starts_with("filter"))
        })
        .copied()
        .unwrap_or("");
    serial
        .iter()
        .filter(|p| !filter.contains(&format!("{p}|")) && !filter.contains(&format!("{p})")))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{missing_from_runner_group, serial_features};
    use std::path::Path;

    #[test]
    fn every_serial_feature_runs_alone_under_nextest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace");
        let serial = serial_features(root).expect("the features are readable");
        assert!(serial.contains(&"runner::retry".to_string()), "{serial:?}");
        let config =
            std::fs::read_to_string(root.join(".config/nextest.toml")).expect("nextest.toml");
        let missing = missing_from_runner_group(&config, &serial);
        assert!(
            missing.is_empty(),
            "features with an @serial tag missing from the kensho-runner group's filter in .config/nextest.toml: {missing:?}"
        );
    }

    #[test]
    fn a_feature_left_out_of_the_group_is_named() {
        let config =
            "filter = 'test(/^(runner::a|runner::b)::/)'\ntest-group = \"kensho-runner\"\n";
        let serial = ["runner::a".to_string(), "runner::c".to_string()];
        assert_eq!(missing_from_runner_group(config, &serial), ["runner::c"]);
        assert_eq!(missing_from_runner_group("", &serial), serial);
    }
}
