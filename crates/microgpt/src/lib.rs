//! Stage 5 — microGPT: the whole GPT on scalars.
//!
//! Karpathy's microGPT trains and samples a GPT-2-like transformer in ~200 lines of dependency-free
//! Python, every number a scalar `Value`. This crate is that program, section for section, on the
//! scalar engine of stage 1 — and it prints what the Python prints, to the last digit. Read it
//! beside nanogpt: the same algorithm, with every tensor taken apart into scalars. Everything else
//! is just efficiency.
#![forbid(unsafe_code)]

pub mod config;
pub mod eval;
pub mod model;
pub mod sample;
pub mod train;

/// The stage's name in run logs and checkpoints.
pub const STAGE: &str = "microgpt";
