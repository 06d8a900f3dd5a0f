//! Records → Parquet against records → JSONL, for the same 2,000 records of `graft generate
//! --verbalize` (GSM8K train when `../shared/data/gsm8k/train.jsonl` is there, else the demo
//! set with more chains): the output step alone, the records made beforehand. Lean records
//! (the default) in `variants_out`, full ones (`--full`) in `variants_out_full`.

use std::hint::black_box;
use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::curriculum::{Chain, CurriculumConfig};
use engine::problem::Problem;
use engine::records::{self, Detail, Origin, VariantRecord};
use engine::Graph;

const GSM8K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);
const DEMO: &str = include_str!("../../demo/demo.jsonl");
const RECORDS: usize = 2000;

/// A problem's graph, chains and id.
struct Made {
    id: String,
    line: usize,
    question: Option<String>,
    graph: Graph,
    chains: Vec<Chain>,
}

fn made() -> (Vec<Made>, &'static str) {
    let (text, source, per_problem) = match std::fs::read_to_string(GSM8K) {
        Ok(t) => (t, "gsm8k train", 1),
        Err(_) => (DEMO.to_string(), "the demo set", 40),
    };
    let cfg = CurriculumConfig {
        rounds: 3,
        per_problem,
        seed: 1,
        ..CurriculumConfig::default()
    };
    let mut out = Vec::new();
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        if n >= RECORDS {
            break;
        }
        let Ok(p) = Problem::from_json(line) else {
            continue;
        };
        let Ok(graph) = records::extract_row(&p) else {
            continue;
        };
        let id = format!("train:{}", i + 1);
        let Ok(chains) = records::chains(&graph, &id, &cfg) else {
            continue;
        };
        n += chains.iter().map(|c| c.variants.len()).sum::<usize>();
        out.push(Made {
            id,
            line: i + 1,
            question: p.question.clone(),
            graph,
            chains,
        });
    }
    (out, source)
}

fn records_of(made: &[Made], detail: Detail) -> Vec<VariantRecord<'_>> {
    let mut out = Vec::new();
    for m in made {
        let origin = Origin {
            source_id: &m.id,
            line: m.line,
            question: m.question.as_deref(),
            original: &m.graph,
            metrics: m.graph.metrics(),
        };
        for chain in &m.chains {
            for v in &chain.variants {
                let words = records::offline_words(&m.graph, v).ok();
                out.push(VariantRecord::new(
                    origin,
                    chain.index,
                    v,
                    words,
                    false,
                    detail,
                ));
            }
        }
    }
    out.truncate(RECORDS);
    out
}

fn jsonl(records: &[VariantRecord<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        serde_json::to_writer(&mut out, r).expect("a record serializes");
        out.write_all(b"\n").expect("memory");
    }
    out
}

fn parquet(records: &[VariantRecord<'_>]) -> Vec<u8> {
    let mut w = columnar::Writer::new(Vec::new()).expect("a writer");
    for r in records {
        w.push_record(r).expect("a row group");
    }
    w.finish().expect("the footer")
}

fn bench(c: &mut Criterion) {
    let (made, source) = made();
    for (group, detail) in [
        ("variants_out", Detail::LEAN),
        ("variants_out_full", Detail::FULL),
    ] {
        let records = records_of(&made, detail);
        let (j, p) = (jsonl(&records), parquet(&records));
        eprintln!(
            "{group}: {} records of {source}: JSONL {} bytes, Parquet {} bytes",
            records.len(),
            j.len(),
            p.len()
        );
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(records.len() as u64));
        g.sample_size(20);
        g.bench_function("jsonl", |b| {
            b.iter(|| black_box(jsonl(black_box(&records))))
        });
        g.bench_function("parquet", |b| {
            b.iter(|| black_box(parquet(black_box(&records))))
        });
        let rows: Vec<columnar::Row> = records
            .iter()
            .map(|r| columnar::Row::of(r).unwrap())
            .collect();
        g.bench_function("write_only", |b| {
            b.iter(|| {
                let mut w = columnar::Writer::new(Vec::new()).unwrap();
                for r in &rows {
                    w.push(r).unwrap();
                }
                black_box(w.finish().unwrap())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
