//! Counts the flaws `engine::flaws` finds in the originals of a JSONL file (a development
//! aid): `cargo run -p engine --example flaws_survey -- FILE.jsonl [SHOW]` prints every
//! flawed row's question (up to SHOW of them) and the counts per kind.

use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read the file");
    let show: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (mut rows, mut extracted, mut flawed, mut shown) = (0, 0, 0, 0);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for line in text.lines() {
        rows += 1;
        let Ok(p) = engine::problem::Problem::from_json(line) else {
            continue;
        };
        let Ok(g) = engine::records::extract_row(&p) else {
            continue;
        };
        extracted += 1;
        let found = engine::flaws::flaws(&g);
        if found.is_empty() {
            continue;
        }
        flawed += 1;
        *kinds.entry(found[0].kind.as_str()).or_default() += 1;
        if shown < show {
            shown += 1;
            println!("{rows}: {}", g.question().unwrap_or(""));
            for f in &found {
                println!("    {}: {}", f.kind.as_str(), f.message);
            }
        }
    }
    println!("{rows} rows, {extracted} extracted, {flawed} flawed (by first flaw: {kinds:?})");
}
