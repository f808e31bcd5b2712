//! The character vocabulary, as microGPT builds it:
//!
//! ```python
//! uchars = sorted(set(''.join(docs)))  # ids 0..n-1, by code point
//! BOS = len(uchars)                    # one more token: begin/end of sequence
//! vocab_size = len(uchars) + 1
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Characters ↔ token ids. Serialisable (as the string of its characters) so a checkpoint's config can
/// carry the vocabulary its weights were trained with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "VocabRepr", into = "VocabRepr")]
pub struct Vocab {
    /// Sorted by code point, no repeats: a character's id is its index.
    chars: Vec<char>,
}

/// A character the vocabulary has never seen, so it has no id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChar {
    /// The character.
    pub ch: char,
    /// Its 0-based character (not byte) index in the text being encoded.
    pub position: usize,
    /// The text being encoded.
    pub text: String,
}

impl fmt::Display for UnknownChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown character {:?} (U+{:04X}) at position {} of {:?}: the vocabulary holds only the characters of the training data",
            self.ch,
            self.ch as u32,
            self.position + 1,
            self.text
        )
    }
}

impl std::error::Error for UnknownChar {}

impl Vocab {
    /// `sorted(set(''.join(docs)))`.
    pub fn from_docs<S: AsRef<str>>(docs: &[S]) -> Self {
        let chars: BTreeSet<char> = docs.iter().flat_map(|d| d.as_ref().chars()).collect();
        Self { chars: chars.into_iter().collect() }
    }

    /// `vocab_size`: the characters plus BOS.
    #[allow(clippy::len_without_is_empty)] // never empty: BOS is always there
    pub fn len(&self) -> usize {
        self.chars.len() + 1
    }

    /// The id of BOS, the token that starts and ends every document: one past the last character.
    pub fn bos(&self) -> usize {
        self.chars.len()
    }

    /// The characters, in id order.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of `c`, if the vocabulary has it.
    pub fn stoi(&self, c: char) -> Option<usize> {
        self.chars.binary_search(&c).ok()
    }

    /// The character of `id`, with BOS shown as `'.'` (makemore's spelling of the boundary token).
    ///
    /// # Panics
    /// If `id >= self.len()`: ids come from this vocabulary, so that is a bug, not bad input.
    pub fn itos(&self, id: usize) -> char {
        match id.cmp(&self.bos()) {
            std::cmp::Ordering::Less => self.chars[id],
            std::cmp::Ordering::Equal => '.',
            std::cmp::Ordering::Greater => panic!("token id {id} out of range for vocab_size {}", self.len()),
        }
    }

    /// The ids of `text`'s characters (no BOS added).
    pub fn encode(&self, text: &str) -> Result<Vec<usize>, UnknownChar> {
        text.chars().enumerate().map(|(position, ch)| self.id_at(ch, position, text)).collect()
    }

    /// The id of `ch`, found at `position` in `text` (which the error quotes).
    fn id_at(&self, ch: char, position: usize, text: &str) -> Result<usize, UnknownChar> {
        self.stoi(ch).ok_or_else(|| UnknownChar { ch, position, text: text.to_owned() })
    }

    /// `[BOS] + encode(doc) + [BOS]`: a document as the model trains on it.
    pub fn encode_with_bos(&self, doc: &str) -> Result<Vec<usize>, UnknownChar> {
        let mut ids = Vec::with_capacity(doc.len() + 2);
        ids.push(self.bos());
        for (position, ch) in doc.chars().enumerate() {
            ids.push(self.id_at(ch, position, doc)?);
        }
        ids.push(self.bos());
        Ok(ids)
    }

    /// The text of `ids`, BOS shown as `'.'` as in makemore's samples (`"emma."`).
    ///
    /// # Panics
    /// If an id is out of range (see [`Vocab::itos`]).
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter().map(|&id| self.itos(id)).collect()
    }
}

/// What a vocabulary looks like in JSON: `{"chars": "abc…"}`.
#[derive(Serialize, Deserialize)]
struct VocabRepr {
    chars: String,
}

impl From<Vocab> for VocabRepr {
    fn from(v: Vocab) -> Self {
        Self { chars: v.chars.into_iter().collect() }
    }
}

impl TryFrom<VocabRepr> for Vocab {
    type Error = String;

    /// Refuses a hand-edited vocabulary whose ids would not be `sorted(set(...))`'s.
    fn try_from(r: VocabRepr) -> Result<Self, String> {
        let chars: Vec<char> = r.chars.chars().collect();
        if chars.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("vocabulary {:?} is not sorted and unique", r.chars));
        }
        Ok(Self { chars })
    }
}
