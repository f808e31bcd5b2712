//! The two expressions the lecture draws, built through a [`Graph`] so that each value has its name.

use autograd::Value;

use super::Graph;

// ANCHOR: expression
/// The lecture's first expression, `L = (a*b + c) * f`, with `backward` already run.
pub fn expression() -> (Graph, Value) {
    let mut g = Graph::default();
    let a = g.leaf("a", 2.0);
    let b = g.leaf("b", -3.0);
    let c = g.leaf("c", 10.0);
    let e = g.name("e", "*", a * b);
    let d = g.name("d", "+", e + c);
    let f = g.leaf("f", -2.0);
    let l = g.name("L", "*", d * f);
    l.backward();
    (g, l)
}
// ANCHOR_END: expression

// ANCHOR: neuron
/// The lecture's neuron by hand: two inputs, two weights, a bias chosen so that `o` comes out as
/// 1/√2, squashed by tanh; with `backward` already run.
pub fn neuron() -> (Graph, Value) {
    let mut g = Graph::default();
    let x1 = g.leaf("x1", 2.0);
    let x2 = g.leaf("x2", 0.0);
    let w1 = g.leaf("w1", -3.0);
    let w2 = g.leaf("w2", 1.0);
    let b = g.leaf("b", 6.881_373_587_019_543); // the lecture's 6.8813735870195432, as an f64
    let x1w1 = g.name("x1*w1", "*", x1 * w1);
    let x2w2 = g.name("x2*w2", "*", x2 * w2);
    let x1w1x2w2 = g.name("x1*w1 + x2*w2", "+", x1w1 + x2w2);
    let n = g.name("n", "+", x1w1x2w2 + b);
    let o = g.name("o", "tanh", n.tanh());
    o.backward();
    (g, o)
}
// ANCHOR_END: neuron
