//! Prints the names the verbalizer gives each quantity of GSM8K rows (a development aid):
//! `cargo run -p engine --example names_dump -- FILE.jsonl [N]`.

use engine::verbalize::names::Names;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("read the file");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let (mut named, mut total) = (0, 0);
    for line in text.lines().take(n) {
        let row: serde_json::Value = serde_json::from_str(line).expect("json");
        let (q, a) = (
            row["question"].as_str().unwrap_or(""),
            row["answer"].as_str().unwrap_or(""),
        );
        let Ok(ex) = engine::gsm8k::extract(q, a) else {
            continue;
        };
        let g = ex.graph;
        let names = Names::new(&g);
        println!("Q: {q}");
        for id in g.ids() {
            let node = g.node(id);
            if matches!(node.kind, engine::NodeKind::Constant) {
                continue;
            }
            total += 1;
            let nm = names.get(id);
            named += nm.is_some() as usize;
            println!(
                "  {:>3} {:<28} {:>8} | {:<70} | {}",
                id.0,
                node.name,
                g.value(id).to_string(),
                nm.map(|n| format!("{} [{:?}]", n.phrase, n.measure))
                    .unwrap_or_else(|| "-".into()),
                node.text.as_deref().unwrap_or("")
            );
        }
    }
    println!("named {named} of {total}");
}
