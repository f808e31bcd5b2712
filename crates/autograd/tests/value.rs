//! The scalar engine against micrograd's own numbers, finite differences, and the graph shapes that
//! break naive implementations (reuse, diamonds, very deep chains).

use autograd::{Kernels, Tape, Value};

/// Central differences in f64 for every input of `f`, compared with what `backward` computes, with
/// the plain kernels and with the fast ones.
fn gradcheck(inputs: &[f64], f: impl Fn(&[Value]) -> Value) {
    for kernels in Kernels::ALL {
        kernels.set();
        gradcheck_with(inputs, &f);
    }
    Kernels::Fast.set();
}

fn gradcheck_with(inputs: &[f64], f: impl Fn(&[Value]) -> Value) {
    let _scope = Tape::scope();
    let xs: Vec<Value> = inputs.iter().map(|&x| Value::new(x)).collect();
    let out = f(&xs);
    out.backward();
    for i in 0..inputs.len() {
        let eval = |delta: f64| {
            let _scope = Tape::scope();
            let mut shifted = inputs.to_vec();
            shifted[i] += delta;
            let xs: Vec<Value> = shifted.iter().map(|&x| Value::new(x)).collect();
            f(&xs).data()
        };
        let h = 1e-6 * inputs[i].abs().max(1.0);
        let numeric = (eval(h) - eval(-h)) / (2.0 * h);
        let analytic = xs[i].grad();
        let tolerance = 1e-6 * numeric.abs().max(1.0);
        assert!(
            (numeric - analytic).abs() <= tolerance,
            "input {i}: finite difference {numeric} but backward gave {analytic}"
        );
    }
}

#[test]
// `c += c + 1` is micrograd's README line for line; the lint would rewrite the example.
#[allow(clippy::misrefactored_assign_op)]
fn micrograd_readme_expression() {
    // micrograd's README example; full-precision values from running micrograd under CPython.
    let a = Value::new(-4.0);
    let b = Value::new(2.0);
    let mut c = a + b;
    let mut d = a * b + b.powf(3.0);
    c += c + 1.0;
    c += 1.0 + c + (-a);
    d += d * 2.0 + (b + a).relu();
    d += 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.powf(2.0);
    let mut g = f / 2.0;
    g += 10.0 / f;
    g.backward();
    assert_eq!(format!("{:.4}", g.data()), "24.7041");
    assert_eq!(format!("{:.4}", a.grad()), "138.8338");
    assert_eq!(format!("{:.4}", b.grad()), "645.5773");
    approx::assert_relative_eq!(g.data(), 24.70408163265306, max_relative = 1e-14);
    approx::assert_relative_eq!(a.grad(), 138.83381924198252, max_relative = 1e-12);
    approx::assert_relative_eq!(b.grad(), 645.5772594752187, max_relative = 1e-12);
}

#[test]
fn micrograd_sanity_check() {
    // micrograd's test_sanity_check: y = -20, dy/dx = 46 (checked there against PyTorch).
    let x = Value::new(-4.0);
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    let y = h + q + q * x;
    y.backward();
    assert_eq!(y.data(), -20.0);
    assert_eq!(x.grad(), 46.0);
}

#[test]
fn every_binary_op_matches_finite_differences() {
    let points = [[1.3, -0.7], [-2.1, 0.4], [0.25, 3.0]];
    for p in points {
        gradcheck(&p, |v| v[0] + v[1]);
        gradcheck(&p, |v| v[0] - v[1]);
        gradcheck(&p, |v| v[0] * v[1]);
        gradcheck(&p, |v| v[0] / v[1]);
        gradcheck(&p, |v| v[0] + 1.5);
        gradcheck(&p, |v| 1.5 + v[0]);
        gradcheck(&p, |v| v[0] - 1.5);
        gradcheck(&p, |v| 1.5 - v[0]);
        gradcheck(&p, |v| v[0] * 1.5);
        gradcheck(&p, |v| 1.5 * v[0]);
        gradcheck(&p, |v| v[0] / 1.5);
        gradcheck(&p, |v| 1.5 / v[1]);
    }
}

#[test]
fn every_unary_op_matches_finite_differences() {
    for x in [-2.3, -0.4, 0.3, 1.7] {
        gradcheck(&[x], |v| -v[0]);
        gradcheck(&[x], |v| v[0].exp());
        gradcheck(&[x], |v| v[0].tanh());
        gradcheck(&[x], |v| v[0].relu());
        gradcheck(&[x], |v| v[0].powf(2.0));
        gradcheck(&[x], |v| v[0].powf(3.0));
        gradcheck(&[x.abs()], |v| v[0].ln());
        gradcheck(&[x.abs()], |v| v[0].powf(-0.5));
        gradcheck(&[x.abs()], |v| v[0].powf(1.5));
    }
}

#[test]
fn assign_ops_match_finite_differences() {
    gradcheck(&[0.8, -1.9], |v| {
        let mut y = v[0];
        y += v[1];
        y *= v[0];
        y -= v[1];
        y /= v[0] + 3.0;
        y += 0.5;
        y *= 2.0;
        y
    });
}

#[test]
fn fused_sum_and_dot_match_finite_differences() {
    let inputs = [0.3, -1.2, 2.0, 0.7, -0.1, 1.1];
    gradcheck(&inputs, Value::sum);
    gradcheck(&inputs, |v| v.iter().sum::<Value>());
    gradcheck(&inputs, |v| Value::dot(&v[..3], &v[3..]).tanh());
    // The same input on both sides of a dot product: d/dx Σx² = 2x.
    gradcheck(&inputs, |v| Value::dot(v, v));
}

#[test]
fn fused_dot_equals_the_chain_of_nodes_it_replaces() {
    let ws: Vec<Value> = [0.1, -0.2, 0.3, 0.45].map(Value::new).to_vec();
    let xs: Vec<Value> = [1.5, 2.5, -0.5, 0.25].map(Value::new).to_vec();
    let fused = Value::dot(&ws, &xs).tanh();
    fused.backward();
    let fused_grads: Vec<f64> = ws.iter().chain(&xs).map(|v| v.grad()).collect();
    Tape::zero_grad();
    let mut chain = Value::new(0.0);
    for (w, x) in ws.iter().zip(&xs) {
        chain += *w * *x;
    }
    let chain = chain.tanh();
    chain.backward();
    assert_eq!(fused.data().to_bits(), chain.data().to_bits());
    for (i, v) in ws.iter().chain(&xs).enumerate() {
        assert_eq!(v.grad().to_bits(), fused_grads[i].to_bits(), "input {i}");
    }
}

#[test]
fn a_node_used_twice_gets_both_contributions() {
    let x = Value::new(3.0);
    let y = x * x;
    y.backward();
    assert_eq!(x.grad(), 6.0);

    // x + x: two edges to the same node.
    Tape::zero_grad();
    (x + x).backward();
    assert_eq!(x.grad(), 2.0);
}

#[test]
fn diamond_graph() {
    // x feeds a and b, which meet again in c = a·b: dc/dx = b·da/dx + a·db/dx.
    let x = Value::new(2.0);
    let a = x + 1.0; // 3, da/dx = 1
    let b = x * 4.0; // 8, db/dx = 4
    let c = a * b;
    c.backward();
    assert_eq!(c.data(), 24.0);
    assert_eq!(x.grad(), 8.0 * 1.0 + 3.0 * 4.0);
}

#[test]
fn a_parameter_used_at_every_position() {
    // Like a weight shared across the positions of a sequence: the gradient is the sum over uses.
    let w = Value::new(0.5);
    let inputs: Vec<f64> = (0..100).map(|i| i as f64 * 0.01).collect();
    let loss = Value::sum(&inputs.iter().map(|&x| (w * x - 1.0).powf(2.0)).collect::<Vec<_>>());
    loss.backward();
    let expected: f64 = inputs.iter().map(|&x| 2.0 * (0.5 * x - 1.0) * x).sum();
    approx::assert_relative_eq!(w.grad(), expected, max_relative = 1e-12);
}

#[test]
fn gradients_accumulate_until_zeroed() {
    let x = Value::new(1.5);
    let y = x * 2.0;
    y.backward();
    y.backward();
    assert_eq!(x.grad(), 4.0);
    Tape::zero_grad();
    assert_eq!(x.grad(), 0.0);
}

#[test]
fn a_scope_frees_the_step_and_keeps_the_parameters() {
    let w = Value::new(0.5);
    let params = Tape::len();
    for _ in 0..3 {
        let step = Tape::scope();
        let loss = (w * 3.0 - 1.0).powf(2.0);
        loss.backward();
        w.set_data(w.data() - 0.1 * w.grad());
        Tape::zero_grad();
        assert!(Tape::len() > params);
        drop(step);
        assert_eq!(Tape::len(), params);
    }
    // Three steps of gradient descent on (3w - 1)² from 0.5 with lr 0.1: w ← w - 0.1·6(3w - 1).
    let mut expected = 0.5;
    for _ in 0..3 {
        expected -= 0.1 * (6.0 * (3.0 * expected - 1.0));
    }
    approx::assert_relative_eq!(w.data(), expected, max_relative = 1e-15);
}

#[test]
fn an_unrelated_infinite_local_derivative_does_not_poison_gradients() {
    let x = Value::new(2.0);
    let _unrelated = Value::new(0.0).ln(); // local derivative 1/0 = inf, but it never reaches y
    let y = x * 3.0;
    y.backward();
    assert_eq!(x.grad(), 3.0);
}

#[test]
fn ten_million_node_chain_does_not_overflow_the_stack() {
    let _scope = Tape::scope();
    let x = Value::new(1.0);
    let mut y = x;
    for _ in 0..10_000_000 {
        y += x * 1e-7;
    }
    y.backward();
    // y = x (1 + 10⁷·10⁻⁷); dy/dx = 2 up to the rounding of ten million additions.
    approx::assert_relative_eq!(x.grad(), 2.0, max_relative = 1e-6);
    assert!(Tape::len() > 20_000_000);
}

#[test]
fn no_grad_computes_values_but_records_nothing() {
    let x = Value::new(3.0);
    let no_grad = Tape::no_grad();
    let y = x * x + 1.0;
    assert_eq!(y.data(), 10.0);
    y.backward();
    assert_eq!(x.grad(), 0.0, "nothing was recorded, so nothing flows back");
    drop(no_grad);
    let z = x * x;
    z.backward();
    assert_eq!(x.grad(), 6.0, "recording is back on once the guard drops");
}

#[test]
fn update_visits_every_parameter_with_its_gradient() {
    let params = [Value::new(1.0), Value::new(-2.0)];
    let loss = params[0] * 3.0 + params[1] * params[1];
    loss.backward();
    let mut seen = Vec::new();
    Value::update(&params, |i, data, grad| {
        seen.push(i);
        *data -= 0.5 * *grad;
        *grad = 0.0;
    });
    assert_eq!(seen, [0, 1]);
    assert_eq!((params[0].grad(), params[1].grad()), (0.0, 0.0), "update may reset gradients");
    assert_eq!(params[0].data(), 1.0 - 0.5 * 3.0);
    assert_eq!(params[1].data(), -2.0 - 0.5 * -4.0);
}

#[test]
fn powf_is_right_when_bases_and_exponents_alternate() {
    // powf remembers its last answer; alternating inputs must never get a stale one.
    for (x, k) in [(2.0, 3.0), (3.0, 3.0), (2.0, 3.0), (2.0, 0.5), (2.0, 3.0), (-0.0, 2.0), (0.0, 2.0)] {
        let _scope = Tape::scope();
        let v = Value::new(x);
        let y = v.powf(k);
        y.backward();
        assert_eq!(y.data().to_bits(), f64::powf(x, k).to_bits(), "{x}^{k}");
        // By value, not bits: a gradient accumulates from +0, so d/dx (-0)² = -0 arrives as +0.
        assert_eq!(v.grad(), k * f64::powf(x, k - 1.0), "d/dx {x}^{k}");
    }
}

#[test]
fn backward_leaves_other_graphs_alone() {
    // The lecture's two examples on one tape: the second backward must not touch the first's gradients,
    // even though the first graph's inner nodes still hold gradients and lie below the second root.
    let (a, b, c, f) = (Value::new(2.0), Value::new(-3.0), Value::new(10.0), Value::new(-2.0));
    let l = (a * b + c) * f;
    l.backward();
    let first: Vec<f64> = [a, b, c, f].iter().map(|v| v.grad()).collect();
    assert_eq!(first, [6.0, -4.0, -2.0, 4.0]);
    let x = Value::new(0.5);
    let o = (x * 3.0).tanh();
    o.backward();
    assert_eq!([a, b, c, f].map(|v| v.grad()).to_vec(), first);
    approx::assert_relative_eq!(x.grad(), 3.0 * (1.0 - (1.5f64).tanh().powi(2)), max_relative = 1e-15);
}
