//! Fuzz target: intervention lists (what a saved variant, a lineage or an API request
//! carries), read as JSON `Vec<engine::intervene::Intervention>` and applied one by one to
//! two small fixed problems: a GSM8K problem (inputs and steps) and a Python program (inputs,
//! a constant, a branch with a threshold, a call).
//!
//! Input: UTF-8 text, one JSON list (at most `MAX_INTERVENTIONS` = 256 are applied). Runs on
//! the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - a refused intervention leaves the graph exactly as it was;
//! - an accepted one: its diff records the answer and depth before and after, each change's
//!   old and new value, nodes it added; `intervene` on a copy gives the same graph and diff;
//!   the result re-evaluates to its recorded answer (`verdict::execution` passes);
//! - the accepted list replays (`curriculum::regenerate`) to the same graph, which prints
//!   and reads back as itself and keeps every invariant of `graft_fuzz::check_graph`;
//! - the offline verbalizer and the consistency check run on it without panicking;
//! - a short curriculum (2 rounds, seeded by the input length) grown from the result gives variants
//!   that regenerate exactly from their lineage, with their recorded answer and metrics.
#![no_main]

use std::sync::LazyLock;

use engine::curriculum::{generate, regenerate, CurriculumConfig, Lineage};
use engine::intervene::{apply, intervene, Intervention};
use engine::{verbalize, verdict, Graph};
use libfuzzer_sys::fuzz_target;

/// The most interventions applied from one input (`engine::limits::MAX_INTERVENTIONS`).
const MAX_INTERVENTIONS: usize = 256;

/// A GSM8K problem (from demo/demo.jsonl).
const GSM8K_Q: &str = "A box of pencils costs $6 and a notebook costs $4. Lena buys 3 boxes of \
pencils and 5 notebooks. She pays with a $50 bill. How much change does she get?";
const GSM8K_A: &str = "The pencils cost 3 * 6 = $<<3*6=18>>18.\nThe notebooks cost 5 * 4 = \
$<<5*4=20>>20.\nShe spends 18 + 20 = $<<18+20=38>>38.\nHer change is 50 - 38 = \
$<<50-38=12>>12.\n#### 12";

/// A program with a constant, a branch on a threshold and a call.
const PROGRAM_Q: &str = "Tom has 12 apples and buys 5 bags with 3 apples each. If he has more \
than 20 apples, he gives 4 to his sister. He eats 2 apples an hour for half an hour. How many \
apples does he have left?";
const PROGRAM: &str = r#"def solution():
    apples = 12
    bags = 5
    per_bag = 3
    eaten_per_hour = 2
    hours = 0.5
    minutes_per_hour = 60
    bought = bags * per_bag
    total = apples + bought
    given = 4 if total > 20 else 0
    eaten = eaten_per_hour * hours * minutes_per_hour / 60
    left = max(total - given - eaten, 0)
    return left
"#;

static ORIGINALS: LazyLock<[Graph; 2]> = LazyLock::new(|| {
    let gsm = engine::gsm8k::extract(GSM8K_Q, GSM8K_A)
        .expect("the fixed GSM8K problem extracts")
        .graph;
    let py = engine::parse_program(PROGRAM, Some(PROGRAM_Q)).expect("the fixed program parses");
    [gsm, py]
});

/// Applies `list` to `original`, checking each step; returns the graph and what was accepted.
fn apply_all(original: &Graph, list: &[Intervention]) -> (Graph, Vec<Intervention>) {
    let mut g = original.clone();
    let mut accepted = Vec::new();
    for iv in list {
        let before = g.clone();
        match apply(&mut g, iv) {
            Ok(diff) => {
                assert_eq!(diff.answer, (before.answer_value(), g.answer_value()));
                assert_eq!(diff.depth, (before.depth(), g.depth()));
                for c in &diff.changes {
                    assert_eq!(g.value(c.node), c.new, "{iv:?}: {c:?}");
                    if c.node.index() < before.len() {
                        assert_eq!(before.value(c.node), c.old, "{iv:?}: {c:?}");
                    }
                }
                for a in &diff.added {
                    assert!(a.index() >= before.len() && a.index() < g.len(), "{a:?}");
                }
                let (h, d) = intervene(&before, iv).expect("intervene agrees with apply");
                assert!(h.same_as(&g) && d == diff, "intervene differs from apply: {iv:?}");
                let check = verdict::execution(&g, &g.answer_value().to_string());
                assert!(check.ok, "{iv:?}: {check:?}");
                accepted.push(iv.clone());
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert!(
                    g.same_as(&before) && g.question() == before.question(),
                    "a refused {iv:?} changed the graph: {e}"
                );
                assert!(intervene(&before, iv).is_err(), "intervene accepts {iv:?}");
            }
        }
    }
    (g, accepted)
}

fuzz_target!(|data: &[u8]| {
    let Ok(list) = serde_json::from_slice::<Vec<Intervention>>(data) else {
        return;
    };
    if list.len() > MAX_INTERVENTIONS {
        return;
    }
    graft_fuzz::on_server_stack(|| {
        for original in ORIGINALS.iter() {
            let (g, accepted) = apply_all(original, &list);
            let lineage = Lineage {
                source_id: "fuzz".into(),
                seed: 0,
                operations: accepted.clone(),
            };
            let replayed = regenerate(original, &lineage).expect("an accepted list replays");
            assert!(replayed.same_as(&g), "replaying the accepted list differs");
            graft_fuzz::emit_graph(&g);
            graft_fuzz::check_graph(&g);
            graft_fuzz::check_print_round_trip(&g);
            if let Ok(v) = verbalize::offline(original, &accepted) {
                let _ = verdict::consistency(original, &g, &v.text);
                let _ = verbalize::validate(original, &g, &v.text);
            }
            let cfg = CurriculumConfig {
                rounds: 2,
                per_problem: 1,
                seed: data.len() as u64,
                ..CurriculumConfig::default()
            };
            for chain in generate(&g, "fuzz", &cfg).expect("2 rounds are valid") {
                for v in &chain.variants {
                    assert_eq!(v.operations.len() as u32, v.round);
                    assert_eq!(v.answer, v.graph.answer_value());
                    assert_eq!(v.metrics, v.graph.metrics());
                    let again = regenerate(&g, &v.lineage()).expect("a variant regenerates");
                    assert!(again.same_as(&v.graph), "a variant does not regenerate");
                    graft_fuzz::emit(
                        graft_fuzz::EMIT_INTERVENTIONS,
                        serde_json::to_string(&v.operations).expect("serializes").as_bytes(),
                    );
                }
            }
        }
    });
});
