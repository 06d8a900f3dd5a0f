//! The engine fuzz targets' bodies, one function per target (fuzz/fuzz_targets/ calls them,
//! engine/tests/fuzz_regressions.rs replays saved inputs through them). Each takes the raw
//! input and panics when an invariant breaks.

use engine::constraints::Constraints;
use engine::curriculum::{generate, regenerate, CurriculumConfig, Lineage};
use engine::gsm8k;
use engine::intervene::{apply, intervene, Intervention};
use engine::problem::{extract, Problem, Solution};
use engine::sample::{sample, SampleConfig};
use engine::{verbalize, verdict, Graph};
use std::sync::LazyLock;

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
                assert!(
                    h.same_as(&g) && d == diff,
                    "intervene differs from apply: {iv:?}"
                );
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

/// Fuzz target: the Python reader, `engine::parse_program(source, question)`.
///
/// Input: UTF-8 text, the program; after a NUL byte, the question (no question without one).
/// Runs on the stack of a server worker (2 MiB), so recursion the server cannot afford
/// crashes here too.
///
/// Checks, beyond "no panic, no overflow, no hang":
/// - a refusal is an error with a category and a message;
/// - for a program that parses, `parse_program(to_python(g), question)` gives the same graph
///   (names, kinds, operands, values, order, answer);
/// - the graph keeps every invariant of `checks::check_graph` (values are what evaluation
///   gives, JSON round trip, metrics, layout, mentions).
pub fn python_reader(data: &[u8]) {
    let Some((source, question)) = crate::checks::split_nul(data) else {
        return;
    };
    crate::checks::on_server_stack(|| match engine::parse_program(source, question) {
        Ok(g) => {
            if question.is_some() {
                assert_eq!(g.question(), question, "the question is the one given");
            }
            crate::checks::emit_graph(&g);
            crate::checks::check_graph(&g);
            crate::checks::check_print_round_trip(&g);
        }
        Err(e) => {
            assert!(!e.category().is_empty() && !e.to_string().is_empty());
        }
    });
}

/// Fuzz target: the GSM8K reader, `engine::gsm8k::extract(question, answer)`.
///
/// Input: UTF-8 text, the question, then a NUL byte, then the answer (with calculator
/// annotations and a `#### value` line); without a NUL the whole input is the answer and the
/// question is empty. Runs on the stack of a server worker (2 MiB).
///
/// Checks, beyond "no panic, no overflow, no hang":
/// - an extracted graph's answer equals the `####` value (`final_answer`), and its question is
///   the one given;
/// - printing the graph as Python and reading it back gives the same graph;
/// - the graph keeps every invariant of `checks::check_graph`;
/// - a refusal has a category and a message.
pub fn gsm8k_reader(data: &[u8]) {
    let Some((first, second)) = crate::checks::split_nul(data) else {
        return;
    };
    let (question, answer) = match second {
        Some(answer) => (first, answer),
        None => ("", first),
    };
    crate::checks::on_server_stack(|| match gsm8k::extract(question, answer) {
        Ok(ex) => {
            assert_eq!(
                ex.graph.answer_value(),
                ex.expected,
                "the graph's answer is not the #### value"
            );
            assert_eq!(gsm8k::final_answer(answer), Some(ex.expected));
            assert_eq!(ex.graph.question(), Some(question));
            crate::checks::emit_graph(&ex.graph);
            crate::checks::check_graph(&ex.graph);
            crate::checks::check_print_round_trip(&ex.graph);
        }
        Err(e) => {
            assert!(!e.category.as_str().is_empty() && !e.detail.is_empty());
        }
    });
}

/// Fuzz target: one JSONL row, the whole path a row of `graft extract`, an import or a job
/// takes: `engine::problem::Problem::from_json(line)`, then `engine::problem::extract`.
///
/// Input: UTF-8 text, one line (GSM8K `{question, answer}` or a program row `{code, ...}`).
/// Runs on the stack of a server worker (2 MiB).
///
/// Checks, beyond "no panic, no overflow, no hang":
/// - a `Problem` survives its own JSON form unchanged (its float answer within 4 ulps);
/// - `extract` gives exactly what the reader it dispatches to gives (`gsm8k::extract` or
///   `parse_program`), and a GSM8K row's graph matches its `####` answer;
/// - an extracted graph prints and reads back to the same graph, and keeps every invariant
///   of `checks::check_graph`.
pub fn problem_row(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    crate::checks::on_server_stack(|| {
        let Ok(p) = Problem::from_json(line) else {
            return;
        };
        let json = serde_json::to_string(&p).expect("a problem serializes");
        let back: Problem = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("a problem's own JSON does not read back: {e}\n{json}"));
        // serde_json (without its `float_roundtrip` feature) may read a long decimal one
        // unit in the last place off; the expected answer is compared within 1e-6 anyway.
        let close = match (back.expected, p.expected) {
            (Some(a), Some(b)) => (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()),
            (a, b) => a == b,
        };
        assert!(
            back.id == p.id && back.question == p.question && back.solution == p.solution && close,
            "JSON round trip changed the problem: {p:?} became {back:?}"
        );

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
                assert_eq!(
                    ex.answer_matches,
                    Some(true),
                    "a GSM8K graph gives its #### value"
                );
            }
            crate::checks::emit_graph(&ex.graph);
            crate::checks::check_graph(&ex.graph);
            crate::checks::check_print_round_trip(&ex.graph);
        }
    });
}

/// Fuzz target: a graph as JSON (what the store keeps, exports carry and the API returns),
/// read with `serde_json::from_str::<engine::Graph>`, then used.
///
/// Input: UTF-8 text, one JSON graph. Runs on the stack of a server worker (2 MiB).
///
/// Checks, for every graph that reads:
/// - every invariant of `checks::check_graph`: stored values are what evaluation gives,
///   JSON gives the same graph back (a fixed point), metrics agree with depth and levels, the
///   layout places every node and edge, mentions cut the question cleanly;
/// - when every node name is a distinct normal identifier, the printed program
///   (`engine::to_python`) reads back as an equivalent graph (every name with its
///   value, the same answer; operand lists may come back normalized) and prints the same;
/// - a seeded draw of the sampler either fails with an error or gives a graph whose values are
///   the evaluation's and whose answer is the one its diff records.
pub fn graph_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    crate::checks::on_server_stack(|| {
        let Ok(g) = serde_json::from_str::<Graph>(text) else {
            return;
        };
        crate::checks::check_graph(&g);
        if crate::checks::printable_names(&g) {
            crate::checks::check_print_equivalent(&g);
        }
        let cfg = SampleConfig {
            max_draws: 16,
            ..SampleConfig::default()
        };
        if let Ok(s) = sample(&g, &cfg, &Constraints::none(), data.len() as u64) {
            assert_eq!(s.diff.answer.1, s.graph.answer_value());
            let mut again = s.graph.clone();
            again.evaluate_all().expect("a sampled graph evaluates");
            assert!(
                again.same_as(&s.graph),
                "a sampled graph's values are stale"
            );
        }
    });
}

/// Fuzz target: intervention lists (what a saved variant, a lineage or an API request
/// carries), read as JSON `Vec<engine::intervene::Intervention>` and applied one by one to
/// two small fixed problems: a GSM8K problem (inputs and steps) and a Python program (inputs,
/// a constant, a branch with a threshold, a call).
///
/// Input: UTF-8 text, one JSON list (at most `MAX_INTERVENTIONS` = 256 are applied). Runs on
/// the stack of a server worker (2 MiB).
///
/// Checks, beyond "no panic, no overflow, no hang":
/// - a refused intervention leaves the graph exactly as it was;
/// - an accepted one: its diff records the answer and depth before and after, each change's
///   old and new value, nodes it added; `intervene` on a copy gives the same graph and diff;
///   the result re-evaluates to its recorded answer (`verdict::execution` passes);
/// - the accepted list replays (`curriculum::regenerate`) to the same graph, which prints
///   and reads back as itself and keeps every invariant of `checks::check_graph`;
/// - the offline verbalizer and the consistency check run on it without panicking;
/// - a short curriculum (2 rounds, seeded by the input length) grown from the result gives variants
///   that regenerate exactly from their lineage, with their recorded answer and metrics.
pub fn interventions(data: &[u8]) {
    let Ok(list) = serde_json::from_slice::<Vec<Intervention>>(data) else {
        return;
    };
    if list.len() > MAX_INTERVENTIONS {
        return;
    }
    crate::checks::on_server_stack(|| {
        for original in ORIGINALS.iter() {
            let (g, accepted) = apply_all(original, &list);
            let lineage = Lineage {
                source_id: "fuzz".into(),
                seed: 0,
                operations: accepted.clone(),
            };
            let replayed = regenerate(original, &lineage).expect("an accepted list replays");
            assert!(replayed.same_as(&g), "replaying the accepted list differs");
            crate::checks::emit_graph(&g);
            crate::checks::check_graph(&g);
            crate::checks::check_print_round_trip(&g);
            if let Ok(v) = verbalize::offline(original, &accepted) {
                let _ = verdict::consistency(original, &g, &v.text);
                let _ = verbalize::validate(original, &g, &v.text);
            }
            for chain in generate(&g, "fuzz", &two_rounds(data)).expect("2 rounds are valid") {
                for v in &chain.variants {
                    assert_eq!(v.operations.len() as u32, v.round);
                    assert_eq!(v.answer, v.graph.answer_value());
                    assert_eq!(v.metrics, v.graph.metrics());
                    let again = regenerate(&g, &v.lineage()).expect("a variant regenerates");
                    assert!(again.same_as(&v.graph), "a variant does not regenerate");
                    crate::checks::emit(
                        crate::checks::EMIT_INTERVENTIONS,
                        serde_json::to_string(&v.operations)
                            .expect("serializes")
                            .as_bytes(),
                    );
                }
            }
        }
    });
}

/// Fuzz target: one JSONL row through the words path of `graft generate --verbalize`: the row
/// read and extracted as [`problem_row`] does, a 2-round curriculum over its graph (which
/// reads the question for every quantity's name), then each variant's offline text and worked
/// solution (`engine::records::offline_words`) and the check of that text
/// (`verbalize::validate`).
///
/// Input: UTF-8 text, one line (GSM8K `{question, answer}` or a program row `{code, input}`).
/// Runs on the stack of a server worker (2 MiB).
///
/// Checks, beyond "no panic, no overflow, no hang":
/// - every variant's text is non-empty, and the same when made again;
/// - its worked solution ends with the variant's answer (`#### …`);
/// - the name of every quantity of the original reads the same twice.
pub fn words_row(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    crate::checks::on_server_stack(|| {
        let Ok(p) = Problem::from_json(line) else {
            return;
        };
        let Ok(ex) = extract(&p) else {
            return;
        };
        let g = ex.graph;
        for id in g.ids() {
            assert_eq!(
                verbalize::quantity_name(&g, id),
                verbalize::quantity_name(&g, id),
                "a quantity's name changes between two readings"
            );
        }
        for chain in generate(&g, "fuzz", &two_rounds(data)).expect("2 rounds are valid") {
            for v in &chain.variants {
                let Ok(words) = engine::records::offline_words(&g, v) else {
                    continue;
                };
                assert!(!words.text.trim().is_empty(), "an empty text");
                let again = engine::records::offline_words(&g, v).expect("made once, made again");
                assert_eq!(words, again, "the text differs when made again");
                if let Some(solution) = &words.solution {
                    let last = solution.lines().last().unwrap_or("");
                    assert!(
                        last.starts_with("#### "),
                        "a worked solution ends with its answer line: {solution}"
                    );
                }
                let _ = verbalize::validate(&g, &v.graph, &words.text);
            }
        }
    });
}

/// The short curriculum the targets grow from a graph: 2 rounds, one chain, seeded by the
/// input's length.
fn two_rounds(data: &[u8]) -> CurriculumConfig {
    CurriculumConfig {
        rounds: 2,
        per_problem: 1,
        seed: data.len() as u64,
        ..CurriculumConfig::default()
    }
}
