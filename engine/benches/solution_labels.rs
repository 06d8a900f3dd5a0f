//! Benchmark: scoring and labelling 10,000 model solutions (`engine::labels::solutions`), as a
//! solve job's results are read back: the demo problems' worked solutions, each also with its
//! first step's result off by one (a wrong step), cycled to 10,000 texts.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::labels::solutions::label_solution;
use engine::Graph;
use std::hint::black_box;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

/// The demo set's problems with two solutions each: the worked one and one with a slip.
fn solutions() -> Vec<(Graph, String)> {
    let mut out = Vec::new();
    for line in include_str!("../../demo/demo.jsonl").lines() {
        let Ok(p) = engine::problem::Problem::from_json(line) else {
            continue;
        };
        let Ok(e) = engine::problem::extract(&p) else {
            continue;
        };
        let g = e.graph;
        let Ok(text) = engine::solution::worked(&g, &g) else {
            continue;
        };
        let text = engine::solution::strip_annotations(&text);
        // The first "= N" made one more: a slip.
        let slip = match text.find('=') {
            Some(i) => {
                let rest = &text[i + 1..];
                let digits: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                match digits.parse::<u64>() {
                    Ok(n) => text.replacen(&format!("= {digits}"), &format!("= {}", n + 1), 1),
                    Err(_) => text.clone(),
                }
            }
            None => text.clone(),
        };
        out.push((g.clone(), text));
        out.push((g, slip));
    }
    out
}

fn bench(c: &mut Criterion) {
    let set = solutions();
    assert!(!set.is_empty(), "the demo set has solutions");
    let work: Vec<&(Graph, String)> = set.iter().cycle().take(10_000).collect();
    c.bench_function("label and score 10,000 solutions", |b| {
        b.iter(|| {
            for (g, text) in &work {
                black_box(label_solution(g, text));
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
