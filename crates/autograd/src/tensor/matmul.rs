//! Matrix multiplication, batched, with the right operand optionally read transposed (`x @ Wᵀ` for
//! PyTorch's weight layout, attention's `q @ kᵀ`).
//!
//! This file is the product the way makemore part 4 derives it: three loops for the forward, and for
//! the backward the two products that "the shapes tell you". The engine trains with its fast twin,
//! `fast/matmul.rs` (faer's blocked SIMD kernels on both cores), which computes the same sums in
//! another order; [`Kernels::Plain`](crate::Kernels) selects this one.

use super::Tensor;
use super::fast;
use super::shape::Shape;
use super::tape::{Grads, Op, Saved, with};
use crate::Kernels;

/// The batch structure of `a @ op(b)`: `batch` products of (m × k)·(k × n). An operand without batch
/// dims is shared by every product (a weight matrix applied at every position).
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    pub(super) batch: usize,
    pub(super) m: usize,
    pub(super) k: usize,
    pub(super) n: usize,
    pub(super) a_batched: bool,
    pub(super) b_batched: bool,
}

impl Dims {
    pub(super) fn new(sa: &Shape, sb: &Shape, tb: bool) -> (Dims, Shape) {
        let name = if tb { "matmul_t" } else { "matmul" };
        assert!(sa.len() >= 2 && sb.len() >= 2, "{name}: needs matrices (2+ dims), got {sa:?} and {sb:?}");
        let (ra, rb) = (sa.len(), sb.len());
        let (m, ka) = (sa[ra - 2], sa[ra - 1]);
        let (kb, n) = if tb { (sb[rb - 1], sb[rb - 2]) } else { (sb[rb - 2], sb[rb - 1]) };
        assert_eq!(ka, kb, "{name}: inner dims differ, shapes {sa:?} and {sb:?}");
        let (batch_a, batch_b) = (&sa[..ra - 2], &sb[..rb - 2]);
        let batch_dims = match (batch_a.is_empty(), batch_b.is_empty()) {
            (_, true) => batch_a,
            (true, false) => batch_b,
            (false, false) => {
                assert_eq!(batch_a, batch_b, "{name}: batch dims differ, shapes {sa:?} and {sb:?}");
                batch_a
            }
        };
        let mut out = batch_dims.to_vec();
        out.extend([m, n]);
        let dims = Dims {
            batch: batch_dims.iter().product(),
            m,
            k: ka,
            n,
            a_batched: !batch_a.is_empty(),
            b_batched: !batch_b.is_empty(),
        };
        (dims, Shape::new(&out))
    }

    /// Where A[i, p] of product `item` is among a's numbers: (m, k) row-major.
    fn a_at(&self, item: usize, i: usize, p: usize) -> usize {
        let start = if self.a_batched { item * self.m * self.k } else { 0 };
        start + i * self.k + p
    }

    /// Where op(B)[p, j] of product `item` is among b's numbers: (k, n) row-major, or, if `tb`,
    /// B is stored (n, k) and read transposed.
    fn b_at(&self, item: usize, p: usize, j: usize, tb: bool) -> usize {
        let start = if self.b_batched { item * self.k * self.n } else { 0 };
        start + if tb { j * self.k + p } else { p * self.n + j }
    }

    /// Where C[i, j] of product `item` is in the output: (batch, m, n) row-major.
    fn c_at(&self, item: usize, i: usize, j: usize) -> usize {
        (item * self.m + i) * self.n + j
    }
}

// ANCHOR: matmul
// ANCHOR: matmul_forward
/// Forward: C[i, j] = Σ_p A[i, p]·B[p, j] (+ bias[j]), for each product of the batch.
fn forward(a: &[f32], b: &[f32], bias: Option<&[f32]>, d: Dims, tb: bool, c: &mut [f32]) {
    for item in 0..d.batch {
        for i in 0..d.m {
            for j in 0..d.n {
                let mut sum = bias.map_or(0.0, |bias| bias[j]);
                for p in 0..d.k {
                    sum += a[d.a_at(item, i, p)] * b[d.b_at(item, p, j, tb)];
                }
                c[d.c_at(item, i, j)] = sum;
            }
        }
    }
}
// ANCHOR_END: matmul_forward

/// Backward of C = A·B: dA = dC·Bᵀ and dB = Aᵀ·dC (makemore part 4: "the shapes tell you"). Each is
/// the forward's loops again, summing over the other index. A matrix shared by the whole batch (a
/// weight) adds up the gradients of every product, and so does a bias: dbias = Σ over rows of dC.
pub(super) fn backward(s: &Saved, grads: &mut Grads, a: u32, b: u32, tb: bool, bias: Option<u32>, g: &[f32]) {
    let (d, _) = Dims::new(&s.shape(a), &s.shape(b), tb);
    let (av, bv) = (s.data(a), s.data(b));
    if let Some(da) = grads.get(a) {
        // dA[i, p] = Σ_j dC[i, j]·B[p, j]: dC (m, n) times Bᵀ (n, k).
        for item in 0..d.batch {
            for i in 0..d.m {
                for p in 0..d.k {
                    let mut sum = 0.0;
                    for j in 0..d.n {
                        sum += g[d.c_at(item, i, j)] * bv[d.b_at(item, p, j, tb)];
                    }
                    da[d.a_at(item, i, p)] += sum;
                }
            }
        }
    }
    if let Some(db) = grads.get(b) {
        // dB[p, j] = Σ_i A[i, p]·dC[i, j]: Aᵀ (k, m) times dC (m, n).
        for item in 0..d.batch {
            for p in 0..d.k {
                for j in 0..d.n {
                    let mut sum = 0.0;
                    for i in 0..d.m {
                        sum += av[d.a_at(item, i, p)] * g[d.c_at(item, i, j)];
                    }
                    db[d.b_at(item, p, j, tb)] += sum;
                }
            }
        }
    }
    if let Some(dbias) = bias.and_then(|p| grads.get(p)) {
        // (rows of dC, n)
        for row in g.chunks_exact(d.n.max(1)) {
            for (db, &g) in dbias.iter_mut().zip(row) {
                *db += g;
            }
        }
    }
}
// ANCHOR_END: matmul

fn apply(a: Tensor, b: Tensor, bias: Option<Tensor>, tb: bool) -> Tensor {
    with(|t| {
        let (ia, ib) = (t.id(a), t.id(b));
        let (d, shape) = Dims::new(&t.shape(ia), &t.shape(ib), tb);
        let bias = bias.map(|p| {
            let id = t.id(p);
            let s = t.shape(id);
            assert!(s == [d.n], "linear: bias must have shape [{}], got {s:?}", d.n);
            id
        });
        let mut out = t.alloc(shape.numel());
        let (av, bv, biasv) = (t.data(ia), t.data(ib), bias.map(|p| t.data(p)));
        if Kernels::fast() {
            fast::matmul::forward(av, bv, biasv, d, tb, &mut out);
        } else {
            forward(av, bv, biasv, d, tb, &mut out);
        }
        let req = [Some(ia), Some(ib), bias].into_iter().flatten().any(|p| t.requires_grad(p));
        t.push(shape, Op::MatMul { a: ia, b: ib, tb, bias }, req, out)
    })
}

impl Tensor {
    /// `self @ other`: (..., M, K) @ (..., K, N) → (..., M, N). Batch dims must match, or one side has
    /// none and is shared: `x.matmul(w)` applies a (C, N) weight at every position of a (B, T, C) input.
    pub fn matmul(self, other: Tensor) -> Tensor {
        apply(self, other, None, false)
    }

    /// `self @ otherᵀ` (the last two dims of `other` swapped), without copying: attention's `q @ kᵀ`.
    pub fn matmul_t(self, other: Tensor) -> Tensor {
        apply(self, other, None, true)
    }

    /// A linear layer, `self @ w + bias`, with `w` stored (in, out) as makemore stores `W1`: the same
    /// numbers as `x.matmul(w) + b`, in one op (the bias is added inside the product, and its gradient
    /// is a sum over rows of the output's).
    pub fn linear(self, w: Tensor, bias: Option<Tensor>) -> Tensor {
        apply(self, w, bias, false)
    }

    /// A linear layer with PyTorch's weight layout (out, in): `self @ wᵀ + bias`, as `nn.Linear`.
    pub fn linear_t(self, w: Tensor, bias: Option<Tensor>) -> Tensor {
        apply(self, w, bias, true)
    }
}
