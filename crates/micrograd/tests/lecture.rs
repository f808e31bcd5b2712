//! The numbers the lecture works out by hand, from the same code that draws its graphs.

use autograd::Value;
use micrograd::graph::{self, Graph};

fn close(got: f64, want: f64) {
    assert!((got - want).abs() <= 1e-12, "got {got}, want {want}");
}

fn get(g: &Graph, label: &str) -> Value {
    g.get(label).unwrap_or_else(|| panic!("no value called {label}"))
}

#[test]
fn expression_l_and_its_gradients() {
    let (g, l) = graph::expression();
    close(l.data(), -8.0);
    close(get(&g, "a").grad(), 6.0);
    close(get(&g, "b").grad(), -4.0);
    close(get(&g, "c").grad(), -2.0);
    close(get(&g, "f").grad(), 4.0);
    // The intermediate values, as the lecture fills them in from the output backwards.
    close(get(&g, "d").grad(), -2.0);
    close(get(&g, "e").grad(), -2.0);
    assert_eq!(g.summary(l), "L = -8 | dL/da = 6 | dL/db = -4 | dL/dc = -2 | dL/df = 4");
}

#[test]
fn tanh_neuron_and_its_gradients() {
    let (g, o) = graph::neuron();
    close(o.data(), std::f64::consts::FRAC_1_SQRT_2); // 0.7071067811865476, as the lecture prints
    close(get(&g, "n").grad(), 0.5);
    close(get(&g, "x1").grad(), -1.5);
    close(get(&g, "w1").grad(), 1.0);
    close(get(&g, "x2").grad(), 0.5);
    close(get(&g, "w2").grad(), 0.0);
    close(get(&g, "b").grad(), 0.5);
}

#[test]
fn the_neuron_drawing_shows_data_and_grad_of_every_value() {
    let (g, o) = graph::neuron();
    let dot = g.to_dot(o, "neuron");
    for record in [
        "{ x1 | data 2.0000 | grad -1.5000 }",
        "{ w1 | data -3.0000 | grad 1.0000 }",
        "{ x2 | data 0.0000 | grad 0.5000 }",
        "{ w2 | data 1.0000 | grad 0.0000 }",
        "{ b | data 6.8814 | grad 0.5000 }",
        "{ n | data 0.8814 | grad 0.5000 }",
        "{ o | data 0.7071 | grad 1.0000 }",
    ] {
        assert!(dot.contains(record), "missing {record} in\n{dot}");
    }
    assert!(dot.contains("[label=\"tanh\"]"), "{dot}");
}
