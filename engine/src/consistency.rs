//! PROVISIONAL (replaced by the full module from branch `verbal`): numbers in a text ↔ the
//! inputs of a graph.

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, NodeId, NodeKind};
use crate::number::Number;
use crate::text_numbers::find_numbers;

/// An input whose value the text does not state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// The input.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Number,
}

/// A number found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// As written.
    pub text: String,
    /// Its value.
    pub value: Number,
}

/// The findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consistency {
    /// Inputs not stated.
    pub missing: Vec<Missing>,
    /// Replaced values still there.
    pub stale: Vec<Found>,
    /// Numbers that stand for nothing.
    pub extra: Vec<Found>,
    /// Inputs the answer does not use.
    pub distractors: Vec<NodeId>,
}

impl Consistency {
    /// Nothing missing, stale or extra.
    pub fn is_consistent(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }
    /// The findings in words.
    pub fn complaints(&self) -> Vec<String> {
        self.missing
            .iter()
            .map(|m| format!("the text must state {} (input `{}`), it does not", m.value, m.name))
            .collect()
    }
}

/// Checks `text` against the inputs of `variant`.
pub fn check(_original: &Graph, variant: &Graph, text: &str) -> Consistency {
    let found = find_numbers(text);
    let mut c = Consistency::default();
    for id in variant.ids() {
        if matches!(variant.node(id).kind, NodeKind::Input { .. }) {
            let v = variant.value(id);
            if !found.iter().any(|m| m.means(v)) {
                c.missing.push(Missing {
                    node: id,
                    name: variant.node(id).name.clone(),
                    value: v,
                });
            }
        }
    }
    c
}
