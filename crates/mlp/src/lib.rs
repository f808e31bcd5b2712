//! Stage 3 — mlp: embeddings, a context window and a hidden layer (Bengio et al. 2003).
//!
//! makemore parts 2, 3 and 5. Each character gets a learned vector (an embedding); the model reads the
//! last `block_size` of them, concatenated, through a tanh hidden layer to logits for the next
//! character, trained on minibatches. Then the fixes of part 3 (initialisation scaled to keep tanh alive,
//! batch norm) and part 5's WaveNet-style hierarchy, which fuses the context two neighbours at a time.
#![forbid(unsafe_code)]

pub mod config;
pub mod figures;
pub mod model;
pub mod sample;
pub mod train;
