//! Numbers in a problem text against the inputs of its graph.
//!
//! [`check`] reads every number written in a text with [`find_numbers`] and compares them
//! with the inputs of a variant graph by value (a number may stand for several values: `half`
//! is 1/2 or 2, `2/5` is 0.4, 2 or 5; and one number may state several inputs). It reports the inputs no number stands for
//! ([`Missing`]), numbers that still say a value the variant replaced ([`Consistency::stale`]),
//! and numbers that stand for nothing the problem knows ([`Consistency::extra`]).
//!
//! Numbers that are not inputs are allowed when the problem explains them: numbers of the
//! original question not linked to any input (literals the solution uses, or does not need),
//! the other readings of linked ones (`3/4` linked as 3 also writes 4) unless replaced,
//! the `k` of every grafted proxy step, literals in the variant's expressions (branch
//! thresholds included), constants, and the article-like word `one`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::expr::{Cond, Expr};
use crate::graph::{Graph, NodeId, NodeKind};
use crate::mentions;
use crate::number::Number;
use crate::text_numbers::{find_numbers, Mention};

/// An input of the variant whose value no number in the text stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// The input node.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// Its value in the variant.
    pub value: Number,
}

/// A number found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// First byte of the number's text.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// The number as written.
    pub text: String,
    /// Its most likely value.
    pub value: Number,
}

/// How the numbers of a text agree with the inputs of a graph (see [`check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consistency {
    /// Inputs of the variant whose value no number in the text stands for.
    pub missing: Vec<Missing>,
    /// Numbers equal to a value the variant replaced (an input's original value, an old
    /// threshold) and to no current input or allowed value.
    pub stale: Vec<Found>,
    /// Numbers that stand for no input and no allowed literal.
    pub extra: Vec<Found>,
    /// Inputs the answer does not depend on (allowed; reported for information).
    pub distractors: Vec<NodeId>,
}

impl Consistency {
    /// Whether nothing is missing, stale or extra.
    pub fn is_consistent(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }

    /// One human-readable complaint per problem found, suitable to send back to a writer
    /// (person or LLM).
    pub fn complaints(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.missing {
            out.push(format!(
                "the text must contain {} (input `{}`), it does not",
                m.value, m.name
            ));
        }
        for f in &self.stale {
            out.push(format!(
                "the replaced value {} still appears (\"{}\" at byte {}); write the new value instead",
                f.value, f.text, f.start
            ));
        }
        for f in &self.extra {
            out.push(format!(
                "the number \"{}\" (at byte {}) stands for no given quantity of the problem; remove it",
                f.text, f.start
            ));
        }
        out
    }
}

/// A number of the text with every value it may stand for.
struct Num {
    start: usize,
    end: usize,
    values: Vec<Number>,
    /// Written as the word `one` (an article more often than a number).
    one_word: bool,
}

/// The numbers of `text`, each with its readings (a number right after a lone `-` may also be
/// negative).
fn numbers(text: &str) -> Vec<Num> {
    find_numbers(text)
        .iter()
        .filter_map(|m: &Mention| {
            let (start, end) = (m.span.start as usize, m.span.end as usize);
            let written = text.get(start..end)?;
            let mut values = m.values().to_vec();
            let before = text.get(..start).unwrap_or("");
            let mut back = before.chars().rev();
            if back.next() == Some('-') && !back.next().is_some_and(|c| c.is_alphanumeric()) {
                for v in m.values() {
                    if let Ok(n) = v.neg() {
                        values.push(n);
                    }
                }
            }
            Some(Num {
                start,
                end,
                values,
                one_word: written.eq_ignore_ascii_case("one"),
            })
        })
        .collect()
}

/// Every literal in an expression.
fn expr_literals(e: &Expr, out: &mut BTreeSet<Number>) {
    match e {
        Expr::Lit(n) => {
            out.insert(*n);
        }
        Expr::Arg(_) => {}
        Expr::Neg(inner) => expr_literals(inner, out),
        Expr::Bin(_, l, r) => {
            expr_literals(l, out);
            expr_literals(r, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| expr_literals(a, out)),
    }
}

fn cond_literals(c: &Cond, out: &mut BTreeSet<Number>) {
    match c {
        Cond::Cmp(_, a, b) => {
            expr_literals(a, out);
            expr_literals(b, out);
        }
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| cond_literals(c, out)),
        Cond::Not(c) => cond_literals(c, out),
        Cond::Truthy(e) => expr_literals(e, out),
    }
}

/// The literals a graph's computations use, proxy `k`s and constants' values.
fn graph_literals(g: &Graph) -> BTreeSet<Number> {
    let mut out = BTreeSet::new();
    for id in g.ids() {
        match &g.node(id).kind {
            NodeKind::Input { .. } => {}
            NodeKind::Constant => {
                out.insert(g.value(id));
            }
            NodeKind::Step { expr } => expr_literals(expr, &mut out),
            NodeKind::Proxy { f } => {
                out.insert(f.k);
            }
            NodeKind::Branch {
                cond,
                then,
                otherwise,
            } => {
                cond_literals(cond, &mut out);
                expr_literals(then, &mut out);
                expr_literals(otherwise, &mut out);
            }
        }
    }
    out
}

/// The literals of branch conditions only.
fn branch_literals(g: &Graph) -> BTreeSet<Number> {
    let mut out = BTreeSet::new();
    for id in g.ids() {
        if let NodeKind::Branch { cond, .. } = &g.node(id).kind {
            cond_literals(cond, &mut out);
        }
    }
    out
}

/// The input nodes of `g`, in evaluation order.
fn inputs(g: &Graph) -> Vec<NodeId> {
    g.order()
        .iter()
        .copied()
        .filter(|&id| matches!(g.node(id).kind, NodeKind::Input { .. }))
        .collect()
}

/// Checks the numbers written in `text` against the inputs of `variant`, a graph derived from
/// `original` by interventions (or `original` itself). Deterministic; never panics.
pub fn check(original: &Graph, variant: &Graph, text: &str) -> Consistency {
    let nums = numbers(text);
    let ins = inputs(variant);
    let values: Vec<Number> = ins.iter().map(|&id| variant.value(id)).collect();
    let relevant = variant.relevant();
    let mut out = Consistency::default();
    for (k, &id) in ins.iter().enumerate() {
        if !nums.iter().any(|n| n.values.contains(&values[k])) {
            out.missing.push(Missing {
                node: id,
                name: variant.node(id).name.clone(),
                value: values[k],
            });
        }
        if !relevant.get(id.index()).copied().unwrap_or(false) {
            out.distractors.push(id);
        }
    }

    // Values the variant replaced: original inputs whose value changed or that stopped being
    // inputs, and branch literals the variant no longer has.
    let mut replaced: BTreeSet<Number> = BTreeSet::new();
    for id in inputs(original) {
        let changed = match variant.get(id) {
            Ok(n) => {
                !matches!(n.kind, NodeKind::Input { .. })
                    || variant.get_value(id).ok() != Some(original.value(id))
            }
            Err(_) => true,
        };
        if changed {
            replaced.insert(original.value(id));
        }
    }
    let now_branch = branch_literals(variant);
    let old_thresholds: BTreeSet<Number> = branch_literals(original)
        .difference(&now_branch)
        .copied()
        .collect();
    replaced.extend(old_thresholds.iter().copied());

    // Allowed values: unlinked numbers of the original question, literals, constants.
    let mut allowed: BTreeSet<Number> = graph_literals(variant);
    let mut parts: BTreeSet<Number> = BTreeSet::new();
    if let Some(q) = original.question() {
        let linked = mentions::link(original);
        for n in numbers(q) {
            let is_linked = linked
                .iter()
                .any(|m| m.node.is_some() && m.start < n.end && n.start < m.end);
            if !is_linked {
                allowed.extend(n.values.iter().copied());
            } else {
                // The other readings of a linked number are literals too (`3/4` linked as 3
                // also writes 4), unless a changed input had them.
                parts.extend(n.values.iter().copied());
            }
        }
    }
    allowed.extend(parts.difference(&replaced).copied());
    for t in &old_thresholds {
        if !now_branch.contains(t) {
            allowed.remove(t);
        }
    }
    let current: BTreeSet<Number> = values.iter().copied().collect();

    for n in &nums {
        let means = |set: &BTreeSet<Number>| n.values.iter().any(|v| set.contains(v));
        if means(&current) || means(&allowed) || n.one_word {
            continue;
        }
        let found = Found {
            start: n.start,
            end: n.end,
            text: text.get(n.start..n.end).unwrap_or("").to_string(),
            value: n.values.first().copied().unwrap_or(Number::ZERO),
        };
        if means(&replaced) {
            let value = n
                .values
                .iter()
                .copied()
                .find(|v| replaced.contains(v))
                .unwrap_or(found.value);
            out.stale.push(Found { value, ..found });
        } else {
            out.extra.push(found);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphBuilder, Span};
    use crate::intervene::{intervene, Intervention};
    use crate::{BinOp, Expr, ProxyFn, ProxyOp};

    fn n(v: i128) -> Number {
        Number::int(v)
    }

    /// "Sam has 12 apples. He buys 5 more. How many apples does he have?" (12 + 5).
    fn sam() -> Graph {
        let q = "Sam has 12 apples. He buys 5 more. How many apples does he have?";
        let mut b = GraphBuilder::new(Some(q.into()));
        let a = b.input("apples", n(12), Some(Span { start: 8, end: 10 }));
        let m = b.input("more", n(5), Some(Span { start: 27, end: 28 }));
        let t = b
            .step(
                "total_apples",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                vec![a, m],
            )
            .unwrap();
        b.build(t).unwrap()
    }

    #[test]
    fn original_is_consistent() {
        let g = sam();
        let c = check(&g, &g, g.question().unwrap());
        assert!(c.is_consistent(), "{c:?}");
        assert!(c.complaints().is_empty());
    }

    #[test]
    fn missing_stale_and_extra() {
        let g = sam();
        let a = g.find("apples").unwrap();
        let (v, _) = intervene(
            &g,
            &Intervention::SetInput {
                node: a,
                value: n(20),
            },
        )
        .unwrap();
        let c = check(&g, &v, g.question().unwrap());
        assert_eq!(c.missing.len(), 1);
        assert_eq!(c.missing[0].value, n(20));
        assert_eq!(c.stale.len(), 1);
        assert_eq!(c.stale[0].text, "12");
        let complaints = c.complaints();
        assert!(complaints[0].contains("must contain 20 (input `apples`)"));
        assert!(complaints[1].contains("replaced value 12 still appears"));
        let ok = check(
            &g,
            &v,
            "Sam has 20 apples. He buys 5 more. How many apples does he have?",
        );
        assert!(ok.is_consistent(), "{ok:?}");
        let extra = check(
            &g,
            &v,
            "Sam has 20 apples and 7 pears. He buys 5 more. How many apples does he have?",
        );
        assert_eq!(extra.extra.len(), 1);
        assert_eq!(extra.extra[0].text, "7");
        assert!(!extra.is_consistent());
    }

    #[test]
    fn grafts_distractors_and_inversions() {
        let g = sam();
        let t = g.answer();
        let (v, _) = intervene(
            &g,
            &Intervention::Graft {
                node: t,
                f: ProxyFn {
                    op: ProxyOp::Mul,
                    k: n(3),
                },
            },
        )
        .unwrap();
        let (v, _) = intervene(
            &v,
            &Intervention::AddDistractor {
                name: "pears".into(),
                value: n(9),
                combine: None,
            },
        )
        .unwrap();
        let text = "Sam has 12 apples. He buys 5 more. Then the number of apples becomes 3 \
                    times as large. There are also 9 pears. How many apples does he have?";
        let c = check(&g, &v, text);
        assert!(c.is_consistent(), "{c:?}");
        assert_eq!(c.distractors, vec![v.find("pears").unwrap()]);
        // Without the distractor's value it is missing.
        let c = check(
            &g,
            &v,
            "Sam has 12 apples. He buys 5 more. One more thing. x 3?",
        );
        assert_eq!(c.missing.len(), 1);
        // Inverted: 12 is the unknown, 17 is given.
        let a = g.find("apples").unwrap();
        let (inv, _) = intervene(&g, &Intervention::Invert { input: a }).unwrap();
        let c = check(
            &g,
            &inv,
            "Sam has x apples. He buys 5 more. He has 17 apples. What is x?",
        );
        assert!(c.is_consistent(), "{c:?}");
        let c = check(
            &g,
            &inv,
            "Sam has 12 apples. He buys 5 more. He has 17 apples. What is x?",
        );
        assert_eq!(c.stale.len(), 1, "{c:?}");
    }

    #[test]
    fn never_panics_on_odd_text() {
        let g = sam();
        for t in ["", "½ — é 1,000,000 -3 one", "$$$ %%% 1/0 ..5", "-"] {
            let _ = check(&g, &g, t);
        }
    }
}
