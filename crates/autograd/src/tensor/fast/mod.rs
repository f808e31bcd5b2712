//! The efficient versions of the kernels that the chapters show, each beside its plain twin's file:
//! `fast/matmul.rs` is the fast `matmul.rs`, and so on. They compute the same numbers (to the bit
//! where they add in the same order, to f32 rounding where they do not: `tests/kernels.rs`), and run
//! when [`Kernels::Fast`](crate::Kernels) is selected, which is the default.
//!
//! What makes them fast: faer's blocked SIMD matrix products over strided views (a transpose is a
//! swap of strides), work split over the cores in a way that never changes a result, loops
//! specialised per broadcast pattern, and attention's (T, T) products done as plain loops that skip
//! the masked half while they are small, as gemm once they are not.

pub(super) mod attention;
pub(super) mod elementwise;
pub(super) mod matmul;
