//! The files a tokenizer is kept in, in minbpe's formats, and tiktoken's ranks:
//!
//! - `.model` (minbpe's `save`/`load`): `minbpe v1`, the split pattern (empty for the basic kind), the
//!   number of special tokens, one `name id` line each, then the merges, one `left right` line each in
//!   the order learned (merge `i` makes token `256 + i`). A file written here loads in minbpe and the
//!   other way round.
//! - `.vocab`: every token for a human to read, `[left][right] -> [token] id`, as minbpe writes it.
//! - `.tiktoken`: each token's bytes in base64, a space, its rank (= its id), a line each: what
//!   `tiktoken.load.load_tiktoken_bpe` reads.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::Error;
use crate::pattern::SplitPattern;
use crate::{BYTES, MAX_VOCAB_SIZE, TokenId, Tokenizer};

/// The first line of every minbpe model file.
pub const VERSION: &str = "minbpe v1";

// ANCHOR: save
/// The `.model` text of `tok`, byte for byte what minbpe's `save` writes.
pub fn model_text(tok: &Tokenizer) -> String {
    let mut out = format!("{VERSION}\n{}\n{}\n", tok.pattern(), tok.special_tokens().len());
    for (name, id) in tok.special_tokens() {
        let _ = writeln!(out, "{name} {id}");
    }
    for (a, b) in tok.merges() {
        let _ = writeln!(out, "{a} {b}");
    }
    out
}
// ANCHOR_END: save

/// Reads a `.model` text (minbpe's `load`), checking everything a corrupt or foreign file could get
/// wrong.
pub fn parse_model(text: &str) -> Result<Tokenizer, Error> {
    let corrupt = |line: usize, why: &str| Error::Model(format!("corrupt model file, line {line}: {why}"));
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    if lines.next().map(|(_, l)| l) != Some(VERSION) {
        return Err(Error::Model(format!("not a minbpe model file: its first line is not `{VERSION}`")));
    }
    let (_, pattern) = lines.next().ok_or_else(|| corrupt(2, "the file ends before the pattern line"))?;
    let count = lines.next().ok_or_else(|| corrupt(3, "the file ends before the special-token count"))?;
    let count: usize = count.1.parse().map_err(|_| corrupt(3, "the special-token count is not a number"))?;
    let mut special = Vec::new();
    for k in 0..count {
        let (n, line) = lines.next().ok_or_else(|| corrupt(4 + k, "fewer special tokens than counted"))?;
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [name, id] => special.push((
                name.to_owned(),
                id.parse().map_err(|_| corrupt(n, "a special token's id is not a number"))?,
            )),
            _ => return Err(corrupt(n, "a special-token line is not `name id`")),
        }
    }
    let mut merges = Vec::new();
    for (n, line) in lines {
        let ids: Vec<Option<TokenId>> = line.split_whitespace().map(|s| s.parse().ok()).collect();
        match ids[..] {
            [Some(a), Some(b)] => merges.push((a, b)),
            _ => return Err(corrupt(n, "a merge line is not two token ids")),
        }
        if BYTES as usize + merges.len() > MAX_VOCAB_SIZE {
            return Err(corrupt(n, &format!("more merges than a vocabulary of {MAX_VOCAB_SIZE} holds")));
        }
    }
    let pattern = match pattern {
        "" => None,
        p => Some(SplitPattern::new(p).map_err(|e| corrupt(2, &e.0))?),
    };
    Tokenizer::from_parts(pattern, merges, special)
        .map_err(|e| Error::Model(format!("corrupt model file: {e}")))
}

/// The `.vocab` text, as minbpe's `save` writes it: each token rendered with invalid UTF-8 replaced
/// and control characters escaped, merged tokens with the two they were merged from.
pub fn vocab_text(tok: &Tokenizer) -> String {
    let mut out = String::new();
    for id in 0..tok.vocab_size() as TokenId {
        let s = render_token(tok.token_bytes(id).expect("ids below vocab_size are tokens"));
        match id.checked_sub(BYTES) {
            None => _ = writeln!(out, "[{s}] {id}"),
            Some(i) => {
                let (a, b) = tok.merges()[i as usize];
                let render = |t| render_token(tok.token_bytes(t).expect("merges use existing tokens"));
                let _ = writeln!(out, "[{}][{}] -> [{s}] {id}", render(a), render(b));
            }
        }
    }
    for (name, id) in tok.special_tokens() {
        let _ = writeln!(out, "[{}] {id}", render_token(name.as_bytes()));
    }
    out
}

/// A token for printing: bytes that are not UTF-8 become U+FFFD, and characters of Unicode's "Other"
/// categories (controls, formats, unassigned) become `\uXXXX`, as minbpe's `render_token` does.
pub fn render_token(bytes: &[u8]) -> String {
    static OTHER: LazyLock<fancy_regex::Regex> =
        LazyLock::new(|| fancy_regex::Regex::new(r"^\p{C}$").expect("a Unicode class compiles"));
    let mut out = String::new();
    let mut buf = [0u8; 4];
    for ch in String::from_utf8_lossy(bytes).chars() {
        if OTHER.is_match(ch.encode_utf8(&mut buf)).unwrap_or(false) {
            let _ = write!(out, "\\u{:04x}", u32::from(ch));
        } else {
            out.push(ch);
        }
    }
    out
}

// ANCHOR: tiktoken
/// tiktoken's ranks: every token's bytes in base64 and its id, a line each. Fails if two tokens have
/// the same bytes (possible in byte-level BPE; a bytes-to-rank table cannot hold both).
pub fn tiktoken_ranks(tok: &Tokenizer) -> Result<String, Error> {
    let mut seen: HashMap<&[u8], TokenId> = HashMap::new();
    let mut out = String::new();
    for id in 0..tok.vocab_size() as TokenId {
        let bytes = tok.token_bytes(id).expect("ids below vocab_size are tokens");
        if let Some(first) = seen.insert(bytes, id) {
            return Err(Error::DuplicateToken { first, second: id });
        }
        let _ = writeln!(out, "{} {id}", BASE64.encode(bytes));
    }
    Ok(out)
}
// ANCHOR_END: tiktoken

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Trainer};

    #[test]
    fn tokens_render_as_minbpe_renders_them() {
        assert_eq!(render_token(b"ab"), "ab");
        assert_eq!(render_token(b"\n"), "\\u000a");
        assert_eq!(render_token(b"\xe2\x80\x8b"), "\\u200b"); // zero-width space: a format character
        assert_eq!(render_token(b"\xff"), "\u{fffd}");
    }

    #[test]
    fn vocab_lines_show_what_each_merge_joined() {
        let tok = Tokenizer::train(Kind::Basic, "aaabdaaabac", 259, Trainer::Fast).unwrap();
        let text = vocab_text(&tok);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 259);
        assert_eq!(lines[10], "[\\u000a] 10");
        assert_eq!(lines[97], "[a] 97");
        assert_eq!(&lines[256..], ["[a][a] -> [aa] 256", "[aa][a] -> [aaa] 257", "[aaa][b] -> [aaab] 258"]);
    }

    #[test]
    fn ranks_are_base64_and_id() {
        let tok = Tokenizer::train(Kind::Basic, "aaabdaaabac", 259, Trainer::Fast).unwrap();
        let ranks = tiktoken_ranks(&tok).unwrap();
        let lines: Vec<&str> = ranks.lines().collect();
        assert_eq!((lines[0], lines[97], lines[258]), ("AA== 0", "YQ== 97", "YWFhYg== 258"));
    }

    #[test]
    fn duplicate_tokens_cannot_be_ranks() {
        // (a, aa) and (aa, a) both spell "aaa".
        let tok = Tokenizer::from_parts(None, vec![(97, 97), (97, 256), (256, 97)], vec![]).unwrap();
        assert_eq!(tiktoken_ranks(&tok).unwrap_err(), Error::DuplicateToken { first: 257, second: 258 });
    }
}
