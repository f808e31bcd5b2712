//! The one shared autograd engine of zero-to-gpt.
//!
//! - [`Value`]: a scalar that remembers how it was computed (micrograd), recorded on a tape so that
//!   `backward()` is one reverse pass with no recursion.
//! - `Tensor`: the same idea one level up — whole arrays per node — so that training takes seconds.
//!
//! The engine knows nothing of text, files or plots.
#![forbid(unsafe_code)]

mod value;

pub use value::{NoGrad, Scope, Tape, Value};

pub mod bench;
pub mod init;
pub mod optim;
pub mod tensor;

pub use tensor::{Shape, Tensor, TensorNoGrad, TensorScope, TensorTape, on_worker};
