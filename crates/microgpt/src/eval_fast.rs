//! The validation loss, fast: the same number as [`train::evaluate`](crate::train::evaluate) — the mean
//! of -log p(next token) over every position of the validation words — to the bit (a test checks), in
//! a fraction of the time. Nothing here is part of the algorithm; it is only efficiency.
//!
//! The prediction at a position depends only on the tokens up to it, and names share their beginnings
//! ("ma" starts hundreds of them). So the words are visited in sorted order, and each prefix goes
//! through the model once: its keys and values stay in the cache, and its probabilities on the tape,
//! for every word that continues it. The 22,949 positions of data/names.txt's validation words are
//! 10,145 distinct prefixes. And the words are shared among the cores.

use autograd::{Tape, Value};
use harness::PyRandom;

use crate::model::{Cache, Gpt, softmax};

/// Mean loss per predicted token over `docs`.
///
/// Each thread rebuilds the model on its own (thread-local) tape from the weights. Per-word losses are
/// summed in the order of `docs` afterwards, as `evaluate` sums them, so the result is the same
/// whatever the number of threads.
pub fn evaluate(model: &Gpt, docs: &[Vec<usize>]) -> f64 {
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| docs[a].cmp(&docs[b]));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(docs.len()).max(1);
    let weights: Vec<Vec<f64>> =
        model.state_dict.values().map(|mat| mat.iter().flatten().map(|p| p.data()).collect()).collect();
    let mut per_doc = vec![(0.0, 0); docs.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = order
            .chunks(docs.len().div_ceil(threads).max(1))
            .map(|chunk| {
                let weights = &weights;
                s.spawn(move || {
                    let _no_grad = Tape::no_grad();
                    let copy = Gpt::new(&model.config, &mut PyRandom::new(0));
                    for (mat, w) in copy.state_dict.values().zip(weights) {
                        mat.iter().flatten().zip(w).for_each(|(p, &d)| p.set_data(d));
                    }
                    let losses = sorted_losses(&copy, chunk.iter().map(|&i| &docs[i][..]));
                    Tape::clear();
                    chunk.iter().copied().zip(losses).collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (i, loss) in worker.join().expect("an evaluation thread panicked") {
                per_doc[i] = loss;
            }
        }
    });
    let (total, count) = per_doc.iter().fold((0.0, 0), |(t, c), &(loss, n)| (t + loss, c + n));
    total / count as f64
}

/// A position on the path through the prefixes: the token fed in, and the probabilities it gave.
struct Position {
    token: usize,
    probs: Vec<Value>,
    /// Frees this position's nodes when it is left behind.
    _scope: autograd::Scope,
}

/// For each document (in sorted order, so that neighbours share prefixes): its summed loss and its
/// number of predicted positions.
fn sorted_losses<'a>(model: &Gpt, docs: impl Iterator<Item = &'a [usize]>) -> Vec<(f64, usize)> {
    let (mut keys, mut values): (Cache, Cache) =
        (vec![vec![]; model.config.n_layer], vec![vec![]; model.config.n_layer]);
    let mut path: Vec<Position> = Vec::new();
    docs.map(|tokens| {
        let n = model.config.block_size.min(tokens.len() - 1);
        let inputs = &tokens[..n];
        // Keep the prefix this document shares with the last one; compute the rest.
        let shared = path.iter().zip(inputs).take_while(|(p, t)| p.token == **t).count();
        while path.len() > shared {
            path.pop();
            keys.iter_mut().chain(&mut values).for_each(|layer| layer.truncate(path.len()));
        }
        for (pos_id, &token) in inputs.iter().enumerate().skip(shared) {
            let scope = Tape::scope();
            let probs = softmax(&model.gpt(token, pos_id, &mut keys, &mut values));
            path.push(Position { token, probs, _scope: scope });
        }
        // As doc_loss: the mean over positions of -log p(target), times the count.
        let _scope = Tape::scope();
        let losses: Vec<Value> = (0..n).map(|pos| -path[pos].probs[tokens[pos + 1]].ln()).collect();
        ((Value::sum(&losses) * (1.0 / n as f64)).data() * n as f64, n)
    })
    .collect()
}
