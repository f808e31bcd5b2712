//! Every operation on `Value`, forward and local derivative side by side.
//!
//! Each op computes its result and records `∂out/∂input` for each input at once, while the numbers
//! are at hand; [`Value::backward`] only multiplies and adds. The arithmetic is micrograd's to the
//! bit: `a / b` is `a * b.powf(-1.0)` and `a - b` is `a + (-b)`, so results match the Python programs.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::tape;
use super::{Value, fast};
use crate::Kernels;

/// Records a node computed from one input.
#[inline]
fn unary(x: Value, f: impl FnOnce(f64) -> (f64, f64)) -> Value {
    tape::with(|t| {
        let (out, dout_dx) = f(t.data[x.0 as usize]);
        Value(t.push(out, [(x.0, dout_dx)]))
    })
}

/// Records a node computed from two inputs.
#[inline]
fn binary(a: Value, b: Value, f: impl FnOnce(f64, f64) -> (f64, f64, f64)) -> Value {
    tape::with(|t| {
        let (out, da, db) = f(t.data[a.0 as usize], t.data[b.0 as usize]);
        Value(t.push(out, [(a.0, da), (b.0, db)]))
    })
}

// ANCHOR: ops
impl Value {
    /// `self + other`: both local derivatives are 1.
    fn add_value(self, other: Value) -> Value {
        binary(self, other, |a, b| (a + b, 1.0, 1.0))
    }

    /// `self * other`: each input's local derivative is the other input.
    fn mul_value(self, other: Value) -> Value {
        binary(self, other, |a, b| (a * b, b, a))
    }

    /// `self^k` for a constant exponent: d/dx x^k = k·x^(k-1).
    pub fn powf(self, k: f64) -> Value {
        tape::with(|t| {
            let x = t.data[self.0 as usize];
            let (out, dout_dx) = t.pow_memo.get(x, k, || (x.powf(k), k * x.powf(k - 1.0)));
            Value(t.push(out, [(self.0, dout_dx)]))
        })
    }

    /// e^x is its own derivative.
    pub fn exp(self) -> Value {
        unary(self, |x| {
            let e = x.exp();
            (e, e)
        })
    }

    /// Natural logarithm: d/dx ln x = 1/x.
    pub fn ln(self) -> Value {
        unary(self, |x| (x.ln(), 1.0 / x))
    }

    /// max(0, x): passes the gradient where x > 0, blocks it elsewhere.
    pub fn relu(self) -> Value {
        unary(self, |x| if x > 0.0 { (x, 1.0) } else { (0.0, 0.0) })
    }

    /// tanh x, whose derivative 1 - tanh² x is cheap once tanh x is known.
    pub fn tanh(self) -> Value {
        unary(self, |x| {
            let t = x.tanh();
            (t, 1.0 - t * t)
        })
    }
}
// ANCHOR_END: ops

// ANCHOR: fused
impl Value {
    /// `xs[0] + xs[1] + …` as one node with n inputs. Python's `sum()` adds left to right starting
    /// from 0, and so does this, so the result is the same to the bit; the gradient of a sum hands
    /// its gradient unchanged to every term, exactly as a chain of two-input additions would.
    pub fn sum(xs: &[Value]) -> Value {
        if Kernels::unfused() {
            return chain(xs.iter().copied()); // micrograd's way
        }
        tape::with(|t| {
            let acc = xs.iter().fold(0.0, |acc, x| acc + t.data[x.0 as usize]);
            Value(t.push(acc, xs.iter().map(|x| (x.0, 1.0))))
        })
    }

    /// `Σ wᵢ·xᵢ` as one node with 2n inputs instead of 2n nodes: the workhorse of every linear layer.
    /// Same left-to-right order as Python's `sum(w * x for w, x in zip(ws, xs))`, same gradients
    /// (∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, read from the tape at backward time), a fraction of the tape.
    pub fn dot(ws: &[Value], xs: &[Value]) -> Value {
        assert_eq!(ws.len(), xs.len(), "Value::dot: {} weights but {} inputs", ws.len(), xs.len());
        if Kernels::fast() {
            return fast::dot(ws, xs); // the same node, recorded more compactly: value/fast.rs
        }
        if Kernels::unfused() {
            return chain(ws.iter().zip(xs).map(|(&w, &x)| w * x)); // micrograd's way: 2n nodes
        }
        tape::with(|t| {
            let mut acc = 0.0;
            for (w, x) in ws.iter().zip(xs) {
                acc += t.data[w.0 as usize] * t.data[x.0 as usize];
            }
            Value(t.push_pairs(acc, ws.iter().zip(xs).map(|(w, x)| [w.0, x.0])))
        })
    }

    /// `[Value::dot(row, x) for row in w]`: a matrix times a vector, one dot-product node per row.
    pub fn matvec<Row: AsRef<[Value]>>(w: &[Row], x: &[Value]) -> Vec<Value> {
        if Kernels::fast() {
            return fast::matvec(w, x); // the same nodes and bits, four rows at a time: value/fast.rs
        }
        w.iter().map(|row| Value::dot(row.as_ref(), x)).collect()
    }
}
// ANCHOR_END: fused

// ANCHOR: unfused
/// `0 + a₀ + a₁ + …` as micrograd and Python's `sum` build it, one two-input node per addition: what
/// the fused nodes stand for, selected by [`Kernels::Unfused`].
fn chain(terms: impl Iterator<Item = Value>) -> Value {
    terms.fold(Value::new(0.0), |acc, a| acc + a)
}
// ANCHOR_END: unfused

impl Sum for Value {
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        Value::sum(&iter.collect::<Vec<_>>())
    }
}

impl<'a> Sum<&'a Value> for Value {
    fn sum<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        Value::sum(&iter.copied().collect::<Vec<_>>())
    }
}

// The operator traits, for every mix of `Value` and `f64`. A constant is an edge-less side of the
// node, not a node of its own: nothing ever needs its gradient.

impl Add for Value {
    type Output = Value;
    fn add(self, other: Value) -> Value {
        self.add_value(other)
    }
}

impl Add<f64> for Value {
    type Output = Value;
    fn add(self, c: f64) -> Value {
        unary(self, |x| (x + c, 1.0))
    }
}

impl Add<Value> for f64 {
    type Output = Value;
    fn add(self, x: Value) -> Value {
        x + self
    }
}

impl Mul for Value {
    type Output = Value;
    fn mul(self, other: Value) -> Value {
        self.mul_value(other)
    }
}

impl Mul<f64> for Value {
    type Output = Value;
    fn mul(self, c: f64) -> Value {
        unary(self, |x| (x * c, c))
    }
}

impl Mul<Value> for f64 {
    type Output = Value;
    fn mul(self, x: Value) -> Value {
        x * self
    }
}

impl Neg for Value {
    type Output = Value;
    fn neg(self) -> Value {
        self * -1.0
    }
}

impl Sub for Value {
    type Output = Value;
    /// `a + (-b)` in one node: the same numbers as micrograd's two.
    fn sub(self, other: Value) -> Value {
        binary(self, other, |a, b| (a + -b, 1.0, -1.0))
    }
}

impl Sub<f64> for Value {
    type Output = Value;
    fn sub(self, c: f64) -> Value {
        self + -c
    }
}

impl Sub<Value> for f64 {
    type Output = Value;
    fn sub(self, x: Value) -> Value {
        self + -x
    }
}

impl Div for Value {
    type Output = Value;
    /// `a * b^-1`, as micrograd and microGPT write it (and round it).
    fn div(self, other: Value) -> Value {
        self * other.powf(-1.0)
    }
}

impl Div<f64> for Value {
    type Output = Value;
    /// `x * c^-1`: Python's `x / c` on a `Value` multiplies by `c ** -1`, which is not always `1 / c`
    /// to the last bit.
    fn div(self, c: f64) -> Value {
        self * c.powf(-1.0)
    }
}

impl Div<Value> for f64 {
    type Output = Value;
    fn div(self, x: Value) -> Value {
        x.powf(-1.0) * self
    }
}

impl AddAssign for Value {
    fn add_assign(&mut self, other: Value) {
        *self = *self + other;
    }
}

impl AddAssign<f64> for Value {
    fn add_assign(&mut self, c: f64) {
        *self = *self + c;
    }
}

impl SubAssign for Value {
    fn sub_assign(&mut self, other: Value) {
        *self = *self - other;
    }
}

impl MulAssign for Value {
    fn mul_assign(&mut self, other: Value) {
        *self = *self * other;
    }
}

impl MulAssign<f64> for Value {
    fn mul_assign(&mut self, c: f64) {
        *self = *self * c;
    }
}

impl DivAssign for Value {
    fn div_assign(&mut self, other: Value) {
        *self = *self / other;
    }
}
