//! `Value`: a scalar that remembers how it was computed (micrograd), stored on a [`Tape`].

mod fast;
mod inspect;
mod ops;
mod tape;

pub use tape::{NoGrad, Scope, Tape};

/// A scalar on this thread's [`Tape`]. It is only an index, so it is `Copy`: `a * b + c` moves nothing
/// and allocates nothing but the new node.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Value(pub(crate) u32);

impl Value {
    /// A new leaf: an input or a parameter.
    pub fn new(data: f64) -> Value {
        Value(tape::with(|t| t.push(data, [])))
    }

    /// The number this node holds.
    #[inline]
    pub fn data(self) -> f64 {
        tape::with(|t| t.data[self.0 as usize])
    }

    /// ∂root/∂self after `root.backward()`.
    #[inline]
    pub fn grad(self) -> f64 {
        tape::with(|t| t.grad[self.0 as usize])
    }

    /// Overwrites the number a leaf holds: how an optimizer updates a parameter. Do it after
    /// `backward`, not between a forward pass and its backward: a dot product reads its inputs'
    /// values when the gradient passes through it (as micrograd's `_backward` closures do).
    #[inline]
    pub fn set_data(self, data: f64) {
        tape::with(|t| t.data[self.0 as usize] = data);
    }

    /// Overwrites this node's gradient (e.g. `p.set_grad(0.0)` for one parameter).
    #[inline]
    pub fn set_grad(self, grad: f64) {
        tape::with(|t| t.grad[self.0 as usize] = grad);
    }

    /// Visits each of `params` with its value (to update) and its gradient (to read, and to reset if
    /// the optimizer zeroes gradients as it goes), under one borrow of the tape: what an optimizer's
    /// step is. `f` gets the parameter's position in `params`.
    pub fn update(params: &[Value], mut f: impl FnMut(usize, &mut f64, &mut f64)) {
        tape::with(|t| {
            for (i, p) in params.iter().enumerate() {
                let p = p.0 as usize;
                f(i, &mut t.data[p], &mut t.grad[p]);
            }
        });
    }

    /// Backpropagation: fills in `grad()` of every node that `self` depends on, with ∂self/∂node.
    /// Gradients accumulate (call [`Tape::zero_grad`] between steps); `self`'s own is set to 1.
    pub fn backward(self) {
        tape::with(|t| t.backward(self.0));
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value(data={}, grad={})", self.data(), self.grad())
    }
}

impl From<f64> for Value {
    fn from(data: f64) -> Value {
        Value::new(data)
    }
}
