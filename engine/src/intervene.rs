//! Structural interventions on a computation graph: change an input, graft a proxy step,
//! add a distractor, flip or move a branch, or invert the question.
//!
//! Every intervention is applied in place by [`apply`] (the graph is unchanged on error) or on
//! a copy by [`intervene`], and reports a [`Diff`] of what changed.

use serde::{Deserialize, Serialize};

use crate::expr::{BinOp, Cond, Expr, Func};
use crate::graph::{Graph, GraphError, Node, NodeId, NodeKind, ProxyFn, ProxyOp, ValueChange};
use crate::number::Number;

/// One structural change to a graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Intervention {
    /// Give an input node a new value (basic intervention; inputs only).
    SetInput {
        /// The input.
        node: NodeId,
        /// Its new value.
        value: Number,
    },
    /// Insert a proxy step `t' = f(t)` right after `node`; every reader of `t` reads `t'`.
    Graft {
        /// The node `t` to graft onto (an input or an operation).
        node: NodeId,
        /// The proxy function.
        f: ProxyFn,
    },
    /// Add an input the answer does not depend on, optionally combined with an existing node.
    AddDistractor {
        /// Name of the new input (made unique).
        name: String,
        /// Its value.
        value: Number,
        /// An optional step `existing op distractor` that is not read by anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        combine: Option<(BinOp, NodeId)>,
    },
    /// Negate a branch's condition so that the other arm is taken.
    FlipBranch {
        /// The branch node.
        node: NodeId,
    },
    /// Replace the literal a branch's first comparison compares against.
    SetThreshold {
        /// The branch node.
        node: NodeId,
        /// The new threshold.
        value: Number,
    },
    /// Ask the inverse question: the answer becomes given, `input` becomes the unknown.
    Invert {
        /// The input that becomes the new answer.
        input: NodeId,
    },
}

/// What an intervention changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// Existing nodes whose value changed (old → new), in evaluation order.
    pub changes: Vec<ValueChange>,
    /// Nodes the intervention added.
    pub added: Vec<NodeId>,
    /// The answer value before and after.
    pub answer: (Number, Number),
    /// The graph depth before and after.
    pub depth: (u32, u32),
    /// Set when the change read the graph's program again (a structural number: a loop
    /// count, a `while` bound), so the graph was rebuilt rather than recomputed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reextracted: Option<Reextracted>,
}

/// How reading a program again changed its graph (see [`Diff::reextracted`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reextracted {
    /// The construct that reads the number (`range() at line 5 reads it`).
    pub reason: String,
    /// The number of nodes before and after.
    pub nodes: (usize, usize),
}

/// Why an intervention could not be applied (the graph is left unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterventionError {
    /// The graph rejected the change (unknown node, or a value that cannot be computed).
    #[error("{0}")]
    Graph(#[from] GraphError),
    /// The target must be an input but is not.
    #[error("`{name}` ({node}) is {what}, not an input; only inputs can be set or inverted (pick an Input node)")]
    NotAnInput {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
        /// What it is instead.
        what: &'static str,
    },
    /// Constants (numbers the question does not state) are never intervened on.
    #[error("`{name}` ({node}) is a constant the question does not state; constants are never intervened on (pick an input or a step)")]
    Constant {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
    },
    /// The number sets the program's shape (a loop count, a `while` condition, a list index
    /// read while the Python program was unrolled), and the program cannot be read again here:
    /// the graph does not keep it, or this build of the engine has no Python reader.
    #[error("`{name}` ({node}) fixes the shape of the program it was read from ({reason}); changing it means reading that program again, and {missing}")]
    Structural {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
        /// Which construct reads it.
        reason: String,
        /// Why the program cannot be read again here.
        missing: &'static str,
    },
    /// Reading the program again with the new value of a structural number failed (the
    /// program cannot run with it, or the graph was changed since it was read).
    #[error("`{name}` ({node}) fixes the shape of the program it was read from; reading the program again with {name} = {value} failed: {reason}")]
    Reextract {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
        /// The value asked for.
        value: Number,
        /// What went wrong, naming the line.
        reason: String,
    },
    /// The target must be a branch but is not.
    #[error("`{name}` ({node}) is not a branch (if/else); pick a Branch node")]
    NotABranch {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
    },
    /// The branch compares no operand against a literal threshold.
    #[error("branch `{name}` ({node}) has no comparison against a literal number to move; use flip_branch instead")]
    NoThreshold {
        /// The node.
        node: NodeId,
        /// Its name.
        name: String,
    },
    /// The inverse question cannot be asked.
    #[error("cannot invert: {reason}")]
    NotInvertible {
        /// Why, naming the step in the way.
        reason: String,
    },
}

/// Applies `iv` to `g` in place; on error `g` is left exactly as it was.
pub fn apply(g: &mut Graph, iv: &Intervention) -> Result<Diff, InterventionError> {
    if let Intervention::SetInput { node, value } = iv {
        return set_input(g, *node, *value);
    }
    // Structural changes are made on a copy and committed only on success.
    let mut h = g.clone();
    let diff = apply_to_scratch(&mut h, iv)?;
    *g = h;
    Ok(diff)
}

/// Applies `iv` to `h`, which is left half-changed on error (callers pass a copy).
fn apply_to_scratch(h: &mut Graph, iv: &Intervention) -> Result<Diff, InterventionError> {
    let before = (h.answer_value(), depth(h));
    match change(h, iv)? {
        Made::Diff(d) => Ok(d),
        Made::Parts { changes, added } => Ok(Diff {
            changes,
            added,
            answer: (before.0, h.answer_value()),
            depth: (before.1, depth(h)),
            reextracted: None,
        }),
    }
}

/// Applies `iv` to `g` in place, for a replay that drops `g` when an operation fails (`g` is
/// then left half-changed): no copy first, and no answer or depth worked out for a diff.
/// Returns the nodes the operation added. The graph it leaves is the one [`apply`] leaves.
pub(crate) fn replay(g: &mut Graph, iv: &Intervention) -> Result<Vec<NodeId>, InterventionError> {
    Ok(match change(g, iv)? {
        Made::Diff(d) => d.added,
        Made::Parts { added, .. } => added,
    })
}

/// What [`change`] made: a whole diff (setting an input), or the value changes and added
/// nodes of a structural change.
enum Made {
    Diff(Diff),
    Parts {
        changes: Vec<ValueChange>,
        added: Vec<NodeId>,
    },
}

/// Makes the change `iv` to `h` (left half-changed on error).
fn change(h: &mut Graph, iv: &Intervention) -> Result<Made, InterventionError> {
    let (changes, added) = match iv {
        Intervention::SetInput { node, value } => {
            return set_input(h, *node, *value).map(Made::Diff)
        }
        Intervention::Graft { node, f } => graft(h, *node, *f)?,
        Intervention::AddDistractor {
            name,
            value,
            combine,
        } => add_distractor(h, name, *value, *combine)?,
        Intervention::FlipBranch { node } => {
            let cond = branch_cond(h, *node)?.negated();
            (replace_cond(h, *node, cond)?, vec![])
        }
        Intervention::SetThreshold { node, value } => {
            let mut cond = branch_cond(h, *node)?;
            if !set_first_threshold(&mut cond, *value) {
                let name = h.node(*node).name.clone();
                return Err(InterventionError::NoThreshold { node: *node, name });
            }
            (replace_cond(h, *node, cond)?, vec![])
        }
        Intervention::Invert { input } => {
            let (inv, changes) = invert(h, *input)?;
            *h = inv;
            (changes, vec![])
        }
    };
    Ok(Made::Parts { changes, added })
}

/// The graph's depth (longest source→answer path in operations), as in [`Graph::metrics`].
fn depth(g: &Graph) -> u32 {
    g.depth()
}

/// Applies `iv` to a copy of `g`, returning the new graph and the diff.
pub fn intervene(g: &Graph, iv: &Intervention) -> Result<(Graph, Diff), InterventionError> {
    let mut h = g.clone();
    let diff = apply_to_scratch(&mut h, iv)?;
    Ok((h, diff))
}

fn set_input(g: &mut Graph, id: NodeId, value: Number) -> Result<Diff, InterventionError> {
    let node = g.get(id)?;
    match node.kind {
        NodeKind::Input { .. } => {}
        NodeKind::Constant => {
            if let Some(reason) = crate::python::structural_note(node) {
                let reason = reason.to_string();
                return reextract(g, id, value, reason);
            }
            return Err(InterventionError::Constant {
                node: id,
                name: node.name.clone(),
            });
        }
        _ => {
            return Err(InterventionError::NotAnInput {
                node: id,
                name: node.name.clone(),
                what: kind_word(&node.kind),
            })
        }
    }
    let before = g.answer_value();
    let old = g.set_raw_value(id, value);
    let mut changes = Vec::new();
    if old != value {
        changes.push(ValueChange {
            node: id,
            old,
            new: value,
        });
    }
    match g.cascade(&[id]) {
        Ok(more) => changes.extend(more),
        Err(e) => {
            g.set_raw_value(id, old);
            return Err(e.into());
        }
    }
    let d = depth(g);
    Ok(Diff {
        changes,
        added: vec![],
        answer: (before, g.answer_value()),
        depth: (d, d),
        reextracted: None,
    })
}

/// Sets structural number `id` of `g` to `value` by reading `g`'s program again with it.
#[cfg(feature = "reextract")]
fn reextract(
    g: &mut Graph,
    id: NodeId,
    value: Number,
    reason: String,
) -> Result<Diff, InterventionError> {
    use crate::graph::Override;
    let name = g.node(id).name.clone();
    let Some(program) = g.source_program() else {
        return Err(InterventionError::Structural {
            node: id,
            name,
            reason,
            missing: "this graph does not keep the program (it was read back unrolled): edit the program and extract it again",
        });
    };
    let failed = |why: String| InterventionError::Reextract {
        node: id,
        name: name.clone(),
        value,
        reason: why,
    };
    // The graph must still be what its program reads to, up to the values of its inputs
    // (carried over): re-reading would drop grafts, distractors and other edits.
    let (fresh, ids) = crate::python::read_program(&program.code, g.question(), &program.overrides)
        .map_err(|e| failed(format!("the program no longer reads: {e}")))?;
    let mut overrides = program.overrides.clone();
    let mut set = |created: usize, value: Number| {
        overrides.retain(|o| o.created != created as u32);
        overrides.push(Override {
            created: created as u32,
            value,
        });
    };
    if !fresh.same_as(g) {
        let same_shape = fresh.len() == g.len()
            && fresh.answer() == g.answer()
            && fresh.order() == g.order()
            && g.ids().all(|i| {
                let (a, b) = (fresh.node(i), g.node(i));
                a.name == b.name && a.kind == b.kind && a.operands == b.operands
            });
        if !same_shape {
            return Err(failed(
                "the graph was changed since its program was read (a graft, a distractor, a branch), and reading it again would undo that; set the structural numbers first, then intervene".into(),
            ));
        }
        for (created, &i) in ids.iter().enumerate() {
            if matches!(g.node(i).kind, NodeKind::Input { .. }) && g.value(i) != fresh.value(i) {
                set(created, g.value(i));
            }
        }
    }
    let created = ids
        .iter()
        .position(|&i| i == id)
        .ok_or_else(|| failed(format!("{id} is not one of the program's nodes")))?;
    set(created, value);
    crate::limits::check_len(crate::limits::Limit::Nodes, overrides.len())
        .map_err(|e| failed(e.to_string()))?;
    let (h, _) = crate::python::read_program(&program.code, g.question(), &overrides)
        .map_err(|e| failed(e.to_string()))?;
    let before = (g.answer_value(), depth(g), g.len());
    let old = g.value(id);
    let added = (before.2..h.len()).map(|i| NodeId(i as u32)).collect();
    *g = h;
    Ok(Diff {
        changes: vec![ValueChange {
            node: id,
            old,
            new: value,
        }],
        added,
        answer: (before.0, g.answer_value()),
        depth: (before.1, depth(g)),
        reextracted: Some(Reextracted {
            reason,
            nodes: (before.2, g.len()),
        }),
    })
}

/// This build of the engine has no Python reader (the browser's): structural numbers are
/// refused.
#[cfg(not(feature = "reextract"))]
fn reextract(
    g: &mut Graph,
    id: NodeId,
    _value: Number,
    reason: String,
) -> Result<Diff, InterventionError> {
    Err(InterventionError::Structural {
        node: id,
        name: g.node(id).name.clone(),
        reason,
        missing: "this build of the engine (the browser's) cannot: save the change and the server reads the program again",
    })
}

fn kind_word(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Input { .. } => "an input",
        NodeKind::Constant => "a constant",
        NodeKind::Step { .. } => "a step",
        NodeKind::Proxy { .. } => "a proxy step",
        NodeKind::Branch { .. } => "a branch",
    }
}

fn graft(
    g: &mut Graph,
    t: NodeId,
    f: ProxyFn,
) -> Result<(Vec<ValueChange>, Vec<NodeId>), InterventionError> {
    let p = graft_node(g, t, f)?;
    let changes = g.cascade(&[p])?;
    Ok((changes, vec![p]))
}

/// [`intervene`] with a graft `f` on `t` whose cascade is already known: `changes` are the
/// nodes below `t` whose value changes once every reader of `t` reads `f(t)`, in evaluation
/// order, as [`Graph::cascade`] finds them (the sampler works them out to judge a draw), and
/// `value` is the proxy's own value, `f` of `t`'s. The graph and diff are those [`intervene`]
/// gives, without computing the cascade again.
pub(crate) fn graft_with_cascade(
    g: &Graph,
    t: NodeId,
    f: ProxyFn,
    value: Number,
    changes: Vec<ValueChange>,
) -> Result<(Graph, Diff), InterventionError> {
    let before = g.answer_value();
    let (h, p) = grafted(g, t, f, value, &changes, None)?;
    let diff = Diff {
        changes,
        added: vec![p],
        answer: (before, h.answer_value()),
        depth: h.depths_around_proxy(p),
        reextracted: None,
    };
    Ok((h, diff))
}

/// The graph of [`graft_with_cascade`], without its diff, given `t`'s position in `g`'s
/// evaluation order plus one when the caller knows it.
pub(crate) fn graft_graph(
    g: &Graph,
    t: NodeId,
    f: ProxyFn,
    value: Number,
    changes: &[ValueChange],
    after: Option<usize>,
) -> Result<Graph, InterventionError> {
    grafted(g, t, f, value, changes, after).map(|(h, _)| h)
}

/// A copy of `g` with the graft of [`graft_with_cascade`] made, and the proxy's id.
fn grafted(
    g: &Graph,
    t: NodeId,
    f: ProxyFn,
    value: Number,
    changes: &[ValueChange],
    after: Option<usize>,
) -> Result<(Graph, NodeId), InterventionError> {
    let (name, text) = proxy_words(g, t, f)?;
    // The cascade's values are written as the copy's values are made.
    Ok(g.with_proxy(name, f, text, value, t, changes, after)?)
}

/// Inserts the proxy `f(t)` right after `t` and makes every reader of `t` (and the answer,
/// when it is `t`) read it instead; the values below it are left for the caller to update.
fn graft_node(g: &mut Graph, t: NodeId, f: ProxyFn) -> Result<NodeId, InterventionError> {
    let (name, text) = proxy_words(g, t, f)?;
    // The readers, once each: a scan of the nodes after `t` in evaluation order (the graph
    // is a fresh copy, asked once), kept on the stack when there are few (nearly always).
    let mut buf = [NodeId(0); 8];
    let mut heap: Vec<NodeId> = Vec::new();
    let mut n = 0;
    for &r in g.order_after(t) {
        if !g.node(r).operands.contains(&t) {
            continue;
        }
        if n < buf.len() {
            buf[n] = r;
        } else {
            if heap.is_empty() {
                heap.extend_from_slice(&buf);
            }
            heap.push(r);
        }
        n += 1;
    }
    let readers: &[NodeId] = if n <= buf.len() { &buf[..n] } else { &heap };
    let proxy = Node {
        name,
        kind: NodeKind::Proxy { f },
        operands: vec![t],
        text: Some(text),
    };
    let p = g.insert_node(proxy, Number::ZERO, Some(t))?;
    for &r in readers.iter() {
        g.redirect_operand(r, t, p);
    }
    if g.answer() == t {
        g.set_answer(p);
    }
    Ok(p)
}

/// The name and text of the proxy `f(t)`: `t_plus` and `t +5`, built without the
/// formatting machinery (a graft is drawn often); an error when `t` is a constant.
fn proxy_words(g: &Graph, t: NodeId, f: ProxyFn) -> Result<(String, String), InterventionError> {
    let node = g.get(t)?;
    if matches!(node.kind, NodeKind::Constant) {
        return Err(InterventionError::Constant {
            node: t,
            name: node.name.clone(),
        });
    }
    let suffix = proxy_suffix(f.op);
    let mut name = String::with_capacity(node.name.len() + 1 + suffix.len());
    name.push_str(&node.name);
    name.push('_');
    name.push_str(suffix);
    let mut text = String::with_capacity(node.name.len() + 8);
    text.push_str(&node.name);
    text.push(' ');
    f.push_to(&mut text);
    Ok((name, text))
}

fn proxy_suffix(op: ProxyOp) -> &'static str {
    match op {
        ProxyOp::Add => "plus",
        ProxyOp::Sub => "minus",
        ProxyOp::Mul => "times",
        ProxyOp::Div => "split",
    }
}

fn add_distractor(
    g: &mut Graph,
    name: &str,
    value: Number,
    combine: Option<(BinOp, NodeId)>,
) -> Result<(Vec<ValueChange>, Vec<NodeId>), InterventionError> {
    // The node to combine with must exist before the distractor does (else it could name the
    // distractor's own id).
    let other_name = match combine {
        Some((_, other)) => Some(g.get(other)?.name.clone()),
        None => None,
    };
    let input = Node {
        name: name.to_string(),
        kind: NodeKind::Input { span: None },
        operands: vec![],
        text: None,
    };
    let d = g.insert_node(input, value, None)?;
    let mut added = vec![d];
    if let (Some((op, other)), Some(other_name)) = (combine, other_name) {
        let dname = g.node(d).name.clone();
        let step = Node {
            name: format!("{other_name}_with_{dname}"),
            kind: NodeKind::Step {
                expr: Expr::bin(op, Expr::Arg(0), Expr::Arg(1)),
            },
            operands: vec![other, d],
            text: None,
        };
        added.push(g.insert_node(step, Number::ZERO, None)?);
    }
    Ok((vec![], added))
}

fn branch_cond(g: &Graph, id: NodeId) -> Result<Cond, InterventionError> {
    let node = g.get(id)?;
    match &node.kind {
        NodeKind::Branch { cond, .. } => Ok((**cond).clone()),
        _ => Err(InterventionError::NotABranch {
            node: id,
            name: node.name.clone(),
        }),
    }
}

/// Replaces the condition of branch `id`, recomputes it and cascades.
fn replace_cond(
    g: &mut Graph,
    id: NodeId,
    cond: Cond,
) -> Result<Vec<ValueChange>, InterventionError> {
    if let NodeKind::Branch { cond: c, .. } = g.kind_mut(id) {
        **c = cond;
    }
    let mut changes = Vec::new();
    if let Some(ch) = recompute(g, id)? {
        changes.push(ch);
    }
    changes.extend(g.cascade(&[id])?);
    Ok(changes)
}

/// Recomputes one node from its operands, storing the value; reports a change.
pub(crate) fn recompute(g: &mut Graph, id: NodeId) -> Result<Option<ValueChange>, GraphError> {
    let node = g.get(id)?;
    let args: Vec<Number> = node.operands.iter().map(|o| g.value(*o)).collect();
    let v = node
        .kind
        .compute(&args, g.value(id))
        .map_err(|e| GraphError::Eval {
            node: id,
            name: node.name.clone(),
            source: e,
        })?;
    let old = g.set_raw_value(id, v);
    Ok((old != v).then_some(ValueChange {
        node: id,
        old,
        new: v,
    }))
}

/// Sets the literal of the first comparison against a literal; false when there is none.
fn set_first_threshold(cond: &mut Cond, value: Number) -> bool {
    match cond {
        Cond::Cmp(_, a, b) => {
            if let Expr::Lit(n) = b {
                *n = value;
                true
            } else if let Expr::Lit(n) = a {
                *n = value;
                true
            } else {
                false
            }
        }
        Cond::And(cs) | Cond::Or(cs) => cs.iter_mut().any(|c| set_first_threshold(c, value)),
        Cond::Not(c) => set_first_threshold(c, value),
        Cond::Truthy(_) => false,
    }
}

fn not_invertible(reason: impl Into<String>) -> InterventionError {
    InterventionError::NotInvertible {
        reason: reason.into(),
    }
}

/// Builds the inverse-question graph: same node ids, the old answer an input, `x` the answer.
fn invert(g: &Graph, x: NodeId) -> Result<(Graph, Vec<ValueChange>), InterventionError> {
    let xn = g.get(x)?;
    match xn.kind {
        NodeKind::Input { .. } => {}
        NodeKind::Constant => {
            return Err(InterventionError::Constant {
                node: x,
                name: xn.name.clone(),
            })
        }
        _ => {
            return Err(InterventionError::NotAnInput {
                node: x,
                name: xn.name.clone(),
                what: kind_word(&xn.kind),
            })
        }
    }
    let answer = g.answer();
    if answer == x {
        return Err(not_invertible(format!(
            "`{}` is already the answer",
            xn.name
        )));
    }
    // Count the paths from x to every node (operand entries, so `x * x` counts twice).
    let mut paths = vec![0u64; g.len()];
    paths[x.index()] = 1;
    for &id in g.order() {
        if id == x {
            continue;
        }
        let n: u64 = g
            .node(id)
            .operands
            .iter()
            .map(|o| paths[o.index()])
            .fold(0u64, |a, b| a.saturating_add(b));
        paths[id.index()] = n;
    }
    match paths[answer.index()] {
        0 => {
            return Err(not_invertible(format!(
                "the answer does not depend on `{}`",
                xn.name
            )))
        }
        1 => {}
        n => {
            return Err(not_invertible(format!(
                "`{}` reaches the answer along {n} paths; it must reach it along exactly one",
                xn.name
            )))
        }
    }
    // The unique path, from the answer back to x.
    let mut path = vec![answer];
    let mut cur = answer;
    while cur != x {
        let next = g
            .node(cur)
            .operands
            .iter()
            .copied()
            .find(|o| paths[o.index()] > 0)
            .ok_or_else(|| not_invertible("the path to the answer is broken"))?;
        path.push(next);
        cur = next;
    }
    // path = [p_n = answer, ..., p_0 = x]
    let mut nodes: Vec<(Node, Number)> = g
        .ids()
        .map(|id| (g.node(id).clone(), g.value(id)))
        .collect();
    for w in path.windows(2) {
        let (above, below) = (w[0], w[1]);
        let (kind, operands) = invert_step(g, above, below)?;
        let bn = &mut nodes[below.index()].0;
        bn.kind = kind;
        bn.operands = operands;
    }
    let top = &mut nodes[answer.index()].0;
    top.kind = NodeKind::Input { span: None };
    top.operands = vec![];
    // Order: nodes independent of x, then the path from the given back to x, then the rest.
    let desc = g.descendants(&[x]);
    let mut is_desc = vec![false; g.len()];
    for d in &desc {
        is_desc[d.index()] = true;
    }
    is_desc[x.index()] = true;
    let mut on_path = vec![false; g.len()];
    for p in &path {
        on_path[p.index()] = true;
    }
    let mut order: Vec<NodeId> = g
        .order()
        .iter()
        .copied()
        .filter(|id| !is_desc[id.index()])
        .collect();
    order.extend(path.iter().copied());
    order.extend(
        g.order()
            .iter()
            .copied()
            .filter(|id| is_desc[id.index()] && !on_path[id.index()]),
    );
    let inv = Graph::from_parts(nodes, order, x, g.question().map(str::to_string))?;
    let changes = g
        .ids()
        .filter_map(|id| {
            let (old, new) = (g.value(id), inv.value(id));
            (old != new).then_some(ValueChange { node: id, old, new })
        })
        .collect();
    Ok((inv, changes))
}

/// The kind and operands that compute `below` from `above` (which reads `below` once).
fn invert_step(
    g: &Graph,
    above: NodeId,
    below: NodeId,
) -> Result<(NodeKind, Vec<NodeId>), InterventionError> {
    let an = g.node(above);
    let name = &an.name;
    match &an.kind {
        NodeKind::Proxy { f } => {
            let op = match f.op {
                ProxyOp::Add => ProxyOp::Sub,
                ProxyOp::Sub => ProxyOp::Add,
                ProxyOp::Mul if f.k.is_zero() => {
                    return Err(not_invertible(format!(
                        "proxy step `{name}` multiplies by zero, which has no inverse"
                    )))
                }
                ProxyOp::Mul => ProxyOp::Div,
                ProxyOp::Div => ProxyOp::Mul,
            };
            Ok((
                NodeKind::Proxy {
                    f: ProxyFn { op, k: f.k },
                },
                vec![above],
            ))
        }
        NodeKind::Branch { .. } => Err(not_invertible(format!(
            "step `{name}` is a branch (if/else), which has no inverse"
        ))),
        NodeKind::Input { .. } | NodeKind::Constant => {
            Err(not_invertible(format!("`{name}` is not a computation")))
        }
        NodeKind::Step { expr } => {
            let slots: Vec<usize> = an
                .operands
                .iter()
                .enumerate()
                .filter(|(_, o)| **o == below)
                .map(|(i, _)| i)
                .collect();
            let s = match slots.as_slice() {
                [s] => *s as u32,
                _ => {
                    return Err(not_invertible(format!(
                        "step `{name}` reads `{}` more than once",
                        g.node(below).name
                    )))
                }
            };
            let mut uses = 0;
            expr.visit_args(&mut |i| uses += (i == s) as u32);
            if uses != 1 {
                return Err(not_invertible(format!(
                    "step `{name}` uses `{}` {uses} times; it must use it exactly once",
                    g.node(below).name
                )));
            }
            // New operand 0 is `above`; old slot j (j != s) moves to j + 1 when j < s, else j.
            let mut remap = |j: u32| if j < s { j + 1 } else { j };
            let mut operands = vec![above];
            operands.extend(
                an.operands
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i as u32 != s)
                    .map(|(_, o)| *o),
            );
            let mut acc = Expr::Arg(0);
            let mut e = expr;
            loop {
                match e {
                    Expr::Arg(_) => break,
                    Expr::Neg(inner) => {
                        acc = Expr::Neg(Box::new(acc));
                        e = inner;
                    }
                    Expr::Call(Func::Float, args) if args.len() == 1 => e = &args[0],
                    Expr::Call(func, _) => {
                        return Err(not_invertible(format!(
                            "step `{name}` uses {}(), which has no inverse",
                            func.python_name()
                        )))
                    }
                    Expr::Lit(_) => return Err(not_invertible("internal: operand not found")),
                    Expr::Bin(op, l, r) => {
                        let in_left = mentions(l, s);
                        let (other, inner) = if in_left { (r, l) } else { (l, r) };
                        let mut other = (**other).clone();
                        other.map_args(&mut remap);
                        let needs_nonzero =
                            matches!(op, BinOp::Mul) || (matches!(op, BinOp::Div) && !in_left);
                        if needs_nonzero {
                            let args: Vec<Number> =
                                an.operands.iter().map(|o| g.value(*o)).collect();
                            let side = if in_left { r } else { l };
                            if side.eval(&args).map(|v| v.is_zero()).unwrap_or(true) {
                                return Err(not_invertible(format!(
                                    "step `{name}` {} zero, which loses the value",
                                    if matches!(op, BinOp::Mul) {
                                        "multiplies by"
                                    } else {
                                        "divides"
                                    }
                                )));
                            }
                        }
                        acc = match (op, in_left) {
                            (BinOp::Add, _) => Expr::bin(BinOp::Sub, acc, other),
                            (BinOp::Sub, true) => Expr::bin(BinOp::Add, acc, other),
                            (BinOp::Sub, false) => Expr::bin(BinOp::Sub, other, acc),
                            (BinOp::Mul, _) => Expr::bin(BinOp::Div, acc, other),
                            (BinOp::Div, true) => Expr::bin(BinOp::Mul, acc, other),
                            (BinOp::Div, false) => Expr::bin(BinOp::Div, other, acc),
                            (op, _) => {
                                return Err(not_invertible(format!(
                                    "step `{name}` uses `{}`, which has no inverse",
                                    op.symbol()
                                )))
                            }
                        };
                        e = inner;
                    }
                }
            }
            Ok((NodeKind::Step { expr: acc }, operands))
        }
    }
}

fn mentions(e: &Expr, slot: u32) -> bool {
    let mut found = false;
    e.visit_args(&mut |i| found |= i == slot);
    found
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::graph::GraphBuilder;
    use crate::CmpOp;

    fn n(v: i128) -> Number {
        Number::int(v)
    }

    /// Eggs: 16 - 3 - 4 = 9 eggs sold, times 2 dollars = 18; plus a branch bonus.
    pub(crate) fn eggs() -> Graph {
        let mut b = GraphBuilder::new(None);
        let laid = b.input("eggs_per_day", n(16), None);
        let eaten = b.input("eggs_eaten", n(3), None);
        let baked = b.input("eggs_baked", n(4), None);
        let price = b.input("price", n(2), None);
        let left = b
            .step(
                "eggs_left",
                Expr::bin(
                    BinOp::Sub,
                    Expr::bin(BinOp::Sub, Expr::Arg(0), Expr::Arg(1)),
                    Expr::Arg(2),
                ),
                vec![laid, eaten, baked],
            )
            .unwrap();
        let money = b
            .step(
                "money",
                Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(1)),
                vec![left, price],
            )
            .unwrap();
        b.build(money).unwrap()
    }

    /// [`eggs`] with a distractor: an input named "spare" (7) that nothing reads.
    pub(crate) fn eggs_with_spare() -> Graph {
        let mut g = eggs();
        g.insert_node(
            Node {
                name: "spare".into(),
                kind: NodeKind::Input { span: None },
                operands: vec![],
                text: None,
            },
            n(7),
            None,
        )
        .unwrap();
        g
    }

    /// `proxy_words` writes what the formatting machinery writes: the target's name, `_`
    /// and the operation's word; the target's name, a space and the proxy's display.
    #[test]
    fn proxy_words_are_the_formatted_ones() {
        let g = eggs();
        let t = g.find("eggs_left").unwrap();
        let mut ks: Vec<Number> = (-12..=130)
            .chain([999, 1000, 1001, -100, 1 << 40])
            .map(n)
            .collect();
        ks.extend([Number::ratio(1, 2).unwrap(), Number::ratio(-7, 3).unwrap()]);
        for op in ProxyOp::ALL {
            for &k in &ks {
                let f = ProxyFn { op, k };
                let (name, text) = proxy_words(&g, t, f).unwrap();
                assert_eq!(name, format!("eggs_left_{}", proxy_suffix(op)));
                assert_eq!(text, format!("eggs_left {f}"));
            }
        }
    }

    fn branchy() -> Graph {
        let mut b = GraphBuilder::new(None);
        let x = b.input("x", n(12), None);
        let br = b
            .op(
                "bonus",
                NodeKind::Branch {
                    cond: Box::new(Cond::Cmp(CmpOp::Gt, Expr::Arg(0), Expr::Lit(n(10)))),
                    then: Box::new(Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Lit(n(2)))),
                    otherwise: Box::new(Expr::Arg(0)),
                },
                vec![x],
            )
            .unwrap();
        b.build(br).unwrap()
    }

    #[test]
    fn set_input_cascades() {
        let mut g = eggs();
        let eaten = g.find("eggs_eaten").unwrap();
        let d = apply(
            &mut g,
            &Intervention::SetInput {
                node: eaten,
                value: n(5),
            },
        )
        .unwrap();
        assert_eq!(d.answer, (n(18), n(14)));
        assert_eq!(d.changes.len(), 3);
        let mut full = g.clone();
        full.evaluate_all().unwrap();
        assert!(full.same_as(&g));
    }

    #[test]
    fn set_input_rejects_steps_and_rolls_back() {
        let mut g = eggs();
        let money = g.find("money").unwrap();
        let e = apply(
            &mut g,
            &Intervention::SetInput {
                node: money,
                value: n(1),
            },
        )
        .unwrap_err();
        assert!(matches!(e, InterventionError::NotAnInput { .. }));
        let e = apply(
            &mut g,
            &Intervention::SetInput {
                node: NodeId(99),
                value: n(1),
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("#99"));
    }

    #[test]
    fn graft_deepens_and_redirects() {
        let g = eggs();
        let left = g.find("eggs_left").unwrap();
        let f = ProxyFn {
            op: ProxyOp::Add,
            k: n(1),
        };
        let (h, d) = intervene(&g, &Intervention::Graft { node: left, f }).unwrap();
        assert_eq!(d.depth, (2, 3));
        assert_eq!(d.answer, (n(18), n(20)));
        assert_eq!(d.added.len(), 1);
        let p = d.added[0];
        assert_eq!(h.node(h.answer()).operands[0], p);
        // Graft on the answer: the proxy becomes the answer.
        let (h2, d2) = intervene(
            &h,
            &Intervention::Graft {
                node: h.answer(),
                f: ProxyFn {
                    op: ProxyOp::Div,
                    k: n(4),
                },
            },
        )
        .unwrap();
        assert_eq!(h2.answer(), d2.added[0]);
        assert_eq!(h2.answer_value(), n(5));
    }

    #[test]
    fn graft_with_cascade_matches_intervene() {
        // On every node (off the longest path, on it, the answer), twice stacked: the same
        // graph and the same diff, depths included, as a graft made in full.
        let g = eggs_with_spare();
        let f = ProxyFn {
            op: ProxyOp::Mul,
            k: n(2),
        };
        for base in [
            g.clone(),
            intervene(
                &g,
                &Intervention::Graft {
                    node: g.answer(),
                    f,
                },
            )
            .unwrap()
            .0,
        ] {
            for t in base.ids() {
                let iv = Intervention::Graft { node: t, f };
                let (full, d) = intervene(&base, &iv).unwrap();
                let mut scratch = base.clone();
                let p = graft_node(&mut scratch, t, f).unwrap();
                let changes = scratch.cascade(&[p]).unwrap();
                let value = f.apply(base.value(t)).unwrap();
                let alone = graft_graph(&base, t, f, value, &changes, None).unwrap();
                let (h, d2) = graft_with_cascade(&base, t, f, value, changes).unwrap();
                assert!(alone.identical(&h));
                assert!(h.same_as(&full));
                assert_eq!(d2.depth, (base.depth(), full.depth()));
                assert_eq!(d2.depth, d.depth);
                assert_eq!(d2.answer, d.answer);
                assert_eq!(d2.changes, d.changes);
            }
        }
    }

    #[test]
    fn graft_failure_leaves_graph() {
        let mut g = eggs();
        let before = serde_json::to_string(&g).unwrap();
        let price = g.find("price").unwrap();
        let e = apply(
            &mut g,
            &Intervention::Graft {
                node: price,
                f: ProxyFn {
                    op: ProxyOp::Div,
                    k: Number::ZERO,
                },
            },
        );
        assert!(e.is_err());
        assert_eq!(serde_json::to_string(&g).unwrap(), before);
    }

    #[test]
    fn distractor_counts() {
        let g = eggs();
        let money = g.find("money").unwrap();
        let (h, d) = intervene(
            &g,
            &Intervention::AddDistractor {
                name: "ducks".into(),
                value: n(7),
                combine: Some((BinOp::Add, money)),
            },
        )
        .unwrap();
        assert_eq!(d.added.len(), 2);
        assert_eq!(
            h.metrics().distractors,
            g.metrics().distractors + 1,
            "one more distractor"
        );
        assert_eq!(h.answer_value(), g.answer_value());
        assert_eq!(h.value(d.added[1]), n(25));
    }

    #[test]
    fn flip_and_threshold() {
        let g = branchy();
        let br = g.answer();
        let (h, d) = intervene(&g, &Intervention::FlipBranch { node: br }).unwrap();
        assert_eq!(d.answer, (n(24), n(12)));
        let (h2, _) = intervene(&h, &Intervention::FlipBranch { node: br }).unwrap();
        assert_eq!(h2.answer_value(), n(24));
        let (h3, _) = intervene(
            &g,
            &Intervention::SetThreshold {
                node: br,
                value: n(20),
            },
        )
        .unwrap();
        assert_eq!(h3.answer_value(), n(12));
        let e = intervene(&g, &Intervention::FlipBranch { node: NodeId(0) }).unwrap_err();
        assert!(matches!(e, InterventionError::NotABranch { .. }));
    }

    #[test]
    fn threshold_missing_is_clear() {
        let mut b = GraphBuilder::new(None);
        let x = b.input("x", n(3), None);
        let y = b.input("y", n(4), None);
        let br = b
            .op(
                "pick",
                NodeKind::Branch {
                    cond: Box::new(Cond::Cmp(CmpOp::Lt, Expr::Arg(0), Expr::Arg(1))),
                    then: Box::new(Expr::Arg(0)),
                    otherwise: Box::new(Expr::Arg(1)),
                },
                vec![x, y],
            )
            .unwrap();
        let g = b.build(br).unwrap();
        let e = intervene(
            &g,
            &Intervention::SetThreshold {
                node: br,
                value: n(1),
            },
        )
        .unwrap_err();
        assert!(matches!(e, InterventionError::NoThreshold { .. }));
        assert!(e.to_string().contains("pick"));
    }

    #[test]
    fn invert_recovers_input_and_moves_consistently() {
        let g = eggs();
        let eaten = g.find("eggs_eaten").unwrap();
        let (h, d) = intervene(&g, &Intervention::Invert { input: eaten }).unwrap();
        assert_eq!(h.answer(), eaten);
        assert_eq!(h.answer_value(), g.value(eaten));
        assert_eq!(d.answer, (g.answer_value(), g.value(eaten)));
        // Change the given (old answer) and check against the original forward problem.
        let given = g.answer();
        for target in [10, 20, 26] {
            let (h2, _) = intervene(
                &h,
                &Intervention::SetInput {
                    node: given,
                    value: n(target),
                },
            )
            .unwrap();
            let solved = h2.answer_value();
            let (fwd, _) = intervene(
                &g,
                &Intervention::SetInput {
                    node: eaten,
                    value: solved,
                },
            )
            .unwrap();
            assert_eq!(fwd.answer_value(), n(target));
        }
    }

    #[test]
    fn invert_rejects_non_invertible() {
        let mut b = GraphBuilder::new(None);
        let x = b.input("x", n(3), None);
        let sq = b
            .step(
                "sq",
                Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Arg(0)),
                vec![x],
            )
            .unwrap();
        let r = b
            .step("r", Expr::Call(Func::Round, vec![Expr::Arg(0)]), vec![sq])
            .unwrap();
        let g = b.clone().build(sq).unwrap();
        let e = intervene(&g, &Intervention::Invert { input: x }).unwrap_err();
        assert!(e.to_string().contains("2 times"), "{e}");
        let g2 = b.build(r).unwrap();
        let mut b3 = GraphBuilder::new(None);
        let x3 = b3.input("x", n(3), None);
        let r3 = b3
            .step("r", Expr::Call(Func::Round, vec![Expr::Arg(0)]), vec![x3])
            .unwrap();
        let g3 = b3.build(r3).unwrap();
        let e = intervene(&g3, &Intervention::Invert { input: x3 }).unwrap_err();
        assert!(e.to_string().contains("round()"), "{e}");
        let _ = g2;
        let mut b4 = GraphBuilder::new(None);
        let x4 = b4.input("x", n(3), None);
        let y4 = b4
            .step(
                "y",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Lit(n(1))),
                vec![x4],
            )
            .unwrap();
        let z4 = b4
            .step(
                "z",
                Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                vec![x4, y4],
            )
            .unwrap();
        let g4 = b4.build(z4).unwrap();
        let e = intervene(&g4, &Intervention::Invert { input: x4 }).unwrap_err();
        assert!(e.to_string().contains("2 paths"), "{e}");
    }

    #[test]
    fn invert_through_proxy_and_division() {
        let mut b = GraphBuilder::new(None);
        let a = b.input("a", n(48), None);
        let h = b.input("h", n(2), None);
        let may = b
            .step(
                "may",
                Expr::bin(BinOp::Div, Expr::Arg(1), Expr::Arg(0)),
                vec![h, a],
            )
            .unwrap();
        let g = b.build(may).unwrap();
        let (g, _) = intervene(
            &g,
            &Intervention::Graft {
                node: may,
                f: ProxyFn {
                    op: ProxyOp::Sub,
                    k: n(4),
                },
            },
        )
        .unwrap();
        let (inv, _) = intervene(&g, &Intervention::Invert { input: h }).unwrap();
        assert_eq!(inv.answer_value(), n(2));
        let mut full = inv.clone();
        full.evaluate_all().unwrap();
        assert!(full.same_as(&inv));
    }

    #[test]
    fn serde_tags() {
        let iv = Intervention::Graft {
            node: NodeId(3),
            f: ProxyFn {
                op: ProxyOp::Mul,
                k: n(2),
            },
        };
        let j = serde_json::to_string(&iv).unwrap();
        assert!(j.contains(r#""op":"graft""#), "{j}");
        let back: Intervention = serde_json::from_str(&j).unwrap();
        assert_eq!(back, iv);
    }
}
