//! `cargo xtask`: the repository's chores. See the library docs for how commands are laid out.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use xtask::diff::{self, Color};
use xtask::{lectures, workspace_root};

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
        /// Check that every {{#include}} in the chapters names a file, line range or ANCHOR pair that
        /// exists, and that every chapter SUMMARY.md lists exists. Exits 1 listing what is missing.
        #[arg(long, required = true)]
        check: bool,
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
        Command::Lectures { check: _ } => {
            let problems = lectures::check_book(&root.join("lectures"), &root)?;
            if problems.is_empty() {
                println!("lectures: every include and chapter resolves");
                return Ok(ExitCode::SUCCESS);
            }
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("lectures: {} problem(s)", problems.len());
            Ok(ExitCode::FAILURE)
        }
        Command::Diff { a, b, stat, context, color } => {
            let (src_a, src_b) = (diff::crate_src(&root, &a)?, diff::crate_src(&root, &b)?);
            let label = |name: &str| format!("crates/{name}/src");
            let diffs = diff::diff_dirs(&src_a, &src_b, &label(&a), &label(&b), context)?;
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
