//! `a + b`, `a - b`, `a * b`, `a / b` with numpy broadcasting, and the operators that record them.
//!
//! The backward of broadcasting is the lesson of makemore part 4: an input that was *reused* along a
//! dim (a bias added to every row) receives the *sum* of the gradients along that dim. So the backward
//! walks the same index pattern as the forward, but accumulates into the smaller input. This file
//! does it one element at a time; the engine trains with its fast twin, `fast/elementwise.rs`
//! ([`Kernels::Plain`](crate::Kernels) selects this one).

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::shape::{Shape, broadcast_shape, broadcast_strides};
use super::tape::{Grads, Op, Saved, with};
use super::{Tensor, fast};
use crate::Kernels;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

impl Binary {
    fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
        }
    }
}

// ANCHOR: binary
/// For each output element, in order, where it reads `a` and where it reads `b`: its index (i₀, i₁, …)
/// in the output, times each input's strides, which are 0 along the dims that input was stretched.
fn sources(a: &Shape, b: &Shape, out: &Shape) -> impl Iterator<Item = (usize, usize)> {
    let (sa, sb) = (broadcast_strides(a, out), broadcast_strides(b, out));
    let strides = out.strides();
    let out = *out;
    (0..out.numel()).map(move |i| {
        let (mut ia, mut ib) = (0, 0);
        for d in 0..out.len() {
            let index = i / strides[d] % out[d];
            ia += index * sa[d];
            ib += index * sb[d];
        }
        (ia, ib)
    })
}

/// Forward: every output element from the elements of `a` and `b` it lines up with.
fn forward(op: Binary, sa: &Shape, sb: &Shape, so: &Shape, a: &[f32], b: &[f32], out: &mut [f32]) {
    for (o, (ia, ib)) in out.iter_mut().zip(sources(sa, sb, so)) {
        let (a, b) = (a[ia], b[ib]);
        *o = match op {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
        };
    }
}

/// Backward: each output element's gradient times ∂(a∘b)/∂a is added into the element of `a` it read,
/// and likewise for `b`. An element read by many outputs (broadcast) gets the sum of their gradients.
pub(super) fn backward(s: &Saved, grads: &mut Grads, a: u32, b: u32, op: Binary, node: u32, g: &[f32]) {
    let (sa, sb, so) = (s.shape(a), s.shape(b), s.shape(node));
    let (av, bv) = (s.data(a), s.data(b));
    if let Some(da) = grads.get(a) {
        for (i, (ia, ib)) in sources(&sa, &sb, &so).enumerate() {
            da[ia] += match op {
                Binary::Add | Binary::Sub => g[i],
                Binary::Mul => g[i] * bv[ib],
                Binary::Div => g[i] / bv[ib],
            };
        }
    }
    if let Some(db) = grads.get(b) {
        for (i, (ia, ib)) in sources(&sa, &sb, &so).enumerate() {
            db[ib] += match op {
                Binary::Add => g[i],
                Binary::Sub => -g[i],
                Binary::Mul => g[i] * av[ia],
                Binary::Div => -g[i] * av[ia] / (bv[ib] * bv[ib]), // d(a/b)/db = -a/b²
            };
        }
    }
}
// ANCHOR_END: binary

fn apply(a: Tensor, b: Tensor, op: Binary) -> Tensor {
    with(|t| {
        let (ia, ib) = (t.id(a), t.id(b));
        let (sa, sb) = (t.shape(ia), t.shape(ib));
        let shape = broadcast_shape(&sa, &sb, op.name());
        let mut out = t.alloc(shape.numel());
        if Kernels::fast() {
            fast::elementwise::forward(op, &sa, &sb, &shape, t.data(ia), t.data(ib), &mut out);
        } else {
            forward(op, &sa, &sb, &shape, t.data(ia), t.data(ib), &mut out);
        }
        let req = t.requires_grad(ia) || t.requires_grad(ib);
        t.push(shape, Op::Binary { a: ia, b: ib, f: op }, req, out)
    })
}

macro_rules! operators {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:expr, $scalar:expr, $rscalar:expr) => {
        impl $Trait for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                apply(self, rhs, $op)
            }
        }
        impl $Trait<f32> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                let (mul, add): (f32, f32) = $scalar(rhs);
                self.affine(mul, add)
            }
        }
        impl $Trait<Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                $rscalar(self, rhs)
            }
        }
        impl $Assign for Tensor {
            fn $assign(&mut self, rhs: Tensor) {
                *self = apply(*self, rhs, $op);
            }
        }
        impl $Assign<f32> for Tensor {
            fn $assign(&mut self, rhs: f32) {
                *self = $Trait::$method(*self, rhs);
            }
        }
    };
}

operators!(Add, add, AddAssign, add_assign, Binary::Add, |c| (1.0, c), |c, x: Tensor| x.affine(1.0, c));
operators!(Sub, sub, SubAssign, sub_assign, Binary::Sub, |c: f32| (1.0, -c), |c, x: Tensor| x
    .affine(-1.0, c));
operators!(Mul, mul, MulAssign, mul_assign, Binary::Mul, |c| (c, 0.0), |c, x: Tensor| x.affine(c, 0.0));
operators!(Div, div, DivAssign, div_assign, Binary::Div, |c: f32| (1.0 / c, 0.0), |c, x: Tensor| x
    .powf(-1.0)
    * c);

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        self.affine(-1.0, 0.0)
    }
}
