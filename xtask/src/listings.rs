//! Listings: the code a chapter shows, copied into the chapter itself so the Markdown reads anywhere (on
//! GitHub, in any viewer, without mdBook), and checked against the crates so it never drifts.
//!
//! A listing is a marker naming its source, then a fenced code block:
//!
//! ````text
//! <!-- listing: crates/bigram/src/model.rs:counts -->
//! ```rust
//! …the lines between `// ANCHOR: counts` and `// ANCHOR_END: counts`…
//! ```
//! ````
//!
//! The source is a path from the workspace root, then `:anchor`, `:start:end` (1-based lines) or nothing
//! (the whole file). `cargo xtask lectures --sync` rewrites every listing from its source, and turns an
//! mdBook `{{#include …}}` alone in a fence into a listing; `--check` reports every listing that differs.

use std::fs;
use std::path::Path;

use crate::lectures::{Selector, parse_includes, parse_target};

/// The marker's opening and closing.
const OPEN: &str = "<!-- listing: ";
const CLOSE: &str = " -->";

/// The source named by a marker line, if the line is one.
pub fn marker(line: &str) -> Option<&str> {
    line.trim().strip_prefix(OPEN)?.strip_suffix(CLOSE).map(str::trim)
}

/// The text a listing of `source` shows, read from under `root`: the lines of the anchor (anchor marker
/// lines of nested anchors left out, as mdBook leaves them out), the line range or the whole file.
pub fn source_text(root: &Path, source: &str) -> Result<String, String> {
    let (path, selector) = parse_target(source);
    let text = fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let picked: Vec<&str> = match &selector {
        Selector::Whole => lines.clone(),
        Selector::Lines { start, end } => {
            let (start, end) = (start.unwrap_or(1), end.unwrap_or(lines.len()).min(lines.len()));
            if start == 0 || start > end {
                return Err(format!("{source}: no such lines in {path} ({} lines)", lines.len()));
            }
            lines[start - 1..end].to_vec()
        }
        Selector::Anchor(name) => {
            let is = |l: &str, tag: &str| {
                l.trim_start()
                    .strip_prefix("//")
                    .map(str::trim_start)
                    .and_then(|l| l.strip_prefix(tag))
                    .map(str::trim)
                    == Some(name.as_str())
            };
            let start = lines.iter().position(|l| is(l, "ANCHOR:"));
            let end = lines.iter().position(|l| is(l, "ANCHOR_END:"));
            match (start, end) {
                (Some(s), Some(e)) if e > s + 1 => lines[s + 1..e].to_vec(),
                _ => {
                    return Err(format!(
                        "{source}: no non-empty ANCHOR: {name} … ANCHOR_END: {name} in {path}"
                    ));
                }
            }
        }
    };
    let is_marker = |l: &&str| {
        let t = l.trim_start();
        t.starts_with("//") && (t.contains("ANCHOR:") || t.contains("ANCHOR_END:"))
    };
    let kept: Vec<&str> = picked.into_iter().filter(|l| !is_marker(l)).collect();
    Ok(kept.join("\n") + "\n")
}

/// A problem with one listing: the chapter's 1-based line and what is wrong.
pub type Problem = (usize, String);

/// A chapter with every listing rewritten from its source, and every `{{#include}}` fence turned into a
/// listing. `dir` is the chapter's directory relative to `root` (includes are relative to it).
pub fn sync(root: &Path, dir: &Path, chapter: &str) -> (String, Vec<Problem>) {
    let lines: Vec<&str> = chapter.lines().collect();
    let (mut out, mut problems) = (String::new(), Vec::new());
    let (mut i, mut in_fence) = (0, false);
    while i < lines.len() {
        let line = lines[i];
        if in_fence {
            // Inside a code block a marker is an example of one, shown as text.
            in_fence = !is_fence(line);
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        // An mdBook include alone in a fence: the old form, converted.
        let include = (is_fence(line) && i + 2 < lines.len() && is_fence(lines[i + 2]))
            .then(|| parse_includes(lines[i + 1]))
            .filter(|found| found.len() == 1);
        if let Some(include) = include.as_ref().and_then(|found| found.first()) {
            let path = crate::shown::normalize(&dir.join(&include.path));
            let source = match &include.selector {
                Selector::Whole => path.display().to_string(),
                Selector::Anchor(name) => format!("{}:{name}", path.display()),
                Selector::Lines { start, end } => {
                    let n = |x: &Option<usize>| x.map_or(String::new(), |x| x.to_string());
                    format!("{}:{}:{}", path.display(), n(start), n(end))
                }
            };
            out.push_str(&format!("{OPEN}{source}{CLOSE}\n"));
            emit(root, &source, fence_info(line), i + 1, &mut out, &mut problems);
            i += 3;
            continue;
        }
        if let Some(source) = marker(line) {
            out.push_str(line);
            out.push('\n');
            let Some(open) = lines.get(i + 1).filter(|l| is_fence(l)) else {
                problems.push((i + 1, format!("listing {source} is not followed by a ``` code block")));
                i += 1;
                continue;
            };
            let Some(close) = (i + 2..lines.len()).find(|&j| is_fence(lines[j])) else {
                problems.push((i + 1, format!("listing {source}: its code block is never closed")));
                i += 1;
                continue;
            };
            emit(root, source, fence_info(open), i + 1, &mut out, &mut problems);
            i = close + 1;
            continue;
        }
        in_fence = is_fence(line);
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    (out, problems)
}

/// Writes one listing's fenced block.
fn emit(root: &Path, source: &str, info: &str, line: usize, out: &mut String, problems: &mut Vec<Problem>) {
    out.push_str(&format!("```{info}\n"));
    match source_text(root, source) {
        Ok(code) => out.push_str(&code),
        Err(e) => problems.push((line, e)),
    }
    out.push_str("```\n");
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// A fence's info string (`rust,ignore` → `rust`: the code is shown, not compiled as a doctest).
fn fence_info(line: &str) -> &str {
    let info = line.trim_start().trim_start_matches('`').trim();
    info.split(',').next().unwrap_or("")
}

/// Text that mdBook would read as an HTML tag outside code: `<f64>` in prose becomes an unclosed
/// element that swallows what follows. Returns (1-based line, the tag).
pub fn stray_html(chapter: &str) -> Vec<(usize, String)> {
    const ALLOWED: [&str; 12] =
        ["a", "b", "br", "details", "div", "em", "img", "kbd", "p", "span", "sub", "summary"];
    let mut found = Vec::new();
    let mut in_fence = false;
    for (i, line) in chapter.lines().enumerate() {
        if is_fence(line) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Inline code spans are code: drop every `…` pair.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find('<') {
            let after = &rest[at + 1..];
            rest = after;
            if after.starts_with("!--") {
                continue;
            }
            let name: String =
                after.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            let starts_with_letter =
                after.trim_start_matches('/').starts_with(|c: char| c.is_ascii_alphabetic());
            if starts_with_letter && !ALLOWED.contains(&name.to_ascii_lowercase().as_str()) {
                found.push((
                    i + 1,
                    format!("<{}", after.chars().take_while(|&c| c != '>' && c != ' ').collect::<String>()),
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(file: &str, text: &str) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!(
            "xtask-listings-{}-{}",
            std::process::id(),
            file.replace('/', "-")
        ));
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        root
    }

    #[test]
    fn an_include_becomes_a_listing_and_sync_is_then_a_fixed_point() {
        let root = root_with("crates/m/src/a.rs", "x\n// ANCHOR: f\nfn f() {}\n// ANCHOR_END: f\n");
        let chapter = "Text.\n\n```rust,ignore\n{{#include ../../crates/m/src/a.rs:f}}\n```\n\nMore.\n";
        let (synced, problems) = sync(&root, Path::new("lectures/src"), chapter);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            synced,
            "Text.\n\n<!-- listing: crates/m/src/a.rs:f -->\n```rust\nfn f() {}\n```\n\nMore.\n"
        );
        assert_eq!(sync(&root, Path::new("lectures/src"), &synced).0, synced);
    }

    #[test]
    fn a_drifted_listing_is_rewritten_and_a_missing_anchor_is_a_problem() {
        let root = root_with("crates/m/src/b.rs", "// ANCHOR: f\nfn f() -> u8 { 1 }\n// ANCHOR_END: f\n");
        let drifted = "<!-- listing: crates/m/src/b.rs:f -->\n```rust\nfn f() -> u8 { 0 }\n```\n";
        let (synced, problems) = sync(&root, Path::new("lectures/src"), drifted);
        assert!(problems.is_empty());
        assert_ne!(synced, drifted, "a drifted block differs from its sync, which is what --check reports");
        assert!(synced.contains("{ 1 }"));
        let missing = "<!-- listing: crates/m/src/b.rs:g -->\n```rust\n```\n";
        let (_, problems) = sync(&root, Path::new("lectures/src"), missing);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn a_marker_inside_a_code_block_is_an_example_and_left_alone() {
        let root = root_with("crates/m/src/c.rs", "// ANCHOR: f\nfn f() {}\n// ANCHOR_END: f\n");
        let chapter = "A listing looks like this:\n\n```text\n<!-- listing: crates/m/src/c.rs:f -->\n```\n\n```sh\ncargo run\n```\n<!-- listing: crates/m/src/c.rs:f -->\n```rust\n```\n";
        let (synced, problems) = sync(&root, Path::new("lectures/src"), chapter);
        assert!(problems.is_empty(), "{problems:?}");
        let want = chapter.replace("```rust\n```", "```rust\nfn f() {}\n```");
        assert_eq!(synced, want, "only the listing outside the code blocks is filled in");
    }

    #[test]
    fn html_in_prose_is_found_but_not_in_code() {
        let text = "A `Vec<f64>` is fine.\nBut Vec<f64> is not.\n```rust\nlet v: Vec<f64>;\n```\n<!-- listing: x -->\n<img src=\"a.png\">\n";
        assert_eq!(stray_html(text), [(2, "<f64".to_string())]);
    }
}
