//! The fast causal self-attention: `attention.rs`'s forward and backward, with the (T, T) products of
//! each (sequence, head) done as loops that skip the masked half and read the heads in place while
//! they are small, and as gemm on strided views once they are not; sequences spread over the cores.
//! `exp` is `fastmath`'s, within a few ulp of the standard library's.

use crate::tensor::attention::QkvDims;
use crate::tensor::fast::matmul::{Mat, PAR_WORK, gemm};
use crate::tensor::fastmath;
use crate::tensor::parallel::with_scratch;
use crate::tensor::tape::{Grads, Saved};

/// T rows of D numbers inside a slice, `stride` apart: one (batch, head) item's q, k or v, either a
/// contiguous (T, D) block or one head's columns read in place out of the rows of the fused qkv.
#[derive(Clone, Copy)]
struct Rows<'a> {
    data: &'a [f32],
    stride: usize,
}

impl<'a> Rows<'a> {
    fn new(data: &'a [f32], stride: usize) -> Rows<'a> {
        Rows { data, stride }
    }

    fn row(&self, i: usize, d: usize) -> &'a [f32] {
        &self.data[i * self.stride..][..d]
    }

    fn mat(&self, t: usize, d: usize) -> Mat {
        Mat::strided(t, d, self.stride)
    }
}

/// The same for an output: rows of D numbers `stride` apart, written or added to.
struct RowsMut<'a> {
    data: &'a mut [f32],
    stride: usize,
}

impl<'a> RowsMut<'a> {
    fn new(data: &'a mut [f32], stride: usize) -> RowsMut<'a> {
        RowsMut { data, stride }
    }

    fn row(&mut self, i: usize, d: usize) -> &mut [f32] {
        &mut self.data[i * self.stride..][..d]
    }

    /// Zeros the T rows (and nothing between them: those are other heads' columns).
    fn zero(&mut self, t: usize, d: usize) {
        (0..t).for_each(|i| self.row(i, d).fill(0.0));
    }
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

/// Up to this many multiply-adds per (T, T)·(T, D) product, plain loops that skip the masked half (and
/// read heads in place) beat a call to gemm; above it, gemm.
const SMALL: usize = 1 << 15;

/// The three products attention needs, on one (batch, head) item. `w` is a (T, T) matrix that is zero
/// above the diagonal (attention weights, or their gradient), `a`, `b`, `m`, `out` are (T, D).
///
/// s = a·bᵀ on and below the diagonal (the rest is left for the mask to overwrite).
fn lower_dots(a: Rows, b: Rows, t: usize, d: usize, s: &mut [f32]) {
    if t * t * d > SMALL {
        return gemm((a.data, a.mat(t, d)), (b.data, b.mat(t, d).t()), false, s, t);
    }
    for i in 0..t {
        for j in 0..=i {
            s[i * t + j] = fastmath::dot(a.row(i, d), b.row(j, d));
        }
    }
}

/// out = w·m (+ out if `add`): row i of out is Σ_{j ≤ i} w_ij m_j.
fn lower_times(w: &[f32], m: Rows, t: usize, d: usize, mut out: RowsMut, add: bool) {
    if t * t * d > SMALL {
        let stride = out.stride;
        return gemm((w, Mat::stored(0, t, t, false)), (m.data, m.mat(t, d)), add, out.data, stride);
    }
    if !add {
        out.zero(t, d);
    }
    for i in 0..t {
        let oi = out.row(i, d);
        for j in 0..=i {
            let wij = w[i * t + j];
            oi.iter_mut().zip(m.row(j, d)).for_each(|(o, &x)| *o += wij * x);
        }
    }
}

/// out = wᵀ·m (+ out if `add`): row j of out is Σ_{i ≥ j} w_ij m_i.
fn lower_t_times(w: &[f32], m: Rows, t: usize, d: usize, mut out: RowsMut, add: bool) {
    if t * t * d > SMALL {
        let stride = out.stride;
        let wt = Mat::stored(0, t, t, true);
        return gemm((w, wt), (m.data, m.mat(t, d)), add, out.data, stride);
    }
    if !add {
        out.zero(t, d);
    }
    for i in 0..t {
        let mi = m.row(i, d);
        for j in 0..=i {
            let wij = w[i * t + j];
            out.row(j, d).iter_mut().zip(mi).for_each(|(o, &x)| *o += wij * x);
        }
    }
}

/// Forward for one (batch, head): P = causal_softmax(q kᵀ · scale), (T, T), saved; y = P v, (T, D).
fn forward_item(q: Rows, k: Rows, v: Rows, t: usize, d: usize, p: &mut [f32], y: RowsMut) {
    let scale = 1.0 / (d as f32).sqrt();
    lower_dots(q, k, t, d, p); // scores, (T, T)
    for (i, row) in p.chunks_exact_mut(t).enumerate() {
        row[..=i].iter_mut().for_each(|s| *s *= scale);
        causal_softmax_row(row, i);
    }
    lower_times(p, v, t, d, y, false);
}

/// Forward of every sequence of `x` (..., T, 3C): writes the H attention matrices of each into `p`
/// and its (T, C) output rows into `y`, one sequence per task.
pub(in crate::tensor) fn forward(x: &[f32], dims: QkvDims, p: &mut [f32], y: &mut [f32]) {
    let QkvDims { groups, t, h, d } = dims;
    let (xg, yg, pg) = (t * 3 * h * d, t * h * d, h * t * t);
    // Each sequence writes its own rows of y and its own H attention matrices.
    let run =
        |i: usize, (pi, yi): (&mut [f32], &mut [f32])| self_attention_group(&x[i * xg..][..xg], dims, pi, yi);
    if groups * h * t * t * d >= PAR_WORK && yg > 0 && pg > 0 {
        use rayon::prelude::*;
        p.par_chunks_mut(pg).zip(y.par_chunks_mut(yg)).enumerate().for_each(|(i, pair)| run(i, pair));
    } else if yg > 0 && pg > 0 {
        p.chunks_mut(pg).zip(y.chunks_mut(yg)).enumerate().for_each(|(i, pair)| run(i, pair));
    }
}

/// Forward of one sequence: `qkv` its (T, 3C) rows, `p` its H (T, T) attention matrices, `y` its
/// (T, C) output rows, heads side by side. Each head reads its columns of q, k and v in place.
fn self_attention_group(qkv: &[f32], dims: QkvDims, p: &mut [f32], y: &mut [f32]) {
    let QkvDims { t, h, d, .. } = dims;
    let c = h * d;
    for (head, ph) in p.chunks_exact_mut(t * t).enumerate() {
        let part = |i: usize| Rows::new(&qkv[i * c + head * d..], 3 * c); // q, k, v of this head
        forward_item(part(0), part(1), part(2), t, d, ph, RowsMut::new(&mut y[head * d..], c));
    }
}

/// Backward of one sequence, head by head, with `dy` the (T, C)
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
    with_scratch(tt, |ds| {
        for (head, ph) in p.chunks_exact(tt).enumerate() {
            let at = |i: usize| i * c + head * d; // where q, k, v of this head start in a row
            let part = |i: usize| Rows::new(&qkv[at(i)..], 3 * c);
            let dy = Rows::new(&dy[head * d..], c);
            lower_t_times(ph, dy, t, d, RowsMut::new(&mut dqkv[at(2)..], 3 * c), !fresh); // dv = Pᵀ dy
            softmax_scores_backward(ph, dy, part(2), t, d, scale, ds);
            lower_times(ds, part(1), t, d, RowsMut::new(&mut dqkv[at(0)..], 3 * c), !fresh); // dq = dS k
            lower_t_times(ds, part(0), t, d, RowsMut::new(&mut dqkv[at(1)..], 3 * c), !fresh); // dk = dSᵀ q
        }
    });
}

/// dS = P ∘ (dP - rowsum(P ∘ dP)) · scale with dP = dy vᵀ: the gradient of the scaled scores of one
/// item (zero above the diagonal, where P is 0).
fn softmax_scores_backward(p: &[f32], dy: Rows, v: Rows, t: usize, d: usize, scale: f32, ds: &mut [f32]) {
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
pub(in crate::tensor) fn backward(
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
