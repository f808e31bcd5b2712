//! `cargo xtask`: the repository's chores. See the library docs for how commands are laid out.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use xtask::compare::summary::Outcome;
use xtask::diff::{self, Color};
use xtask::{bench, compare, figures, ladder, lectures, workspace_root};

/// Chores for the zero-to-gpt workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work on the book in lectures/.
    Lectures {
        /// Check that every listing in the chapters equals the code it names, that every source and
        /// anchor exists and every anchor is shown, that every quoted snippet (chapters and README)
        /// equals its file in lectures/snippets and was measured with today's code and data, that no
        /// prose reads as HTML to mdBook, and that every chapter SUMMARY.md lists exists. Exits 1
        /// listing what is wrong.
        #[arg(long, required_unless_present = "sync", conflicts_with = "sync")]
        check: bool,
        /// Rewrite every listing from the code it names (and turn `{{#include}}` fences into listings),
        /// and every quoted snippet from lectures/snippets.
        #[arg(long)]
        sync: bool,
    },
    /// Show what stage crate B adds over stage crate A, module by module (e.g. `diff bigram mlp`).
    Diff {
        /// The earlier stage: a crate name under crates/.
        a: String,
        /// The later stage.
        b: String,
        /// Print only the per-module summary of lines added and removed.
        #[arg(long)]
        stat: bool,
        /// Lines of unchanged context around each change.
        #[arg(short = 'U', long, default_value_t = 3)]
        context: usize,
        /// Colour the diff: auto (on a terminal, unless NO_COLOR is set), always or never.
        #[arg(long, value_enum, default_value_t = When::Auto)]
        color: When,
    },
    /// Train every stage on the same data and split; plot their validation losses side by side
    /// (loss.png, loss.svg) and summarise them (summary.md), with the run logs, in --out.
    Compare {
        /// One document per line (default: the repo's data/names.txt).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where the runs, the figure and the summary go (default: runs/compare in the workspace).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Tiny budgets: checks that every stage runs, in under a minute (after building).
        #[arg(long)]
        quick: bool,
        /// Only these stages, comma-separated (e.g. `bigram,mlp`; `bigram` is both bigram stages).
        #[arg(long, value_delimiter = ',')]
        stages: Option<Vec<String>>,
        /// Also write the table as the book's snippet (lectures/snippets/compare-summary.md, quoted by
        /// the README) and the figure into lectures/src/figures: the full comparison only, on the
        /// repo's data, into the default --out. Run it on an idle machine.
        #[arg(long, conflicts_with_all = ["data", "out", "quick", "stages"])]
        snippets: bool,
    },
    /// Measure performance in one place: ms per training step of every stage, microGPT's 1000 steps
    /// (median wall time, peak memory), the tensor engine's reference models, and PyTorch's where it
    /// is installed. Writes bench.md in --out.
    Bench {
        /// Where bench.md goes (default: runs/bench in the workspace).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fewer steps and repetitions: checks that the benchmark runs, not a measurement.
        #[arg(long, conflicts_with = "snippets")]
        quick: bool,
        /// Also write each table as the book's snippet (lectures/snippets/bench-*.md, run-*.md), to be
        /// copied into the chapters and README by `cargo xtask lectures --sync`. Run it on an idle machine.
        #[arg(long)]
        snippets: bool,
    },
    /// Train one model (microGPT's) on each rung of the ladder from micrograd's scalar nodes to the
    /// batched tensor trainer, from the same initial weights and on the same names; write the table
    /// (ladder.md), the figure (ladder.png, ladder.svg) and every rung's run in --out.
    Ladder {
        /// Where the runs, the table and the figure go (default: runs/ladder in the workspace).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A smoke test: 1/100 of the training, labelled as such.
        #[arg(long, conflicts_with = "snippets")]
        quick: bool,
        /// Also write the table as the book's snippet (lectures/snippets/ladder.md) and the figure into
        /// lectures/src/figures, into the default --out. Run it on an idle machine.
        #[arg(long, conflicts_with = "out")]
        snippets: bool,
    },
    /// Regenerate every figure the lectures show, into lectures/src/figures (or --out).
    Figures {
        /// Where the figures go (default: lectures/src/figures in the workspace).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum When {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let root = workspace_root();
    match cli.command {
        // `--check` is required: checking is the one thing this command does.
        Command::Lectures { sync: true, .. } => {
            let (changed, problems) = lectures::sync_book(&root.join("lectures"))?;
            for chapter in &changed {
                println!("synced {}", chapter.display());
            }
            for p in &problems {
                eprintln!("{p}");
            }
            println!("lectures: {} chapter(s) rewritten, {} problem(s)", changed.len(), problems.len());
            Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Lectures { .. } => {
            let problems = lectures::check_book(&root.join("lectures"), &root)?;
            if problems.is_empty() {
                println!("lectures: every listing matches its source, every include and chapter resolves");
                return Ok(ExitCode::SUCCESS);
            }
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("lectures: {} problem(s)", problems.len());
            Ok(ExitCode::FAILURE)
        }
        Command::Compare { data, out, quick, stages, snippets } => {
            let opts = compare::Options {
                data: data.unwrap_or_else(|| root.join("data").join("names.txt")),
                out: out.unwrap_or_else(|| root.join("runs").join("compare")),
                quick,
                stages,
            };
            let report = compare::compare(&root, &opts)?;
            for r in &report.results {
                match &r.outcome {
                    Outcome::Trained(t) => {
                        let val = compare::summary::Totals::of(&t.records).and_then(|t| t.val_loss);
                        let val = val.map_or_else(|| "no val loss".into(), |v| format!("val loss {v:.4}"));
                        println!("{:>14}: {val}", r.name);
                    }
                    Outcome::Missing => println!("{:>14}: missing (its crate does not exist yet)", r.name),
                    Outcome::Failed(e) => println!("{:>14}: FAILED: {e}", r.name),
                }
            }
            if let Some(fig) = &report.figure {
                println!("wrote {} and {}", fig.png.display(), fig.svg.display());
            }
            println!("wrote {}", report.summary.display());
            if snippets && report.all_trained() {
                println!(
                    "wrote {} and compare-summary.md beside it",
                    compare::write_snippet(&root, &report)?.display()
                );
                println!(
                    "{}",
                    figures::compare_figure(&root, &root.join("lectures").join("src").join("figures"))
                );
            } else if snippets {
                println!("a stage failed: no snippet written");
            }
            Ok(if report.all_trained() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Bench { out, quick, snippets } => {
            let out = out.unwrap_or_else(|| root.join("runs").join("bench"));
            let report = bench::bench(&root, &out, quick, snippets)?;
            print!("{}", report.markdown);
            println!("wrote {}", report.path.display());
            Ok(if report.complete { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Ladder { out, quick, snippets } => {
            let budget = if quick { ladder::Budget::QUICK } else { ladder::Budget::FULL };
            let out = out.unwrap_or_else(|| root.join("runs").join("ladder"));
            let report = ladder::ladder(&root, &ladder::Options { out, budget, quick })?;
            print!("{}", report.markdown);
            println!(
                "wrote {}, {} and {}",
                report.table.display(),
                report.figure.png.display(),
                report.figure.svg.display()
            );
            if snippets {
                println!("wrote {}", ladder::write_snippet(&root, &report)?.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures { out } => {
            let out = out.unwrap_or_else(|| root.join("lectures").join("src").join("figures"));
            let report = figures::figures(&root, &out)?;
            for line in &report.lines {
                println!("{line}");
            }
            Ok(if report.complete { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Diff { a, b, stat, context, color } => {
            let (src_a, src_b) = (diff::crate_src(&root, &a)?, diff::crate_src(&root, &b)?);
            let label = |name: &str| format!("crates/{name}/src");
            let mut diffs = diff::diff_dirs(&src_a, &src_b, &label(&a), &label(&b), context)?;
            let shown = xtask::shown::Shown::from_book(&root)?;
            diff::count_shown(&mut diffs, &root, Path::new(&label(&b)), &shown);
            let color = match color {
                When::Always => Color::Always,
                When::Never => Color::Never,
                When::Auto if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() => {
                    Color::Always
                }
                When::Auto => Color::Never,
            };
            let report = diff::render(&a, &b, &diffs, stat, color);
            match std::io::stdout().lock().write_all(report.as_bytes()) {
                // `cargo xtask diff a b | head` closing the pipe early is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
    }
}
