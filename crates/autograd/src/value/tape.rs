//! The tape: every scalar ever computed, in the order it was computed.
//!
//! micrograd keeps a graph of heap objects that point at their children and finds an order for the
//! backward pass by a recursive depth-first search. Here the order is free: a node can only be created
//! after its inputs, so creation order is already a topological order, and the backward pass is one
//! sweep over the tape from the end to the start. No pointers, no recursion, no per-node allocation.

use std::cell::RefCell;

/// Structure of arrays: node `i` has value `data[i]`, gradient `grad[i]`, and inputs `inputs[i]`.
pub(crate) struct Storage {
    pub(crate) data: Vec<f64>,
    pub(crate) grad: Vec<f64>,
    pub(crate) inputs: Vec<Inputs>,
    /// Every recorded edge, node after node.
    pub(crate) edges: Vec<Edge>,
    /// Every recorded dot product's `(wₖ, xₖ)` pairs, node after node.
    pub(crate) pairs: Vec<[u32; 2]>,
    /// False inside [`Tape::no_grad`]: nodes keep their values but record no inputs.
    pub(crate) recording: bool,
    /// The last `powf` computed. A softmax divides every element by the same total, `e / total` being
    /// `e * total^-1`, so it asks for the same power n times in a row; libm's `pow` is the slowest
    /// thing in the forward pass, and a pure function, so remembering one answer is exact.
    pub(crate) pow_memo: PowMemo,
    /// Scratch for `backward`: which nodes the root depends on.
    reached: Vec<bool>,
}

/// What a node was computed from, and how to find the local derivatives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Inputs {
    /// A leaf (an input or a parameter), or a node computed under [`Tape::no_grad`].
    None,
    /// `edges[start..end]`: each input with its local derivative, computed in the forward pass (every
    /// op but the dot product).
    Edges { start: u32, end: u32 },
    /// A dot product `Σ wₖ·xₖ` over `pairs[start..end]`. It needs no local derivatives of its own:
    /// `∂/∂wₖ = xₖ` and `∂/∂xₖ = wₖ` are values the tape already holds, and backward reads them there,
    /// as micrograd's `_backward` closures read `other.data`.
    Pairs { start: u32, end: u32 },
    /// The same, as the fast dot product records it (`value/fast.rs`) when the `w`s are n consecutive
    /// nodes from `w` and the `x`s n consecutive nodes from `x`: three numbers instead of 2n pairs.
    Run { w: u32, x: u32, n: u32 },
}

/// The lengths of the tape's arrays at some moment.
#[derive(Clone, Copy, Default)]
struct Mark {
    nodes: usize,
    edges: usize,
    pairs: usize,
}

/// An input of a node, and the local derivative `∂node/∂child`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub(crate) child: u32,
    pub(crate) local: f64,
}

/// A one-entry cache of `(x, k) ↦ (x^k, k·x^(k-1))`, keyed on the exact bits of x and k.
pub(crate) struct PowMemo {
    key: (u64, u64),
    value: (f64, f64),
}

impl PowMemo {
    const EMPTY: PowMemo =
        PowMemo { key: (f64::NAN.to_bits(), f64::NAN.to_bits()), value: (f64::NAN, f64::NAN) };

    #[inline]
    pub(crate) fn get(&mut self, x: f64, k: f64, compute: impl FnOnce() -> (f64, f64)) -> (f64, f64) {
        let key = (x.to_bits(), k.to_bits());
        if key != self.key {
            self.key = key;
            self.value = compute();
        }
        self.value
    }
}

impl Storage {
    const EMPTY: Storage = Storage {
        data: Vec::new(),
        grad: Vec::new(),
        inputs: Vec::new(),
        edges: Vec::new(),
        pairs: Vec::new(),
        recording: true,
        pow_memo: PowMemo::EMPTY,
        reached: Vec::new(),
    };

    /// Records a node whose value is `data` and whose inputs and local derivatives are `edges`.
    #[inline]
    pub(crate) fn push(&mut self, data: f64, edges: impl IntoIterator<Item = (u32, f64)>) -> u32 {
        let mut inputs = Inputs::None;
        if self.recording {
            let start = self.edges.len() as u32;
            self.edges.extend(edges.into_iter().map(|(child, local)| Edge { child, local }));
            inputs = Inputs::Edges { start, end: self.edges.len() as u32 };
        }
        self.push_node(data, inputs)
    }

    /// Records a dot product `data = Σ wₖ·xₖ` over the `[wₖ, xₖ]` node pairs.
    #[inline]
    pub(crate) fn push_pairs(&mut self, data: f64, pairs: impl IntoIterator<Item = [u32; 2]>) -> u32 {
        let mut inputs = Inputs::None;
        if self.recording {
            let start = self.pairs.len() as u32;
            self.pairs.extend(pairs);
            inputs = Inputs::Pairs { start, end: self.pairs.len() as u32 };
        }
        self.push_node(data, inputs)
    }

    /// Appends a node, returning its index.
    #[inline]
    pub(crate) fn push_node(&mut self, data: f64, inputs: Inputs) -> u32 {
        let id = self.data.len();
        assert!(
            id < u32::MAX as usize,
            "the tape is full (4 billion nodes): free each step with Tape::scope"
        );
        self.data.push(data);
        self.grad.push(0.0);
        self.inputs.push(if self.recording { inputs } else { Inputs::None });
        id as u32
    }

    /// How long the tape is now: where to cut it to free what is built from here on.
    fn mark(&self) -> Mark {
        Mark { nodes: self.data.len(), edges: self.edges.len(), pairs: self.pairs.len() }
    }

    /// Frees every node built since `mark` was taken: what a training step built, once it is over.
    fn truncate(&mut self, mark: Mark) {
        self.data.truncate(mark.nodes);
        self.grad.truncate(mark.nodes);
        self.inputs.truncate(mark.nodes);
        self.edges.truncate(mark.edges);
        self.pairs.truncate(mark.pairs);
    }

    // ANCHOR: backward
    /// One reverse sweep from `root`: each node hands its gradient to its inputs, scaled by the local
    /// derivative (the chain rule). `+=` because a node used twice gets a contribution from each use.
    /// Only the root's ancestors take part: a node of some other graph lower on the tape may hold a
    /// gradient from an earlier `backward`, and must not pass it on.
    pub(crate) fn backward(&mut self, root: u32) {
        let root = root as usize;
        self.grad[root] = 1.0;
        self.reached.clear();
        self.reached.resize(root + 1, false);
        self.reached[root] = true;
        let (data, grad, reached) = (&self.data, &mut self.grad, &mut self.reached);
        for node in (0..=root).rev() {
            let g = grad[node];
            // A node with no gradient has nothing to hand on; skipping it also keeps an infinite local
            // derivative elsewhere (say ln at 0) from turning 0 into NaN.
            if !reached[node] || g == 0.0 {
                continue;
            }
            match self.inputs[node] {
                Inputs::None => {}
                Inputs::Edges { start, end } => {
                    for &Edge { child, local } in &self.edges[start as usize..end as usize] {
                        grad[child as usize] += local * g;
                        reached[child as usize] = true;
                    }
                }
                // A dot product: ∂/∂w = x and ∂/∂x = w.
                Inputs::Pairs { start, end } => {
                    for &[w, x] in &self.pairs[start as usize..end as usize] {
                        let (w, x) = (w as usize, x as usize);
                        grad[w] += data[x] * g;
                        grad[x] += data[w] * g;
                        reached[w] = true;
                        reached[x] = true;
                    }
                }
                // The fast dot product's compact record of the same pairs (value/fast.rs).
                Inputs::Run { w, x, n } => super::fast::run_backward(data, grad, reached, (w, x, n), g),
            }
        }
    }
    // ANCHOR_END: backward
}

thread_local! {
    pub(crate) static TAPE: RefCell<Storage> = const { RefCell::new(Storage::EMPTY) };
}

#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut Storage) -> R) -> R {
    TAPE.with_borrow_mut(f)
}

/// The thread's tape of scalar nodes. Each thread has its own, so tests run in parallel freely.
///
/// The usual life of a training loop:
///
/// ```
/// use autograd::{Tape, Value};
/// let w = Value::new(0.5); // parameters: created first, they live as long as the tape
/// for _ in 0..3 {
///     let step = Tape::scope(); // everything the step builds is freed when `step` drops
///     let loss = (w * 3.0 - 1.0).powf(2.0);
///     loss.backward();
///     w.set_data(w.data() - 0.1 * w.grad());
///     Tape::zero_grad();
///     drop(step);
/// }
/// assert_eq!(Tape::len(), 1);
/// ```
pub struct Tape;

impl Tape {
    /// Opens a scope: every node created until the returned guard drops is freed at once when it does.
    /// Values created inside the scope must not be used after it ends.
    pub fn scope() -> Scope {
        Scope { mark: with(|t| t.mark()) }
    }

    /// Sets every gradient on the tape to zero (between steps that is just the parameters).
    pub fn zero_grad() {
        with(|t| t.grad.fill(0.0));
    }

    /// Turns gradient recording off until the returned guard drops: values are computed as usual, but no
    /// node remembers its inputs, so evaluation and sampling cost only the forward arithmetic.
    pub fn no_grad() -> NoGrad {
        NoGrad { was_recording: with(|t| std::mem::replace(&mut t.recording, false)) }
    }

    /// How many nodes the tape holds.
    pub fn len() -> usize {
        with(|t| t.data.len())
    }

    /// Frees every node on this thread's tape, parameters included.
    pub fn clear() {
        with(|t| t.truncate(Mark::default()));
    }
}

/// Guard returned by [`Tape::scope`]; dropping it frees everything created since.
#[must_use = "dropping the scope at once frees nothing useful; bind it with `let step = Tape::scope();`"]
pub struct Scope {
    mark: Mark,
}

impl Drop for Scope {
    fn drop(&mut self) {
        with(|t| t.truncate(self.mark));
    }
}

/// Guard returned by [`Tape::no_grad`]; dropping it restores recording as it was.
#[must_use = "bind it with `let _no_grad = Tape::no_grad();`, or recording turns back on at once"]
pub struct NoGrad {
    was_recording: bool,
}

impl Drop for NoGrad {
    fn drop(&mut self) {
        with(|t| t.recording = self.was_recording);
    }
}
