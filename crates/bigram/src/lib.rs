//! Stage 2 — bigram: the simplest language model, learned twice.
//!
//! makemore part 1. Count how often each character follows each other one, normalise the counts into
//! probabilities, and sample names one character at a time. Then build the same model as a neural
//! network — one-hot input, one weight matrix, softmax — and train it by gradient descent on the
//! negative log-likelihood: it ends where counting started, because both maximise the same likelihood.
#![forbid(unsafe_code)]

pub mod config;
pub mod figures;
pub mod model;
pub mod sample;
pub mod train;
