//! Read-only views of the graph, for tools that draw it (micrograd's `draw_dot`). Backward never needs
//! them: it walks the tape, not the graph.

use super::Value;
use super::tape::{self, Inputs};

impl Value {
    /// The nodes this one was computed from, in the order its op recorded them; empty for a leaf.
    /// Constants folded into an op (the `2.0` in `x * 2.0`) are not nodes and do not appear.
    pub fn inputs(self) -> Vec<Value> {
        tape::with(|t| match t.inputs[self.0 as usize] {
            Inputs::None => Vec::new(),
            Inputs::Edges { start, end } => {
                t.edges[start as usize..end as usize].iter().map(|e| Value(e.child)).collect()
            }
            Inputs::Pairs { start, end } => {
                t.pairs[start as usize..end as usize].iter().flatten().map(|&c| Value(c)).collect()
            }
            Inputs::Run { w, x, n } => (0..n).flat_map(|k| [Value(w + k), Value(x + k)]).collect(),
        })
    }
}
