//! The lecture's figures of a trained model (`mlp figures`): the loss curve, the learned 2-D
//! embeddings, and the tanh activation histograms (how many neurons are saturated).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use autograd::{Tensor, TensorTape};
use clap::Args;
use harness::{PyRandom, Record, Vocab};
use plot::prelude::*;

use crate::data::Dataset;
use crate::model::Mlp;

/// Which checkpoint to draw, and where.
#[derive(Args, Debug)]
pub struct FiguresArgs {
    /// Run directory written by `train` (its log.jsonl gives the loss curve) [default: runs/mlp].
    #[arg(long, default_value = "runs/mlp")]
    pub checkpoint: PathBuf,
    /// The data the model was trained on, for the activation histograms [default: the repo's
    /// data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Directory for the figures (STEM.png and STEM.svg each).
    #[arg(long, default_value = "runs/mlp/figures")]
    pub out_dir: PathBuf,
    /// Prefix of the figures' file names.
    #[arg(long, default_value = "mlp")]
    pub prefix: String,
}

/// Draws every figure of the checkpoint in `args.checkpoint`.
pub fn run(args: &FiguresArgs, out: &mut dyn Write) -> Result<()> {
    // A plain file name, so that `--prefix ../../x` cannot write outside --out-dir; checked first.
    harness::overwrite::checked_name(&args.prefix).context("--prefix")?;
    let (model, saved) = harness::cli::load::<crate::Stage>(&args.checkpoint)?;
    let stem = |name: &str| args.out_dir.join(format!("{}-{name}", args.prefix));
    let mut written = Vec::new();

    let log = harness::read_run_log(&args.checkpoint.join(harness::runlog::LOG_FILE))?;
    let log: Vec<Record> = log.into_iter().filter(|r| r.stage == crate::STAGE).collect();
    written.push(loss_curve(&log, &stem("loss"))?);
    if model.config.n_embd >= 2 {
        written.push(embedding(&model, &saved.vocab, &stem("embedding"))?);
    }

    // The histograms are over 1000 training examples, first through the trained model, then through a
    // freshly initialised one of the same shape: the picture at step 0 is what part 3 is about.
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&harness::load_docs(&path)?, model.config.block_size)?;
    ensure!(data.vocab == saved.vocab, "{} is not the data this model was trained on", path.display());
    let x = &data.train.x[..data.train.len().min(1000) * model.config.block_size];
    written.push(activations(&model, x, "tanh activations after training", &stem("activations"))?);
    let fresh = Mlp::new(&model.config, &mut PyRandom::new(saved.config.train.seed));
    written.push(activations(&fresh, x, "tanh activations at initialisation", &stem("activations-init"))?);
    for saved in written {
        writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
    }
    Ok(())
}

/// |tanh| above this counts as saturated: its gradient (1 − t²) is below 0.06, the neuron barely learns.
pub const SATURATED: f32 = 0.97;

/// log10 of the training loss, averaged between evaluations (one run log line each), and the val loss.
pub fn loss_curve(log: &[Record], stem: &Path) -> Result<plot::Saved> {
    let train = log.iter().filter_map(|r| Some((r.step as f64, r.train_loss?.log10())));
    let val = log.iter().filter_map(|r| Some((r.step as f64, r.val_loss?.log10())));
    plot::LineChart::new("mlp: log10 loss (training: mean minibatch loss between evaluations)")
        .x_label("step")
        .y_label("log10 loss")
        .series("train (minibatches)", train)
        .series("val (whole split)", val)
        .save(stem, (900, 560))
}

/// The first two dimensions of every character's embedding, each point labelled with its character.
/// Trained with `--n-embd 2`, this is the whole embedding: similar characters (the vowels) cluster.
pub fn embedding(model: &Mlp, vocab: &Vocab, stem: &Path) -> Result<plot::Saved> {
    let n_embd = model.config.n_embd;
    ensure!(n_embd >= 2, "the embedding plot needs --n-embd of at least 2");
    let c = model.c.data();
    let points: Vec<(char, f64, f64)> =
        (0..vocab.len()).map(|i| (vocab.itos(i), c[i * n_embd] as f64, c[i * n_embd + 1] as f64)).collect();
    let range = |f: fn(&(char, f64, f64)) -> f64| {
        let (lo, hi) = points.iter().map(f).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let pad = 0.1 * (hi - lo).max(1e-3);
        (lo - pad)..(hi + pad)
    };
    let title =
        if n_embd == 2 { "the learned embeddings C".to_owned() } else { format!("C[:, 0..2] of {n_embd}") };
    plot::save_figure(stem, (720, 720), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(range(|p| p.1), range(|p| p.2))?;
        chart.configure_mesh().x_desc("C[:, 0]").y_desc("C[:, 1]").draw()?;
        chart.draw_series(points.iter().map(|&(ch, x, y)| {
            EmptyElement::at((x, y))
                + Circle::new((0, 0), 14, RGBColor(107, 174, 214).filled())
                // Text hangs from its top-left corner: shift it by half a glyph to centre it.
                + Text::new(ch.to_string(), (-5, -10), ("sans-serif", 18).into_font().color(&WHITE))
        }))?;
        Ok(())
    })
}

// ANCHOR: saturation
/// What one hidden layer's tanh outputs look like over a batch.
pub struct LayerStats {
    pub mean: f64,
    pub std: f64,
    /// The fraction of outputs with |t| > [`SATURATED`].
    pub saturated: f64,
    /// (bin centre, density) over [-1, 1] in 50 bins.
    pub histogram: Vec<(f64, f64)>,
}

/// The statistics of every hidden layer's activations on the contexts `x` (batch statistics for batch
/// norm, as during training).
pub fn activation_stats(model: &Mlp, x: &[usize]) -> Vec<LayerStats> {
    let (_no_grad, _scope) = (TensorTape::no_grad(), TensorTape::scope());
    let mut acts: Vec<Tensor> = Vec::new();
    model.forward(x, true, Some(&mut acts));
    acts.iter()
        .map(|a| {
            let t = a.data();
            let n = t.len() as f64;
            let mean = t.iter().map(|&v| v as f64).sum::<f64>() / n;
            let std = (t.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            let saturated = t.iter().filter(|v| v.abs() > SATURATED).count() as f64 / n;
            let mut bins = [0usize; 50];
            for &v in &t {
                bins[(((v + 1.0) / 2.0 * 50.0) as usize).min(49)] += 1;
            }
            let histogram = bins
                .iter()
                .enumerate()
                .map(|(i, &k)| (-1.0 + (i as f64 + 0.5) * 0.04, k as f64 / (n * 0.04)))
                .collect();
            LayerStats { mean, std, saturated, histogram }
        })
        .collect()
}
// ANCHOR_END: saturation

/// The histograms of [`activation_stats`], one curve per layer, the saturation in the legend.
pub fn activations(model: &Mlp, x: &[usize], title: &str, stem: &Path) -> Result<plot::Saved> {
    let mut chart = plot::LineChart::new(title).x_label("tanh output").y_label("density");
    for (i, LayerStats { mean, std, saturated, histogram }) in
        activation_stats(model, x).into_iter().enumerate()
    {
        let name = format!(
            "layer {} (tanh): mean {mean:+.2}, std {std:.2}, saturated {:.1}%",
            i + 1,
            100.0 * saturated
        );
        chart = chart.series(name, histogram);
    }
    chart.save(stem, (900, 560))
}
