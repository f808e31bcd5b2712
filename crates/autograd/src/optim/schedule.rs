//! Learning-rate schedules: the learning rate as a function of the step number.

/// A learning rate for every step.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// The same rate throughout.
    Constant(f32),
    /// `lr` from step 0; each `(step, rate)` in `drops` takes over from that step on (sorted by step).
    /// makemore part 2: `Steps { lr: 0.1, drops: vec![(100_000, 0.01)] }`.
    Steps { lr: f32, drops: Vec<(usize, f32)> },
    /// From `start` at step 0 linearly to `end` at step `steps` (and `end` after): microGPT's
    /// `lr · (1 - step / num_steps)` is `Linear { start: lr, end: 0.0, steps: num_steps }`.
    Linear { start: f32, end: f32, steps: usize },
    /// nanoGPT's `get_lr`: linear warmup to `lr` over `warmup` steps, cosine decay to `min_lr` at step
    /// `decay_steps`, then `min_lr`.
    WarmupCosine { lr: f32, min_lr: f32, warmup: usize, decay_steps: usize },
}

// ANCHOR: schedule
impl Schedule {
    /// The learning rate at `step` (counting from 0).
    pub fn lr(&self, step: usize) -> f32 {
        match self {
            Schedule::Constant(lr) => *lr,
            Schedule::Steps { lr, drops } => {
                drops.iter().rev().find(|(at, _)| step >= *at).map_or(*lr, |d| d.1)
            }
            Schedule::Linear { start, end, steps } => {
                let frac = if *steps == 0 { 1.0 } else { (step as f64 / *steps as f64).min(1.0) };
                (*start as f64 + (*end as f64 - *start as f64) * frac) as f32
            }
            &Schedule::WarmupCosine { lr, min_lr, warmup, decay_steps } => {
                let (lr, min_lr) = (lr as f64, min_lr as f64);
                if step < warmup {
                    return (lr * (step as f64 + 1.0) / (warmup as f64 + 1.0)) as f32; // no overflow at usize::MAX
                }
                if step > decay_steps || decay_steps <= warmup {
                    return min_lr as f32;
                }
                let ratio = (step - warmup) as f64 / (decay_steps - warmup) as f64;
                let coeff = 0.5 * (1.0 + (std::f64::consts::PI * ratio).cos()); // 1 → 0
                (min_lr + coeff * (lr - min_lr)) as f32
            }
        }
    }
}
// ANCHOR_END: schedule
