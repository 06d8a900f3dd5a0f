//! A dataset's evaluation report: how often each model's stored solutions are correct, by
//! depth, by round and by intervention kind, each with its Wilson 95% interval, and pass@k
//! when variants have several samples. [`report`] computes it from the solutions' rows; it is
//! pure (no I/O), so the store, `graft eval report` and the browser share it.
//!
//! How solutions count:
//!
//! - Every stored solution is one trial; `correct` counts the solutions scored `correct`
//!   (`wrong` and `unparseable` are both failures; `unparseable` is also counted apart).
//! - **Depth** and **round** are the variant's own (`variants.depth`, `variants.round`).
//!   Only variants are solved, so rounds start at 1: there is no round 0 (the originals).
//! - **Kind**: the kinds of intervention in the variant's whole lineage (its own operations
//!   and its ancestors'), by the engine's names (`graft`, `set_input`, `add_distractor`,
//!   `flip_branch`, `set_threshold`, `invert`). A variant with several kinds counts **once
//!   in each kind it contains**, so the kind cells can add up to more than the total; a
//!   variant whose lineage has no operation at all counts under [`NO_KIND`].
//! - **pass@k** is per variant (a variant's samples by one model), averaged over the
//!   variants with at least `k` samples, for `k` = 1 to the most samples a variant has
//!   (1–16 each, then powers of two and the most); only when some variant has more than one.

use std::collections::{BTreeMap, BTreeSet};

use engine::labels::eval::{mean_pass_at_k, wilson};
use serde::{Deserialize, Serialize};

/// The kind a variant counts under when its lineage has no operation.
pub const NO_KIND: &str = "none";

/// The intervention kinds in the order reports list them (the engine's `op` names).
pub const KINDS: [&str; 6] = [
    "graft",
    "set_input",
    "add_distractor",
    "flip_branch",
    "set_threshold",
    "invert",
];

/// A kind's name as people read it (`add_distractor` → "distractor"); unknown names as given.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "graft" => "graft",
        "set_input" => "set input",
        "add_distractor" => "distractor",
        "flip_branch" => "flip branch",
        "set_threshold" => "threshold",
        "invert" => "inversion",
        NO_KIND => "no operation",
        other => other,
    }
}

/// A variant's stored solutions by one model, as the report reads them (several rows of the
/// same model and variant add up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalRow {
    /// The model that wrote them.
    pub model: String,
    /// The variant they solve.
    pub variant_id: i64,
    /// The variant's depth.
    pub depth: u32,
    /// The variant's round (1 for a child of the problem).
    pub round: u32,
    /// The intervention kinds in the variant's lineage (any order; repeats are ignored).
    pub kinds: Vec<String>,
    /// Solutions (samples).
    pub samples: u64,
    /// Of them, scored correct.
    pub correct: u64,
    /// Of them, with no final answer found.
    pub unparseable: u64,
}

/// Counts of one group of solutions, with the accuracy and its Wilson 95% interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Solutions.
    pub n: u64,
    /// Of them, correct.
    pub correct: u64,
    /// Of them, with no final answer found.
    pub unparseable: u64,
    /// `correct / n` (0 when `n` is 0).
    pub accuracy: f64,
    /// The interval's low end (0–1).
    pub low: f64,
    /// The interval's high end (0–1).
    pub high: f64,
}

impl Cell {
    /// The cell of these counts.
    pub fn new(n: u64, correct: u64, unparseable: u64) -> Cell {
        let correct = correct.min(n);
        let (low, high) = wilson(correct, n);
        Cell {
            n,
            correct,
            unparseable: unparseable.min(n),
            accuracy: if n == 0 {
                0.0
            } else {
                correct as f64 / n as f64
            },
            low,
            high,
        }
    }

    /// `62.5% [40.9–80.0%]`: the accuracy and its interval in percent.
    pub fn percent(&self) -> String {
        format!(
            "{:.1}% [{:.1}–{:.1}%]",
            100.0 * self.accuracy,
            100.0 * self.low,
            100.0 * self.high
        )
    }
}

/// The cell of one depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthCell {
    /// The depth.
    pub depth: u32,
    /// Its counts.
    #[serde(flatten)]
    pub cell: Cell,
}

/// The cell of one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundCell {
    /// The round.
    pub round: u32,
    /// Its counts.
    #[serde(flatten)]
    pub cell: Cell,
}

/// The cell of one intervention kind (see the module's rule for several kinds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindCell {
    /// The kind (`graft`, `set_input`, …, or [`NO_KIND`]).
    pub kind: String,
    /// Its counts.
    #[serde(flatten)]
    pub cell: Cell,
}

/// pass@k for one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassAtK {
    /// k.
    pub k: u32,
    /// The mean unbiased estimate over the variants with at least k samples (0–1).
    pub value: f64,
    /// How many variants that was.
    pub variants: u64,
}

/// One model's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEval {
    /// The model's name, as stored.
    pub model: String,
    /// All its solutions.
    pub overall: Cell,
    /// Distinct variants it solved.
    pub variants: u64,
    /// The most samples of one variant.
    pub max_samples: u32,
    /// By the variant's depth, ascending.
    pub by_depth: Vec<DepthCell>,
    /// By the variant's round, ascending.
    pub by_round: Vec<RoundCell>,
    /// By intervention kind in the lineage, in [`KINDS`] order (unknown kinds after, by name,
    /// then [`NO_KIND`]).
    pub by_kind: Vec<KindCell>,
    /// pass@k for k = 1, 2, …; empty unless some variant has more than one sample.
    pub pass_at_k: Vec<PassAtK>,
}

/// A dataset's evaluation report: one entry per model, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The dataset.
    pub dataset_id: i64,
    /// Stored solutions over all models.
    pub solutions: u64,
    /// Each model's results, by name.
    pub models: Vec<ModelEval>,
}

/// Counts while grouping.
#[derive(Default, Clone, Copy)]
struct Tally {
    n: u64,
    correct: u64,
    unparseable: u64,
}

impl Tally {
    fn add(&mut self, r: &EvalRow) {
        self.n += r.samples;
        self.correct += r.correct.min(r.samples);
        self.unparseable += r.unparseable.min(r.samples);
    }

    fn cell(self) -> Cell {
        Cell::new(self.n, self.correct, self.unparseable)
    }
}

/// Where a kind sorts: the engine's kinds in [`KINDS`] order, unknown names after (by name),
/// [`NO_KIND`] last.
fn kind_order(kind: &str) -> (usize, String) {
    match KINDS.iter().position(|k| *k == kind) {
        Some(i) => (i, String::new()),
        None if kind == NO_KIND => (KINDS.len() + 1, String::new()),
        None => (KINDS.len(), kind.to_string()),
    }
}

/// The values of k pass@k is given for when variants have at most `most` samples: 1 to 16,
/// then the powers of two below `most`, then `most` itself.
pub fn pass_ks(most: u32) -> Vec<u32> {
    let mut ks: Vec<u32> = (1..=most.min(16)).collect();
    let mut k = 32u32;
    while k < most {
        ks.push(k);
        k = k.saturating_mul(2);
    }
    if most > 16 {
        ks.push(most);
    }
    ks
}

/// Everything one model's rows add up to.
#[derive(Default)]
struct ModelTally {
    overall: Tally,
    by_depth: BTreeMap<u32, Tally>,
    by_round: BTreeMap<u32, Tally>,
    by_kind: BTreeMap<(usize, String), (String, Tally)>,
    /// Per variant: (samples, correct).
    per_variant: BTreeMap<i64, (u64, u64)>,
}

/// The report of `rows` (a dataset's stored solutions grouped by model and variant, any
/// order; a row with no samples is left out).
pub fn report(dataset_id: i64, rows: &[EvalRow]) -> EvalReport {
    let mut models: BTreeMap<&str, ModelTally> = BTreeMap::new();
    let mut solutions = 0;
    for r in rows.iter().filter(|r| r.samples > 0) {
        solutions += r.samples;
        let m = models.entry(r.model.as_str()).or_default();
        m.overall.add(r);
        m.by_depth.entry(r.depth).or_default().add(r);
        m.by_round.entry(r.round).or_default().add(r);
        let kinds: BTreeSet<&str> = r.kinds.iter().map(String::as_str).collect();
        let kinds = if kinds.is_empty() {
            BTreeSet::from([NO_KIND])
        } else {
            kinds
        };
        for kind in kinds {
            m.by_kind
                .entry(kind_order(kind))
                .or_insert_with(|| (kind.to_string(), Tally::default()))
                .1
                .add(r);
        }
        let v = m.per_variant.entry(r.variant_id).or_default();
        v.0 += r.samples;
        v.1 += r.correct.min(r.samples);
    }
    let models = models
        .into_iter()
        .map(|(model, m)| {
            let most = m.per_variant.values().map(|v| v.0).max().unwrap_or(0);
            let most = u32::try_from(most).unwrap_or(u32::MAX);
            let per_variant: Vec<(u64, u64)> = m.per_variant.values().copied().collect();
            let pass_at_k = if most > 1 {
                pass_ks(most)
                    .into_iter()
                    .filter_map(|k| {
                        mean_pass_at_k(&per_variant, u64::from(k))
                            .map(|(value, variants)| PassAtK { k, value, variants })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            ModelEval {
                model: model.to_string(),
                overall: m.overall.cell(),
                variants: m.per_variant.len() as u64,
                max_samples: most,
                by_depth: m
                    .by_depth
                    .into_iter()
                    .map(|(depth, t)| DepthCell {
                        depth,
                        cell: t.cell(),
                    })
                    .collect(),
                by_round: m
                    .by_round
                    .into_iter()
                    .map(|(round, t)| RoundCell {
                        round,
                        cell: t.cell(),
                    })
                    .collect(),
                by_kind: m
                    .by_kind
                    .into_values()
                    .map(|(kind, t)| KindCell {
                        kind,
                        cell: t.cell(),
                    })
                    .collect(),
                pass_at_k,
            }
        })
        .collect();
    EvalReport {
        dataset_id,
        solutions,
        models,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One solution of `variant_id` by `model`, right or wrong.
    fn row(
        model: &str,
        variant_id: i64,
        depth: u32,
        round: u32,
        kinds: &[&str],
        ok: bool,
    ) -> EvalRow {
        EvalRow {
            model: model.to_string(),
            variant_id,
            depth,
            round,
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            samples: 1,
            correct: u64::from(ok),
            unparseable: 0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn solutions_group_by_model_depth_round_and_kind() {
        let mut rows = vec![
            // Model b: variant 1 (depth 3, round 1, graft) twice right; variant 2 (depth 5,
            // round 2, graft + distractor) once right, once wrong, once unparseable.
            row("b", 1, 3, 1, &["graft"], true),
            row("b", 1, 3, 1, &["graft", "graft"], true),
            row("b", 2, 5, 2, &["add_distractor", "graft"], true),
            row("b", 2, 5, 2, &["graft", "add_distractor"], false),
            // Model a: one wrong solution of a variant with no operation.
            row("a", 3, 2, 1, &[], false),
        ];
        rows.push(EvalRow {
            unparseable: 1,
            ..row("b", 2, 5, 2, &["graft", "add_distractor"], false)
        });
        // A row with no samples counts nowhere.
        rows.push(EvalRow {
            samples: 0,
            ..row("c", 9, 1, 1, &["invert"], false)
        });
        let r = report(7, &rows);
        assert_eq!(r.dataset_id, 7);
        assert_eq!(r.solutions, 6);
        let names: Vec<&str> = r.models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(names, ["a", "b"]);

        let a = &r.models[0];
        assert_eq!((a.overall.n, a.overall.correct), (1, 0));
        assert_eq!(a.by_kind.len(), 1);
        assert_eq!(a.by_kind[0].kind, NO_KIND);
        assert!(a.pass_at_k.is_empty(), "one sample a variant: no pass@k");

        let b = &r.models[1];
        assert_eq!(
            (b.overall.n, b.overall.correct, b.overall.unparseable),
            (5, 3, 1)
        );
        assert!(close(b.overall.accuracy, 0.6));
        assert_eq!((b.overall.low, b.overall.high), wilson(3, 5));
        assert_eq!(b.variants, 2);
        assert_eq!(b.max_samples, 3);
        let depths: Vec<(u32, u64, u64)> = b
            .by_depth
            .iter()
            .map(|d| (d.depth, d.cell.n, d.cell.correct))
            .collect();
        assert_eq!(depths, [(3, 2, 2), (5, 3, 1)]);
        let rounds: Vec<(u32, u64, u64)> = b
            .by_round
            .iter()
            .map(|d| (d.round, d.cell.n, d.cell.correct))
            .collect();
        assert_eq!(rounds, [(1, 2, 2), (2, 3, 1)]);
        // Once per kind a variant contains (a repeated kind counts once): graft holds all
        // five, distractor the three of variant 2; graft comes first.
        let kinds: Vec<(&str, u64, u64)> = b
            .by_kind
            .iter()
            .map(|k| (k.kind.as_str(), k.cell.n, k.cell.correct))
            .collect();
        assert_eq!(kinds, [("graft", 5, 3), ("add_distractor", 3, 1)]);
        // pass@k: variant 1 has (2, 2), variant 2 (3, 1).
        let ks: Vec<u32> = b.pass_at_k.iter().map(|p| p.k).collect();
        assert_eq!(ks, [1, 2, 3]);
        assert!(close(b.pass_at_k[0].value, (1.0 + 1.0 / 3.0) / 2.0));
        assert_eq!(b.pass_at_k[0].variants, 2);
        // k = 2: variant 1 certain, variant 2 1 − C(2,2)/C(3,2) = 2/3.
        assert!(close(b.pass_at_k[1].value, (1.0 + 2.0 / 3.0) / 2.0));
        // k = 3: only variant 2 has 3 samples: certain.
        assert_eq!(b.pass_at_k[2].variants, 1);
        assert!(close(b.pass_at_k[2].value, 1.0));
    }

    #[test]
    fn grouped_rows_count_as_their_solutions_one_by_one() {
        let one_by_one = [
            row("m", 4, 6, 3, &["graft"], true),
            row("m", 4, 6, 3, &["graft"], false),
            row("m", 4, 6, 3, &["graft"], false),
        ];
        let grouped = [EvalRow {
            samples: 3,
            correct: 1,
            ..row("m", 4, 6, 3, &["graft"], false)
        }];
        assert_eq!(report(1, &one_by_one), report(1, &grouped));
        // Counts past the samples are clamped, never more than 100%.
        let odd = [EvalRow {
            samples: 2,
            correct: 5,
            unparseable: 9,
            ..row("m", 4, 6, 3, &["graft"], false)
        }];
        let c = report(1, &odd).models[0].overall;
        assert_eq!((c.n, c.correct, c.unparseable), (2, 2, 2));
    }

    #[test]
    fn unknown_kinds_sort_after_the_engines_and_no_operation_last() {
        let rows = [
            row("m", 1, 1, 1, &[], true),
            row("m", 2, 1, 1, &["zeta"], true),
            row("m", 3, 1, 1, &["invert", "set_input"], true),
        ];
        let r = report(1, &rows);
        let kinds: Vec<&str> = r.models[0]
            .by_kind
            .iter()
            .map(|k| k.kind.as_str())
            .collect();
        assert_eq!(kinds, ["set_input", "invert", "zeta", NO_KIND]);
        assert_eq!(kind_label("add_distractor"), "distractor");
        assert_eq!(kind_label("zeta"), "zeta");
    }

    #[test]
    fn an_empty_report_has_no_models_and_cells_never_divide_by_zero() {
        let r = report(3, &[]);
        assert!(r.models.is_empty() && r.solutions == 0);
        let c = Cell::new(0, 0, 0);
        assert_eq!((c.accuracy, c.low, c.high), (0.0, 0.0, 1.0));
        assert_eq!(Cell::new(4, 9, 9).correct, 4);
        assert_eq!(Cell::new(8, 4, 0).percent(), {
            let (lo, hi) = wilson(4, 8);
            format!("50.0% [{:.1}–{:.1}%]", 100.0 * lo, 100.0 * hi)
        });
    }

    #[test]
    fn pass_ks_are_every_k_to_16_then_powers_of_two() {
        assert_eq!(pass_ks(1), [1]);
        assert_eq!(pass_ks(4), [1, 2, 3, 4]);
        let ks = pass_ks(100);
        assert_eq!(&ks[..16], (1..=16).collect::<Vec<_>>());
        assert_eq!(&ks[16..], [32, 64, 100]);
        assert_eq!(pass_ks(32).last(), Some(&32));
        assert_eq!(pass_ks(32).len(), 17);
    }

    #[test]
    fn the_report_reads_back_from_json_with_flat_cells() {
        let r = report(1, &[row("m", 1, 2, 1, &["graft"], true)]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["models"][0]["by_depth"][0]["depth"], 2);
        assert_eq!(json["models"][0]["by_depth"][0]["n"], 1);
        assert_eq!(json["models"][0]["by_kind"][0]["kind"], "graft");
        let back: EvalReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
