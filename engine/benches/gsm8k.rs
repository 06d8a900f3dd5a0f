//! Times extracting every GSM8K train problem into a graph.

use criterion::{criterion_group, criterion_main, Criterion};

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

#[derive(serde::Deserialize)]
struct Row {
    question: String,
    answer: String,
}

fn bench(c: &mut Criterion) {
    let Ok(text) = std::fs::read_to_string(TRAIN) else {
        eprintln!("notice: {TRAIN} not readable; skipping the GSM8K benchmark");
        return;
    };
    let rows: Vec<Row> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    c.bench_function(&format!("extract_all_{}_train", rows.len()), |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for r in &rows {
                ok += engine::gsm8k::extract(&r.question, &r.answer).is_ok() as usize;
            }
            std::hint::black_box(ok)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
