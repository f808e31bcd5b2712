//! Causal self-attention as one op, straight from the fused projection: PyTorch's
//! `F.scaled_dot_product_attention(q, k, v, is_causal=True)` for every (sequence, head), reading q, k
//! and v out of c_attn's output instead of splitting it into per-head copies.
//!
//! It computes what `q.matmul_t(k) * scale`, `causal_mask`, `softmax` and `matmul(v)` compute per head
//! (the tests check it), but keeps the (T, T) attention matrices inside the op: no intermediate tensors
//! to store and walk back through. This file is the algorithm, one row of one head at a time; the
//! engine trains with its fast twin, `fast/attention.rs`, which adds in another order and uses a faster
//! `exp` ([`Kernels::Plain`](crate::Kernels) selects this one).

use super::tape::{Grads, Op, Saved, with};
use super::{Shape, Tensor, fast};
use crate::Kernels;

/// The shape of the problem: `groups` sequences (the batch) of `t` rows of `q | k | v`, `h` heads of
/// `d` columns each (C = h·d).
#[derive(Clone, Copy)]
pub(super) struct QkvDims {
    pub(super) groups: usize,
    pub(super) t: usize,
    pub(super) h: usize,
    pub(super) d: usize,
}

impl QkvDims {
    pub(super) fn new(shape: &Shape, n_head: usize) -> QkvDims {
        let r = shape.len();
        assert!(r >= 2, "causal_self_attention: qkv must be (..., T, 3C), got {shape:?}");
        let (t, c3) = (shape[r - 2], shape[r - 1]);
        assert!(
            n_head > 0 && c3 % (3 * n_head) == 0,
            "causal_self_attention: the last dim of {shape:?} is not 3 · n_head · D with n_head = {n_head}"
        );
        QkvDims { groups: shape.numel() / (t * c3).max(1), t, h: n_head, d: c3 / (3 * n_head) }
    }

    /// Where the D numbers of `head`'s q (part 0), k (1) or v (2) at position `i` of sequence `b`
    /// start in qkv: row (b, i) is q | k | v, each C = h·d wide, heads side by side.
    fn qkv(&self, b: usize, i: usize, part: usize, head: usize) -> usize {
        let c = self.h * self.d;
        (b * self.t + i) * 3 * c + part * c + head * self.d
    }

    /// Where `head`'s D numbers of the output at position `i` of sequence `b` start: (B, T, C).
    fn y(&self, b: usize, i: usize, head: usize) -> usize {
        (b * self.t + i) * self.h * self.d + head * self.d
    }

    /// Where row `i` of `head`'s (T, T) attention matrix of sequence `b` starts: (B, H, T, T).
    fn p(&self, b: usize, head: usize, i: usize) -> usize {
        ((b * self.h + head) * self.t + i) * self.t
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// ANCHOR: attention
/// Forward, for each sequence b, head and position i: the scores of q_i against the keys of positions
/// j ≤ i (the future is masked), their softmax P[i, j] (saved for the backward, 0 for j > i), and the
/// output y_i = Σ_{j≤i} P[i, j]·v_j.
fn forward(x: &[f32], dims: QkvDims, p: &mut [f32], y: &mut [f32]) {
    let QkvDims { groups, t, h, d } = dims;
    let scale = 1.0 / (d as f32).sqrt();
    for b in 0..groups {
        for head in 0..h {
            for i in 0..t {
                let q = &x[dims.qkv(b, i, 0, head)..][..d];
                let row = &mut p[dims.p(b, head, i)..][..t];
                for j in 0..=i {
                    let k = &x[dims.qkv(b, j, 1, head)..][..d];
                    row[j] = dot(q, k) * scale;
                }
                // softmax over j ≤ i, after subtracting the largest score so that no exp overflows
                let max = row[..=i].iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
                row[..=i].iter_mut().for_each(|s| *s = (*s - max).exp());
                let total: f32 = row[..=i].iter().sum();
                row[..=i].iter_mut().for_each(|s| *s /= total);
                row[i + 1..].fill(0.0);
                let out = &mut y[dims.y(b, i, head)..][..d];
                out.fill(0.0);
                for j in 0..=i {
                    let v = &x[dims.qkv(b, j, 2, head)..][..d];
                    out.iter_mut().zip(v).for_each(|(o, &v)| *o += row[j] * v);
                }
            }
        }
    }
}

/// Backward, row by row with dy_i the output's gradient at position i:
/// dv_j += P[i, j]·dy_i;  dP[i, j] = dy_i·v_j;  dS[i, j] = P[i, j]·(dP[i, j] - Σ_l P[i, l]·dP[i, l])
/// (softmax's backward, the masked entries having P = 0);  dq_i += Σ_j dS[i, j]·k_j·scale and
/// dk_j += dS[i, j]·q_i·scale (the scores were q_i·k_j·scale).
pub(super) fn backward(s: &Saved, grads: &mut Grads, qkv: u32, n_head: usize, node: u32, g: &[f32]) {
    let Some(dx) = grads.get(qkv) else { return };
    let dims = QkvDims::new(&s.shape(qkv), n_head);
    let QkvDims { groups, t, h, d } = dims;
    let scale = 1.0 / (d as f32).sqrt();
    let (x, p) = (s.data(qkv), s.aux(node));
    let mut ds = vec![0.0; t]; // one row of dS, (T)
    for b in 0..groups {
        for head in 0..h {
            for i in 0..t {
                let pi = &p[dims.p(b, head, i)..][..=i];
                let dy = &g[dims.y(b, i, head)..][..d];
                for j in 0..=i {
                    ds[j] = dot(dy, &x[dims.qkv(b, j, 2, head)..][..d]); // dP[i, j]
                }
                let weighted = dot(pi, &ds[..=i]);
                for j in 0..=i {
                    ds[j] = pi[j] * (ds[j] - weighted) * scale;
                }
                let q = dims.qkv(b, i, 0, head);
                for j in 0..=i {
                    let (k, v) = (dims.qkv(b, j, 1, head), dims.qkv(b, j, 2, head));
                    for c in 0..d {
                        dx[q + c] += ds[j] * x[k + c]; // dq_i
                        dx[k + c] += ds[j] * x[q + c]; // dk_j
                        dx[v + c] += pi[j] * dy[c]; // dv_j
                    }
                }
            }
        }
    }
}
// ANCHOR_END: attention

impl Tensor {
    /// Causal self-attention straight from the fused projection: `self` is c_attn's output
    /// (..., T, 3C), each row q | k | v with `n_head` heads of D = C / n_head columns in each part, and
    /// the result is (..., T, C), the heads' outputs side by side. The same numbers as splitting the
    /// heads into (B, n_head, T, D), computing `(q.matmul_t(k) * (1/√D)).causal_mask().softmax().matmul(v)`
    /// and merging the heads back, without the copies that takes; its backward writes straight into the
    /// gradient of `self`.
    pub fn causal_self_attention(self, n_head: usize) -> Tensor {
        with(|tp| {
            let qkv = tp.id(self);
            let in_shape = tp.shape(qkv);
            let dims = QkvDims::new(&in_shape, n_head);
            let QkvDims { groups, t, h, d } = dims;
            let mut out = in_shape.as_slice().to_vec();
            *out.last_mut().expect("at least 2 dims") = h * d;
            let shape = Shape::new(&out);
            let mut p = tp.alloc_aux(groups * h * t * t); // (B, H, T, T)
            let mut y = tp.alloc(shape.numel()); // (B, T, C)
            if Kernels::fast() {
                fast::attention::forward(tp.data(qkv), dims, &mut p, &mut y);
            } else {
                forward(tp.data(qkv), dims, &mut p, &mut y);
            }
            let op = Op::SelfAttention { qkv, n_head: n_head as u32 };
            tp.push_saved(shape, op, tp.requires_grad(qkv), y, Some(p), None)
        })
    }
}
