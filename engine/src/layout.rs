//! A layered drawing of a graph: one row per layer ([`Graph::levels`]), sources on top, the
//! answer's layer at the bottom. Pure geometry (integer pixel positions), no rendering.
//!
//! Within a layer, nodes are ordered by the mean horizontal slot of their operands (a single
//! barycenter pass, which removes most crossings in the small graphs of word problems), ties
//! broken by evaluation order; each row is centred on the widest one.

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, NodeId};

/// Spacing of a layout, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spacing {
    /// Horizontal distance between the centres of neighbouring nodes in a layer.
    pub slot: u32,
    /// Vertical distance between the centres of consecutive layers.
    pub layer: u32,
    /// Space around the drawing, from the outermost node centres.
    pub margin: u32,
}

impl Default for Spacing {
    fn default() -> Self {
        Spacing {
            slot: 160,
            layer: 100,
            margin: 80,
        }
    }
}

/// Where one node goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    /// The node.
    pub node: NodeId,
    /// Its layer (0 = inputs and constants).
    pub layer: u32,
    /// Its position within the layer, from the left.
    pub slot: u32,
    /// Horizontal centre.
    pub x: u32,
    /// Vertical centre.
    pub y: u32,
}

/// An edge from an operand to the node that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The operand.
    pub from: NodeId,
    /// The reader.
    pub to: NodeId,
}

/// A layered layout of a whole graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Width of the drawing.
    pub width: u32,
    /// Height of the drawing.
    pub height: u32,
    /// One entry per node, indexed by node id.
    pub nodes: Vec<Placed>,
    /// One entry per distinct (operand, reader) pair, in evaluation order of the readers.
    pub edges: Vec<Edge>,
}

/// Lays out `graph` in layers with the given spacing.
pub fn layout(graph: &Graph, spacing: Spacing) -> Layout {
    let levels = graph.levels();
    let layers = levels.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut rows: Vec<Vec<NodeId>> = vec![Vec::new(); layers];
    for &id in graph.order() {
        rows[levels[id.index()] as usize].push(id);
    }
    // Barycenter ordering, layer by layer: operands always sit in lower layers.
    let mut slot = vec![0u32; graph.len()];
    for row in &mut rows {
        let keyed: Vec<(u64, NodeId)> = row
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let ops = &graph.node(id).operands;
                // Scaled mean slot of the operands; sources keep their order.
                let key = if ops.is_empty() {
                    i as u64 * 1024
                } else {
                    ops.iter()
                        .map(|o| slot[o.index()] as u64 * 1024)
                        .sum::<u64>()
                        / ops.len() as u64
                };
                (key, id)
            })
            .collect();
        let mut sorted = keyed;
        sorted.sort_by_key(|&(key, _)| key); // stable: ties keep evaluation order
        *row = sorted.into_iter().map(|(_, id)| id).collect();
        for (i, &id) in row.iter().enumerate() {
            slot[id.index()] = i as u32;
        }
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let span = widest.saturating_sub(1) * spacing.slot;
    let mut nodes = vec![
        Placed {
            node: NodeId(0),
            layer: 0,
            slot: 0,
            x: 0,
            y: 0,
        };
        graph.len()
    ];
    for (layer, row) in rows.iter().enumerate() {
        let row_span = (row.len() as u32).saturating_sub(1) * spacing.slot;
        let left = spacing.margin + (span - row_span) / 2;
        for (i, &id) in row.iter().enumerate() {
            nodes[id.index()] = Placed {
                node: id,
                layer: layer as u32,
                slot: i as u32,
                x: left + i as u32 * spacing.slot,
                y: spacing.margin + layer as u32 * spacing.layer,
            };
        }
    }
    let mut edges = Vec::new();
    for &to in graph.order() {
        let mut seen: Vec<NodeId> = Vec::new();
        for &from in &graph.node(to).operands {
            if !seen.contains(&from) {
                seen.push(from);
                edges.push(Edge { from, to });
            }
        }
    }
    Layout {
        width: 2 * spacing.margin + span,
        height: 2 * spacing.margin + (layers as u32).saturating_sub(1) * spacing.layer,
        nodes,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{extract, Problem};

    fn apples() -> Graph {
        let row = r#"{"question": "Maya picks 24 apples on Monday and twice as many on Tuesday. She gives 10 apples to her neighbor. How many apples does Maya have left?", "answer": "On Tuesday Maya picks 24 * 2 = <<24*2=48>>48 apples.\nIn total she picks 24 + 48 = <<24+48=72>>72 apples.\nAfter giving some away she has 72 - 10 = <<72-10=62>>62 apples left.\n#### 62"}"#;
        extract(&Problem::from_json(row).unwrap()).unwrap().graph
    }

    #[test]
    fn layers_follow_levels_and_edges_point_down() {
        let g = apples();
        let spacing = Spacing::default();
        let l = layout(&g, spacing);
        let levels = g.levels();
        assert_eq!(l.nodes.len(), g.len());
        for (i, p) in l.nodes.iter().enumerate() {
            assert_eq!(p.node.index(), i);
            assert_eq!(p.layer, levels[i]);
            assert_eq!(p.y, spacing.margin + p.layer * spacing.layer);
            assert!(p.x >= spacing.margin && p.x <= l.width - spacing.margin);
            assert!(p.y >= spacing.margin && p.y <= l.height - spacing.margin);
        }
        // Three chained steps: the answer sits three layers below the inputs.
        assert_eq!(l.nodes[g.answer().index()].layer, 3);
        assert_eq!(l.height, 2 * spacing.margin + 3 * spacing.layer);
        // Every operand edge is drawn once and goes to a lower row.
        let operand_edges: usize = g
            .ids()
            .map(|id| {
                let mut ops = g.node(id).operands.clone();
                ops.sort();
                ops.dedup();
                ops.len()
            })
            .sum();
        assert_eq!(l.edges.len(), operand_edges);
        for e in &l.edges {
            assert!(l.nodes[e.from.index()].layer < l.nodes[e.to.index()].layer);
        }
        // No two nodes share a position.
        for a in &l.nodes {
            for b in &l.nodes {
                assert!(a.node == b.node || (a.x, a.y) != (b.x, b.y));
            }
        }
    }
}
