//! Training the names model: minibatch SGD, one scalar at a time.

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use autograd::{Tape, Value};
use harness::checkpoint::{CONFIG_FILE, WEIGHTS_FILE, is_our_config, is_our_weights};
use harness::overwrite::guard_replace;
use harness::runlog::LOG_FILE;
use harness::{Progress, PyRandom, Record, RunLogWriter, Split, Vocab, load_docs};

use crate::config::Config;
use crate::model::{Bigram, STAGE, Saved};
use crate::nn::Module;

/// Documents as the model reads them: `[BOS, c1, …, cn, BOS]`.
fn encode(vocab: &Vocab, docs: &[String]) -> Result<Vec<Vec<usize>>> {
    docs.iter().map(|d| Ok(vocab.encode_with_bos(d)?)).collect()
}

/// The mean loss over every prediction in `docs`, forward only: no edges are recorded for a backward
/// pass, and each document's nodes are freed as soon as its loss is read.
pub fn mean_loss(model: &Bigram, docs: &[Vec<usize>]) -> f64 {
    let _eval = Tape::no_grad();
    let (mut total, mut count) = (0.0, 0usize);
    for tokens in docs {
        let _doc = Tape::scope();
        total += model.losses(tokens).iter().map(|l| l.data()).sum::<f64>();
        count += tokens.len() - 1;
    }
    total / count as f64
}

/// Refuses, before any work is done, a run directory holding files that are not ours.
fn check_out_dir(cfg: &Config) -> Result<()> {
    guard_replace(&cfg.out.join(CONFIG_FILE), is_our_config)?;
    guard_replace(&cfg.out.join(WEIGHTS_FILE), is_our_weights)?;
    Ok(())
}

/// Trains a fresh model on the training split of `cfg.data`, evaluating on the validation split every
/// `eval_every` steps, writing the run log as it goes and the checkpoint at the end. The log's
/// `train_loss` is the mean of the minibatch losses since the previous evaluation, which costs nothing;
/// `val_loss` is over every prediction of the validation split.
pub fn train(cfg: &Config, progress: &mut Progress) -> Result<Bigram> {
    cfg.validate()?;
    let docs = load_docs(&cfg.data)?;
    let vocab = Vocab::from_docs(&docs);
    let split = Split::new(&docs);
    ensure!(!split.train.is_empty(), "{} has too few names to split off a training set", cfg.data.display());
    let (train, val) = (encode(&vocab, &split.train)?, encode(&vocab, &split.val)?);
    check_out_dir(cfg)?;
    let mut log = RunLogWriter::create(&cfg.out.join(LOG_FILE))?;
    if let Some(note) = log.replacing() {
        eprintln!("note: {note}");
    }

    let model = Bigram::new(vocab.clone(), cfg.init_scale, &mut PyRandom::new(cfg.seed));
    let params = model.parameters();
    let start = Instant::now();
    let (mut tokens_seen, mut since_eval) = (0u64, Vec::new());
    for step in 0..=cfg.steps {
        if step % cfg.eval_every == 0 || step == cfg.steps {
            let val_loss = (!val.is_empty()).then(|| mean_loss(&model, &val));
            let train_loss =
                (!since_eval.is_empty()).then(|| since_eval.iter().sum::<f64>() / since_eval.len() as f64);
            let elapsed_s = start.elapsed().as_secs_f64();
            log.append(&Record { stage: STAGE.into(), step, tokens_seen, elapsed_s, train_loss, val_loss })?;
            if let Some(v) = val_loss {
                progress.println(format!("step {step} | val loss {v:.4}"));
            }
            since_eval.clear();
        }
        if step == cfg.steps {
            break;
        }

        // ANCHOR: step
        let _step = Tape::scope(); // everything below but the parameters is freed at the end of the step
        let batch = (0..cfg.batch_size).map(|i| &train[(step * cfg.batch_size + i) % train.len()]);
        let losses: Vec<Value> = batch.flat_map(|tokens| model.losses(tokens)).collect();
        let loss = Value::sum(&losses) * (1.0 / losses.len() as f64);
        ensure!(loss.data().is_finite(), "loss is {} at step {step}: lower --learning-rate", loss.data());
        model.zero_grad();
        loss.backward();
        Value::update(&params, |_, data, grad| *data -= cfg.learning_rate * *grad);
        tokens_seen += losses.len() as u64;
        since_eval.push(loss.data());
        progress.step(step, loss.data());
        // ANCHOR_END: step
    }

    let saved = Saved { config: cfg.clone(), vocab };
    model.save(&cfg.out, &saved).context("training finished but the checkpoint was not saved")?;
    Ok(model)
}
