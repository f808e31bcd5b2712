//! Sampling: start at BOS, draw the next token from row `P[previous]`, stop when BOS comes back.

use harness::pyrandom::{ChoicesError, PyRandom};
use harness::vocab::Vocab;

use crate::config::SampleConfig;

// ANCHOR: sample
/// One new name from a table of probabilities `probs` (V, V), e.g. the count model's P or the network's
/// softmax(W): both are "a distribution over the next token, given this one".
pub fn sample(probs: &[f64], vocab: &Vocab, rng: &mut PyRandom) -> Result<String, ChoicesError> {
    let v = vocab.len();
    let mut token_id = vocab.bos();
    let mut name = Vec::new();
    loop {
        token_id = rng.try_choices(&probs[token_id * v..][..v])?; // an error, not a panic, for NaN
        if token_id == vocab.bos() {
            break;
        }
        name.push(token_id);
    }
    Ok(vocab.decode(&name))
}
// ANCHOR_END: sample

/// Numbered samples from several models, one column each, every model drawing from its own copy of
/// the same random stream: models that learned the same table print the same names.
pub fn print_samples(
    models: &[(&str, &[f64])],
    vocab: &Vocab,
    cfg: &SampleConfig,
    seed: u64,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let columns: Vec<Vec<String>> = models
        .iter()
        .map(|(_, p)| {
            let mut rng = PyRandom::new(seed);
            (0..cfg.num_samples).map(|_| sample(p, vocab, &mut rng)).collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()
        .map_err(std::io::Error::other)?;
    let width =
        columns.iter().flatten().map(|n| n.chars().count()).chain(models.iter().map(|m| m.0.len())).max();
    let width = width.unwrap_or(0) + 2;
    let row = |cells: Vec<&str>| {
        cells.iter().map(|c| format!("{c:<width$}")).collect::<String>().trim_end().to_owned()
    };
    writeln!(out, "\n--- samples ---")?;
    writeln!(out, "           {}", row(models.iter().map(|m| m.0).collect()))?;
    for i in 0..cfg.num_samples {
        writeln!(out, "sample {:2}: {}", i + 1, row(columns.iter().map(|c| c[i].as_str()).collect()))?;
    }
    Ok(())
}
