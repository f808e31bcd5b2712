//! `Tensor`: the scalar engine's design one level up. A node holds a whole n-dimensional array (f32,
//! row-major) instead of one number, and an op's backward turns the gradient of its output array into
//! the gradients of its input arrays. Everything else is the same as for [`Value`](crate::Value):
//!
//! - a `Tensor` is a `Copy` handle into a thread-local tape ([`TensorTape`]);
//! - ops are recorded in the order they run, so `backward` is one reverse sweep, no recursion;
//! - parameters are created first and persist; a [`TensorScope`] frees everything a step built;
//! - gradients accumulate until [`TensorTape::zero_grad`] (or an optimizer's `zero_grad`).
//!
//! Each op lives in its own file, forward and backward side by side. Shape mistakes are programmer
//! errors and panic with a message that names the op and the shapes.

mod attention;
mod cross_entropy;
mod dropout;
mod elementwise;
mod fast;
mod fastmath;
mod index;
mod matmul;
mod norm;
mod parallel;
mod reduce;
mod shape;
mod softmax;
pub(crate) mod tape;
mod unary;
mod view;

pub use norm::BatchNorm1d;
pub use parallel::{on_worker, threads};
pub use shape::{MAX_DIMS, Shape};

use tape::{Op, with};

/// An n-dimensional array of f32 on this thread's [`TensorTape`]. Only a handle (an index and a
/// check stamp), so it is `Copy`: `x.matmul(w) + b` moves no arrays.
///
/// ```
/// use autograd::{Tensor, TensorTape};
/// let w = Tensor::param(&[1.0, 2.0, 3.0, 4.0], &[2, 2]); // (2, 2), trainable
/// let step = TensorTape::scope();
/// let x = Tensor::new(&[1.0, -1.0], &[1, 2]); // (1, 2), a constant input
/// let loss = x.matmul(w).tanh().sum();
/// loss.backward();
/// assert_eq!(w.grad().len(), 4);
/// drop(step); // frees x, the product, tanh and loss; w and its gradient stay
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tensor {
    pub(crate) id: u32,
    pub(crate) stamp: u32,
}

impl Tensor {
    /// A constant input (no gradient is computed for it): `data` in row-major order, `shape` its dims.
    pub fn new(data: &[f32], shape: &[usize]) -> Tensor {
        Tensor::leaf(data, shape, false)
    }

    /// A parameter: a leaf that gradients flow into. Create parameters before any [`TensorScope`], so
    /// that they outlive the steps.
    pub fn param(data: &[f32], shape: &[usize]) -> Tensor {
        Tensor::leaf(data, shape, true)
    }

    fn leaf(data: &[f32], shape: &[usize], requires_grad: bool) -> Tensor {
        let shape = Shape::new(shape);
        assert_eq!(
            data.len(),
            shape.numel(),
            "Tensor::new: {} numbers do not fill shape {shape:?}",
            data.len()
        );
        with(|t| {
            let mut buf = t.alloc(data.len());
            buf.copy_from_slice(data);
            t.push(shape, Op::Leaf, requires_grad, buf)
        })
    }

    /// A constant filled with `value`.
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        let shape = Shape::new(shape);
        with(|t| {
            let mut buf = t.alloc(shape.numel());
            buf.fill(value);
            t.push(shape, Op::Leaf, false, buf)
        })
    }

    /// A constant filled with zeros.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// The dims of this tensor.
    pub fn shape(self) -> Shape {
        with(|t| t.shape(t.id(self)))
    }

    /// The number of elements.
    pub fn numel(self) -> usize {
        self.shape().numel()
    }

    /// A copy of the numbers, row-major.
    pub fn data(self) -> Vec<f32> {
        self.with_data(<[f32]>::to_vec)
    }

    /// The only number of a one-element tensor (a loss).
    pub fn item(self) -> f32 {
        self.with_data(|d| {
            assert_eq!(d.len(), 1, "item: the tensor has {} elements, not 1", d.len());
            d[0]
        })
    }

    /// Reads the numbers in place. `f` must not use tensors itself (the tape is borrowed meanwhile).
    pub fn with_data<R>(self, f: impl FnOnce(&[f32]) -> R) -> R {
        with(|t| f(t.data(t.id(self))))
    }

    /// A copy of ∂root/∂self after `root.backward()`: zeros if no gradient reached this tensor.
    pub fn grad(self) -> Vec<f32> {
        self.with_grad(<[f32]>::to_vec)
    }

    /// Reads the gradient in place (zeros if no gradient reached this tensor).
    pub fn with_grad<R>(self, f: impl FnOnce(&[f32]) -> R) -> R {
        with(|t| {
            let id = t.id(self);
            let b = t.nodes[id as usize].buf as usize;
            if t.live[b] { f(&t.grad[b]) } else { f(&vec![0.0; t.shape(id).numel()]) }
        })
    }

    /// Overwrites the numbers (same count): how a checkpoint is loaded into a parameter.
    pub fn set_data(self, data: &[f32]) {
        with(|t| {
            let id = t.id(self);
            let b = t.nodes[id as usize].buf as usize;
            let shape = t.shape(id);
            assert_eq!(data.len(), shape.numel(), "set_data: {} numbers for shape {shape:?}", data.len());
            t.data[b].copy_from_slice(data);
        })
    }

    /// Whether gradients flow into this tensor (it is a parameter or computed from one).
    pub fn requires_grad(self) -> bool {
        with(|t| t.requires_grad(t.id(self)))
    }

    /// Backpropagation from a one-element tensor (a loss): fills in `grad()` of every tensor it depends
    /// on. Gradients accumulate; zero them between steps.
    pub fn backward(self) {
        let shape = self.shape();
        assert_eq!(
            shape.numel(),
            1,
            "backward: the root must hold one number (a loss), got shape {shape:?}; reduce it with sum() or mean(), or use backward_with"
        );
        self.backward_with(&[1.0]);
    }

    /// Backpropagation seeded with ∂L/∂self = `seed` (same shape as `self`) for some outer `L`.
    pub fn backward_with(self, seed: &[f32]) {
        with(|t| {
            let id = t.id(self);
            t.backward(id, seed)
        })
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (shape, req) = with(|t| {
            let id = t.id(*self);
            (t.shape(id), t.requires_grad(id))
        });
        write!(f, "Tensor(#{}, shape={shape:?}, requires_grad={req})", self.id)
    }
}

/// The thread's tape of tensor nodes (each thread has its own, so tests run in parallel freely).
///
/// The life of a training loop, exactly as with scalars:
///
/// ```
/// use autograd::{Tensor, TensorTape};
/// let w = Tensor::param(&[0.5], &[1]); // parameters: created first, they live as long as the tape
/// for _ in 0..3 {
///     let step = TensorTape::scope(); // everything the step builds is freed when `step` drops
///     let loss = (w * 3.0 - 1.0).powf(2.0).sum();
///     loss.backward();
///     let (v, g) = (w.data()[0], w.grad()[0]);
///     w.set_data(&[v - 0.1 * g]);
///     TensorTape::zero_grad();
///     drop(step);
/// }
/// assert_eq!(TensorTape::len(), 1);
/// ```
pub struct TensorTape;

impl TensorTape {
    /// Opens a scope: every tensor created until the returned guard drops is freed when it does. Their
    /// buffers are kept and reused by the next step's tensors, so the tape stops growing after the first step.
    pub fn scope() -> TensorScope {
        TensorScope { mark: TensorTape::len() }
    }

    /// Sets every gradient on the tape to zero (between steps that is just the parameters').
    pub fn zero_grad() {
        with(|t| t.zero_grad());
    }

    /// How many tensors the tape holds.
    pub fn len() -> usize {
        with(|t| t.nodes.len())
    }

    /// Turns gradient tracking off until the returned guard drops: tensors are computed as usual but
    /// depend on no parameter, so evaluation and sampling never prepare for a backward pass.
    pub fn no_grad() -> TensorNoGrad {
        TensorNoGrad { was: with(|t| std::mem::replace(&mut t.no_grad, true)) }
    }

    /// Frees every tensor on this thread's tape, parameters and kept buffers included.
    pub fn clear() {
        with(|t| t.clear());
    }

    /// Bytes held in the tape's buffers (data, gradients, saved extras), in use or kept for reuse.
    pub fn bytes() -> usize {
        with(|t| t.bytes())
    }
}

/// Guard returned by [`TensorTape::scope`]; dropping it frees every tensor created since.
#[must_use = "dropping the scope at once frees nothing useful; bind it with `let step = TensorTape::scope();`"]
pub struct TensorScope {
    mark: usize,
}

impl Drop for TensorScope {
    fn drop(&mut self) {
        with(|t| t.truncate(self.mark));
    }
}

/// Guard returned by [`TensorTape::no_grad`]; dropping it restores tracking as it was.
#[must_use = "bind it with `let _no_grad = TensorTape::no_grad();`, or tracking turns back on at once"]
pub struct TensorNoGrad {
    was: bool,
}

impl Drop for TensorNoGrad {
    fn drop(&mut self) {
        with(|t| t.no_grad = self.was);
    }
}
