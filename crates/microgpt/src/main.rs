//! The stage's binary: `train`, `sample`, and with no subcommand both, as the lecture runs them.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    harness::cli::main::<microgpt::Stage>() // scalars only: no tensor code to run on a worker
}
