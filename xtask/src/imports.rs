//! The import graph of the workspace's Rust files, to keep it free of circles: no
//! file may reach itself through `crate::` and `super::` paths (file A naming
//! file B's module, B naming C's, ..., back to A).
//!
//! Each crate is a folder with a root file (`lib.rs` or `main.rs`); a file's module
//! path follows Rust's layout (`a.rs` and `a/mod.rs` are `crate::a`, `a/b.rs` is
//! `crate::a::b`). A reference `crate::a::b::Item` or `super::b` is an edge to the
//! deepest module file it names. Paths inside comments and strings are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate to check: its folder and its root file's name.
#[derive(Clone, Debug)]
pub struct CrateRoot {
    /// The folder holding the root file, relative to the workspace.
    pub dir: PathBuf,
    /// `lib.rs` or `main.rs`.
    pub root_file: &'static str,
}

/// The crates of this workspace whose files import each other.
pub fn workspace_crates(workspace: &Path) -> Vec<CrateRoot> {
    let mut crates = vec![
        CrateRoot {
            dir: "src".into(),
            root_file: "lib.rs",
        },
        CrateRoot {
            dir: "shared/src".into(),
            root_file: "lib.rs",
        },
        CrateRoot {
            dir: "steps".into(),
            root_file: "lib.rs",
        },
        CrateRoot {
            dir: "xtask/src".into(),
            root_file: "lib.rs",
        },
    ];
    for parent in ["services", "examples"] {
        let Ok(entries) = std::fs::read_dir(workspace.join(parent)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("src/lib.rs").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            if let Ok(relative) = dir.strip_prefix(workspace) {
                crates.push(CrateRoot {
                    dir: relative.join("src"),
                    root_file: "lib.rs",
                });
            }
        }
    }
    crates
}

/// The files of `krate` that are part of its module tree, by module path, and
/// which files each file imports (through `crate::` and `super::` paths).
type Graph = (
    BTreeMap<Vec<String>, PathBuf>,
    BTreeMap<PathBuf, BTreeSet<PathBuf>>,
);

/// The import graph of `krate`'s files.
fn graph(workspace: &Path, krate: &CrateRoot) -> std::io::Result<Graph> {
    let dir = workspace.join(&krate.dir);
    let mut files = Vec::new();
    collect_rs(&dir, &mut files)?;
    // Module path of each file that is part of the crate's module tree.
    let mut modules: BTreeMap<Vec<String>, PathBuf> = BTreeMap::new();
    for file in &files {
        if let Some(path) = module_path(&dir, file, krate.root_file) {
            modules.insert(path, file.clone());
        }
    }
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (path, file) in &modules {
        let text = code_only(&std::fs::read_to_string(file)?);
        for target in references(&text, path) {
            // The deepest module the reference names.
            let mut target = target;
            while !target.is_empty() && !modules.contains_key(&target) {
                target.pop();
            }
            if let Some(to) = modules.get(&target)
                && to != file
                && !target.is_empty()
            {
                edges.entry(file.clone()).or_default().insert(to.clone());
            }
        }
    }
    Ok((modules, edges))
}

/// Every circle of imports among the files of `krate`, each as the files in it
/// (relative to the workspace), sorted.
pub fn circles(workspace: &Path, krate: &CrateRoot) -> std::io::Result<Vec<Vec<String>>> {
    let (_, edges) = graph(workspace, krate)?;
    let shown = |p: &Path| p.strip_prefix(workspace).unwrap_or(p).display().to_string();
    let mut found: Vec<Vec<String>> = strongly_connected(&edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut names: Vec<String> = c.iter().map(|p| shown(p)).collect();
            names.sort();
            names
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The harness's layers, lowest first: a top-level module of `src/` may import
/// its own files and those of lower layers, never those of its own layer's
/// other modules or of a higher one. The runner is on top; the generic steps
/// and the reports stand on what selects and names scenarios, never on the
/// runner; the Gherkin reader, the databases and the programs' runs on
/// nothing of the harness.
pub const HARNESS_LAYERS: &[&[&str]] = &[
    &["command", "db", "gherkin", "service"],
    &["authoring", "check"],
    &["turns"],
    &["world"],
    &["definitions"],
    &["selection"],
    &["steps", "report", "fuzz"],
    &["runner"],
];

/// Every import among `krate`'s files that runs across or up `layers` (see
/// [`HARNESS_LAYERS`]), as `file -> file (module -> module)`; a top-level
/// module missing from `layers` is named too, so that none escapes the rule.
pub fn upward_imports(
    workspace: &Path,
    krate: &CrateRoot,
    layers: &[&[&str]],
) -> std::io::Result<Vec<String>> {
    let (modules, edges) = graph(workspace, krate)?;
    let top_of: BTreeMap<&PathBuf, &str> = modules
        .iter()
        .filter_map(|(path, file)| Some((file, path.first()?.as_str())))
        .collect();
    let layer_of = |module: &str| layers.iter().position(|l| l.contains(&module));
    let shown = |p: &Path| p.strip_prefix(workspace).unwrap_or(p).display().to_string();
    let mut found = Vec::new();
    for module in top_of.values().copied().collect::<BTreeSet<_>>() {
        if layer_of(module).is_none() {
            found.push(format!(
                "{}: module {module} is in no layer; add it to HARNESS_LAYERS",
                krate.dir.display()
            ));
        }
    }
    for (from, targets) in &edges {
        for to in targets {
            let (Some(&a), Some(&b)) = (top_of.get(from), top_of.get(to)) else {
                continue;
            };
            if a == b {
                continue;
            }
            if let (Some(la), Some(lb)) = (layer_of(a), layer_of(b))
                && lb >= la
            {
                found.push(format!("{} -> {} ({a} -> {b})", shown(from), shown(to)));
            }
        }
    }
    Ok(found)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `crate::a::b` as `["a", "b"]` for the file `a/b.rs` or `a/b/mod.rs`; the root
/// file is `[]`.
fn module_path(dir: &Path, file: &Path, root_file: &str) -> Option<Vec<String>> {
    let relative = file.strip_prefix(dir).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let last = parts.pop()?;
    if parts.is_empty() && last == root_file {
        return Some(Vec::new());
    }
    if last != "mod.rs" {
        parts.push(last.strip_suffix(".rs")?.to_string());
    }
    Some(parts)
}

/// The text with comments and string literals blanked out.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The module paths `text` (of the module at `here`) names through `crate::` and
/// `super::`, including each name of a `{a, b::c}` group.
fn references(text: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let preceded_by_ident = i > 0 && (bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let start = if preceded_by_ident {
            None
        } else if rest.starts_with("crate::") {
            Some((Vec::new(), i + 7))
        } else if rest.starts_with("super::") {
            let mut base = here.to_vec();
            base.pop();
            let mut j = i + 7;
            while bytes[j..].iter().collect::<String>().starts_with("super::") {
                base.pop();
                j += 7;
            }
            Some((base, j))
        } else {
            None
        };
        match start {
            Some((base, j)) => {
                let (paths, end) = path_at(&bytes, j);
                for p in paths {
                    let mut full = base.clone();
                    full.extend(p);
                    out.push(full);
                }
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    out
}

/// The path(s) starting at `j`: `a::b::C` or a group `{a, b::c}`.
fn path_at(chars: &[char], mut j: usize) -> (Vec<Vec<String>>, usize) {
    let ident = |j: &mut usize| {
        let start = *j;
        while *j < chars.len() && (chars[*j].is_alphanumeric() || chars[*j] == '_') {
            *j += 1;
        }
        chars[start..*j].iter().collect::<String>()
    };
    let mut path = Vec::new();
    loop {
        if j < chars.len() && chars[j] == '{' {
            let close = chars[j..]
                .iter()
                .position(|c| *c == '}')
                .map_or(chars.len(), |p| j + p);
            let inner: String = chars[j + 1..close].iter().collect();
            let paths = inner
                .split(',')
                .map(|part| {
                    let mut full = path.clone();
                    full.extend(
                        part.split_whitespace()
                            .next()
                            .unwrap_or("")
                            .split("::")
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(str::to_string),
                    );
                    full
                })
                .collect();
            return (paths, close + 1);
        }
        let name = ident(&mut j);
        if name.is_empty() {
            break;
        }
        path.push(name);
        if chars[j..].iter().take(2).collect::<String>() == "::" {
            j += 2;
        } else {
            break;
        }
    }
    (vec![path], j)
}

/// Tarjan's strongly connected components of the graph.
fn strongly_connected(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.edges.get(v) {
            for w in targets {
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-imports-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join("src").join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn lib() -> CrateRoot {
        CrateRoot {
            dir: "src".into(),
            root_file: "lib.rs",
        }
    }

    #[test]
    fn a_file_that_imports_one_that_imports_it_back_is_a_circle() {
        let dir = scratch(
            "circle",
            &[
                ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                ("b.rs", "pub struct B;\nfn f() { let _ = crate::c::C; }\n"),
                ("c.rs", "use super::{a::A, b};\npub struct C;\n"),
            ],
        );
        let found = circles(&dir, &lib()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(found, vec![vec!["src/a.rs", "src/b.rs", "src/c.rs"]]);
    }

    #[test]
    fn comments_strings_and_one_way_imports_are_no_circle() {
        let dir = scratch(
            "none",
            &[
                ("lib.rs", "pub mod a;\npub mod b;\n"),
                ("a.rs", "use crate::b::B;\n"),
                (
                    "b/mod.rs",
                    "// crate::a::X in a comment\nconst S: &str = \"crate::a\";\npub struct B;\npub mod c;\n",
                ),
                ("b/c.rs", "use super::B;\n"),
            ],
        );
        let found = circles(&dir, &lib()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn an_import_across_or_up_the_layers_is_named() {
        let dir = scratch(
            "layers",
            &[
                ("lib.rs", "mod low;\nmod mid;\nmod top;\nmod stray;\n"),
                ("low.rs", "fn f() { let _ = crate::top::T; }\n"),
                ("mid/mod.rs", "mod part;\n"),
                ("mid/part.rs", "fn f() { let _ = crate::low::L; }\n"),
                (
                    "top.rs",
                    "pub struct T;\nfn f() { let _ = crate::mid::part::P; }\n",
                ),
                ("stray.rs", "fn f() {}\n"),
            ],
        );
        let layers: &[&[&str]] = &[&["low"], &["mid"], &["top"]];
        let found = upward_imports(&dir, &lib(), layers).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].ends_with("module stray is in no layer; add it to HARNESS_LAYERS"));
        assert!(
            found[1].ends_with("src/low.rs -> src/top.rs (low -> top)"),
            "{found:#?}"
        );
    }

    /// The harness itself: its imports point down its layers only.
    #[test]
    fn the_harness_imports_point_down_its_layers() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let harness = workspace_crates(workspace)
            .into_iter()
            .find(|k| k.dir == Path::new("src"))
            .unwrap();
        let found = upward_imports(workspace, &harness, HARNESS_LAYERS).unwrap();
        assert!(
            found.is_empty(),
            "imports across or up the harness's layers (xtask/src/imports.rs HARNESS_LAYERS): {found:#?}"
        );
    }

    /// The workspace itself: no crate of it has an import circle.
    #[test]
    fn the_workspace_has_no_import_circle() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut all = Vec::new();
        for krate in workspace_crates(workspace) {
            all.extend(circles(workspace, &krate).unwrap());
        }
        assert!(
            all.is_empty(),
            "import circles (each file reaches itself through the others): {all:#?}"
        );
    }
}
