//! micrograd's demo: a 2-16-16-1 ReLU net learns to separate two moons with a max-margin loss.

pub mod data;
pub mod figure;

use autograd::{Tape, Value};
use clap::Args;
use harness::pyrandom::PyRandom;

use crate::nn::{Activation, Mlp, Module};
pub use data::{Moons, make_moons};

/// The demo's settings; the defaults are the notebook's.
#[derive(Debug, Clone, Args)]
pub struct MoonsConfig {
    /// Points in the data set, half on each moon.
    #[arg(long, default_value_t = 100)]
    pub n_samples: usize,
    /// Standard deviation of the Gaussian noise added to each coordinate.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Full-batch gradient descent steps; the learning rate decays linearly from 1.0 towards 0.1 over them.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Weight of the L2 penalty α·Σp².
    #[arg(long, default_value_t = 1e-4)]
    pub alpha: f64,
    /// Seeds both the data (shuffle and noise) and the weights, as the notebook seeds numpy and
    /// `random` with the same 1337.
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
}

impl Default for MoonsConfig {
    fn default() -> Self {
        MoonsConfig { n_samples: 100, noise: 0.1, steps: 100, alpha: 1e-4, seed: 1337 }
    }
}

impl MoonsConfig {
    /// Refuses settings that cannot train.
    pub fn validate(&self) -> anyhow::Result<()> {
        harness::limits::check_steps("--steps", self.steps, true)?;
        anyhow::ensure!(self.n_samples >= 2, "--n-samples must be at least 2 (one point per moon)");
        // Every step puts the whole data set through MLP(2, [16, 16, 1]) on the tape: about 2·(2·16 +
        // 16·16 + 16) + 100 scalars per point, 64 bytes each at most.
        let what = format!("--n-samples {}", self.n_samples);
        let bytes = harness::limits::product(
            &what,
            &[self.n_samples as u128, 2 * (2 * 16 + 16 * 16 + 16) + 100, 64],
        )?;
        harness::limits::check_memory(&what, bytes)?;
        anyhow::ensure!(self.noise.is_finite() && self.noise >= 0.0, "--noise must be a finite number >= 0");
        anyhow::ensure!(self.alpha.is_finite() && self.alpha >= 0.0, "--alpha must be a finite number >= 0");
        Ok(())
    }
}

/// What one step measured, before it moved the parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// 0-based, as the notebook counts.
    pub step: usize,
    /// Data loss plus L2 penalty.
    pub loss: f64,
    /// Fraction of points on the right side of the boundary, 0..=1.
    pub accuracy: f64,
}

impl std::fmt::Display for StepReport {
    /// The notebook's line: `step 0 loss 0.89…, accuracy 50.0%` (Python's float formatting, which `{:?}`
    /// matches for numbers of this size).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} loss {:?}, accuracy {:?}%", self.step, self.loss, self.accuracy * 100.0)
    }
}

/// A trained demo: the model, its data, and every step's numbers.
#[derive(Debug)]
pub struct MoonsRun {
    /// The classifier; its score's sign is the predicted label.
    pub model: Mlp,
    /// The points it learned from.
    pub data: Moons,
    /// One report per step.
    pub history: Vec<StepReport>,
}

/// The score the model gives one point.
pub fn score(model: &Mlp, p: [f64; 2]) -> Value {
    model.forward(&[Value::new(p[0]), Value::new(p[1])])[0]
}

// ANCHOR: loss
/// The notebook's loss: the SVM max-margin loss, which is zero once every point is on its side by a
/// margin of 1, plus an L2 penalty that keeps the weights from growing without end. Also the accuracy.
pub fn loss(model: &Mlp, data: &Moons, alpha: f64) -> (Value, f64) {
    let scores: Vec<Value> = data.points.iter().map(|&p| score(model, p)).collect();
    let losses: Vec<Value> = scores.iter().zip(&data.labels).map(|(&s, &y)| (1.0 + -y * s).relu()).collect();
    let data_loss = Value::sum(&losses) * (1.0 / losses.len() as f64);
    let params = model.parameters();
    let reg_loss = alpha * Value::dot(&params, &params); // Σ p·p, one node
    let correct = scores.iter().zip(&data.labels).filter(|&(s, &y)| (y > 0.0) == (s.data() > 0.0)).count();
    (data_loss + reg_loss, correct as f64 / data.labels.len() as f64)
}
// ANCHOR_END: loss

// ANCHOR: train
/// Trains `Mlp(2, [16, 16, 1])` by full-batch gradient descent with a learning rate that decays linearly
/// from 1.0 towards 0.1 (the notebook's `1.0 - 0.9*k/100` for its 100 steps), calling `on_step` after
/// every step.
pub fn train(cfg: &MoonsConfig, mut on_step: impl FnMut(&StepReport)) -> anyhow::Result<MoonsRun> {
    cfg.validate()?;
    let data = make_moons(cfg.n_samples, cfg.noise, &mut PyRandom::new(cfg.seed));
    let model = Mlp::new(2, &[16, 16, 1], Activation::Relu, &mut PyRandom::new(cfg.seed));
    let mut history = Vec::new(); // not with_capacity(steps): a run may be stopped long before
    for k in 0..cfg.steps {
        let _step = Tape::scope(); // the graph of this step is freed at the end of it
        let (total_loss, accuracy) = loss(&model, &data, cfg.alpha);
        anyhow::ensure!(total_loss.data().is_finite(), "loss became {} at step {k}", total_loss.data());
        model.zero_grad();
        total_loss.backward();
        let learning_rate = 1.0 - 0.9 * k as f64 / cfg.steps as f64;
        Value::update(&model.parameters(), |_, data, grad| *data -= learning_rate * *grad);
        let report = StepReport { step: k, loss: total_loss.data(), accuracy };
        on_step(&report);
        history.push(report);
    }
    Ok(MoonsRun { model, data, history })
}
// ANCHOR_END: train

/// `micrograd moons`: the demo's flags and where its figure goes.
#[derive(Debug, Clone, Args)]
pub struct MoonsArgs {
    #[command(flatten)]
    pub config: MoonsConfig,
    /// Where to write moons.png and moons.svg.
    #[arg(long, default_value = "runs/micrograd")]
    pub out: std::path::PathBuf,
}

/// Trains the demo, printing the notebook's line at every step, and draws the decision boundary.
pub fn run(args: &MoonsArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    figure::check(&args.out.join("moons"))?;
    // A closed pipe (`| head`) must not stop the demo: a failed print is dropped.
    let run = train(&args.config, |s| {
        let _ = writeln!(out, "{s}");
    })?;
    let saved = figure::draw_boundary(&run, &args.out.join("moons"))?;
    writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
    Ok(())
}
