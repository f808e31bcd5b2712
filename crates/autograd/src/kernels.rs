//! Which version of the engine's speed-critical kernels runs: the plain one that a chapter shows, or
//! the fast one beside it.
//!
//! Every kernel a chapter shows is written the way the chapter explains it: short loops, forward and
//! backward side by side. Where that is too slow to train on, an efficient version of the same kernel
//! lives in a module named `fast` next to it (`value/fast.rs`, `tensor/fast/`), and a test checks that
//! the two compute the same numbers. The choice is made per thread, like the tapes, each time an op
//! runs, so a program (or a benchmark) can time one against the other.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

/// The kernels behind `Value::dot`, `Value::matvec`, matrix products (`matmul`, `linear`),
/// broadcasting arithmetic and `causal_self_attention`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kernels {
    /// micrograd's design, before any fusing: `Value::dot`, `Value::matvec` and `Value::sum` build a
    /// node for every multiply and every addition (the tensor kernels run plain). The first rung of
    /// `cargo xtask ladder`; the same values as the fused nodes, at several times the tape.
    Unfused,
    /// As the chapters show them: one element at a time, on one thread.
    Plain,
    /// The `fast` modules: blocked SIMD matrix products (faer), both cores, fused inner loops.
    #[default]
    Fast,
}

thread_local! {
    static CURRENT: Cell<Kernels> = const { Cell::new(Kernels::Fast) };
}

impl Kernels {
    /// Both, plain first.
    pub const ALL: [Kernels; 2] = [Kernels::Plain, Kernels::Fast];

    /// The kernels that ops on this thread use ([`Kernels::Fast`] unless [`Kernels::set`] said otherwise).
    pub fn current() -> Kernels {
        CURRENT.get()
    }

    /// Makes ops on this thread use `self` from now on, and returns the previous choice. Tensor code
    /// runs inside [`on_worker`](crate::on_worker): set the kernels there, on the thread that owns the tape.
    pub fn set(self) -> Kernels {
        CURRENT.replace(self)
    }

    /// Makes ops on this thread use `self` until the returned guard is dropped, then the earlier choice.
    #[must_use = "the choice lasts only as long as the guard"]
    pub fn scope(self) -> KernelsScope {
        KernelsScope(self.set())
    }

    /// Are the scalar ops to build micrograd's two-input nodes instead of fused ones?
    #[inline]
    pub(crate) fn unfused() -> bool {
        CURRENT.get() == Kernels::Unfused
    }

    /// Is the fast version selected? (What each op asks before it runs.)
    #[inline]
    pub(crate) fn fast() -> bool {
        CURRENT.get() == Kernels::Fast
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernels::Unfused => "unfused",
            Kernels::Plain => "plain",
            Kernels::Fast => "fast",
        }
    }
}

/// While alive, a choice of kernels made by [`Kernels::scope`]; restores the earlier one when dropped.
pub struct KernelsScope(Kernels);

impl Drop for KernelsScope {
    fn drop(&mut self) {
        self.0.set();
    }
}

impl fmt::Display for Kernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kernels {
    type Err = String;

    fn from_str(s: &str) -> Result<Kernels, String> {
        match s {
            "unfused" => Ok(Kernels::Unfused),
            "plain" => Ok(Kernels::Plain),
            "fast" => Ok(Kernels::Fast),
            _ => Err(format!("unknown kernels '{s}' (expected unfused, plain or fast)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_is_per_thread_and_defaults_to_fast() {
        assert_eq!(Kernels::current(), Kernels::Fast);
        assert_eq!(Kernels::Plain.set(), Kernels::Fast);
        assert_eq!(Kernels::current(), Kernels::Plain);
        std::thread::spawn(|| assert_eq!(Kernels::current(), Kernels::Fast)).join().unwrap();
        assert_eq!(Kernels::Fast.set(), Kernels::Plain);
        assert_eq!("plain".parse::<Kernels>(), Ok(Kernels::Plain));
        assert_eq!(Kernels::Fast.to_string().parse::<Kernels>(), Ok(Kernels::Fast));
        assert!("quick".parse::<Kernels>().is_err());
    }

    #[test]
    fn a_scope_restores_the_earlier_choice() {
        {
            let _plain = Kernels::Plain.scope();
            assert_eq!(Kernels::current(), Kernels::Plain);
        }
        assert_eq!(Kernels::current(), Kernels::Fast);
    }
}
