//! GSM8K rows out: `graft generate --format gsm8k` and `graft export --format gsm8k` (CLI and
//! HTTP) write `{question, answer, id, source_id, round, operations}` rows whose answer is a
//! worked solution that `engine::gsm8k` extracts back to the variant's stored answer.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

/// The keys of every GSM8K row, sorted.
const KEYS: [&str; 6] = [
    "answer",
    "id",
    "operations",
    "question",
    "round",
    "source_id",
];

fn graft(args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_graft"));
    c.args(args)
        .env_remove("GRAFT_LLM_BASE_URL")
        .env_remove("GRAFT_LLM_MODEL")
        .env_remove("GRAFT_DATA_DIR")
        .env_remove("GRAFT_DATABASE_URL");
    if let Some(d) = data_dir {
        c.arg("--data-dir").arg(d);
    }
    c.output().expect("the graft binary runs")
}

/// Checks that `rows` are GSM8K rows and re-extract to `answers[id]` (every id present);
/// returns how many rows there were.
fn check_rows(rows: &str, answers: &BTreeMap<String, String>) -> usize {
    let mut n = 0;
    for line in rows.lines() {
        let row: Value = serde_json::from_str(line).expect("a JSON row");
        let mut keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, KEYS, "{row}");
        let question = row["question"].as_str().unwrap();
        let answer = row["answer"].as_str().unwrap();
        let id = row["id"].as_str().unwrap();
        assert!(row["round"].as_i64().unwrap() >= 1, "{row}");
        assert!(!row["source_id"].as_str().unwrap().is_empty(), "{row}");
        // The lineage is a JSON string of interventions.
        let ops: Vec<Value> = serde_json::from_str(row["operations"].as_str().unwrap()).unwrap();
        assert!(!ops.is_empty(), "{row}");
        assert!(
            answer.lines().last().unwrap().starts_with("#### "),
            "{answer}"
        );
        assert!(answer.contains("<<"), "{answer}");
        let x = engine::gsm8k::extract(question, answer)
            .unwrap_or_else(|e| panic!("{id}: {e}\n{question}\n{answer}"));
        let stored: engine::Number = answers
            .get(id)
            .unwrap_or_else(|| panic!("no stored answer for {id}"))
            .parse()
            .unwrap();
        assert_eq!(x.graph.answer_value(), stored, "{id}\n{question}\n{answer}");
        assert_eq!(x.expected, stored, "{id}");
        n += 1;
    }
    n
}

#[test]
fn generate_writes_gsm8k_rows_that_extract_to_the_variants_answers() {
    let dir = common::data_dir();
    let rows = dir.path().join("rows.jsonl");
    let full = dir.path().join("full.jsonl");
    for (format, out) in [("gsm8k", &rows), ("graft", &full)] {
        let o = graft(
            &[
                "generate",
                "--rounds",
                "3",
                "--seed",
                "5",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
            None,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // The full records of the same run give each variant's answer.
    let answers: BTreeMap<String, String> = std::fs::read_to_string(&full)
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            (
                r["id"].as_str().unwrap().to_string(),
                r["answer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let text = std::fs::read_to_string(&rows).unwrap();
    let n = check_rows(&text, &answers);
    assert_eq!(n, answers.len());
    assert!(n >= 10, "{n} rows");
    // `--format gsm8k` is deterministic for a seed.
    let again = dir.path().join("again.jsonl");
    let o = graft(
        &[
            "generate",
            "--rounds",
            "3",
            "--seed",
            "5",
            "--format",
            "gsm8k",
            "--out",
            again.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
}

#[test]
fn export_writes_gsm8k_rows_through_the_cli_and_http() {
    let dir = common::data_dir();
    let server = common::start(dir.path());
    let addr = server.addr;
    let rows: Vec<String> = common::demo_lines().into_iter().take(4).collect();
    let (status, report) = common::post_text(addr, "/api/datasets?name=src", &rows.join("\n"));
    assert_eq!(status, 201, "{report}");
    let id = report["dataset_id"].as_i64().unwrap();
    let (status, job) = common::post_json(
        addr,
        "/api/jobs",
        &json!({"dataset_id": id, "rounds": 3, "per_problem": 1, "seed": 9}),
    );
    assert_eq!(status, 201, "{job}");
    let job = common::wait_done(addr, job["id"].as_i64().unwrap());
    assert_eq!(job["state"], "done", "{job}");

    // The stored answers, by export key, from the full export.
    let (status, full) = common::get(addr, &format!("/api/datasets/{id}/export?format=full"));
    assert_eq!(status, 200);
    let answers: BTreeMap<String, String> = full
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "variant")
        .map(|r| {
            (
                r["variant_key"].as_str().unwrap().to_string(),
                r["answer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(answers.len() >= 8, "{} variants", answers.len());

    let (status, http) = common::get(addr, &format!("/api/datasets/{id}/export?format=gsm8k"));
    assert_eq!(status, 200, "{http}");
    assert_eq!(check_rows(&http, &answers), answers.len());

    let file = dir.path().join("rows.jsonl");
    let o = graft(
        &[
            "export",
            "--dataset",
            "src",
            "--format",
            "gsm8k",
            "-o",
            file.to_str().unwrap(),
        ],
        Some(dir.path()),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), http);
}
