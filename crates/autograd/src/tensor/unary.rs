//! Elementwise functions of one tensor. Each output element depends on one input element, so the
//! backward is the scalar rule applied element by element: `dx[i] += g[i] · f'(x[i])`.

use super::Tensor;
use super::fastmath;
use super::parallel::{rows_mut, rows2_mut, zip_chunks, zip3_chunks};
use super::tape::{Grads, Op, Saved, store, with};

/// Which function, with its constant if it has one.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unary {
    /// `x·mul + add`: scalar arithmetic (`x * 2.0`, `x - 1.0`, `-x`, `1.0 - x`).
    Affine {
        mul: f32,
        add: f32,
    },
    Exp,
    Ln,
    Tanh,
    Relu,
    Gelu,
    Powf(f32),
    Sqrt,
}

// √(2/π), the constant of GPT-2's tanh approximation of GELU.
const GELU_C: f32 = 0.797_884_6;
const GELU_K: f32 = 0.044_715;

/// Forward: `y = f(x)` for every element.
fn forward(f: Unary, x: &[f32], y: &mut [f32]) {
    zip_chunks(y, x, |y, x| match f {
        Unary::Affine { mul, add } => y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * mul + add),
        Unary::Exp => fastmath::exp_into(x, y),
        Unary::Ln => y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.ln()),
        Unary::Tanh => y.iter_mut().zip(x).for_each(|(y, &x)| *y = fastmath::tanh(x)),
        Unary::Relu => y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.max(0.0)),
        Unary::Gelu => unreachable!("GELU saves its tanh: see gelu_forward"),
        Unary::Powf(k) => y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.powf(k)),
        Unary::Sqrt => y.iter_mut().zip(x).for_each(|(y, &x)| *y = x.sqrt()),
    });
}

/// GPT-2's GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), keeping the tanh for the backward.
fn gelu_forward(x: &[f32], y: &mut [f32], t: &mut [f32]) {
    rows2_mut(y, 1, t, 1, |start, y, t| {
        for ((y, t), &x) in y.iter_mut().zip(t.iter_mut()).zip(&x[start..]) {
            *t = fastmath::tanh(GELU_C * (x + GELU_K * x * x * x));
            *y = 0.5 * x * (1.0 + *t);
        }
    });
}

/// Backward: `dx += g · f'(x)`, written with whichever of x and y = f(x) makes f' cheapest.
pub(super) fn backward(s: &Saved, grads: &mut Grads, x: u32, f: Unary, node: u32, g: &[f32]) {
    let Some((dx, fresh)) = grads.get_fresh(x) else { return };
    let (xs, ys) = (s.data(x), s.data(node));
    // dx = g · f'(v) with v = x or y, chunk by chunk over the cores when large (generic, so each f'
    // is inlined into its own vectorized loop).
    fn chain(dx: &mut [f32], g: &[f32], from: &[f32], fresh: bool, df: impl Fn(f32) -> f32 + Sync + Send) {
        zip3_chunks(dx, g, from, |dx, g, v| store(dx, fresh, g.iter().zip(v).map(|(&g, &v)| g * df(v))))
    }
    match f {
        Unary::Affine { mul, .. } => store(dx, fresh, g.iter().map(|&g| g * mul)),
        // d/dx e^x = e^x = y.
        Unary::Exp => chain(dx, g, ys, fresh, |y| y),
        Unary::Ln => chain(dx, g, xs, fresh, |x| 1.0 / x),
        // d/dx tanh x = 1 - tanh² x = 1 - y².
        Unary::Tanh => chain(dx, g, ys, fresh, |y| 1.0 - y * y),
        // The kink at 0 gets derivative 0, as in PyTorch.
        Unary::Relu => chain(dx, g, xs, fresh, |x| if x > 0.0 { 1.0 } else { 0.0 }),
        // With u = √(2/π)(x + k x³) and t = tanh u:
        // d/dx ½x(1 + t) = ½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3k x²).
        Unary::Gelu => {
            let ts = s.aux(node);
            rows_mut(dx, 1, |start, dx| {
                let (g, x, t) = (&g[start..], &xs[start..], &ts[start..]);
                let terms = g.iter().zip(x).zip(t).map(|((&g, &x), &t)| {
                    let du = GELU_C * (1.0 + 3.0 * GELU_K * x * x);
                    g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
                });
                store(dx, fresh, terms)
            })
        }
        Unary::Powf(k) => chain(dx, g, xs, fresh, |x| k * x.powf(k - 1.0)),
        // d/dx √x = 1 / (2√x) = 0.5 / y.
        Unary::Sqrt => chain(dx, g, ys, fresh, |y| 0.5 / y),
    }
}

fn apply(x: Tensor, f: Unary) -> Tensor {
    with(|t| {
        let id = t.id(x);
        let shape = t.shape(id);
        let mut y = t.alloc(shape.numel());
        let op = Op::Unary { x: id, f };
        if let Unary::Gelu = f {
            let mut saved = t.alloc_aux(shape.numel());
            gelu_forward(t.data(id), &mut y, &mut saved);
            return t.push_saved(shape, op, t.requires_grad(id), y, Some(saved), None);
        }
        forward(f, t.data(id), &mut y);
        t.push(shape, op, t.requires_grad(id), y)
    })
}

impl Tensor {
    /// `self · mul + add` elementwise (what `x * 2.0`, `x + 1.0`, `1.0 - x` and `-x` record).
    pub fn affine(self, mul: f32, add: f32) -> Tensor {
        apply(self, Unary::Affine { mul, add })
    }

    /// e^x elementwise.
    pub fn exp(self) -> Tensor {
        apply(self, Unary::Exp)
    }

    /// Natural logarithm elementwise.
    pub fn ln(self) -> Tensor {
        apply(self, Unary::Ln)
    }

    /// tanh elementwise.
    pub fn tanh(self) -> Tensor {
        apply(self, Unary::Tanh)
    }

    /// max(x, 0) elementwise.
    pub fn relu(self) -> Tensor {
        apply(self, Unary::Relu)
    }

    /// GELU with the tanh approximation that GPT-2 and nanoGPT use (PyTorch's `approximate="tanh"`).
    pub fn gelu(self) -> Tensor {
        apply(self, Unary::Gelu)
    }

    /// x^k elementwise for a constant k.
    pub fn powf(self, k: f32) -> Tensor {
        apply(self, Unary::Powf(k))
    }

    /// √x elementwise.
    pub fn sqrt(self) -> Tensor {
        apply(self, Unary::Sqrt)
    }
}
