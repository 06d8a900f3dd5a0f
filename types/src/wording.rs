//! A variant's words as the pages show them: its problem text (the stored one, else the one
//! the engine's offline verbalizer writes), its worked solution in GSM8K style, and the
//! well-posedness lint's complaints. [`wording`] is the one computation; the server runs it on
//! an engine slot, the browser's workbench in wasm.

use engine::intervene::Intervention;
use engine::lint::LintFinding;
use engine::{Graph, NodeKind};
use serde::{Deserialize, Serialize};

/// Where a shown text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextOrigin {
    /// The variant's stored text, with who wrote it (`offline`, `llm`, `edited`).
    Stored(String),
    /// Written just now by the engine's offline verbalizer; nothing is stored.
    Offline,
}

/// A variant's text and worked solution, with what the lint says about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    /// The problem text, or why there is none.
    pub text: Result<String, String>,
    /// Where the text comes from.
    pub origin: TextOrigin,
    /// What the offline verbalizer could not say (only for [`TextOrigin::Offline`]).
    pub notes: Vec<String>,
    /// The worked solution (`<<a*b=c>>` annotations, `#### answer`), or why there is none.
    pub solution: Result<String, String>,
    /// Whether the solution is a stored one (a model's) rather than the engine's.
    pub solution_stored: bool,
    /// The lint's complaints; spans are byte ranges of `text`.
    pub findings: Vec<LintFinding>,
}

impl Wording {
    /// A wording that could not be made at all (`why` says why), shown as such.
    pub fn failed(why: impl Into<String>) -> Wording {
        let why = why.into();
        Wording {
            text: Err(why.clone()),
            origin: TextOrigin::Offline,
            notes: Vec::new(),
            solution: Err(why),
            solution_stored: false,
            findings: Vec::new(),
        }
    }
}

/// The text, worked solution and lint of `variant`, which is `original` (the problem's graph)
/// after `operations` (the whole lineage, in order). `stored_text` (text, who wrote it) and
/// `stored_solution` are used when the variant has them; otherwise the engine writes them
/// (`engine::verbalize::offline`, `engine::solution::worked`). Bounded by the engine's limits:
/// the work is that of replaying the lineage once, plus the lint.
pub fn wording(
    original: &Graph,
    operations: &[Intervention],
    variant: &Graph,
    stored_text: Option<(&str, &str)>,
    stored_solution: Option<&str>,
) -> Wording {
    let (text, origin, notes) = match stored_text {
        Some((t, source)) => (
            Ok(t.to_string()),
            TextOrigin::Stored(source.to_string()),
            Vec::new(),
        ),
        None => match engine::verbalize::offline(original, operations) {
            Ok(v) => (Ok(v.text), TextOrigin::Offline, v.notes),
            Err(e) => (Err(e.to_string()), TextOrigin::Offline, Vec::new()),
        },
    };
    let (solution, solution_stored) = match stored_solution {
        Some(s) => (Ok(s.to_string()), true),
        None => (
            engine::solution::worked(original, variant).map_err(|e| e.to_string()),
            false,
        ),
    };
    let findings = match &text {
        Ok(t) => engine::lint::lint(original, variant, t, solution.as_deref().ok()),
        Err(_) => Vec::new(),
    };
    Wording {
        text,
        origin,
        notes,
        solution,
        solution_stored,
        findings,
    }
}

/// Where a variant descends from: the problem's graph and every intervention since, so that
/// the workbench can verbalize what it stacks on top.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Descent {
    /// The problem's graph; `None` when it is the variant's parent graph (a variant made from
    /// the problem), which the page already has.
    pub original: Option<Graph>,
    /// Every intervention from the problem to the variant, in order.
    pub operations: Vec<Intervention>,
}

/// What a variant's page shows of its words, computed by the server for the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageWords {
    /// Its lineage, when it could be read.
    pub descent: Option<Descent>,
    /// Its text, solution and lint.
    pub wording: Wording,
}

/// The words a workbench starts from: its base graph's lineage and its base's own wording.
#[derive(Debug, Clone)]
pub struct BaseWords {
    /// The problem's graph and the interventions from it to the base graph; `None` when the
    /// lineage could not be read (then the workbench says why instead of verbalizing).
    pub lineage: Option<(Graph, Vec<Intervention>)>,
    /// The base's text, shown (with its numbers linked) in place of the problem's question.
    pub text: Option<String>,
    /// Why the lineage is missing.
    pub unavailable: Option<String>,
}

/// A copy of `g` whose question is `text`, with the inputs' spans (which point into the
/// original question) dropped, so `engine::mentions::link` links `text`'s numbers by value.
pub fn with_text(g: &Graph, text: &str) -> Graph {
    let nodes = g
        .ids()
        .map(|id| {
            let mut node = g.node(id).clone();
            if let NodeKind::Input { span } = &mut node.kind {
                *span = None;
            }
            (node, g.value(id))
        })
        .collect();
    match Graph::from_parts(
        nodes,
        g.order().to_vec(),
        g.answer(),
        Some(text.to_string()),
    ) {
        Ok(copy) => copy,
        Err(_) => {
            let mut copy = g.clone();
            copy.set_question(Some(text.to_string()));
            copy
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_of_a_graft_is_computed_offline() {
        let row = r#"{"question": "Maya picks 24 apples and twice as many on Tuesday. She gives 10 away. How many are left?", "answer": "24 * 2 = <<24*2=48>>48\n24 + 48 = <<24+48=72>>72\n72 - 10 = <<72-10=62>>62\n#### 62"}"#;
        let p = engine::problem::Problem::from_json(row).unwrap();
        let g = engine::problem::extract(&p).unwrap().graph;
        let input = g
            .ids()
            .find(|&id| g.value(id) == engine::Number::from(10))
            .unwrap();
        let ops = vec![Intervention::SetInput {
            node: input,
            value: engine::Number::from(12),
        }];
        let mut v = g.clone();
        engine::intervene::apply(&mut v, &ops[0]).unwrap();
        let w = wording(&g, &ops, &v, None, None);
        assert_eq!(w.origin, TextOrigin::Offline);
        assert!(w.text.as_ref().unwrap().contains("12"), "{:?}", w.text);
        let stored = wording(&g, &ops, &v, Some(("A text.", "llm")), Some("x\n#### 60"));
        assert_eq!(stored.text, Ok("A text.".to_string()));
        assert!(stored.solution_stored);
        // Linking a variant's own text: its numbers, by value.
        let linked = engine::mentions::link(&with_text(&v, w.text.as_ref().unwrap()));
        assert!(linked.iter().any(|m| m.node == Some(input)), "{linked:?}");
    }
}
