//! Normalisation layers, each one fused op: layer norm and RMS norm (over the last axis of each row)
//! and batch norm (over the batch, per channel), with optional gain and bias.
//!
//! All three compute x̂ = (x - shift)·r and y = x̂·gain + bias. Their backwards share one shape: the
//! gradient of x̂ minus its projections on what the statistics depend on, scaled by r. Written out
//! (makemore part 4, for batch norm), with dx̂ = dy·gain and means over the normalised elements:
//!
//! - layer norm: dx = r·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂))
//! - RMS norm:   dx = r·(dx̂ - x̂·mean(dx̂·x̂))              (no mean was subtracted)
//! - batch norm: dx = r·(dx̂ - mean(dx̂) - x̂·Σ(dx̂·x̂)/(n-1)) (Bessel's n-1 in the variance)

use super::Tensor;
use super::fastmath;
use super::parallel::{rows_mut, rows2_mut, with_scratch};
use super::tape::{Grads, Op, Saved, store, with};

/// Checks that an optional gain/bias is a vector of length `c`, returning its node id.
fn vector(t: &super::tape::Storage, p: Option<Tensor>, c: usize, op: &str, what: &str) -> Option<u32> {
    p.map(|p| {
        let id = t.id(p);
        let s = t.shape(id);
        assert!(s == [c], "{op}: {what} must have shape [{c}], got {s:?}");
        id
    })
}

// ANCHOR: layer_norm
/// Forward, one row of C numbers: x̂ = (x - shift)·r with r = 1/√(mean((x - shift)²) + eps), then
/// y = x̂·gain + bias. Layer norm centres (shift = the row's mean; the variance is the biased one, as
/// PyTorch); RMS norm does not (shift = 0, so r is 1/rms). Returns (shift, r) for the backward.
fn normalize_row(
    x: &[f32],
    y: &mut [f32],
    gain: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    center: bool,
) -> (f32, f32) {
    let n = x.len() as f32;
    let shift = if center { fastmath::sum(x) / n } else { 0.0 };
    y.iter_mut().zip(x).for_each(|(y, &x)| *y = x - shift);
    let r = 1.0 / (fastmath::dot(y, y) / n + eps).sqrt();
    y.iter_mut().for_each(|y| *y *= r);
    if let Some(gain) = gain {
        y.iter_mut().zip(gain).for_each(|(y, &w)| *y *= w);
    }
    if let Some(bias) = bias {
        y.iter_mut().zip(bias).for_each(|(y, &b)| *y += b);
    }
    (shift, r)
}

/// Backward: with dx̂ = dy·gain, dx = r·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂)) for layer norm (the mean term
/// drops for RMS norm); dgain += Σ_rows dy·x̂ and dbias += Σ_rows dy.
pub(super) fn row_norm_backward(
    s: &Saved,
    grads: &mut Grads,
    x: u32,
    gain: Option<u32>,
    bias: Option<u32>,
    center: bool,
    node: u32,
    g: &[f32],
) {
    let c = s.shape(x).last();
    let (xs, stats) = (s.data(x), s.aux(node));
    let gain_v = gain.map(|p| s.data(p));
    // x̂ of row r, rebuilt from the saved shift and r.
    let xhat = |r: usize, out: &mut [f32]| {
        let (shift, rstd) = (stats[2 * r], stats[2 * r + 1]);
        out.iter_mut().zip(&xs[r * c..(r + 1) * c]).for_each(|(o, &x)| *o = (x - shift) * rstd);
    };
    if let Some((dx, fresh)) = grads.get_fresh(x) {
        // Rows are independent: spread them over the cores.
        rows_mut(dx, c, |first, block| {
            with_scratch(2 * c, |scratch| {
                let (xh, dxh) = scratch.split_at_mut(c);
                for (j, dxr) in block.chunks_exact_mut(c).enumerate() {
                    let r = first + j;
                    xhat(r, xh);
                    dxh.copy_from_slice(&g[r * c..(r + 1) * c]);
                    if let Some(w) = gain_v {
                        dxh.iter_mut().zip(w).for_each(|(d, &w)| *d *= w);
                    }
                    let mean_d = if center { fastmath::sum(dxh) / c as f32 } else { 0.0 };
                    let mean_dx = fastmath::dot(dxh, xh) / c as f32;
                    let rstd = stats[2 * r + 1];
                    let terms = dxh.iter().zip(xh.iter()).map(|(&d, &xh)| rstd * (d - mean_d - xh * mean_dx));
                    store(dxr, fresh, terms);
                }
            })
        });
    }
    if let Some(dgain) = gain.and_then(|p| grads.get(p)) {
        with_scratch(c, |xh| {
            for (r, gr) in g.chunks_exact(c).enumerate() {
                xhat(r, xh);
                dgain.iter_mut().zip(gr).zip(xh.iter()).for_each(|((d, &g), &xh)| *d += g * xh);
            }
        });
    }
    if let Some(dbias) = bias.and_then(|p| grads.get(p)) {
        for gr in g.chunks_exact(c) {
            dbias.iter_mut().zip(gr).for_each(|(d, &g)| *d += g);
        }
    }
}
// ANCHOR_END: layer_norm

/// The shared body of `layer_norm` and `rms_norm`.
fn row_norm(
    x: Tensor,
    gain: Option<Tensor>,
    bias: Option<Tensor>,
    eps: f32,
    center: bool,
    name: &str,
) -> Tensor {
    with(|t| {
        let x = t.id(x);
        let shape = t.shape(x);
        let c = shape.last();
        assert!(!shape.is_empty() && c > 0, "{name}: needs (..., C) with C > 0, got {shape:?}");
        let gain = vector(t, gain, c, name, "gain");
        let bias = vector(t, bias, c, name, "bias");
        let mut y = t.alloc(shape.numel());
        let mut stats = t.alloc_aux(2 * shape.rows());
        let (gv, bv) = (gain.map(|p| t.data(p)), bias.map(|p| t.data(p)));
        let xs = t.data(x);
        rows2_mut(&mut y, c, &mut stats, 2, |first, y, stats| {
            let xs = &xs[first * c..][..y.len()];
            for ((x, y), st) in xs.chunks_exact(c).zip(y.chunks_exact_mut(c)).zip(stats.chunks_exact_mut(2)) {
                (st[0], st[1]) = normalize_row(x, y, gv, bv, eps, center);
            }
        });
        let req = [Some(x), gain, bias].into_iter().flatten().any(|p| t.requires_grad(p));
        t.push_saved(shape, Op::RowNorm { x, gain, bias, center }, req, y, Some(stats), None)
    })
}

impl Tensor {
    /// Layer norm over the last axis (C): `(x - mean) / √(var + eps) · gain + bias`, each optional
    /// (nanoGPT: both; `gain`/`bias` of shape `[C]`). PyTorch's `F.layer_norm`.
    pub fn layer_norm(self, gain: Option<Tensor>, bias: Option<Tensor>, eps: f32) -> Tensor {
        row_norm(self, gain, bias, eps, true, "layer_norm")
    }

    /// RMS norm over the last axis: `x / √(mean(x²) + eps) · gain`, gain optional (microGPT uses none,
    /// with eps 1e-5).
    pub fn rms_norm(self, gain: Option<Tensor>, eps: f32) -> Tensor {
        row_norm(self, gain, None, eps, false, "rms_norm")
    }
}

// ANCHOR: batch_norm
/// Batch norm forward over (N, C) viewed as N rows: each channel normalised with `mean[c]` and
/// `rstd[c]` (this batch's statistics in training, the running ones in evaluation).
fn batch_norm_apply(
    x: &[f32],
    c: usize,
    mean: &[f32],
    rstd: &[f32],
    gain: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    for (x, y) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        for j in 0..c {
            y[j] = (x[j] - mean[j]) * rstd[j] * gain[j] + bias[j];
        }
    }
}

/// This batch's per-channel mean and unbiased variance (n - 1, as makemore's `x.var(0)`).
fn batch_stats(x: &[f32], c: usize, mean: &mut [f32], var: &mut [f32]) {
    let n = x.len() / c;
    mean.fill(0.0);
    var.fill(0.0);
    for row in x.chunks_exact(c) {
        mean.iter_mut().zip(row).for_each(|(m, &v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f32);
    for row in x.chunks_exact(c) {
        for j in 0..c {
            var[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        }
    }
    var.iter_mut().for_each(|v| *v /= (n - 1) as f32);
}

/// Backward. Training: dx = r·(dx̂ - mean(dx̂) - x̂·Σ(dx̂·x̂)/(n-1)) per channel, because the batch's
/// mean and variance depend on every x. Evaluation: the statistics are constants, dx = r·dx̂.
pub(super) fn batch_norm_backward(
    s: &Saved,
    grads: &mut Grads,
    x: u32,
    gain: u32,
    bias: u32,
    train: bool,
    node: u32,
    g: &[f32],
) {
    let c = s.shape(x).last();
    let n = g.len() / c;
    let (xs, aux, gain_v) = (s.data(x), s.aux(node), s.data(gain));
    let (mean, rstd) = aux.split_at(c);
    let xhat = |r: usize, j: usize| (xs[r * c + j] - mean[j]) * rstd[j];
    if let Some(dx) = grads.get(x) {
        // Per channel: Σ dx̂ and Σ dx̂·x̂ over the batch.
        let (mut sum_d, mut sum_dx) = (vec![0.0f32; c], vec![0.0f32; c]);
        if train {
            for r in 0..n {
                for j in 0..c {
                    let d = g[r * c + j] * gain_v[j];
                    sum_d[j] += d;
                    sum_dx[j] += d * xhat(r, j);
                }
            }
        }
        for r in 0..n {
            for j in 0..c {
                let d = g[r * c + j] * gain_v[j];
                dx[r * c + j] += if train {
                    rstd[j] * (d - sum_d[j] / n as f32 - xhat(r, j) * sum_dx[j] / (n - 1) as f32)
                } else {
                    rstd[j] * d
                };
            }
        }
    }
    if let Some(dgain) = grads.get(gain) {
        for (r, gr) in g.chunks_exact(c).enumerate() {
            (0..c).for_each(|j| dgain[j] += gr[j] * xhat(r, j));
        }
    }
    if let Some(dbias) = grads.get(bias) {
        for gr in g.chunks_exact(c) {
            dbias.iter_mut().zip(gr).for_each(|(d, &g)| *d += g);
        }
    }
}
// ANCHOR_END: batch_norm

impl Tensor {
    /// Batch norm with this batch's statistics (training): each channel of the last axis (C) is
    /// normalised over all other positions, then scaled by `gain` and shifted by `bias` (both `[C]`).
    /// Returns the output and the batch's per-channel mean and unbiased variance (for running stats).
    pub fn batch_norm(self, gain: Tensor, bias: Tensor, eps: f32) -> (Tensor, Vec<f32>, Vec<f32>) {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            let c = shape.last();
            let n = shape.rows();
            assert!(!shape.is_empty() && c > 0, "batch_norm: needs (N, C), got {shape:?}");
            assert!(n > 1, "batch_norm: training needs more than one value per channel, got {shape:?}");
            let (gain, bias) = (
                vector(t, Some(gain), c, "batch_norm", "gain"),
                vector(t, Some(bias), c, "batch_norm", "bias"),
            );
            let (gain, bias) = (gain.expect("given"), bias.expect("given"));
            let (mut mean, mut var) = (vec![0.0; c], vec![0.0; c]);
            batch_stats(t.data(x), c, &mut mean, &mut var);
            let mut aux = t.alloc_aux(2 * c);
            aux[..c].copy_from_slice(&mean);
            aux[c..].iter_mut().zip(&var).for_each(|(r, &v)| *r = 1.0 / (v + eps).sqrt());
            let mut y = t.alloc(shape.numel());
            let (m, r) = aux.split_at(c);
            batch_norm_apply(t.data(x), c, m, r, t.data(gain), t.data(bias), &mut y);
            let req = [x, gain, bias].iter().any(|&p| t.requires_grad(p));
            let out =
                t.push_saved(shape, Op::BatchNorm { x, gain, bias, train: true }, req, y, Some(aux), None);
            (out, mean, var)
        })
    }

    /// Batch norm with fixed statistics (evaluation): `(x - mean) / √(var + eps) · gain + bias`.
    pub fn batch_norm_eval(self, gain: Tensor, bias: Tensor, mean: &[f32], var: &[f32], eps: f32) -> Tensor {
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            let c = shape.last();
            assert!(
                mean.len() == c && var.len() == c,
                "batch_norm_eval: statistics for {} channels, input {shape:?}",
                mean.len()
            );
            let (gain, bias) = (
                vector(t, Some(gain), c, "batch_norm", "gain"),
                vector(t, Some(bias), c, "batch_norm", "bias"),
            );
            let (gain, bias) = (gain.expect("given"), bias.expect("given"));
            let mut aux = t.alloc_aux(2 * c);
            aux[..c].copy_from_slice(mean);
            aux[c..].iter_mut().zip(var).for_each(|(r, &v)| *r = 1.0 / (v + eps).sqrt());
            let mut y = t.alloc(shape.numel());
            let (m, r) = aux.split_at(c);
            batch_norm_apply(t.data(x), c, m, r, t.data(gain), t.data(bias), &mut y);
            let req = [x, gain, bias].iter().any(|&p| t.requires_grad(p));
            t.push_saved(shape, Op::BatchNorm { x, gain, bias, train: false }, req, y, Some(aux), None)
        })
    }
}

/// makemore part 3's `BatchNorm1d`: normalises each channel with the batch's statistics while
/// training, and keeps running averages of them for evaluation (where batches may be one example).
#[derive(Debug)]
pub struct BatchNorm1d {
    /// Per-channel scale, trained (starts at 1).
    pub gain: Tensor,
    /// Per-channel shift, trained (starts at 0).
    pub bias: Tensor,
    /// Running mean of the batch means (starts at 0).
    pub running_mean: Vec<f32>,
    /// Running mean of the batch (unbiased) variances (starts at 1).
    pub running_var: Vec<f32>,
    /// Weight of the newest batch in the running statistics.
    pub momentum: f32,
    pub eps: f32,
    /// Training mode uses and records batch statistics; evaluation mode uses the running ones.
    pub training: bool,
}

impl BatchNorm1d {
    /// A layer over `dim` channels with makemore part 3's settings: momentum 0.001, eps 1e-5, training.
    pub fn new(dim: usize) -> BatchNorm1d {
        BatchNorm1d {
            gain: Tensor::param(&vec![1.0; dim], &[dim]),
            bias: Tensor::param(&vec![0.0; dim], &[dim]),
            running_mean: vec![0.0; dim],
            running_var: vec![1.0; dim],
            momentum: 0.001,
            eps: 1e-5,
            training: true,
        }
    }

    /// Normalises `x` (N, C) or (..., C). In training, also updates the running statistics:
    /// `running = (1 - momentum)·running + momentum·batch`.
    pub fn forward(&mut self, x: Tensor) -> Tensor {
        if !self.training {
            return x.batch_norm_eval(self.gain, self.bias, &self.running_mean, &self.running_var, self.eps);
        }
        let (y, mean, var) = x.batch_norm(self.gain, self.bias, self.eps);
        let m = self.momentum;
        self.running_mean.iter_mut().zip(&mean).for_each(|(r, &b)| *r = (1.0 - m) * *r + m * b);
        self.running_var.iter_mut().zip(&var).for_each(|(r, &b)| *r = (1.0 - m) * *r + m * b);
        y
    }

    /// The trained parameters, `[gain, bias]`.
    pub fn parameters(&self) -> [Tensor; 2] {
        [self.gain, self.bias]
    }
}
