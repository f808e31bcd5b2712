//! `cargo xtask diff A B`: what stage B adds over stage A.
//!
//! Every stage crate uses the same module names (`model.rs`, `train.rs`, `sample.rs`, ...), so a
//! module-by-module diff of two stages' `src/` shows the one new idea and nothing else. The diff is
//! computed in-process with `similar`, so it works the same on every machine, with or without a
//! `diff` binary.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use similar::{ChangeTag, TextDiff};

/// How one module differs between the two stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unchanged,
    Changed,
    /// Only in B: a module the new stage introduces.
    Added,
    /// Only in A: a module the new stage no longer needs.
    Removed,
    /// Not UTF-8 text on at least one side, and the bytes differ.
    Binary,
}

/// The diff of one file under `src/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleDiff {
    /// Path relative to `src/`, e.g. `model.rs` or `model/attention.rs`.
    pub path: PathBuf,
    pub status: Status,
    /// Lines in B that are not in A.
    pub added: usize,
    /// Lines in A that are not in B.
    pub removed: usize,
    /// The unified diff with `---`/`+++` headers; empty when unchanged.
    pub unified: String,
    /// The 1-based numbers, in B, of the added lines.
    pub added_lines: Vec<usize>,
    /// How many of the added lines a chapter shows (see [`count_shown`]).
    pub shown: usize,
}

/// The files every stage has, with the same jobs: shown first in a diff, before the stage's extras.
pub const SKELETON: [&str; 7] =
    ["main.rs", "lib.rs", "config.rs", "data.rs", "model.rs", "train.rs", "sample.rs"];

/// Skeleton files in their order, then the rest by path.
fn order(path: &Path) -> (usize, PathBuf) {
    let rank = SKELETON.iter().position(|s| Path::new(s) == path).unwrap_or(SKELETON.len());
    (rank, path.to_path_buf())
}

/// Fills in each module's `shown`: how many of its added lines lie in code a chapter shows. `b_src` is
/// stage B's `src/` relative to the workspace root.
pub fn count_shown(diffs: &mut [ModuleDiff], root: &Path, b_src: &Path, shown: &crate::shown::Shown) {
    for d in diffs {
        let file = b_src.join(&d.path);
        let text = fs::read_to_string(root.join(&file)).unwrap_or_default();
        let lines = shown.lines(&file, &text);
        d.shown = d.added_lines.iter().filter(|l| lines.contains(l)).count();
    }
}

/// `crates/NAME/src` under the workspace `root`, or an error naming the crates that do exist.
pub fn crate_src(root: &Path, name: &str) -> Result<PathBuf> {
    let src = root.join("crates").join(name).join("src");
    if src.is_dir() {
        return Ok(src);
    }
    let mut known: Vec<String> = fs::read_dir(root.join("crates"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join("src").is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    known.sort();
    bail!("no crate `{name}`: crates/{name}/src does not exist (crates: {})", known.join(", "))
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut files = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(dir).expect("listed under dir").to_path_buf());
            }
        }
    }
    Ok(files)
}

/// Diffs two source trees file by file. `a_label` and `b_label` prefix the paths in the `---`/`+++`
/// headers (e.g. `crates/bigram/src`); `context` is the number of unchanged lines around each change.
pub fn diff_dirs(
    a: &Path,
    b: &Path,
    a_label: &str,
    b_label: &str,
    context: usize,
) -> Result<Vec<ModuleDiff>> {
    let (in_a, in_b) = (files_under(a)?, files_under(b)?);
    let read = |root: &Path, rel: &Path| -> Result<Option<Vec<u8>>> {
        if !root.join(rel).is_file() {
            return Ok(None);
        }
        fs::read(root.join(rel))
            .map(Some)
            .with_context(|| format!("cannot read {}", root.join(rel).display()))
    };
    let mut diffs = Vec::new();
    for rel in in_a.union(&in_b) {
        let (old, new) = (read(a, rel)?, read(b, rel)?);
        let status = match (&old, &new) {
            (Some(o), Some(n)) if o == n => Status::Unchanged,
            (Some(_), Some(_)) => Status::Changed,
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
        };
        fn as_text(bytes: &Option<Vec<u8>>) -> Option<&str> {
            match bytes {
                None => Some(""),
                Some(b) => std::str::from_utf8(b).ok(),
            }
        }
        let (Some(old_text), Some(new_text)) = (as_text(&old), as_text(&new)) else {
            diffs.push(ModuleDiff {
                path: rel.clone(),
                status: Status::Binary,
                added: 0,
                removed: 0,
                unified: String::new(),
                added_lines: Vec::new(),
                shown: 0,
            });
            continue;
        };
        let text_diff = TextDiff::from_lines(old_text, new_text);
        let count = |tag| text_diff.iter_all_changes().filter(|c| c.tag() == tag).count();
        let (added, removed) = (count(ChangeTag::Insert), count(ChangeTag::Delete));
        let added_lines = text_diff
            .iter_all_changes()
            .filter(|c| c.tag() == ChangeTag::Insert)
            .filter_map(|c| c.new_index().map(|i| i + 1))
            .collect();
        // A side that does not exist is shown as /dev/null, the way git and diff -N show it.
        let header = |label: &str, exists: bool| {
            if exists { format!("{label}/{}", rel.display()) } else { "/dev/null".to_string() }
        };
        let unified = if status == Status::Unchanged {
            String::new()
        } else {
            text_diff
                .unified_diff()
                .context_radius(context)
                .header(&header(a_label, old.is_some()), &header(b_label, new.is_some()))
                .to_string()
        };
        diffs.push(ModuleDiff { path: rel.clone(), status, added, removed, unified, added_lines, shown: 0 });
    }
    diffs.sort_by_key(|d| order(&d.path));
    Ok(diffs)
}

/// A word for a module that is not simply changed.
fn note(status: Status) -> &'static str {
    match status {
        Status::Unchanged => "unchanged",
        Status::Changed => "",
        Status::Added => "new module",
        Status::Removed => "module removed",
        Status::Binary => "binary, differs",
    }
}

/// The one-line summary of a module in the table, path padded to `width` so the counts line up:
/// `  model.rs              +12     -3`.
pub fn summary_line(d: &ModuleDiff, width: usize) -> String {
    let path = d.path.display().to_string();
    let counts = match d.status {
        Status::Unchanged | Status::Binary => String::new(),
        _ => format!("+{} ({} shown)", d.added, d.shown),
    };
    let removed = match d.status {
        Status::Unchanged | Status::Binary => String::new(),
        _ => format!("-{}", d.removed),
    };
    format!("  {path:<width$}  {counts:>16} {removed:>6}  {}", note(d.status)).trim_end().to_string()
}

/// The heading above a module's diff: `model.rs (+12 -3)`, `attention.rs (new module, +40 -0)`.
pub fn headline(d: &ModuleDiff) -> String {
    let counts = format!("+{} -{}", d.added, d.removed);
    match note(d.status) {
        "" => format!("{} ({counts})", d.path.display()),
        note => format!("{} ({note}, {counts})", d.path.display()),
    }
}

/// ANSI colours for a terminal; plain text otherwise, so output piped to a file or a pager that does
/// not understand escapes stays clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}

fn paint(line: &str, color: Color) -> String {
    if color == Color::Never {
        return line.to_string();
    }
    let code = if line.starts_with("+++") || line.starts_with("---") {
        "1" // bold
    } else if line.starts_with('+') {
        "32" // green
    } else if line.starts_with('-') {
        "31" // red
    } else if line.starts_with("@@") {
        "36" // cyan
    } else {
        return line.to_string();
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}

/// The report: a summary of every module first (the shape of the change at a glance), then each
/// changed module's unified diff, unless `stat_only`.
pub fn render(a: &str, b: &str, diffs: &[ModuleDiff], stat_only: bool, color: Color) -> String {
    let mut out = String::new();
    let width = diffs.iter().map(|d| d.path.display().to_string().len()).max().unwrap_or(0);
    let (added, removed) = diffs.iter().fold((0, 0), |(a, r), d| (a + d.added, r + d.removed));
    let changed = diffs.iter().filter(|d| d.status != Status::Unchanged).count();
    let _ =
        writeln!(out, "{b} over {a}: {changed} of {} modules differ, +{added} -{removed} lines", diffs.len());
    for d in diffs {
        let _ = writeln!(out, "{}", summary_line(d, width));
    }
    let shown: usize = diffs.iter().map(|d| d.shown).sum();
    let percent = if added == 0 { 100.0 } else { 100.0 * shown as f64 / added as f64 };
    let _ = writeln!(
        out,
        "{shown} of the {added} added lines ({percent:.0} %) are code a chapter shows; {} are not",
        added - shown
    );
    if stat_only {
        return out;
    }
    for d in diffs.iter().filter(|d| !d.unified.is_empty()) {
        let _ = writeln!(out);
        let _ = writeln!(out, "=== {}", headline(d));
        for line in d.unified.lines() {
            let _ = writeln!(out, "{}", paint(line, color));
        }
    }
    out
}
