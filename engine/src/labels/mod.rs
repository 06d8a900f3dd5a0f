//! Step labels for process supervision: the solution's steps in order, each with the value it
//! must produce, and a seeded corruptor that makes one step wrong and labels every step;
//! [`agreement`] measures how far annotators' labels agree; [`eval`] holds the statistics of a
//! model evaluation (Wilson intervals, pass@k).

pub mod agreement;
pub mod eval;
pub mod solutions;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::expr::{BinOp, Cond, Expr};
use crate::graph::{Graph, NodeId, NodeKind, ProxyOp};
use crate::intervene::recompute;
use crate::number::Number;
use crate::words::solution::write_operand;

/// One solution step: an operation the answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLabel {
    /// Position among the steps (0 = first).
    pub index: usize,
    /// The node.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// The sentence or solution line it came from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The names of the nodes it reads, in operand order.
    pub operands: Vec<String>,
    /// The operation, as a line of Python (`eggs_sold = eggs_per_day - eggs_eaten`).
    pub description: String,
    /// The value the step must produce.
    pub value: Number,
}

/// The operation nodes the answer depends on, in evaluation order.
pub fn steps(g: &Graph) -> Vec<StepLabel> {
    steps_with(g, |_| None)
}

/// [`steps`], each step's text `text(id)` when that gives one, else the node's own.
fn steps_with(g: &Graph, text: impl Fn(NodeId) -> Option<String>) -> Vec<StepLabel> {
    let relevant = g.relevant();
    g.order()
        .iter()
        .copied()
        .filter(|id| relevant[id.index()] && g.node(*id).kind.is_operation())
        .enumerate()
        .map(|(index, id)| labelled(g, index, id, text(id)))
        .collect()
}

/// The steps of `variant` (an intervened copy of `original`, or `original` itself) with, as
/// each step's text, its sentence of the worked solution ([`crate::solution::worked_steps`]):
/// the original sentence with the variant's numbers, or a new sentence for an added step, with
/// the `<<…>>` annotations taken out (`Natalia sold 36/2 = 18 clips in May.`). When no worked
/// solution can be written, the texts are the nodes' own, as [`steps`] gives them.
pub fn steps_worked(original: &Graph, variant: &Graph) -> Vec<StepLabel> {
    let worked = crate::solution::worked_steps_shared(original, variant, None);
    let worked = worked.as_ref().as_ref().ok();
    // The step's sentence of the worked solution, else the node's own text.
    steps_with(variant, |id| {
        worked
            .and_then(|w| w.steps.iter().find(|s| s.node == id))
            .map(|s| crate::solution::strip_annotations(&s.sentence))
    })
}

fn label(g: &Graph, index: usize, id: NodeId) -> StepLabel {
    labelled(g, index, id, None)
}

/// The label of step `id`, with `text` as its text when given (else the node's own).
fn labelled(g: &Graph, index: usize, id: NodeId, text: Option<String>) -> StepLabel {
    let node = g.node(id);
    StepLabel {
        index,
        node: id,
        name: node.name.clone(),
        text: text.or_else(|| node.text.clone()),
        operands: node
            .operands
            .iter()
            .map(|o| g.node(*o).name.clone())
            .collect(),
        description: describe(g, id),
        value: g.value(id),
    }
}

/// The node's computation as one line of Python (`total = april + may`).
pub fn describe(g: &Graph, id: NodeId) -> String {
    let Ok(node) = g.get(id) else {
        return format!("# unknown node {id}");
    };
    let mut out = String::with_capacity(node.name.len() + 32);
    out.push_str(&node.name);
    out.push_str(" = ");
    let operands = g.operand_names(node);
    let names: &[&str] = &operands;
    match &node.kind {
        NodeKind::Input { .. } | NodeKind::Constant => {
            use std::fmt::Write;
            write!(out, "{}", g.value(id)).expect("writing to a String cannot fail");
        }
        NodeKind::Step { expr } => write_expr(&mut out, expr, names, 0),
        NodeKind::Proxy { f } => {
            let sym = match f.op {
                ProxyOp::Add => "+",
                ProxyOp::Sub => "-",
                ProxyOp::Mul => "*",
                ProxyOp::Div => "/",
            };
            out.push_str(names.first().copied().unwrap_or("?"));
            out.push(' ');
            out.push_str(sym);
            out.push(' ');
            write_operand(&mut out, f.k);
        }
        NodeKind::Branch {
            cond,
            then,
            otherwise,
        } => {
            write_expr(&mut out, then, names, 1);
            out.push_str(" if ");
            out.push_str(&fmt_cond(cond, names));
            out.push_str(" else ");
            write_expr(&mut out, otherwise, names, 1);
        }
    }
    out
}

fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Add | BinOp::Sub => 1,
        BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod => 2,
        BinOp::Pow => 4,
    }
}

/// Formats `e` for a context of precedence `ctx` (parenthesized when it binds looser).
fn fmt_expr(e: &Expr, names: &[&str], ctx: u8) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, names, ctx);
    out
}

/// Writes `e` for a context of precedence `ctx` onto `out` (parenthesized when it binds
/// looser).
fn write_expr(out: &mut String, e: &Expr, names: &[&str], ctx: u8) {
    match e {
        Expr::Arg(i) => out.push_str(names.get(*i as usize).copied().unwrap_or("?")),
        Expr::Lit(n) => write_operand(out, *n),
        Expr::Neg(inner) => {
            let wrap = ctx > 3;
            if wrap {
                out.push('(');
            }
            out.push('-');
            write_expr(out, inner, names, 3);
            if wrap {
                out.push(')');
            }
        }
        Expr::Bin(op, a, b) => {
            let p = prec(*op);
            let (lp, rp) = if *op == BinOp::Pow {
                (p + 1, p)
            } else if matches!(op, BinOp::Add | BinOp::Mul) {
                (p, p)
            } else {
                (p, p + 1)
            };
            let wrap = p < ctx;
            if wrap {
                out.push('(');
            }
            write_expr(out, a, names, lp);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, b, names, rp);
            if wrap {
                out.push(')');
            }
        }
        Expr::Call(f, args) => {
            if *f == crate::Func::Sum {
                out.push_str("sum([");
            } else {
                out.push_str(f.python_name());
                out.push('(');
            }
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                write_expr(out, a, names, 0);
            }
            out.push_str(if *f == crate::Func::Sum { "])" } else { ")" });
        }
    }
}

fn fmt_cond(c: &Cond, names: &[&str]) -> String {
    match c {
        Cond::Cmp(op, a, b) => format!(
            "{} {} {}",
            fmt_expr(a, names, 1),
            op.symbol(),
            fmt_expr(b, names, 1)
        ),
        Cond::And(cs) => cs
            .iter()
            .map(|c| match c {
                Cond::Or(_) => format!("({})", fmt_cond(c, names)),
                _ => fmt_cond(c, names),
            })
            .collect::<Vec<_>>()
            .join(" and "),
        Cond::Or(cs) => cs
            .iter()
            .map(|c| fmt_cond(c, names))
            .collect::<Vec<_>>()
            .join(" or "),
        Cond::Not(c) => format!("not ({})", fmt_cond(c, names)),
        Cond::Truthy(e) => fmt_expr(e, names, 0),
    }
}

/// How the corrupted step was made wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorruptionKind {
    /// The step's result is replaced by a wrong number.
    WrongValue,
    /// The step reads a wrong (earlier) quantity in one operand.
    WrongOperand,
    /// The step's operator is replaced by another of `+ - * /`.
    WrongOperator,
}

/// A step of a corrupted chain with its correctness label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledStep {
    /// The step as written in the corrupted chain (its value recomputed from the error).
    #[serde(flatten)]
    pub step: StepLabel,
    /// The value the step should have had.
    pub expected: Number,
    /// Whether the step's value is still right.
    pub correct: bool,
}

/// A solution chain with one wrong step and the error propagated downstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorruptedChain {
    /// How the step was corrupted.
    pub kind: CorruptionKind,
    /// Index of the corrupted step (always the first incorrect one).
    pub first_error: usize,
    /// A short account of the corruption.
    pub detail: String,
    /// Every step, labelled.
    pub steps: Vec<LabeledStep>,
    /// The corrupted chain's final answer.
    pub answer: Number,
    /// The correct answer.
    pub correct_answer: Number,
}

/// Why no corrupted chain could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptError {
    /// The answer depends on no operation (it is an input or a constant).
    #[error("the graph has no steps to corrupt (its answer is an input or a constant)")]
    NoSteps,
    /// Every attempt left the step's value unchanged or could not be computed.
    #[error("no corruption changed a step after {tries} tries: {reason}")]
    NoCorruption {
        /// Attempts made.
        tries: u32,
        /// The last failure.
        reason: String,
    },
}

const TRIES: u32 = 64;

/// Corrupts one step of `g`'s solution, deterministically for `seed`, and labels every step.
pub fn corrupt(g: &Graph, seed: u64) -> Result<CorruptedChain, CorruptError> {
    let original = steps(g);
    if original.is_empty() {
        return Err(CorruptError::NoSteps);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut reason = String::new();
    for _ in 0..TRIES {
        let i = rng.random_range(0..original.len() as u32) as usize;
        let id = original[i].node;
        let kind = match rng.random_range(0..3u32) {
            0 => CorruptionKind::WrongValue,
            1 => CorruptionKind::WrongOperand,
            _ => CorruptionKind::WrongOperator,
        };
        let mut h = g.clone();
        let detail = match corrupt_step(&mut h, id, kind, &mut rng) {
            Ok(d) => d,
            Err(r) => {
                reason = r;
                continue;
            }
        };
        if h.value(id) == g.value(id) {
            reason = format!("{detail} leaves `{}` unchanged", original[i].name);
            continue;
        }
        let steps = original
            .iter()
            .map(|s| {
                let now = label(&h, s.index, s.node);
                LabeledStep {
                    correct: s.index != i && now.value == s.value,
                    expected: s.value,
                    step: now,
                }
            })
            .collect();
        return Ok(CorruptedChain {
            kind,
            first_error: i,
            detail,
            steps,
            answer: h.answer_value(),
            correct_answer: g.answer_value(),
        });
    }
    Err(CorruptError::NoCorruption {
        tries: TRIES,
        reason,
    })
}

/// Applies one corruption to step `id` of `h` and propagates it; `Err` explains a miss.
fn corrupt_step(
    h: &mut Graph,
    id: NodeId,
    kind: CorruptionKind,
    rng: &mut ChaCha8Rng,
) -> Result<String, String> {
    let name = h.node(id).name.clone();
    match kind {
        CorruptionKind::WrongValue => {
            let v = h.value(id);
            let scale = v
                .abs()
                .ok()
                .and_then(|a| a.floor().to_integer())
                .map(|a| (a / 4).clamp(2, 1000))
                .unwrap_or(2) as i64;
            let mut delta = rng.random_range(1..=scale);
            if rng.random_range(0..2u32) == 0 {
                delta = -delta;
            }
            let new = v.add(Number::from(delta)).map_err(|e| e.to_string())?;
            h.set_raw_value(id, new);
            h.cascade(&[id]).map_err(|e| e.to_string())?;
            Ok(format!("`{name}` computed as {new} instead of {v}"))
        }
        CorruptionKind::WrongOperand => {
            let node = h.node(id).clone();
            if node.operands.is_empty() {
                return Err(format!("`{name}` has no operand to swap"));
            }
            let slot = rng.random_range(0..node.operands.len() as u32) as usize;
            let old = node.operands[slot];
            let pos = h.order().iter().position(|x| *x == id).unwrap_or(0);
            let choices: Vec<NodeId> = h.order()[..pos]
                .iter()
                .copied()
                .filter(|c| *c != old && h.value(*c) != h.value(old))
                .collect();
            if choices.is_empty() {
                return Err(format!("no other quantity before `{name}` to read"));
            }
            let new = choices[rng.random_range(0..choices.len() as u32) as usize];
            h.redirect_operand(id, old, new);
            recompute(h, id).map_err(|e| e.to_string())?;
            h.cascade(&[id]).map_err(|e| e.to_string())?;
            Ok(format!(
                "`{name}` reads `{}` instead of `{}`",
                h.node(new).name,
                h.node(old).name
            ))
        }
        CorruptionKind::WrongOperator => {
            let ops = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div];
            let old = match h.kind_mut(id) {
                NodeKind::Step {
                    expr: Expr::Bin(op, _, _),
                } if ops.contains(op) => {
                    let old = *op;
                    let others: Vec<BinOp> = ops.into_iter().filter(|o| *o != old).collect();
                    *op = others[rng.random_range(0..others.len() as u32) as usize];
                    old
                }
                _ => return Err(format!("`{name}` has no + - * / operator at its top")),
            };
            recompute(h, id).map_err(|e| e.to_string())?;
            h.cascade(&[id]).map_err(|e| e.to_string())?;
            let new = match &h.node(id).kind {
                NodeKind::Step {
                    expr: Expr::Bin(op, _, _),
                } => op.symbol(),
                _ => "?",
            };
            Ok(format!(
                "`{name}` uses `{new}` instead of `{}`",
                old.symbol()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intervene::tests::eggs;

    #[test]
    fn steps_in_order_with_descriptions() {
        let g = eggs();
        let s = steps(&g);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].description,
            "eggs_left = eggs_per_day - eggs_eaten - eggs_baked"
        );
        assert_eq!(s[1].description, "money = eggs_left * price");
        assert_eq!(s[1].value, g.answer_value());
        assert_eq!(s[1].operands, vec!["eggs_left", "price"]);
    }

    #[test]
    fn parenthesizes() {
        let names = ["a", "b", "c"];
        let e = Expr::bin(
            BinOp::Sub,
            Expr::Arg(0),
            Expr::bin(BinOp::Add, Expr::Arg(1), Expr::Arg(2)),
        );
        assert_eq!(fmt_expr(&e, &names, 0), "a - (b + c)");
        let e = Expr::bin(
            BinOp::Mul,
            Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
            Expr::Lit(Number::int(2)),
        );
        assert_eq!(fmt_expr(&e, &names, 0), "(a + b) * 2");
    }

    #[test]
    fn corruption_labels_are_consistent() {
        let g = eggs();
        let mut kinds = std::collections::HashSet::new();
        for seed in 0..40 {
            let c = corrupt(&g, seed).unwrap();
            assert_eq!(c, corrupt(&g, seed).unwrap(), "deterministic");
            kinds.insert(c.kind);
            let fe = c.first_error;
            assert!(!c.steps[fe].correct);
            for s in &c.steps[..fe] {
                assert!(s.correct);
            }
            for s in &c.steps {
                assert_eq!(s.correct, s.step.index != fe && s.step.value == s.expected);
            }
            // The final step carries the propagated error.
            assert_eq!(c.steps.last().unwrap().step.value, c.answer);
        }
        assert_eq!(kinds.len(), 3);
    }
}
