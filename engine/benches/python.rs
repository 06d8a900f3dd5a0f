//! Parsing and evaluating every GSM-Hard program (skipped when the data file is absent).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// The `graft` binary's allocator, so that the figures are the ones a user gets.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm-hard/gsmhardv2.part-a.jsonl"
);

fn programs() -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(PATH).ok()?;
    Some(
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                Some((
                    v["code"].as_str()?.to_string(),
                    v["input"].as_str()?.to_string(),
                ))
            })
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let Some(rows) = programs() else {
        eprintln!("notice: {PATH} is missing; skipping the benchmark");
        return;
    };
    c.bench_function("gsm_hard_parse_all", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for (code, question) in &rows {
                if engine::parse_program(black_box(code), Some(question)).is_ok() {
                    ok += 1;
                }
            }
            black_box(ok)
        })
    });
    c.bench_function("gsm_hard_ruff_only", |b| {
        b.iter(|| {
            rows.iter()
                .filter(|(code, _)| ruff_python_parser::parse_module(black_box(code)).is_ok())
                .count()
        })
    });
    let graphs: Vec<_> = rows
        .iter()
        .filter_map(|(c, q)| engine::parse_program(c, Some(q)).ok())
        .collect();
    c.bench_function("gsm_hard_print_all", |b| {
        b.iter(|| {
            graphs
                .iter()
                .map(|g| engine::to_python(black_box(g)).len())
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
