//! Benchmark: the layered layout of synthetic 200- and 1,000-node graphs.
//!
//! `random_*`: word-problem-like DAGs from a seeded ChaCha RNG — a wide row of inputs (one node
//! in six), then binary steps that mostly read one of the last twelve nodes (chains) and
//! sometimes an input (long edges). `layered_1000`: the cascade benchmark's graph — 105 inputs,
//! 7 rows of 112 binary steps, then a binary tree of additions down to the answer.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::layout::{layout, Spacing};
use engine::{BinOp, Expr, Graph, GraphBuilder, NodeId, Number};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

/// `(a + b) % 1000`: values stay small whatever the depth (the layout ignores them anyway).
fn mix() -> Expr {
    Expr::bin(
        BinOp::Mod,
        Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
        Expr::Lit(Number::int(1000)),
    )
}

/// A word-problem-like random DAG of `n` nodes.
fn random_dag(n: usize, seed: u64) -> Graph {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = GraphBuilder::new(None);
    let inputs = (n / 6).max(2);
    for i in 0..inputs {
        b.input(&format!("in{i}"), Number::int(i as i128 + 1), None);
    }
    while b.len() < n {
        let len = b.len();
        let pick = |rng: &mut ChaCha8Rng| {
            if rng.random_range(0..10u32) < 7 {
                let back = rng.random_range(1..=len.min(12) as u32) as usize;
                NodeId((len - back) as u32)
            } else {
                NodeId(rng.random_range(0..inputs as u32))
            }
        };
        let (a, c) = (pick(&mut rng), pick(&mut rng));
        b.step(&format!("s{len}"), mix(), vec![a, c])
            .expect("valid step");
    }
    let last = NodeId(b.len() as u32 - 1);
    b.build(last).expect("valid graph")
}

/// 105 inputs, 7 rows of 112 binary steps reading the row above, a tree of additions: 1,000.
fn layered_1000() -> Graph {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut b = GraphBuilder::new(None);
    let mut prev: Vec<NodeId> = (0..105)
        .map(|i| b.input(&format!("in{i}"), Number::int(i % 17 + 1), None))
        .collect();
    for layer in 0..7 {
        let mut cur = Vec::new();
        for j in 0..112 {
            let a = prev[rng.random_range(0..prev.len() as u32) as usize];
            let c = prev[rng.random_range(0..prev.len() as u32) as usize];
            cur.push(
                b.step(&format!("l{layer}_{j}"), mix(), vec![a, c])
                    .expect("valid step"),
            );
        }
        prev = cur;
    }
    let mut level = 0;
    while prev.len() > 1 {
        let mut cur = Vec::new();
        for (j, pair) in prev.chunks(2).enumerate() {
            match pair {
                [a, c] => cur.push(
                    b.step(&format!("sum{level}_{j}"), mix(), vec![*a, *c])
                        .expect("valid step"),
                ),
                [a] => cur.push(*a),
                _ => {}
            }
        }
        prev = cur;
        level += 1;
    }
    b.build(prev[0]).expect("valid graph")
}

fn bench(c: &mut Criterion) {
    let spacing = Spacing::default();
    for (name, g) in [
        ("layout_random_200", random_dag(200, 3)),
        ("layout_random_1000", random_dag(1000, 4)),
        ("layout_layered_1000", layered_1000()),
    ] {
        let l = layout(&g, spacing);
        let bends: usize = l.edges.iter().map(|e| e.points.len() - 2).sum();
        eprintln!(
            "{name}: {} nodes, {} layers, {} edges ({bends} bend points), {} crossings, {}x{} px",
            g.len(),
            g.depth() + 1,
            l.edges.len(),
            l.crossings,
            l.width,
            l.height
        );
        c.bench_function(name, |b| {
            b.iter(|| black_box(layout(black_box(&g), spacing)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
