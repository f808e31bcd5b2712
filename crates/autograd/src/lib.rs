//! The one shared autograd engine of zero-to-gpt.
//!
//! - [`Value`]: a scalar that remembers how it was computed (micrograd), recorded on a tape so that
//!   `backward()` is one reverse pass with no recursion.
//! - `Tensor`: the same idea one level up — whole arrays per node — so that training takes seconds.
//! - [`Kernels`]: the plain kernels the chapters show, or the fast ones beside them, per thread.
//!
//! The engine knows nothing of text, files or plots.
#![forbid(unsafe_code)]

mod kernels;
mod value;

pub use kernels::{Kernels, KernelsScope};
pub use value::{NoGrad, Scope, Tape, Value};

pub mod init;
pub mod optim;
pub mod tensor;

pub use tensor::{Shape, Tensor, TensorNoGrad, TensorScope, TensorTape, on_worker, threads};
