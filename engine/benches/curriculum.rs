//! An 8-round curriculum over every GSM-Hard program (skipped when the data file is absent).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use engine::curriculum::{generate, CurriculumConfig};
use std::hint::black_box;

#[path = "common/threads.rs"]
mod threads;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm-hard/gsmhardv2.part-a.jsonl"
);

fn bench(c: &mut Criterion) {
    let Ok(text) = std::fs::read_to_string(PATH) else {
        eprintln!("notice: {PATH} is missing; skipping the benchmark");
        return;
    };
    let graphs: Vec<(String, engine::Graph)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let g = engine::parse_program(v["code"].as_str()?, v["input"].as_str()).ok()?;
            Some((format!("gsm-hard:{}", i + 1), g))
        })
        .collect();
    let cfg = CurriculumConfig {
        rounds: 8,
        per_problem: 1,
        seed: 1,
        ..CurriculumConfig::default()
    };
    // Each iteration starts with the engine's memos empty (`clear_memos`, untimed), as a
    // run over problems it has not seen does: otherwise the names read from the questions in
    // one iteration would serve the next.
    c.bench_function("curriculum_8_rounds_gsm_hard", |b| {
        b.iter_batched(
            engine::clear_memos,
            |()| {
                let mut variants = 0usize;
                for (id, g) in &graphs {
                    for chain in generate(black_box(g), id, &cfg).expect("valid config") {
                        variants += chain.variants.len();
                    }
                }
                black_box(variants)
            },
            BatchSize::PerIteration,
        )
    });
    // The same work on every core, as `graft generate` does it: each thread takes the next
    // program until none is left. Threads are started per iteration, so each starts with its
    // memos empty.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    c.bench_function(
        &format!("curriculum_8_rounds_gsm_hard_{threads}_threads"),
        |b| b.iter(|| black_box(on_threads(&graphs, &cfg, threads))),
    );
}

/// The variants of every graph's curriculum, the graphs shared among `threads` threads.
fn on_threads(graphs: &[(String, engine::Graph)], cfg: &CurriculumConfig, threads: usize) -> usize {
    threads::on_threads(graphs, threads, |(id, g)| {
        generate(black_box(g), id, cfg)
            .expect("valid config")
            .iter()
            .map(|chain| chain.variants.len())
            .sum()
    })
}

criterion_group!(benches, bench);
criterion_main!(benches);
