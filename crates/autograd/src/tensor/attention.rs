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
            softmax_scores_backward(pi, gi, vi, t, d, scale, ds);
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

/// Per-thread copies of one (batch, head) item's rows for [`Tensor::causal_self_attention`]: q, k, v,
/// y or dy, and the backward's dq, dk, dv, each (T, D). Gathering them out of the (T, 3C) rows costs
/// 6·T·D copies in cache, against T·T·D multiply-adds per product, and lets the kernels above run on
/// contiguous rows.
struct HeadRows {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    y: Vec<f32>,
    dq: Vec<f32>,
    dk: Vec<f32>,
    dv: Vec<f32>,
    ds: Vec<f32>,
}

thread_local! {
    static HEAD_ROWS: RefCell<HeadRows> = const {
        RefCell::new(HeadRows {
            q: Vec::new(),
            k: Vec::new(),
            v: Vec::new(),
            y: Vec::new(),
            dq: Vec::new(),
            dk: Vec::new(),
            dv: Vec::new(),
            ds: Vec::new(),
        })
    };
}

/// Copies the (T, D) block of head columns `col..col + D` out of rows of length `rs`.
fn gather(src: &[f32], rs: usize, col: usize, d: usize, dst: &mut [f32]) {
    for (row, out) in src.chunks_exact(rs).zip(dst.chunks_exact_mut(d)) {
        out.copy_from_slice(&row[col..col + d]);
    }
}

/// Writes (or adds, unless `fresh`) a (T, D) block into head columns `col..col + D` of rows of length `rs`.
fn scatter(src: &[f32], rs: usize, col: usize, d: usize, dst: &mut [f32], fresh: bool) {
    for (row, block) in dst.chunks_exact_mut(rs).zip(src.chunks_exact(d)) {
        let out = &mut row[col..col + d];
        if fresh {
            out.copy_from_slice(block);
        } else {
            out.iter_mut().zip(block).for_each(|(o, &x)| *o += x);
        }
    }
}

/// The shape of [`Tensor::causal_self_attention`]'s problem: `groups` sequences (the batch) of `t`
/// rows of `q | k | v`, `h` heads of `d` columns each.
#[derive(Clone, Copy)]
struct QkvDims {
    groups: usize,
    t: usize,
    h: usize,
    d: usize,
}

impl QkvDims {
    fn new(shape: &super::Shape, n_head: usize) -> QkvDims {
        let r = shape.len();
        assert!(r >= 2, "causal_self_attention: qkv must be (..., T, 3C), got {shape:?}");
        let (t, c3) = (shape[r - 2], shape[r - 1]);
        assert!(
            n_head > 0 && c3 % (3 * n_head) == 0,
            "causal_self_attention: the last dim of {shape:?} is not 3 · n_head · D with n_head = {n_head}"
        );
        QkvDims { groups: shape.numel() / (t * c3).max(1), t, h: n_head, d: c3 / (3 * n_head) }
    }
}

/// Forward of one sequence: `qkv` its (T, 3C) rows, `p` its H (T, T) attention matrices, `y` its
/// (T, C) output rows, heads side by side.
fn self_attention_group(qkv: &[f32], dims: QkvDims, p: &mut [f32], y: &mut [f32]) {
    let QkvDims { t, h, d, .. } = dims;
    let c = h * d;
    HEAD_ROWS.with_borrow_mut(|r| {
        for buf in [&mut r.q, &mut r.k, &mut r.v, &mut r.y] {
            buf.resize(t * d, 0.0);
        }
        for (head, ph) in p.chunks_exact_mut(t * t).enumerate() {
            gather(qkv, 3 * c, head * d, d, &mut r.q);
            gather(qkv, 3 * c, c + head * d, d, &mut r.k);
            gather(qkv, 3 * c, 2 * c + head * d, d, &mut r.v);
            forward_item(&r.q, &r.k, &r.v, t, d, ph, &mut r.y);
            scatter(&r.y, c, head * d, d, y, true);
        }
    });
}

/// Backward of one sequence: the same products as [`backward`], item by item, with `dy` the (T, C)
/// output gradient and `dqkv` the (T, 3C) gradient of the input rows, written if `fresh`, else added to.
fn self_attention_group_backward(
    qkv: &[f32],
    dims: QkvDims,
    p: &[f32],
    dy: &[f32],
    dqkv: &mut [f32],
    fresh: bool,
) {
    let QkvDims { t, h, d, .. } = dims;
    let (c, tt) = (h * d, t * t);
    let scale = 1.0 / (d as f32).sqrt();
    HEAD_ROWS.with_borrow_mut(|r| {
        for buf in [&mut r.q, &mut r.k, &mut r.v, &mut r.y, &mut r.dq, &mut r.dk, &mut r.dv] {
            buf.resize(t * d, 0.0);
        }
        r.ds.resize(tt, 0.0);
        for (head, ph) in p.chunks_exact(tt).enumerate() {
            gather(qkv, 3 * c, head * d, d, &mut r.q);
            gather(qkv, 3 * c, c + head * d, d, &mut r.k);
            gather(qkv, 3 * c, 2 * c + head * d, d, &mut r.v);
            gather(dy, c, head * d, d, &mut r.y);
            lower_t_times(ph, &r.y, t, d, &mut r.dv, false); // dv = Pᵀ dy
            softmax_scores_backward(ph, &r.y, &r.v, t, d, scale, &mut r.ds);
            lower_times(&r.ds, &r.k, t, d, &mut r.dq, false); // dq = dS k
            lower_t_times(&r.ds, &r.q, t, d, &mut r.dk, false); // dk = dSᵀ q
            scatter(&r.dq, 3 * c, head * d, d, dqkv, fresh);
            scatter(&r.dk, 3 * c, c + head * d, d, dqkv, fresh);
            scatter(&r.dv, 3 * c, 2 * c + head * d, d, dqkv, fresh);
        }
    });
}

/// dS = P ∘ (dP - rowsum(P ∘ dP)) · scale with dP = dy vᵀ: the gradient of the scaled scores of one
/// item (zero above the diagonal, where P is 0).
fn softmax_scores_backward(p: &[f32], dy: &[f32], v: &[f32], t: usize, d: usize, scale: f32, ds: &mut [f32]) {
    lower_dots(dy, v, t, d, ds); // dP
    for (r, (row, pr)) in ds.chunks_exact_mut(t).zip(p.chunks_exact(t)).enumerate() {
        let (dsr, future) = row.split_at_mut(r + 1);
        let pr = &pr[..=r];
        let dot = fastmath::dot(dsr, pr);
        dsr.iter_mut().zip(pr).for_each(|(x, &p)| *x = p * (*x - dot) * scale);
        future.fill(0.0);
    }
}

/// Backward of [`Tensor::causal_self_attention`], one sequence per task (each owns its rows of dqkv).
pub(super) fn self_attention_backward(
    s: &Saved,
    grads: &mut Grads,
    qkv: u32,
    n_head: usize,
    node: u32,
    g: &[f32],
) {
    let Some((dqkv, fresh)) = grads.get_fresh(qkv) else { return };
    let dims = QkvDims::new(&s.shape(qkv), n_head);
    let (x, p) = (s.data(qkv), s.aux(node));
    let QkvDims { groups, t, h, d } = dims;
    let (xg, yg, pg) = (t * 3 * h * d, t * h * d, h * t * t);
    let run = |i: usize, dx: &mut [f32]| {
        let (xi, pi, gi) = (&x[i * xg..][..xg], &p[i * pg..][..pg], &g[i * yg..][..yg]);
        self_attention_group_backward(xi, dims, pi, gi, dx, fresh);
    };
    if groups * h * t * t * d >= PAR_WORK && xg > 0 {
        use rayon::prelude::*;
        dqkv.par_chunks_mut(xg).enumerate().for_each(|(i, dx)| run(i, dx));
    } else if xg > 0 {
        dqkv.chunks_mut(xg).enumerate().for_each(|(i, dx)| run(i, dx));
    }
}

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

    /// Causal self-attention straight from the fused projection: `self` is c_attn's output
    /// (..., T, 3C), each row q | k | v with `n_head` heads of D = C / n_head columns in each part, and
    /// the result is (..., T, C), the heads' outputs side by side. The same numbers as splitting,
    /// `causal_attention` per head and merging the heads back, without the five copies that takes
    /// (three head splits, the merge, and their backward), and its backward writes straight into the
    /// gradient of `self`.
    pub fn causal_self_attention(self, n_head: usize) -> Tensor {
        with(|tp| {
            let qkv = tp.id(self);
            let in_shape = tp.shape(qkv);
            let dims = QkvDims::new(&in_shape, n_head);
            let QkvDims { groups, t, h, d } = dims;
            let mut out = in_shape.as_slice().to_vec();
            *out.last_mut().expect("at least 2 dims") = h * d;
            let shape = super::Shape::new(&out);
            let mut p = tp.alloc_aux(groups * h * t * t); // (B, H, T, T)
            let mut y = tp.alloc(shape.numel()); // (B, T, C)
            let x = tp.data(qkv);
            let (xg, yg, pg) = (t * 3 * h * d, t * h * d, h * t * t);
            // Each sequence writes its own rows of y and its own H attention matrices.
            let run = |i: usize, (pi, yi): (&mut [f32], &mut [f32])| {
                self_attention_group(&x[i * xg..][..xg], dims, pi, yi)
            };
            if groups * h * t * t * d >= PAR_WORK && yg > 0 && pg > 0 {
                use rayon::prelude::*;
                p.par_chunks_mut(pg).zip(y.par_chunks_mut(yg)).enumerate().for_each(|(i, pair)| run(i, pair));
            } else if yg > 0 && pg > 0 {
                p.chunks_mut(pg).zip(y.chunks_mut(yg)).enumerate().for_each(|(i, pair)| run(i, pair));
            }
            let op = Op::SelfAttention { qkv, n_head: n_head as u32 };
            tp.push_saved(shape, op, tp.requires_grad(qkv), y, Some(p), None)
        })
    }
}
