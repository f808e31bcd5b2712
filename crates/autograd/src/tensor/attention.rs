//! Causal scaled dot-product attention as one op: `softmax(mask(q kᵀ / √D)) v` for every (batch, head),
//! PyTorch's `F.scaled_dot_product_attention(q, k, v, is_causal=True)`.
//!
//! It computes exactly what `q.matmul_t(k) * scale`, `causal_mask`, `softmax` and `matmul(v)` compute
//! (the tests check it), but keeps the (T, T) attention matrices inside the op: no four intermediate
//! tensors to store and walk back through, and one parallel pass over the (batch, head) pairs.

use std::cell::RefCell;

use super::Tensor;
use super::fastmath;
use super::matmul::{Mat, PAR_WORK, for_each_item, gemm};
use super::tape::{Grads, Op, Saved, with};

thread_local! {
    /// Scratch for the backward's dS matrices, kept between steps so steps do not allocate.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Row `i` of a causal softmax: weights on columns 0..=i, zeros after.
fn causal_softmax_row(s: &mut [f32], i: usize) {
    let (visible, future) = s.split_at_mut(i + 1);
    let max = fastmath::max(visible);
    visible.iter_mut().for_each(|v| *v = fastmath::exp(*v - max));
    let inv = 1.0 / fastmath::sum(visible);
    visible.iter_mut().for_each(|v| *v *= inv);
    future.fill(0.0);
}

/// Up to this many multiply-adds per (T, T)·(T, D) product, plain loops that skip the masked half beat
/// a call to sgemm (whose packing costs more than a 16 × 16 product); above it, sgemm.
const SMALL: usize = 1 << 15;

/// The three products attention needs, on one (batch, head) item. `w` is a (T, T) matrix that is zero
/// above the diagonal (attention weights, or their gradient), `a`, `b`, `m` are (T, D).
///
/// s = a·bᵀ on and below the diagonal (the rest is left for the mask to overwrite).
fn lower_dots(a: &[f32], b: &[f32], t: usize, d: usize, s: &mut [f32]) {
    if t * t * d > SMALL {
        let td = Mat::stored(0, t, d, false);
        return gemm((a, td), (b, td.t()), 0.0, s);
    }
    for i in 0..t {
        for j in 0..=i {
            s[i * t + j] = fastmath::dot(&a[i * d..][..d], &b[j * d..][..d]);
        }
    }
}

/// out = w·m (+ out if `add`): row i of out is Σ_{j ≤ i} w_ij m_j.
fn lower_times(w: &[f32], m: &[f32], t: usize, d: usize, out: &mut [f32], add: bool) {
    if t * t * d > SMALL {
        let (tt, td) = (Mat::stored(0, t, t, false), Mat::stored(0, t, d, false));
        return gemm((w, tt), (m, td), if add { 1.0 } else { 0.0 }, out);
    }
    if !add {
        out.fill(0.0);
    }
    for i in 0..t {
        let oi = &mut out[i * d..][..d];
        for j in 0..=i {
            let wij = w[i * t + j];
            oi.iter_mut().zip(&m[j * d..][..d]).for_each(|(o, &x)| *o += wij * x);
        }
    }
}

/// out = wᵀ·m (+ out if `add`): row j of out is Σ_{i ≥ j} w_ij m_i.
fn lower_t_times(w: &[f32], m: &[f32], t: usize, d: usize, out: &mut [f32], add: bool) {
    if t * t * d > SMALL {
        let (tt, td) = (Mat::stored(0, t, t, false), Mat::stored(0, t, d, false));
        return gemm((w, tt.t()), (m, td), if add { 1.0 } else { 0.0 }, out);
    }
    if !add {
        out.fill(0.0);
    }
    for i in 0..t {
        let mi = &m[i * d..][..d];
        for j in 0..=i {
            let wij = w[i * t + j];
            out[j * d..][..d].iter_mut().zip(mi).for_each(|(o, &x)| *o += wij * x);
        }
    }
}

// ANCHOR: attention
/// Forward for one (batch, head): P = causal_softmax(q kᵀ · scale), (T, T), saved; y = P v, (T, D).
fn forward_item(q: &[f32], k: &[f32], v: &[f32], t: usize, d: usize, p: &mut [f32], y: &mut [f32]) {
    let scale = 1.0 / (d as f32).sqrt();
    lower_dots(q, k, t, d, p); // scores, (T, T)
    for (i, row) in p.chunks_exact_mut(t).enumerate() {
        row[..=i].iter_mut().for_each(|s| *s *= scale);
        causal_softmax_row(row, i);
    }
    lower_times(p, v, t, d, y, false);
}

/// Backward, with dy the output's gradient (per item, all (T, T) or (T, D)):
/// dv = Pᵀ dy;  dP = dy vᵀ;  dS = P ∘ (dP - rowsum(P ∘ dP)) (softmax's backward, masked entries have
/// P = 0);  dq = dS k · scale;  dk = dSᵀ q · scale.
pub(super) fn backward(s: &Saved, grads: &mut Grads, q: u32, k: u32, v: u32, node: u32, g: &[f32]) {
    let shape = s.shape(q);
    let (t, d) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let items = shape.numel() / (t * d).max(1);
    let scale = 1.0 / (d as f32).sqrt();
    let (qs, ks, vs, p) = (s.data(q), s.data(k), s.data(v), s.aux(node));
    let (tt, td) = (t * t, t * d);
    let work = items * t * t * d;
    if let Some((dv, fresh)) = grads.get_fresh(v) {
        for_each_item(dv, items, work, true, |i, dv, _| {
            lower_t_times(&p[i * tt..][..tt], &g[i * td..][..td], t, d, dv, !fresh)
        });
    }
    SCRATCH.with_borrow_mut(|ds| {
        ds.resize(items * tt, 0.0);
        for_each_item(ds, items, work, true, |i, ds, _| {
            let (pi, gi, vi) = (&p[i * tt..][..tt], &g[i * td..][..td], &vs[i * td..][..td]);
            lower_dots(gi, vi, t, d, ds); // dP
            for (r, (row, pr)) in ds.chunks_exact_mut(t).zip(pi.chunks_exact(t)).enumerate() {
                // Above the diagonal P is 0, and so is dS.
                let (dsr, future) = row.split_at_mut(r + 1);
                let pr = &pr[..=r];
                let dot = fastmath::dot(dsr, pr);
                dsr.iter_mut().zip(pr).for_each(|(x, &p)| *x = p * (*x - dot) * scale);
                future.fill(0.0);
            }
        });
        let ds = &ds[..];
        if let Some((dq, fresh)) = grads.get_fresh(q) {
            for_each_item(dq, items, work, true, |i, dq, _| {
                lower_times(&ds[i * tt..][..tt], &ks[i * td..][..td], t, d, dq, !fresh)
            });
        }
        if let Some((dk, fresh)) = grads.get_fresh(k) {
            for_each_item(dk, items, work, true, |i, dk, _| {
                lower_t_times(&ds[i * tt..][..tt], &qs[i * td..][..td], t, d, dk, !fresh)
            });
        }
    });
}
// ANCHOR_END: attention

impl Tensor {
    /// Causal self-attention: for q, k, v of shape (..., T, D) (usually (B, n_head, T, D)), each
    /// position's output is the average of the values of positions up to it, weighted by
    /// softmax(q·k / √D). One fused op; the same numbers as
    /// `(q.matmul_t(k) * (1/√D)).causal_mask().softmax().matmul(v)`.
    pub fn causal_attention(self, k: Tensor, v: Tensor) -> Tensor {
        with(|tp| {
            let (q, k, v) = (tp.id(self), tp.id(k), tp.id(v));
            let shape = tp.shape(q);
            assert!(
                shape.len() >= 2 && tp.shape(k) == shape && tp.shape(v) == shape,
                "causal_attention: q, k, v must share one shape (..., T, D), got {shape:?}, {:?}, {:?}",
                tp.shape(k),
                tp.shape(v)
            );
            let (t, d) = (shape[shape.len() - 2], shape[shape.len() - 1]);
            let items = shape.numel() / (t * d).max(1);
            let mut p = tp.alloc_aux(items * t * t);
            let mut y = tp.alloc(shape.numel());
            let (qs, ks, vs) = (tp.data(q), tp.data(k), tp.data(v));
            // Each (batch, head) item writes its own (T, T) block of p and (T, D) block of y.
            let run = |i: usize, (pi, yi): (&mut [f32], &mut [f32])| {
                let r = i * t * d..(i + 1) * t * d;
                forward_item(&qs[r.clone()], &ks[r.clone()], &vs[r], t, d, pi, yi);
            };
            let (tt, td) = ((t * t).max(1), (t * d).max(1));
            if items * t * t * d >= PAR_WORK {
                use rayon::prelude::*;
                p.par_chunks_mut(tt)
                    .zip(y.par_chunks_mut(td))
                    .enumerate()
                    .with_min_len(4)
                    .for_each(|(i, pair)| run(i, pair));
            } else {
                p.chunks_mut(tt).zip(y.chunks_mut(td)).enumerate().for_each(|(i, pair)| run(i, pair));
            }
            let req = [q, k, v].iter().any(|&i| tp.requires_grad(i));
            tp.push_saved(shape, Op::Attention { q, k, v }, req, y, Some(p), None)
        })
    }
}
