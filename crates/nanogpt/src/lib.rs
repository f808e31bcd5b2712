//! Stage 4 — nanoGPT: a GPT on tensors.
//!
//! The MLP of the last stage looked at a fixed window of characters. Attention lets every position
//! look back at every earlier one and choose what to take from each, and a stack of such blocks is
//! GPT-2. Everything runs on whole (B, T, C) tensors, so a step trains on 32 names at once — and with
//! microgpt's choices and weights it computes exactly microgpt's numbers (tests/equivalence.rs).
#![forbid(unsafe_code)]

pub mod attention;
pub mod bench;
pub mod config;
pub mod data;
pub mod equivalence;
pub mod layers;
pub mod mlp;
pub mod model;
pub mod sample;
pub mod train;
