//! Prints everything the words path makes of a JSONL file's rows, one JSON line per variant
//! (a development aid for checking that speed work keeps the output byte for byte):
//! `cargo run --release -p engine --example words_hash -- FILE.jsonl [ROUNDS] [SEED] | md5sum`.
//! Per variant: its operations, its graph (engine JSON), the offline text and worked solution
//! (`records::offline_words`), the steps with their sentences (`labels::steps_worked`) and the
//! program (`printer::to_python`); per chain, why it stopped.

use engine::curriculum::CurriculumConfig;
use engine::problem::Problem;
use engine::records::{chains, extract_row, offline_words};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read the file");
    let rounds: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let cfg = CurriculumConfig {
        rounds,
        per_problem: 1,
        seed,
        ..CurriculumConfig::default()
    };
    for (i, line) in text.lines().enumerate() {
        let Ok(p) = Problem::from_json(line) else {
            println!("{i}: unreadable");
            continue;
        };
        let g = match extract_row(&p) {
            Ok(g) => g,
            Err(e) => {
                println!("{i}: {e}");
                continue;
            }
        };
        let id = format!("row:{}", i + 1);
        let cs = match chains(&g, &id, &cfg) {
            Ok(cs) => cs,
            Err(e) => {
                println!("{i}: {e}");
                continue;
            }
        };
        for c in &cs {
            for v in &c.variants {
                let w = offline_words(&g, v);
                let (t, s) = match &w {
                    Ok(w) => (w.text.as_str(), w.solution.as_deref()),
                    Err(e) => (e.message.as_str(), None),
                };
                println!(
                    "{}",
                    serde_json::json!({
                        "id": format!("{id}/r{}", v.round),
                        "ops": v.operations,
                        "graph": v.graph,
                        "text": t,
                        "solution": s,
                        "steps": engine::labels::steps_worked(&g, &v.graph),
                        "program": engine::printer::to_python(&v.graph),
                    })
                );
            }
            println!("{id}: stopped {:?}", c.stopped);
        }
    }
}
