//! Curricula over the whole GSM8K train set: every variant re-evaluates to its recorded
//! answer, regenerates from its lineage, and mean depth rises strictly from round 1 to 8.

use engine::curriculum::{generate, regenerate, CurriculumConfig};
use engine::problem::{extract, Problem};

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

#[test]
fn train_curriculum_deepens_round_by_round() {
    let text = match std::fs::read_to_string(TRAIN) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("notice: {TRAIN} not readable ({e}); skipping the curriculum test");
            return;
        }
    };
    let cfg = CurriculumConfig {
        rounds: 8,
        per_problem: 1,
        seed: 2026,
        ..CurriculumConfig::default()
    };
    let mut depth = [(0u64, 0u64); 9];
    let (mut variants, mut problems, mut stopped) = (0usize, 0usize, 0usize);
    for (i, line) in text.lines().enumerate() {
        let problem = Problem::from_json(line).expect("train rows are GSM8K rows");
        let Ok(ex) = extract(&problem) else { continue };
        if ex.answer_matches != Some(true) {
            continue;
        }
        problems += 1;
        let original = ex.graph;
        let id = format!("train:{}", i + 1);
        for chain in generate(&original, &id, &cfg).unwrap() {
            stopped += chain.stopped.is_some() as usize;
            for v in &chain.variants {
                variants += 1;
                let mut fresh = v.graph.clone();
                fresh.evaluate_all().unwrap();
                assert_eq!(fresh.answer_value(), v.answer, "{id} round {}", v.round);
                let again = regenerate(&original, &v.lineage()).unwrap();
                assert!(
                    again.same_as(&v.graph),
                    "{id} round {} regenerates",
                    v.round
                );
                assert_eq!(v.metrics, v.graph.metrics());
                depth[v.round as usize].0 += v.metrics.depth as u64;
                depth[v.round as usize].1 += 1;
            }
        }
    }
    let means: Vec<f64> = depth[1..]
        .iter()
        .map(|(s, n)| *s as f64 / (*n).max(1) as f64)
        .collect();
    eprintln!(
        "{problems} problems, {variants} variants, {stopped} chains stopped early; mean depth by round: {means:.2?}"
    );
    assert!(problems > 7000, "extraction works on train ({problems})");
    assert!(
        depth[8].1 as f64 > 0.9 * problems as f64,
        "most chains reach round 8: {depth:?}"
    );
    assert!(
        means.windows(2).all(|w| w[0] < w[1]),
        "mean depth rises strictly: {means:?}"
    );
}
