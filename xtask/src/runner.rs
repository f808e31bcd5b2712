//! Running a stage binary: its output saved to a file, its progress shown as a bar on a terminal (plain
//! lines otherwise), and its error, if it fails, kept as the one line the stage contract promises.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use harness::overwrite::{create_fresh, guard_replace};

use crate::owned::{OUTPUT_HEADER, is_our_output};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How a finished process went.
#[derive(Debug)]
pub struct Finished {
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Wall-clock time from start to exit.
    pub elapsed: Duration,
}

/// The step a line of training output reports, if it is a step line: `step 120 | loss 2.51` (the
/// harness format, 0-based) or `step  120 / 1000 | loss 2.51` (microGPT's, 1-based). Close enough for
/// a progress bar either way.
pub fn step_of(line: &str) -> Option<usize> {
    // microGPT rewrites one line with \r on a terminal; take the last rewrite.
    let line = line.rsplit('\r').find(|l| !l.trim().is_empty())?;
    let rest = line.trim_start().strip_prefix("step")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Shows one process's progress: a bar on a terminal, otherwise a line at the start and at the end.
pub struct Reporter {
    bar: Option<ProgressBar>,
    label: String,
}

impl Reporter {
    /// A reporter for `label`, expecting `total` steps (a bar only if stderr is a terminal).
    pub fn new(label: &str, total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{prefix:>14} {wide_bar} {pos}/{len} [{elapsed_precise}] {msg}")
                    .expect("the template is valid");
            bar.set_style(style);
            bar.set_prefix(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        if bar.is_none() {
            eprintln!("{label}: running ({total} steps)");
        }
        Reporter { bar, label: label.to_owned() }
    }

    fn step(&self, step: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(step as u64);
        }
    }

    /// Ends the bar, or prints the end line.
    pub fn finish(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(msg.to_owned()),
            None => eprintln!("{}: {msg}", self.label),
        }
    }
}

/// Runs `cmd`, writing its stdout to `log` as it comes and moving `reporter` along the step lines.
/// A failure is an error carrying the process's last line on stderr (its `error: ...` line).
///
/// `log` starts with a line [`OUTPUT_HEADER`]` `cmd``, so that a later run recognises it as its own; a
/// file there that is not ours, or a symlink, is refused before the process starts.
pub fn run(mut cmd: Command, log: &Path, reporter: &Reporter) -> Result<Finished> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    guard_replace(log, is_our_output)?;
    let mut file: File = create_fresh(log)?;
    let program = Path::new(cmd.get_program()).file_name().unwrap_or_default().to_string_lossy().into_owned();
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    writeln!(file, "{OUTPUT_HEADER} `{program} {}`", args.join(" "))?;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    // stderr is read on its own thread so that neither pipe can fill up and stall the child.
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        let text = String::from_utf8_lossy(&line);
        if let Some(step) = step_of(&text) {
            reporter.step(step);
        }
        file.write_all(&line)?;
        stdout.push_str(&text);
        line.clear();
    }
    let status = child.wait()?;
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)");
        bail!("{} ({status})", last.trim());
    }
    Ok(Finished { stdout, elapsed: start.elapsed() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_of_every_format_are_read() {
        assert_eq!(step_of("step 120 | loss 2.5100\n"), Some(120));
        assert_eq!(step_of("step   12 / 1000 | loss 3.1\rstep   13 / 1000 | loss 3.0\r"), Some(13));
        assert_eq!(step_of("steps: 3"), None);
        assert_eq!(step_of("vocab size: 27"), None);
        assert_eq!(step_of(""), None);
    }
}
