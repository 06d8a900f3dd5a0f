//! The loops of the `curriculum` and `words` benchmarks without criterion, for instruction
//! counts (`valgrind --tool=callgrind`): `cargo run --release -p engine --example speed_loops
//! -- curriculum|words [ITERATIONS]`. A warm iteration's cost is the difference of a 3- and a
//! 1-iteration run, halved. Reads the data files the benchmarks read. `rows N` times each
//! curriculum program alone, N times in a row (memos emptied each time), and lists the
//! slowest: a program run over and over finds its code and branches warm, so the sum is well
//! under the benchmark's iteration, which goes from program to program.

use engine::curriculum::{generate, CurriculumConfig};
use engine::Graph;
use std::hint::black_box;

/// The `graft` binary's allocator, as in the benchmarks.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

const HARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm-hard/gsmhardv2.part-a.jsonl"
);
const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

fn config() -> CurriculumConfig {
    CurriculumConfig {
        rounds: 8,
        per_problem: 1,
        seed: 1,
        ..CurriculumConfig::default()
    }
}

/// The curriculum benchmark's programs.
fn hard() -> Vec<(String, Graph)> {
    let text = std::fs::read_to_string(HARD).expect("GSM-Hard part A");
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let g = engine::parse_program(v["code"].as_str()?, v["input"].as_str()).ok()?;
            Some((format!("gsm-hard:{}", i + 1), g))
        })
        .collect()
}

/// The words benchmark's problems: the first 40 GSM8K train rows with 7 operations whose
/// chain reaches round 8.
fn train() -> Vec<(String, Graph)> {
    let text = std::fs::read_to_string(TRAIN).expect("GSM8K train");
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
        if out.len() == 40 {
            break;
        }
    }
    out
}

fn words(g: &Graph, v: &engine::curriculum::Variant) -> usize {
    let mut bytes = 0;
    if let Ok(w) = engine::records::offline_words(g, v) {
        bytes += w.text.len() + w.solution.map_or(0, |s| s.len());
    }
    bytes += engine::labels::steps_worked(g, &v.graph).len();
    bytes + engine::printer::to_python(&v.graph).len()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("curriculum", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let cfg = config();
    let rows = if which == "words" { train() } else { hard() };
    if which == "rows" {
        // (microseconds a run, nodes, id, variants a run)
        let mut per: Vec<(f64, usize, String, usize)> = rows
            .iter()
            .map(|(id, g)| {
                let start = std::time::Instant::now();
                let mut v = 0;
                for _ in 0..n {
                    engine::clear_memos();
                    for c in generate(black_box(g), id, &cfg).expect("valid") {
                        v += c.variants.len();
                    }
                }
                (
                    start.elapsed().as_secs_f64() * 1e6 / n as f64,
                    g.len(),
                    id.clone(),
                    v / n,
                )
            })
            .collect();
        let total: f64 = per.iter().map(|p| p.0).sum();
        per.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut cum = 0.0;
        for (i, p) in per.iter().enumerate() {
            cum += p.0;
            if i < 40 || i % 50 == 0 {
                eprintln!(
                    "{i:4} {:8.1} us  nodes {:3} variants {} {}  cum {:.1}%",
                    p.0,
                    p.1,
                    p.3,
                    p.2,
                    cum * 100.0 / total
                );
            }
        }
        eprintln!("total {total:.0} us");
        return;
    }
    let start = std::time::Instant::now();
    let mut total = 0usize;
    for _ in 0..n {
        // As the benchmarks do: every iteration starts with the memos empty.
        engine::clear_memos();
        for (id, g) in &rows {
            for chain in generate(black_box(g), id, &cfg).expect("valid config") {
                if which == "words" {
                    for v in &chain.variants {
                        total += words(g, v);
                    }
                } else {
                    total += chain.variants.len();
                }
            }
        }
    }
    eprintln!(
        "{which}: {} rows, {n} iterations, {:.2} ms an iteration ({total})",
        rows.len(),
        start.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}
