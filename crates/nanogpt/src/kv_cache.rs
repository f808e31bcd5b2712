//! Sampling with a KV cache, the way microgpt.py samples: each new token runs through the model alone.
//!
//! `next_token` reruns the whole context for every token it draws. But with causal attention nothing at
//! position j depends on what comes after it, so position j's keys and values in every layer are the
//! same at every later step. Keep them: each step then computes q, k and v for the one new position,
//! appends its k and v to the layer's cache, and lets its query attend to every cached key — O(T) work
//! per layer instead of the O(T²) of a full pass.
//!
//! The cache holds positions 0, 1, 2, … of one sequence. Once a text outgrows `block_size`, nanoGPT
//! crops the context to its last `block_size` tokens, and with learned absolute positions (wpe) every
//! kept token moves to a new position: every cached key and value is stale. Recomputing them is a full
//! pass over the window, so from then on `sample` uses the full pass itself (`next_token`), which gives
//! the numbers nanoGPT gives; the cache speeds up the first `block_size` tokens of each sample (a whole
//! name, or a text's start).

use autograd::{Tensor, TensorTape};

use crate::model::{Gpt, Mode};

/// One layer's keys and values at every position so far: (T, C) each, row by row, the heads side by
/// side as c_attn writes them.
#[derive(Default, Clone)]
struct LayerCache {
    k: Vec<f32>,
    v: Vec<f32>,
}

/// Every layer's keys and values for the tokens of one sequence so far.
pub struct KvCache {
    layers: Vec<LayerCache>,
    /// The tokens whose keys and values are cached, positions 0, 1, …
    tokens: Vec<usize>,
    /// The logits (V) after the last cached token.
    last: Vec<f32>,
}

impl KvCache {
    /// An empty cache for `model`.
    pub fn new(model: &Gpt) -> KvCache {
        KvCache { layers: vec![LayerCache::default(); model.h.len()], tokens: Vec::new(), last: Vec::new() }
    }

    /// How many positions are cached.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Forgets every position (a new sequence starts).
    pub fn clear(&mut self) {
        self.layers.iter_mut().for_each(|l| (l.k.clear(), l.v.clear()).1);
        self.tokens.clear();
        self.last.clear();
    }

    /// The logits (V) of the token after `context`, the sequence the cache holds plus the tokens after
    /// it (each run through the model once). `context` must start with the cached tokens and fit in
    /// `block_size`: the cache is for one growing sequence at fixed positions.
    pub fn logits(&mut self, model: &Gpt, context: &[usize]) -> &[f32] {
        assert!(
            context.starts_with(&self.tokens) && context.len() <= model.config.block_size,
            "KvCache::logits: the context must extend the cached tokens within block_size"
        );
        for &token in &context[self.tokens.len()..] {
            self.last = self.forward(model, token);
        }
        assert!(!self.last.is_empty(), "KvCache::logits: an empty context has no next token");
        &self.last
    }

    /// Runs `token` at the next position through `model`, appending its keys and values to the cache;
    /// returns the logits (V) of the token after it. The same layers as `Gpt::forward`, on one position.
    fn forward(&mut self, model: &Gpt, token: usize) -> Vec<f32> {
        let (_scope, _no_grad) = (TensorTape::scope(), TensorTape::no_grad());
        let (c, pos) = (model.config.n_embd, self.tokens.len());
        let mut x = model.wte.embedding(&[token], &[1, 1]) + model.wpe.narrow(0, pos, 1); // (1, 1, C)
        if let Some(ln_e) = &model.ln_e {
            x = ln_e.forward(x);
        }
        for (block, cache) in model.h.iter().zip(&mut self.layers) {
            let qkv = block.attn.c_attn.forward(block.ln_1.forward(x)).data(); // (3C): q | k | v
            cache.k.extend_from_slice(&qkv[c..2 * c]); // the new position's key and value join the cache
            cache.v.extend_from_slice(&qkv[2 * c..]);
            let y = attend(&qkv[..c], cache, model.config.n_head); // (C)
            x += block.attn.c_proj.forward(Tensor::new(&y, &[1, 1, c]));
            x += block.mlp.forward(block.ln_2.forward(x), &mut Mode::Eval);
        }
        if let Some(ln_f) = &model.ln_f {
            x = ln_f.forward(x);
        }
        self.tokens.push(token);
        match &model.lm_head {
            Some(lm_head) => lm_head.forward(x),
            None => x.linear_t(model.wte, None),
        }
        .data() // (V)
    }
}

// ANCHOR: attend
/// One query (C) against every cached position, per head: y = Σ_j softmax_j(q·k_j / √D) · v_j. The
/// newest position is in the cache already, so it attends to itself, as the causal mask allows.
fn attend(q: &[f32], cache: &LayerCache, n_head: usize) -> Vec<f32> {
    let (c, d) = (q.len(), q.len() / n_head);
    let t = cache.k.len() / c;
    let scale = 1.0 / (d as f32).sqrt();
    let mut y = vec![0.0; c];
    for (head, y) in y.chunks_mut(d).enumerate() {
        let q = &q[head * d..][..d];
        let at = |j: usize| j * c + head * d; // where head's D numbers of position j start
        let scores: Vec<f32> = (0..t)
            .map(|j| q.iter().zip(&cache.k[at(j)..][..d]).map(|(a, b)| a * b).sum::<f32>() * scale)
            .collect();
        let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        let weights: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = weights.iter().sum();
        for (j, w) in weights.iter().enumerate() {
            y.iter_mut().zip(&cache.v[at(j)..][..d]).for_each(|(y, v)| *y += w / total * v);
        }
    }
    y
}
// ANCHOR_END: attend

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ModelConfig, Variant};
    use harness::PyRandom;

    /// A small random model of `variant` (std 0.3 so that attention is far from uniform).
    fn model(variant: Variant, bias: bool, tie_head: bool) -> Gpt {
        let config = ModelConfig {
            n_layer: 2,
            n_head: 2,
            n_embd: 8,
            block_size: 6,
            vocab_size: 5,
            bias,
            tie_head,
            variant,
            ..ModelConfig::default()
        };
        Gpt::new(config, &mut PyRandom::new(3), 0.3)
    }

    #[test]
    fn the_cache_gives_the_full_forwards_logits_at_every_position() {
        let tokens = [1, 4, 0, 3, 3, 2];
        for (variant, bias, tie) in
            [(Variant::Gpt2, true, true), (Variant::Gpt2, false, false), (Variant::Microgpt, false, false)]
        {
            let m = model(variant, bias, tie);
            let full = {
                let _scope = TensorTape::scope();
                m.forward(&tokens, 1, tokens.len(), &mut Mode::Eval).data() // (T, V)
            };
            let mut cache = KvCache::new(&m);
            for t in 1..=tokens.len() {
                let cached = cache.logits(&m, &tokens[..t]).to_vec();
                assert_eq!(cache.len(), t);
                let want = &full[(t - 1) * 5..t * 5];
                for (a, b) in cached.iter().zip(want) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{variant:?} position {t}: {a} vs {b}");
                }
            }
            cache.clear();
            assert!(cache.is_empty());
        }
    }

    #[test]
    fn sampling_with_the_cache_predicts_what_recomputing_predicts_also_past_block_size() {
        use crate::sample::Predictor;
        for (variant, bias, tie) in [(Variant::Gpt2, true, true), (Variant::Microgpt, false, false)] {
            let m = model(variant, bias, tie);
            let (mut cached, mut full) = (Predictor::new(&m, true), Predictor::new(&m, false));
            // Three windows' worth: the cache for the first block_size, then the cropped window.
            let mut context = vec![2];
            for i in 0..18 {
                let (a, b) = (cached.logits(&context), full.logits(&context));
                for (a, b) in a.iter().zip(&b) {
                    assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{variant:?} step {i}: {a} vs {b}");
                }
                let argmax = a.iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1)).unwrap().0;
                context.push((argmax + i) % 5); // varied tokens, not only the likeliest
            }
        }
    }

    #[test]
    fn names_and_texts_sample_the_same_with_and_without_the_cache() {
        use crate::config::SampleConfig;
        use crate::data::Source;
        use crate::sample::sample;
        let vocab = harness::Vocab::from_docs(&["abcd"]);
        for source in [Source::Names, Source::Text] {
            for variant in [Variant::Gpt2, Variant::Microgpt] {
                let mut m = model(variant, variant == Variant::Gpt2, variant == Variant::Gpt2);
                m.config.source = source;
                let run = |kv_cache: bool| {
                    let cfg = SampleConfig { max_new_tokens: 20, kv_cache, ..SampleConfig::default() };
                    let mut rng = PyRandom::new(5);
                    (0..8).map(|_| sample(&m, &vocab, &cfg, &mut rng).unwrap()).collect::<Vec<_>>()
                };
                let with = run(true);
                assert_eq!(with, run(false), "{source:?} {variant:?}");
                assert_eq!(with, run(true), "{source:?} {variant:?}: the same seed, the same samples");
            }
        }
    }

    #[test]
    #[should_panic(expected = "must extend the cached tokens")]
    fn a_context_that_does_not_extend_the_cache_is_a_bug() {
        let m = model(Variant::Gpt2, true, true);
        let mut cache = KvCache::new(&m);
        cache.logits(&m, &[1, 2]);
        cache.logits(&m, &[2, 2, 3]);
    }
}
