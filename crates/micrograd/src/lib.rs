//! Stage 1, micrograd: a scalar that remembers how it was computed can tell how to change its inputs.
//!
//! [`autograd::Value`] records every `+`, `*` and `tanh` on a tape, and `backward()` runs the chain rule
//! over it in one reverse pass. On that engine alone this crate builds micrograd's neural net ([`nn`]),
//! trains it on two moons ([`moons`]), draws expression graphs ([`graph`]), and, as the first entry in the
//! lineage, a character-level bigram language model on names, one scalar at a time ([`model`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod graph;
pub mod model;
pub mod moons;
pub mod nn;
pub mod sample;
pub mod train;
