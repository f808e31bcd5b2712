//! Indexing: embedding lookup (gather rows), picking one element per row, and slicing along an axis.
//! Each backward sends gradients back to where the numbers came from, adding
//! when one number was read several times (a token that appears twice in a batch).

use super::Tensor;
use super::shape::Shape;
use super::tape::{Grads, Op, Saved, with};

impl Tensor {
    /// Embedding lookup: row `ids[i]` of this (V, C) table for every index. The result has shape
    /// `ids_shape` + `[C]`: `wte.embedding(&idx, &[B, T])` is (B, T, C). Indices must be below V.
    pub fn embedding(self, ids: &[usize], ids_shape: &[usize]) -> Tensor {
        with(|t| {
            let table = t.id(self);
            let shape = t.shape(table);
            assert_eq!(shape.len(), 2, "embedding: the table must be (V, C), got {shape:?}");
            let (v, c) = (shape[0], shape[1]);
            let count: usize = ids_shape.iter().product();
            assert_eq!(ids.len(), count, "embedding: {} indices for index shape {ids_shape:?}", ids.len());
            let mut saved = t.alloc_ids();
            saved.extend(ids.iter().map(|&i| {
                assert!(i < v, "embedding: index {i} is out of range for a table of {v} rows");
                i as u32
            }));
            let mut out = t.alloc(ids.len() * c);
            let data = t.data(table);
            for (row, &i) in out.chunks_exact_mut(c.max(1)).zip(&saved) {
                row.copy_from_slice(&data[i as usize * c..][..c]);
            }
            let mut out_shape = ids_shape.to_vec();
            out_shape.push(c);
            let req = t.requires_grad(table);
            t.push_saved(Shape::new(&out_shape), Op::Embedding { table }, req, out, None, Some(saved))
        })
    }
}

/// Backward: scatter-add. Row `ids[i]` of the table's gradient gets the gradient of output row `i`.
pub(super) fn embedding_backward(s: &Saved, grads: &mut Grads, table: u32, node: u32, g: &[f32]) {
    let c = s.shape(table)[1];
    let Some(dtable) = grads.get(table) else { return };
    for (grow, &i) in g.chunks_exact(c.max(1)).zip(s.ids(node)) {
        let drow = &mut dtable[i as usize * c..][..c];
        drow.iter_mut().zip(grow).for_each(|(d, &g)| *d += g);
    }
}

impl Tensor {
    /// `self[i, ids[i]]` for each row `i` of a (N, V) tensor: makemore's `logprobs[range(n), Yb]`.
    pub fn pick(self, ids: &[usize]) -> Tensor {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            assert_eq!(shape.len(), 2, "pick: needs a (N, V) tensor, got {shape:?}");
            let (n, v) = (shape[0], shape[1]);
            assert_eq!(ids.len(), n, "pick: {} indices for {n} rows", ids.len());
            let mut saved = t.alloc_ids();
            saved.extend(ids.iter().map(|&i| {
                assert!(i < v, "pick: index {i} is out of range for rows of {v}");
                i as u32
            }));
            let mut out = t.alloc(n);
            let data = t.data(x);
            for (r, (o, &i)) in out.iter_mut().zip(&saved).enumerate() {
                *o = data[r * v + i as usize];
            }
            let req = t.requires_grad(x);
            t.push_saved(Shape::new(&[n]), Op::Pick { x }, req, out, None, Some(saved))
        })
    }
}

pub(super) fn pick_backward(s: &Saved, grads: &mut Grads, x: u32, node: u32, g: &[f32]) {
    let v = s.shape(x)[1];
    let Some(dx) = grads.get(x) else { return };
    for (r, (&g, &i)) in g.iter().zip(s.ids(node)).enumerate() {
        dx[r * v + i as usize] += g;
    }
}

/// Copies blocks between a tensor seen as (outer, n, inner) around an axis and a narrower one seen as
/// (outer, len, inner) that starts at `start` along it: `f(wide_block, narrow_block)` per outer index.
fn blocks(
    outer: usize,
    n: usize,
    inner: usize,
    start: usize,
    len: usize,
) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..outer).map(move |o| ((o * n + start) * inner, o * len * inner, len * inner))
}

impl Tensor {
    /// Elements `start..start + len` along `axis` (PyTorch's `narrow`, or `x[:, start:start+len]`).
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Tensor {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            let d = shape.axis(axis, "narrow");
            assert!(
                start + len <= shape[d],
                "narrow: {start}..{} is out of range for dim {d} of {shape:?}",
                start + len
            );
            let (outer, n, inner) = shape.split_at_axis(d);
            let out_shape = shape.with(d, len);
            let mut out = t.alloc(out_shape.numel());
            let data = t.data(x);
            for (from, to, count) in blocks(outer, n, inner, start, len) {
                out[to..to + count].copy_from_slice(&data[from..from + count]);
            }
            t.push(out_shape, Op::Narrow { x, axis: d as u8, start: start as u32 }, t.requires_grad(x), out)
        })
    }
}

/// Backward: the slice's gradient goes back into its place; the rest of the input gets nothing.
pub(super) fn narrow_backward(
    s: &Saved,
    grads: &mut Grads,
    x: u32,
    axis: u8,
    start: u32,
    node: u32,
    g: &[f32],
) {
    let (outer, n, inner) = s.shape(x).split_at_axis(axis as usize);
    let len = s.shape(node)[axis as usize];
    let Some(dx) = grads.get(x) else { return };
    for (from, to, count) in blocks(outer, n, inner, start as usize, len) {
        dx[from..from + count].iter_mut().zip(&g[to..to + count]).for_each(|(d, &g)| *d += g);
    }
}
