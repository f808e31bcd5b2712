//! The MLP's gradients against central finite differences: backward through every layer agrees with
//! nudging each parameter and watching the loss.

use autograd::{Tape, Value};
use harness::PyRandom;
use micrograd::nn::{Activation, Mlp, Module};

/// A smooth loss of the net's outputs on a few fixed inputs.
fn loss(mlp: &Mlp) -> Value {
    let inputs = [[0.5, -1.2, 0.3], [-0.7, 0.1, 0.9], [1.1, 0.4, -0.6]];
    let outs: Vec<Value> =
        inputs.iter().flat_map(|x| mlp.forward(&x.map(Value::new))).map(|o| o.powf(2.0)).collect();
    Value::sum(&outs)
}

/// Every parameter's `grad()` against (loss(p + h) - loss(p - h)) / 2h.
fn check(hidden: Activation, seed: u64) {
    let mlp = Mlp::new(3, &[4, 4, 2], hidden, &mut PyRandom::new(seed));
    let params = mlp.parameters();
    let _scope = Tape::scope();
    let l = loss(&mlp);
    mlp.zero_grad();
    l.backward();
    let analytic: Vec<f64> = params.iter().map(|p| p.grad()).collect();
    let h = 1e-6;
    for (i, p) in params.iter().enumerate() {
        let eval = |x: f64| {
            let _s = Tape::scope();
            p.set_data(x);
            loss(&mlp).data()
        };
        let x = p.data();
        let numeric = (eval(x + h) - eval(x - h)) / (2.0 * h);
        p.set_data(x);
        let err = (numeric - analytic[i]).abs() / numeric.abs().max(1.0);
        assert!(
            err < 1e-6,
            "{hidden:?} parameter {i}: finite difference {numeric}, backward {}",
            analytic[i]
        );
    }
}

#[test]
fn tanh_mlp_gradients_match_finite_differences() {
    check(Activation::Tanh, 1);
    check(Activation::Tanh, 2);
}

#[test]
fn relu_mlp_gradients_match_finite_differences() {
    // No pre-activation of these nets lands within h of ReLU's kink on these inputs, where a finite
    // difference would straddle it; a failure naming a parameter would say otherwise.
    check(Activation::Relu, 3);
    check(Activation::Relu, 4);
}

#[test]
fn the_checked_loss_depends_on_every_parameter() {
    // Guards the check above against passing vacuously: all-zero gradients would match a flat loss.
    let mlp = Mlp::new(3, &[4, 4, 2], Activation::Tanh, &mut PyRandom::new(1));
    loss(&mlp).backward();
    assert!(mlp.parameters().iter().all(|p| p.grad() != 0.0));
}
