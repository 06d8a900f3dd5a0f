//! Runs curricula over GSM8K rows and prints why chains stop and each round's offline text
//! (a development aid): `cargo run -p engine --example words_dump -- FILE.jsonl [ROUNDS] [SHOW]`.

use engine::curriculum::{generate, CurriculumConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read the file");
    let rounds: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let show = args.get(3).is_some_and(|s| s == "show");
    let jsonl = args.get(3).is_some_and(|s| s == "jsonl");
    let mut reached = vec![0usize; rounds as usize + 1];
    let mut extracted = 0;
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    let mut lint_failed: std::collections::BTreeMap<String, usize> = Default::default();
    let mut linted = 0usize;
    for (i, line) in text.lines().enumerate() {
        let row: serde_json::Value = serde_json::from_str(line).expect("json");
        let (q, a) = (
            row["question"].as_str().unwrap_or(""),
            row["answer"].as_str().unwrap_or(""),
        );
        let Ok(ex) = engine::gsm8k::extract(q, a) else {
            continue;
        };
        extracted += 1;
        let cfg = CurriculumConfig {
            rounds,
            per_problem: 1,
            seed: 11,
            ..Default::default()
        };
        let Ok(chains) = generate(&ex.graph, &format!("row-{i}"), &cfg) else {
            continue;
        };
        for c in chains {
            for v in &c.variants {
                reached[v.round as usize] += 1;
                if !jsonl && !show {
                    let t = engine::verbalize::offline(&ex.graph, &v.operations)
                        .map(|v| v.text)
                        .unwrap_or_default();
                    let sol = engine::solution::worked(&ex.graph, &v.graph).ok();
                    linted += 1;
                    for f in engine::lint::lint(&ex.graph, &v.graph, &t, sol.as_deref()) {
                        *lint_failed.entry(format!("{:?}", f.kind)).or_default() += 1;
                        if std::env::var("LINT_SHOW").is_ok() {
                            eprintln!("{:?}: {}\n   {t}", f.kind, f.message);
                        }
                    }
                }
                if jsonl {
                    let t = engine::verbalize::offline(&ex.graph, &v.operations)
                        .map(|v| v.text)
                        .unwrap_or_default();
                    println!(
                        "{}",
                        serde_json::json!({"id": format!("row-{i}/r{}", v.round), "source_id": format!("row-{i}"), "round": v.round, "text": t, "answer": v.answer.to_string(), "question": q, "original_answer": ex.graph.answer_value().to_string()})
                    );
                }
                if show {
                    let t = engine::verbalize::offline(&ex.graph, &v.operations)
                        .map(|v| v.text)
                        .unwrap_or_default();
                    println!("row-{i} r{} = {}\n   {t}", v.round, v.answer);
                    if std::env::var("SOLUTIONS").is_ok() {
                        let sol = engine::solution::worked(&ex.graph, &v.graph);
                        println!("   {sol:?}");
                    }
                }
            }
            if let Some(s) = c.stopped {
                let key: String = s.split(':').nth(1).unwrap_or("").chars().take(60).collect();
                *reasons.entry(key).or_default() += 1;
                if show {
                    println!("row-{i} stopped: {s}\n   Q: {q}");
                }
            }
        }
    }
    if jsonl {
        return;
    }
    for (r, n) in reached.iter().enumerate().skip(1) {
        println!(
            "round {r}: {n} of {extracted} ({:.1}%)",
            100.0 * *n as f64 / extracted.max(1) as f64
        );
    }
    println!("lint findings over {linted} variant texts: {lint_failed:?}");
    for (k, n) in reasons {
        println!("stopped {n}: {k}");
    }
}
