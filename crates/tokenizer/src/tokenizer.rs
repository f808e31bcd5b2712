//! The tokenizer: what training learned (the merges, and the split pattern for the regex kind), special
//! tokens, and encoding and decoding with them.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::pattern::SplitPattern;
use crate::special::{self, AllowedSpecial, Part};
use crate::{BYTES, MAX_VOCAB_SIZE, Pair, TokenId, fast_encode, fast_train, plain};

/// Which of minbpe's two tokenizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `BasicTokenizer`: BPE on the raw bytes of the whole text.
    Basic,
    /// `RegexTokenizer`: the text is first split with GPT-4's pattern; no token crosses two pieces.
    Regex,
}

/// Which trainer computes the merges: both give the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trainer {
    /// minbpe's algorithm: recount every pair once per merge ([`crate::plain`]).
    Plain,
    /// Count once, update locally ([`crate::fast_train`]).
    Fast,
}

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// `None` for the basic kind.
    pattern: Option<SplitPattern>,
    /// Merge `i` made token `256 + i` from this pair.
    merges: Vec<Pair>,
    /// The same, looked up by pair.
    ranks: FxHashMap<Pair, TokenId>,
    /// Every token's bytes, by id: the 256 bytes, then one per merge.
    vocab: Vec<Vec<u8>>,
    /// Special tokens and their ids, in the order they were registered.
    special: Vec<(String, TokenId)>,
}

impl Tokenizer {
    /// Trains a tokenizer of `kind` with `vocab_size` tokens (256 bytes plus `vocab_size - 256` merges)
    /// on `text`.
    pub fn train(kind: Kind, text: &str, vocab_size: usize, trainer: Trainer) -> Result<Self, Error> {
        match kind {
            Kind::Basic => Self::train_bytes(text.as_bytes(), vocab_size, trainer),
            Kind::Regex => {
                let pattern = SplitPattern::gpt4();
                let chunks = pattern.split(text)?;
                let chunks: Vec<&[u8]> = chunks.iter().map(|c| c.as_bytes()).collect();
                let merges = learn(&chunks, vocab_size, trainer)?;
                Self::from_parts(Some(pattern), merges, Vec::new())
            }
        }
    }

    /// Trains a basic tokenizer on raw bytes, which need not be UTF-8.
    pub fn train_bytes(bytes: &[u8], vocab_size: usize, trainer: Trainer) -> Result<Self, Error> {
        let merges = learn(&[bytes], vocab_size, trainer)?;
        Self::from_parts(None, merges, Vec::new())
    }

    /// A tokenizer from its parts, checked: every merge combines tokens that exist before it, no pair is
    /// merged twice, special tokens have names a model file can hold and ids of their own.
    pub fn from_parts(
        pattern: Option<SplitPattern>,
        merges: Vec<Pair>,
        special: Vec<(String, TokenId)>,
    ) -> Result<Self, Error> {
        let mut vocab: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        let mut ranks = FxHashMap::default();
        for (i, &(a, b)) in merges.iter().enumerate() {
            let idx = BYTES + i as TokenId;
            if a >= idx || b >= idx {
                return Err(Error::Model(format!("merge {} ({a} {b}) uses a token not made yet", i + 1)));
            }
            if ranks.insert((a, b), idx).is_some() {
                return Err(Error::Model(format!("merge {} ({a} {b}) repeats an earlier merge", i + 1)));
            }
            let token = [vocab[a as usize].as_slice(), vocab[b as usize].as_slice()].concat();
            vocab.push(token);
        }
        let mut tok = Tokenizer { pattern, merges, ranks, vocab, special: Vec::new() };
        tok.register_special_tokens(special)?;
        Ok(tok)
    }

    /// Adds special tokens (e.g. `("<|endoftext|>", 100257)`). Their ids must be outside the merged
    /// vocabulary and distinct.
    pub fn register_special_tokens(&mut self, special: Vec<(String, TokenId)>) -> Result<(), Error> {
        // All or nothing: check them all before keeping any.
        let mut all = self.special.clone();
        for (name, id) in special {
            special::check_name(&name)?;
            if (id as usize) < self.vocab.len() {
                return Err(Error::BadSpecial(format!("{name:?} has id {id}, which is a merged token's")));
            }
            if let Some((other, _)) = all.iter().find(|(n, i)| *n == name || *i == id) {
                return Err(Error::BadSpecial(format!("{name:?} ({id}) clashes with {other:?}")));
            }
            all.push((name, id));
        }
        self.special = all;
        Ok(())
    }

    pub fn kind(&self) -> Kind {
        if self.pattern.is_some() { Kind::Regex } else { Kind::Basic }
    }

    /// The split pattern's source (empty for the basic kind, as minbpe stores it).
    pub fn pattern(&self) -> &str {
        self.pattern.as_ref().map_or("", |p| p.source())
    }

    pub fn merges(&self) -> &[Pair] {
        &self.merges
    }

    pub fn special_tokens(&self) -> &[(String, TokenId)] {
        &self.special
    }

    /// Tokens made of bytes: 256 plus one per merge (special tokens not counted).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The bytes of a byte or merged token.
    pub fn token_bytes(&self, id: TokenId) -> Option<&[u8]> {
        self.vocab.get(id as usize).map(Vec::as_slice)
    }

    /// The pieces the text is split into before merging: the regex split, or the whole text.
    fn chunks<'t>(&self, text: &'t str) -> Result<Vec<&'t str>, Error> {
        match &self.pattern {
            Some(p) => Ok(p.split(text)?),
            None => Ok(vec![text]),
        }
    }

    /// Encodes `text` with no special tokens: any text that spells one is ordinary text.
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<TokenId>, Error> {
        check_size(text.len())?;
        let mut ids = Vec::with_capacity(text.len() / 2);
        // A piece that occurs again (" the") is encoded once.
        let mut seen: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
        for chunk in self.chunks(text)? {
            if let Some(&(start, end)) = seen.get(chunk) {
                ids.extend_from_within(start..end);
                continue;
            }
            let start = ids.len();
            fast_encode::encode_chunk(chunk.as_bytes(), &self.ranks, &mut ids);
            seen.insert(chunk, (start, ids.len()));
        }
        Ok(ids)
    }

    /// [`Self::encode_ordinary`] the plain way ([`plain::encode_chunk`]), for the tests and the chapter.
    pub fn encode_ordinary_plain(&self, text: &str) -> Result<Vec<TokenId>, Error> {
        let merges: HashMap<Pair, TokenId> = self.ranks.iter().map(|(&p, &i)| (p, i)).collect();
        Ok(self.chunks(text)?.iter().flat_map(|c| plain::encode_chunk(c.as_bytes(), &merges)).collect())
    }

    /// Encodes raw bytes. The basic kind takes any bytes; the regex kind needs UTF-8 to split on.
    pub fn encode_bytes(&self, bytes: &[u8]) -> Result<Vec<TokenId>, Error> {
        check_size(bytes.len())?;
        match self.kind() {
            Kind::Basic => {
                let mut ids = Vec::with_capacity(bytes.len() / 2);
                fast_encode::encode_chunk(bytes, &self.ranks, &mut ids);
                Ok(ids)
            }
            Kind::Regex => self.encode_ordinary(std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8)?),
        }
    }

    // ANCHOR: encode
    /// Encodes `text`, turning the special tokens `allowed` into their ids (minbpe's `encode`).
    pub fn encode(&self, text: &str, allowed: &AllowedSpecial) -> Result<Vec<TokenId>, Error> {
        let special: Vec<(String, TokenId)> = match allowed {
            AllowedSpecial::All => self.special.clone(),
            AllowedSpecial::None => Vec::new(),
            AllowedSpecial::NoneRaise => {
                if let Some((name, _)) = self.special.iter().find(|(name, _)| text.contains(name.as_str())) {
                    return Err(Error::SpecialInText(name.clone()));
                }
                Vec::new()
            }
            AllowedSpecial::Some(names) => {
                self.special.iter().filter(|(n, _)| names.contains(n)).cloned().collect()
            }
        };
        let mut ids = Vec::new();
        for part in special::split(text, &special) {
            match part {
                Part::Special(id) => ids.push(id),
                Part::Text(t) => ids.extend(self.encode_ordinary(t)?),
            }
        }
        Ok(ids)
    }
    // ANCHOR_END: encode

    // ANCHOR: decode
    /// The bytes of `ids`, joined. They need not be UTF-8: a token can hold part of a character.
    pub fn decode(&self, ids: &[TokenId]) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        for &id in ids {
            match self.vocab.get(id as usize) {
                Some(token) => bytes.extend_from_slice(token),
                None => match self.special.iter().find(|&&(_, i)| i == id) {
                    Some((name, _)) => bytes.extend_from_slice(name.as_bytes()),
                    None => return Err(Error::UnknownId(id)),
                },
            }
        }
        Ok(bytes)
    }
    // ANCHOR_END: decode

    /// [`Self::decode`] as text, with U+FFFD for bytes that are not UTF-8 (minbpe's `errors="replace"`).
    pub fn decode_lossy(&self, ids: &[TokenId]) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.decode(ids)?).into_owned())
    }
}

/// The trainer and encoder index positions with u32.
fn check_size(bytes: usize) -> Result<(), Error> {
    if bytes >= u32::MAX as usize { Err(Error::TooLarge(bytes)) } else { Ok(()) }
}

/// Checks the vocabulary size and text, then learns the merges with `trainer`.
fn learn(chunks: &[&[u8]], vocab_size: usize, trainer: Trainer) -> Result<Vec<Pair>, Error> {
    if vocab_size < BYTES as usize {
        return Err(Error::VocabTooSmall(vocab_size));
    }
    if vocab_size > MAX_VOCAB_SIZE {
        return Err(Error::VocabTooLarge(vocab_size));
    }
    if chunks.iter().all(|c| c.is_empty()) {
        return Err(Error::EmptyText);
    }
    check_size(chunks.iter().map(|c| c.len()).sum())?;
    let num_merges = vocab_size - BYTES as usize;
    let merges = match trainer {
        Trainer::Plain => plain::train(chunks, num_merges),
        Trainer::Fast => fast_train::train(&fast_train::dedup(chunks.iter().copied()), num_merges),
    };
    if merges.len() < num_merges {
        return Err(Error::NotEnoughText { vocab_size, reached: BYTES as usize + merges.len() });
    }
    Ok(merges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_sizes_are_checked() {
        assert_eq!(
            Tokenizer::train(Kind::Basic, "abc", 255, Trainer::Fast).unwrap_err(),
            Error::VocabTooSmall(255)
        );
        let huge = MAX_VOCAB_SIZE + 1;
        assert_eq!(
            Tokenizer::train(Kind::Regex, "abc", huge, Trainer::Fast).unwrap_err(),
            Error::VocabTooLarge(huge)
        );
        assert_eq!(Tokenizer::train(Kind::Regex, "", 300, Trainer::Fast).unwrap_err(), Error::EmptyText);
        assert_eq!(
            Tokenizer::train(Kind::Basic, "abc", 300, Trainer::Fast).unwrap_err(),
            Error::NotEnoughText { vocab_size: 300, reached: 258 }
        );
        let t = Tokenizer::train(Kind::Basic, "abc", 256, Trainer::Fast).unwrap();
        assert_eq!((t.vocab_size(), t.encode_ordinary("abc").unwrap()), (256, vec![97, 98, 99]));
    }

    #[test]
    fn special_tokens_follow_allowed_special() {
        let mut t = Tokenizer::train(Kind::Regex, "hello world, hello there", 260, Trainer::Fast).unwrap();
        t.register_special_tokens(vec![("<|endoftext|>".into(), 1000)]).unwrap();
        let text = "hello<|endoftext|>";
        let plain = t.encode_ordinary(text).unwrap();
        assert_eq!(t.encode(text, &AllowedSpecial::None).unwrap(), plain);
        assert_eq!(
            t.encode(text, &AllowedSpecial::NoneRaise).unwrap_err(),
            Error::SpecialInText("<|endoftext|>".into())
        );
        let all = t.encode(text, &AllowedSpecial::All).unwrap();
        assert_eq!(all.last(), Some(&1000));
        assert_eq!(all, t.encode(text, &AllowedSpecial::Some(vec!["<|endoftext|>".into()])).unwrap());
        assert_eq!(t.encode(text, &AllowedSpecial::Some(vec![])).unwrap(), plain);
        assert_eq!(t.decode(&all).unwrap(), text.as_bytes());
        assert_eq!(t.decode(&[1001]).unwrap_err(), Error::UnknownId(1001));
    }

    #[test]
    fn special_ids_must_be_new() {
        let mut t = Tokenizer::train(Kind::Basic, "aaaa", 257, Trainer::Fast).unwrap();
        assert!(t.register_special_tokens(vec![("<|x|>".into(), 256)]).is_err());
        assert!(t.register_special_tokens(vec![("<|x|>".into(), 300), ("<|y|>".into(), 300)]).is_err());
    }

    #[test]
    fn merges_must_build_on_tokens_that_exist() {
        assert!(Tokenizer::from_parts(None, vec![(97, 256)], vec![]).is_err());
        assert!(Tokenizer::from_parts(None, vec![(97, 97), (97, 97)], vec![]).is_err());
        let t = Tokenizer::from_parts(None, vec![(97, 97), (256, 256)], vec![]).unwrap();
        assert_eq!(t.token_bytes(257), Some(&b"aaaa"[..]));
    }
}
