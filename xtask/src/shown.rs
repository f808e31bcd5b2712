//! Which lines of the crates the lectures show: every line of a file, a line range or an `ANCHOR`
//! region that some chapter includes. `diff` uses it to say how much of what a stage adds is the idea
//! the chapter teaches, and `lectures --check` to find anchors no chapter includes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use crate::lectures::{Selector, parse_includes};

/// What the book includes, by file (relative to the workspace root).
#[derive(Debug, Default, Clone)]
pub struct Shown {
    included: BTreeMap<PathBuf, Vec<Selector>>,
}

impl Shown {
    /// Reads every chapter under `root/lectures/src`.
    pub fn from_book(root: &Path) -> Result<Shown> {
        let src = root.join("lectures").join("src");
        let mut shown = Shown::default();
        for chapter in crate::lectures::markdown_files(&src)? {
            let text =
                fs::read_to_string(&chapter).with_context(|| format!("cannot read {}", chapter.display()))?;
            let dir = chapter.parent().unwrap_or(&src).strip_prefix(root).unwrap_or(Path::new(""));
            for include in parse_includes(&text) {
                let file = normalize(&dir.join(&include.path));
                shown.included.entry(file).or_default().push(include.selector);
            }
            for source in text.lines().filter_map(crate::listings::marker) {
                let (path, selector) = crate::lectures::parse_target(source);
                shown.included.entry(normalize(Path::new(path))).or_default().push(selector);
            }
        }
        Ok(shown)
    }

    /// The 1-based numbers of the lines of `file` (relative to the root, contents `text`) that a chapter
    /// shows. Anchor marker lines themselves are never shown.
    pub fn lines(&self, file: &Path, text: &str) -> BTreeSet<usize> {
        let Some(selectors) = self.included.get(&normalize(file)) else { return BTreeSet::new() };
        let n = text.lines().count();
        let mut shown = BTreeSet::new();
        for selector in selectors {
            match selector {
                Selector::Whole => shown.extend(1..=n),
                Selector::Lines { start, end } => shown.extend(start.unwrap_or(1)..=end.unwrap_or(n).min(n)),
                Selector::Anchor(name) => {
                    let mut inside = false;
                    for (i, line) in text.lines().enumerate() {
                        if anchor(line, "ANCHOR_END:") == Some(name) {
                            inside = false;
                        } else if anchor(line, "ANCHOR:") == Some(name) {
                            inside = true;
                        } else if inside && !is_marker(line) {
                            shown.insert(i + 1);
                        }
                    }
                }
            }
        }
        shown
    }

    /// Every `ANCHOR: name` in a Rust file under `root/crates` that no chapter includes: `(file, line,
    /// name)`, files relative to the root.
    pub fn orphan_anchors(&self, root: &Path) -> Result<Vec<(PathBuf, usize, String)>> {
        let mut orphans = Vec::new();
        for file in rust_files(&root.join("crates"))? {
            let text =
                fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
            let selectors = self.included.get(&rel);
            for (i, line) in text.lines().enumerate() {
                let Some(name) = anchor(line, "ANCHOR:") else { continue };
                let used =
                    selectors.is_some_and(|s| s.iter().any(|s| *s == Selector::Anchor(name.to_owned())));
                if !used {
                    orphans.push((rel.clone(), i + 1, name.to_owned()));
                }
            }
        }
        Ok(orphans)
    }
}

/// `a/b/../c` as `a/c`: chapters name files relative to themselves (`../../crates/...`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The anchor named on a marker line, `// ANCHOR: name` or `// ANCHOR_END: name`.
fn anchor<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix("//")?.trim_start().strip_prefix(tag)?.trim();
    (!rest.is_empty()).then_some(rest)
}

fn is_marker(line: &str) -> bool {
    anchor(line, "ANCHOR:").is_some() || anchor(line, "ANCHOR_END:").is_some()
}

/// Every `.rs` file under `dir`, sorted; build output is skipped.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(file: &str, selector: Selector) -> Shown {
        Shown { included: BTreeMap::from([(PathBuf::from(file), vec![selector])]) }
    }

    #[test]
    fn an_anchor_shows_its_lines_but_not_its_markers() {
        let text = "a\n// ANCHOR: x\nb\nc\n// ANCHOR_END: x\nd\n";
        let s = shown("crates/m/src/f.rs", Selector::Anchor("x".into()));
        assert_eq!(s.lines(Path::new("crates/m/src/f.rs"), text), BTreeSet::from([3, 4]));
        assert!(s.lines(Path::new("crates/m/src/g.rs"), text).is_empty());
        let whole = shown("crates/m/src/f.rs", Selector::Whole);
        assert_eq!(whole.lines(Path::new("crates/m/src/f.rs"), text).len(), 6);
    }

    #[test]
    fn chapter_paths_are_normalised() {
        assert_eq!(
            normalize(Path::new("lectures/src/../../crates/a/src/b.rs")),
            PathBuf::from("crates/a/src/b.rs")
        );
    }

    #[test]
    fn an_anchor_nobody_includes_is_an_orphan() {
        let root = std::env::temp_dir().join(format!("xtask-orphans-{}", std::process::id()));
        let src = root.join("crates").join("m").join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(
            src.join("f.rs"),
            "// ANCHOR: used\nx\n// ANCHOR_END: used\n// ANCHOR: lost\ny\n// ANCHOR_END: lost\n",
        )
        .unwrap();
        let s = shown("crates/m/src/f.rs", Selector::Anchor("used".into()));
        let orphans = s.orphan_anchors(&root).unwrap();
        assert_eq!(orphans, [(PathBuf::from("crates/m/src/f.rs"), 4, "lost".to_owned())]);
        fs::remove_dir_all(root).unwrap();
    }
}
