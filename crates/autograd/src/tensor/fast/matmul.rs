//! The fast matrix product: `matmul.rs`'s forward and backward on faer's matmul (its safe strided
//! views over our slices, one thread each). A transpose is only a swap of strides, so `q @ kᵀ` and
//! every product in the backward pass read their operands in place. Big products are split in two
//! halves of the output, one per core; each output element is computed the same way whichever half
//! it lands in, so results do not depend on the number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::tensor::matmul::Dims;
use crate::tensor::tape::{Grads, Saved};

/// A matrix stored inside a slice: element (i, j) is at `offset + i·rs + j·cs`, and either `rs` or
/// `cs` is 1 (row-major, or row-major read transposed).
#[derive(Clone, Copy, Debug)]
pub(in crate::tensor) struct Mat {
    offset: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl Mat {
    /// A row-major (rows × cols) matrix starting at `offset`, read transposed if `t`.
    pub(in crate::tensor) fn stored(offset: usize, rows: usize, cols: usize, t: bool) -> Mat {
        let m = Mat { offset, rows, cols, rs: cols, cs: 1 };
        if t { m.t() } else { m }
    }

    /// A (rows × cols) matrix whose rows start `rs` apart: one head's columns inside wider rows.
    pub(in crate::tensor) fn strided(rows: usize, cols: usize, rs: usize) -> Mat {
        Mat { offset: 0, rows, cols, rs, cs: 1 }
    }

    /// The transpose: the same numbers with the strides swapped.
    pub(in crate::tensor) fn t(self) -> Mat {
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
pub(in crate::tensor) const PAR_WORK: usize = 1 << 18;

/// `c = a·b` (or `c += a·b` if `add`) on the calling thread, with `c` (a.rows × b.cols) stored by rows
/// `c_rs` apart (so it can be one head's columns of wider rows).
pub(in crate::tensor) fn gemm(a: (&[f32], Mat), b: (&[f32], Mat), add: bool, c: &mut [f32], c_rs: usize) {
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

// ANCHOR: fast_gemm
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
// ANCHOR_END: fast_gemm

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

/// op(a) and op(b) of product `i` of `d`.
fn operands(d: &Dims, i: usize, tb: bool) -> (Mat, Mat) {
    let ai = if d.a_batched { i * d.m * d.k } else { 0 };
    let bi = if d.b_batched { i * d.k * d.n } else { 0 };
    let b = if tb { Mat::stored(bi, d.n, d.k, true) } else { Mat::stored(bi, d.k, d.n, false) };
    (Mat::stored(ai, d.m, d.k, false), b)
}

/// A batch of rows times one shared matrix is a single product with all the rows stacked:
/// (B·T, C) @ (C, 4C) instead of B·T small ones.
fn folded(d: Dims) -> Dims {
    if d.a_batched && !d.b_batched { Dims { batch: 1, m: d.batch * d.m, a_batched: false, ..d } } else { d }
}

/// Runs `f(i, out_i, parts)` for each of `items` equal blocks of `out`: one product is split in
/// `parts` over the cores; several are spread over the cores whole (attention's B·n_head small ones).
pub(in crate::tensor) fn for_each_item(
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

/// Forward: `c_i = a_i · op(b_i) (+ bias)` for each product of the batch.
pub(in crate::tensor) fn forward(
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    d: Dims,
    tb: bool,
    c: &mut [f32],
) {
    let d = folded(d);
    let work = d.batch * d.m * d.k * d.n;
    for_each_item(c, d.batch, work, true, |i, ci, parts| {
        let (ma, mb) = operands(&d, i, tb);
        // A bias is added by starting every output row from it and accumulating: no extra pass.
        if let Some(bias) = bias {
            ci.chunks_exact_mut(d.n).for_each(|row| row.copy_from_slice(bias));
        }
        gemm_par((a, ma), (b, mb), bias.is_some(), ci, parts);
    });
}

/// Backward of C = A·op(B): dA = dC·op(B)ᵀ and d op(B) = Aᵀ·dC, as products of strided views (a
/// transposed result is again only a swap of strides). The first gradient to reach an input writes
/// its buffer instead of adding to zeros, and the two products run one per core.
pub(in crate::tensor) fn backward(
    s: &Saved,
    grads: &mut Grads,
    a: u32,
    b: u32,
    tb: bool,
    bias: Option<u32>,
    g: &[f32],
) {
    let (d, _) = Dims::new(&s.shape(a), &s.shape(b), tb);
    let d = folded(d);
    let (av, bv) = (s.data(a), s.data(b));
    let dc = |i: usize| Mat::stored(i * d.m * d.n, d.m, d.n, false);
    let work = d.batch * d.m * d.k * d.n;
    // The first gradient to reach a tensor overwrites instead of adding to zeros.
    let add = |fresh: bool, i: usize, batched: bool| !(fresh && (batched || i == 0));
    // dA = dC · op(B)ᵀ, (m × k).
    let grad_a = |da: &mut [f32], fresh: bool, parallel: bool| {
        let item = |i: usize, dai: &mut [f32], parts: usize| {
            let (_, mb) = operands(&d, i, tb);
            gemm_par((g, dc(i)), (bv, mb.t()), add(fresh, i, d.a_batched), dai, parts)
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
            let (ma, _) = operands(&d, i, tb);
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
        for row in g.chunks_exact(d.n.max(1)) {
            dbias.iter_mut().zip(row).for_each(|(d, &g)| *d += g);
        }
    }
}
