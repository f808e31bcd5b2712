//! Shapes: the dims of a row-major tensor, and numpy's broadcasting rule.

use std::fmt;
use std::ops::Deref;

/// The most dims a tensor can have. Attention needs four, (B, n_head, T, T); six leaves room.
pub const MAX_DIMS: usize = 6;

/// The dims of a tensor, outermost first (row-major: the last dim is contiguous in memory).
/// Stored inline so that recording a node never allocates for its shape. Derefs to `[usize]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Shape {
    dims: [usize; MAX_DIMS],
    rank: u8,
}

impl Shape {
    /// A shape from its dims; a scalar is `Shape::new(&[])`.
    pub fn new(dims: &[usize]) -> Shape {
        assert!(dims.len() <= MAX_DIMS, "a tensor has at most {MAX_DIMS} dims, got {dims:?}");
        let mut s = Shape { dims: [0; MAX_DIMS], rank: dims.len() as u8 };
        s.dims[..dims.len()].copy_from_slice(dims);
        s
    }

    /// The number of elements: the product of the dims (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.iter().product()
    }

    /// The size of the last dim (1 for a scalar): the length of one contiguous row.
    pub fn last(&self) -> usize {
        self.as_slice().last().copied().unwrap_or(1)
    }

    /// How many rows of length [`Shape::last`] the tensor holds.
    pub fn rows(&self) -> usize {
        self.numel() / self.last().max(1)
    }

    /// The dims as a slice.
    pub fn as_slice(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    /// Row-major strides in elements: moving one step along dim `d` skips `strides[d]` elements.
    pub fn strides(&self) -> [usize; MAX_DIMS] {
        let mut strides = [0; MAX_DIMS];
        let mut step = 1;
        for d in (0..self.len()).rev() {
            strides[d] = step;
            step *= self.dims[d];
        }
        strides
    }

    /// Turns a Python-style axis (negative counts from the end) into an index, or panics naming `op`.
    pub(crate) fn axis(&self, axis: isize, op: &str) -> usize {
        let rank = self.len() as isize;
        let a = if axis < 0 { axis + rank } else { axis };
        assert!((0..rank).contains(&a), "{op}: axis {axis} is out of range for shape {self:?}");
        a as usize
    }

    /// The same dims with `d` replaced by `size`.
    pub(crate) fn with(&self, d: usize, size: usize) -> Shape {
        let mut s = *self;
        s.dims[d] = size;
        s
    }

    /// The same dims with `d` removed.
    pub(crate) fn without(&self, d: usize) -> Shape {
        let mut dims = self.as_slice().to_vec();
        dims.remove(d);
        Shape::new(&dims)
    }

    /// (outer, n, inner) around dim `d`: the tensor seen as `outer` blocks of `n` rows of `inner`.
    pub(crate) fn split_at_axis(&self, d: usize) -> (usize, usize, usize) {
        let outer = self[..d].iter().product();
        let inner = self[d + 1..].iter().product();
        (outer, self[d], inner)
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.as_slice()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_slice())
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Shape {
        Shape::new(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Shape {
        Shape::new(&dims)
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(dims: &[usize; N]) -> Shape {
        Shape::new(dims)
    }
}

impl PartialEq<[usize]> for Shape {
    fn eq(&self, other: &[usize]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Shape {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.as_slice() == other
    }
}

// ANCHOR: broadcast
/// numpy's broadcasting rule: align the shapes at their last dims; each pair of dims must be equal or
/// one of them 1, and a 1 is stretched to the other. `(B, T, C) + (C)` adds a bias to every position;
/// `(B, T, C) / (B, T, 1)` divides every row by its own number.
pub fn broadcast_shape(a: &Shape, b: &Shape, op: &str) -> Shape {
    let rank = a.len().max(b.len());
    let mut dims = [0; MAX_DIMS];
    for i in 0..rank {
        // Dims counted from the end; a missing dim acts as 1.
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        assert!(da == db || da == 1 || db == 1, "{op}: shapes {a:?} and {b:?} do not broadcast");
        dims[rank - 1 - i] = if da == 1 { db } else { da };
    }
    Shape::new(&dims[..rank])
}
// ANCHOR_END: broadcast

/// The strides with which to read `s` as if it had shape `out` (which it broadcasts to): the real stride
/// for a dim it has, 0 for a dim it lacks or has as 1, so that moving along that dim rereads the same
/// elements.
pub(crate) fn broadcast_strides(s: &Shape, out: &Shape) -> [usize; MAX_DIMS] {
    let own = s.strides();
    let offset = out.len() - s.len();
    let mut strides = [0; MAX_DIMS];
    for d in 0..s.len() {
        if s[d] != 1 {
            strides[d + offset] = own[d];
        }
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let s = |d: &[usize]| Shape::new(d);
        assert_eq!(broadcast_shape(&s(&[4, 3, 2]), &s(&[2]), "t"), [4, 3, 2]);
        assert_eq!(broadcast_shape(&s(&[4, 1, 2]), &s(&[3, 1]), "t"), [4, 3, 2]);
        assert_eq!(broadcast_shape(&s(&[]), &s(&[5]), "t"), [5]);
        assert_eq!(broadcast_shape(&s(&[3, 0]), &s(&[3, 1]), "t"), [3, 0]); // a 1 stretches to 0 too
        assert_eq!(broadcast_strides(&s(&[3, 1]), &s(&[4, 3, 2])), [0, 1, 0, 0, 0, 0]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [4] do not broadcast")]
    fn mismatched_shapes_name_the_op() {
        broadcast_shape(&Shape::new(&[2, 3]), &Shape::new(&[4]), "add");
    }
}
