//! The fast broadcasting arithmetic: `elementwise.rs`'s forward and backward with the output cut into
//! rows over which each input either advances or stays put (dims merged where they can be), one
//! specialised inner loop per pattern so that each compiles to straight SIMD code, and big same-shape
//! loops split over the cores. The forward computes the very same numbers; a gradient summed over a
//! broadcast row adds the row first, so it may differ from the plain one in the last bits.

use crate::tensor::elementwise::Binary;
use crate::tensor::parallel::zip3_chunks;
use crate::tensor::shape::{MAX_DIMS, Shape, broadcast_strides};
use crate::tensor::tape::{Grads, Saved, store};

/// How to walk two broadcast inputs alongside their (contiguous) output: the output is cut into rows
/// of `n` elements; within a row, input `a` advances by `inner_a` (1, or 0 if broadcast) and `b` by
/// `inner_b`; from row to row, by the strides of the outer dims. Dims are merged where possible, so
/// `(B, T, C) + (C)` is `B·T` rows of `C`, and equal shapes are one row.
struct Plan {
    n: usize,
    inner_a: usize,
    inner_b: usize,
    rank: usize,
    sizes: [usize; MAX_DIMS],
    stride_a: [usize; MAX_DIMS],
    stride_b: [usize; MAX_DIMS],
}

impl Plan {
    fn new(a: &Shape, b: &Shape, out: &Shape) -> Plan {
        let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
        // (size, stride in a, stride in b) for each dim of size > 1, merging a dim into the one after it
        // when both inputs step through them as one (the output always does).
        let mut dims: Vec<(usize, usize, usize)> = Vec::with_capacity(MAX_DIMS);
        for d in 0..out.len() {
            if out[d] == 1 {
                continue;
            }
            dims.push((out[d], sa[d], sb[d]));
        }
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(MAX_DIMS);
        for &(size, da, db) in dims.iter().rev() {
            match merged.last_mut() {
                Some((n, ia, ib)) if da == *ia * *n && db == *ib * *n => *n *= size,
                _ => merged.push((size, da, db)),
            }
        }
        merged.reverse();
        let (n, inner_a, inner_b) = merged.pop().unwrap_or((1, 0, 0));
        let mut plan = Plan {
            n,
            inner_a,
            inner_b,
            rank: merged.len(),
            sizes: [1; MAX_DIMS],
            stride_a: [0; MAX_DIMS],
            stride_b: [0; MAX_DIMS],
        };
        for (d, &(size, da, db)) in merged.iter().enumerate() {
            (plan.sizes[d], plan.stride_a[d], plan.stride_b[d]) = (size, da, db);
        }
        plan
    }

    /// The plan with the roles of `a` and `b` exchanged.
    fn swapped(&self) -> Plan {
        Plan {
            inner_a: self.inner_b,
            inner_b: self.inner_a,
            stride_a: self.stride_b,
            stride_b: self.stride_a,
            ..*self
        }
    }

    /// Calls `f(out_offset, a_offset, b_offset)` for every row, in order.
    fn for_each_row(&self, mut f: impl FnMut(usize, usize, usize)) {
        let rows: usize = self.sizes[..self.rank].iter().product();
        let mut idx = [0usize; MAX_DIMS];
        let (mut ia, mut ib) = (0, 0);
        for r in 0..rows {
            f(r * self.n, ia, ib);
            for d in (0..self.rank).rev() {
                idx[d] += 1;
                ia += self.stride_a[d];
                ib += self.stride_b[d];
                if idx[d] < self.sizes[d] {
                    break;
                }
                ia -= self.stride_a[d] * self.sizes[d];
                ib -= self.stride_b[d] * self.sizes[d];
                idx[d] = 0;
            }
        }
    }
}

/// Forward: `out[i] = f(a[ia], b[ib])`, with one specialised inner loop per broadcast pattern so that
/// each compiles to straight SIMD code.
fn map2(
    plan: &Plan,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    f: impl Fn(f32, f32) -> f32 + Copy + Sync + Send,
) {
    if plan.rank == 0 && plan.inner_a == 1 && plan.inner_b == 1 {
        // Same shapes: one flat loop, split over the cores when large.
        return zip3_chunks(out, a, b, |o, a, b| {
            o.iter_mut().zip(a).zip(b).for_each(|((o, &a), &b)| *o = f(a, b))
        });
    }
    let n = plan.n;
    plan.for_each_row(|o, ia, ib| {
        let out = &mut out[o..o + n];
        match (plan.inner_a, plan.inner_b) {
            (1, 1) => {
                out.iter_mut().zip(&a[ia..ia + n]).zip(&b[ib..ib + n]).for_each(|((o, &a), &b)| *o = f(a, b))
            }
            (1, _) => out.iter_mut().zip(&a[ia..ia + n]).for_each(|(o, &a)| *o = f(a, b[ib])),
            (_, 1) => out.iter_mut().zip(&b[ib..ib + n]).for_each(|(o, &b)| *o = f(a[ia], b)),
            _ => out.fill(f(a[ia], b[ib])),
        }
    });
}

/// Backward into the input the plan calls `a`: `da[ia] += f(g[i], a[ia], b[ib])` summed over every
/// output element `i` that read `a[ia]`.
fn accumulate(
    plan: &Plan,
    g: &[f32],
    a: &[f32],
    b: &[f32],
    da: &mut [f32],
    f: impl Fn(f32, f32, f32) -> f32,
) {
    let n = plan.n;
    plan.for_each_row(|o, ia, ib| {
        let g = &g[o..o + n];
        match (plan.inner_a, plan.inner_b) {
            (1, 1) => {
                let (da, a, b) = (&mut da[ia..ia + n], &a[ia..ia + n], &b[ib..ib + n]);
                for j in 0..n {
                    da[j] += f(g[j], a[j], b[j]);
                }
            }
            (1, _) => {
                let (da, a, bv) = (&mut da[ia..ia + n], &a[ia..ia + n], b[ib]);
                for j in 0..n {
                    da[j] += f(g[j], a[j], bv);
                }
            }
            // `a` was broadcast along the row: its one element gets the row's sum.
            (_, 1) => {
                let (av, b) = (a[ia], &b[ib..ib + n]);
                da[ia] += (0..n).map(|j| f(g[j], av, b[j])).sum::<f32>();
            }
            _ => da[ia] += g.iter().map(|&g| f(g, a[ia], b[ib])).sum::<f32>(),
        }
    });
}

/// Forward: `out = a ∘ b`, each broadcast pattern with its own inner loop.
pub(in crate::tensor) fn forward(
    op: Binary,
    sa: &Shape,
    sb: &Shape,
    so: &Shape,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) {
    if out.is_empty() {
        return; // a dim of size 0: the plan's rows would be empty, and their inputs too
    }
    let plan = &Plan::new(sa, sb, so);
    match op {
        Binary::Add => map2(plan, a, b, out, |a, b| a + b),
        Binary::Sub => map2(plan, a, b, out, |a, b| a - b),
        Binary::Mul => map2(plan, a, b, out, |a, b| a * b),
        Binary::Div => map2(plan, a, b, out, |a, b| a / b),
    }
}

/// ∂(a∘b)/∂a and ∂(a∘b)/∂b for each element, summed back to each input's own shape: the same sums as
/// the plain backward, but a row that reuses one input element is summed before it is added.
pub(in crate::tensor) fn backward(
    s: &Saved,
    grads: &mut Grads,
    a: u32,
    b: u32,
    op: Binary,
    node: u32,
    g: &[f32],
) {
    if g.is_empty() {
        return; // nothing was computed, so no gradient flows
    }
    let plan = Plan::new(&s.shape(a), &s.shape(b), &s.shape(node));
    let (av, bv) = (s.data(a), s.data(b));
    if plan.rank == 0 && plan.inner_a == 1 && plan.inner_b == 1 {
        return same_shape_backward(grads, a, b, op, av, bv, g);
    }
    if let Some(da) = grads.get(a) {
        match op {
            Binary::Add | Binary::Sub => accumulate(&plan, g, av, bv, da, |g, _, _| g),
            Binary::Mul => accumulate(&plan, g, av, bv, da, |g, _, b| g * b),
            Binary::Div => accumulate(&plan, g, av, bv, da, |g, _, b| g / b),
        }
    }
    if let Some(db) = grads.get(b) {
        // Same walk with the roles exchanged: the closures now receive (g, b, a).
        let plan = plan.swapped();
        match op {
            Binary::Add => accumulate(&plan, g, bv, av, db, |g, _, _| g),
            Binary::Sub => accumulate(&plan, g, bv, av, db, |g, _, _| -g),
            Binary::Mul => accumulate(&plan, g, bv, av, db, |g, _, a| g * a),
            // d(a/b)/db = -a/b².
            Binary::Div => accumulate(&plan, g, bv, av, db, |g, b, a| -g * a / (b * b)),
        }
    }
}

/// The common case without broadcasting (a residual connection): one flat pass per input, writing
/// instead of adding when it is the first gradient the input receives.
fn same_shape_backward(grads: &mut Grads, a: u32, b: u32, op: Binary, av: &[f32], bv: &[f32], g: &[f32]) {
    if let Some((da, fresh)) = grads.get_fresh(a) {
        match op {
            Binary::Add | Binary::Sub => store(da, fresh, g.iter().copied()),
            Binary::Mul => store(da, fresh, g.iter().zip(bv).map(|(&g, &b)| g * b)),
            Binary::Div => store(da, fresh, g.iter().zip(bv).map(|(&g, &b)| g / b)),
        }
    }
    if let Some((db, fresh)) = grads.get_fresh(b) {
        match op {
            Binary::Add => store(db, fresh, g.iter().copied()),
            Binary::Sub => store(db, fresh, g.iter().map(|&g| -g)),
            Binary::Mul => store(db, fresh, g.iter().zip(av).map(|(&g, &a)| g * a)),
            Binary::Div => store(db, fresh, g.iter().zip(av).zip(bv).map(|((&g, &a), &b)| -g * a / (b * b))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_merge_dims() {
        let s = |d: &[usize]| Shape::new(d);
        // A bias over (B, T, C): B·T rows of C, the bias re-read from the start each row.
        let p = Plan::new(&s(&[2, 3, 4]), &s(&[4]), &s(&[2, 3, 4]));
        assert_eq!((p.n, p.inner_a, p.inner_b, p.rank), (4, 1, 1, 1));
        assert_eq!((p.sizes[0], p.stride_a[0], p.stride_b[0]), (6, 4, 0));
        // Same shapes: one flat row.
        let p = Plan::new(&s(&[2, 3]), &s(&[2, 3]), &s(&[2, 3]));
        assert_eq!((p.n, p.rank), (6, 0));
        // Per-row scale (B, T, C) / (B, T, 1).
        let p = Plan::new(&s(&[2, 3, 4]), &s(&[2, 3, 1]), &s(&[2, 3, 4]));
        assert_eq!((p.n, p.inner_a, p.inner_b, p.stride_b[0]), (4, 1, 0, 1));
    }
}
