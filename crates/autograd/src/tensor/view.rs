//! Reshape (a free view: same numbers, new dims) and transpose/permute (a real reordering copy).

use super::Tensor;
use super::shape::{MAX_DIMS, Shape};
use super::tape::{Grads, Op, Saved, with};

impl Tensor {
    /// The same numbers with other dims (same count). Costs nothing: the result shares this tensor's
    /// data and gradient buffers, so its backward is no work at all. One dim may be `usize::MAX`, to
    /// be inferred (PyTorch's `-1`).
    pub fn reshape(self, dims: &[usize]) -> Tensor {
        with(|t| {
            let id = t.id(self);
            let from = t.shape(id);
            let mut dims = dims.to_vec();
            if let Some(pos) = dims.iter().position(|&d| d == usize::MAX) {
                let known: usize = dims.iter().filter(|&&d| d != usize::MAX).product();
                assert!(
                    known > 0 && from.numel() % known == 0,
                    "reshape: cannot infer a dim of {dims:?} from {from:?}"
                );
                dims[pos] = from.numel() / known;
            }
            let to = Shape::new(&dims);
            assert_eq!(
                to.numel(),
                from.numel(),
                "reshape: {from:?} has {} elements, {to:?} needs {}",
                from.numel(),
                to.numel()
            );
            t.push_view(to, id)
        })
    }

    /// Swaps two dims (negative counts from the end): `(B, T, H, D) → (B, H, T, D)` for attention.
    pub fn transpose(self, d0: isize, d1: isize) -> Tensor {
        let shape = self.shape();
        let (a, b) = (shape.axis(d0, "transpose"), shape.axis(d1, "transpose"));
        let mut perm: Vec<usize> = (0..shape.len()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Reorders the dims: output dim `i` is input dim `perm[i]` (PyTorch's `permute`).
    pub fn permute(self, perm: &[usize]) -> Tensor {
        with(|t| {
            let id = t.id(self);
            let shape = t.shape(id);
            let mut seen = [false; MAX_DIMS];
            assert!(
                perm.len() == shape.len()
                    && perm.iter().all(|&p| p < shape.len() && !std::mem::replace(&mut seen[p], true)),
                "permute: {perm:?} is not a permutation of the dims of {shape:?}"
            );
            let mut p = [0u8; MAX_DIMS];
            let mut dims = [0usize; MAX_DIMS];
            for (i, &d) in perm.iter().enumerate() {
                p[i] = d as u8;
                dims[i] = shape[d];
            }
            let out_shape = Shape::new(&dims[..perm.len()]);
            let mut out = t.alloc(shape.numel());
            gather(t.data(id), &shape, &p, &mut out, |o, x| *o = x);
            t.push(out_shape, Op::Permute { x: id, perm: p }, t.requires_grad(id), out)
        })
    }
}

/// Walks the output of a permutation in order and the input with the permuted strides, calling
/// `f(out_element, in_element)`: the forward copies, the backward (with `f` swapped) accumulates.
fn gather(x: &[f32], shape: &Shape, perm: &[u8; MAX_DIMS], out: &mut [f32], f: impl Fn(&mut f32, f32)) {
    let rank = shape.len();
    if rank == 0 {
        return f(&mut out[0], x[0]);
    }
    let strides = shape.strides();
    // Sizes and input strides in output order.
    let sizes: Vec<usize> = (0..rank).map(|i| shape[perm[i] as usize]).collect();
    let st: Vec<usize> = (0..rank).map(|i| strides[perm[i] as usize]).collect();
    let (n, step) = (sizes[rank - 1], st[rank - 1]);
    let mut idx = [0usize; MAX_DIMS];
    let mut base = 0;
    for row in out.chunks_mut(n.max(1)) {
        for (j, o) in row.iter_mut().enumerate() {
            f(o, x[base + j * step]);
        }
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            base += st[d];
            if idx[d] < sizes[d] {
                break;
            }
            base -= st[d] * sizes[d];
            idx[d] = 0;
        }
    }
}

/// Backward: the gradient is permuted back, `dx[perm⁻¹ position] += g`.
pub(super) fn permute_backward(
    s: &Saved,
    grads: &mut Grads,
    x: u32,
    perm: [u8; MAX_DIMS],
    node: u32,
    g: &[f32],
) {
    let out_shape = s.shape(node);
    let Some((dx, fresh)) = grads.get_fresh(x) else { return };
    // The inverse permutation maps the output's dims back to the input's.
    let mut inv = [0u8; MAX_DIMS];
    for i in 0..out_shape.len() {
        inv[perm[i] as usize] = i as u8;
    }
    if fresh {
        gather(g, &out_shape, &inv, dx, |d, g| *d = g);
    } else {
        gather(g, &out_shape, &inv, dx, |d, g| *d += g);
    }
}
