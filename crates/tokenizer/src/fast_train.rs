//! The fast trainer: the same merges as [`crate::plain::train`], without counting everything again.
//!
//! The plain trainer recounts every pair of the whole text once per merge. But a merge of `(a, b)` into
//! `z` changes only the pairs next to where `(a, b)` occurred: `(x, a)` and `(b, y)` lose one, `(x, z)`
//! and `(z, y)` gain one, and nothing else moves. So:
//!
//! - **Count once.** Pieces of text that repeat (the regex split's " the", " and", ...) are stored once
//!   with their number of occurrences as a weight. All of them are laid end to end in one array of
//!   tokens, linked to their neighbours within their piece, in the order each piece first appears.
//! - **Update locally.** For every pair we keep its count and the positions where it occurs. Merging
//!   visits only those positions and adjusts the counts of the neighbouring pairs.
//! - **Pick the best from a heap** of `(count, first position)` entries. Entries go stale as counts fall;
//!   a stale entry is noticed when it comes to the top and pushed back with its current value.
//!
//! **Ties, exactly as minbpe breaks them.** minbpe takes the first pair of its dict among the most
//! frequent, and its dict is rebuilt every step by scanning the current tokens (chunk after chunk, left
//! to right), so the winner is the top-count pair that occurs *earliest in the current text*. Merging
//! keeps the order of tokens, and our pieces are laid out in the order they first appear, so "earliest
//! in the text" is "smallest position in our array". The heap orders entries by count, then by smallest
//! first position.
//!
//! Two facts make the lazy heap exact. A pair that exists before a merge can only lose occurrences (every
//! new neighbourhood contains the new token), so its count only falls and its first position only moves
//! right: a heap entry can overstate its pair, never understate it. And a pair at a position, once gone,
//! never comes back (tokens there are only replaced by newer ones), so positions can be checked lazily:
//! a position is still an occurrence if the tokens there still spell the pair.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::{BYTES, Pair, TokenId};

/// Marks "no neighbour" (the end of a piece) and a position merged away.
const NONE: u32 = u32::MAX;

/// A piece of text and how many times it occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece<'a> {
    pub bytes: &'a [u8],
    pub count: u64,
}

/// Every distinct piece once, with its count, in the order of first appearance: what the trainer
/// needs from a list of chunks.
pub fn dedup<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Piece<'a>> {
    let mut index: FxHashMap<&[u8], usize> = FxHashMap::default();
    let mut pieces: Vec<Piece> = Vec::new();
    for bytes in chunks {
        let i = *index.entry(bytes).or_insert_with(|| {
            pieces.push(Piece { bytes, count: 0 });
            pieces.len() - 1
        });
        pieces[i].count += 1;
    }
    pieces
}

/// The tokens of all pieces laid end to end, each linked to its neighbours within its piece.
struct Text {
    tok: Vec<TokenId>,
    /// The next and previous live position in the same piece, or NONE.
    next: Vec<u32>,
    prev: Vec<u32>,
    /// How many times the piece this position belongs to occurs.
    weight: Vec<u64>,
}

impl Text {
    fn new(pieces: &[Piece]) -> Self {
        let n: usize = pieces.iter().map(|p| p.bytes.len()).sum();
        assert!(
            n < NONE as usize,
            "the trainer indexes positions with u32: at most 4 GiB of distinct pieces"
        );
        let mut text = Text {
            tok: Vec::with_capacity(n),
            next: Vec::with_capacity(n),
            prev: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
        };
        for piece in pieces {
            let start = text.tok.len() as u32;
            let len = piece.bytes.len() as u32;
            for (i, &b) in piece.bytes.iter().enumerate() {
                let i = i as u32;
                text.tok.push(TokenId::from(b));
                text.prev.push(if i == 0 { NONE } else { start + i - 1 });
                text.next.push(if i + 1 == len { NONE } else { start + i + 1 });
                text.weight.push(piece.count);
            }
        }
        text
    }

    /// Whether `pair` still occurs at position `p`.
    fn has(&self, p: u32, pair: Pair) -> bool {
        let p = p as usize;
        let q = self.next[p];
        self.tok[p] == pair.0 && q != NONE && self.tok[q as usize] == pair.1
    }
}

/// Pair counts and where each pair occurs.
#[derive(Default)]
struct Pairs {
    count: FxHashMap<Pair, u64>,
    /// Positions, ascending; some may be stale (checked with [`Text::has`] when used).
    at: FxHashMap<Pair, Vec<u32>>,
}

impl Pairs {
    fn add(&mut self, pair: Pair, p: u32, w: u64) {
        *self.count.entry(pair).or_insert(0) += w;
        self.at.entry(pair).or_default().push(p);
    }

    fn remove(&mut self, pair: Pair, w: u64) {
        if let Some(c) = self.count.get_mut(&pair) {
            *c -= w;
            if *c == 0 {
                self.count.remove(&pair);
                self.at.remove(&pair);
            }
        }
    }

    /// The first position where `pair` still occurs, dropping stale positions before it.
    fn first(&mut self, pair: Pair, text: &Text) -> Option<u32> {
        let at = self.at.get_mut(&pair)?;
        let live = at.iter().position(|&p| text.has(p, pair))?;
        at.drain(..live);
        Some(at[0])
    }
}

/// A heap entry: most frequent first, then earliest.
type Entry = (u64, Reverse<u32>, Pair);

/// Learns up to `num_merges` merges from `pieces` (from [`dedup`], or one piece holding the whole text).
/// The result equals [`crate::plain::train`] on the chunks the pieces came from.
pub fn train(pieces: &[Piece], num_merges: usize) -> Vec<Pair> {
    let mut text = Text::new(pieces);
    let mut pairs = Pairs::default();
    // Count once: every pair of neighbours, weighted by its piece's count, positions in order.
    for p in 0..text.tok.len() {
        let q = text.next[p];
        if q != NONE {
            pairs.add((text.tok[p], text.tok[q as usize]), p as u32, text.weight[p]);
        }
    }
    let mut heap: BinaryHeap<Entry> =
        pairs.count.iter().map(|(&pair, &c)| (c, Reverse(pairs.at[&pair][0]), pair)).collect();

    let mut merges = Vec::with_capacity(num_merges);
    let mut touched: Vec<Pair> = Vec::new();
    while merges.len() < num_merges {
        let Some(pair) = pop_best(&mut heap, &mut pairs, &text) else { break };
        let z = BYTES + merges.len() as TokenId;
        merges.push(pair);

        // Merge left to right at every position where the pair still occurs.
        let positions = pairs.at.remove(&pair).unwrap_or_default();
        pairs.count.remove(&pair);
        touched.clear();
        for p in positions {
            if !text.has(p, pair) {
                continue; // merged away as the right half of the occurrence just before
            }
            let (pu, q) = (p as usize, text.next[p as usize] as usize);
            let (l, r, w) = (text.prev[pu], text.next[q], text.weight[pu]);
            // (x, a) and (b, y) disappear...
            if l != NONE {
                pairs.remove((text.tok[l as usize], pair.0), w);
            }
            if r != NONE {
                pairs.remove((pair.1, text.tok[r as usize]), w);
            }
            // ...a b becomes z...
            text.tok[pu] = z;
            text.tok[q] = NONE;
            text.next[pu] = r;
            if r != NONE {
                text.prev[r as usize] = p;
            }
            // ...and (x, z) and (z, y) appear.
            if l != NONE {
                let new = (text.tok[l as usize], z);
                pairs.add(new, l, w);
                touched.push(new);
            }
            if r != NONE {
                let new = (z, text.tok[r as usize]);
                pairs.add(new, p, w);
                touched.push(new);
            }
        }
        // The new pairs enter the heap with their counts after the whole merge.
        touched.sort_unstable();
        touched.dedup();
        for &new in &touched {
            let first = pairs.first(new, &text);
            if let (Some(&c), Some(first)) = (pairs.count.get(&new), first) {
                heap.push((c, Reverse(first), new));
            }
        }
    }
    merges
}

/// Pops heap entries until one is up to date, which is then the most frequent pair, earliest among
/// equals; stale entries go back with their current count and first position.
fn pop_best(heap: &mut BinaryHeap<Entry>, pairs: &mut Pairs, text: &Text) -> Option<Pair> {
    while let Some((count, Reverse(first), pair)) = heap.pop() {
        let Some(&now) = pairs.count.get(&pair) else { continue }; // merged, or no longer occurs
        if now == count && text.has(first, pair) {
            return Some(pair);
        }
        if let Some(first) = pairs.first(pair, text) {
            heap.push((now, Reverse(first), pair));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_counted_in_order_of_first_appearance() {
        let chunks: [&[u8]; 5] = [b"b", b"a", b"b", b"c", b"a"];
        let pieces = dedup(chunks);
        let got: Vec<(&[u8], u64)> = pieces.iter().map(|p| (p.bytes, p.count)).collect();
        assert_eq!(got, [(&b"b"[..], 2), (&b"a"[..], 2), (&b"c"[..], 1)]);
    }

    #[test]
    fn same_merges_as_the_plain_trainer_on_small_cases() {
        let cases: [&[&[u8]]; 5] = [
            &[b"aaabdaaabac"],
            &[b"aaaaaaa"],
            &[b"abababab", b"ab", b"ba"],
            &[b" the", b" cat", b" the", b" hat", b" at"],
            &[b"xyxyzzyx", b"zz", b"yxyx"],
        ];
        for chunks in cases {
            let plain = crate::plain::train(chunks, 20);
            let fast = train(&dedup(chunks.iter().copied()), 20);
            assert_eq!(fast, plain, "{chunks:?}");
        }
    }

    #[test]
    fn ties_go_to_the_pair_earliest_in_the_text() {
        // (c, d) and (a, b) both occur twice; (c, d) occurs first.
        assert_eq!(train(&dedup([&b"cdab"[..], b"abcd"]), 1), [(99, 100)]);
        assert_eq!(train(&dedup([&b"abcd"[..], b"cdab"]), 1), [(97, 98)]);
    }
}
