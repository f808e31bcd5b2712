//! micrograd's `nn.py` on [`autograd::Value`]: a neuron, a layer of neurons, a stack of layers.
//!
//! Nothing here knows about gradients. A forward pass builds `Value`s, `backward()` on the loss fills in
//! every parameter's `grad()`, and the optimizer (a loop over [`Module::parameters`]) moves each one.

use autograd::Value;
use harness::pyrandom::PyRandom;
use serde::{Deserialize, Serialize};

// ANCHOR: module
/// Anything with parameters: micrograd's `Module`.
pub trait Module {
    /// Every parameter, in a fixed order (the optimizer and the checkpoint both rely on it).
    fn parameters(&self) -> Vec<Value>;

    /// Forgets the gradients of the last backward pass. `backward` *adds* into `grad` (a node used twice
    /// gets both contributions), so without this each step would also follow all the steps before it.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(0.0);
        }
    }
}
// ANCHOR_END: module

/// What a neuron does to its weighted sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// max(0, x): micrograd's default, and what the moons demo uses.
    Relu,
    /// The squashing function of the lecture's hand-drawn neuron.
    Tanh,
    /// No nonlinearity: the last layer, whose output is a score or a logit.
    Linear,
}

impl Activation {
    /// Applies the nonlinearity to one pre-activation.
    pub fn apply(self, x: Value) -> Value {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Linear => x,
        }
    }
}

// ANCHOR: neuron
/// One neuron: `act(w · x + b)`.
#[derive(Debug, Clone)]
pub struct Neuron {
    /// One weight per input.
    pub w: Vec<Value>,
    /// The bias.
    pub b: Value,
    /// The nonlinearity applied to the weighted sum.
    pub activation: Activation,
}

impl Neuron {
    /// micrograd's initialisation: each weight uniform in (-1, 1), drawn in order from `rng` (so
    /// `PyRandom::new(1337)` gives exactly the weights of Python's `random.seed(1337)`), bias 0.
    pub fn new(nin: usize, activation: Activation, rng: &mut PyRandom) -> Neuron {
        Neuron::with_scale(nin, activation, 1.0, rng)
    }

    /// Weights uniform in (-scale, scale): small weights make a confident-but-wrong start impossible.
    pub fn with_scale(nin: usize, activation: Activation, scale: f64, rng: &mut PyRandom) -> Neuron {
        let w = (0..nin).map(|_| Value::new(rng.uniform(-scale, scale))).collect();
        Neuron { w, b: Value::new(0.0), activation }
    }

    /// `act(Σ wᵢxᵢ + b)`. The weighted sum is one fused `dot` node rather than 2n nodes of `*` and `+`:
    /// the same numbers and gradients, a fraction of the tape.
    pub fn forward(&self, x: &[Value]) -> Value {
        self.activation.apply(Value::dot(&self.w, x) + self.b)
    }
}

impl Module for Neuron {
    fn parameters(&self) -> Vec<Value> {
        let mut p = self.w.clone();
        p.push(self.b);
        p
    }
}
// ANCHOR_END: neuron

// ANCHOR: layer
/// `nout` neurons that all read the same inputs.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The neurons, one per output.
    pub neurons: Vec<Neuron>,
}

impl Layer {
    /// `nout` neurons of `nin` inputs each, initialised as [`Neuron::new`] does.
    pub fn new(nin: usize, nout: usize, activation: Activation, rng: &mut PyRandom) -> Layer {
        Layer::with_scale(nin, nout, activation, 1.0, rng)
    }

    /// As [`Layer::new`], with weights uniform in (-scale, scale).
    pub fn with_scale(
        nin: usize,
        nout: usize,
        activation: Activation,
        scale: f64,
        rng: &mut PyRandom,
    ) -> Layer {
        Layer { neurons: (0..nout).map(|_| Neuron::with_scale(nin, activation, scale, rng)).collect() }
    }

    /// Every neuron's output.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.neurons.iter().map(|n| n.forward(x)).collect()
    }
}

impl Module for Layer {
    fn parameters(&self) -> Vec<Value> {
        self.neurons.iter().flat_map(|n| n.parameters()).collect()
    }
}
// ANCHOR_END: layer

// ANCHOR: mlp
/// A multi-layer perceptron: layers applied one after another.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<Layer>,
}

impl Mlp {
    /// `Mlp::new(2, &[16, 16, 1], …)` is micrograd's `MLP(2, [16, 16, 1])`: hidden layers use `hidden`,
    /// the last layer is linear so its output can be any score, not only a positive one.
    pub fn new(nin: usize, nouts: &[usize], hidden: Activation, rng: &mut PyRandom) -> Mlp {
        let sizes: Vec<usize> = std::iter::once(nin).chain(nouts.iter().copied()).collect();
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, io)| {
                let activation = if i + 1 == nouts.len() { Activation::Linear } else { hidden };
                Layer::new(io[0], io[1], activation, rng)
            })
            .collect();
        Mlp { layers }
    }

    /// The outputs of the last layer.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.layers.iter().fold(x.to_vec(), |x, layer| layer.forward(&x))
    }
}

impl Module for Mlp {
    fn parameters(&self) -> Vec<Value> {
        self.layers.iter().flat_map(|l| l.parameters()).collect()
    }
}
// ANCHOR_END: mlp

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlp_2_16_16_1_has_337_parameters() {
        let mlp = Mlp::new(2, &[16, 16, 1], Activation::Relu, &mut PyRandom::new(1337));
        assert_eq!(mlp.parameters().len(), 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
        assert_eq!(mlp.parameters().len(), 337);
        let acts: Vec<Activation> = mlp.layers.iter().map(|l| l.neurons[0].activation).collect();
        assert_eq!(acts, [Activation::Relu, Activation::Relu, Activation::Linear]);
    }

    #[test]
    fn weights_are_pythons_random_uniform_in_order() {
        let neuron = Neuron::new(3, Activation::Tanh, &mut PyRandom::new(7));
        let mut rng = PyRandom::new(7);
        for w in &neuron.w {
            assert_eq!(w.data().to_bits(), rng.uniform(-1.0, 1.0).to_bits());
        }
        assert_eq!(neuron.b.data(), 0.0);
    }

    #[test]
    fn zero_grad_clears_only_this_modules_parameters() {
        let neuron = Neuron::new(2, Activation::Linear, &mut PyRandom::new(1));
        let other = Value::new(1.0);
        let out = neuron.forward(&[Value::new(1.0), Value::new(2.0)]) * other;
        out.backward();
        assert!(neuron.parameters().iter().all(|p| p.grad() != 0.0));
        neuron.zero_grad();
        assert!(neuron.parameters().iter().all(|p| p.grad() == 0.0));
        assert_ne!(other.grad(), 0.0);
    }
}
