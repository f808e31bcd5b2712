//! `nanogpt bench`: how fast a training step is, beside PyTorch's time for the same model.

use std::time::Instant;

use harness::PyRandom;

use crate::config::{ModelConfig, TrainConfig};
use crate::data::{Batch, Dataset};
use crate::model::Gpt;
use crate::train::{adamw, train_step};

/// PyTorch 2.x on this machine's CPU, 2 threads: one batch-32 training step of makemore's transformer
/// (4 layers, 4 heads, n_embd 64, block 16), from `shared/bench/torch_ref.py`, as once recorded. The
/// machine's speed drifts between sessions: `cargo xtask bench` times PyTorch in the same run.
pub const TORCH_MS_PER_STEP: f64 = 12.1;

/// Steps run before timing starts (the tape's buffers are allocated during the first).
const WARMUP: usize = 20;

/// What `bench` measured.
pub struct Report {
    pub params: usize,
    pub ms_per_step: f64,
    /// Positions (B·T) processed per second, padding included: the work the step does.
    pub positions_per_s: f64,
    /// Next-token predictions learned from per second (padding excluded).
    pub tokens_per_s: f64,
    pub last_loss: f32,
}

/// Times `steps` training steps (after a warmup) of a fresh model of `model_cfg` on `data`.
pub fn bench(data: &Dataset, model_cfg: &ModelConfig, train_cfg: &TrainConfig, steps: usize) -> Report {
    let t = model_cfg.block_size;
    let model = Gpt::new(model_cfg.clone(), &mut PyRandom::new(train_cfg.seed), train_cfg.init_std);
    let mut opt = adamw(&model, train_cfg);
    let (mut rng, mut batch) = (PyRandom::new(train_cfg.seed), Batch::default());
    let (mut clock, mut tokens, mut last_loss) = (Instant::now(), 0, f32::NAN);
    for i in 0..WARMUP + steps {
        if i == WARMUP {
            (clock, tokens) = (Instant::now(), 0);
        }
        data.train.sample(&mut rng, train_cfg.batch_size, t, &mut batch);
        last_loss = train_step(&model, &mut opt, &batch, train_cfg.grad_clip, &mut rng);
        tokens += batch.n_targets();
    }
    let secs = clock.elapsed().as_secs_f64();
    Report {
        params: model.num_params(),
        ms_per_step: secs * 1e3 / steps.max(1) as f64,
        positions_per_s: (steps * train_cfg.batch_size * t) as f64 / secs,
        tokens_per_s: tokens as f64 / secs,
        last_loss,
    }
}
