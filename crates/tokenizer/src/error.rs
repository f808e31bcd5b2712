//! What can go wrong, each in one line a user can act on.

use std::fmt;

use crate::TokenId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A vocabulary smaller than the 256 byte tokens.
    VocabTooSmall(usize),
    /// A vocabulary beyond [`crate::MAX_VOCAB_SIZE`].
    VocabTooLarge(usize),
    /// Nothing to train on.
    EmptyText,
    /// A text of 4 GiB or more: positions are u32.
    TooLarge(usize),
    /// The text ran out of pairs to merge before the vocabulary was full.
    NotEnoughText { vocab_size: usize, reached: usize },
    /// The split pattern does not compile, or gave up on a text.
    Pattern(String),
    /// The regex tokenizer was given bytes that are not UTF-8.
    NotUtf8,
    /// The text holds a special token and the caller did not say what to do with it.
    SpecialInText(String),
    /// A special token that cannot be registered (the reason says why).
    BadSpecial(String),
    /// An id that is neither a token nor a special token of this tokenizer.
    UnknownId(TokenId),
    /// A model file that is not minbpe's format, or is corrupt (the reason says where).
    Model(String),
    /// Two tokens with the same bytes: tiktoken's ranks (bytes to rank) cannot hold both.
    DuplicateToken { first: TokenId, second: TokenId },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::VocabTooSmall(n) => {
                write!(f, "vocabulary size {n} is below 256: byte-level BPE starts from the 256 byte values")
            }
            Error::VocabTooLarge(n) => {
                write!(f, "vocabulary size {n} is absurd: at most {} is supported", crate::MAX_VOCAB_SIZE)
            }
            Error::EmptyText => write!(f, "the training text is empty"),
            Error::TooLarge(n) => write!(f, "a text of {n} bytes is too large: the limit is 4 GiB"),
            Error::NotEnoughText { vocab_size, reached } => write!(
                f,
                "the text has too few pairs for a vocabulary of {vocab_size}: merging stops at {reached} tokens"
            ),
            Error::Pattern(why) => write!(f, "{why}"),
            Error::NotUtf8 => write!(f, "the text is not valid UTF-8, which the regex tokenizer needs"),
            Error::SpecialInText(s) => write!(
                f,
                "the text contains the special token {s:?}: allow special tokens (all) or treat them as text (none)"
            ),
            Error::BadSpecial(why) => write!(f, "bad special token: {why}"),
            Error::UnknownId(id) => write!(f, "token id {id} is not in the vocabulary"),
            Error::Model(why) => write!(f, "{why}"),
            Error::DuplicateToken { first, second } => write!(
                f,
                "tokens {first} and {second} have the same bytes, which tiktoken's ranks format cannot hold"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::pattern::PatternError> for Error {
    fn from(e: crate::pattern::PatternError) -> Self {
        Error::Pattern(e.0)
    }
}
