//! Writing a drawing to disk: the DOT text always, and an SVG too when Graphviz's `dot` is installed
//! (it is a system program, so it is optional: the DOT file is the result, the SVG a convenience).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use harness::overwrite::guard_replace;

use autograd::Tape;

use super::{DRAWINGS, graph_id};

/// What [`write`](fn@write) produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `DIR/NAME.dot`.
    pub dot: PathBuf,
    /// `DIR/NAME.svg`, if `dot` was found.
    pub svg: Option<PathBuf>,
}

/// Whether `path` is a file we wrote for the drawing `name`: both our DOT and Graphviz's SVG of it carry
/// the graph id.
fn is_ours(path: &Path, name: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&graph_id(name)))
}

/// Refuses, before anything is written, if `dir/name.dot` or `dir/name.svg` exists and is not ours.
pub fn check(dir: &Path, name: &str) -> Result<()> {
    for ext in ["dot", "svg"] {
        guard_replace(&dir.join(format!("{name}.{ext}")), |p| is_ours(p, name))?;
    }
    Ok(())
}

/// Writes `dot_text` to `dir/name.dot` and, if Graphviz is installed, renders `dir/name.svg`. Files
/// already there are replaced only if an earlier `micrograd graph` wrote them.
pub fn write(dir: &Path, name: &str, dot_text: &str) -> Result<Written> {
    check(dir, name)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (dot, svg) = (dir.join(format!("{name}.dot")), dir.join(format!("{name}.svg")));
    std::fs::write(&dot, dot_text).with_context(|| format!("cannot write {}", dot.display()))?;
    let svg = match Command::new("dot").arg("-Tsvg").arg(&dot).arg("-o").arg(&svg).output() {
        Ok(out) if out.status.success() => Some(svg),
        Ok(out) => bail!(
            "dot failed on {}: {}",
            dot.display(),
            String::from_utf8_lossy(&out.stderr).trim().replace('\n', "; ")
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => bail!("cannot run dot: {e}"),
    };
    Ok(Written { dot, svg })
}

/// Writes every drawing of the lecture into `dir`, reporting its numbers and files through `say`.
pub fn write_lecture_drawings(dir: &Path, mut say: impl FnMut(String)) -> Result<()> {
    for (name, _) in DRAWINGS {
        check(dir, name)?; // all or nothing: refuse before writing any
    }
    let mut rendered = true;
    for (name, build) in DRAWINGS {
        // Each drawing on a fresh stretch of tape: a backward pass hands on every gradient it finds below
        // its root, so an earlier drawing's gradients would otherwise be counted again.
        let _drawing = Tape::scope();
        let (g, root) = build();
        say(g.summary(root));
        let written = write(dir, name, &g.to_dot(root, name))?;
        match &written.svg {
            Some(svg) => say(format!("wrote {} and {}", written.dot.display(), svg.display())),
            None => say(format!("wrote {}", written.dot.display())),
        }
        rendered &= written.svg.is_some();
    }
    if !rendered {
        say("no SVG: Graphviz's `dot` is not installed (apt-get install graphviz, brew install graphviz); \
             or render the files elsewhere with: dot -Tsvg FILE.dot -o FILE.svg"
            .to_owned());
    }
    Ok(())
}

/// `micrograd graph`: where to write the drawings.
#[derive(Debug, Clone, clap::Args)]
pub struct GraphArgs {
    /// Where to write expression.dot and neuron.dot.
    #[arg(long, default_value = "runs/micrograd")]
    pub out: PathBuf,
}

/// Writes the lecture's drawings and prints their numbers.
pub fn run(args: &GraphArgs, out: &mut dyn std::io::Write) -> Result<()> {
    let mut lines = Vec::new();
    write_lecture_drawings(&args.out, |line| lines.push(line))?;
    lines.iter().try_for_each(|line| writeln!(out, "{line}"))?;
    Ok(())
}
