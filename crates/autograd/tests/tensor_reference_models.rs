//! The benchmark's reference models are the models they claim to be, and they train.

// The models live with the benchmark that times them; this test uses some of their items.
#[allow(dead_code)]
#[path = "../benches/models/mod.rs"]
mod models;

use autograd::TensorTape;
use autograd::optim::{Adam, Optimizer, Sgd};
use models::{Examples, Gpt, IGNORE, Mlp, Model, SplitMix};

/// Synthetic "names" over 26 letters with a learnable pattern (each letter tends to follow the last).
fn docs() -> Vec<Vec<usize>> {
    let mut rng = SplitMix(5);
    (0..500)
        .map(|_| {
            let len = 3 + rng.below(6);
            let mut c = rng.below(26);
            (0..len)
                .map(|_| {
                    c = if rng.below(4) == 0 { rng.below(26) } else { (c + 1) % 26 };
                    c
                })
                .collect()
        })
        .collect()
}

fn train(model: &impl Model, opt: &mut impl Optimizer, data: &Examples, steps: usize) -> (f32, f32) {
    let mut rng = SplitMix(1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut losses = Vec::new();
    for _ in 0..steps {
        let rows: Vec<usize> = (0..32).map(|_| rng.below(data.len())).collect();
        data.batch(&rows, &mut x, &mut y);
        let _step = TensorTape::scope();
        let loss = model.loss(&x, &y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        losses.push(loss.item());
    }
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    (mean(&losses[..5]), mean(&losses[steps - 5..]))
}

#[test]
fn makemore_mlp_has_11897_parameters_and_learns() {
    let model = Mlp::new(&mut SplitMix(1), 27, 3, 10, 200);
    let count: usize = model.parameters().iter().map(|p| p.numel()).sum();
    assert_eq!(count, 11_897); // C 27×10, W1 30×200, b1 200, W2 200×27, b2 27
    let data = Examples::windows(&docs(), 26, 3);
    let mut opt = Sgd::new(&model.parameters(), 0.1);
    let (first, last) = train(&model, &mut opt, &data, 200);
    assert!(last < first - 0.5, "loss went from {first} to {last}");
    TensorTape::clear();
}

#[test]
fn makemore_transformer_has_204544_parameters_and_learns() {
    let model = Gpt::new(&mut SplitMix(1), 27, 16, 4, 4, 64);
    let count: usize = model.parameters().iter().map(|p| p.numel()).sum();
    assert_eq!(count, 204_544);
    let (decay, no_decay) = model.parameter_groups();
    assert_eq!(decay.len(), 2 + 4 * 4 + 1); // wte, wpe, 4 matrices per block, lm_head
    let data = Examples::sequences(&docs(), 26, 16);
    assert!(data.y.contains(&IGNORE));
    let mut opt = Adam::adamw(&decay, &no_decay, 1e-3, 0.01).betas(0.9, 0.99);
    let (first, last) = train(&model, &mut opt, &data, 20);
    assert!(last < first - 0.5, "loss went from {first} to {last}");
    TensorTape::clear();
}

#[test]
fn examples_follow_makemore() {
    // "ab" with BOS = 26: windows ... → a, .a → b, ab → BOS; sequences [BOS a b] → [a b BOS].
    let docs = vec![vec![0, 1]];
    let w = Examples::windows(&docs, 26, 2);
    assert_eq!(w.x, vec![26, 26, 26, 0, 0, 1]);
    assert_eq!(w.y, vec![0, 1, 26]);
    let s = Examples::sequences(&docs, 26, 4);
    assert_eq!(s.x, vec![26, 0, 1, 26]);
    assert_eq!(s.y, vec![0, 1, 26, IGNORE]);
}
