//! The stage's binary: `train`, `sample`, and with no subcommand both, as the lecture runs them.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    autograd::on_worker(harness::cli::main::<nanogpt::Stage>)
}
