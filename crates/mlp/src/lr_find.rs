//! makemore part 2's learning-rate finder: one short run whose learning rate grows every step, from
//! `--min-lr` to `--max-lr` evenly in log10, and the loss plotted against it (`mlp lr-find`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use autograd::TensorTape;
use autograd::optim::{Optimizer, Sgd};
use clap::Args;
use harness::PyRandom;

use crate::config::ModelConfig;
use crate::data::{Dataset, minibatch};
use crate::model::Mlp;

/// The sweep's flags (the model's are `train`'s).
#[derive(Args, Debug)]
pub struct LrFindArgs {
    /// Training text, one document per line [default: the repo's data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Smallest learning rate of the sweep.
    #[arg(long, default_value_t = 0.001)]
    pub min_lr: f64,
    /// Largest learning rate of the sweep.
    #[arg(long, default_value_t = 1.0)]
    pub max_lr: f64,
    /// Steps of the sweep, the learning rate growing every step.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Examples per step, drawn at random from the training split.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Seed of the random stream (the initial weights, then the minibatches).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to write the figure: STEM.png and STEM.svg.
    #[arg(long, default_value = "runs/mlp/lr-find")]
    pub figure: PathBuf,
    #[command(flatten)]
    pub model: ModelConfig,
}

/// Runs the sweep on a fresh model and draws it.
pub fn run(args: &LrFindArgs, out: &mut dyn Write) -> Result<()> {
    ensure!(
        args.min_lr > 0.0 && args.max_lr > args.min_lr && args.max_lr.is_finite(),
        "the sweep needs 0 < --min-lr < --max-lr"
    );
    ensure!(args.steps >= 2, "--steps must be at least 2 for a sweep");
    ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    args.model.validate()?;
    harness::limits::check_steps("--steps", args.steps, true)?;
    args.model.check_memory(args.batch_size)?; // before the data is read, as `train` does
    ensure!(
        !args.model.uses_batchnorm() || args.batch_size > 1,
        "batch norm needs --batch-size of at least 2 (a batch of one has no spread to normalise by)"
    );
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&harness::load_docs(&path)?, args.model.block_size)?;
    let mut rng = PyRandom::new(args.seed);
    let config = ModelConfig { vocab_size: data.vocab.len(), ..args.model.clone() };
    config.check_memory(args.batch_size)?; // and again with the vocabulary
    let model = Mlp::new(&config, &mut rng);
    let points = lr_find(&model, &data, args.batch_size, (args.min_lr, args.max_lr), args.steps, &mut rng);
    let saved = lr_sweep(&points, &args.figure)?;
    writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
    Ok(())
}

// ANCHOR: lr_find
/// One training step at each learning rate from `min_lr` to `max_lr`, spaced evenly in log10 (the
/// lecture's `lre = torch.linspace(-3, 0, 1000)`). Returns (log10 lr, minibatch loss) per step.
pub fn lr_find(
    model: &Mlp,
    data: &Dataset,
    batch_size: usize,
    (min_lr, max_lr): (f64, f64),
    steps: usize,
    rng: &mut PyRandom,
) -> Vec<(f64, f64)> {
    let mut sgd = Sgd::new(&model.parameters(), 0.0);
    let (lo, hi) = (min_lr.log10(), max_lr.log10());
    let mut points = Vec::with_capacity(steps);
    for i in 0..steps {
        let lre = lo + (hi - lo) * i as f64 / (steps.max(2) - 1) as f64;
        let _step = TensorTape::scope();
        let (xb, yb) = minibatch(&data.train, batch_size, rng);
        let loss = model.loss(&xb, &yb, true);
        loss.backward();
        sgd.set_lr(10f64.powf(lre) as f32);
        sgd.step();
        sgd.zero_grad();
        let loss = loss.item() as f64;
        if !loss.is_finite() {
            break; // past the cliff: the rest of the sweep would only show NaN
        }
        points.push((lre, loss));
    }
    points
}
// ANCHOR_END: lr_find

/// The sweep's figure: loss against log10 of the learning rate.
pub fn lr_sweep(points: &[(f64, f64)], stem: &Path) -> Result<plot::Saved> {
    plot::LineChart::new("learning-rate finder: one step per learning rate")
        .x_label("log10 learning rate")
        .y_label("minibatch loss")
        .series("loss", points.iter().copied())
        .save(stem, (900, 560))
}
