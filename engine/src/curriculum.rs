//! Curricula: chains of ever deeper variants of one problem.
//!
//! Round `r` of a chain grafts one proxy step onto the current critical path (a node on a
//! longest source→answer path) of round `r - 1`, so the depth rises by one per round. Every
//! variant records its lineage, from which [`regenerate`] rebuilds it bit for bit.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::constraints::Constraints;
use crate::graph::{Graph, Metrics, NodeId, NodeKind};
use crate::intervene::{Intervention, InterventionError};
use crate::number::Number;
use crate::sample::{build_refused, sample_draw, Draw, DrawRoom, Drawn, SampleKind, MAX_DRAWS};

/// Curriculum settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurriculumConfig {
    /// Rounds per chain (1..=8); round `r` is `r` grafts deep.
    pub rounds: u32,
    /// Independent chains per problem.
    pub per_problem: u32,
    /// The master seed.
    pub seed: u64,
    /// Constraints every variant must satisfy against the original.
    #[serde(default)]
    pub constraints: Constraints,
}

impl Default for CurriculumConfig {
    fn default() -> Self {
        CurriculumConfig {
            rounds: 3,
            per_problem: 1,
            seed: 0,
            constraints: Constraints::default(),
        }
    }
}

impl CurriculumConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), CurriculumError> {
        if !(1..=8).contains(&self.rounds) {
            return Err(CurriculumError::BadRounds(self.rounds));
        }
        Ok(())
    }
}

/// Why a curriculum could not be made or a variant regenerated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurriculumError {
    /// `rounds` is outside 1..=8.
    #[error("rounds must be between 1 and 8, got {0}")]
    BadRounds(u32),
    /// Replaying a lineage failed at one operation.
    #[error("cannot replay operation {index} of the lineage: {source} (is this the right original problem?)")]
    Replay {
        /// The failing operation's position in the lineage.
        index: usize,
        /// Why it failed.
        source: InterventionError,
    },
    /// The lineage is longer than [`crate::limits::MAX_INTERVENTIONS`].
    #[error("cannot replay the lineage: {0}")]
    Limit(#[from] crate::limits::LimitError),
}

/// How a variant was made from its original: enough to rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// The original problem's id.
    pub source_id: String,
    /// The chain's sub-seed.
    pub seed: u64,
    /// The interventions, in the order they were applied.
    pub operations: Vec<Intervention>,
}

/// One generated problem of a curriculum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variant {
    /// The original problem's id.
    pub source_id: String,
    /// The round (1 = one graft).
    pub round: u32,
    /// The chain's sub-seed.
    pub seed: u64,
    /// The interventions from the original to this variant.
    pub operations: Vec<Intervention>,
    /// The variant's graph.
    pub graph: Graph,
    /// Its metrics.
    pub metrics: Metrics,
    /// Its answer.
    pub answer: Number,
}

impl Variant {
    /// The lineage that regenerates this variant.
    pub fn lineage(&self) -> Lineage {
        Lineage {
            source_id: self.source_id.clone(),
            seed: self.seed,
            operations: self.operations.clone(),
        }
    }
}

/// One chain of rounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chain {
    /// The chain's index among the problem's chains.
    pub index: u32,
    /// Its sub-seed.
    pub seed: u64,
    /// The variants, round 1 first.
    pub variants: Vec<Variant>,
    /// Why the chain stopped before the last round, if it did.
    pub stopped: Option<String>,
}

/// A stable 64-bit mix (splitmix64 finaliser).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sub-seed of chain `chain` of problem `source_id` under master seed `seed`
/// (stable across platforms and versions).
pub fn sub_seed(seed: u64, source_id: &str, chain: u32) -> u64 {
    // FNV-1a over the id, then mixed with the seed and chain index.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in source_id.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(mix(seed ^ h) ^ (chain as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// The nodes on a longest source→answer path (counted in operations), in evaluation order.
pub fn critical_path(g: &Graph) -> Vec<NodeId> {
    let (mut path, mut down) = (Vec::new(), Vec::new());
    fill_down(g, &mut down);
    g.with_levels(|levels| critical_path_into(g, levels, &down, &mut path));
    path
}

/// Fills `down` with, per node, the most operations on a path from it to the answer after
/// it, and `i64::MIN` for the nodes the answer does not depend on (so that `!= i64::MIN`
/// marks what [`Graph::relevant`] marks).
fn fill_down(g: &Graph, down: &mut Vec<i64>) {
    down.clear();
    down.resize(g.len(), i64::MIN);
    down[g.answer().index()] = 0;
    for &id in g.order().iter().rev() {
        let d = down[id.index()];
        if d == i64::MIN {
            continue;
        }
        let own = g.node(id).kind.is_operation() as i64;
        for &o in &g.node(id).operands {
            let cand = d + own;
            if cand > down[o.index()] {
                down[o.index()] = cand;
            }
        }
    }
}

/// [`critical_path`] into `path` (emptied first), given the graph's [`Graph::levels`] and
/// [`fill_down`]'s distances.
fn critical_path_into(g: &Graph, levels: &[u32], down: &[i64], path: &mut Vec<NodeId>) {
    let depth = levels[g.answer().index()] as i64;
    // Room for every node at once (a filtered collect would grow the vector step by step).
    path.clear();
    path.reserve(g.len());
    path.extend(g.order().iter().copied().filter(|id| {
        let d = down[id.index()];
        d != i64::MIN && levels[id.index()] as i64 + d == depth
    }));
}

/// The most changes the curriculum stacks on one quantity that is not the asked-for one.
const MAX_STORY: usize = 3;

/// In [`fill_next_proxy`]'s table: no proxy reads the node as its first operand.
const NO_PROXY: u32 = u32::MAX;
/// In [`fill_next_proxy`]'s table: several proxies do.
const MANY_PROXIES: u32 = u32::MAX - 1;

/// Fills `next` with, per node of `g`, the one proxy that reads it as its first operand
/// ([`NO_PROXY`] when none does, [`MANY_PROXIES`] when several do): one pass for every
/// [`chain_len`] of a round.
fn fill_next_proxy(g: &Graph, next: &mut Vec<u32>) {
    next.clear();
    next.resize(g.len(), NO_PROXY);
    for id in g.ids() {
        let node = g.node(id);
        if let (NodeKind::Proxy { .. }, Some(&o)) = (&node.kind, node.operands.first()) {
            let slot = &mut next[o.index()];
            *slot = if *slot == NO_PROXY || *slot == id.0 {
                id.0
            } else {
                MANY_PROXIES
            };
        }
    }
}

/// How many proxies are stacked on `u` in `g` (`names::proxies_on(g, u).count()`), given
/// [`fill_next_proxy`]'s table: each node's proxy is read from it, and searched for among
/// the node's readers, as `proxies_on` does, only where several proxies read the node.
fn chain_len(g: &Graph, next: &[u32], u: NodeId) -> usize {
    let mut cur = u;
    let mut n = 0;
    while n < g.len() {
        cur = match next[cur.index()] {
            NO_PROXY => break,
            MANY_PROXIES => {
                let first = g.dependents(cur).find(|&d| {
                    let node = g.node(d);
                    matches!(node.kind, NodeKind::Proxy { .. })
                        && node.operands.first() == Some(&cur)
                });
                match first {
                    Some(d) => d,
                    None => break,
                }
            }
            p => NodeId(p),
        };
        n += 1;
    }
    n
}

/// Whether grafting `iv` onto `g` would undo the last change of the same quantity (`× k`
/// right after `÷ k`, `+ k` right after `- k`).
fn undoes_last(g: &Graph, iv: &Intervention) -> bool {
    use crate::graph::ProxyOp;
    let Intervention::Graft { node, f } = iv else {
        return false;
    };
    let inverse = |a: &crate::graph::ProxyFn| {
        a.k == f.k
            && matches!(
                (a.op, f.op),
                (ProxyOp::Mul, ProxyOp::Div)
                    | (ProxyOp::Div, ProxyOp::Mul)
                    | (ProxyOp::Add, ProxyOp::Sub)
                    | (ProxyOp::Sub, ProxyOp::Add)
            )
    };
    // The change just below the new one (the node itself, when it is a proxy) and the one
    // just above it (the proxy that reads the node).
    let below = matches!(g.get(*node).ok().map(|n| &n.kind), Some(NodeKind::Proxy { f: last }) if inverse(last));
    // (A scan of the nodes after it, its readers among them, rather than `dependents`, which
    // would work out every node's readers for this one question.)
    below
        || g.order_after(*node).iter().any(|&d| {
            let d = g.node(d);
            matches!(&d.kind, NodeKind::Proxy { f: next } if inverse(next))
                && d.operands.first() == Some(node)
        })
}

/// Builds `per_problem` chains of `rounds` ever deeper variants of `original`.
pub fn generate(
    original: &Graph,
    source_id: &str,
    cfg: &CurriculumConfig,
) -> Result<Vec<Chain>, CurriculumError> {
    cfg.validate()?;
    let (sayable, comparer) = crate::verbalize::Sayable::with_comparer(original);
    let compares = sayable.comparable().then_some(&comparer);
    let mut chains = Vec::new();
    // Lists every round fills again, with room for the last round's graph (each round's
    // graph is one node larger).
    let room = original.len() + cfg.rounds as usize;
    let mut path: Vec<NodeId> = Vec::with_capacity(room);
    let mut counted: Vec<(NodeId, usize, bool)> = Vec::with_capacity(room);
    let mut targets: Vec<(NodeId, usize)> = Vec::with_capacity(room);
    let mut least: Vec<NodeId> = Vec::with_capacity(room);
    let mut all: Vec<NodeId> = Vec::with_capacity(room);
    let mut next_proxy: Vec<u32> = Vec::with_capacity(room);
    let mut draw_room = DrawRoom::with_capacity(room);
    for index in 0..cfg.per_problem {
        let seed = sub_seed(cfg.seed, source_id, index);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut operations = Vec::with_capacity(cfg.rounds as usize);
        let mut variants: Vec<Variant> = Vec::with_capacity(cfg.rounds as usize);
        let mut stopped = None;
        // The levels of the current graph: worked out once per graph, for the path of the
        // next round and the metrics of the variant.
        let mut levels = Vec::with_capacity(room);
        original.levels_into(&mut levels);
        // Likewise the distances to the answer (which also mark the nodes it depends on).
        let mut down = Vec::with_capacity(room);
        fill_down(original, &mut down);
        for round in 1..=cfg.rounds {
            let current = variants.last().map_or(original, |v| &v.graph);
            // Only changes the offline text can say well.
            critical_path_into(current, &levels, &down, &mut path);
            // A quantity takes at most MAX_STORY changes (a longer story is hard to follow),
            // unless it is the asked-for one.
            let answer_base = crate::verbalize::names::base(current, current.answer());
            // Per quantity, how many changes it has had: counted once however many nodes of
            // the path (the quantity and its proxies) share it.
            let mut buf = [usize::MAX; 64];
            let mut heap: Vec<usize>;
            let lens: &mut [usize] = if current.len() <= buf.len() {
                &mut buf[..current.len()]
            } else {
                heap = vec![usize::MAX; current.len()];
                &mut heap
            };
            fill_next_proxy(current, &mut next_proxy);
            let mut chain_of = |u: NodeId| {
                let slot = &mut lens[u.index()];
                if *slot == usize::MAX {
                    *slot = chain_len(current, &next_proxy, u);
                }
                *slot
            };
            // Per node of the path, how many changes its quantity has had.
            counted.clear();
            counted.extend(path.iter().map(|&id| {
                let u = crate::verbalize::names::base(current, id);
                (id, chain_of(u), u == answer_base)
            }));
            let answer_chain = chain_of(answer_base);
            targets.clear();
            targets.extend(
                counted
                    .iter()
                    .filter(|&&(id, n, asked)| {
                        sayable.can_graft(current, id) && (asked || n < MAX_STORY)
                    })
                    .map(|&(id, n, _)| (id, n)),
            );
            if targets.is_empty() {
                // The last resort: changes asked of the answer, as instructions.
                targets.extend(
                    counted
                        .iter()
                        .filter(|&&(id, _, _)| sayable.can_graft_on_answer(current, id))
                        .map(|&(id, n, _)| (id, n)),
                );
            }
            if targets.is_empty() {
                stopped = Some(format!(
                    "round {round}: no input or step on the longest path has a sentence that names it, so no change there could be said in words (the problem offers no place for a graft the text can state)"
                ));
                break;
            }
            // Quantities changed least first: several short stories read better than one long
            // one; then any target.
            let fewest = targets.iter().map(|&(_, n)| n).min().unwrap_or(0);
            least.clear();
            least.extend(
                targets
                    .iter()
                    .filter(|&&(_, n)| n == fewest)
                    .map(|&(id, _)| id),
            );
            all.clear();
            all.extend(targets.iter().map(|&(id, _)| id));
            // The tiers drawn from in turn: the asked-for quantity alone (see below), the
            // quantities changed least, any target.
            let answer_only = [current.answer()];
            let mut tries: [&[NodeId]; 3] = [&[]; 3];
            let mut tiers = 0;
            // The first two changes to the asked-for quantity, told as people compared in
            // turn, read most like GSM8K's own problems: tried first.
            let compare_first = sayable.comparable() && answer_chain < 2;
            if compare_first {
                tries[tiers] = &answer_only;
                tiers += 1;
            }
            if least.len() < all.len() {
                tries[tiers] = &least;
                tiers += 1;
            }
            tries[tiers] = &all;
            tiers += 1;
            let mut drawn = None;
            // Whether the draw kept is poor and may go past what a unit or a whole allows:
            // `Some(true)` when it does, `None` when its graph is not built yet to tell.
            let mut past_bounds = Some(false);
            'draw: for (tier, &t) in tries[..tiers].iter().enumerate() {
                let comparing = compare_first && tier == 0;
                // A change that undoes the one before it is poor whatever its graph: that graph
                // is built only if the draw is kept (below).
                let undoes = |iv: &Intervention| undoes_last(current, iv);
                let sc = Draw {
                    kind: SampleKind::Graft,
                    max_draws: MAX_DRAWS,
                    targets: Some(t),
                    diff: false,
                    refuse: Some(&undoes),
                };
                for _ in 0..8 {
                    // Kept in place (a draw holds a graph: moved, it is copied).
                    let d = drawn.insert(sample_draw(
                        original,
                        current,
                        &sc,
                        &cfg.constraints,
                        &mut rng,
                        &mut draw_room,
                    ));
                    // Drawn again (the last draw is kept if all are poor): a change that
                    // undoes the one before it (`× 3` after `÷ 3`) reads as noise, one past
                    // what a unit or a whole allows (13 work days a week) as nonsense, and the
                    // first tier is for changes told as compared people.
                    past_bounds = Some(false);
                    let poor = d.as_ref().is_ok_and(|s| match &s.graph {
                        // Refused: it undoes the change before it.
                        None => {
                            past_bounds = None;
                            true
                        }
                        Some(graph) => {
                            let past = !sayable.within_bounds(graph);
                            past_bounds = Some(past);
                            past || comparing && !compares.is_some_and(|c| c.compares(graph))
                        }
                    });
                    let ok = d.is_ok();
                    if ok && !poor {
                        break 'draw;
                    }
                    if !ok {
                        break;
                    }
                }
            }
            let Some(drawn) = drawn else { break };
            // The node a graft adds (the last of the new graph).
            let added = NodeId(current.len() as u32);
            // A kept draw whose graph was not built (a poor one, the last drawn) is built now.
            let made = match drawn {
                Ok(Drawn {
                    intervention,
                    graph: Some(graph),
                    ..
                }) => Ok((intervention, graph)),
                Ok(Drawn { intervention, .. }) => {
                    build_refused(current, &intervention, &draw_room).map(|g| (intervention, g))
                }
                Err(e) => Err(e),
            };
            let (intervention, graph) = match made {
                Ok(made) => made,
                Err(e) => {
                    stopped = Some(format!("round {round}: {e}"));
                    break;
                }
            };
            // Every draw was poor and the last goes past what a unit or a whole allows (10
            // work days a week, 620 pieces left of a 300-piece puzzle): nonsense, so the chain
            // stops rather than keep it.
            if past_bounds.unwrap_or_else(|| !sayable.within_bounds(&graph)) {
                stopped = Some(format!(
                    "round {round}: every change drawn was poor, and the last goes past what a unit or a whole allows (such as 7 days a week, or a part larger than its whole), so the chain stops here"
                ));
                break;
            }
            operations.push(intervention);
            // A graft adds one node, the last: only the levels from it on move.
            graph.levels_after_adding(&mut levels, added);
            variants.push(Variant {
                source_id: source_id.to_string(),
                round,
                seed,
                operations: operations.clone(),
                metrics: graph.metrics_and_down(&levels, &mut down),
                answer: graph.answer_value(),
                graph,
            });
        }
        chains.push(Chain {
            index,
            seed,
            variants,
            stopped,
        });
    }
    Ok(chains)
}

/// Rebuilds a variant from the original problem and its lineage.
pub fn regenerate(original: &Graph, lineage: &Lineage) -> Result<Graph, CurriculumError> {
    crate::limits::check_len(
        crate::limits::Limit::Interventions,
        lineage.operations.len(),
    )?;
    let mut g = original.clone();
    for (index, op) in lineage.operations.iter().enumerate() {
        // `g` is dropped on error: each change is made in place.
        crate::intervene::replay(&mut g, op)
            .map_err(|source| CurriculumError::Replay { index, source })?;
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intervene::tests::eggs;

    #[test]
    fn rounds_validated() {
        let g = eggs();
        for rounds in [0, 9] {
            let cfg = CurriculumConfig {
                rounds,
                ..Default::default()
            };
            assert_eq!(
                generate(&g, "p", &cfg).unwrap_err(),
                CurriculumError::BadRounds(rounds)
            );
        }
    }

    #[test]
    fn depth_rises_and_regenerates() {
        let g = eggs();
        let cfg = CurriculumConfig {
            rounds: 4,
            per_problem: 3,
            seed: 7,
            constraints: Constraints {
                max_factor: Some(Number::int(100)),
                ..Constraints::default()
            },
        };
        let chains = generate(&g, "gsm8k-1", &cfg).unwrap();
        assert_eq!(chains.len(), 3);
        let seeds: std::collections::HashSet<u64> = chains.iter().map(|c| c.seed).collect();
        assert_eq!(seeds.len(), 3);
        let d0 = g.metrics().depth;
        for c in &chains {
            for v in &c.variants {
                assert_eq!(v.metrics.depth, d0 + v.round);
                assert_eq!(v.metrics, v.graph.metrics());
                let back = regenerate(&g, &v.lineage()).unwrap();
                assert_eq!(
                    serde_json::to_string(&back).unwrap(),
                    serde_json::to_string(&v.graph).unwrap()
                );
            }
            assert!(c.variants.len() == 4 || c.stopped.is_some());
        }
        // Deterministic.
        let again = generate(&g, "gsm8k-1", &cfg).unwrap();
        assert_eq!(
            serde_json::to_string(&chains).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }

    #[test]
    fn chain_lengths_from_the_table_are_the_stacked_proxies() {
        use crate::graph::{Node, ProxyFn, ProxyOp};
        use crate::intervene::{intervene, Intervention};
        let mut graphs = Vec::new();
        let cfg = CurriculumConfig {
            rounds: 8,
            per_problem: 4,
            seed: 3,
            constraints: Constraints::none(),
        };
        let g = eggs();
        for c in generate(&g, "chains", &cfg).unwrap() {
            graphs.extend(c.variants.into_iter().map(|v| v.graph));
        }
        // Grafts stacked on one quantity, then a second proxy read from the same node (which
        // no graft makes): the readers are searched.
        let mut stacked = g.clone();
        let f = ProxyFn {
            op: ProxyOp::Add,
            k: Number::int(3),
        };
        for _ in 0..3 {
            let t = stacked.find("eggs_eaten").unwrap();
            stacked = intervene(&stacked, &Intervention::Graft { node: t, f })
                .unwrap()
                .0;
        }
        graphs.push(stacked.clone());
        let t = stacked.find("eggs_eaten").unwrap();
        stacked
            .insert_node(
                Node {
                    name: "second".into(),
                    kind: crate::graph::NodeKind::Proxy { f },
                    operands: vec![t],
                    text: None,
                },
                Number::ZERO,
                None,
            )
            .unwrap();
        graphs.push(stacked);
        let mut next = Vec::new();
        let mut longest = 0;
        for g in &graphs {
            fill_next_proxy(g, &mut next);
            for u in g.ids() {
                let n = chain_len(g, &next, u);
                assert_eq!(n, crate::verbalize::names::proxies_on(g, u).count(), "{u}");
                longest = longest.max(n);
            }
        }
        assert!(longest >= 3);
    }

    #[test]
    fn critical_path_is_longest() {
        let g = eggs();
        let cp = critical_path(&g);
        let names: Vec<&str> = cp.iter().map(|id| g.node(*id).name.as_str()).collect();
        assert!(names.contains(&"eggs_left"));
        assert!(names.contains(&"money"));
        assert!(names.contains(&"eggs_eaten"));
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    /// Kelly's string cheeses: the days a week are capped at 7, and the other quantities
    /// run out of changes (three a quantity), so some rounds find only changes past the cap.
    #[test]
    fn no_variant_goes_past_what_a_unit_allows() {
        let g = crate::gsm8k::extract(
            "Kelly puts string cheeses in her kids lunches 5 days per week.  Her oldest wants 2 every day and her youngest will only eat 1.  The packages come with 30 string cheeses per pack.  How many packages of string cheese will Kelly need to fill her kids lunches for 4 weeks?",
            "Her oldest wants 2 strings cheeses a day for 5 days so 2*5 = <<2*5=10>>10 string cheeses\nHer youngest wants 1 string cheese a day for 5 days so 1*5 = <<1*5=5>>5 string cheeses\nTogether they want 10+5= <<10+5=15>>15 string cheeses a week\nOver 4 weeks, her kids will eat 15 string cheeses so 4*15 = <<4*15=60>>60 string cheeses\nThe bags have 30 per pack and she needs 60 so 60/30 = <<60/30=2>>2 packs of string cheese\n#### 2",
        )
        .unwrap()
        .graph;
        let sayable = crate::verbalize::Sayable::new(&g);
        let (mut variants, mut stopped) = (0, 0);
        for seed in 0..40 {
            let cfg = CurriculumConfig {
                rounds: 8,
                per_problem: 1,
                seed,
                ..CurriculumConfig::default()
            };
            for chain in generate(&g, "kelly", &cfg).unwrap() {
                for v in &chain.variants {
                    assert!(
                        sayable.within_bounds(&v.graph),
                        "seed {seed}, round {}",
                        v.round
                    );
                    variants += 1;
                }
                stopped += chain
                    .stopped
                    .as_deref()
                    .is_some_and(|s| s.contains("past what a unit or a whole allows"))
                    as usize;
            }
        }
        // The chains still go deep, and the rule was met on the way.
        assert!(variants > 40 * 4, "{variants}");
        assert!(stopped > 0);
    }
}
