//! Benchmark: one `SetInput` cascade, applied in place, on a layered 1,000-node graph.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::intervene::{apply, Intervention};
use engine::{BinOp, Expr, Func, Graph, GraphBuilder, NodeId, Number};
use std::hint::black_box;

/// 100 inputs, 8 layers of 112 steps, each reading two nodes of the previous layer, and an
/// answer summing the last layer: 1,000 nodes in all.
fn layered() -> Graph {
    let mut b = GraphBuilder::new(None);
    let mut prev: Vec<NodeId> = (0..100)
        .map(|i| b.input(&format!("in{i}"), Number::int(i % 17 + 1), None))
        .collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for layer in 0..8 {
        let mut cur = Vec::new();
        for j in 0..112 {
            let (a, c) = (prev[next(prev.len())], prev[next(prev.len())]);
            let expr = match next(4) {
                0 => Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
                1 => Expr::bin(BinOp::Sub, Expr::Arg(0), Expr::Arg(1)),
                2 => Expr::bin(BinOp::Mul, Expr::Arg(0), Expr::Lit(Number::int(2))),
                _ => Expr::bin(BinOp::Div, Expr::Arg(0), Expr::Lit(Number::int(4))),
            };
            cur.push(b.step(&format!("l{layer}_{j}"), expr, vec![a, c]).unwrap());
        }
        prev = cur;
    }
    let args = (0..prev.len() as u32).map(Expr::Arg).collect();
    let ans = b.step("answer", Expr::Call(Func::Sum, args), prev).unwrap();
    b.build(ans).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = layered();
    assert_eq!(g.len(), 1000);
    let input = NodeId(0);
    let ivs = [5, 6].map(|v| Intervention::SetInput {
        node: input,
        value: Number::int(v),
    });
    let touched = apply(&mut g, &ivs[0]).unwrap().changes.len();
    eprintln!("set_input touches {touched} of {} nodes", g.len());
    let mut i = 0usize;
    c.bench_function("set_input_cascade_1000", |bch| {
        bch.iter(|| {
            i += 1;
            black_box(apply(&mut g, &ivs[i % 2]).unwrap())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
