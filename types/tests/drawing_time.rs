//! How long the drawing of the biggest graph the engine accepts takes
//! ([`engine::limits::MAX_NODES`] = 10,000 nodes): `Drawing::new`, the layered layout plus the
//! labels, as the server runs it for `/p/{id}`, `/v/{id}` and `/s/{token}`. Timings are printed,
//! not asserted (they depend on the machine and the build):
//!
//! ```text
//! cargo test -p types --test drawing_time -- --nocapture                       # debug
//! cargo test --release -p types --test drawing_time -- --nocapture               # release
//! ```
//!
//! Measured on the 2-core development machine (December 2026): the 10,000-node random DAG
//! 79 s in debug, 5.7 s in release; the 10,000-node layered graph 0.71 s / 69 ms; a 1,000-node
//! random DAG 0.62 s / 37 ms. So the server lays drawings out on the engine pool within the
//! request budget and keeps them (`store::Drawings`).
//!
//! What is asserted is what a page relies on: the drawing has every node, and laying the same
//! structure out twice gives the same drawing (the server's markup and the browser's agree).

use std::time::Instant;

use engine::limits::MAX_NODES;
use engine::{BinOp, Expr, Graph, GraphBuilder, NodeId, Number};
use types::model::Drawing;

/// A small xorshift generator: the graphs are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `(a + b) % 1000`: values stay small whatever the depth (the layout ignores them anyway).
fn mix() -> Expr {
    Expr::bin(
        BinOp::Mod,
        Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Arg(1)),
        Expr::Lit(Number::int(1000)),
    )
}

/// A word-problem-like DAG of `n` nodes: one input in six, then binary steps that mostly read
/// one of the last twelve nodes (long chains, many layers) and sometimes an input (long edges).
fn random_dag(n: usize) -> Graph {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut b = GraphBuilder::new(None);
    let inputs = (n / 6).max(2);
    for i in 0..inputs {
        b.input(&format!("in{i}"), Number::int(i as i128 + 1), None);
    }
    while b.len() < n {
        let len = b.len();
        let mut pick = || {
            if rng.below(10) < 7 {
                NodeId((len - 1 - rng.below(len.min(12))) as u32)
            } else {
                NodeId(rng.below(inputs) as u32)
            }
        };
        let (a, c) = (pick(), pick());
        b.step(&format!("s{len}"), mix(), vec![a, c])
            .expect("a valid step");
    }
    let last = NodeId(b.len() as u32 - 1);
    b.build(last).expect("a valid graph")
}

/// A layered graph of `n` nodes: a row of `n / 10` inputs, then rows of as many binary steps,
/// each reading the node above it and one a pseudo-random distance further back (about ten
/// wide layers).
fn layered(n: usize) -> Graph {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let w = n.div_ceil(10).max(2);
    let mut b = GraphBuilder::new(None);
    let mut ids: Vec<NodeId> = (0..w)
        .map(|i| b.input(&format!("in{i}"), Number::int(i as i128 % 17 + 1), None))
        .collect();
    for i in w..n {
        let near = ids[i - w];
        let far = ids[(i - w).saturating_sub(rng.below(w))];
        ids.push(
            b.step(&format!("s{i}"), mix(), vec![near, far])
                .expect("a valid step"),
        );
    }
    b.build(ids[n - 1]).expect("a valid graph")
}

/// Lays `g` out, printing the time, and checks the drawing.
fn time(what: &str, g: &Graph) {
    let start = Instant::now();
    let d = Drawing::new(g);
    let took = start.elapsed();
    println!(
        "drawing of {what} ({} nodes, {} edges, {}×{} px): {:.1} ms ({} build)",
        d.nodes.len(),
        d.edges.len(),
        d.width,
        d.height,
        took.as_secs_f64() * 1000.0,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert_eq!(d.nodes.len(), g.len());
    assert_eq!(
        Drawing::new(g),
        d,
        "the same structure gives the same drawing"
    );
}

#[test]
fn big_drawings_are_complete_and_the_same_every_time() {
    time("a layered graph", &layered(MAX_NODES));
    time("a 1,000-node random DAG", &random_dag(1_000));
}

/// The slowest case, a measurement to run by hand (about 80 s in a debug build, so not in
/// `scripts/test`): `cargo test --release -p app --features ssr --test drawing_time --
/// --ignored --nocapture`.
#[test]
#[ignore = "a measurement: the 10,000-node random DAG takes about 80 s in a debug build"]
fn the_drawing_of_the_biggest_random_graph() {
    time("a random word-problem-like DAG", &random_dag(MAX_NODES));
}
