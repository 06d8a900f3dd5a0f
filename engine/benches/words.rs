//! Generation with the offline text and the worked solution, as `graft generate --verbalize`
//! does it per variant: the curriculum (8 rounds, one chain), then for every variant
//! [`engine::records::offline_words`] (the offline text and the worked solution),
//! [`engine::labels::steps_worked`] and [`engine::printer::to_python`].
//!
//! The problems: the first [`ROWS`] GSM8K train rows whose original has 7 operations and
//! whose chain reaches round 8, so that round `r` has `7 + r` operations and round 8 has 15
//! (the target of issue #15 is ≤ 30 µs per variant at 15 operations; GSM8K train has few
//! problems with more than 7 steps, 43 of 7,473 with 8 or more). Two figures:
//! - `all_rounds`: every variant of the chains (8 to 15 operations), per variant;
//! - `round_8`: the whole 8-round chain, but the words of its round-8 variant only, per
//!   problem: a variant at 15 operations charged with all 8 rounds of the curriculum, so an
//!   upper bound.
//!
//! Criterion's throughput line counts variants: its time per element is the time per variant.
//! Skipped when the data file is absent.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use engine::curriculum::{generate, CurriculumConfig};
use engine::records::offline_words;
use engine::Graph;
use std::hint::black_box;

#[path = "common/threads.rs"]
mod threads;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

/// How many problems the benchmark runs.
const ROWS: usize = 40;

fn config() -> CurriculumConfig {
    CurriculumConfig {
        rounds: 8,
        per_problem: 1,
        seed: 1,
        ..CurriculumConfig::default()
    }
}

/// The chosen problems, with their ids.
fn problems(text: &str) -> Vec<(String, Graph)> {
    let cfg = config();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(p) = engine::problem::Problem::from_json(line) else {
            continue;
        };
        let Ok(g) = engine::records::extract_row(&p) else {
            continue;
        };
        if g.metrics().steps != 7 {
            continue;
        }
        let id = format!("train:{}", i + 1);
        let Ok(chains) = generate(&g, &id, &cfg) else {
            continue;
        };
        if chains.iter().all(|c| c.variants.len() == 8) {
            out.push((id, g));
        }
        if out.len() == ROWS {
            break;
        }
    }
    out
}

/// What `graft generate --verbalize` makes of one variant besides the curriculum: the
/// offline text and worked solution, the steps with their sentences, the program.
fn words(g: &Graph, v: &engine::curriculum::Variant) -> usize {
    let mut bytes = 0;
    if let Ok(w) = offline_words(g, v) {
        bytes += w.text.len() + w.solution.map_or(0, |s| s.len());
    }
    bytes += engine::labels::steps_worked(g, &v.graph).len();
    bytes + engine::printer::to_python(&v.graph).len()
}

fn bench(c: &mut Criterion) {
    let Ok(text) = std::fs::read_to_string(TRAIN) else {
        eprintln!("notice: {TRAIN} not readable; skipping the words benchmark");
        return;
    };
    let rows = problems(&text);
    let cfg = config();
    let (mut variants, mut ops) = (0u64, 0u64);
    for (id, g) in &rows {
        for chain in generate(g, id, &cfg).expect("valid config") {
            for v in &chain.variants {
                variants += 1;
                ops += u64::from(v.metrics.steps);
            }
        }
    }
    eprintln!(
        "notice: {} problems, {variants} variants, {:.1} operations per variant on average",
        rows.len(),
        ops as f64 / variants.max(1) as f64
    );
    let mut group = c.benchmark_group("words");
    group.sample_size(20);
    group.throughput(Throughput::Elements(variants));
    // Each iteration starts with the engine's memos empty (`clear_memos`, untimed), as a run
    // over problems it has not seen does.
    group.bench_function("all_rounds", |b| {
        b.iter_batched(
            engine::clear_memos,
            |()| black_box(words_of_chains(&rows, &cfg, false)),
            BatchSize::PerIteration,
        )
    });
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("round_8", |b| {
        b.iter_batched(
            engine::clear_memos,
            |()| black_box(words_of_chains(&rows, &cfg, true)),
            BatchSize::PerIteration,
        )
    });
    // `all_rounds` on every core, as `graft generate --verbalize` does it: each thread takes
    // the next problem until none is left; threads start per iteration, memos empty.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    group.throughput(Throughput::Elements(variants));
    group.bench_function(format!("all_rounds_{threads}_threads"), |b| {
        b.iter(|| black_box(on_threads(&rows, &cfg, threads)))
    });
    group.finish();
}

/// `words_of_chains` of every row, the rows shared among `threads` threads.
fn on_threads(rows: &[(String, Graph)], cfg: &CurriculumConfig, threads: usize) -> usize {
    threads::on_threads(rows, threads, |row| {
        words_of_chains(std::slice::from_ref(row), cfg, false)
    })
}

/// The curricula of `rows` with every variant's words (or, with `last_only`, the last round's
/// of each chain): the bytes written.
fn words_of_chains(rows: &[(String, Graph)], cfg: &CurriculumConfig, last_only: bool) -> usize {
    let mut bytes = 0usize;
    for (id, g) in rows {
        for chain in generate(black_box(g), id, cfg).expect("valid config") {
            let variants = match (last_only, chain.variants.split_last()) {
                (true, Some((last, _))) => std::slice::from_ref(last),
                _ => &chain.variants[..],
            };
            for v in variants {
                bytes += words(g, v);
            }
        }
    }
    bytes
}

criterion_group!(benches, bench);
criterion_main!(benches);
