//! Property tests: incremental interventions agree with full re-evaluation, failures leave
//! the graph untouched, lineages regenerate variants exactly, and curricula deepen by one.

use engine::constraints::Constraints;
use engine::curriculum::{generate, regenerate, CurriculumConfig};
use engine::intervene::{apply, Intervention};
use engine::{
    BinOp, CmpOp, Cond, Expr, Graph, GraphBuilder, NodeId, NodeKind, Number, ProxyFn, ProxyOp,
};
use proptest::prelude::*;

/// One random node: `(kind, a, b, lit)`; kind 0..3 = + - *, 3 = branch, 4 = op with literal.
type Spec = (u8, u16, u16, u8);

fn build(inputs: &[u8], specs: &[Spec]) -> Graph {
    let mut b = GraphBuilder::new(None);
    let mut ids: Vec<NodeId> = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| b.input(&format!("in{i}"), Number::int(*v as i128), None))
        .collect();
    for (i, &(kind, a, c, lit)) in specs.iter().enumerate() {
        let x = ids[a as usize % ids.len()];
        let y = ids[c as usize % ids.len()];
        let lit = Expr::Lit(Number::int(lit as i128 % 7 + 1));
        let name = format!("s{i}");
        let node = match kind % 5 {
            k @ 0..=2 => {
                let op = [BinOp::Add, BinOp::Sub, BinOp::Mul][k as usize];
                b.step(&name, Expr::bin(op, Expr::Arg(0), Expr::Arg(1)), vec![x, y])
            }
            3 => b.op(
                &name,
                NodeKind::Branch {
                    cond: Box::new(Cond::Cmp(CmpOp::Gt, Expr::Arg(0), lit)),
                    then: Box::new(Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1))),
                    otherwise: Box::new(Expr::Arg(1)),
                },
                vec![x, y],
            ),
            _ => b.step(&name, Expr::bin(BinOp::Mul, Expr::Arg(0), lit), vec![x]),
        };
        // On overflow fall back to a copy, which cannot fail.
        let node = node.unwrap_or_else(|_| b.step(&name, Expr::Arg(0), vec![x]).unwrap());
        ids.push(node);
    }
    let answer = *ids.last().unwrap();
    b.build(answer).unwrap()
}

/// A chain: each step reads the previous one and a fresh input.
fn chain(inputs: &[u8], ops: &[u8]) -> Graph {
    let mut b = GraphBuilder::new(None);
    let mut cur = b.input("start", Number::int(inputs[0] as i128 + 1), None);
    for (i, op) in ops.iter().enumerate() {
        let side = b.input(
            &format!("side{i}"),
            Number::int(inputs[(i + 1) % inputs.len()] as i128 + 1),
            None,
        );
        let op = [BinOp::Add, BinOp::Sub, BinOp::Mul][*op as usize % 3];
        cur = b
            .step(
                &format!("s{i}"),
                Expr::bin(op, Expr::Arg(0), Expr::Arg(1)),
                vec![cur, side],
            )
            .unwrap();
    }
    b.build(cur).unwrap()
}

fn graph_strategy() -> impl Strategy<Value = Graph> {
    (
        prop::collection::vec(0u8..20, 1..6),
        prop::collection::vec((0u8..5, any::<u16>(), any::<u16>(), any::<u8>()), 1..25),
    )
        .prop_map(|(i, s)| build(&i, &s))
}

/// A random intervention: `(is_graft, node pick, value/k, op)`.
fn intervention(g: &Graph, (graft, pick, v, op): (bool, u16, i8, u8)) -> Intervention {
    let node = NodeId(pick as u32 % g.len() as u32);
    if graft {
        Intervention::Graft {
            node,
            f: ProxyFn {
                op: ProxyOp::ALL[op as usize % 4],
                k: Number::int((v % 6) as i128),
            },
        }
    } else {
        Intervention::SetInput {
            node,
            value: Number::int(v as i128),
        }
    }
}

fn json(g: &Graph) -> String {
    serde_json::to_string(g).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn incremental_equals_full(
        g in graph_strategy(),
        ivs in prop::collection::vec((any::<bool>(), any::<u16>(), any::<i8>(), any::<u8>()), 1..6),
    ) {
        let mut g = g;
        for raw in ivs {
            let iv = intervention(&g, raw);
            let before = g.clone();
            let before_json = json(&g);
            match apply(&mut g, &iv) {
                Ok(diff) => {
                    let mut full = g.clone();
                    full.evaluate_all().unwrap();
                    for id in g.ids() {
                        prop_assert_eq!(g.value(id), full.value(id), "node {}", id);
                    }
                    // The diff lists exactly the existing nodes whose value changed.
                    for id in before.ids() {
                        let changed = before.value(id) != g.value(id);
                        let listed = diff.changes.iter().find(|c| c.node == id);
                        prop_assert_eq!(changed, listed.is_some(), "node {}", id);
                        if let Some(c) = listed {
                            prop_assert_eq!(c.old, before.value(id));
                            prop_assert_eq!(c.new, g.value(id));
                        }
                    }
                    prop_assert_eq!(diff.answer, (before.answer_value(), g.answer_value()));
                    prop_assert_eq!(diff.depth.1, g.metrics().depth);
                }
                Err(_) => prop_assert_eq!(json(&g), before_json),
            }
        }
    }

    #[test]
    fn lineage_regenerates_variants(g in graph_strategy(), seed in any::<u64>(), rounds in 1u32..5) {
        let cfg = CurriculumConfig { rounds, per_problem: 2, seed, constraints: Constraints::none() };
        let chains = generate(&g, "prop", &cfg).unwrap();
        let d0 = g.metrics().depth;
        for c in &chains {
            for v in &c.variants {
                let back = regenerate(&g, &v.lineage()).unwrap();
                prop_assert_eq!(json(&back), json(&v.graph));
                prop_assert_eq!(v.metrics.depth, d0 + v.round);
            }
        }
    }

    #[test]
    fn chain_depth_rises_by_one(
        inputs in prop::collection::vec(0u8..9, 1..5),
        ops in prop::collection::vec(0u8..3, 1..8),
        seed in any::<u64>(),
        rounds in 1u32..9,
    ) {
        let g = chain(&inputs, &ops);
        let cfg = CurriculumConfig { rounds, per_problem: 1, seed, constraints: Constraints::none() };
        let chains = generate(&g, "chain", &cfg).unwrap();
        let mut depth = g.metrics().depth;
        for v in &chains[0].variants {
            prop_assert_eq!(v.metrics.depth, depth + 1);
            depth = v.metrics.depth;
        }
        prop_assert!(chains[0].variants.len() as u32 == rounds || chains[0].stopped.is_some());
    }

    #[test]
    fn inverse_recovers_input(
        inputs in prop::collection::vec(0u8..9, 1..5),
        ops in prop::collection::vec(0u8..2, 1..8),
        target in 0u8..3,
    ) {
        // + and - only: always invertible along the chain's spine.
        let g = chain(&inputs, &ops);
        let x = g.find("start").unwrap();
        let (h, _) = engine::intervene::intervene(&g, &Intervention::Invert { input: x }).unwrap();
        prop_assert_eq!(h.answer_value(), g.value(x));
        let given = g.answer();
        let goal = g.answer_value().add(Number::int(target as i128)).unwrap();
        let (h2, _) = engine::intervene::intervene(&h, &Intervention::SetInput { node: given, value: goal }).unwrap();
        let (fwd, _) = engine::intervene::intervene(&g, &Intervention::SetInput { node: x, value: h2.answer_value() }).unwrap();
        prop_assert_eq!(fwd.answer_value(), goal);
    }
}
