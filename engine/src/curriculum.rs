//! Curricula: chains of ever deeper variants of one problem.
//!
//! Round `r` of a chain grafts one proxy step onto the current critical path (a node on a
//! longest source→answer path) of round `r - 1`, so the depth rises by one per round. Every
//! variant records its lineage, from which [`regenerate`] rebuilds it bit for bit.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::constraints::{fill_references, Constraints};
use crate::graph::{Graph, Metrics, NodeId, NodeKind, ProxyFn};
use crate::intervene::{Intervention, InterventionError};
use crate::number::Number;
use crate::sample::{build_refused, sample_draw, Draw, DrawRoom, Drawn, SampleKind, MAX_DRAWS};
use crate::verbalize::Sayable;

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
    // Room for every node at once (a filtered collect would grow the vector step by step).
    path.clear();
    path.reserve(g.len());
    path.extend(
        g.order()
            .iter()
            .copied()
            .filter(critical_test(g, levels, down)),
    );
}

/// Whether a node of `g` is on a longest source→answer path (what [`critical_path`] lists),
/// given the graph's [`Graph::levels`] and [`fill_down`]'s distances.
fn critical_test<'a>(
    g: &Graph,
    levels: &'a [u32],
    down: &'a [i64],
) -> impl Fn(&NodeId) -> bool + 'a {
    let depth = i64::from(levels[g.answer().index()]);
    // A node the answer does not depend on (`i64::MIN` down) sums to below zero, never to
    // the depth: one test, without a branch for it.
    move |id: &NodeId| i64::from(levels[id.index()]) + down[id.index()] == depth
}

/// Fills `bases` with, per node of `g`, its [`crate::verbalize::names::base`] (the quantity a
/// proxy changes: down its chain of first operands), in one pass in evaluation order (an
/// operand comes before its readers).
fn fill_bases(g: &Graph, bases: &mut Vec<NodeId>) {
    bases.clear();
    bases.extend(g.ids());
    for &id in g.order() {
        let node = g.node(id);
        if let (NodeKind::Proxy { .. }, Some(&o)) = (&node.kind, node.operands.first()) {
            bases[id.index()] = bases[o.index()];
        }
    }
}

/// [`fill_bases`], and `watched` with the nodes of `g` that [`Sayable::watches`].
fn fill_watched(sayable: &Sayable, g: &Graph, bases: &mut Vec<NodeId>, watched: &mut Vec<NodeId>) {
    fill_bases(g, bases);
    watched.clear();
    watched.extend(g.ids().filter(|&id| sayable.watches(id, bases[id.index()])));
}

/// The base ([`crate::verbalize::names::base`]) of `p` in `graph`, given `bases`, those of
/// every node before it: its first operand's for a proxy (`None` when `p` is not the last
/// node of `graph` or not a proxy).
fn base_of_added(graph: &Graph, bases: &[NodeId], p: NodeId) -> Option<NodeId> {
    if p.index() + 1 != graph.len() || bases.len() != p.index() {
        return None;
    }
    let node = graph.node(p);
    match (&node.kind, node.operands.first()) {
        (NodeKind::Proxy { .. }, Some(&o)) => bases.get(o.index()).copied(),
        _ => None,
    }
}

/// [`Sayable::within_bounds`] of `graph`, the graph `bases` and `watched` are of
/// ([`fill_watched`]) with one proxy `added` grafted: a graft changes neither of any other
/// node, so only the watched nodes and `added` are tested (all of them, when `graph` is not
/// such a graph).
fn within_bounds_after(
    sayable: &Sayable,
    graph: &Graph,
    bases: &[NodeId],
    watched: &[NodeId],
    added: NodeId,
) -> bool {
    match base_of_added(graph, bases, added) {
        Some(u) => sayable.within_bounds_watched(
            graph,
            watched
                .iter()
                .map(|&id| (id, bases[id.index()]))
                .chain(sayable.watches(added, u).then_some((added, u))),
        ),
        None => sayable.within_bounds(graph),
    }
}

/// The most changes the curriculum stacks on one quantity that is not the asked-for one.
const MAX_STORY: usize = 3;

/// In [`fill_classes`]'s table: the node's quantity can be changed in words
/// ([`Sayable::can_graft_base`] of its base).
const SAYABLE: u8 = 1;
/// In [`fill_classes`]'s table: a change of the node can be asked of the answer
/// ([`Sayable::can_graft_on_answer_base`] of its base).
const RESORT: u8 = 2;

/// The class ([`SAYABLE`], [`RESORT`]) of a node whose base is `u`.
fn class_of(sayable: &Sayable, u: NodeId) -> u8 {
    (u8::from(sayable.can_graft_base(u)) * SAYABLE)
        | (u8::from(sayable.can_graft_on_answer_base(u)) * RESORT)
}

/// Fills `classes` with, per node, the class of its base in `bases` ([`class_of`]): what a
/// round's search for targets asks of the node's quantity, in one load (most nodes of a
/// critical path are of neither class, and are passed over without looking up more).
fn fill_classes(sayable: &Sayable, bases: &[NodeId], classes: &mut Vec<u8>) {
    classes.clear();
    classes.extend(bases.iter().map(|&u| class_of(sayable, u)));
}

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

/// [`fill_next_proxy`]'s table of `graph`, given `next`, that of the graph it was before the
/// proxy `added` (its last node) was grafted in: every reader of the grafted node `t` reads the
/// proxy instead, so the proxy takes over `t`'s entry and is `t`'s one proxy. Filled in full
/// when `added` is not such a proxy. True when updated in place (the proxy then names no
/// [`MANY_PROXIES`] entry that was not there before).
fn next_proxy_after_graft(graph: &Graph, next: &mut Vec<u32>, added: NodeId) -> bool {
    let node = graph.get(added).ok();
    match node.map(|n| (&n.kind, n.operands.first())) {
        Some((NodeKind::Proxy { .. }, Some(&t)))
            if added.index() + 1 == graph.len()
                && next.len() == added.index()
                && t.index() < added.index() =>
        {
            next.push(next[t.index()]);
            next[t.index()] = added.0;
            true
        }
        _ => {
            fill_next_proxy(graph, next);
            false
        }
    }
}

/// [`fill_references`] of `graph` against `original`, given `refs`, that of the graph it was
/// before the proxy `added` (its last node, not one of the original's) was grafted in: the
/// proxy's reference is its operand's, and a graft leaves every other node's as it was (a
/// proxy made to read the new one reads, through it, what it read before). Filled in full
/// when `added` is not such a proxy.
fn references_after_graft(original: &Graph, graph: &Graph, refs: &mut Vec<u32>, added: NodeId) {
    let node = graph.get(added).ok();
    match node.map(|n| (&n.kind, n.operands.first())) {
        Some((NodeKind::Proxy { .. }, Some(&t)))
            if added.index() + 1 == graph.len()
                && refs.len() == added.index()
                && t.index() < added.index()
                && added.index() >= original.len() =>
        {
            refs.push(refs[t.index()]);
        }
        _ => fill_references(original, graph, refs),
    }
    debug_assert!({
        let mut full = Vec::new();
        fill_references(original, graph, &mut full);
        full == *refs
    });
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

/// Fills `chains` with every node's [`chain_len`] in `g`, given `g`'s [`fill_next_proxy`]
/// table.
fn fill_chains(g: &Graph, next: &[u32], chains: &mut Vec<usize>) {
    chains.clear();
    chains.extend(g.ids().map(|u| chain_len(g, next, u)));
}

/// [`fill_chains`] of `graph`, given `chains`, those of the graph it was before the proxy
/// `added` (its last node) was grafted in, and `next`, that graph's [`fill_next_proxy`] table:
/// the proxy's chain is its operand's old one, and each node whose chain ran through the
/// operand (the operand, and down its first operands while each is the one proxy reading the
/// one below) has one more. Filled in full where a node has several proxies (a chain then
/// follows the graph's readers) or `added` is not such a proxy. `many` tells whether `next`
/// holds a [`MANY_PROXIES`] entry.
fn chains_after_graft(
    graph: &Graph,
    next: &[u32],
    many: bool,
    chains: &mut Vec<usize>,
    added: NodeId,
) {
    debug_assert_eq!(many, next.contains(&MANY_PROXIES));
    let i = added.index();
    let node = graph.get(added).ok();
    let t = match node.map(|n| (&n.kind, n.operands.first())) {
        Some((NodeKind::Proxy { .. }, Some(&t)))
            if i + 1 == graph.len()
                && next.len() == i
                && chains.len() == i
                && t.index() < i
                && !many =>
        {
            t
        }
        _ => {
            let mut after = next.to_vec();
            next_proxy_after_graft(graph, &mut after, added);
            return fill_chains(graph, &after, chains);
        }
    };
    chains.push(chains[t.index()]);
    let mut x = t;
    for _ in 0..graph.len() {
        chains[x.index()] += 1;
        let below = graph.node(x);
        match (&below.kind, below.operands.first()) {
            (NodeKind::Proxy { .. }, Some(&y)) if next.get(y.index()) == Some(&x.0) => x = y,
            _ => break,
        }
    }
}

/// Whether grafting `iv` onto `g` would undo the last change of the same quantity (`× k`
/// right after `÷ k`, `+ k` right after `- k`), given [`fill_next_proxy`]'s table of `g`.
fn undoes_last(g: &Graph, next: &[u32], iv: &Intervention) -> bool {
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
    // The table names the one proxy that reads the node first; where several do (or the
    // table does not fit), a scan of the nodes after it, its readers among them, rather than
    // `dependents`, which would work out every node's readers for this one question.
    let reads = |d: NodeId| {
        let d = g.node(d);
        matches!(&d.kind, NodeKind::Proxy { f: next } if inverse(next))
            && d.operands.first() == Some(node)
    };
    below
        || match next.get(node.index()) {
            Some(&NO_PROXY) if next.len() == g.len() => false,
            Some(&p) if p != MANY_PROXIES && next.len() == g.len() => reads(NodeId(p)),
            _ => g.order_after(*node).iter().any(|&d| reads(d)),
        }
}

/// The vectors [`generate`] works in (each filled afresh before it is read), kept per thread
/// between curricula so that a curriculum of a small problem does not allocate them anew.
#[derive(Default)]
struct Lists {
    /// The targets of a round (in evaluation order) and, for each, how many changes its
    /// quantity has had.
    changes: Vec<usize>,
    /// The targets of the last resort, with their changes, gathered in the same pass.
    resort: Vec<(NodeId, usize)>,
    /// The targets whose quantity was changed least.
    least: Vec<NodeId>,
    /// Every target.
    all: Vec<NodeId>,
    /// [`fill_next_proxy`]'s table of the current graph.
    next_proxy: Vec<u32>,
    /// Per node, how many proxies are stacked on it ([`chain_len`]).
    stacked: Vec<usize>,
    /// Per node of the current graph, its base; and the nodes `within_bounds` can fail on.
    /// A graft keeps both of every node it does not add (a reader of the grafted node that
    /// is a proxy reads the new proxy, whose base is the grafted node's).
    bases: Vec<NodeId>,
    /// See `bases`.
    watched: Vec<NodeId>,
    /// Per node of the current graph, the class of its base ([`fill_classes`]).
    classes: Vec<u8>,
    /// The levels of the current graph ([`Graph::levels_into`]).
    levels: Vec<u32>,
    /// The distances to the answer ([`fill_down`]).
    down: Vec<i64>,
    /// The relevant operations per level.
    per_level: Vec<u32>,
    /// [`Graph::metrics_after_graft`]'s scratch (all false between calls).
    rose: Vec<bool>,
    /// [`fill_references`]'s table of the current graph (for the sampler's checks).
    refs: Vec<u32>,
    /// The sampler's vectors.
    draw_room: DrawRoom,
}

impl Lists {
    /// Room in every list for graphs of up to `nodes` nodes, so that none grows in a round.
    fn reserve(&mut self, nodes: usize) {
        fn room<T>(v: &mut Vec<T>, nodes: usize) {
            v.clear();
            v.reserve(nodes);
        }
        room(&mut self.changes, nodes);
        room(&mut self.resort, nodes);
        room(&mut self.least, nodes);
        room(&mut self.all, nodes);
        room(&mut self.next_proxy, nodes);
        room(&mut self.stacked, nodes);
        room(&mut self.bases, nodes);
        room(&mut self.watched, nodes);
        room(&mut self.classes, nodes);
        room(&mut self.levels, nodes);
        room(&mut self.down, nodes);
        room(&mut self.per_level, nodes);
        room(&mut self.rose, nodes);
        room(&mut self.refs, nodes);
        self.draw_room.reserve(nodes);
    }
}

std::thread_local! {
    /// The lists of the thread's last curriculum, for the next.
    static SPARE_LISTS: std::cell::Cell<Option<Lists>> = const { std::cell::Cell::new(None) };
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
    // (Room for the usual few chains up front; `per_problem` is not bounded.)
    let mut chains = Vec::with_capacity((cfg.per_problem as usize).min(8));
    // Lists every round fills again (kept per thread between curricula), with room for the
    // last round's graph (each round's graph is one node larger).
    let room = original.len() + cfg.rounds as usize;
    let mut lists = SPARE_LISTS.with(|spare| spare.take()).unwrap_or_default();
    lists.reserve(room);
    lists.draw_room.prepare(original, &cfg.constraints);
    let Lists {
        changes,
        resort,
        least,
        all,
        next_proxy,
        stacked,
        bases,
        watched,
        classes,
        levels,
        down,
        per_level,
        rose,
        refs,
        draw_room,
    } = &mut lists;
    for index in 0..cfg.per_problem {
        let seed = sub_seed(cfg.seed, source_id, index);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut operations = Vec::with_capacity(cfg.rounds as usize);
        // The grafts among `operations` (every one, as every draw is a graft), kept as plain
        // values: each variant's list is written from them without cloning each intervention.
        let mut grafts: Vec<(NodeId, ProxyFn)> = Vec::with_capacity(cfg.rounds as usize);
        let mut variants: Vec<Variant> = Vec::with_capacity(cfg.rounds as usize);
        let mut stopped = None;
        // The levels of the current graph: worked out once per graph, for the path of the
        // next round and the metrics of the variant.
        original.levels_into(levels);
        // Likewise the distances to the answer (which also mark the nodes it depends on), the
        // relevant operations per level and the metrics, each kept up to date from graft to
        // graft.
        // All false, with a slot for every node of the last round's graph (so that
        // `metrics_after_graft` never grows it).
        rose.clear();
        rose.resize(room, false);
        let mut metrics = original.metrics_down_and_levels(levels, down, per_level);
        fill_watched(&sayable, original, bases, watched);
        fill_classes(&sayable, bases, classes);
        fill_references(original, original, refs);
        fill_next_proxy(original, next_proxy);
        // Whether the table holds an entry for several proxies.
        let mut many_proxies = next_proxy.contains(&MANY_PROXIES);
        fill_chains(original, next_proxy, stacked);
        for round in 1..=cfg.rounds {
            let current = variants.last().map_or(original, |v| &v.graph);
            // A quantity takes at most MAX_STORY changes (a longer story is hard to follow),
            // unless it is the asked-for one.
            let answer_base = bases[current.answer().index()];
            debug_assert!({
                let mut full = Vec::new();
                fill_next_proxy(current, &mut full);
                full == *next_proxy
            });
            debug_assert!(current
                .ids()
                .all(|u| stacked[u.index()] == chain_len(current, next_proxy, u)));
            let answer_chain = stacked[answer_base.index()];
            debug_assert!(
                bases.len() == classes.len()
                    && bases
                        .iter()
                        .zip(classes.iter())
                        .all(|(&u, &c)| c == class_of(&sayable, u))
            );
            // Only changes the offline text can say well: the nodes of the critical path whose
            // quantity can be changed in words, each with how many changes its quantity has
            // had, in one pass (in evaluation order, the path's).
            all.clear();
            changes.clear();
            resort.clear();
            // The fewest changes among the targets, and whether some have more.
            let (mut fewest, mut mixed) = (usize::MAX, false);
            {
                let on_path = critical_test(current, levels, down);
                for &id in current.order() {
                    if !on_path(&id) {
                        continue;
                    }
                    // (Most nodes of the path are of neither class: passed over at once.)
                    let class = classes[id.index()];
                    if class == 0 {
                        continue;
                    }
                    let u = bases[id.index()];
                    let n = stacked[u.index()];
                    if class & SAYABLE != 0 && (u == answer_base || n < MAX_STORY) {
                        all.push(id);
                        changes.push(n);
                        mixed |= fewest != usize::MAX && n != fewest;
                        fewest = fewest.min(n);
                    } else if all.is_empty() && class & RESORT != 0 {
                        // The last resort (when no node above is a target): changes asked
                        // of the answer, as instructions.
                        resort.push((id, n));
                    }
                }
            }
            if all.is_empty() {
                for &(id, n) in resort.iter() {
                    all.push(id);
                    changes.push(n);
                    mixed |= fewest != usize::MAX && n != fewest;
                    fewest = fewest.min(n);
                }
            }
            debug_assert!({
                let mut path = Vec::new();
                critical_path_into(current, levels, down, &mut path);
                let counted: Vec<(NodeId, usize, bool)> = path
                    .iter()
                    .map(|&id| {
                        let u = bases[id.index()];
                        (id, stacked[u.index()], u == answer_base)
                    })
                    .collect();
                let mut targets: Vec<(NodeId, usize)> = counted
                    .iter()
                    .filter(|&&(id, n, asked)| {
                        sayable.can_graft_base(bases[id.index()]) && (asked || n < MAX_STORY)
                    })
                    .map(|&(id, n, _)| (id, n))
                    .collect();
                if targets.is_empty() {
                    targets = counted
                        .iter()
                        .filter(|&&(id, _, _)| sayable.can_graft_on_answer_base(bases[id.index()]))
                        .map(|&(id, n, _)| (id, n))
                        .collect();
                }
                targets.iter().map(|&(id, _)| id).eq(all.iter().copied())
                    && targets.iter().map(|&(_, n)| n).eq(changes.iter().copied())
            });
            if all.is_empty() {
                stopped = Some(format!(
                    "round {round}: no input or step on the longest path has a sentence that names it, so no change there could be said in words (the problem offers no place for a graft the text can state)"
                ));
                break;
            }
            // Quantities changed least first: several short stories read better than one long
            // one; then any target.
            debug_assert_eq!(Some(fewest), changes.iter().copied().min());
            debug_assert_eq!(mixed, changes.iter().any(|&n| n != fewest));
            least.clear();
            if mixed {
                least.extend(
                    all.iter()
                        .zip(changes.iter())
                        .filter(|&(_, &n)| n == fewest)
                        .map(|(&id, _)| id),
                );
            }
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
            if !least.is_empty() {
                tries[tiers] = least;
                tiers += 1;
            }
            tries[tiers] = all;
            tiers += 1;
            // The node a graft adds (the last of the new graph).
            let added = NodeId(current.len() as u32);
            let within_bounds = |graph: &Graph| {
                let fast = within_bounds_after(&sayable, graph, bases, watched, added);
                debug_assert_eq!(fast, sayable.within_bounds(graph));
                fast
            };
            let mut drawn = None;
            // Whether the draw kept is poor and may go past what a unit or a whole allows:
            // `Some(true)` when it does, `None` when its graph is not built yet to tell.
            let mut past_bounds = Some(false);
            'draw: for (tier, &t) in tries[..tiers].iter().enumerate() {
                let comparing = compare_first && tier == 0;
                // A change that undoes the one before it is poor whatever its graph: that graph
                // is built only if the draw is kept (below).
                let undoes = |iv: &Intervention| undoes_last(current, next_proxy, iv);
                let sc = Draw {
                    kind: SampleKind::Graft,
                    max_draws: MAX_DRAWS,
                    targets: Some(t),
                    diff: false,
                    refs: Some(refs),
                    refuse: Some(&undoes),
                    prepared: true,
                };
                for _ in 0..8 {
                    // Kept in place (a draw holds a graph: moved, it is copied).
                    let d = drawn.insert(sample_draw(
                        original,
                        current,
                        &sc,
                        &cfg.constraints,
                        &mut rng,
                        draw_room,
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
                            let past = !within_bounds(graph);
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
            // A kept draw whose graph was not built (a poor one, the last drawn) is built now.
            // (Each arm moves straight into the two bindings, with no tuple between: a graph
            // is moved by copying it.)
            let (intervention, graph);
            match drawn {
                None => break,
                Some(Ok(Drawn {
                    intervention: kept,
                    graph: Some(built),
                    ..
                })) => {
                    intervention = kept;
                    graph = built;
                }
                Some(Ok(Drawn {
                    intervention: kept, ..
                })) => match build_refused(current, &kept, draw_room) {
                    Ok(built) => {
                        intervention = kept;
                        graph = built;
                    }
                    Err(e) => {
                        stopped = Some(format!("round {round}: {e}"));
                        break;
                    }
                },
                Some(Err(e)) => {
                    stopped = Some(format!("round {round}: {e}"));
                    break;
                }
            }
            // Every draw was poor and the last goes past what a unit or a whole allows (10
            // work days a week, 620 pieces left of a 300-piece puzzle): nonsense, so the chain
            // stops rather than keep it.
            if past_bounds.unwrap_or_else(|| !within_bounds(&graph)) {
                stopped = Some(format!(
                    "round {round}: every change drawn was poor, and the last goes past what a unit or a whole allows (such as 7 days a week, or a part larger than its whole), so the chain stops here"
                ));
                break;
            }
            if let Intervention::Graft { node, f } = intervention {
                grafts.push((node, f));
            }
            operations.push(intervention);
            chains_after_graft(&graph, next_proxy, many_proxies, stacked, added);
            references_after_graft(original, &graph, refs, added);
            // In place, a table with no entry for several proxies keeps none.
            let in_place = next_proxy_after_graft(&graph, next_proxy, added);
            many_proxies = (many_proxies || !in_place) && next_proxy.contains(&MANY_PROXIES);
            match base_of_added(&graph, bases, added) {
                Some(u) => {
                    bases.push(u);
                    classes.push(class_of(&sayable, u));
                    if sayable.watches(added, u) {
                        watched.push(added);
                    }
                }
                None => {
                    fill_watched(&sayable, &graph, bases, watched);
                    fill_classes(&sayable, bases, classes);
                }
            }
            // A graft adds one node, the last: only the levels from it on move.
            // (Where the node grafted is, as the draw's simulation found it.)
            let at_t = draw_room.target_after().checked_sub(1);
            metrics =
                graph.metrics_after_graft(levels, down, per_level, rose, metrics, added, at_t);
            debug_assert_eq!(metrics, graph.metrics());
            debug_assert!({
                let mut full = Vec::new();
                fill_down(&graph, &mut full);
                full == *down
            });
            variants.push(Variant {
                source_id: source_id.to_string(),
                round,
                seed,
                operations: if grafts.len() == operations.len() {
                    let mut ops = Vec::with_capacity(grafts.len());
                    for &(node, f) in grafts.iter() {
                        ops.push(Intervention::Graft { node, f });
                    }
                    ops
                } else {
                    operations.clone()
                },
                metrics,
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
    SPARE_LISTS.with(|spare| spare.set(Some(lists)));
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
        let mut undone = 0;
        let original = eggs();
        let mut refs = Vec::new();
        for g in &graphs {
            fill_next_proxy(g, &mut next);
            fill_references(&original, g, &mut refs);
            let mut stacked = Vec::new();
            fill_chains(g, &next, &mut stacked);
            // A graft's tables follow from the tables before it.
            for t in g.ids() {
                for op in ProxyOp::ALL {
                    let f = ProxyFn {
                        op,
                        k: Number::int(3),
                    };
                    let iv = Intervention::Graft { node: t, f };
                    // The table names the proxy a scan finds.
                    let undoes = undoes_last(g, &next, &iv);
                    assert_eq!(undoes, undoes_last(g, &[], &iv), "{t} {f}");
                    undone += usize::from(undoes);
                    let Ok((h, _)) = intervene(g, &iv) else {
                        continue;
                    };
                    let mut after = next.clone();
                    next_proxy_after_graft(&h, &mut after, NodeId(g.len() as u32));
                    let mut all = Vec::new();
                    fill_next_proxy(&h, &mut all);
                    assert_eq!(after, all, "{t} {f}");
                    // So does the table of references.
                    let mut after_refs = refs.clone();
                    references_after_graft(&original, &h, &mut after_refs, NodeId(g.len() as u32));
                    let mut all_refs = Vec::new();
                    fill_references(&original, &h, &mut all_refs);
                    assert_eq!(after_refs, all_refs, "{t} {f}");
                    let mut longer = stacked.clone();
                    chains_after_graft(
                        &h,
                        &next,
                        next.contains(&MANY_PROXIES),
                        &mut longer,
                        NodeId(g.len() as u32),
                    );
                    let mut counted = Vec::new();
                    fill_chains(&h, &all, &mut counted);
                    assert_eq!(longer, counted, "{t} {f}");
                }
            }
            for u in g.ids() {
                let n = chain_len(g, &next, u);
                assert_eq!(n, crate::verbalize::names::proxies_on(g, u).count(), "{u}");
                longest = longest.max(n);
            }
        }
        assert!(longest >= 3);
        assert!(undone > 0);
    }

    #[test]
    fn bounds_of_the_watched_nodes_are_within_bounds() {
        use crate::graph::{ProxyFn, ProxyOp};
        use crate::intervene::{intervene, Intervention};
        use crate::verbalize::names;
        // Problems with capped units, parts of wholes, and compared people.
        let problems = [
            ("Evelyn works 5 days a week. She uses 3 sheets of paper each day. How many sheets does she use in a week?",
             "She uses 5 * 3 = <<5*3=15>>15 sheets in a week.\n#### 15"),
            ("Tom has a 100-foot fence. Ben whitewashed 10 feet of it. How many feet are left?",
             "There are 100 - 10 = <<100-10=90>>90 feet left.\n#### 90"),
            ("There are 25 roses in a garden. There are 40 tulips. There are 35 daisies. What percentage of flowers are not roses?",
             "There are 25+40+35=<<25+40+35=100>>100 flowers total.\nThere are 40+35=<<40+35=75>>75 flowers that are not roses.\nTherefore, (75/100)*100=<<(75/100)*100=75>>75% of the flowers are not roses.\n#### 75"),
            ("Mark has 12 apples. He gives a third of them to Ann and eats 2. How many apples does Mark have left?",
             "He gives 12/3=<<12/3=4>>4 apples.\nHe has 12-4-2=<<12-4-2=6>>6 apples left.\n#### 6"),
            ("Anna sleeps 8 hours a day. She reads 2 hours a day. How many hours a week does she sleep and read?",
             "She spends 8+2=<<8+2=10>>10 hours a day.\nIn a week that is 10*7=<<10*7=70>>70 hours.\n#### 70"),
            ("Hanna buys 30 roses. Jenna will receive 1/3 of the roses, and Imma will receive 1/2 of the roses. How many roses does Hanna give away?",
             "Jenna gets 1/3 x 30 = <<1/3*30=10>>10 roses.\nImma gets 1/2 x 30 = <<1/2*30=15>>15 roses.\nShe gives away 10 + 15 = <<10+15=25>>25 roses.\n#### 25"),
        ];
        let fs = [
            (ProxyOp::Add, 1),
            (ProxyOp::Add, 90),
            (ProxyOp::Sub, 7),
            (ProxyOp::Mul, 3),
            (ProxyOp::Div, 2),
        ];
        let (mut checked, mut out) = (0, 0);
        for (q, a) in problems {
            let g = crate::gsm8k::extract(q, a).unwrap().graph;
            let sayable = Sayable::new(&g);
            let cfg = CurriculumConfig {
                rounds: 6,
                per_problem: 3,
                seed: 11,
                constraints: Constraints::none(),
            };
            let mut graphs = vec![g.clone()];
            for c in generate(&g, "bounds", &cfg).unwrap() {
                graphs.extend(c.variants.into_iter().map(|v| v.graph));
            }
            for cur in &graphs {
                let (mut bases, mut watched) = (Vec::new(), Vec::new());
                fill_watched(&sayable, cur, &mut bases, &mut watched);
                for id in cur.ids() {
                    assert_eq!(bases[id.index()], names::base(cur, id));
                }
                let added = NodeId(cur.len() as u32);
                for t in cur.ids() {
                    for (op, k) in fs {
                        let f = ProxyFn {
                            op,
                            k: Number::int(k),
                        };
                        let Ok((h, _)) = intervene(cur, &Intervention::Graft { node: t, f }) else {
                            continue;
                        };
                        // The bases the curriculum keeps are those of the new graph.
                        let mut kept = bases.clone();
                        kept.push(base_of_added(&h, &bases, added).unwrap());
                        let (mut again, mut watched_again) = (Vec::new(), Vec::new());
                        fill_watched(&sayable, &h, &mut again, &mut watched_again);
                        assert_eq!(kept, again);
                        let fast = within_bounds_after(&sayable, &h, &bases, &watched, added);
                        assert_eq!(fast, sayable.within_bounds(&h), "{q}: {t} {f}");
                        checked += 1;
                        out += usize::from(!fast);
                    }
                }
                // Not a graft of `cur`: every node is tested.
                assert_eq!(
                    within_bounds_after(&sayable, &g, &bases, &watched, added),
                    sayable.within_bounds(&g)
                );
            }
        }
        assert!(out > 0 && out < checked, "{out} of {checked} out of bounds");
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
