//! The two baselines on the loss plot, computed here from the data: guessing uniformly, and the count
//! bigram. (When the bigram stage ran, its logged count-model val loss is used instead: the same
//! number, from the stage that teaches it.)

use std::path::Path;

use anyhow::Result;
use harness::{Split, Vocab};

use super::summary::References;

/// Mean −ln P(next | previous) over every prediction of `words` (each word `[BOS] + chars + [BOS]`).
fn nll(probs: &[f64], v: usize, words: &[Vec<usize>]) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for pair in words.iter().flat_map(|w| w.windows(2)) {
        sum -= probs[pair[0] * v + pair[1]].ln();
        n += 1;
    }
    sum / n as f64
}

/// ln(V) and the val loss of the count bigram with add-one smoothing fitted on the training words.
pub fn compute(data: &Path) -> Result<References> {
    let docs = harness::load_docs(data)?;
    let vocab = Vocab::from_docs(&docs);
    let v = vocab.len();
    let split = Split::new(&docs);
    let encode = |words: &[String]| -> Result<Vec<Vec<usize>>> {
        Ok(words.iter().map(|w| vocab.encode_with_bos(w)).collect::<Result<_, _>>()?)
    };
    let (train, val) = (encode(&split.train)?, encode(&split.val)?);
    let mut counts = vec![1.0f64; v * v]; // add-one smoothing: no pair is impossible
    for pair in train.iter().flat_map(|w| w.windows(2)) {
        counts[pair[0] * v + pair[1]] += 1.0;
    }
    for row in counts.chunks_mut(v) {
        let total: f64 = row.iter().sum();
        row.iter_mut().for_each(|c| *c /= total);
    }
    Ok(References { vocab_size: v, uniform: (v as f64).ln(), count_bigram: nll(&counts, v, &val) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_beat_the_uniform_guess_and_match_a_hand_count() {
        // One word, "ab", seen in training: P(a|BOS) etc. are (1 + 1) / (3 + 1) = 1/2 with add-one.
        let probs: Vec<f64> = vec![0.25, 0.5, 0.25, 0.25, 0.25, 0.5, 0.5, 0.25, 0.25];
        let words = vec![vec![2, 0, 1, 2]];
        assert!((nll(&probs, 3, &words) - 2f64.ln()).abs() < 1e-12);

        let dir = std::env::temp_dir().join(format!("xtask-reference-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("words.txt");
        let words: Vec<String> = (0..200).map(|i| ["ab", "ba", "abba", "b"][i % 4].to_owned()).collect();
        std::fs::write(&data, words.join("\n")).unwrap();
        let r = compute(&data).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r.vocab_size, 3);
        assert!((r.uniform - 3f64.ln()).abs() < 1e-12);
        assert!(r.count_bigram < r.uniform && r.count_bigram > 0.0, "{r:?}");
    }
}
