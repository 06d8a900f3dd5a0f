//! `parse_program(to_python(g), g.question())` gives back `g`, for parsed graphs and for graphs
//! changed the way interventions change them (new values, proxies, flipped branches).

use engine::{
    parse_program, to_python, BinOp, CmpOp, Cond, Expr, Func, Graph, GraphBuilder, Node, NodeId,
    NodeKind, Number, ProxyFn, ProxyOp, Span,
};
use proptest::prelude::*;

fn round_trips(g: &Graph) {
    let src = to_python(g);
    let back = parse_program(&src, g.question()).unwrap_or_else(|e| panic!("{e}\n{src}"));
    assert!(
        back.same_as(g),
        "changed by print → parse:\n{src}\n{back:#?}\n{g:#?}"
    );
}

fn ratio(n: i128, d: i128) -> Number {
    Number::ratio(n, d).expect("non-zero denominator")
}

/// A graph with inputs, a constant, steps of every shape, a branch, and a proxy.
fn sample(a: Number, b: Number, k: Number, op: ProxyOp, flip: bool) -> Option<Graph> {
    let q = "Ann has 12 apples and 3 boxes.\n She says \"\"\"hi\"\"\" \\ done.";
    let mut g = GraphBuilder::new(Some(q.into()));
    let x = g.input("apples", a, Some(Span { start: 8, end: 10 }));
    let y = g.input("boxes", b, None);
    let c = g.constant("minutes", Number::int(60));
    let p = g
        .op(
            "apples_plus",
            NodeKind::Proxy {
                f: ProxyFn { op, k },
            },
            vec![x],
        )
        .ok()?;
    // (p - (y - c)) * -(y ** 2) / (c // 7 % 5) and a call.
    let s = g
        .step(
            "mix",
            Expr::bin(
                BinOp::Div,
                Expr::bin(
                    BinOp::Mul,
                    Expr::bin(
                        BinOp::Sub,
                        Expr::Arg(0),
                        Expr::bin(BinOp::Sub, Expr::Arg(1), Expr::Arg(2)),
                    ),
                    Expr::Neg(Box::new(Expr::bin(
                        BinOp::Pow,
                        Expr::Arg(1),
                        Expr::Lit(Number::int(2)),
                    ))),
                ),
                Expr::bin(
                    BinOp::Mod,
                    Expr::bin(BinOp::FloorDiv, Expr::Arg(2), Expr::Lit(Number::int(7))),
                    Expr::Lit(Number::int(5)),
                ),
            ),
            vec![p, y, c],
        )
        .ok()?;
    let m = g
        .step(
            "capped",
            Expr::Call(
                Func::Max,
                vec![
                    Expr::Arg(0),
                    Expr::Call(Func::Round, vec![Expr::Arg(1), Expr::Lit(Number::int(2))]),
                    Expr::Call(Func::Sum, vec![Expr::Arg(0), Expr::Lit(ratio(1, 4))]),
                    Expr::Call(
                        Func::Floor,
                        vec![Expr::bin(
                            BinOp::Pow,
                            Expr::Lit(Number::int(-2)),
                            Expr::Lit(Number::int(3)),
                        )],
                    ),
                ],
            ),
            vec![s, x],
        )
        .ok()?;
    let mut cond = Cond::Or(vec![
        Cond::And(vec![
            Cond::Cmp(CmpOp::Gt, Expr::Arg(0), Expr::Arg(1)),
            Cond::Not(Box::new(Cond::Truthy(Expr::Arg(1)))),
        ]),
        Cond::Cmp(CmpOp::Le, Expr::Arg(1), Expr::Lit(Number::int(3))),
    ]);
    let (mut then, mut otherwise) = (
        Expr::Arg(0),
        Expr::bin(BinOp::Add, Expr::Arg(1), Expr::Arg(2)),
    );
    if flip {
        cond = cond.negated();
        std::mem::swap(&mut then, &mut otherwise);
    }
    let br = g
        .op(
            "choice",
            NodeKind::Branch {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            vec![m, y, c],
        )
        .ok()?;
    g.build(br).ok()
}

#[test]
fn hand_built_graphs_round_trip() {
    for flip in [false, true] {
        for op in ProxyOp::ALL {
            for (a, b, k) in [
                (Number::int(12), Number::int(3), Number::int(5)),
                (ratio(1, 3), ratio(-2, 7), ratio(-5, 3)),
                (ratio(-7, 2), Number::int(1000000007), ratio(1, 1024)),
            ] {
                let g = sample(a, b, k, op, flip).expect("sample graph evaluates");
                round_trips(&g);
            }
        }
    }
}

#[test]
fn proxy_inserted_after_parsing_round_trips() {
    let src = "def solution():\n    a = 48\n    b = a / 2\n    c = a + b if a > 40 else a - b\n    return c\n";
    let g = parse_program(src, Some("She sold 48 clips.")).unwrap();
    round_trips(&g);
    // Rebuild with a proxy between `a` and its readers, as an intervention would.
    let mut nodes: Vec<(Node, Number)> = g
        .order()
        .iter()
        .map(|&i| (g.node(i).clone(), g.value(i)))
        .collect();
    let proxy = Node {
        name: "a_times".into(),
        kind: NodeKind::Proxy {
            f: ProxyFn {
                op: ProxyOp::Mul,
                k: ratio(2, 3),
            },
        },
        operands: vec![NodeId(0)],
        text: None,
    };
    let new_id = NodeId(nodes.len() as u32);
    for (n, _) in nodes.iter_mut().skip(1) {
        for o in n.operands.iter_mut() {
            if *o == NodeId(0) {
                *o = new_id;
            }
        }
    }
    nodes.push((proxy, Number::ZERO));
    let mut order: Vec<NodeId> = vec![NodeId(0), new_id];
    order.extend((1..new_id.0).map(NodeId));
    let g2 = Graph::from_parts(nodes, order, g.answer(), g.question().map(str::to_string)).unwrap();
    assert_ne!(g2.answer_value(), g.answer_value());
    round_trips(&g2);
}

proptest! {
    #[test]
    fn arbitrary_values_round_trip(
        an in -10_000i128..10_000, ad in 1i128..50,
        bn in -10_000i128..10_000, bd in 1i128..50,
        kn in -100i128..100, kd in 1i128..12,
        op in 0usize..4, flip in any::<bool>(),
    ) {
        if let Some(g) = sample(ratio(an, ad), ratio(bn, bd), ratio(kn, kd), ProxyOp::ALL[op], flip) {
            round_trips(&g);
        }
    }
}
