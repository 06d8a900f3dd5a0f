//! Nothing from outside makes the engine panic: random and mangled problems, programs and
//! JSON only ever give values or errors.

use engine::gsm8k;
use engine::layout::{layout, Spacing};
use engine::mentions;
use engine::problem::{extract, Problem};
use engine::text_numbers::find_numbers;
use engine::{parse_program, Graph};
use proptest::prelude::*;

const DEMO: &str = include_str!("../../demo/demo.jsonl");

/// Pieces that push extraction and parsing into their corners.
const SNIPPETS: &[&str] = &[
    "<<",
    ">>",
    "=",
    "####",
    "#### -",
    "/0",
    "/ 0",
    "**",
    "** 999",
    "1e308",
    "0.000001",
    "1,000,000,000,000,000,000,000,000",
    "-",
    "(",
    ")",
    "x",
    "%",
    "half",
    "twice",
    "a dozen",
    "\n",
    "    ",
    "if ",
    "else:",
    "elif",
    ":",
    " if x > 3 else ",
    "return",
    "while True:",
    "math.",
    "round(",
    ",",
    "  # graft: proxy",
    "  # graft: input 0..999",
    "  # graft: ids 9 0",
    "\"\"\"",
    "é",
    "½",
    "\u{200b}",
    "\t",
    "$",
    "...",
    "1/3",
    "def solution():",
    "for i in range(",
    "[",
    "]",
    ".append(",
    "break",
    "def f(n):",
    "len(",
    " for x in ",
];

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// The demo set, plus the first rows of GSM8K train and GSM-Hard where present.
fn demo_rows() -> Vec<serde_json::Value> {
    static ROWS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
    ROWS.get_or_init(|| {
        let mut text = DEMO.to_string();
        for (file, n) in [
            ("gsm8k/train.jsonl", 300),
            ("gsm-hard/gsmhardv2.part-a.jsonl", 150),
        ] {
            if let Ok(t) = std::fs::read_to_string(format!("{DATA}/{file}")) {
                text.extend(t.lines().take(n).map(|l| format!("{l}\n")));
            }
        }
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                // GSM-Hard rows carry the question in `input`.
                if v.get("question").is_none() {
                    v["question"] = v["input"].clone();
                }
                v
            })
            .collect()
    })
    .clone()
}

/// Lays out and links a graph that came from outside (results are checked elsewhere).
fn draw(g: &Graph) {
    let _ = layout(g, Spacing::default());
    let ms = mentions::link(g);
    let _ = mentions::segments(g.question().unwrap_or(""), &ms);
}

/// `text` with `edits` applied: each edit cuts a range or splices in a snippet.
fn mangle(text: &str, edits: &[(usize, usize, usize)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(at, len, snippet) in edits {
        let at = at % (chars.len() + 1);
        if snippet % 3 == 0 {
            let end = (at + len % 12).min(chars.len());
            chars.drain(at..end);
        } else {
            let s = SNIPPETS[snippet % SNIPPETS.len()];
            chars.splice(at..at, s.chars());
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(q in "\\PC{0,200}", a in "\\PC{0,200}") {
        let _ = find_numbers(&q);
        let _ = gsm8k::extract(&q, &a);
        let _ = parse_program(&a, Some(&q));
        let _ = Problem::from_json(&a);
        let _ = serde_json::from_str::<Graph>(&a);
    }

    #[test]
    fn mangled_demo_problems_never_panic(
        row in 0usize..10_000,
        edits in proptest::collection::vec((0usize..4000, 0usize..64, 0usize..1000), 1..6),
    ) {
        let rows = demo_rows();
        let row = &rows[row % rows.len()];
        let q = mangle(row["question"].as_str().unwrap(), &edits);
        let _ = find_numbers(&q);
        if let Some(a) = row["answer"].as_str() {
            if let Ok(ex) = gsm8k::extract(&q, &mangle(a, &edits)) {
                draw(&ex.graph);
            }
        }
        if let Some(code) = row["code"].as_str() {
            let code = mangle(code, &edits);
            if let Ok(g) = parse_program(&code, Some(&q)) {
                draw(&g);
                // Whatever parses prints and reads back to the same graph.
                let printed = engine::to_python(&g);
                let again = parse_program(&printed, g.question());
                prop_assert!(
                    again.as_ref().is_ok_and(|a| a.same_as(&g)),
                    "{code}\n--- printed as ---\n{printed}\n--- reads back as ---\n{again:?}"
                );
            }
        }
        let line = mangle(&row.to_string(), &edits);
        if let Ok(p) = Problem::from_json(&line) {
            if let Ok(ex) = extract(&p) {
                draw(&ex.graph);
            }
        }
    }

    #[test]
    fn mangled_graph_json_never_panics(
        row in 0usize..10_000,
        edits in proptest::collection::vec((0usize..4000, 0usize..64, 0usize..1000), 1..4),
    ) {
        let rows = demo_rows();
        let p = Problem::from_json(&rows[row % rows.len()].to_string()).unwrap();
        let Ok(ex) = extract(&p) else { return Ok(()) };
        let g = ex.graph;
        let json = mangle(&serde_json::to_string(&g).unwrap(), &edits);
        if let Ok(g) = serde_json::from_str::<Graph>(&json) {
            draw(&g);
        }
    }
}
