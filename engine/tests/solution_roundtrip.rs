//! Worked solutions round-trip: for every variant (curriculum rounds 1–8, a new input value, a
//! distractor, an inverted question), the row `{question: text, answer: worked solution}` is
//! extracted again by `engine::gsm8k` and gives the variant's answer exactly. Over a seeded
//! sample of GSM8K train and over GSM-Hard (programs for GSM8K test questions, rows the
//! extractor was never tuned on). Also checks the solution's shape: one `<<…>>` per step,
//! `####` last, no identifiers (a step that only copies a computed value is stated without one).

use engine::curriculum::{generate, CurriculumConfig};
use engine::graph::Graph;
use engine::intervene::{intervene, Intervention};
use engine::labels;
use engine::problem::{extract, Problem};
use engine::sample::{sample, SampleConfig, SampleKind};
use engine::solution::worked;
use engine::verbalize;
use engine::Number;

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);
const HARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm-hard/gsmhardv2.part-a.jsonl"
);

/// splitmix64, for a seeded sample without dependencies.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Up to `n` lines of `text`, drawn with `seed` (in file order).
fn sample_lines(text: &str, n: usize, seed: u64) -> Vec<(usize, &str)> {
    let mut lines: Vec<(u64, usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (mix(seed ^ i as u64), i, l))
        .collect();
    lines.sort();
    lines.truncate(n);
    lines.sort_by_key(|l| l.1);
    lines.into_iter().map(|(_, i, l)| (i, l)).collect()
}

/// A variant to check: what it is, its lineage and graph.
struct Case {
    what: String,
    operations: Vec<Intervention>,
    graph: Graph,
}

/// The variants of one original.
fn cases(original: &Graph, id: &str, seed: u64) -> Vec<Case> {
    let mut out = vec![Case {
        what: "original".into(),
        operations: Vec::new(),
        graph: original.clone(),
    }];
    let cfg = CurriculumConfig {
        rounds: 8,
        per_problem: 1,
        seed,
        ..CurriculumConfig::default()
    };
    if let Ok(chains) = generate(original, id, &cfg) {
        for v in chains.into_iter().flat_map(|c| c.variants) {
            out.push(Case {
                what: format!("round {}", v.round),
                operations: v.operations,
                graph: v.graph,
            });
        }
    }
    let sc = SampleConfig {
        kind: SampleKind::SetInput,
        ..SampleConfig::default()
    };
    if let Ok(s) = sample(original, &sc, &cfg.constraints, seed) {
        out.push(Case {
            what: "set_input".into(),
            operations: vec![s.intervention],
            graph: s.graph,
        });
    }
    let d = Intervention::AddDistractor {
        name: "extra".into(),
        value: Number::int(7),
        combine: None,
    };
    if let Ok((g, _)) = intervene(original, &d) {
        out.push(Case {
            what: "add_distractor".into(),
            operations: vec![d],
            graph: g,
        });
    }
    for input in original.ids() {
        let iv = Intervention::Invert { input };
        if let Ok((g, _)) = intervene(original, &iv) {
            out.push(Case {
                what: "invert".into(),
                operations: vec![iv],
                graph: g,
            });
            break;
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    /// GSM8K originals, and how many of them `worked` writes back exactly as given.
    originals: usize,
    identical: usize,
    variants: usize,
    agree: usize,
    failures: Vec<String>,
}

/// Checks every variant of the sampled rows; returns the tally.
fn run(label: &str, rows: &[(usize, &str)]) -> Tally {
    let mut t = Tally::default();
    // `SHOW_WORKED=N` prints N sampled variants with their text and solution.
    let mut show: usize = std::env::var("SHOW_WORKED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for &(i, line) in rows {
        let Ok(problem) = Problem::from_json(line) else {
            continue;
        };
        let Ok(ex) = extract(&problem) else { continue };
        if ex.answer_matches == Some(false) {
            continue;
        }
        let original = ex.graph;
        let id = format!("{label}:{}", i + 1);
        // How often the original's own solution comes back exactly as GSM8K wrote it.
        if let engine::problem::Solution::Gsm8k { answer } = &problem.solution {
            t.originals += 1;
            let back = worked(&original, &original).unwrap_or_default();
            let norm = |s: &str| -> Vec<String> {
                s.lines()
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect()
            };
            if norm(&back) == norm(answer) {
                t.identical += 1;
            } else if std::env::var("SHOW_DIFFERENT").is_ok() && t.originals - t.identical <= 15 {
                eprintln!("=== {id} differs\n{answer}\n---\n{back}\n");
            }
        }
        for case in cases(&original, &id, 2026) {
            t.variants += 1;
            let g = &case.graph;
            let text = verbalize::offline(&original, &case.operations)
                .map(|v| v.text)
                .unwrap_or_else(|_| original.question().unwrap_or("").to_string());
            let fail = |why: String| format!("{id} {}: {why}", case.what);
            let solution = match worked(&original, g) {
                Ok(s) => s,
                Err(e) => {
                    t.failures.push(fail(format!("no solution: {e}")));
                    continue;
                }
            };
            // The shape: one annotation per step, `####` last, no identifiers.
            let steps = labels::steps(g)
                .iter()
                .filter(|s| !engine::solution::is_copy(g, s.node))
                .count()
                .max(1);
            let annotations = solution.matches("<<").count();
            let last = solution.lines().last().unwrap_or("");
            if annotations != steps
                || !last.starts_with("#### ")
                || solution.contains('_')
                || solution.lines().filter(|l| l.starts_with("####")).count() != 1
            {
                t.failures.push(fail(format!(
                    "shape: {annotations} annotations for {steps} steps\n{solution}"
                )));
                continue;
            }
            if show > 0 && mix(t.variants as u64).is_multiple_of(40) {
                show -= 1;
                eprintln!("=== {id} {}\n{text}\n---\n{solution}\n", case.what);
            }
            match engine::gsm8k::extract(&text, &solution) {
                Ok(x)
                    if x.graph.answer_value() == g.answer_value()
                        && x.expected == g.answer_value() =>
                {
                    t.agree += 1
                }
                Ok(x) => t.failures.push(fail(format!(
                    "re-extracted {} (#### {}) but the variant's answer is {}\n{solution}",
                    x.graph.answer_value(),
                    x.expected,
                    g.answer_value()
                ))),
                Err(e) => t.failures.push(fail(format!("{e}\n{solution}"))),
            }
        }
    }
    eprintln!(
        "{label}: {}/{} variants re-extract to their answer ({:.2}%)",
        t.agree,
        t.variants,
        100.0 * t.agree as f64 / t.variants.max(1) as f64
    );
    if t.originals > 0 {
        eprintln!(
            "{label}: {}/{} originals' solutions written back exactly as given",
            t.identical, t.originals
        );
    }
    for f in t.failures.iter().take(20) {
        eprintln!("--- {f}");
    }
    t
}

/// Rows sampled per file: 300, or `ROUNDTRIP_ROWS` (e.g. 100000 for every row).
fn rows_to_check() -> usize {
    std::env::var("ROUNDTRIP_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

#[test]
fn train_variants_round_trip_through_their_worked_solution() {
    let Ok(text) = std::fs::read_to_string(TRAIN) else {
        eprintln!("notice: {TRAIN} not readable; skipping the round-trip test on train");
        return;
    };
    let t = run("train", &sample_lines(&text, rows_to_check(), 7));
    assert!(t.variants > 1000, "{} variants", t.variants);
    assert!(t.failures.is_empty(), "{} failures", t.failures.len());
}

#[test]
fn unseen_gsm_hard_variants_round_trip_through_their_worked_solution() {
    let Ok(text) = std::fs::read_to_string(HARD) else {
        eprintln!("notice: {HARD} not readable; skipping the round-trip test on GSM-Hard");
        return;
    };
    let t = run("gsm-hard", &sample_lines(&text, rows_to_check(), 11));
    assert!(t.variants > 500, "{} variants", t.variants);
    assert!(t.failures.is_empty(), "{} failures", t.failures.len());
}

#[test]
fn labels_carry_the_worked_sentences() {
    let q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?";
    let a = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72";
    let g = engine::gsm8k::extract(q, a).unwrap().graph;
    let friends = g.find("friends").unwrap();
    let (v, _) = intervene(
        &g,
        &Intervention::SetInput {
            node: friends,
            value: Number::int(36),
        },
    )
    .unwrap();
    let steps = labels::steps_worked(&g, &v);
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0].text.as_deref(),
        Some("Natalia sold 36/2 = 18 clips in May.")
    );
    assert_eq!(steps[1].value, Number::int(54));
}
