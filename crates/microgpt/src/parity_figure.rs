//! `microgpt figure`: this crate's 1,000 training losses drawn over microgpt.py's, from the Python's
//! own output. They are the same numbers, so the two curves are one: the figure says how many of the
//! printed losses are identical.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use harness::run::Saver;
use harness::rundir::RunDir;

use crate::config::Config;

/// `microgpt figure`: train the default run and draw its losses beside microgpt.py's.
#[derive(Debug, Clone, clap::Args)]
pub struct FigureArgs {
    /// The documents to train on [default: the repo's data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// microgpt.py's output on the same file [default: the crate's copy for data/names.txt].
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Where to write the figure: STEM.png and STEM.svg [default: runs/microgpt/parity].
    #[arg(long)]
    pub figure: Option<PathBuf>,
}

/// The losses of microGPT's `step    N / 1000 | loss X` lines, in order.
pub fn step_losses(text: &str) -> Vec<(usize, String)> {
    text.split(['\n', '\r'])
        .filter_map(|line| {
            let (step, loss) = line.strip_prefix("step ")?.split_once(" | loss ")?;
            Some((step.split('/').next()?.trim().parse().ok()?, loss.trim().to_owned()))
        })
        .collect()
}

impl FigureArgs {
    /// Trains (in a temporary run directory, removed afterwards), reads the reference and draws.
    pub fn run(&self, out: &mut dyn Write) -> Result<()> {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/microgpt-py.ssa2018-names.out");
        let reference = self.reference.clone().unwrap_or(fixture);
        let bytes = harness::limits::read_file_at_most(&reference, harness::limits::MAX_DATA_BYTES)
            .with_context(|| format!("cannot read --reference {}", reference.display()))?;
        let python = step_losses(&String::from_utf8_lossy(&bytes));
        ensure!(
            !python.is_empty(),
            "--reference {} holds no `step N / M | loss X` lines",
            reference.display()
        );
        let data = self.data.clone().unwrap_or_else(harness::default_data_path);
        harness::data::check_data(&data)?;
        let config: Config = harness::cli::defaults();
        let scratch = std::env::temp_dir().join(format!("microgpt-figure-{}", std::process::id()));
        let mut printed = Vec::new();
        let trained = RunDir::create(&scratch, crate::STAGE).map_err(anyhow::Error::from).and_then(|dir| {
            let saver = Saver::new(&dir, &config)?;
            crate::train::train(&config, &data, &saver, &mut printed)
        });
        let _ = std::fs::remove_dir_all(&scratch);
        trained?;
        let ours = step_losses(&String::from_utf8_lossy(&printed));
        let same = ours.iter().zip(&python).filter(|(a, b)| a == b).count();
        // One document a step makes a noisy curve: each point is the mean of the 50 printed losses up to it.
        let points = |losses: &[(usize, String)]| -> Vec<(f64, f64)> {
            let values: Vec<(f64, f64)> =
                losses.iter().filter_map(|(s, l)| Some((*s as f64, l.parse().ok()?))).collect();
            (0..values.len())
                .map(|i| {
                    let window = &values[i.saturating_sub(49)..=i];
                    (values[i].0, window.iter().map(|p| p.1).sum::<f64>() / window.len() as f64)
                })
                .collect()
        };
        let title = format!(
            "microgpt: {same} of microgpt.py's {} printed losses identical (mean of 50 steps; one curve)",
            python.len()
        );
        let stem = self.figure.clone().unwrap_or_else(|| ["runs", crate::STAGE, "parity"].iter().collect());
        let saved = plot::LineChart::new(title)
            .x_label("step (one document each)")
            .y_label("loss")
            .series("microgpt.py (CPython)", points(&python))
            .series("this crate", points(&ours))
            .save(&stem, (900, 560))?;
        writeln!(
            out,
            "{same} of {} losses identical; wrote {} and {}",
            python.len(),
            saved.png.display(),
            saved.svg.display()
        )?;
        Ok(())
    }
}
