//! The one table of what `cargo xtask compare` runs: each stage's binary, its budget, and how to ask it
//! for samples. Change a budget here and nowhere else.
//!
//! A *run* is one invocation of a stage binary's `train`; a *stage* is one row of the summary and one
//! curve of the plot. They differ once: the bigram binary counts and trains in one run, and its run log
//! holds two stages, `bigram-counts` and `bigram-neural`.
//!
//! The full budgets give every stage enough steps to flatten out, within about five minutes of training
//! on two cores: mlp gets its lecture's 200,000 steps, nanogpt the 15,000 steps its chapter shows
//! reaching a validation loss under 2.0, and the small models five times the steps of their lectures
//! (micrograd, the bigram) or ten times (microGPT), which costs them seconds. Evaluations are spaced
//! to give a curve of 10-31 points. `--quick` budgets only check that everything runs: two or three points per curve.

/// One invocation of a stage binary's `train` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The crate, its binary, and the directory under `--out` the run writes into.
    pub krate: &'static str,
    /// `train` flags for the full comparison, besides `--data` and `--out`.
    pub full: &'static [&'static str],
    /// `train` flags for `--quick`.
    pub quick: &'static [&'static str],
    /// The number of steps each budget trains, for the progress bar (it must match the flags).
    pub steps: (usize, usize),
}

/// One row of the summary, one curve of the plot.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// The run log's `stage` field.
    pub name: &'static str,
    /// The crate whose run writes it.
    pub krate: &'static str,
    /// What this stage adds to the one before, in a few words.
    pub idea: &'static str,
    /// `sample` flags besides `--checkpoint` and `--num-samples`.
    pub sample: &'static [&'static str],
    /// Which tensors of the checkpoint are this stage's learned parameters (not buffers such as batch
    /// norm's running statistics, nor another stage's table).
    pub is_param: fn(&str) -> bool,
}

/// Every run, in the order of the lineage.
pub const RUNS: &[Run] = &[
    Run {
        krate: "micrograd",
        full: &["--steps", "10000", "--eval-interval", "1000"],
        quick: &["--steps", "20", "--eval-interval", "10"],
        steps: (10_000, 20),
    },
    Run {
        krate: "bigram",
        full: &["--steps", "1000", "--eval-interval", "100"],
        quick: &["--steps", "20", "--eval-interval", "10"],
        steps: (1000, 20),
    },
    Run {
        krate: "mlp",
        full: &["--steps", "200000", "--eval-interval", "10000"],
        // Its lecture's init starts near 25 (the uniform guess is 3.3): a few thousand steps (0.04 ms
        // each) bring it below the uniform guess, so the smoke test does not make the MLP look broken.
        quick: &["--steps", "4000", "--eval-interval", "2000"],
        steps: (200_000, 4000),
    },
    Run {
        krate: "nanogpt",
        full: &["--steps", "15000", "--eval-interval", "500"],
        quick: &["--steps", "40", "--eval-interval", "20"],
        steps: (15_000, 40),
    },
    Run {
        // --held-out: train on the canonical split's training words only, like every other stage.
        krate: "microgpt",
        full: &["--steps", "10000", "--eval-interval", "1000", "--held-out"],
        quick: &["--steps", "60", "--eval-interval", "30", "--held-out"],
        steps: (10_000, 60),
    },
];

fn all_tensors(_: &str) -> bool {
    true
}

/// Every stage, in the order of the lineage.
pub const STAGES: &[Stage] = &[
    Stage {
        name: "micrograd",
        krate: "micrograd",
        idea: "backpropagation: a scalar autograd engine trains a bigram net",
        sample: &[],
        is_param: all_tensors,
    },
    Stage {
        name: "bigram-counts",
        krate: "bigram",
        idea: "a language model by counting: P(next | previous)",
        sample: &["--model", "counts"],
        // The count table N: one number per pair of characters.
        is_param: |name| name == "N",
    },
    Stage {
        name: "bigram-neural",
        krate: "bigram",
        idea: "the same table learned by gradient descent on tensors",
        sample: &["--model", "neural"],
        is_param: |name| name == "W",
    },
    Stage {
        name: "mlp",
        krate: "mlp",
        idea: "embeddings, a context of several characters, a hidden layer",
        sample: &[],
        is_param: |name| !name.starts_with("bnmean") && !name.starts_with("bnvar"),
    },
    Stage {
        name: "nanogpt",
        krate: "nanogpt",
        idea: "self-attention: a batched transformer on tensors",
        sample: &[],
        // (AdamW's moments, for --resume, are kept apart in the run's resume/ directory.)
        is_param: all_tensors,
    },
    Stage {
        name: "microgpt",
        krate: "microgpt",
        idea: "the whole GPT on scalars, one name at a time",
        sample: &[],
        is_param: all_tensors,
    },
];

/// The run of a crate.
pub fn run_of(krate: &str) -> Option<&'static Run> {
    RUNS.iter().find(|r| r.krate == krate)
}

/// The stages `--stages a,b` names, in lineage order. A crate name picks all of its stages (`bigram` is
/// both bigram stages); an unknown name is an error listing the known ones.
pub fn select(names: Option<&[String]>) -> Result<Vec<&'static Stage>, String> {
    let Some(names) = names else { return Ok(STAGES.iter().collect()) };
    for name in names {
        if !STAGES.iter().any(|s| s.name == name || s.krate == name) {
            let known: Vec<&str> = STAGES.iter().map(|s| s.name).collect();
            return Err(format!("unknown stage `{name}` (stages: {})", known.join(", ")));
        }
    }
    Ok(STAGES.iter().filter(|s| names.iter().any(|n| s.name == n || s.krate == n)).collect())
}

/// The runs the stages need, each once, in lineage order.
pub fn runs_for(stages: &[&Stage]) -> Vec<&'static Run> {
    RUNS.iter().filter(|r| stages.iter().any(|s| s.krate == r.krate)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_has_a_run_and_budgets_name_their_steps() {
        for stage in STAGES {
            assert!(run_of(stage.krate).is_some(), "{} has no run", stage.name);
        }
        for run in RUNS {
            for (flags, steps) in [(run.full, run.steps.0), (run.quick, run.steps.1)] {
                let i = flags.iter().position(|f| *f == "--steps").expect("every budget sets --steps");
                assert_eq!(flags[i + 1].parse::<usize>().unwrap(), steps, "{}", run.krate);
            }
        }
    }

    #[test]
    fn selection_keeps_lineage_order_and_expands_crates() {
        let names = |s: Vec<&Stage>| s.iter().map(|s| s.name).collect::<Vec<_>>();
        let picked = select(Some(&["microgpt".into(), "bigram".into()])).unwrap();
        assert_eq!(names(picked.clone()), ["bigram-counts", "bigram-neural", "microgpt"]);
        let runs: Vec<&str> = runs_for(&picked).iter().map(|r| r.krate).collect();
        assert_eq!(runs, ["bigram", "microgpt"]);
        assert_eq!(select(None).unwrap().len(), STAGES.len());
        let err = select(Some(&["transformer".into()])).unwrap_err();
        assert!(err.contains("unknown stage `transformer`") && err.contains("nanogpt"), "{err}");
    }
}
