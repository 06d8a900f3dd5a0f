//! Extraction rate of GSM8K train solutions into computation graphs.

use std::collections::BTreeMap;

use engine::gsm8k::{extract, final_answer, FailureCategory};

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

/// Rows used for development; the rest are a held-out check.
const DEV_ROWS: usize = 5000;

#[derive(serde::Deserialize)]
struct Row {
    question: String,
    answer: String,
}

fn load() -> Option<Vec<Row>> {
    let text = match std::fs::read_to_string(TRAIN) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("notice: {TRAIN} not readable ({e}); skipping the GSM8K train test");
            return None;
        }
    };
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("train.jsonl rows are {question, answer}"))
            .collect(),
    )
}

#[test]
fn train_extraction_rate() {
    let Some(rows) = load() else { return };
    let mut ok = [0usize; 2];
    let mut total = [0usize; 2];
    let mut failures: BTreeMap<FailureCategory, Vec<(usize, String)>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let part = (i >= DEV_ROWS) as usize;
        total[part] += 1;
        match extract(&row.question, &row.answer) {
            Ok(x) => {
                // The answer node must carry the #### value, exactly.
                assert_eq!(x.graph.answer_value(), x.expected, "row {i}");
                assert_eq!(Some(x.expected), final_answer(&row.answer), "row {i}");
                // Input spans slice back to text in the question.
                for id in x.graph.ids() {
                    if let engine::NodeKind::Input { span: Some(s) } = x.graph.node(id).kind {
                        assert!(s.slice(&row.question).is_some(), "row {i}: bad span");
                    }
                }
                ok[part] += 1;
            }
            Err(e) => failures
                .entry(e.category)
                .or_default()
                .push((i, e.to_string())),
        }
    }
    let rate = |o: usize, t: usize| 100.0 * o as f64 / t.max(1) as f64;
    println!(
        "GSM8K train extraction: first {DEV_ROWS}: {}/{} ({:.2}%), held-out: {}/{} ({:.2}%), all: {}/{} ({:.2}%)",
        ok[0],
        total[0],
        rate(ok[0], total[0]),
        ok[1],
        total[1],
        rate(ok[1], total[1]),
        ok[0] + ok[1],
        total[0] + total[1],
        rate(ok[0] + ok[1], total[0] + total[1]),
    );
    if std::env::var_os("GSM8K_DUMP").is_some() {
        for (cat, list) in &failures {
            for (i, msg) in list {
                println!("FAIL\t{i}\t{cat}\t{msg}");
            }
        }
    }
    for (cat, list) in &failures {
        println!("  {cat}: {}", list.len());
        for (i, msg) in list.iter().take(3) {
            println!("    row {i}: {msg}");
        }
    }
    let all = rate(ok[0] + ok[1], total[0] + total[1]);
    assert!(all >= 98.0, "extraction rate {all:.2}% is below 98%");
}
