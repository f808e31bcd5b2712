//! `cargo xtask lectures --check`: the book must not drift from the code.
//!
//! The lectures show code by including it from the crates (`{{#include ../../crates/mlp/src/model.rs:forward}}`)
//! rather than by copying it, so a chapter always shows the code that runs. That holds only while every
//! include still points at something: mdBook itself renders a renamed file as an error message in the
//! page, a missing `ANCHOR:` as nothing at all, and a missing `ANCHOR_END:` as the rest of the file. This
//! check turns each of those into a failure with the chapter and line to fix.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The mdBook directives that pull in another file. (`{{#playground}}` takes no anchors, and the
/// lectures link to runnable code through the crates instead.)
const DIRECTIVES: [&str; 2] = ["include", "rustdoc_include"];

/// Which part of a file a directive includes, following mdBook's own reading of `PATH:...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `PATH`: the whole file.
    Whole,
    /// `PATH:name`: the lines between `ANCHOR: name` and `ANCHOR_END: name`.
    Anchor(String),
    /// `PATH:START:END` and its variants, 1-based and inclusive: `PATH:5` is line 5 alone, `PATH:5:`
    /// line 5 onwards, `PATH::9` lines 1 to 9.
    Lines { start: Option<usize>, end: Option<usize> },
}

/// One `{{#include ...}}` (or `{{#rustdoc_include ...}}`) in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// 1-based line of the chapter the directive is on.
    pub line: usize,
    /// The directive as written, for messages.
    pub text: String,
    /// The included file, as written: relative to the chapter's directory.
    pub path: String,
    pub selector: Selector,
}

/// Something in the book that points at nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub chapter: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.chapter.display(), self.line, self.message)
    }
}

/// Finds every include directive in a chapter's text.
///
/// mdBook expands directives everywhere, code blocks included, so this does too; only an escaped
/// `\{{#include ...}}`, which mdBook prints literally, is skipped.
pub fn parse_includes(chapter: &str) -> Vec<Include> {
    let mut found = Vec::new();
    for (i, line) in chapter.lines().enumerate() {
        let mut rest = line;
        while let Some(open) = rest.find("{{") {
            let escaped = rest[..open].ends_with('\\');
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else { break };
            let body = after[..close].trim();
            rest = &after[close + 2..];
            if escaped {
                continue;
            }
            let Some(body) = body.strip_prefix('#') else { continue };
            let mut words = body.split_whitespace();
            let (Some(name), Some(arg)) = (words.next(), words.next()) else { continue };
            if !DIRECTIVES.contains(&name) {
                continue;
            }
            let (path, selector) = parse_target(arg);
            found.push(Include {
                line: i + 1,
                text: format!("{{{{#{}}}}}", body),
                path: path.to_string(),
                selector,
            });
        }
    }
    found
}

/// Splits `PATH[:ANCHOR | :START[:END]]` the way mdBook does: a first part that is a number (or empty,
/// with an end after it) is a line range, anything else an anchor name.
pub fn parse_target(arg: &str) -> (&str, Selector) {
    let mut parts = arg.splitn(3, ':');
    let path = parts.next().unwrap_or_default();
    let (first, second) = (parts.next(), parts.next());
    let selector = match (first, second) {
        (None, _) => Selector::Whole,
        (Some(first), second) => match first.parse::<usize>() {
            Ok(start) => match second {
                None => Selector::Lines { start: Some(start), end: Some(start) },
                Some(end) => Selector::Lines { start: Some(start), end: end.parse().ok() },
            },
            Err(_) if first.is_empty() => {
                Selector::Lines { start: None, end: second.and_then(|e| e.parse().ok()) }
            }
            Err(_) => Selector::Anchor(first.to_string()),
        },
    };
    (path, selector)
}

/// What is wrong with `include`, given the text of the file it names, or `None` if it resolves.
pub fn check_target(include: &Include, file: &str) -> Option<String> {
    match &include.selector {
        Selector::Whole => None,
        Selector::Anchor(name) => check_anchor(file, name),
        Selector::Lines { start, end } => {
            let len = file.lines().count();
            let (start, end) = (start.unwrap_or(1), end.unwrap_or(len));
            if start == 0 {
                Some("line numbers start at 1".to_string())
            } else if start > len {
                Some(format!("starts at line {start}, but the file has {len} lines"))
            } else if end < start {
                Some(format!("ends at line {end}, before it starts at line {start}"))
            } else {
                None
            }
        }
    }
}

/// Checks that `ANCHOR: name` and, after it, `ANCHOR_END: name` are both in `file`, with something
/// between them. Matching is by whole name, so `forward` is not satisfied by `forward_pass`.
fn check_anchor(file: &str, name: &str) -> Option<String> {
    let marks = |tag: &str| -> Vec<usize> {
        file.lines().enumerate().filter(|(_, l)| anchor_name(l, tag) == Some(name)).map(|(i, _)| i).collect()
    };
    let (starts, ends) = (marks("ANCHOR:"), marks("ANCHOR_END:"));
    match (starts.first(), ends.first()) {
        (None, None) => Some(format!("no `ANCHOR: {name}` / `ANCHOR_END: {name}` pair in the file")),
        (None, Some(_)) => Some(format!("`ANCHOR_END: {name}` without `ANCHOR: {name}`")),
        (Some(_), None) => Some(format!("`ANCHOR: {name}` without `ANCHOR_END: {name}`")),
        (Some(&s), Some(_)) => match ends.iter().find(|&&e| e > s) {
            None => Some(format!("`ANCHOR_END: {name}` comes before `ANCHOR: {name}`")),
            Some(&e) if e == s + 1 => Some(format!("anchor `{name}` is empty")),
            Some(_) => None,
        },
    }
}

/// The anchor name after `tag` on a line, as mdBook reads it: word characters and `-`.
fn anchor_name<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let at = line.find(tag)?;
    let rest = line[at + tag.len()..].trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Checks every include in one chapter, resolving paths against the chapter's directory.
/// `shown` is the chapter's path as problems should name it.
pub fn check_chapter(chapter: &Path, shown: &Path) -> Result<Vec<Problem>> {
    let text = fs::read_to_string(chapter).with_context(|| format!("cannot read {}", chapter.display()))?;
    let dir = chapter.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    for include in parse_includes(&text) {
        let target = dir.join(&include.path);
        let message = match fs::read_to_string(&target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!("no file {}", include.path)),
            Err(e) => Some(format!("cannot read {}: {e}", include.path)),
            Ok(file) => check_target(&include, &file).map(|m| format!("{}: {m}", include.path)),
        };
        if let Some(message) = message {
            problems.push(Problem {
                chapter: shown.to_path_buf(),
                line: include.line,
                message: format!("{} — {message}", include.text),
            });
        }
    }
    Ok(problems)
}

/// Checks that every chapter `SUMMARY.md` links to exists. mdBook would otherwise create it, empty,
/// on the next build, and the table of contents would promise a chapter nobody wrote.
pub fn check_summary(summary: &Path, shown: &Path) -> Result<Vec<Problem>> {
    let text = fs::read_to_string(summary).with_context(|| format!("cannot read {}", summary.display()))?;
    let dir = summary.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(open) = rest.find("](") {
            let after = &rest[open + 2..];
            let Some(close) = after.find(')') else { break };
            let link = &after[..close];
            rest = &after[close + 1..];
            // A draft chapter, `[Title]()`, has no file on purpose; web links are not chapters.
            if link.is_empty() || link.contains("://") {
                continue;
            }
            let file = link.split('#').next().unwrap_or(link);
            if !dir.join(file).is_file() {
                problems.push(Problem {
                    chapter: shown.to_path_buf(),
                    line: i + 1,
                    message: format!("chapter {file} does not exist"),
                });
            }
        }
    }
    Ok(problems)
}

/// All Markdown files under `dir`, sorted, so reports come out in the same order every time.
pub fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return None;
    }
    let same = a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count();
    Some(same + 1)
}

/// Rewrites every chapter's listings from the crates (and turns `{{#include}}` fences into listings),
/// and every snippet copy in the chapters and the README from `lectures/snippets/`. Returns the files
/// changed, and the problems found (a listing whose source is missing, an unknown snippet).
pub fn sync_book(book: &Path) -> Result<(Vec<PathBuf>, Vec<Problem>)> {
    let (src, root) = (book.join("src"), book.parent().unwrap_or(Path::new(".")));
    let snippets = Snippets::load(root)?;
    let (mut changed, mut problems) = (Vec::new(), Vec::new());
    for file in book_files(root, &src)? {
        let text = fs::read_to_string(&file)?;
        let dir = file.parent().unwrap_or(&src);
        let (synced, found) = crate::listings::sync(root, dir.strip_prefix(root).unwrap_or(dir), &text);
        let (synced, _, quoted) = crate::snippets::sync(&synced, &|name| snippets.body(name));
        let rel = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        problems.extend(found.into_iter().chain(quoted).map(|(line, message)| Problem {
            chapter: rel.clone(),
            line,
            message,
        }));
        if synced != text {
            fs::write(&file, synced).with_context(|| format!("cannot write {}", file.display()))?;
            changed.push(rel);
        }
    }
    Ok((changed, problems))
}

/// The files that may quote code or snippets: every chapter, and the README beside the book.
fn book_files(root: &Path, src: &Path) -> Result<Vec<PathBuf>> {
    let mut files = markdown_files(src)?;
    let readme = root.join("README.md");
    if readme.is_file() {
        files.push(readme);
    }
    Ok(files)
}

/// The snippets' bodies, read once.
struct Snippets(Vec<(String, String)>);

impl Snippets {
    fn load(root: &Path) -> Result<Snippets> {
        let found = crate::snippets::load(root)?;
        Ok(Snippets(found.into_iter().filter_map(|(name, s)| Some((name, s.ok()?.body))).collect()))
    }

    fn body(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, body)| body.clone())
    }
}

/// Checks the whole book at `book` (the directory holding `book.toml` and `src/`): the summary's links
/// and every chapter's includes. Paths in problems are shown relative to `shown_from`.
pub fn check_book(book: &Path, shown_from: &Path) -> Result<Vec<Problem>> {
    let src = book.join("src");
    let shown = |p: &Path| p.strip_prefix(shown_from).unwrap_or(p).to_path_buf();
    let mut problems = Vec::new();
    let summary = src.join("SUMMARY.md");
    if summary.is_file() {
        problems.extend(check_summary(&summary, &shown(&summary))?);
    } else {
        problems.push(Problem {
            chapter: shown(&summary),
            line: 0,
            message: "the book has no SUMMARY.md".into(),
        });
    }
    let root = book.parent().unwrap_or(Path::new("."));
    let snippets = Snippets::load(root)?;
    let mut quoted = Vec::new();
    for chapter in book_files(root, &src)? {
        let is_chapter = chapter.starts_with(&src);
        if is_chapter {
            problems.extend(check_chapter(&chapter, &shown(&chapter))?);
        }
        let text = fs::read_to_string(&chapter)?;
        let dir = chapter.parent().unwrap_or(&src);
        let dir = dir.strip_prefix(root).unwrap_or(dir);
        let (synced, listing_problems) = crate::listings::sync(root, dir, &text);
        let problem = |line, message| Problem { chapter: shown(&chapter), line, message };
        problems.extend(listing_problems.into_iter().map(|(line, m)| problem(line, m)));
        if let Some(line) = first_difference(&text, &synced) {
            problems.push(problem(
                line,
                "a listing differs from its source: run `cargo xtask lectures --sync`".into(),
            ));
        }
        let (with_snippets, names, snippet_problems) = crate::snippets::sync(&text, &|n| snippets.body(n));
        quoted.extend(names);
        problems.extend(snippet_problems.into_iter().map(|(line, m)| problem(line, m)));
        if let Some(line) = first_difference(&text, &with_snippets) {
            problems.push(problem(
                line,
                "a snippet's copy differs from lectures/snippets: run `cargo xtask lectures --sync`".into(),
            ));
        }
        if is_chapter {
            for (line, tag) in crate::listings::stray_html(&text) {
                problems.push(problem(line, format!("mdBook reads `{tag}>` as HTML: put it in backticks")));
            }
        }
    }
    for (file, message) in crate::snippets::check_files(root, &quoted)? {
        problems.push(Problem { chapter: file, line: 1, message });
    }
    // An anchor no chapter includes is a listing that was dropped from the book, or a typo.
    if let Some(root) = book.parent().filter(|root| root.join("crates").is_dir()) {
        for (file, line, name) in crate::shown::Shown::from_book(root)?.orphan_anchors(root)? {
            problems.push(Problem {
                chapter: file,
                line,
                message: format!("ANCHOR: {name} is included by no chapter (show it, or remove the anchor)"),
            });
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(arg: &str) -> Selector {
        parse_target(arg).1
    }

    #[test]
    fn targets_are_read_the_way_mdbook_reads_them() {
        assert_eq!(parse_target("a/b.rs"), ("a/b.rs", Selector::Whole));
        assert_eq!(selector("b.rs:forward"), Selector::Anchor("forward".into()));
        assert_eq!(selector("b.rs:2"), Selector::Lines { start: Some(2), end: Some(2) });
        assert_eq!(selector("b.rs:2:10"), Selector::Lines { start: Some(2), end: Some(10) });
        assert_eq!(selector("b.rs:2:"), Selector::Lines { start: Some(2), end: None });
        assert_eq!(selector("b.rs::10"), Selector::Lines { start: None, end: Some(10) });
    }

    #[test]
    fn directives_are_found_anywhere_but_escaped_ones_are_skipped() {
        let chapter = "text\n```rust\n{{#include ../x.rs:model}}\n```\n\\{{#include nope.rs}} and {{ #rustdoc_include y.rs:3:4 }}\n{{#title Hi}}";
        let found = parse_includes(chapter);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].line, found[0].path.as_str()), (3, "../x.rs"));
        assert_eq!(found[0].selector, Selector::Anchor("model".into()));
        assert_eq!((found[1].line, found[1].path.as_str()), (5, "y.rs"));
        assert_eq!(found[1].text, "{{#rustdoc_include y.rs:3:4}}");
    }

    #[test]
    fn anchors_must_be_a_nonempty_pair_in_order() {
        let file = "// ANCHOR: a\nx\n// ANCHOR_END: a\n// ANCHOR: b\n// ANCHOR_END: b\n// ANCHOR_END: c\n// ANCHOR: c\n// ANCHOR: d\n";
        assert_eq!(check_anchor(file, "a"), None);
        assert!(check_anchor(file, "b").unwrap().contains("empty"));
        assert!(check_anchor(file, "c").unwrap().contains("before"));
        assert!(check_anchor(file, "d").unwrap().contains("without `ANCHOR_END: d`"));
        assert!(check_anchor(file, "e").unwrap().contains("no `ANCHOR: e`"));
        // Whole names only.
        assert!(check_anchor("// ANCHOR: ab\n1\n// ANCHOR_END: ab\n", "a").is_some());
    }

    #[test]
    fn line_ranges_must_lie_in_the_file() {
        let include = |start, end| Include {
            line: 1,
            text: String::new(),
            path: String::new(),
            selector: Selector::Lines { start, end },
        };
        let file = "1\n2\n3\n";
        assert_eq!(check_target(&include(Some(2), Some(3)), file), None);
        assert_eq!(check_target(&include(None, Some(2)), file), None);
        assert!(check_target(&include(Some(4), None), file).is_some());
        assert!(check_target(&include(Some(3), Some(2)), file).is_some());
        assert!(check_target(&include(Some(0), Some(2)), file).is_some());
    }
}
