//! Byte-pair encoding the plain way, as minbpe writes it and as the chapter explains it: count every
//! pair, merge the most frequent, and count again from scratch, once per new token.
//!
//! This is the lesson. [`crate::fast_train`] and [`crate::fast_encode`] compute exactly the same merges
//! and encodings much faster, and the tests hold them to that.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::{Pair, TokenId};

// ANCHOR: get_stats
/// Adds the count of every pair of neighbours in `ids` to `counts`.
///
/// `counts` remembers the order in which pairs were first seen, as a Python dict does: when two
/// pairs are equally frequent, the one seen first wins (see [`most_frequent`]).
pub fn get_stats(ids: &[TokenId], counts: &mut IndexMap<Pair, u64>) {
    for pair in ids.windows(2) {
        *counts.entry((pair[0], pair[1])).or_insert(0) += 1;
    }
}
// ANCHOR_END: get_stats

// ANCHOR: most_frequent
/// The pair with the highest count; among equals, the first one counted. This is what Python's
/// `max(stats, key=stats.get)` returns. (Rust's `Iterator::max_by_key` would return the *last* of
/// equals, and train a different tokenizer.)
pub fn most_frequent(counts: &IndexMap<Pair, u64>) -> Option<Pair> {
    let mut best: Option<(Pair, u64)> = None;
    for (&pair, &count) in counts {
        if best.is_none_or(|(_, top)| count > top) {
            best = Some((pair, count));
        }
    }
    best.map(|(pair, _)| pair)
}
// ANCHOR_END: most_frequent

// ANCHOR: merge
/// Replaces every occurrence of `pair` in `ids` by the new token `idx`, scanning left to right, so
/// that `a a a` with the pair `(a, a)` becomes `idx a`.
pub fn merge(ids: &[TokenId], pair: Pair, idx: TokenId) -> Vec<TokenId> {
    let mut out = Vec::with_capacity(ids.len());
    let mut i = 0;
    while i < ids.len() {
        if i + 1 < ids.len() && (ids[i], ids[i + 1]) == pair {
            out.push(idx);
            i += 2;
        } else {
            out.push(ids[i]);
            i += 1;
        }
    }
    out
}
// ANCHOR_END: merge

// ANCHOR: train
/// Learns up to `num_merges` merges from `chunks`, the text's pieces in order (the whole text as one
/// chunk for the basic tokenizer; the regex split's pieces for the regex one). Merge `i` mints token
/// `256 + i`. Stops early if no pair is left to merge.
pub fn train(chunks: &[&[u8]], num_merges: usize) -> Vec<Pair> {
    // Every chunk starts as its bytes: the 256 tokens we begin with.
    let mut ids: Vec<Vec<TokenId>> =
        chunks.iter().map(|c| c.iter().map(|&b| TokenId::from(b)).collect()).collect();
    let mut merges = Vec::with_capacity(num_merges);
    for i in 0..num_merges {
        // Count every pair of neighbours, within chunks (never across two).
        let mut stats = IndexMap::new();
        for chunk in &ids {
            get_stats(chunk, &mut stats);
        }
        let Some(pair) = most_frequent(&stats) else { break };
        // Mint a new token for it and replace the pair everywhere.
        let idx = crate::BYTES + i as TokenId;
        for chunk in &mut ids {
            *chunk = merge(chunk, pair, idx);
        }
        merges.push(pair);
    }
    merges
}
// ANCHOR_END: train

// ANCHOR: encode
/// Encodes one chunk: start from its bytes and apply the learned merges in the order they were learned,
/// always the earliest one that applies somewhere, until none does. `merges` maps a pair to the token
/// it became.
pub fn encode_chunk(bytes: &[u8], merges: &HashMap<Pair, TokenId>) -> Vec<TokenId> {
    let mut ids: Vec<TokenId> = bytes.iter().map(|&b| TokenId::from(b)).collect();
    while ids.len() >= 2 {
        // The pair that was merged earliest in training (the lowest new id) among those present.
        let earliest =
            ids.windows(2).filter_map(|w| merges.get(&(w[0], w[1])).map(|&idx| (idx, (w[0], w[1])))).min();
        let Some((idx, pair)) = earliest else { break };
        ids = merge(&ids, pair, idx);
    }
    ids
}
// ANCHOR_END: encode

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_overlapping_pairs_in_first_seen_order() {
        let mut stats = IndexMap::new();
        get_stats(&[1, 2, 3, 1, 2], &mut stats);
        assert_eq!(stats.into_iter().collect::<Vec<_>>(), [((1, 2), 2), ((2, 3), 1), ((3, 1), 1)]);
        let mut stats = IndexMap::new();
        get_stats(&[7, 7, 7], &mut stats);
        assert_eq!(stats[&(7, 7)], 2);
    }

    #[test]
    fn ties_go_to_the_pair_seen_first() {
        let mut stats = IndexMap::new();
        get_stats(&[5, 6, 1, 2, 5, 6, 1, 2], &mut stats);
        // (5, 6) and (6, 1) and (1, 2) all occur twice: (5, 6) was counted first.
        assert_eq!(most_frequent(&stats), Some((5, 6)));
        assert_eq!(most_frequent(&IndexMap::new()), None);
    }

    #[test]
    fn merge_scans_left_to_right() {
        assert_eq!(merge(&[1, 2, 3, 1, 2], (1, 2), 4), [4, 3, 4]);
        assert_eq!(merge(&[7, 7, 7], (7, 7), 9), [9, 7]);
        assert_eq!(merge(&[7, 7, 7, 7], (7, 7), 9), [9, 9]);
        assert_eq!(merge(&[1], (1, 2), 4), [1]);
    }

    #[test]
    fn training_on_aaabdaaabac_breaks_ties_as_minbpe() {
        // Wikipedia's example merges aa -> Z, then ab -> Y, then ZY. But after aa -> Z the text is
        // "ZabdZabac", where (Z, a) and (a, b) both occur twice; minbpe takes (Z, a), seen first.
        // (minbpe's BasicTokenizer gives {(97, 97): 256, (256, 97): 257, (257, 98): 258}.)
        let merges = train(&[b"aaabdaaabac"], 3);
        let (a, b) = (TokenId::from(b'a'), TokenId::from(b'b'));
        assert_eq!(merges, [(a, a), (256, a), (257, b)]);
        let table: HashMap<Pair, TokenId> =
            merges.iter().enumerate().map(|(i, &p)| (p, 256 + i as u32)).collect();
        assert_eq!(encode_chunk(b"aaabdaaabac", &table), [258, 100, 258, 97, 99]);
    }

    #[test]
    fn training_stops_when_no_pair_is_left() {
        assert_eq!(train(&[b"ab"], 5), [(97, 98)]);
        assert_eq!(train(&[b"a", b"b"], 5), []);
    }
}
