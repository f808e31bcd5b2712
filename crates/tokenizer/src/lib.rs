//! Byte-level byte-pair encoding, as in Karpathy's [minbpe](https://github.com/karpathy/minbpe).
//!
//! Text is bytes; a tokenizer learns, from a training text, which pairs of neighbouring tokens to merge
//! into new tokens, most frequent first, until it has the vocabulary asked for. Two kinds:
//! [`Kind::Basic`] merges across the whole text, [`Kind::Regex`] first splits it with GPT-4's pattern so
//! that no token spans a word and the punctuation after it.
//!
//! - [`plain`]: minbpe's algorithm as the lecture explains it (recount everything once per merge).
//! - [`fast_train`], [`fast_encode`]: the same results, counted once and updated locally; tested equal
//!   to [`plain`] and to minbpe's own output.
//! - [`pattern`]: the regex split; [`special`]: special tokens; [`tokenizer`]: the [`Tokenizer`].
//! - [`model_file`]: minbpe's `.model` and `.vocab` files, tiktoken's ranks; [`files`]: writing them
//!   without losing anything that was there.
//! - [`bench`]: the timings `cargo xtask bench` reports.

#![forbid(unsafe_code)]

pub mod bench;
pub mod error;
pub mod fast_encode;
pub mod fast_train;
pub mod files;
pub mod model_file;
pub mod pattern;
pub mod plain;
pub mod special;
pub mod tokenizer;

pub use error::Error;
pub use special::AllowedSpecial;
pub use tokenizer::{Kind, Tokenizer, Trainer};

/// A token's id: 0..=255 are the bytes, then one per merge, then special tokens.
pub type TokenId = u32;

/// Two neighbouring tokens.
pub type Pair = (TokenId, TokenId);

/// The tokens every byte-level BPE starts with.
pub const BYTES: TokenId = 256;

/// The largest vocabulary accepted: well above GPT-4o's 200,019, and a bound on what a mistyped size
/// can make us allocate.
pub const MAX_VOCAB_SIZE: usize = 1 << 20;
