//! Optimizers, clipping and schedules against the formulas written out in f64 (PyTorch's
//! definitions), and an end-to-end check that training actually learns.

mod tensor_support;

use autograd::optim::{Adam, AdamState, Optimizer, Schedule, Sgd, clip_grad_norm};
use autograd::{Tensor, TensorTape};

/// Sets a parameter's gradient to `g` by backpropagating Σ g·p.
fn set_grad(p: Tensor, g: &[f32]) {
    let _step = TensorTape::scope();
    (p * Tensor::new(g, &[g.len()])).sum().backward();
}

#[test]
fn sgd_steps_downhill() {
    let p = Tensor::param(&[1.0, -2.0], &[2]);
    let mut opt = Sgd::new(&[p], 0.1);
    set_grad(p, &[0.5, -1.0]);
    opt.step();
    assert_eq!(p.data(), vec![1.0 - 0.05, -2.0 + 0.1]);
    opt.zero_grad();
    assert_eq!(p.grad(), vec![0.0, 0.0]);
}

#[test]
fn sgd_with_momentum_matches_pytorch() {
    let p = Tensor::param(&[1.0], &[1]);
    let mut opt = Sgd::with_momentum(&[p], 0.1, 0.9);
    let (mut want, mut v) = (1.0f64, 0.0f64);
    for g in [0.5f32, 0.25, -1.0] {
        opt.zero_grad();
        set_grad(p, &[g]);
        opt.step();
        v = 0.9 * v + g as f64;
        want -= 0.1 * v;
    }
    assert!((p.data()[0] as f64 - want).abs() < 1e-6);
}

/// PyTorch's Adam/AdamW step for one number, in f64.
fn adam_reference(p: f64, grads: &[f64], lr: f64, b1: f64, b2: f64, eps: f64, wd: f64) -> f64 {
    let (mut p, mut m, mut v) = (p, 0.0, 0.0);
    for (t, &g) in grads.iter().enumerate() {
        let t = (t + 1) as i32;
        p *= 1.0 - lr * wd;
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let denom = v.sqrt() / (1.0 - b2.powi(t)).sqrt() + eps;
        p -= lr / (1.0 - b1.powi(t)) * m / denom;
    }
    p
}

#[test]
fn adam_matches_pytorch_formula() {
    let grads = [0.3f32, -0.1, 0.05, 0.2, -0.4];
    let p = Tensor::param(&[0.7], &[1]);
    let mut opt = Adam::new(&[p], 1e-2);
    for &g in &grads {
        opt.zero_grad();
        set_grad(p, &[g]);
        opt.step();
    }
    let g64: Vec<f64> = grads.iter().map(|&g| g as f64).collect();
    let want = adam_reference(0.7, &g64, 1e-2, 0.9, 0.999, 1e-8, 0.0);
    assert!((p.data()[0] as f64 - want).abs() < 1e-6, "{} vs {want}", p.data()[0]);
    assert_eq!(opt.steps(), 5);
}

#[test]
fn adamw_decays_only_the_chosen_parameters() {
    let grads = [0.3f32, -0.1, 0.05];
    let w = Tensor::param(&[2.0], &[1]); // a "matrix": decayed
    let b = Tensor::param(&[2.0], &[1]); // a "bias": not decayed
    let mut opt = Adam::adamw(&[w], &[b], 0.1, 0.5).betas(0.9, 0.99);
    for &g in &grads {
        opt.zero_grad();
        set_grad(w, &[g]);
        set_grad(b, &[g]);
        opt.step();
    }
    let g64: Vec<f64> = grads.iter().map(|&g| g as f64).collect();
    let want_w = adam_reference(2.0, &g64, 0.1, 0.9, 0.99, 1e-8, 0.5);
    let want_b = adam_reference(2.0, &g64, 0.1, 0.9, 0.99, 1e-8, 0.0);
    assert!((w.data()[0] as f64 - want_w).abs() < 1e-5, "{} vs {want_w}", w.data()[0]);
    assert!((b.data()[0] as f64 - want_b).abs() < 1e-5, "{} vs {want_b}", b.data()[0]);
    assert!(w.data()[0] < b.data()[0] - 0.2, "weight decay shrank w");
}

/// Trains a small least-squares problem with AdamW for `steps` steps from `start` (weights, and the
/// optimizer state to continue from, if any); returns the weights and the state at the end.
fn adamw_run(
    start: (&[f32], &[f32]),
    state: Option<AdamState>,
    from: usize,
    steps: usize,
) -> (Vec<f32>, Vec<f32>, AdamState) {
    let w = Tensor::param(start.0, &[3, 2]);
    let b = Tensor::param(start.1, &[2]);
    let mut opt = Adam::adamw(&[w], &[b], 0.05, 0.1).betas(0.9, 0.99);
    if let Some(state) = state {
        opt.load_state(state).unwrap();
    }
    for step in from..from + steps {
        let _scope = TensorTape::scope();
        // A different batch every step, derived from the step number alone.
        let x: Vec<f32> = (0..12).map(|i| ((step * 12 + i) as f32 * 0.37).sin()).collect();
        let y: Vec<f32> = (0..8).map(|i| ((step * 8 + i) as f32 * 0.11).cos()).collect();
        let pred = Tensor::new(&x, &[4, 3]).linear(w, Some(b));
        let loss = (pred - Tensor::new(&y, &[4, 2])).powf(2.0).mean();
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    let out = (w.data(), b.data(), opt.state());
    TensorTape::clear();
    out
}

#[test]
fn adam_state_restored_continues_bit_for_bit() {
    let (w0, b0) = ([0.1f32, -0.2, 0.3, 0.05, -0.4, 0.25], [0.0f32, 0.1]);
    let (w_straight, b_straight, state_straight) = adamw_run((&w0, &b0), None, 0, 20);
    let (w_half, b_half, state_half) = adamw_run((&w0, &b0), None, 0, 10);
    assert_eq!(state_half.t, 10);
    assert!(
        state_half.m.iter().flatten().any(|&m| m != 0.0) && state_half.v.iter().flatten().all(|&v| v > 0.0)
    );
    let (w_resumed, b_resumed, state_resumed) =
        adamw_run((&w_half, &b_half), Some(state_half.clone()), 10, 10);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&w_resumed), bits(&w_straight));
    assert_eq!(bits(&b_resumed), bits(&b_straight));
    assert_eq!(state_resumed, state_straight);
    // Without the state the moments restart from zero, and the run goes elsewhere.
    let (w_restarted, ..) = adamw_run((&w_half, &b_half), None, 10, 10);
    assert_ne!(bits(&w_restarted), bits(&w_straight));
}

#[test]
fn adam_state_for_other_parameters_is_refused() {
    let w = Tensor::param(&[0.0; 6], &[3, 2]);
    let b = Tensor::param(&[0.0; 2], &[2]);
    let mut opt = Adam::adamw(&[w], &[b], 0.05, 0.1);
    let good = opt.state();
    assert_eq!((good.t, good.m.len(), good.v[0].len()), (0, 2, 6));
    let mut swapped = good.clone();
    swapped.m.swap(0, 1);
    let err = opt.load_state(swapped).unwrap_err();
    assert!(err.to_string().contains("[2, 6]"), "{err}");
    let mut short = good.clone();
    short.v.pop();
    assert!(opt.load_state(short).is_err());
    assert!(opt.load_state(AdamState { t: -1, ..good.clone() }).is_err());
    assert_eq!(opt.state(), good, "a refused state changes nothing");
    TensorTape::clear();
}

#[test]
fn clipping_scales_the_global_norm() {
    let a = Tensor::param(&[0.0, 0.0], &[2]);
    let b = Tensor::param(&[0.0], &[1]);
    set_grad(a, &[3.0, 0.0]);
    set_grad(b, &[4.0]);
    let norm = clip_grad_norm(&[a, b], 1.0);
    assert_eq!(norm, 5.0);
    let (ga, gb) = (a.grad(), b.grad());
    assert!((ga[0] - 0.6).abs() < 1e-6 && ga[1] == 0.0 && (gb[0] - 0.8).abs() < 1e-6);
    // Below the limit nothing changes.
    let norm = clip_grad_norm(&[a, b], 10.0);
    assert!((norm - 1.0).abs() < 1e-6);
    assert!((a.grad()[0] - 0.6).abs() < 1e-6);
}

/// nanoGPT's get_lr, transcribed.
fn nanogpt_get_lr(it: usize, lr: f64, min_lr: f64, warmup: usize, decay: usize) -> f64 {
    if it < warmup {
        return lr * (it + 1) as f64 / (warmup + 1) as f64;
    }
    if it > decay {
        return min_lr;
    }
    let ratio = (it - warmup) as f64 / (decay - warmup) as f64;
    let coeff = 0.5 * (1.0 + (std::f64::consts::PI * ratio).cos());
    min_lr + coeff * (lr - min_lr)
}

#[test]
fn schedules() {
    let cosine = Schedule::WarmupCosine { lr: 1e-3, min_lr: 1e-4, warmup: 100, decay_steps: 5000 };
    for it in [0, 1, 50, 99, 100, 101, 2550, 4999, 5000, 5001, 10_000] {
        let want = nanogpt_get_lr(it, 1e-3, 1e-4, 100, 5000);
        assert!((cosine.lr(it) as f64 - want).abs() < 1e-9, "step {it}: {} vs {want}", cosine.lr(it));
    }
    assert_eq!(cosine.lr(100), 1e-3);
    assert_eq!(cosine.lr(6000), 1e-4);

    let steps = Schedule::Steps { lr: 0.1, drops: vec![(100_000, 0.01)] };
    assert_eq!((steps.lr(0), steps.lr(99_999), steps.lr(100_000), steps.lr(200_000)), (0.1, 0.1, 0.01, 0.01));

    // microGPT: lr · (1 - step / num_steps).
    let linear = Schedule::Linear { start: 0.01, end: 0.0, steps: 1000 };
    assert_eq!(linear.lr(0), 0.01);
    assert!((linear.lr(250) - 0.0075).abs() < 1e-9);
    assert_eq!(linear.lr(1000), 0.0);
    assert_eq!(Schedule::Constant(0.5).lr(123), 0.5);
}

#[test]
fn an_mlp_learns_xor() {
    // End to end: parameters, a step scope, forward, backward, Adam. XOR needs the hidden layer.
    let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let y = [0usize, 1, 1, 0];
    let mut rng = tensor_support::TestRng(3);
    let w1 = autograd::init::kaiming(&mut rng, &[2, 8], 2, autograd::init::TANH_GAIN);
    let b1 = autograd::init::constant(&[8], 0.0);
    let w2 = autograd::init::kaiming(&mut rng, &[8, 2], 8, 1.0);
    let mut opt = Adam::new(&[w1, b1, w2], 0.05);
    let mut loss = f32::NAN;
    for _ in 0..300 {
        let _step = TensorTape::scope();
        let l = Tensor::new(&x, &[4, 2]).linear(w1, Some(b1)).tanh().matmul(w2).cross_entropy(&y);
        opt.zero_grad();
        l.backward();
        opt.step();
        loss = l.item();
    }
    assert!(loss < 0.02, "XOR not learned: loss {loss}");
}
