//! Training progress, per the stage contract: a progress bar on a terminal, plain lines otherwise (a log
//! file, CI, a pipe), where a bar would be a mess of carriage returns.
//!
//! Either way, every `every` steps (and at the last step) the line `step N | loss X` is printed: above
//! the bar on a terminal, so the loss history stays in the scrollback when the bar is gone.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

/// The one line format every stage prints while training.
pub fn step_line(step: usize, loss: f64) -> String {
    format!("step {step} | loss {loss:.4}")
}

/// Reports training steps to the user.
pub struct Progress {
    total: usize,
    every: usize,
    out: Out,
}

enum Out {
    Bar(ProgressBar),
    Plain(Box<dyn Write + Send>),
}

impl Progress {
    /// A bar if stdout is a terminal, plain lines on stdout otherwise. Prints every `total_steps / 10`
    /// steps until [`Progress::every`] says otherwise.
    pub fn new(total_steps: usize) -> Self {
        if std::io::stdout().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total_steps as u64), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "{wide_bar} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
            )
            .expect("the template is valid");
            bar.set_style(style);
            Self::with_out(total_steps, Out::Bar(bar))
        } else {
            Self::plain(total_steps, std::io::stdout())
        }
    }

    /// Plain lines to `out`, whatever it is (for tests, or to force plain output).
    pub fn plain(total_steps: usize, out: impl Write + Send + 'static) -> Self {
        Self::with_out(total_steps, Out::Plain(Box::new(out)))
    }

    fn with_out(total: usize, out: Out) -> Self {
        Self { total, every: (total / 10).max(1), out }
    }

    /// Print the step line every `every` steps (at least 1).
    pub fn every(mut self, every: usize) -> Self {
        self.every = every.max(1);
        self
    }

    /// Reports that step `step` (0-based, as in `for step in range(num_steps)`) ended with `loss`. The
    /// line is printed when `step % every == 0` and at the last step.
    pub fn step(&mut self, step: usize, loss: f64) {
        let print = step.is_multiple_of(self.every) || step + 1 == self.total;
        match &mut self.out {
            Out::Bar(bar) => {
                bar.set_position(step as u64 + 1);
                bar.set_message(format!("loss {loss:.4}"));
                if print {
                    bar.println(step_line(step, loss));
                }
            }
            Out::Plain(out) => {
                if print {
                    // A closed pipe (`| head`) must not crash training: output errors are dropped.
                    let _ = writeln!(out, "{}", step_line(step, loss)).and_then(|()| out.flush());
                }
            }
        }
    }

    /// Prints a line of its own (an eval result, a note) without breaking the bar.
    pub fn println(&mut self, msg: impl AsRef<str>) {
        match &mut self.out {
            Out::Bar(bar) => bar.println(msg.as_ref()),
            Out::Plain(out) => {
                let _ = writeln!(out, "{}", msg.as_ref()).and_then(|()| out.flush());
            }
        }
    }

    /// Prints a note on stderr without breaking the bar (which is drawn on stderr itself).
    pub fn note(&mut self, msg: impl AsRef<str>) {
        match &mut self.out {
            Out::Bar(bar) => bar.println(msg.as_ref()),
            Out::Plain(_) => eprintln!("{}", msg.as_ref()),
        }
    }

    /// Ends the bar (leaving it at its final state) or flushes the lines.
    pub fn finish(mut self) {
        match &mut self.out {
            Out::Bar(bar) => bar.finish(),
            Out::Plain(out) => {
                let _ = out.flush();
            }
        }
    }
}
