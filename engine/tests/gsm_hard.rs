//! GSM-Hard: every program parses, evaluates to its float target, and survives print → parse.

use engine::{parse_program, to_python};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm-hard/gsmhardv2.part-a.jsonl"
);

#[derive(serde::Deserialize)]
struct Row {
    input: String,
    code: String,
    target: f64,
}

fn load() -> Option<Vec<Row>> {
    let Ok(text) = std::fs::read_to_string(PATH) else {
        eprintln!("notice: {PATH} is missing; skipping the GSM-Hard test");
        return None;
    };
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a GSM-Hard row"))
            .collect(),
    )
}

#[test]
fn gsm_hard_programs_match_targets_and_round_trip() {
    let Some(rows) = load() else { return };
    assert!(!rows.is_empty());
    let mut pass = 0usize;
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let g = match parse_program(&row.code, Some(&row.input)) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("row {i}: {e}"));
                continue;
            }
        };
        let printed = to_python(&g);
        match parse_program(&printed, g.question()) {
            Ok(back) => assert!(
                back.same_as(&g),
                "row {i}: print → parse changed the graph\n{printed}"
            ),
            Err(e) => panic!("row {i}: printed program does not parse: {e}\n{printed}"),
        }
        let got = g.answer_value().to_f64();
        let tol = 1e-6 * row.target.abs().max(1.0);
        if (got - row.target).abs() <= tol {
            pass += 1;
        } else {
            failures.push(format!(
                "row {i}: answer {} ({got}) but target {}",
                g.answer_value(),
                row.target
            ));
        }
    }
    for f in &failures {
        println!("{f}");
    }
    let rate = pass as f64 / rows.len() as f64;
    println!(
        "GSM-Hard: {pass}/{} pass ({:.2}%)",
        rows.len(),
        rate * 100.0
    );
    assert!(rate >= 0.995, "pass rate {rate} below 99.5%");
}
