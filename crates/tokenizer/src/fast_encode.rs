//! The fast encoder: the same ids as [`crate::plain::encode_chunk`], in O(n log n) instead of one scan
//! of the chunk per merge applied.
//!
//! The plain encoder applies, again and again, the earliest-learned merge present anywhere in the chunk,
//! at all its occurrences left to right. Here every pair of neighbours that is a merge goes into a heap
//! keyed by (new id, position): popping the heap visits exactly that order, because a merge can only
//! create pairs with a newer token, which were learned later. Neighbours are a linked list, so a merge is
//! O(1); entries made stale by a merge next to them are skipped when popped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::{Pair, TokenId};

const NONE: u32 = u32::MAX;

/// Encodes one chunk's bytes, appending its ids to `out`. `merges` maps a pair to the token it became;
/// every merge must only combine tokens older than itself (as trained and loaded merges do).
pub fn encode_chunk(bytes: &[u8], merges: &FxHashMap<Pair, TokenId>, out: &mut Vec<TokenId>) {
    let n = bytes.len();
    if n < 2 {
        out.extend(bytes.iter().map(|&b| TokenId::from(b)));
        return;
    }
    assert!(n < NONE as usize, "a chunk of 4 GiB or more");
    let mut tok: Vec<TokenId> = bytes.iter().map(|&b| TokenId::from(b)).collect();
    let mut next: Vec<u32> = (1..=n as u32).collect();
    next[n - 1] = NONE;
    let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
    prev[0] = NONE;

    let merge_at = |tok: &[TokenId], next: &[u32], p: u32| -> Option<TokenId> {
        let q = next[p as usize];
        if q == NONE || tok[p as usize] == NONE {
            return None;
        }
        merges.get(&(tok[p as usize], tok[q as usize])).copied()
    };
    let mut heap: BinaryHeap<Reverse<(TokenId, u32)>> =
        (0..n as u32 - 1).filter_map(|p| merge_at(&tok, &next, p).map(|idx| Reverse((idx, p)))).collect();

    while let Some(Reverse((idx, p))) = heap.pop() {
        // Stale if p was merged away or its pair has changed since (ids name pairs one to one).
        if merge_at(&tok, &next, p) != Some(idx) {
            continue;
        }
        let pu = p as usize;
        let q = next[pu] as usize;
        let r = next[q];
        tok[pu] = idx;
        tok[q] = NONE;
        next[pu] = r;
        if r != NONE {
            prev[r as usize] = p;
        }
        let l = prev[pu];
        if l != NONE
            && let Some(new) = merge_at(&tok, &next, l)
        {
            heap.push(Reverse((new, l)));
        }
        if let Some(new) = merge_at(&tok, &next, p) {
            heap.push(Reverse((new, p)));
        }
    }
    let mut p = 0;
    while p != NONE {
        out.push(tok[p as usize]);
        p = next[p as usize];
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn table(merges: &[Pair]) -> (FxHashMap<Pair, TokenId>, HashMap<Pair, TokenId>) {
        let fast = merges.iter().enumerate().map(|(i, &p)| (p, 256 + i as TokenId)).collect();
        let plain = merges.iter().enumerate().map(|(i, &p)| (p, 256 + i as TokenId)).collect();
        (fast, plain)
    }

    #[test]
    fn same_ids_as_the_plain_encoder() {
        let text: &[u8] = b"aaabdaaabac aaaa abab the cat in the hat";
        let merges = crate::plain::train(&[text], 12);
        let (fast, plain) = table(&merges);
        for chunk in [&b""[..], b"a", b"aa", b"aaa", b"aaaaa", b"abab", text, b"zzz the hat"] {
            let mut out = Vec::new();
            encode_chunk(chunk, &fast, &mut out);
            assert_eq!(
                out,
                crate::plain::encode_chunk(chunk, &plain),
                "{:?}",
                String::from_utf8_lossy(chunk)
            );
        }
    }
}
