//! Sums and means over one axis or over everything. The backward is broadcasting run in reverse:
//! every element that went into a sum gets the sum's gradient (times 1/n for a mean).

use super::Tensor;
use super::shape::Shape;
use super::tape::{Grads, Op, Saved, with};

/// Marks "every axis" in `Op::Reduce`.
const ALL: u8 = u8::MAX;

/// The tensor seen as (outer, n, inner) around the reduced axis (all of it is one block for `ALL`).
fn blocks(shape: &Shape, axis: u8) -> (usize, usize, usize) {
    if axis == ALL { (1, shape.numel(), 1) } else { shape.split_at_axis(axis as usize) }
}

/// Forward: `y[o, i] = scale · Σ_j x[o, j, i]`.
fn forward(x: &[f32], (outer, n, inner): (usize, usize, usize), scale: f32, y: &mut [f32]) {
    if inner == 1 {
        // Contiguous runs (a row, or everything): summed in f64, so a long sum loses nothing.
        for (y, run) in y.iter_mut().zip(x.chunks_exact(n.max(1))) {
            *y = (run.iter().map(|&v| v as f64).sum::<f64>() * scale as f64) as f32;
        }
        if n == 0 {
            y.fill(0.0 * scale);
        }
        return;
    }
    for o in 0..outer {
        let y = &mut y[o * inner..(o + 1) * inner];
        y.fill(0.0);
        for j in 0..n {
            let row = &x[(o * n + j) * inner..][..inner];
            y.iter_mut().zip(row).for_each(|(y, &x)| *y += x);
        }
        y.iter_mut().for_each(|y| *y *= scale);
    }
}

/// Backward: `dx[o, j, i] += scale · g[o, i]` for every j.
pub(super) fn backward(s: &Saved, grads: &mut Grads, x: u32, axis: u8, scale: f32, g: &[f32]) {
    let (outer, n, inner) = blocks(&s.shape(x), axis);
    let Some(dx) = grads.get(x) else { return };
    for o in 0..outer {
        let g = &g[o * inner..(o + 1) * inner];
        for j in 0..n {
            let row = &mut dx[(o * n + j) * inner..][..inner];
            row.iter_mut().zip(g).for_each(|(d, &g)| *d += scale * g);
        }
    }
}

fn apply(x: Tensor, axis: Option<isize>, keepdim: bool, mean: bool, name: &str) -> Tensor {
    with(|t| {
        let id = t.id(x);
        let shape = t.shape(id);
        let (axis, out_shape) = match axis {
            None => (ALL, Shape::new(&[])),
            Some(a) => {
                let d = shape.axis(a, name);
                (d as u8, if keepdim { shape.with(d, 1) } else { shape.without(d) })
            }
        };
        let (outer, n, inner) = blocks(&shape, axis);
        // Mean of nothing is NaN, as 0/0 is; the sum of nothing is 0.
        let scale = if mean { 1.0 / n as f32 } else { 1.0 };
        let mut y = t.alloc(out_shape.numel());
        forward(t.data(id), (outer, n, inner), scale, &mut y);
        t.push(out_shape, Op::Reduce { x: id, axis, scale }, t.requires_grad(id), y)
    })
}

impl Tensor {
    /// Sum over one axis (negative counts from the end); `keepdim` keeps it as size 1, as in PyTorch.
    pub fn sum_dim(self, axis: isize, keepdim: bool) -> Tensor {
        apply(self, Some(axis), keepdim, false, "sum_dim")
    }

    /// Mean over one axis (negative counts from the end); `keepdim` keeps it as size 1.
    pub fn mean_dim(self, axis: isize, keepdim: bool) -> Tensor {
        apply(self, Some(axis), keepdim, true, "mean_dim")
    }

    /// Sum of every element: a scalar (shape `[]`).
    pub fn sum(self) -> Tensor {
        apply(self, None, false, false, "sum")
    }

    /// Mean of every element: a scalar (shape `[]`).
    pub fn mean(self) -> Tensor {
        apply(self, None, false, true, "mean")
    }
}
