//! The tensor tape: every tensor computed on this thread, in the order it was computed.
//!
//! The same design as the scalar [`Tape`](crate::Tape), one level up: a node is created after its
//! inputs, so creation order is a topological order and `backward` is one sweep from the end to the
//! start. What changes is the size of a node: a whole array, with an op that knows how to hand its
//! gradient array to its inputs' gradient arrays.
//!
//! A training step builds the same graph every time, so the tape keeps the buffers of the nodes a
//! [`TensorScope`] frees and hands them to the nodes created at the same positions in the next step:
//! after the first step, the tape's memory stops growing.

use std::cell::RefCell;

use super::shape::{MAX_DIMS, Shape};
use super::{
    Tensor, attention, cross_entropy, dropout, elementwise, fast, index, matmul, norm, reduce, softmax,
    unary, view,
};
use crate::Kernels;

/// What produced a node, with the ids of its inputs (always earlier on the tape) and whatever else its
/// backward needs. Larger saved things live in the node's `aux` (floats) and `ids` (integers) buffers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// An input or a parameter.
    Leaf,
    /// Same numbers as another node, another shape: shares that node's data and gradient buffers
    /// (`Node::buf` says whose).
    View,
    Permute {
        x: u32,
        perm: [u8; MAX_DIMS],
    },
    Unary {
        x: u32,
        f: unary::Unary,
    },
    Binary {
        a: u32,
        b: u32,
        f: elementwise::Binary,
    },
    /// `a @ op(b) (+ bias)`, op = transpose if `tb`.
    MatMul {
        a: u32,
        b: u32,
        tb: bool,
        bias: Option<u32>,
    },
    Reduce {
        x: u32,
        axis: u8,
        scale: f32,
    },
    /// Rows of `table` picked by the indices in `ids`.
    Embedding {
        table: u32,
    },
    /// `x[i, ids[i]]` for every row `i`.
    Pick {
        x: u32,
    },
    Narrow {
        x: u32,
        axis: u8,
        start: u32,
    },
    CausalMask {
        x: u32,
    },
    /// Attention reading q | k | v out of one (..., T, 3C) tensor; `aux` holds the weights P.
    SelfAttention {
        qkv: u32,
        n_head: u32,
    },
    Softmax {
        x: u32,
    },
    /// Targets in `ids`; `aux` holds each row's log-sum-exp.
    CrossEntropy {
        logits: u32,
    },
    /// Layer norm (`center`) or RMS norm; `aux` holds each row's shift (mean or 0) and 1/std.
    RowNorm {
        x: u32,
        gain: Option<u32>,
        bias: Option<u32>,
        center: bool,
    },
    /// `aux` holds each channel's mean and 1/std; `train`: they are this batch's own statistics.
    BatchNorm {
        x: u32,
        gain: u32,
        bias: u32,
        train: bool,
    },
    Dropout {
        x: u32,
        p: f32,
        seed: u64,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) shape: Shape,
    pub(crate) op: Op,
    /// Does any parameter flow into this node? If not, backward skips it.
    pub(crate) requires_grad: bool,
    /// The node whose data and gradient buffers this one uses: itself, or the tensor it is a view of.
    pub(crate) buf: u32,
    /// Creation counter, copied into the handle: a handle whose node has been freed no longer matches.
    stamp: u32,
}

/// Structure of arrays: node `i` is `nodes[i]`; its numbers are `data[i]`, its gradient `grad[i]`
/// (valid once `live[i]`), its saved extras `aux[i]` and `ids[i]`. The buffer arrays can be longer than
/// `nodes`: the tail holds buffers of freed nodes, kept for reuse.
#[derive(Default)]
pub(crate) struct Storage {
    pub(crate) nodes: Vec<Node>,
    pub(crate) live: Vec<bool>,
    pub(crate) data: Vec<Vec<f32>>,
    pub(crate) grad: Vec<Vec<f32>>,
    pub(crate) aux: Vec<Vec<f32>>,
    pub(crate) ids: Vec<Vec<u32>>,
    next_stamp: u32,
    /// Inside `TensorTape::no_grad`: new nodes record no dependence on parameters.
    pub(crate) no_grad: bool,
}

thread_local! {
    static TAPE: RefCell<Storage> = RefCell::new(Storage::default());
}

#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut Storage) -> R) -> R {
    TAPE.with_borrow_mut(f)
}

/// Takes the buffer kept at `slot`, or a new one.
fn take<T: Default>(slots: &mut [T], slot: usize) -> T {
    slots.get_mut(slot).map(std::mem::take).unwrap_or_default()
}

/// Puts a buffer at `slot`, growing the slot array if this is the furthest the tape has reached.
fn put<T: Default>(slots: &mut Vec<T>, slot: usize, value: T) {
    if slots.len() <= slot {
        slots.resize_with(slot + 1, T::default);
    }
    slots[slot] = value;
}

impl Storage {
    /// The node index of a handle, checking that the handle still refers to a live node.
    #[inline]
    pub(crate) fn id(&self, t: Tensor) -> u32 {
        match self.nodes.get(t.id as usize) {
            Some(n) if n.stamp == t.stamp => t.id,
            _ => panic!(
                "this Tensor was freed when its TensorScope ended (or by TensorTape::clear); \
                 values that outlive a step must be parameters created before the scope"
            ),
        }
    }

    #[inline]
    pub(crate) fn shape(&self, id: u32) -> Shape {
        self.nodes[id as usize].shape
    }

    #[inline]
    pub(crate) fn data(&self, id: u32) -> &[f32] {
        &self.data[self.nodes[id as usize].buf as usize]
    }

    #[inline]
    pub(crate) fn requires_grad(&self, id: u32) -> bool {
        self.nodes[id as usize].requires_grad
    }

    /// A data buffer of length `n` for the node about to be created. Its contents are unspecified (the
    /// previous step's numbers): every op writes all of it. Debug builds fill it with NaN so that a
    /// kernel that forgets an element fails its gradient check.
    pub(crate) fn alloc(&mut self, n: usize) -> Vec<f32> {
        let mut buf = take(&mut self.data, self.nodes.len());
        buf.resize(n, 0.0);
        if cfg!(debug_assertions) {
            buf.fill(f32::NAN);
        }
        buf
    }

    /// A saved-floats buffer of length `n` for the node about to be created (contents unspecified).
    pub(crate) fn alloc_aux(&mut self, n: usize) -> Vec<f32> {
        let mut buf = take(&mut self.aux, self.nodes.len());
        buf.resize(n, 0.0);
        buf
    }

    /// An empty saved-integers buffer for the node about to be created.
    pub(crate) fn alloc_ids(&mut self) -> Vec<u32> {
        let mut buf = take(&mut self.ids, self.nodes.len());
        buf.clear();
        buf
    }

    /// Records a node that owns `data`.
    pub(crate) fn push(&mut self, shape: Shape, op: Op, requires_grad: bool, data: Vec<f32>) -> Tensor {
        debug_assert_eq!(data.len(), shape.numel());
        let slot = self.nodes.len();
        put(&mut self.data, slot, data);
        self.record(shape, op, requires_grad, slot as u32)
    }

    /// Records a node that owns `data` and saved extras for its backward (from `alloc_aux`/`alloc_ids`).
    pub(crate) fn push_saved(
        &mut self,
        shape: Shape,
        op: Op,
        requires_grad: bool,
        data: Vec<f32>,
        aux: Option<Vec<f32>>,
        ids: Option<Vec<u32>>,
    ) -> Tensor {
        let slot = self.nodes.len();
        if let Some(aux) = aux {
            put(&mut self.aux, slot, aux);
        }
        if let Some(ids) = ids {
            put(&mut self.ids, slot, ids);
        }
        self.push(shape, op, requires_grad, data)
    }

    /// Records a view: a node with its own shape that reads and writes the buffers of node `of`.
    pub(crate) fn push_view(&mut self, shape: Shape, of: u32) -> Tensor {
        let base = self.nodes[of as usize];
        debug_assert_eq!(shape.numel(), base.shape.numel());
        self.record(shape, Op::View, base.requires_grad, base.buf)
    }

    fn record(&mut self, shape: Shape, op: Op, requires_grad: bool, buf: u32) -> Tensor {
        let requires_grad = requires_grad && (op_is_leaf(op) || !self.no_grad);
        let id = self.nodes.len();
        assert!(id < u32::MAX as usize, "the tensor tape is full: free each step with TensorTape::scope");
        let stamp = self.next_stamp;
        self.next_stamp = self.next_stamp.wrapping_add(1);
        self.nodes.push(Node { shape, op, requires_grad, buf, stamp });
        self.live.push(false);
        if self.grad.len() <= id {
            self.grad.resize_with(id + 1, Vec::new);
        }
        if requires_grad && op_is_leaf(op) {
            // A parameter's gradient exists from the start and accumulates until zeroed.
            let mut g = take(&mut self.grad, id);
            g.clear();
            g.resize(shape.numel(), 0.0);
            put(&mut self.grad, id, g);
            self.live[id] = true;
        }
        Tensor { id: id as u32, stamp }
    }

    /// Frees every node from `len` on; their buffers stay in their slots for the next nodes there.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.nodes.truncate(len);
        self.live.truncate(len);
    }

    /// Frees everything, buffers included.
    pub(crate) fn clear(&mut self) {
        *self = Storage { next_stamp: self.next_stamp, no_grad: self.no_grad, ..Storage::default() };
    }

    /// Bytes held in buffers, in use or kept for reuse.
    pub(crate) fn bytes(&self) -> usize {
        let f = |v: &Vec<Vec<f32>>| v.iter().map(|b| b.capacity() * 4).sum::<usize>();
        let ids = self.ids.iter().map(|b| b.capacity() * 4).sum::<usize>();
        f(&self.data) + f(&self.grad) + f(&self.aux) + ids
    }

    /// Sets every gradient on the tape to zero.
    pub(crate) fn zero_grad(&mut self) {
        for (g, &live) in self.grad.iter_mut().zip(&self.live) {
            if live {
                g.fill(0.0);
            }
        }
    }

    // ANCHOR: backward
    /// One reverse sweep from `root`, whose gradient is seeded with `seed`: each node hands its gradient
    /// to its inputs (the chain rule, one whole array at a time). Inputs accumulate (`+=`), because a
    /// tensor used twice gets a gradient from each use.
    pub(crate) fn backward(&mut self, root: u32, seed: &[f32]) {
        let shape = self.shape(root);
        assert!(
            self.requires_grad(root),
            "backward: this tensor of shape {shape:?} depends on no parameter (create them with Tensor::param)"
        );
        assert_eq!(
            seed.len(),
            shape.numel(),
            "backward: the seed gradient must have the root's shape {shape:?}"
        );
        // An intermediate result's gradient belongs to one backward pass. One left by an earlier pass
        // (of this graph or of another one below the root on the tape) must not be handed on again,
        // so it is forgotten here; leaves (parameters) keep accumulating across passes.
        for i in 0..=root as usize {
            let node = &self.nodes[i];
            if !matches!(node.op, Op::Leaf) && node.buf as usize == i {
                self.live[i] = false;
            }
        }
        let (_, mut grads) = self.split();
        for (g, s) in grads.get(root).expect("the root requires grad").iter_mut().zip(seed) {
            *g += s;
        }
        for i in (0..=root as usize).rev() {
            let node = self.nodes[i];
            // Leaves have no inputs; views share their base's gradient, so it is already there; a node
            // no gradient reached (not on a path to the root) has nothing to hand on.
            if !node.requires_grad || matches!(node.op, Op::Leaf | Op::View) || !self.live[i] {
                continue;
            }
            let g = std::mem::take(&mut self.grad[i]);
            let (saved, mut grads) = self.split();
            backward_op(node.op, i as u32, &g, &saved, &mut grads);
            self.grad[i] = g;
        }
    }
    // ANCHOR_END: backward

    /// Immutable access to what forward saved, and mutable access to the gradients, at the same time.
    fn split(&mut self) -> (Saved<'_>, Grads<'_>) {
        let Storage { nodes, live, data, grad, aux, ids, .. } = self;
        (Saved { nodes, data, aux, ids }, Grads { nodes, live, grad })
    }
}

fn op_is_leaf(op: Op) -> bool {
    matches!(op, Op::Leaf)
}

/// Calls the backward written beside each op's forward.
fn backward_op(op: Op, node: u32, g: &[f32], s: &Saved, grads: &mut Grads) {
    match op {
        Op::Leaf | Op::View => {}
        Op::Permute { x, perm } => view::permute_backward(s, grads, x, perm, node, g),
        Op::Unary { x, f } => unary::backward(s, grads, x, f, node, g),
        // The ops with a plain and a fast kernel run the backward of the kind selected (crate::Kernels).
        Op::Binary { a, b, f } if Kernels::fast() => fast::elementwise::backward(s, grads, a, b, f, node, g),
        Op::Binary { a, b, f } => elementwise::backward(s, grads, a, b, f, node, g),
        Op::MatMul { a, b, tb, bias } if Kernels::fast() => {
            fast::matmul::backward(s, grads, a, b, tb, bias, g)
        }
        Op::MatMul { a, b, tb, bias } => matmul::backward(s, grads, a, b, tb, bias, g),
        Op::Reduce { x, axis, scale } => reduce::backward(s, grads, x, axis, scale, g),
        Op::Embedding { table } => index::embedding_backward(s, grads, table, node, g),
        Op::Pick { x } => index::pick_backward(s, grads, x, node, g),
        Op::Narrow { x, axis, start } => index::narrow_backward(s, grads, x, axis, start, node, g),
        Op::SelfAttention { qkv, n_head } if Kernels::fast() => {
            fast::attention::backward(s, grads, qkv, n_head as usize, node, g)
        }
        Op::SelfAttention { qkv, n_head } => attention::backward(s, grads, qkv, n_head as usize, node, g),
        Op::CausalMask { x } => softmax::causal_mask_backward(s, grads, x, g),
        Op::Softmax { x } => softmax::softmax_backward(s, grads, x, node, g),
        Op::CrossEntropy { logits } => cross_entropy::backward(s, grads, logits, node, g),
        Op::RowNorm { x, gain, bias, center } => {
            norm::row_norm_backward(s, grads, x, gain, bias, center, node, g)
        }
        Op::BatchNorm { x, gain, bias, train } => {
            norm::batch_norm_backward(s, grads, x, gain, bias, train, node, g)
        }
        Op::Dropout { x, p, seed } => dropout::backward(grads, x, p, seed, g),
    }
}

/// What the forward pass left behind, for reading during backward.
pub(crate) struct Saved<'a> {
    nodes: &'a [Node],
    data: &'a [Vec<f32>],
    aux: &'a [Vec<f32>],
    ids: &'a [Vec<u32>],
}

impl Saved<'_> {
    #[inline]
    pub(crate) fn data(&self, id: u32) -> &[f32] {
        &self.data[self.nodes[id as usize].buf as usize]
    }
    #[inline]
    pub(crate) fn shape(&self, id: u32) -> Shape {
        self.nodes[id as usize].shape
    }
    #[inline]
    pub(crate) fn aux(&self, id: u32) -> &[f32] {
        &self.aux[id as usize]
    }
    #[inline]
    pub(crate) fn ids(&self, id: u32) -> &[u32] {
        &self.ids[id as usize]
    }
}

/// The gradient buffers, for accumulating into during backward.
pub(crate) struct Grads<'a> {
    nodes: &'a [Node],
    live: &'a mut [bool],
    grad: &'a mut [Vec<f32>],
}

impl Grads<'_> {
    /// The gradient of node `id` to accumulate into, zeroed the first time it is reached; `None` if no
    /// parameter flows into `id`, so that nothing is computed for it.
    #[inline]
    pub(crate) fn get(&mut self, id: u32) -> Option<&mut [f32]> {
        let node = &self.nodes[id as usize];
        if !node.requires_grad {
            return None;
        }
        let b = node.buf as usize;
        if !self.live[b] {
            let n = self.nodes[b].shape.numel();
            let g = &mut self.grad[b];
            g.clear();
            g.resize(n, 0.0);
            self.live[b] = true;
        }
        Some(&mut self.grad[b])
    }

    /// Like [`Grads::get`], but when this is the first gradient to reach `id` the buffer is handed
    /// over unzeroed with `fresh = true`: the caller must then *write* every element instead of adding.
    /// Saves a pass over memory for the big activations, whose first contribution is usually the only one.
    #[inline]
    pub(crate) fn get_fresh(&mut self, id: u32) -> Option<(&mut [f32], bool)> {
        let node = &self.nodes[id as usize];
        if !node.requires_grad {
            return None;
        }
        let b = node.buf as usize;
        let fresh = !self.live[b];
        if fresh {
            let n = self.nodes[b].shape.numel();
            let g = &mut self.grad[b];
            g.resize(n, 0.0);
            if cfg!(debug_assertions) {
                g.fill(f32::NAN); // a kernel that forgets an element fails its gradient check
            }
            self.live[b] = true;
        }
        Some((&mut self.grad[b], fresh))
    }
}

/// A gradient buffer and whether it is fresh (see [`Grads::get_fresh`]).
pub(crate) type FreshGrad<'a> = (&'a mut [f32], bool);

impl Grads<'_> {
    /// The gradients of two different tensors at once (for computing them in parallel), each with its
    /// `fresh` flag as in [`Grads::get_fresh`]. `None` if either needs no gradient or both are one buffer.
    pub(crate) fn get_pair(&mut self, a: u32, b: u32) -> Option<(FreshGrad<'_>, FreshGrad<'_>)> {
        let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        let (ba, bb) = (na.buf as usize, nb.buf as usize);
        if !na.requires_grad || !nb.requires_grad || ba == bb {
            return None;
        }
        let fresh_a = self.get_fresh(a).map(|(_, f)| f)?;
        let fresh_b = self.get_fresh(b).map(|(_, f)| f)?;
        let (ga, gb) = if ba < bb {
            let (lo, hi) = self.grad.split_at_mut(bb);
            (&mut lo[ba], &mut hi[0])
        } else {
            let (lo, hi) = self.grad.split_at_mut(ba);
            (&mut hi[0], &mut lo[bb])
        };
        Some(((ga, fresh_a), (gb, fresh_b)))
    }
}

/// `dst[i] = v[i]` if `fresh`, else `dst[i] += v[i]`, for gradients from [`Grads::get_fresh`].
#[inline]
pub(crate) fn store(dst: &mut [f32], fresh: bool, values: impl Iterator<Item = f32>) {
    if fresh {
        dst.iter_mut().zip(values).for_each(|(d, v)| *d = v);
    } else {
        dst.iter_mut().zip(values).for_each(|(d, v)| *d += v);
    }
}
