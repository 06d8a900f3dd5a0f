//! What the pages show, as plain serializable data (sent from server functions to the
//! browser), and its construction from an engine [`Graph`]. Pure: no I/O, any target.

use engine::layout::{layout, Spacing};
use engine::{Graph, Metrics, Role};
use serde::{Deserialize, Serialize};

/// Width of a node's box in the drawing, in pixels.
pub const NODE_WIDTH: u32 = 136;
/// Height of a node's box in the drawing, in pixels.
pub const NODE_HEIGHT: u32 = 44;
/// Longest node name shown inside a box; longer names are cut with an ellipsis.
const NAME_CHARS: usize = 18;

/// One line of the problem list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemSummary {
    /// The problem's id (its `id` field, else `FILE_STEM:LINE`).
    pub id: String,
    /// The question text.
    pub question: String,
    /// Longest input → answer path in operations.
    pub depth: u32,
    /// Operations the answer depends on.
    pub steps: u32,
    /// The exact answer, as text.
    pub answer: String,
}

/// Everything the problem page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemPage {
    /// The problem's id.
    pub id: String,
    /// The question text.
    pub question: String,
    /// The exact answer, as text.
    pub answer: String,
    /// Size and difficulty figures.
    pub metrics: Metrics,
    /// The graph, laid out.
    pub drawing: Drawing,
}

/// A laid-out graph, ready to draw as SVG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawing {
    /// Width of the drawing.
    pub width: u32,
    /// Height of the drawing.
    pub height: u32,
    /// The nodes.
    pub nodes: Vec<DrawnNode>,
    /// The edges, operand → reader.
    pub edges: Vec<DrawnEdge>,
}

/// One node's box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnNode {
    /// The node's full name.
    pub name: String,
    /// The name as shown (shortened when long).
    pub label: String,
    /// Input, constant, step, proxy, branch or answer.
    pub role: Role,
    /// The exact value, as text.
    pub value: String,
    /// The sentence or solution line the node came from, when known.
    pub text: Option<String>,
    /// Centre of the box.
    pub x: u32,
    /// Centre of the box.
    pub y: u32,
}

/// One edge, from the bottom of the operand's box to the top of the reader's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnEdge {
    /// Start.
    pub x1: u32,
    /// Start.
    pub y1: u32,
    /// End.
    pub x2: u32,
    /// End.
    pub y2: u32,
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

impl ProblemSummary {
    /// The list entry of a problem.
    pub fn new(id: &str, graph: &Graph) -> Self {
        let m = graph.metrics();
        ProblemSummary {
            id: id.to_string(),
            question: graph.question().unwrap_or_default().to_string(),
            depth: m.depth,
            steps: m.steps,
            answer: graph.answer_value().to_string(),
        }
    }
}

impl ProblemPage {
    /// The page of a problem.
    pub fn new(id: &str, graph: &Graph) -> Self {
        ProblemPage {
            id: id.to_string(),
            question: graph.question().unwrap_or_default().to_string(),
            answer: graph.answer_value().to_string(),
            metrics: graph.metrics(),
            drawing: Drawing::new(graph),
        }
    }
}

impl Drawing {
    /// Lays `graph` out in layers (inputs on top, the answer's layer at the bottom).
    pub fn new(graph: &Graph) -> Self {
        let spacing = Spacing {
            slot: NODE_WIDTH + 24,
            layer: NODE_HEIGHT + 56,
            margin: NODE_WIDTH / 2 + 8,
        };
        let l = layout(graph, spacing);
        let nodes = l
            .nodes
            .iter()
            .map(|p| {
                let node = graph.node(p.node);
                DrawnNode {
                    name: node.name.clone(),
                    label: shorten(&node.name, NAME_CHARS),
                    role: graph.role(p.node),
                    value: graph.value(p.node).to_string(),
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
                let (a, b) = (l.nodes[e.from.index()], l.nodes[e.to.index()]);
                DrawnEdge {
                    x1: a.x,
                    y1: a.y + NODE_HEIGHT / 2,
                    x2: b.x,
                    y2: b.y - NODE_HEIGHT / 2,
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
