//! makemore part 2's MLP: embed a context of `block` characters, one tanh hidden layer, logits.

use rand::RngCore;

use super::Model;
use autograd::Tensor;
use autograd::init;

pub struct Mlp {
    /// Embedding table (V, n_embd).
    pub c: Tensor,
    /// Hidden layer (block·n_embd, n_hidden) and its bias.
    pub w1: Tensor,
    pub b1: Tensor,
    /// Output layer (n_hidden, V) and its bias.
    pub w2: Tensor,
    pub b2: Tensor,
    pub block: usize,
}

impl Mlp {
    /// PyTorch's default initialisation: N(0, 1) embeddings, U(±1/√fan_in) weights and biases.
    pub fn new(rng: &mut impl RngCore, vocab: usize, block: usize, n_embd: usize, n_hidden: usize) -> Mlp {
        let fan1 = block * n_embd;
        let (k1, k2) = (1.0 / (fan1 as f32).sqrt(), 1.0 / (n_hidden as f32).sqrt());
        Mlp {
            c: init::normal(rng, &[vocab, n_embd], 0.0, 1.0),
            w1: init::uniform(rng, &[fan1, n_hidden], -k1, k1),
            b1: init::uniform(rng, &[n_hidden], -k1, k1),
            w2: init::uniform(rng, &[n_hidden, vocab], -k2, k2),
            b2: init::uniform(rng, &[vocab], -k2, k2),
            block,
        }
    }
}

impl Model for Mlp {
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.c, self.w1, self.b1, self.w2, self.b2]
    }

    fn loss(&self, x: &[usize], y: &[usize]) -> Tensor {
        let b = y.len();
        let emb = self.c.embedding(x, &[b, self.block]); // (B, block, n_embd)
        let h = emb.reshape(&[b, usize::MAX]).linear(self.w1, Some(self.b1)).tanh(); // (B, n_hidden)
        let logits = h.linear(self.w2, Some(self.b2)); // (B, V)
        logits.cross_entropy(y)
    }
}
