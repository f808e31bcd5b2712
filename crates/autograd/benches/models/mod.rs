//! The reference models whose training step `cargo bench -p autograd` times (`cargo xtask bench` runs
//! `shared/bench/torch_ref.py`, which times the same two models the same way in PyTorch): makemore's
//! MLP and makemore's default transformer, batch 32, on token sequences the caller provides. They
//! live with the benchmarks, not in the engine: no stage uses them (`tests/tensor_reference_models.rs`
//! includes this module too).
//!
//! A step is what the PyTorch loop times: sample a batch, forward, zero the gradients, backward, and
//! the optimizer's update.

mod gpt;
mod mlp;

pub use gpt::Gpt;
pub use mlp::Mlp;

use std::time::Instant;

use autograd::optim::{Adam, Optimizer, Sgd};
use autograd::{Tensor, TensorTape};

/// The batch size PyTorch's reference timings use.
pub const BATCH: usize = 32;

/// Training examples: inputs (rows of `block` token ids) and targets (one per row for the MLP, one
/// per position for the transformer, `IGNORE` where there is none).
pub struct Examples {
    pub block: usize,
    pub x: Vec<usize>,
    pub y: Vec<usize>,
    /// Targets per example: 1 (next character) or `block` (one per position).
    pub targets_per_row: usize,
}

/// The target of a padding position (PyTorch's `ignore_index=-1`).
pub const IGNORE: usize = usize::MAX;

impl Examples {
    /// makemore's MLP data: every (context of `block` tokens → next token) window of every document,
    /// with `bos` both as the start padding and as the end-of-name token.
    pub fn windows(docs: &[Vec<usize>], bos: usize, block: usize) -> Examples {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for doc in docs {
            let mut ctx = vec![bos; block];
            for &ix in doc.iter().chain([&bos]) {
                x.extend_from_slice(&ctx);
                y.push(ix);
                ctx.remove(0);
                ctx.push(ix);
            }
        }
        Examples { block, x, y, targets_per_row: 1 }
    }

    /// makemore's transformer data: each document as `[bos] + doc + [bos]` cut to `block + 1` tokens,
    /// input the first `block`, target the next; positions past the end are `bos` → `IGNORE`.
    pub fn sequences(docs: &[Vec<usize>], bos: usize, block: usize) -> Examples {
        let (mut x, mut y) = (vec![bos; docs.len() * block], vec![IGNORE; docs.len() * block]);
        for (i, doc) in docs.iter().enumerate() {
            let t: Vec<usize> = [bos].into_iter().chain(doc.iter().copied()).chain([bos]).collect();
            let n = block.min(t.len() - 1);
            x[i * block..i * block + n].copy_from_slice(&t[..n]);
            y[i * block..i * block + n].copy_from_slice(&t[1..n + 1]);
        }
        Examples { block, x, y, targets_per_row: block }
    }

    pub fn len(&self) -> usize {
        self.x.len() / self.block
    }

    /// Copies the examples `rows` into `x` and `y` (reused buffers, so a step allocates nothing).
    pub fn batch(&self, rows: &[usize], x: &mut Vec<usize>, y: &mut Vec<usize>) {
        x.clear();
        y.clear();
        let ty = self.targets_per_row;
        for &r in rows {
            x.extend_from_slice(&self.x[r * self.block..(r + 1) * self.block]);
            y.extend_from_slice(&self.y[r * ty..(r + 1) * ty]);
        }
    }
}

/// splitmix64: the batch sampler's RNG (any RNG would do; this one is tiny and deterministic).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }
}

impl rand::RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        (SplitMix::next_u64(self) >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        SplitMix::next_u64(self)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            chunk.copy_from_slice(&SplitMix::next_u64(self).to_le_bytes()[..chunk.len()]);
        }
    }
}

/// One benchmark's result.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: &'static str,
    pub params: usize,
    /// Mean wall time of one training step over the timed steps.
    pub ms_per_step: f64,
    /// Mean CPU time of one step, all threads together (Linux; NaN elsewhere): the work done,
    /// whatever else the machine is running.
    pub cpu_ms_per_step: f64,
    /// The loss of the last step's batch.
    pub loss: f32,
    /// Bytes held by the tensor tape after the run (data, gradients, saved extras).
    pub tape_bytes: usize,
    /// Tape bytes after the warm-up steps: equal to `tape_bytes` when steps do not grow memory.
    pub tape_bytes_after_warmup: usize,
}

/// A model that can take a training step on a batch.
pub trait Model {
    fn parameters(&self) -> Vec<Tensor>;
    /// Forward to the mean loss of a batch (`x`: BATCH rows of the model's block size).
    fn loss(&self, x: &[usize], y: &[usize]) -> Tensor;
}

/// Times `steps` training steps after 20 warm-up steps, as the PyTorch script does.
pub fn time_training(
    name: &'static str,
    model: &impl Model,
    opt: &mut impl Optimizer,
    data: &Examples,
    steps: usize,
) -> Report {
    let params: usize = model.parameters().iter().map(|p| p.numel()).sum();
    let mut rng = SplitMix(42);
    let (mut rows, mut x, mut y) = (vec![0; BATCH], Vec::new(), Vec::new());
    let mut loss = f32::NAN;
    let mut t0 = Instant::now();
    let mut cpu0 = process_cpu_seconds();
    let mut tape_bytes_after_warmup = 0;
    for i in 0..steps + 20 {
        if i == 20 {
            t0 = Instant::now();
            cpu0 = process_cpu_seconds();
            tape_bytes_after_warmup = TensorTape::bytes();
        }
        rows.iter_mut().for_each(|r| *r = rng.below(data.len()));
        data.batch(&rows, &mut x, &mut y);
        let step = TensorTape::scope();
        let l = model.loss(&x, &y);
        opt.zero_grad();
        l.backward();
        opt.step();
        loss = l.item();
        drop(step);
    }
    let ms_per_step = t0.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64;
    let cpu_ms_per_step = (process_cpu_seconds() - cpu0) * 1e3 / steps.max(1) as f64;
    Report {
        name,
        params,
        ms_per_step,
        cpu_ms_per_step,
        loss,
        tape_bytes: TensorTape::bytes(),
        tape_bytes_after_warmup,
    }
}

/// CPU time of this process so far, all its threads, from Linux's per-thread `schedstat` (in ns);
/// NaN where there is none.
fn process_cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return f64::NAN };
    let mut ns = 0u64;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        ns += stat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    }
    ns as f64 * 1e-9
}

/// makemore part 2's MLP (block 3, embedding 10, hidden 200, tanh) with SGD at lr 0.1.
pub fn bench_mlp(docs: &[Vec<usize>], vocab: usize, steps: usize, seed: u64) -> Report {
    let data = Examples::windows(docs, vocab - 1, 3);
    let model = Mlp::new(&mut SplitMix(seed), vocab, 3, 10, 200);
    let mut opt = Sgd::new(&model.parameters(), 0.1);
    let report = time_training("mlp-b3-e10-h200", &model, &mut opt, &data, steps);
    TensorTape::clear();
    report
}

/// makemore's default transformer (4 layers, 4 heads, n_embd 64, block 16) with AdamW at lr 5e-4,
/// betas (0.9, 0.99), weight decay 0.01 on the 2-D weights.
pub fn bench_transformer(docs: &[Vec<usize>], vocab: usize, steps: usize, seed: u64) -> Report {
    let data = Examples::sequences(docs, vocab - 1, 16);
    let model = Gpt::new(&mut SplitMix(seed), vocab, 16, 4, 4, 64);
    let (decay, no_decay) = model.parameter_groups();
    let mut opt = Adam::adamw(&decay, &no_decay, 5e-4, 0.01).betas(0.9, 0.99);
    let report = time_training("gpt-L4-H4-d64-T16", &model, &mut opt, &data, steps);
    TensorTape::clear();
    report
}
