//! A seeded sampler of interventions that keep a problem natural.
//!
//! It draws a target and parameters (a graft's node, operation and `k`, or an input's new
//! value), applies the intervention and keeps drawing until [`check`] finds no violation.
//! The same graph, settings and seed always give the same result.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::constraints::holds_with_values;
use crate::constraints::{check_nodes, Constraints, RuleCache, Violation};
use crate::graph::{Graph, NodeId, NodeKind, ProxyFn, ProxyOp, ValueChange};
use crate::intervene::{graft_graph, graft_with_cascade, intervene, Diff, Intervention};
use crate::limits::MAX_NODES;
use crate::number::Number;

/// Which kind of intervention to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// A graft `t' = f(t)` (deep intervention).
    #[default]
    Graft,
    /// A new value for an input (basic intervention).
    SetInput,
}

/// The draws a sampler makes before giving up, unless told otherwise.
pub(crate) const MAX_DRAWS: u32 = 200;

/// Sampler settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleConfig {
    /// What to draw.
    pub kind: SampleKind,
    /// The most draws before giving up.
    pub max_draws: u32,
    /// Allowed target nodes; `None` means every input (and, for grafts, every operation)
    /// the answer depends on.
    pub targets: Option<Vec<NodeId>>,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            kind: SampleKind::Graft,
            max_draws: MAX_DRAWS,
            targets: None,
        }
    }
}

/// A successful draw.
#[derive(Debug, Clone)]
pub struct Sampled {
    /// The intervention drawn.
    pub intervention: Intervention,
    /// The graph after it.
    pub graph: Graph,
    /// What changed.
    pub diff: Diff,
    /// How many draws it took (1 = the first one held).
    pub draws: u32,
}

/// Why sampling failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    /// No node can be the target of this kind of intervention.
    #[error("no candidate target: {reason}")]
    NoCandidates {
        /// Why there is none.
        reason: String,
    },
    /// Every draw broke a constraint or failed to compute.
    #[error("gave up after {draws} draws: {reason} (loosen the constraints or allow more draws)")]
    GaveUp {
        /// How many draws were made.
        draws: u32,
        /// The last draw's failure (violations or error).
        reason: String,
    },
}

/// Draws an intervention on `g` that satisfies `c`, deterministically for `seed`.
pub fn sample(
    g: &Graph,
    cfg: &SampleConfig,
    c: &Constraints,
    seed: u64,
) -> Result<Sampled, SampleError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    sample_with(g, cfg, c, &mut rng)
}

/// Like [`sample`], drawing from an existing generator.
pub fn sample_with(
    g: &Graph,
    cfg: &SampleConfig,
    c: &Constraints,
    rng: &mut ChaCha8Rng,
) -> Result<Sampled, SampleError> {
    sample_against(g, g, cfg, c, rng)
}

/// Draws an intervention on `g` (itself derived from `original`) whose result satisfies `c`
/// when checked against `original`.
pub fn sample_against(
    original: &Graph,
    g: &Graph,
    cfg: &SampleConfig,
    c: &Constraints,
    rng: &mut ChaCha8Rng,
) -> Result<Sampled, SampleError> {
    let draw = Draw {
        kind: cfg.kind,
        max_draws: cfg.max_draws,
        targets: cfg.targets.as_deref(),
        diff: true,
        refs: None,
        refuse: None,
        prepared: false,
    };
    let mut room = DrawRoom::default();
    let d = sample_draw(original, g, &draw, c, rng, &mut room)?;
    // Nothing is refused above, so the graph is built; built here otherwise.
    let graph = match d.graph {
        Some(graph) => graph,
        None => build_refused(g, &d.intervention, &room)?,
    };
    let diff = match d.diff {
        Some(diff) => *diff,
        // Asked for above, so always there; worked out again rather than assumed.
        None => {
            intervene(g, &d.intervention)
                .map_err(|e| SampleError::GaveUp {
                    draws: d.draws,
                    reason: e.to_string(),
                })?
                .1
        }
    };
    Ok(Sampled {
        intervention: d.intervention,
        graph,
        diff,
        draws: d.draws,
    })
}

/// A successful [`sample_draw`]: a [`Sampled`] whose diff is made only when asked for.
pub(crate) struct Drawn {
    /// The intervention drawn.
    pub(crate) intervention: Intervention,
    /// The graph after it; `None` for a draw [`Draw::refuse`] refused (which
    /// [`build_refused`] builds, if it is wanted after all).
    pub(crate) graph: Option<Graph>,
    /// What changed, when [`Draw::diff`] asked for it (boxed: the curriculum never asks, and
    /// a draw is moved by copying it, so it is kept small).
    pub(crate) diff: Option<Box<Diff>>,
    /// How many draws it took.
    pub(crate) draws: u32,
}

/// The vectors [`sample_draw`] works in, kept by a caller that samples again and again (the
/// curriculum, round after round) so that each call reuses their room.
#[derive(Default)]
pub(crate) struct DrawRoom {
    /// The nodes a draw picks from.
    candidates: Vec<NodeId>,
    /// A copy of the graph's values that each draw's change is simulated on.
    values: Vec<Number>,
    /// The simulation's scratch.
    scratch: Scratch,
    /// The value changes of the latest draw.
    cascade: Vec<ValueChange>,
    /// The constraints' tests of whole values, per node of the original.
    rules: RuleCache,
}

impl DrawRoom {
    /// The position right after the target of the latest simulation that held, in the
    /// evaluation order of the graph drawn on (the proxy's position once grafted).
    pub(crate) fn target_after(&self) -> usize {
        self.scratch.after
    }

    /// Readies the room's rules for draws on graphs derived from `original` under `c` (see
    /// [`Draw::prepared`]).
    pub(crate) fn prepare(&mut self, original: &Graph, c: &Constraints) {
        self.rules.prepare(original, c);
    }

    /// Empties every vector (what an earlier caller left), with room for graphs of up to
    /// `nodes` nodes.
    pub(crate) fn reserve(&mut self, nodes: usize) {
        self.candidates.clear();
        self.candidates.reserve(nodes);
        self.values.clear();
        self.values.reserve(nodes);
        self.scratch.desc.clear();
        self.scratch.desc.reserve(nodes);
        self.scratch.mark.clear();
        self.scratch.mark.reserve(nodes);
        self.cascade.clear();
        self.cascade.reserve(nodes);
    }
}

/// What [`sample_draw`] draws: a [`SampleConfig`] whose targets are borrowed.
pub(crate) struct Draw<'a> {
    /// What to draw.
    pub(crate) kind: SampleKind,
    /// The most draws before giving up.
    pub(crate) max_draws: u32,
    /// Allowed target nodes, as in [`SampleConfig::targets`].
    pub(crate) targets: Option<&'a [NodeId]>,
    /// Whether to make the [`Diff`] (the curriculum keeps only the graph).
    pub(crate) diff: bool,
    /// The [`crate::constraints::fill_references`] table of the graph drawn on, when the
    /// caller keeps it (the curriculum does, from round to round); worked out node by node
    /// otherwise.
    pub(crate) refs: Option<&'a [u32]>,
    /// A test of a graft that holds: true when the caller will find it poor whatever its
    /// graph (the curriculum's change that undoes the one before it), so that its graph is
    /// not built (the draw is returned with none).
    pub(crate) refuse: Option<&'a dyn Fn(&Intervention) -> bool>,
    /// Whether the room's rules are ready for the original and the constraints drawn with
    /// ([`DrawRoom::prepare`] called with them since): a caller drawing again and again
    /// readies them once.
    pub(crate) prepared: bool,
}

/// [`sample_against`] with the settings borrowed (the curriculum draws from lists it reuses).
/// Inlined into its callers: a draw is large (it holds a graph), and returned from a call it
/// was built beside the caller's slot and copied in, then copied again where the curriculum
/// keeps it; inlined, it is built where it is kept, and the curriculum's constant settings
/// (a graft, no diff) fold away.
#[inline(always)]
pub(crate) fn sample_draw(
    original: &Graph,
    g: &Graph,
    cfg: &Draw<'_>,
    c: &Constraints,
    rng: &mut ChaCha8Rng,
    room: &mut DrawRoom,
) -> Result<Drawn, SampleError> {
    let DrawRoom {
        candidates,
        values,
        scratch,
        cascade,
        rules,
    } = room;
    if !cfg.prepared {
        rules.prepare(original, c);
    }
    let eligible = |id: NodeId| -> bool {
        let Ok(node) = g.get(id) else { return false };
        match cfg.kind {
            SampleKind::SetInput => matches!(node.kind, NodeKind::Input { .. }),
            SampleKind::Graft => !matches!(node.kind, NodeKind::Constant),
        }
    };
    candidates.clear();
    // The targets themselves when every one is eligible (nearly always: the curriculum's are
    // steps and inputs), drawn from in place rather than copied.
    let candidates: &[NodeId] = match cfg.targets {
        Some(t) if t.iter().all(|&id| eligible(id)) => t,
        Some(t) => {
            candidates.extend(t.iter().copied().filter(|&id| eligible(id)));
            candidates
        }
        None => {
            let relevant = g.relevant();
            candidates.extend(
                g.order()
                    .iter()
                    .copied()
                    .filter(|&id| relevant[id.index()] && eligible(id)),
            );
            candidates
        }
    };
    if candidates.is_empty() {
        return Err(SampleError::NoCandidates {
            reason: match cfg.kind {
                SampleKind::SetInput => "the answer depends on no input".into(),
                SampleKind::Graft => "no input or step among the allowed targets".into(),
            },
        });
    }
    // Draws are judged on a scratch copy of the values (the change is simulated, not made);
    // only the accepted draw is applied to a copy of the graph.
    values.clear();
    values.extend_from_slice(g.values());
    let mut last: Option<Rejected> = None;
    for draw in 1..=cfg.max_draws {
        let t = candidates[rng.random_range(0..candidates.len() as u32) as usize];
        let value = g.value(t);
        let (iv, root_value) = match cfg.kind {
            SampleKind::Graft => {
                let f = draw_proxy(rng, value);
                // Most rejections come from the proxy's own value: test it before grafting.
                match f.apply(value) {
                    Ok(v) if rules.proxy_allowed(original, g, cfg.refs, t, &f, v, c) => {
                        (Intervention::Graft { node: t, f }, v)
                    }
                    Ok(v) => {
                        last = Some(Rejected::Proxy { t, f, v });
                        continue;
                    }
                    Err(e) => {
                        last = Some(Rejected::Error(e.to_string()));
                        continue;
                    }
                }
            }
            SampleKind::SetInput => {
                let v = draw_value(rng, value);
                (Intervention::SetInput { node: t, value: v }, v)
            }
        };
        // A graft makes every reader of `t` read `f(t)`; setting an input makes every reader
        // read the new value: either way the cascade is that of `t` taking `root_value`.
        let root_checked = cfg.kind == SampleKind::SetInput && root_value != value;
        cascade.clear();
        if simulate(
            original,
            g,
            cfg.refs,
            t,
            root_value,
            root_checked,
            c,
            values,
            cascade,
            scratch,
            rules,
        ) {
            // A refused graft is returned without its graph (kept for `build_refused` in
            // the room's cascade), unless building it could fail (at the node limit), which
            // rejects the draw below.
            if let (Intervention::Graft { .. }, Some(refuse)) = (&iv, cfg.refuse) {
                if g.len() < MAX_NODES && refuse(&iv) {
                    return Ok(Drawn {
                        intervention: iv,
                        graph: None,
                        diff: None,
                        draws: draw,
                    });
                }
            }
            // A graft's cascade is the one just simulated: the graph is built without
            // computing it again. (Without a diff, the graph goes straight into the draw
            // returned, rather than through a tuple: a graph is moved by copying it.)
            let made = match iv {
                Intervention::Graft { node, f } if !cfg.diff => {
                    // (Where the target is, as the simulation found it.)
                    match graft_graph(g, node, f, root_value, cascade, Some(scratch.after)) {
                        Ok(graph) => {
                            return Ok(Drawn {
                                intervention: iv,
                                graph: Some(graph),
                                diff: None,
                                draws: draw,
                            })
                        }
                        Err(e) => {
                            last = Some(Rejected::Error(e.to_string()));
                            continue;
                        }
                    }
                }
                Intervention::Graft { node, f } => {
                    graft_with_cascade(g, node, f, root_value, std::mem::take(cascade))
                        .map(|(graph, diff)| (graph, Some(Box::new(diff))))
                }
                _ => intervene(g, &iv).map(|(graph, diff)| (graph, Some(Box::new(diff)))),
            };
            match made {
                Ok((graph, diff)) => {
                    debug_assert!(diff.as_ref().is_none_or(|diff| check_nodes(
                        original,
                        &graph,
                        touched(diff),
                        c
                    )
                    .is_empty()));
                    return Ok(Drawn {
                        intervention: iv,
                        graph: Some(graph),
                        diff,
                        draws: draw,
                    });
                }
                Err(e) => last = Some(Rejected::Error(e.to_string())),
            }
        } else {
            last = Some(Rejected::Draw(iv));
        }
    }
    let reason = match last {
        None => String::from("no draw was made (max_draws is 0)"),
        Some(Rejected::Error(e)) => e,
        Some(Rejected::Proxy { t, f, v }) => {
            format!(
                "{f} on {} gives {v}, outside the constraints",
                g.node(t).name
            )
        }
        Some(Rejected::Draw(iv)) => match intervene(g, &iv) {
            Ok((graph, diff)) => describe(&check_nodes(original, &graph, touched(&diff), c)),
            Err(e) => e.to_string(),
        },
    };
    Err(SampleError::GaveUp {
        draws: cfg.max_draws,
        reason,
    })
}

/// The graph of a draw [`sample_draw`] returned without one ([`Draw::refuse`]), given the
/// room of that call (whose cascade is the draw's, when no draw was made since).
pub(crate) fn build_refused(
    g: &Graph,
    iv: &Intervention,
    room: &DrawRoom,
) -> Result<Graph, SampleError> {
    let gave_up = |reason: String| SampleError::GaveUp { draws: 1, reason };
    match iv {
        Intervention::Graft { node, f } => {
            let value = f
                .apply(g.value(*node))
                .map_err(|e| gave_up(e.to_string()))?;
            graft_graph(g, *node, *f, value, &room.cascade, Some(room.scratch.after))
                .map_err(|e| gave_up(e.to_string()))
        }
        _ => intervene(g, iv)
            .map(|(graph, _)| graph)
            .map_err(|e| gave_up(e.to_string())),
    }
}

/// Why the latest draw was rejected (its message is written only if sampling gives up).
enum Rejected {
    /// The proxy's own value broke a rule.
    Proxy { t: NodeId, f: ProxyFn, v: Number },
    /// The intervention broke a rule downstream.
    Draw(Intervention),
    /// Computing failed.
    Error(String),
}

/// The nodes an intervention changed or added.
fn touched(diff: &Diff) -> impl Iterator<Item = NodeId> + '_ {
    diff.changes
        .iter()
        .map(|ch| ch.node)
        .chain(diff.added.iter().copied())
}

/// Vectors a draw's simulation fills and empties again, kept between draws.
#[derive(Default)]
struct Scratch {
    /// One node's operand values.
    args: Vec<Number>,
    /// The descendants of the drawn target found so far, in evaluation order (whose marks
    /// are cleared again).
    desc: Vec<NodeId>,
    /// One mark per node, for finding the descendants (all false between simulations).
    mark: Vec<bool>,
    /// The position right after the target of the latest simulation that held, in
    /// evaluation order (where a graft on it puts the proxy).
    after: usize,
}

/// Simulates every reader of `t` seeing `root_value` instead of `t`'s value (given `g`'s
/// [`crate::constraints::fill_references`] table when there is one): recomputes the
/// descendants of `t` in `values` (a copy of `g`'s values, restored before returning) and
/// checks the nodes whose value changed (and `t` itself when `root_checked`). False when a
/// value cannot be computed or a rule is broken. When true, `cascade` holds the descendants
/// whose value changed, in evaluation order (what [`Graph::cascade`] reports); when false, it
/// is empty.
#[allow(clippy::too_many_arguments)]
fn simulate(
    original: &Graph,
    g: &Graph,
    refs: Option<&[u32]>,
    t: NodeId,
    root_value: Number,
    root_checked: bool,
    c: &Constraints,
    values: &mut [Number],
    cascade: &mut Vec<ValueChange>,
    scratch: &mut Scratch,
    rules: &mut RuleCache,
) -> bool {
    let Scratch {
        args,
        desc,
        mark,
        after,
    } = scratch;
    values[t.index()] = root_value;
    // The changes are written as they are found (the list of the changed nodes, to restore
    // their values, and the cascade to report, in one).
    cascade.clear();
    // Each changed node is checked as soon as its value is known (a node's check reads only
    // values before it), so that a draw stops at its first broken rule.
    let mut ok = !root_checked || rules.holds(original, g, refs, t, values, c);
    // The descendants are found as the simulation reaches them (what
    // `Graph::descendants_of_into` finds: a node after `t` in evaluation order that reads
    // `t` or a descendant), so that a draw stopping at a broken rule looks no further.
    debug_assert!(mark.iter().all(|&m| !m));
    if mark.len() < g.len() {
        mark.resize(g.len(), false);
    }
    desc.clear();
    mark[t.index()] = true;
    let start = if ok {
        g.position_from_end(t).map_or(g.order().len(), |p| p + 1)
    } else {
        g.order().len()
    };
    *after = start;
    for &id in &g.order()[start..] {
        let node = g.node(id);
        if !node.operands.iter().any(|o| mark[o.index()]) {
            continue;
        }
        mark[id.index()] = true;
        desc.push(id);
        let own = g.value(id);
        let computed = match (&node.kind, node.operands.first()) {
            // A proxy (the curriculum's chains are made of them) reads its first operand
            // alone: what `compute` gives, without gathering the operands.
            (NodeKind::Proxy { f }, Some(o)) => f.apply(values[o.index()]),
            _ => {
                args.clear();
                args.extend(node.operands.iter().map(|o| values[o.index()]));
                node.kind.compute(args, own)
            }
        };
        match computed {
            Ok(v) => {
                if v != own {
                    values[id.index()] = v;
                    cascade.push(ValueChange {
                        node: id,
                        old: own,
                        new: v,
                    });
                    ok = rules.holds(original, g, refs, id, values, c);
                }
            }
            Err(_) => ok = false,
        }
        if !ok {
            break;
        }
    }
    mark[t.index()] = false;
    for &id in desc.iter() {
        mark[id.index()] = false;
    }
    // Only the root and the changed nodes were written.
    values[t.index()] = g.value(t);
    for ch in cascade.iter() {
        values[ch.node.index()] = ch.old;
    }
    if !ok {
        cascade.clear();
    }
    debug_assert!(values == g.values());
    ok
}

fn describe(v: &[Violation]) -> String {
    let mut s = v
        .iter()
        .take(3)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    if v.len() > 3 {
        s.push_str(&format!("; and {} more", v.len() - 3));
    }
    s
}

/// Draws `f = op k`: `k` in 1..=max(10, |t|) for ±, 2..=5 for × and ÷.
fn draw_proxy(rng: &mut ChaCha8Rng, t: Number) -> ProxyFn {
    let op = ProxyOp::ALL[rng.random_range(0..4u32) as usize];
    let k = match op {
        ProxyOp::Add | ProxyOp::Sub => {
            let scale = t
                .abs()
                .ok()
                .and_then(|a| a.floor().to_integer())
                .unwrap_or(10)
                .clamp(10, 1000) as i64;
            rng.random_range(1..=scale)
        }
        ProxyOp::Mul | ProxyOp::Div => rng.random_range(2..=5i64),
    };
    ProxyFn {
        op,
        k: Number::from(k),
    }
}

/// Draws a new value near `v` (between about half and double), never `v` itself.
fn draw_value(rng: &mut ChaCha8Rng, v: Number) -> Number {
    if let Some(i) = v.to_integer() {
        let a = i.unsigned_abs().min(1 << 60) as i64;
        let (lo, hi) = ((a / 2).max(1), (a * 2).max(10));
        let mut x = rng.random_range(lo..=hi);
        if x == a {
            x = if x < hi { x + 1 } else { x - 1 };
        }
        Number::from(if i < 0 { -x } else { x })
    } else {
        // Scale by n/4 for n in 1..=8, n != 4: keeps decimals short.
        let mut s = rng.random_range(1..=7i64);
        if s >= 4 {
            s += 1;
        }
        Number::ratio(s as i128, 4)
            .and_then(|r| v.mul(r))
            .unwrap_or(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraints::check;
    use crate::intervene::tests::eggs;

    #[test]
    fn deterministic_and_valid() {
        let g = eggs();
        let c = Constraints::default();
        for kind in [SampleKind::Graft, SampleKind::SetInput] {
            let cfg = SampleConfig {
                kind,
                ..Default::default()
            };
            for seed in 0..20 {
                let a = sample(&g, &cfg, &c, seed).unwrap();
                let b = sample(&g, &cfg, &c, seed).unwrap();
                assert_eq!(a.intervention, b.intervention);
                assert_eq!(a.draws, b.draws);
                assert!(check(&g, &a.graph, &c).is_empty());
                assert!(a.draws >= 1);
            }
        }
    }

    /// Constraints tight enough that some draws are rejected before one is kept.
    fn factor_capped() -> Constraints {
        Constraints {
            max_factor: Some(Number::int(20)),
            ..Constraints::default()
        }
    }

    #[test]
    fn a_sampled_graft_is_the_graft_intervene_makes() {
        // The sampler builds a graft's graph from the cascade it simulated: the graph and the
        // diff must be those `intervene` computes, chained over several rounds and
        // constraints (so that some draws are rejected first).
        let c = factor_capped();
        for seed in 0..40 {
            let mut g = eggs();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..4 {
                let s = sample_with(&g, &SampleConfig::default(), &c, &mut rng).unwrap();
                let (graph, diff) = intervene(&g, &s.intervention).unwrap();
                assert!(
                    s.graph.identical(&graph),
                    "seed {seed}: {:?}",
                    s.intervention
                );
                assert_eq!(s.diff, diff, "seed {seed}: {:?}", s.intervention);
                g = s.graph;
            }
        }
    }

    #[test]
    fn a_refused_draw_is_built_as_if_accepted() {
        // A draw the caller refuses comes back without its graph, after the same draws as
        // one accepted; `build_refused` then gives the graph the sampler would have built.
        let c = factor_capped();
        for seed in 0..40 {
            let mut g = eggs();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut refused_rng = rng.clone();
            for _ in 0..4 {
                let plain = Draw {
                    kind: SampleKind::Graft,
                    max_draws: MAX_DRAWS,
                    targets: None,
                    diff: false,
                    refs: None,
                    refuse: None,
                    prepared: false,
                };
                let always = |_: &Intervention| true;
                let refusing = Draw {
                    refuse: Some(&always),
                    ..plain
                };
                let mut room = DrawRoom::default();
                let a = sample_draw(&g, &g, &plain, &c, &mut rng, &mut room).unwrap();
                let b = sample_draw(&g, &g, &refusing, &c, &mut refused_rng, &mut room).unwrap();
                assert!(b.graph.is_none());
                assert_eq!((&a.intervention, a.draws), (&b.intervention, b.draws));
                let built = build_refused(&g, &b.intervention, &room).unwrap();
                let graph = a.graph.unwrap();
                assert!(built.identical(&graph), "seed {seed}: {:?}", a.intervention);
                assert_eq!(
                    serde_json::to_string(&built).unwrap(),
                    serde_json::to_string(&graph).unwrap()
                );
                g = graph;
            }
        }
    }

    #[test]
    fn a_simulation_stopping_at_the_first_broken_rule_judges_as_a_full_one() {
        // The reference: every descendant worked out, then every changed node checked.
        let full = |original: &Graph,
                    g: &Graph,
                    t: NodeId,
                    root: Number,
                    root_checked: bool,
                    c: &Constraints| {
            let mut values = g.values().to_vec();
            values[t.index()] = root;
            let mut changed = if root_checked { vec![t] } else { Vec::new() };
            for id in g.descendants(&[t]) {
                let node = g.node(id);
                let args: Vec<Number> = node.operands.iter().map(|o| values[o.index()]).collect();
                match node.kind.compute(&args, g.value(id)) {
                    Ok(v) if v != g.value(id) => {
                        values[id.index()] = v;
                        changed.push(id);
                    }
                    Ok(_) => {}
                    Err(_) => return None,
                }
            }
            holds_with_values(original, g, changed.iter().copied(), &values, c).then(|| {
                changed
                    .iter()
                    .filter(|&&id| id != t)
                    .map(|&id| (id, values[id.index()]))
                    .collect::<Vec<_>>()
            })
        };
        let original = eggs();
        let mut graphs = vec![original.clone()];
        // Grafts stacked and readers redirected, as the curriculum makes them.
        for seed in 0..4u64 {
            let mut g = original.clone();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for _ in 0..5 {
                g = sample_with(&g, &SampleConfig::default(), &Constraints::none(), &mut rng)
                    .unwrap()
                    .graph;
                graphs.push(g.clone());
            }
        }
        let (mut held, mut broken) = (0, 0);
        for c in [Constraints::default(), Constraints::none()] {
            for g in &graphs {
                let mut room = DrawRoom::default();
                room.values.extend_from_slice(g.values());
                // The references looked up for every other target, walked for the rest.
                let mut table = Vec::new();
                crate::constraints::fill_references(&original, g, &mut table);
                for t in g.ids() {
                    for root in [-7, 0, 1, 3, 17, 10_000, 1_000_000]
                        .map(Number::int)
                        .into_iter()
                        .chain([Number::ratio(1, 3).unwrap(), Number::ratio(5, 2).unwrap()])
                    {
                        for root_checked in [false, true] {
                            room.cascade.clear();
                            let DrawRoom {
                                values,
                                scratch,
                                cascade,
                                rules,
                                ..
                            } = &mut room;
                            rules.prepare(&original, &c);
                            let got = simulate(
                                &original,
                                g,
                                (t.0 % 2 == 0).then_some(table.as_slice()),
                                t,
                                root,
                                root_checked,
                                &c,
                                values,
                                cascade,
                                scratch,
                                rules,
                            );
                            assert_eq!(values.as_slice(), g.values(), "values restored");
                            let want = full(&original, g, t, root, root_checked, &c);
                            assert_eq!(got, want.is_some(), "{t} {root}");
                            if let Some(want) = want {
                                let got: Vec<_> =
                                    cascade.iter().map(|ch| (ch.node, ch.new)).collect();
                                assert_eq!(got, want);
                                held += 1;
                            } else {
                                broken += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(held > 100 && broken > 100, "{held} {broken}");
    }

    #[test]
    fn seeds_differ() {
        let g = eggs();
        let cfg = SampleConfig::default();
        let c = Constraints::default();
        let all: std::collections::HashSet<String> = (0..20)
            .map(|s| format!("{:?}", sample(&g, &cfg, &c, s).unwrap().intervention))
            .collect();
        assert!(all.len() > 3);
    }

    #[test]
    fn gives_up_with_reason() {
        let g = eggs();
        let tight = Constraints {
            max_factor: Some(Number::ONE),
            ..Constraints::default()
        };
        let cfg = SampleConfig {
            max_draws: 5,
            ..Default::default()
        };
        match sample(&g, &cfg, &tight, 1) {
            Err(SampleError::GaveUp { draws, reason }) => {
                assert_eq!(draws, 5);
                assert!(!reason.is_empty());
            }
            other => panic!("expected GaveUp, got {other:?}"),
        }
        let none = SampleConfig {
            targets: Some(vec![]),
            ..Default::default()
        };
        assert!(matches!(
            sample(&g, &none, &tight, 1),
            Err(SampleError::NoCandidates { .. })
        ));
    }
}
