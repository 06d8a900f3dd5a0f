//! A graph's drawing as the pages show it: a layered layout of an engine [`Graph`] with its
//! labels (geometry only; values are drawn separately), the server's drawing of a page, and the
//! key that says when a drawing must be made again. Pure: no I/O, any target.

use engine::layout::{layout, Spacing};
use engine::{Graph, Role};
use serde::{Deserialize, Serialize};

/// Width of a node's box in the drawing, in pixels.
pub const NODE_WIDTH: u32 = 136;
/// Height of a node's box in the drawing, in pixels.
pub const NODE_HEIGHT: u32 = 58;
/// Longest node name shown inside a box; longer names are cut with an ellipsis.
const NAME_CHARS: usize = 18;

/// A laid-out graph, ready to draw as SVG: geometry and labels only. Values are drawn
/// separately, so a value preview never moves a box. The default is an empty drawing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawing {
    /// Width of the drawing.
    pub width: u32,
    /// Height of the drawing.
    pub height: u32,
    /// The nodes, indexed by node id.
    pub nodes: Vec<DrawnNode>,
    /// The edges, operand → reader.
    pub edges: Vec<DrawnEdge>,
}

/// One node's box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnNode {
    /// The node id (its index in the graph).
    pub id: u32,
    /// The node's full name.
    pub name: String,
    /// The name as shown (shortened when long).
    pub label: String,
    /// Input, constant, step, proxy, branch or answer.
    pub role: Role,
    /// The operation over the operands' names (`a + b`), for operation nodes.
    pub op: Option<String>,
    /// The sentence or solution line the node came from, when known.
    pub text: Option<String>,
    /// Centre of the box.
    pub x: u32,
    /// Centre of the box.
    pub y: u32,
}

/// One edge as a polyline, from the bottom of the operand's box to the top of the reader's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnEdge {
    /// The operand's id.
    pub from: u32,
    /// The reader's id.
    pub to: u32,
    /// The points, first at the operand, last at the reader.
    pub points: Vec<(u32, u32)>,
}

impl DrawnEdge {
    /// The SVG `points` attribute of the polyline.
    pub fn svg_points(&self) -> String {
        let mut s = String::with_capacity(self.points.len() * 10);
        for (i, (x, y)) in self.points.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&format!("{x},{y}"));
        }
        s
    }
}

/// The CSS class of a role (`input`, `constant`, `step`, `proxy`, `branch`, `answer`).
pub fn role_class(role: Role) -> &'static str {
    match role {
        Role::Input => "input",
        Role::Constant => "constant",
        Role::Step => "step",
        Role::Proxy => "proxy",
        Role::Branch => "branch",
        Role::Answer => "answer",
    }
}

impl Drawing {
    /// Lays `graph` out in layers (inputs on top, the answer's layer at the bottom). Depends
    /// on the structure only, never on values.
    pub fn new(graph: &Graph) -> Self {
        let spacing = Spacing {
            slot: NODE_WIDTH + 24,
            layer: NODE_HEIGHT + 56,
            margin: NODE_WIDTH / 2 + 8,
        };
        let l = layout(graph, spacing);
        let nodes: Vec<DrawnNode> = l
            .nodes
            .iter()
            .map(|p| {
                let node = graph.node(p.node);
                DrawnNode {
                    id: p.node.0,
                    name: node.name.clone(),
                    label: shorten(&node.name, NAME_CHARS),
                    role: graph.role(p.node),
                    op: engine::printer::operation(graph, p.node).map(|o| shorten(&o, 40)),
                    text: node.text.clone(),
                    x: p.x,
                    y: p.y,
                }
            })
            .collect();
        let edges = l
            .edges
            .iter()
            .map(|e| {
                // The layout runs edges centre to centre; ours leave the operand's bottom edge
                // and end at the reader's top edge.
                let mut points = e.points.clone();
                if let Some(first) = points.first_mut() {
                    first.1 = first.1.saturating_add(NODE_HEIGHT / 2);
                }
                if let Some(last) = points.last_mut() {
                    last.1 = last.1.saturating_sub(NODE_HEIGHT / 2);
                }
                DrawnEdge {
                    from: e.from.0,
                    to: e.to.0,
                    points,
                }
            })
            .collect();
        Drawing {
            width: l.width,
            height: l.height,
            nodes,
            edges,
        }
    }
}

/// The server's drawing of a page's graph, sent with the page's data: laid out on an engine
/// slot within the request budget (never on an async worker), so the server renders it and the
/// browser hydrates the same boxes without laying the graph out again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerDrawing {
    /// The drawing.
    Drawn(Drawing),
    /// Not drawn, and why (the layout ran past the server's budget, or every engine slot
    /// stayed busy); the page says so and offers to draw the graph in the browser.
    NotDrawn(String),
}

impl ServerDrawing {
    /// What a page shows when its data came without a drawing (the JSON API leaves it out).
    pub fn missing() -> ServerDrawing {
        ServerDrawing::NotDrawn("the server sent no drawing of this graph".into())
    }
}

/// A key that changes exactly when a graph's drawing would: node kinds (with their operations),
/// operands, names and the answer, never values. (The layout itself reads operands only.)
pub fn structure_key(graph: &Graph) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut key = Vec::with_capacity(graph.len() + 1);
    key.push(graph.answer().0 as u64);
    for id in graph.ids() {
        let node = graph.node(id);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        node.name.hash(&mut h);
        node.operands.hash(&mut h);
        node.kind.hash(&mut h);
        key.push(h.finish());
    }
    key
}

/// `s` cut to at most `max` characters, the last of them an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_long_names_only() {
        assert_eq!(shorten("apples", 18), "apples");
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
        assert_eq!(shorten("abcdefghij", 5).chars().count(), 5);
    }
}
