//! Cross-entropy of logits against target classes, fused: one op instead of softmax → log → pick →
//! mean, because fused it is both faster and exact where the pieces overflow.
//!
//! For a row of logits x and target t: loss = -log softmax(x)_t = log Σ_j e^{x_j} - x_t, computed as
//! (max - x_t) + log Σ_j e^{x_j - max} so that no exponent is positive. Its gradient is the famous
//! `softmax(x) - onehot(t)` (makemore part 4): push the right class up, every class down by its
//! probability.

use super::Tensor;
use super::fastmath;
use super::tape::{Grads, Op, Saved, store, with};

/// A target that contributes nothing (PyTorch's `ignore_index`).
const IGNORED: u32 = u32::MAX;

// ANCHOR: cross_entropy
/// Forward: the mean loss over the rows whose target is not ignored. Saves each row's softmax in
/// `probs` (the same size as the logits), which is all the backward needs.
fn forward(x: &[f32], v: usize, targets: &[u32], probs: &mut [f32]) -> f32 {
    let mut total = 0.0f64;
    let mut count = 0usize;
    for ((row, &t), p) in x.chunks_exact(v).zip(targets).zip(probs.chunks_exact_mut(v)) {
        let max = fastmath::max(row);
        p.iter_mut().zip(row).for_each(|(p, &x)| *p = fastmath::exp(x - max));
        let sum = fastmath::sum(p);
        let inv = 1.0 / sum;
        p.iter_mut().for_each(|p| *p *= inv);
        if t != IGNORED {
            total += (max - row[t as usize]) as f64 + (sum as f64).ln();
            count += 1;
        }
    }
    // All targets ignored: nothing to learn from, loss 0 (PyTorch returns NaN here).
    if count == 0 { 0.0 } else { (total / count as f64) as f32 }
}

/// Backward: `dx = g / n · (softmax(x) - onehot(t))` on counted rows, 0 on ignored ones.
pub(super) fn backward(s: &Saved, grads: &mut Grads, logits: u32, node: u32, g: &[f32]) {
    let v = s.shape(logits).last();
    let (targets, probs) = (s.ids(node), s.aux(node));
    let count = targets.iter().filter(|&&t| t != IGNORED).count();
    let Some((dx, fresh)) = grads.get_fresh(logits) else { return };
    let scale = if count == 0 { 0.0 } else { g[0] / count as f32 };
    for ((dx, p), &t) in dx.chunks_exact_mut(v).zip(probs.chunks_exact(v)).zip(targets) {
        if t == IGNORED {
            store(dx, fresh, std::iter::repeat_n(0.0, v));
            continue;
        }
        store(dx, fresh, p.iter().map(|&p| scale * p));
        dx[t as usize] -= scale;
    }
}
// ANCHOR_END: cross_entropy

fn apply(logits: Tensor, targets: &[usize], ignore_index: Option<usize>) -> Tensor {
    with(|t| {
        let x = t.id(logits);
        let shape = t.shape(x);
        assert!(!shape.is_empty(), "cross_entropy: logits must be (..., V), got a scalar");
        let (v, rows) = (shape.last(), shape.rows());
        assert!(v > 0, "cross_entropy: logits {shape:?} have no classes");
        assert_eq!(
            targets.len(),
            rows,
            "cross_entropy: {} targets for logits {shape:?} ({rows} rows)",
            targets.len()
        );
        let mut saved = t.alloc_ids();
        saved.extend(targets.iter().map(|&y| {
            if Some(y) == ignore_index {
                IGNORED
            } else {
                assert!(y < v, "cross_entropy: target {y} is out of range for {v} classes");
                y as u32
            }
        }));
        let mut aux = t.alloc_aux(rows * v);
        let loss = forward(t.data(x), v, &saved, &mut aux);
        let mut out = t.alloc(1);
        out[0] = loss;
        let req = t.requires_grad(x);
        t.push_saved(super::Shape::new(&[]), Op::CrossEntropy { logits: x }, req, out, Some(aux), Some(saved))
    })
}

impl Tensor {
    /// Mean cross-entropy between logits (..., V) and one target class per row: PyTorch's
    /// `F.cross_entropy(logits.view(-1, V), targets.view(-1))`. A scalar.
    pub fn cross_entropy(self, targets: &[usize]) -> Tensor {
        apply(self, targets, None)
    }

    /// Like [`Tensor::cross_entropy`], skipping rows whose target is `ignore_index` (padding): they
    /// neither count in the mean nor get a gradient. If every row is ignored the loss is 0.
    pub fn cross_entropy_ignore(self, targets: &[usize], ignore_index: usize) -> Tensor {
        apply(self, targets, Some(ignore_index))
    }
}
