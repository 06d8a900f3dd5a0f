//! The records `graft generate` writes, one per variant, made here so that every front end
//! (the CLI, the Python package) writes the same JSON for the same row and seed.
//!
//! A row becomes records in three steps: [`extract_row`] (its graph, or why it is skipped;
//! then [`sound`], unless the user keeps flawed originals), [`chains`] (its curriculum), then [`VariantRecord::new`] per variant, with the words a front
//! end wrote ([`Words`]; [`offline_words`] without a model).

use serde::Serialize;

use crate::curriculum::{generate, regenerate, Chain, CurriculumConfig, Lineage, Variant};
use crate::intervene::Intervention;
use crate::labels::{self, CorruptedChain, StepLabel};
use crate::problem::{extract, Problem};
use crate::verdict::Verdict;
use crate::{printer, Graph, Metrics, Number};

/// Why a row gives no variants: a short category for counting, and a message that starts
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// `answer_mismatch`, `flawed_original`, `curriculum_failed`, or an extraction category.
    pub category: String,
    /// What went wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A row's graph, extracted and checked against the answer the row states.
pub fn extract_row(problem: &Problem) -> Result<Graph, Skip> {
    match extract(problem) {
        Ok(ex) if ex.answer_matches != Some(false) => Ok(ex.graph),
        Ok(ex) => Err(Skip {
            category: "answer_mismatch".into(),
            message: format!(
                "answer_mismatch: the graph gives {}, the row states {}",
                ex.graph.answer_value(),
                ex.expected.map(|e| e.to_string()).unwrap_or_default()
            ),
        }),
        Err(f) => Err(Skip {
            category: f.category.clone(),
            message: f.to_string(),
        }),
    }
}

/// Whether `original`'s own solution makes sense as a word problem ([`crate::flaws`]): no
/// amount below zero where the problem gives none, no count of things that is not whole, no
/// money answer past whole cents. Every variant of a flawed original carries its flaw, so
/// front ends leave such rows out unless asked to keep them.
pub fn sound(original: &Graph) -> Result<(), Skip> {
    let found = crate::flaws::flaws(original);
    let Some(first) = found.first() else {
        return Ok(());
    };
    let more = match found.len() {
        1 => String::new(),
        2 => " (and 1 more flaw)".to_string(),
        n => format!(" (and {} more flaws)", n - 1),
    };
    Err(Skip {
        category: "flawed_original".into(),
        message: format!("flawed_original: {}{more}", first.message),
    })
}

/// The graph of a variant rebuilt from what a lean record keeps: its source row (`problem`)
/// and its `operations`, replayed on the row's graph. This is how a reader checks a record
/// that carries no `graph` (see [`Detail`]).
pub fn rebuild(problem: &Problem, operations: &[Intervention]) -> Result<Graph, Skip> {
    let original = extract_row(problem)?;
    let lineage = Lineage {
        source_id: String::new(),
        seed: 0,
        operations: operations.to_vec(),
    };
    regenerate(&original, &lineage).map_err(|e| Skip {
        category: "replay_failed".into(),
        message: format!("replay_failed: the operations do not replay on the source row: {e}"),
    })
}

/// The curriculum chains of `original` (known as `source_id`) under `cfg`.
pub fn chains(
    original: &Graph,
    source_id: &str,
    cfg: &CurriculumConfig,
) -> Result<Vec<Chain>, Skip> {
    generate(original, source_id, cfg).map_err(|e| Skip {
        category: "curriculum_failed".into(),
        message: format!("curriculum_failed: {e}"),
    })
}

/// The kind of reason a chain stopped early (`"round 3: gave up after 200 draws: …"` →
/// `"gave up after 200 draws"`), for counting.
pub fn stop_kind(why: &str) -> String {
    why.split_once(": ")
        .map_or(why, |(_, rest)| rest)
        .split([':', '(', ','])
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Whether a variant re-evaluates from scratch to its recorded answer, and its lineage
/// rebuilds the same graph.
pub fn reproduces(original: &Graph, v: &Variant) -> bool {
    let mut fresh = v.graph.clone();
    let evaluates = fresh.evaluate_all().is_ok() && fresh.answer_value() == v.answer;
    let replays = regenerate(original, &v.lineage()).is_ok_and(|g| g.same_as(&v.graph));
    evaluates && replays
}

/// [`reproduces`] for every variant of `chain`, with one replay of the chain: each round's
/// operations extend the round before's, so the lineage is applied once, round by round, and
/// the graph compared at each round's end (a variant whose operations do not extend its
/// predecessor's is replayed whole).
pub fn chain_reproduces(original: &Graph, chain: &Chain) -> Vec<bool> {
    let mut g = original.clone();
    let mut applied: &[Intervention] = &[];
    let mut replay_ok = true;
    chain
        .variants
        .iter()
        .map(|v| {
            let mut fresh = v.graph.clone();
            let evaluates = fresh.evaluate_all().is_ok() && fresh.answer_value() == v.answer;
            let replays = if v.operations.starts_with(applied) {
                for op in &v.operations[applied.len()..] {
                    // Once a change fails, `g` is no longer read: each is made in place.
                    replay_ok = replay_ok && crate::intervene::replay(&mut g, op).is_ok();
                }
                applied = &v.operations;
                replay_ok
                    && crate::limits::check_len(
                        crate::limits::Limit::Interventions,
                        v.operations.len(),
                    )
                    .is_ok()
                    && g.same_as(&v.graph)
            } else {
                regenerate(original, &v.lineage()).is_ok_and(|r| r.same_as(&v.graph))
            };
            evaluates && replays
        })
        .collect()
}

/// What verbalizing (and judging) a variant adds to its record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    /// The problem text.
    pub text: String,
    /// The worked solution in GSM8K style.
    pub solution: Option<String>,
    /// Who wrote the text: `offline` or `llm`.
    pub source: &'static str,
    /// Why a model's text was not used, when it was not.
    pub fallback: Option<String>,
    /// The judge's verdict, when judged.
    pub verdict: Option<Verdict>,
}

/// The engine's own text and worked solution of variant `v` of `original` (no model).
pub fn offline_words(original: &Graph, v: &Variant) -> Result<Words, Skip> {
    let text =
        crate::verbalize::offline_parts(original, &v.operations, Some(&v.graph)).map_err(|e| {
            Skip {
                category: "verbalize_failed".into(),
                message: format!("verbalize_failed: {e}"),
            }
        })?;
    // What the text found about comparisons holds for the variant's graph when the text was
    // made from it, or the operations replay to it (they do for a variant the curriculum
    // made).
    let told = text
        .told
        .filter(|_| text.graph.as_ref().is_none_or(|g| g.identical(&v.graph)));
    Ok(Words {
        text: text.words.text,
        solution: crate::solution::worked_steps_shared(original, &v.graph, told)
            .as_ref()
            .as_ref()
            .ok()
            .map(crate::solution::Worked::text),
        source: "offline",
        fallback: None,
        verdict: None,
    })
}

/// What a record holds beyond its lean fields. The lean record (the default) keeps what a
/// dataset builder needs: ids, source, chain, round, seed, operations, answers, metrics and
/// the program; the rest can be derived from the source row and the operations
/// ([`rebuild`]) and is written only when asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Detail {
    /// The solution steps, each with its worked-solution sentence (`steps`).
    pub steps: bool,
    /// The variant's whole graph, engine JSON (`graph`).
    pub graph: bool,
}

impl Detail {
    /// The lean record: neither steps nor graph.
    pub const LEAN: Detail = Detail {
        steps: false,
        graph: false,
    };
    /// The full record: steps and graph.
    pub const FULL: Detail = Detail {
        steps: true,
        graph: true,
    };
}

/// One variant as `graft generate` writes it (the `graft` format; the README documents each
/// field).
#[derive(Debug, Clone, Serialize)]
pub struct VariantRecord<'a> {
    /// `SOURCE_ID/cCHAIN/rROUND`.
    pub id: String,
    /// The problem's id (its row's `id`, else `FILE_STEM:LINE`).
    pub source_id: &'a str,
    /// The 1-based line of the problem in its file.
    pub source_line: usize,
    /// The chain.
    pub chain: u32,
    /// The round (the number of grafts on the critical path).
    pub round: u32,
    /// The variant's seed.
    pub seed: u64,
    /// The original question.
    pub question: Option<&'a str>,
    /// The interventions from the original, in order.
    pub operations: &'a [Intervention],
    /// The variant's exact answer.
    pub answer: Number,
    /// The original's answer.
    pub original_answer: Number,
    /// The variant's metrics (depth and more).
    pub metrics: Metrics,
    /// The original's metrics.
    pub original_metrics: Metrics,
    /// The variant as a Python program (reads back to the variant's graph).
    pub program: String,
    /// The variant's graph ([`Detail::graph`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph: Option<&'a Graph>,
    /// Its solution steps, each with its worked-solution sentence ([`Detail::steps`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepLabel>>,
    /// A corrupted chain with its first error labelled (negatives asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative: Option<CorruptedChain>,
    /// The variant's problem text (words asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The worked solution in GSM8K style (words asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution: Option<String>,
    /// Who wrote the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_source: Option<&'static str>,
    /// Why a model's text was not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_fallback: Option<String>,
    /// Each check of the judge separately (judging asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// The row a variant comes from, as its record needs it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The problem's id.
    pub source_id: &'a str,
    /// Its 1-based line.
    pub line: usize,
    /// Its question.
    pub question: Option<&'a str>,
    /// Its graph.
    pub original: &'a Graph,
    /// The graph's metrics.
    pub metrics: Metrics,
}

impl<'a> VariantRecord<'a> {
    /// The record of variant `v` of chain `chain` of `origin`, with `words` when written, a
    /// corrupted copy when `negatives`, and what `detail` asks for.
    pub fn new(
        origin: Origin<'a>,
        chain: u32,
        v: &'a Variant,
        words: Option<Words>,
        negatives: bool,
        detail: Detail,
    ) -> VariantRecord<'a> {
        let (text, solution, text_source, text_fallback, verdict) = match words {
            Some(w) => {
                // The model's solution goes with the model's text; else the engine's.
                let solution = match w.solution {
                    Some(s) => Some(s),
                    None => crate::solution::worked(origin.original, &v.graph).ok(),
                };
                (
                    Some(w.text),
                    solution,
                    Some(w.source),
                    w.fallback,
                    w.verdict,
                )
            }
            None => (None, None, None, None, None),
        };
        VariantRecord {
            id: variant_id(origin.source_id, chain, v.round),
            source_id: origin.source_id,
            source_line: origin.line,
            chain,
            round: v.round,
            seed: v.seed,
            question: origin.question,
            operations: &v.operations,
            answer: v.answer,
            original_answer: origin.original.answer_value(),
            metrics: v.metrics,
            original_metrics: origin.metrics,
            program: printer::to_python(&v.graph),
            graph: detail.graph.then_some(&v.graph),
            steps: detail
                .steps
                .then(|| labels::steps_worked(origin.original, &v.graph)),
            negative: negatives
                .then(|| labels::corrupt(&v.graph, v.seed ^ u64::from(v.round)).ok())
                .flatten(),
            text,
            solution,
            text_source,
            text_fallback,
            verdict,
        }
    }
}

/// A variant's id: `SOURCE_ID/cCHAIN/rROUND`.
pub fn variant_id(source_id: &str, chain: u32, round: u32) -> String {
    format!("{source_id}/c{chain}/r{round}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = r#"{"question": "Tom has 3 boxes of 4 pens and gives away 2. How many pens are left?", "answer": "3 * 4 = <<3*4=12>>12\n12 - 2 = <<12-2=10>>10\n#### 10"}"#;

    /// ROW, its graph, and its chains of two rounds (seed 4).
    fn two_rounds() -> (Problem, Graph, Vec<Chain>) {
        let p = Problem::from_json(ROW).unwrap();
        let g = extract_row(&p).unwrap();
        let cfg = CurriculumConfig {
            rounds: 2,
            per_problem: 1,
            seed: 4,
            ..CurriculumConfig::default()
        };
        let chains = chains(&g, "t:1", &cfg).unwrap();
        (p, g, chains)
    }

    #[test]
    fn a_row_gives_records_that_reproduce() {
        let (p, g, chains) = two_rounds();
        let origin = Origin {
            source_id: "t:1",
            line: 1,
            question: p.question.as_deref(),
            original: &g,
            metrics: g.metrics(),
        };
        let v = &chains[0].variants[1];
        assert!(reproduces(&g, v));
        let words = offline_words(&g, v).unwrap();
        // Told from the variant's own graph, the text is the one its operations replay to.
        for v in &chains[0].variants {
            assert_eq!(
                offline_words(&g, v).unwrap().text,
                crate::verbalize::offline(&g, &v.operations).unwrap().text
            );
        }
        let r = VariantRecord::new(origin, 0, v, Some(words.clone()), true, Detail::LEAN);
        assert_eq!(r.id, "t:1/c0/r2");
        assert_eq!(r.text_source, Some("offline"));
        assert!(r.solution.as_deref().unwrap().contains("####"));
        assert!(r.negative.is_some());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["round"], 2);
        assert_eq!(json["answer"], serde_json::to_value(v.answer).unwrap());
        // Lean: no graph, no steps; the program reads back to the variant's graph, and the
        // source row with the operations rebuilds it.
        assert!(
            json.get("graph").is_none() && json.get("steps").is_none(),
            "{json}"
        );
        let program = json["program"].as_str().unwrap();
        assert!(crate::parse_program(program, None)
            .unwrap()
            .same_as(&v.graph));
        let ops: Vec<Intervention> = serde_json::from_value(json["operations"].clone()).unwrap();
        assert!(rebuild(&p, &ops).unwrap().same_as(&v.graph));
        // Full: the same record with the graph and the steps added.
        let full = VariantRecord::new(origin, 0, v, Some(words), true, Detail::FULL);
        let mut full = serde_json::to_value(&full).unwrap();
        let graph: Graph = serde_json::from_value(full["graph"].clone()).unwrap();
        assert!(graph.same_as(&v.graph));
        assert!(!full["steps"].as_array().unwrap().is_empty());
        let obj = full.as_object_mut().unwrap();
        obj.remove("graph");
        obj.remove("steps");
        assert_eq!(full, json);
    }

    #[test]
    fn operations_that_do_not_replay_are_refused_by_rebuild() {
        let (_, _, chains) = two_rounds();
        let v = &chains[0].variants[1];
        // The same operations on another row's graph do not replay (or give another graph).
        let other =
            Problem::from_json(r#"{"question": "q", "answer": "5 + 6 = <<5+6=11>>11\n#### 11"}"#)
                .unwrap();
        match rebuild(&other, &v.operations) {
            Err(skip) => assert_eq!(skip.category, "replay_failed", "{skip}"),
            Ok(r) => assert!(!r.same_as(&v.graph)),
        }
    }

    #[test]
    fn one_replay_of_a_chain_checks_every_round_as_a_replay_each_would() {
        let p = Problem::from_json(ROW).unwrap();
        let g = extract_row(&p).unwrap();
        let cfg = CurriculumConfig {
            rounds: 4,
            per_problem: 2,
            seed: 9,
            ..CurriculumConfig::default()
        };
        for chain in chains(&g, "t:1", &cfg).unwrap() {
            let each: Vec<bool> = chain.variants.iter().map(|v| reproduces(&g, v)).collect();
            assert!(each.iter().all(|&ok| ok));
            assert_eq!(chain_reproduces(&g, &chain), each);
            // A tampered round fails there, and only there.
            let mut bad = chain.clone();
            bad.variants[1].answer = Number::int(12345);
            let checked = chain_reproduces(&g, &bad);
            assert!(!checked[1] && checked[0] && checked[2..].iter().all(|&ok| ok));
        }
    }

    #[test]
    fn a_row_whose_answer_differs_is_skipped_with_its_category() {
        let bad = r#"{"input":"q","code":"def solution():\n    return 3 * 4","target":11}"#;
        let p = Problem::from_json(bad).unwrap();
        let skip = extract_row(&p).unwrap_err();
        assert_eq!(skip.category, "answer_mismatch");
        assert!(skip.message.contains("states 11"), "{skip}");
        let p = Problem::from_json(&ROW.replace("#### 10", "#### 11")).unwrap();
        assert_eq!(extract_row(&p).unwrap_err().category, "answer_not_reached");
    }

    #[test]
    fn a_flawed_original_is_not_sound() {
        let p = Problem::from_json(
            r#"{"input":"Jean has 30 lollipops. Jean eats 8714250 of the lollipops. How many lollipops does Jean have left?","code":"def solution():\n    have = 30\n    eaten = 8714250\n    left = have - eaten\n    return left\n","target":-8714220}"#,
        )
        .unwrap();
        let g = extract_row(&p).unwrap();
        let skip = sound(&g).unwrap_err();
        assert_eq!(skip.category, "flawed_original");
        assert!(
            skip.message.starts_with("flawed_original: "),
            "{}",
            skip.message
        );
        assert!(skip.message.contains("-8714220"), "{}", skip.message);
        let fine = Problem::from_json(
            r#"{"input":"Jean has 30 lollipops. Jean eats 8 of the lollipops. How many lollipops does Jean have left?","code":"def solution():\n    have = 30\n    eaten = 8\n    left = have - eaten\n    return left\n","target":22}"#,
        )
        .unwrap();
        assert_eq!(sound(&extract_row(&fine).unwrap()), Ok(()));
        assert_eq!(
            stop_kind("round 3: gave up after 200 draws: x"),
            "gave up after 200 draws"
        );
    }
}
