//! Matrix multiplication, batched, with either operand optionally transposed.
//!
//! The arithmetic is faer's matmul (its safe strided views over our slices, one thread each). A
//! transpose is only a swap of strides, so `q @ kᵀ` and every product in the backward pass read their
//! operands in place. Big products are split in two halves of the output, one per core; each output
//! element is computed the same way whichever half it lands in, so results do not depend on the number
//! of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Tensor;
use super::shape::Shape;
use super::tape::{Grads, Op, Saved, with};

/// A matrix stored inside a slice: element (i, j) is at `offset + i·rs + j·cs`, and either `rs` or
/// `cs` is 1 (row-major, or row-major read transposed).
#[derive(Clone, Copy, Debug)]
pub(super) struct Mat {
    offset: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl Mat {
    /// A row-major (rows × cols) matrix starting at `offset`, read transposed if `t`.
    pub(super) fn stored(offset: usize, rows: usize, cols: usize, t: bool) -> Mat {
        let m = Mat { offset, rows, cols, rs: cols, cs: 1 };
        if t { m.t() } else { m }
    }

    /// A (rows × cols) matrix whose rows start `rs` apart: one head's columns inside wider rows.
    pub(super) fn strided(rows: usize, cols: usize, rs: usize) -> Mat {
        Mat { offset: 0, rows, cols, rs, cs: 1 }
    }

    /// The transpose: the same numbers with the strides swapped.
    pub(super) fn t(self) -> Mat {
        Mat { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }

    fn view<'a>(&self, data: &'a [f32]) -> MatRef<'a, f32> {
        let end = self.offset + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1;
        let data = &data[self.offset..end];
        if self.cs == 1 {
            MatRef::from_row_major_slice_with_stride(data, self.rows, self.cols, self.rs)
        } else {
            debug_assert_eq!(self.rs, 1, "matmul: a matrix is stored by rows or by columns");
            MatRef::from_column_major_slice_with_stride(data, self.rows, self.cols, self.cs)
        }
    }
}

/// Below this many multiply-adds a product runs on one core (splitting costs more than it saves).
pub(super) const PAR_WORK: usize = 1 << 18;

/// `c = a·b` (or `c += a·b` if `add`) on the calling thread, with `c` (a.rows × b.cols) stored by rows
/// `c_rs` apart (so it can be one head's columns of wider rows).
pub(super) fn gemm(a: (&[f32], Mat), b: (&[f32], Mat), add: bool, c: &mut [f32], c_rs: usize) {
    let (m, n) = (a.1.rows, b.1.cols);
    if m > 0 && n > 0 {
        // Rows `c_rs` apart are columns `c_rs` apart of the transpose. (faer 0.24's
        // `from_row_major_slice_with_stride_mut` swaps its strides: tensor_fused's long-sequence test
        // catches that.)
        let c = MatMut::from_column_major_slice_with_stride_mut(c, n, m, c_rs).transpose_mut();
        gemm_into(a, b, add, c, 1);
    }
}

/// `c = a·b` (or `c += a·b` if `add`) for a row-major `c` of exactly (a.rows × b.cols), split into
/// `parts` blocks of the output run in parallel (when there is enough work).
fn gemm_par(a: (&[f32], Mat), b: (&[f32], Mat), add: bool, c: &mut [f32], parts: usize) {
    let (m, n) = (a.1.rows, b.1.cols);
    debug_assert_eq!(c.len(), m * n);
    if m > 0 && n > 0 {
        gemm_into(a, b, add, MatMut::from_row_major_slice_mut(c, m, n), parts);
    }
}

fn gemm_into(a: (&[f32], Mat), b: (&[f32], Mat), add: bool, mut c: MatMut<f32>, parts: usize) {
    let (m, k, n) = (a.1.rows, a.1.cols, b.1.cols);
    debug_assert_eq!(k, b.1.rows);
    if k == 0 {
        // An empty sum (and `Mat::view` needs at least one row and column).
        if !add {
            c.fill(0.0);
        }
        return;
    }
    let accum = if add { Accum::Add } else { Accum::Replace };
    let parts = parts.min(m * n * k / PAR_WORK).max(1);
    split_gemm(a.1.view(a.0), b.1.view(b.0), accum, c, parts);
}

/// How many parallel parts a product of `work` multiply-adds is worth.
fn parts_for(work: usize) -> usize {
    rayon::current_num_threads().min(work / PAR_WORK).max(1)
}

fn split_gemm(a: MatRef<f32>, b: MatRef<f32>, accum: Accum, c: MatMut<f32>, parts: usize) {
    let (m, n) = (c.nrows(), c.ncols());
    if parts < 2 || (m < 16 && n < 16) {
        matmul(c, accum, a, b, 1.0, Par::Seq);
        return;
    }
    let (p1, p2) = (parts / 2, parts - parts / 2);
    if m >= n {
        // Rows of the output come from rows of a.
        let cut = m * p1 / parts;
        let (a1, a2) = a.split_at_row(cut);
        let (c1, c2) = c.split_at_row_mut(cut);
        rayon::join(|| split_gemm(a1, b, accum, c1, p1), || split_gemm(a2, b, accum, c2, p2));
    } else {
        // Columns of the output come from columns of b.
        let cut = n * p1 / parts;
        let (b1, b2) = b.split_at_col(cut);
        let (c1, c2) = c.split_at_col_mut(cut);
        rayon::join(|| split_gemm(a, b1, accum, c1, p1), || split_gemm(a, b2, accum, c2, p2));
    }
}

/// The batch structure of `op(a) @ op(b)`: `batch` products of (m × k)·(k × n). An operand without
/// batch dims is shared by every product (a weight matrix applied at every position).
#[derive(Clone, Copy, Debug)]
struct Dims {
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    a_batched: bool,
    b_batched: bool,
}

impl Dims {
    fn new(sa: &Shape, sb: &Shape, ta: bool, tb: bool) -> (Dims, Shape) {
        let name = match (ta, tb) {
            (false, false) => "matmul",
            (false, true) => "matmul_t",
            (true, false) => "t_matmul",
            (true, true) => "matmul (both transposed)",
        };
        assert!(sa.len() >= 2 && sb.len() >= 2, "{name}: needs matrices (2+ dims), got {sa:?} and {sb:?}");
        let (ra, rb) = (sa.len(), sb.len());
        let (m, ka) = if ta { (sa[ra - 1], sa[ra - 2]) } else { (sa[ra - 2], sa[ra - 1]) };
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

    /// A batch of rows times one shared matrix is a single product with all the rows stacked:
    /// (B·T, C) @ (C, 4C) instead of B·T small ones.
    fn folded(self, ta: bool) -> Dims {
        if self.a_batched && !self.b_batched && !ta {
            Dims { batch: 1, m: self.batch * self.m, a_batched: false, ..self }
        } else {
            self
        }
    }

    /// op(a) and op(b) of product `i`.
    fn operands(&self, i: usize, ta: bool, tb: bool) -> (Mat, Mat) {
        let ai = if self.a_batched { i * self.m * self.k } else { 0 };
        let bi = if self.b_batched { i * self.k * self.n } else { 0 };
        let a =
            if ta { Mat::stored(ai, self.k, self.m, true) } else { Mat::stored(ai, self.m, self.k, false) };
        let b =
            if tb { Mat::stored(bi, self.n, self.k, true) } else { Mat::stored(bi, self.k, self.n, false) };
        (a, b)
    }
}

/// Runs `f(i, out_i, parts)` for each of `items` equal blocks of `out`: one product is split in
/// `parts` over the cores; several are spread over the cores whole (attention's B·n_head small ones).
pub(super) fn for_each_item(
    out: &mut [f32],
    items: usize,
    work: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [f32], usize) + Sync + Send,
) {
    let size = out.len() / items.max(1);
    let parts = if parallel { parts_for(work) } else { 1 };
    if items <= 1 || size == 0 || parts == 1 {
        let per_item = if items == 1 { parts } else { 1 };
        out.chunks_mut(size.max(1)).enumerate().for_each(|(i, c)| f(i, c, per_item));
    } else {
        let per_task = items.div_ceil(rayon::current_num_threads() * 4).max(1);
        out.par_chunks_mut(per_task * size).enumerate().for_each(|(t, block)| {
            for (j, c) in block.chunks_mut(size).enumerate() {
                f(t * per_task + j, c, 1);
            }
        });
    }
}

// ANCHOR: matmul
/// Forward: `c_i = op(a_i) · op(b_i) (+ bias)` for each product of the batch.
fn forward(a: &[f32], b: &[f32], bias: Option<&[f32]>, d: Dims, ta: bool, tb: bool, c: &mut [f32]) {
    let work = d.batch * d.m * d.k * d.n;
    for_each_item(c, d.batch, work, true, |i, ci, parts| {
        let (ma, mb) = d.operands(i, ta, tb);
        // A bias is added by starting every output row from it and accumulating: no extra pass.
        if let Some(bias) = bias {
            ci.chunks_exact_mut(d.n).for_each(|row| row.copy_from_slice(bias));
        }
        gemm_par((a, ma), (b, mb), bias.is_some(), ci, parts);
    });
}

/// Backward of C = A·B: dA = dC·Bᵀ and dB = Aᵀ·dC (makemore part 4: "the shapes tell you"). With
/// transposed operands the same products apply to op(A) and op(B), and transposing the result back is
/// again only a swap of strides. A matrix shared by the whole batch sums its gradient over the batch,
/// and so does a bias: dbias = Σ over rows of dC.
pub(super) fn backward(
    s: &Saved,
    grads: &mut Grads,
    a: u32,
    b: u32,
    ta: bool,
    tb: bool,
    bias: Option<u32>,
    g: &[f32],
) {
    let (d, _) = Dims::new(&s.shape(a), &s.shape(b), ta, tb);
    let d = d.folded(ta);
    let (av, bv) = (s.data(a), s.data(b));
    let dc = |i: usize| Mat::stored(i * d.m * d.n, d.m, d.n, false);
    let work = d.batch * d.m * d.k * d.n;
    // The first gradient to reach a tensor overwrites instead of adding to zeros.
    let add = |fresh: bool, i: usize, batched: bool| !(fresh && (batched || i == 0));
    // d op(A) = dC · op(B)ᵀ, (m × k); if A is stored transposed, dA = op(B) · dCᵀ, (k × m).
    let grad_a = |da: &mut [f32], fresh: bool, parallel: bool| {
        let item = |i: usize, dai: &mut [f32], parts: usize| {
            let (_, mb) = d.operands(i, ta, tb);
            let add = add(fresh, i, d.a_batched);
            if ta {
                gemm_par((bv, mb), (g, dc(i).t()), add, dai, parts)
            } else {
                gemm_par((g, dc(i)), (bv, mb.t()), add, dai, parts)
            }
        };
        if d.a_batched {
            for_each_item(da, d.batch, work, parallel, item);
        } else {
            // Summed over the batch in order, so the result is deterministic.
            (0..d.batch).for_each(|i| item(i, da, if parallel { parts_for(work / d.batch) } else { 1 }));
        }
    };
    // d op(B) = op(A)ᵀ · dC, (k × n); if B is stored transposed, dB = dCᵀ · op(A), (n × k).
    let grad_b = |db: &mut [f32], fresh: bool, parallel: bool| {
        let item = |i: usize, dbi: &mut [f32], parts: usize| {
            let (ma, _) = d.operands(i, ta, tb);
            let add = add(fresh, i, d.b_batched);
            if tb {
                gemm_par((g, dc(i).t()), (av, ma), add, dbi, parts)
            } else {
                gemm_par((av, ma.t()), (g, dc(i)), add, dbi, parts)
            }
        };
        if d.b_batched {
            for_each_item(db, d.batch, work, parallel, item);
        } else {
            (0..d.batch).for_each(|i| item(i, db, if parallel { parts_for(work / d.batch) } else { 1 }));
        }
    };
    // The two products are independent and equally big: with two cores, one each is better than
    // splitting each in halves.
    let pair = if parts_for(work) > 1 { grads.get_pair(a, b) } else { None };
    if let Some(((da, fa), (db, fb))) = pair {
        rayon::join(|| grad_a(da, fa, false), || grad_b(db, fb, false));
    } else {
        if let Some((da, fresh)) = grads.get_fresh(a) {
            grad_a(da, fresh, true);
        }
        if let Some((db, fresh)) = grads.get_fresh(b) {
            grad_b(db, fresh, true);
        }
    }
    if let Some(dbias) = bias.and_then(|p| grads.get(p)) {
        for row in g.chunks_exact(d.n) {
            dbias.iter_mut().zip(row).for_each(|(d, &g)| *d += g);
        }
    }
}
// ANCHOR_END: matmul

fn apply(a: Tensor, b: Tensor, bias: Option<Tensor>, ta: bool, tb: bool) -> Tensor {
    with(|t| {
        let (ia, ib) = (t.id(a), t.id(b));
        let (d, shape) = Dims::new(&t.shape(ia), &t.shape(ib), ta, tb);
        let bias = bias.map(|p| {
            let id = t.id(p);
            let s = t.shape(id);
            assert!(s == [d.n], "linear: bias must have shape [{}], got {s:?}", d.n);
            id
        });
        let mut out = t.alloc(shape.numel());
        forward(t.data(ia), t.data(ib), bias.map(|p| t.data(p)), d.folded(ta), ta, tb, &mut out);
        let req = [Some(ia), Some(ib), bias].into_iter().flatten().any(|p| t.requires_grad(p));
        t.push(shape, Op::MatMul { a: ia, b: ib, ta, tb, bias }, req, out)
    })
}

impl Tensor {
    /// `self @ other`: (..., M, K) @ (..., K, N) → (..., M, N). Batch dims must match, or one side has
    /// none and is shared: `x.matmul(w)` applies a (C, N) weight at every position of a (B, T, C) input.
    pub fn matmul(self, other: Tensor) -> Tensor {
        apply(self, other, None, false, false)
    }

    /// `self @ otherᵀ` (the last two dims of `other` swapped), without copying: attention's `q @ kᵀ`.
    pub fn matmul_t(self, other: Tensor) -> Tensor {
        apply(self, other, None, false, true)
    }

    /// `selfᵀ @ other` (the last two dims of `self` swapped), without copying.
    pub fn t_matmul(self, other: Tensor) -> Tensor {
        apply(self, other, None, true, false)
    }

    /// A linear layer, `self @ w + bias`, with `w` stored (in, out) as makemore stores `W1`: the same
    /// numbers as `x.matmul(w) + b`, in one op (the bias is added inside the product, and its gradient
    /// is a sum over rows of the output's).
    pub fn linear(self, w: Tensor, bias: Option<Tensor>) -> Tensor {
        apply(self, w, bias, false, false)
    }

    /// A linear layer with PyTorch's weight layout (out, in): `self @ wᵀ + bias`, as `nn.Linear`.
    pub fn linear_t(self, w: Tensor, bias: Option<Tensor>) -> Tensor {
        apply(self, w, bias, false, true)
    }
}
