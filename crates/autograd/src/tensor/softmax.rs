//! Softmax over the last axis (numerically stable) and the causal mask that keeps a position from
//! attending to the future.

use super::Tensor;
use super::fastmath;
use super::parallel::rows_mut;
use super::tape::{Grads, Op, Saved, with};

/// Forward, one row: `y = e^(x - max) / Σ e^(x - max)`. Subtracting the max changes nothing
/// mathematically and keeps every exponent ≤ 0, so nothing overflows even for logits of 1e4.
fn softmax_row(x: &[f32], y: &mut [f32]) {
    let max = fastmath::max(x);
    if max == f32::NEG_INFINITY {
        // Every entry masked: the row attends to nothing (PyTorch would give NaN).
        y.fill(0.0);
        return;
    }
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = fastmath::exp(x - max));
    let inv = 1.0 / fastmath::sum(y);
    y.iter_mut().for_each(|y| *y *= inv);
}

/// Backward, one row: with `y` the softmax, `dx_i = y_i (g_i - Σ_j g_j y_j)`.
pub(super) fn softmax_backward(s: &Saved, grads: &mut Grads, x: u32, node: u32, g: &[f32]) {
    let n = s.shape(x).last().max(1);
    let y = s.data(node);
    let Some(dx) = grads.get(x) else { return };
    for ((dx, y), g) in dx.chunks_exact_mut(n).zip(y.chunks_exact(n)).zip(g.chunks_exact(n)) {
        let dot = fastmath::dot(y, g);
        for i in 0..n {
            dx[i] += y[i] * (g[i] - dot);
        }
    }
}

/// Forward: entries above the diagonal of each (T, T) matrix become -∞, so softmax gives them weight 0:
/// token t may only look at tokens 0..=t.
fn causal_mask_forward(x: &[f32], rows: usize, cols: usize, y: &mut [f32]) {
    for (x, y) in x.chunks_exact((rows * cols).max(1)).zip(y.chunks_exact_mut((rows * cols).max(1))) {
        for i in 0..rows {
            // With more columns than rows (queries for the last positions of a longer sequence), row i
            // is position i + (cols - rows).
            let visible = (i + 1 + cols - rows).min(cols);
            let (xr, yr) = (&x[i * cols..(i + 1) * cols], &mut y[i * cols..(i + 1) * cols]);
            yr[..visible].copy_from_slice(&xr[..visible]);
            yr[visible..].fill(f32::NEG_INFINITY);
        }
    }
}

/// Backward: the visible entries pass their gradient through; masked ones had no effect.
pub(super) fn causal_mask_backward(s: &Saved, grads: &mut Grads, x: u32, g: &[f32]) {
    let shape = s.shape(x);
    let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let Some(dx) = grads.get(x) else { return };
    for (dx, g) in dx.chunks_exact_mut((rows * cols).max(1)).zip(g.chunks_exact((rows * cols).max(1))) {
        for i in 0..rows {
            let visible = (i + 1 + cols - rows).min(cols);
            dx[i * cols..i * cols + visible].iter_mut().zip(&g[i * cols..]).for_each(|(d, &g)| *d += g);
        }
    }
}

impl Tensor {
    /// Softmax over the last axis.
    pub fn softmax(self) -> Tensor {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            let n = shape.last().max(1);
            let mut y = t.alloc(shape.numel());
            let xs = t.data(x);
            rows_mut(&mut y, n, |first, block| {
                let xs = &xs[first * n..][..block.len()];
                for (x, y) in xs.chunks_exact(n).zip(block.chunks_exact_mut(n)) {
                    softmax_row(x, y);
                }
            });
            t.push(shape, Op::Softmax { x }, t.requires_grad(x), y)
        })
    }

    /// Sets the entries above the diagonal of the last two dims (T, T) to -∞: the causal mask of a
    /// decoder, `att.masked_fill(tril == 0, -inf)` in nanoGPT. Apply `softmax` after it.
    pub fn causal_mask(self) -> Tensor {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            assert!(shape.len() >= 2, "causal_mask: needs (..., T, T), got {shape:?}");
            let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
            assert!(rows <= cols, "causal_mask: more query rows than key columns in {shape:?}");
            let mut y = t.alloc(shape.numel());
            causal_mask_forward(t.data(x), rows, cols, &mut y);
            t.push(shape, Op::CausalMask { x }, t.requires_grad(x), y)
        })
    }
}
