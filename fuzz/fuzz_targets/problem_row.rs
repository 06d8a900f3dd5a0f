//! Fuzz target: one JSONL row, the whole path a row of `graft extract`, an import or a job
//! takes: `engine::problem::Problem::from_json(line)`, then `engine::problem::extract`.
//!
//! Input: UTF-8 text, one line (GSM8K `{question, answer}` or a program row `{code, ...}`).
//! Runs on the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - a `Problem` survives its own JSON form unchanged;
//! - `extract` gives exactly what the reader it dispatches to gives (`gsm8k::extract` or
//!   `parse_program`), and a GSM8K row's graph matches its `####` answer;
//! - an extracted graph prints and reads back to the same graph, and keeps every invariant
//!   of `graft_fuzz::check_graph`.
#![no_main]

use engine::problem::{extract, Problem, Solution};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    graft_fuzz::on_server_stack(|| {
        let Ok(p) = Problem::from_json(line) else {
            return;
        };
        let json = serde_json::to_string(&p).expect("a problem serializes");
        let back: Problem = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("a problem's own JSON does not read back: {e}\n{json}"));
        assert_eq!(back, p, "JSON round trip changed the problem");

        let got = extract(&p);
        let direct = match &p.solution {
            Solution::Gsm8k { answer } => {
                engine::gsm8k::extract(p.question.as_deref().unwrap_or(""), answer)
                    .map(|ex| ex.graph)
                    .map_err(|e| e.category.as_str().to_string())
            }
            Solution::Python { code } => engine::parse_program(code, p.question.as_deref())
                .map_err(|e| e.category().to_string()),
        };
        match (&got, &direct) {
            (Ok(ex), Ok(g)) => assert!(ex.graph.same_as(g), "extract differs from its reader"),
            (Err(a), Err(b)) => assert_eq!(&a.category, b, "extract fails differently"),
            _ => panic!(
                "extract and its reader disagree: {:?} vs {:?}",
                got.as_ref().map(|_| ()),
                direct.as_ref().map(|_| ())
            ),
        }
        if let Ok(ex) = got {
            if matches!(p.solution, Solution::Gsm8k { .. }) {
                assert_eq!(ex.answer_matches, Some(true), "a GSM8K graph gives its #### value");
            }
            graft_fuzz::emit_graph(&ex.graph);
            graft_fuzz::check_graph(&ex.graph);
            graft_fuzz::check_print_round_trip(&ex.graph);
        }
    });
});
