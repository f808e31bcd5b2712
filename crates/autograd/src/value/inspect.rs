//! Read-only views of the graph, for tools that draw it (micrograd's `draw_dot`). Backward never needs
//! them: it walks the tape, not the graph.

use super::{Value, tape};

impl Value {
    /// The nodes this one was computed from, in the order its op recorded them; empty for a leaf.
    /// Constants folded into an op (the `2.0` in `x * 2.0`) are not nodes and do not appear.
    pub fn inputs(self) -> Vec<Value> {
        tape::with(|t| {
            let i = self.0 as usize;
            let edges = t.edges(i);
            t.child[edges].iter().map(|&c| Value(c)).collect()
        })
    }
}
