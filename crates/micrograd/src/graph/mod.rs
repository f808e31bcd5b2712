//! micrograd's `draw_dot`: the computation graph of an expression as Graphviz DOT, each value a record
//! `label | data | grad`, each op a small node between its inputs and its result.
//!
//! The tape knows every node's inputs ([`Value::inputs`]) but not what the nodes are called or which op
//! made them; a [`Graph`] remembers both as the expression is written.

mod lecture;
pub mod render;

use std::collections::HashMap;
use std::fmt::Write;

use autograd::Value;

pub use lecture::{expression, neuron};

/// Builds a drawing and runs its backward pass: the graph's names and its root.
pub type Build = fn() -> (Graph, Value);

/// The lecture's drawings by file name.
pub const DRAWINGS: [(&str, Build); 2] = [("expression", expression), ("neuron", neuron)];

/// The names and ops of the values in one drawn expression.
#[derive(Debug, Default)]
pub struct Graph {
    names: HashMap<Value, (String, &'static str)>,
}

impl Graph {
    /// A new input, called `label`.
    pub fn leaf(&mut self, label: &str, data: f64) -> Value {
        self.name(label, "", Value::new(data))
    }

    /// Names `v`, which `op` computed, and returns it: `let e = g.name("e", "*", a * b);`.
    pub fn name(&mut self, label: &str, op: &'static str, v: Value) -> Value {
        self.names.insert(v, (label.to_owned(), op));
        v
    }

    /// The value called `label`.
    pub fn get(&self, label: &str) -> Option<Value> {
        self.names.iter().find(|(_, (l, _))| l == label).map(|(v, _)| *v)
    }

    /// Every value `root` depends on, inputs before the values computed from them.
    fn topo(root: Value) -> Vec<Value> {
        let (mut order, mut seen) = (Vec::new(), std::collections::HashSet::new());
        // Depth first without recursion: (node, inputs already pushed?).
        let mut stack = vec![(root, false)];
        while let Some((v, expanded)) = stack.pop() {
            if expanded {
                order.push(v);
            } else if seen.insert(v) {
                stack.push((v, true));
                stack.extend(v.inputs().into_iter().rev().filter(|c| !seen.contains(c)).map(|c| (c, false)));
            }
        }
        order
    }

    /// The graph of `root` in the DOT language, laid out left to right like micrograd's. `name` becomes
    /// the graph's id, `micrograd_<name>`, which also marks the files as ours.
    pub fn to_dot(&self, root: Value, name: &str) -> String {
        let nodes = Graph::topo(root);
        let id: HashMap<Value, usize> = nodes.iter().enumerate().map(|(i, v)| (*v, i)).collect();
        let mut dot = format!("digraph {} {{\n  rankdir=LR\n", graph_id(name));
        for v in &nodes {
            let (label, op) = self.names.get(v).map(|(l, o)| (l.as_str(), *o)).unwrap_or(("", "?"));
            let n = id[v];
            let record = format!("{{ {label} | data {:.4} | grad {:.4} }}", v.data(), v.grad());
            writeln!(dot, "  n{n} [label=\"{}\" shape=record]", escape(&record)).unwrap();
            if !v.inputs().is_empty() {
                writeln!(dot, "  n{n}op [label=\"{}\"]\n  n{n}op -> n{n}", escape(op)).unwrap();
                for c in v.inputs() {
                    writeln!(dot, "  n{} -> n{n}op", id[&c]).unwrap();
                }
            }
        }
        dot.push_str("}\n");
        dot
    }

    /// One line of the numbers the lecture checks by hand: the root's value, then the derivative of the
    /// root with respect to each input, e.g. `L = -8 | dL/da = 6 | dL/db = -4 | …`.
    pub fn summary(&self, root: Value) -> String {
        let label = |v: &Value| self.names.get(v).map_or("?", |(l, _)| l.as_str());
        let mut line = format!("{} = {}", label(&root), root.data());
        for v in Graph::topo(root).iter().filter(|v| v.inputs().is_empty()) {
            write!(line, " | d{}/d{} = {}", label(&root), label(v), v.grad()).unwrap();
        }
        line
    }
}

/// The DOT id of a drawing called `name`.
pub fn graph_id(name: &str) -> String {
    format!("micrograd_{}", name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
}

/// Escapes what DOT's quoted strings and record labels would otherwise read as syntax.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('<', "\\<").replace('>', "\\>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_has_one_record_per_value_and_one_node_per_op() {
        let (g, l) = expression();
        let dot = g.to_dot(l, "expression");
        assert!(dot.starts_with("digraph micrograd_expression {"));
        assert_eq!(dot.matches("shape=record").count(), 7); // a b c e d f L
        assert_eq!(dot.matches("op [label=").count(), 3); // * + *
        assert!(dot.contains("{ L | data -8.0000 | grad 1.0000 }"), "{dot}");
        assert!(dot.contains("{ a | data 2.0000 | grad 6.0000 }"), "{dot}");
        // 3 op → result edges and 6 input → op edges.
        assert_eq!(dot.matches(" -> ").count(), 9);
    }

    #[test]
    fn inputs_come_before_what_is_computed_from_them() {
        let (g, o) = neuron();
        let order = Graph::topo(o);
        assert_eq!(order.len(), 10);
        assert_eq!(order.last(), Some(&o));
        let pos = |label| order.iter().position(|v| Some(*v) == g.get(label)).unwrap();
        assert!(pos("x1") < pos("x1*w1") && pos("x1*w1") < pos("x1*w1 + x2*w2") && pos("n") < pos("o"));
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape(r#"a<b>"c"\"#), r#"a\<b\>\"c\"\\"#);
    }
}
