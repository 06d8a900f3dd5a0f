//! Benchmark: one `SetInput` cascade, applied in place, on a layered 1,000-node graph.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::intervene::{apply, Intervention};
use engine::{BinOp, Expr, Graph, GraphBuilder, NodeId, Number};
use std::hint::black_box;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

/// 105 inputs, 7 layers of 112 steps (each reading two nodes of the previous layer, with
/// `+ - *2 /4`), then a binary tree of 111 additions down to the answer: 1,000 nodes.
fn layered() -> Graph {
    let mut b = GraphBuilder::new(None);
    let mut prev: Vec<NodeId> = (0..105)
        .map(|i| b.input(&format!("in{i}"), Number::int(i % 17 + 1), None))
        .collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for layer in 0..7 {
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
    let add = || Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1));
    let mut level = 0;
    while prev.len() > 1 {
        let mut cur = Vec::new();
        for (j, pair) in prev.chunks(2).enumerate() {
            match pair {
                [a, c] => cur.push(
                    b.step(&format!("sum{level}_{j}"), add(), vec![*a, *c])
                        .unwrap(),
                ),
                [a] => cur.push(*a),
                _ => {}
            }
        }
        prev = cur;
        level += 1;
    }
    b.build(prev[0]).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = layered();
    assert_eq!(g.len(), 1000);
    // The input with the most dependents: the heaviest cascade.
    let input = (0..105u32)
        .map(NodeId)
        .max_by_key(|id| g.descendants(&[*id]).len())
        .unwrap();
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
