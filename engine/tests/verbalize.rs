//! The offline verbalizer on the demo set and the first GSM8K train rows: every text it writes
//! states every input of its variant and no replaced value, and almost all pass `validate`.
//! Also: no input makes `offline`, `check` or `validate` panic.

use engine::consistency::check;
use engine::constraints::Constraints;
use engine::curriculum::{generate, CurriculumConfig};
use engine::intervene::{apply, Intervention};
use engine::problem::{extract, Problem};
use engine::sample::{sample, SampleConfig, SampleKind};
use engine::verbalize::{offline, validate};
use engine::{Cond, Expr, Graph, NodeId, NodeKind, Number, ProxyFn, ProxyOp};
use proptest::prelude::*;

const DEMO: &str = include_str!("../../demo/demo.jsonl");
const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

/// How many GSM8K train rows the dataset test reads.
const TRAIN_ROWS: usize = 300;

/// The demo problems and the first GSM8K train rows that extract, with their ids.
fn graphs() -> Vec<(String, Graph)> {
    let mut rows: Vec<(String, String)> = DEMO
        .lines()
        .enumerate()
        .map(|(i, l)| (format!("demo-{i}"), l.to_string()))
        .collect();
    match std::fs::read_to_string(TRAIN) {
        Ok(t) => rows.extend(
            t.lines()
                .take(TRAIN_ROWS)
                .enumerate()
                .map(|(i, l)| (format!("train-{i}"), l.to_string())),
        ),
        Err(e) => eprintln!("notice: {TRAIN} not readable ({e}); demo problems only"),
    }
    rows.into_iter()
        .filter_map(|(id, line)| {
            let p = Problem::from_json(&line).ok()?;
            let g = extract(&p).ok()?.graph;
            g.question().is_some().then_some((id, g))
        })
        .collect()
}

/// The first comparison literal of a branch condition.
fn threshold(c: &Cond) -> Option<Number> {
    match c {
        Cond::Cmp(_, a, b) => match (b, a) {
            (Expr::Lit(n), _) | (_, Expr::Lit(n)) => Some(*n),
            _ => None,
        },
        Cond::And(cs) | Cond::Or(cs) => cs.iter().find_map(threshold),
        Cond::Not(c) => threshold(c),
        Cond::Truthy(_) => None,
    }
}

/// Replays `ops` on a copy of `g`.
fn replay(g: &Graph, ops: &[Intervention]) -> Option<Graph> {
    let mut h = g.clone();
    for op in ops {
        apply(&mut h, op).ok()?;
    }
    Some(h)
}

/// Lineages to verbalize for one problem: curriculum grafts, new input values, a distractor,
/// an inversion, a mix, and branch changes.
fn lineages(id: &str, g: &Graph, seed: u64) -> Vec<(&'static str, Vec<Intervention>)> {
    let mut out = Vec::new();
    let c = Constraints::default();
    let cfg = CurriculumConfig {
        rounds: 3,
        per_problem: 1,
        seed,
        constraints: c.clone(),
    };
    if let Ok(chains) = generate(g, id, &cfg) {
        for chain in chains {
            if let Some(v) = chain.variants.first() {
                out.push(("graft", v.operations.clone()));
            }
            if let Some(v) = chain.variants.last().filter(|v| v.round > 1) {
                out.push(("grafts", v.operations.clone()));
            }
        }
    }
    let set_cfg = SampleConfig {
        kind: SampleKind::SetInput,
        ..SampleConfig::default()
    };
    let mut set_ops = Vec::new();
    if let Ok(s) = sample(g, &set_cfg, &c, seed) {
        set_ops.push(s.intervention);
        if let Ok(s2) = sample(&s.graph, &set_cfg, &c, seed + 1) {
            set_ops.push(s2.intervention);
        }
        out.push(("set_input", set_ops.clone()));
    }
    out.push((
        "distractor",
        vec![Intervention::AddDistractor {
            name: "marbles".into(),
            value: Number::int(7 + (seed % 5) as i128),
            combine: None,
        }],
    ));
    let relevant = g.relevant();
    let invert = g.order().iter().copied().find_map(|x| {
        let ok = matches!(g.node(x).kind, NodeKind::Input { .. }) && relevant[x.index()];
        let op = Intervention::Invert { input: x };
        (ok && replay(g, std::slice::from_ref(&op)).is_some()).then_some(op)
    });
    if let Some(op) = invert {
        out.push(("invert", vec![op]));
    }
    // A new value, then a graft and a distractor.
    if let Some(first) = set_ops.first() {
        if let Some(h) = replay(g, std::slice::from_ref(first)) {
            if let Ok(s) = sample(&h, &SampleConfig::default(), &c, seed + 2) {
                out.push((
                    "mix",
                    vec![
                        first.clone(),
                        s.intervention,
                        Intervention::AddDistractor {
                            name: "total_weight".into(),
                            value: Number::int(13),
                            combine: None,
                        },
                    ],
                ));
            }
        }
    }
    for b in g.ids() {
        if let NodeKind::Branch { cond, .. } = &g.node(b).kind {
            out.push(("flip_branch", vec![Intervention::FlipBranch { node: b }]));
            if let Some(t) = threshold(cond) {
                let value = t.add(Number::int(2)).unwrap_or(t);
                out.push((
                    "set_threshold",
                    vec![Intervention::SetThreshold { node: b, value }],
                ));
            }
        }
    }
    out
}

#[test]
fn dataset_texts_are_consistent_and_mostly_valid() {
    let show = std::env::var("VERBALIZE_SHOW").is_ok();
    let graphs = graphs();
    assert!(graphs.len() >= 21, "the demo set extracts");
    let (mut total, mut valid, mut excused) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut invalid = Vec::new();
    let mut per_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (i, (id, g)) in graphs.iter().enumerate() {
        // Every original reads consistently against itself.
        let q = g.question().unwrap_or("");
        assert!(check(g, g, q).missing.is_empty(), "{id}: {q}");
        for (kind, ops) in lineages(id, g, i as u64) {
            let Some(variant) = replay(g, &ops) else {
                continue;
            };
            let v = offline(g, &ops).unwrap_or_else(|e| panic!("{id} {kind}: {e}"));
            assert_eq!(offline(g, &ops).ok(), Some(v.clone()), "deterministic");
            total += 1;
            let c = check(g, &variant, &v.text);
            // A note that a number is not written, or is shared with another input, excuses a
            // missing or stale value.
            let unwritten = v
                .notes
                .iter()
                .any(|n| n.contains("not written") || n.contains("shares its number"));
            if unwritten {
                excused += 1;
            } else if !c.missing.is_empty() || !c.stale.is_empty() {
                failures.push(format!(
                    "{id} {kind} {ops:?}\n  {q}\n  {}\n  {:?}",
                    v.text,
                    c.complaints()
                ));
            }
            let entry = per_kind.entry(kind).or_default();
            entry.0 += 1;
            match validate(g, &variant, &v.text) {
                Ok(()) => {
                    valid += 1;
                    entry.1 += 1;
                }
                Err(why) => invalid.push(format!("{id} {kind}\n  {}\n  {why:?}", v.text)),
            }
            if show {
                eprintln!("{id} {kind}\n  {q}\n  {}\n  notes {:?}", v.text, v.notes);
            }
        }
    }
    for f in invalid.iter().take(30) {
        eprintln!("invalid: {f}");
    }
    let rate = valid as f64 / total.max(1) as f64;
    eprintln!(
        "verbalized {total} variants of {} problems: {valid} pass validate ({:.1}%), {excused} excused by a note; per kind (total, valid): {per_kind:?}",
        graphs.len(),
        100.0 * rate
    );
    assert!(
        failures.is_empty(),
        "{} texts miss an input or keep a replaced value:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 100, "too few variants: {total}");
    assert!(rate >= 0.98, "only {:.1}% pass validate", 100.0 * rate);
}

/// Small pieces that push the verbalizer into its corners.
const PIECES: &[&str] = &[
    "12", "3.5", "$4", "20%", "1/2", "1 1/2", "half", "twice", "a dozen", "seven", "a pair",
    "double", "1,000", "é", "½", "—", " ", ".", "?", "!", "\"", "apples", "How many", "\n", "x",
    "Mr.", "-", "a ", "😀", "$",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics(
        row in 0usize..1000,
        pieces in proptest::collection::vec(0..PIECES.len(), 0..30),
        keep in proptest::bool::ANY,
        ops in proptest::collection::vec((0u8..6, 0u32..14, -5i128..50), 0..5),
        text in "\\PC{0,80}",
    ) {
        let demo: Vec<Graph> = DEMO
            .lines()
            .filter_map(|l| extract(&Problem::from_json(l).ok()?).ok().map(|x| x.graph))
            .collect();
        let mut g = demo[row % demo.len()].clone();
        if !keep {
            // A question that no longer fits the graph's spans.
            let q: String = pieces.iter().map(|&i| PIECES[i]).collect();
            g.set_question(Some(q));
        }
        let ops: Vec<Intervention> = ops
            .into_iter()
            .map(|(kind, node, v)| {
                let node = NodeId(node);
                let value = Number::int(v);
                match kind {
                    0 => Intervention::SetInput { node, value },
                    1 => Intervention::Graft {
                        node,
                        f: ProxyFn { op: ProxyOp::ALL[(v.unsigned_abs() % 4) as usize], k: value },
                    },
                    2 => Intervention::AddDistractor {
                        name: PIECES[node.index() % PIECES.len()].into(),
                        value,
                        combine: None,
                    },
                    3 => Intervention::FlipBranch { node },
                    4 => Intervention::SetThreshold { node, value },
                    _ => Intervention::Invert { input: node },
                }
            })
            .collect();
        let variant = replay(&g, &ops).unwrap_or_else(|| g.clone());
        if let Ok(v) = offline(&g, &ops) {
            let _ = check(&g, &variant, &v.text);
            let _ = validate(&g, &variant, &v.text);
        }
        let _ = check(&g, &variant, &text);
        let _ = validate(&g, &variant, &text);
        let _ = validate(&variant, &g, &text);
    }
}
