//! Exports of a dataset's model solutions (`model_solutions`), one record per solution:
//!
//! - **trl**: TRL's stepwise-supervision rows, `{prompt, completions, labels}` with one boolean
//!   per step ([`TrlRecord`]);
//! - **prm800k**: records shaped like OpenAI's PRM800K, with the automatic and the human step
//!   labels kept apart ([`Prm800kRecord`]).
//!
//! **Which labels.** A step's label is the majority rating of the finished human annotations
//! of the solution's label item ([`consensus`]: strictly more votes than any other rating),
//! else (nobody finished, nobody rated the step, or a tie) the automatic label stored with the
//! solution ([`merged_ratings`]). **TRL's booleans**: +1 and 0 are `true` (the step is not
//! wrong), −1 is `false` ([`trl_label`]); a TRL row keeps the steps up to and including the
//! first wrong one ([`trl_steps`]) and leaves out solutions without steps.
//!
//! **The problem text** is what the model was asked: the variant's stored text, else the
//! offline verbalizer's (as solve jobs and the GSM8K export take it), never the original
//! question, whose numbers are not the variant's.
//!
//! **Order.** Solutions with a finished human annotation first, then the others with steps,
//! then those without steps; each group in (variant, id) order. Table readers (Hugging Face
//! `datasets`) fix a column's type from the first rows: an empty list there is a list of
//! nulls, which later rows cannot be cast to, so the rows that fill `human` and the step
//! lists come first. A solution is named by (`variant`, `model`, `sample`) in both formats.

use serde::{Deserialize, Serialize};
use sqlx::{Sqlite, Transaction};
use tokio::sync::mpsc;

use super::{consensus, corrupt, emit, line_of, lineage, read_labels, Job, Labels};
use crate::rows::graph_from_json;
use crate::{StoreError, StoreResult};

/// The value of `graft_prm800k` in every record of a PRM800K-like export.
pub const PRM800K_VERSION: i64 = 1;

/// Solutions read at a time (each page is read whole, then the texts of its variants).
const PAGE: i64 = 128;

/// TRL's boolean label of a rating: `true` for +1 and 0 (correct, or neutral: not wrong),
/// `false` for −1.
pub fn trl_label(rating: i64) -> bool {
    rating >= 0
}

/// The first step rated −1 (unrated steps skipped).
pub fn first_error<I: IntoIterator<Item = Option<i64>>>(ratings: I) -> Option<usize> {
    ratings.into_iter().position(|r| r == Some(-1))
}

/// Where a step's label comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSource {
    /// The majority of the finished human annotations.
    Human,
    /// The automatic label (`engine::labels::solutions`).
    Automatic,
}

impl LabelSource {
    fn as_str(self) -> &'static str {
        match self {
            LabelSource::Human => "human",
            LabelSource::Automatic => "automatic",
        }
    }
}

/// Each step's label: the human majority ([`consensus`] over the finished annotators' ratings)
/// where there is one, else the automatic rating; with where it came from. One entry per
/// automatic label (human ratings of later steps are not read).
pub fn merged_ratings(automatic: &[i64], human: &[Vec<Option<i64>>]) -> Vec<(i64, LabelSource)> {
    let majority = consensus(human);
    automatic
        .iter()
        .enumerate()
        .map(|(i, &auto)| match majority.get(i).copied().flatten() {
            Some(r) => (r, LabelSource::Human),
            None => (auto, LabelSource::Automatic),
        })
        .collect()
}

/// `human` when any step's label is a human majority, else `automatic`.
fn source_of(merged: &[(i64, LabelSource)]) -> LabelSource {
    if merged.iter().any(|&(_, s)| s == LabelSource::Human) {
        LabelSource::Human
    } else {
        LabelSource::Automatic
    }
}

/// A TRL row's completions and labels: the steps up to and including the first one rated −1
/// (all of them when none is), each with [`trl_label`] of its merged rating.
pub fn trl_steps(steps: &[String], merged: &[(i64, LabelSource)]) -> (Vec<String>, Vec<bool>) {
    let end = first_error(merged.iter().map(|&(r, _)| Some(r)))
        .map_or(merged.len(), |i| i + 1)
        .min(steps.len());
    (
        steps[..end].to_vec(),
        merged[..end].iter().map(|&(r, _)| trl_label(r)).collect(),
    )
}

/// A row of the `trl` export: TRL's stepwise-supervision columns first, then where it comes
/// from (TRL's `PRMTrainer` drops the columns it does not use).
#[derive(Debug, Serialize)]
pub struct TrlRecord<'a> {
    /// The problem the model solved.
    pub prompt: String,
    /// The solution's steps (its lines, the `####` line left out), up to the first wrong one.
    pub completions: Vec<String>,
    /// Per completion: `true` when not wrong.
    pub labels: Vec<bool>,
    /// `human` when any label is a human majority, else `automatic`.
    pub label_source: &'static str,
    /// The index of the wrong completion (always the last one), −1 when none is wrong.
    pub first_error: i64,
    /// The dataset's name.
    pub dataset: &'a str,
    /// The variant's key (`v3`), as in the other exports.
    pub variant: String,
    /// The problem's key (`p1`).
    pub problem_key: String,
    /// The model that wrote it.
    pub model: String,
    /// The sample's number for (variant, model), from 0.
    pub sample: i64,
    /// `correct`, `wrong` or `unparseable`.
    pub score: String,
    /// The variant's round.
    pub round: i64,
    /// The variant's depth.
    pub depth: i64,
}

/// `question` of a PRM800K-like record.
#[derive(Debug, Serialize)]
pub struct Prm800kQuestion {
    /// The problem the model solved.
    pub problem: String,
    /// The exact answer (`"72"`, `"1/3"`).
    pub ground_truth_answer: String,
    /// The solution's steps, as in PRM800K phase 2.
    pub pre_generated_steps: Vec<String>,
    /// The final answer the solution states (empty when none).
    pub pre_generated_answer: String,
}

/// One candidate step of a PRM800K step (Graft has exactly one per step).
#[derive(Debug, Serialize)]
pub struct Prm800kCompletion {
    /// The step's line.
    pub text: String,
    /// The merged rating: 1, 0 or −1.
    pub rating: i64,
    /// Always `false`: Graft's annotators flag whole solutions (`human[].flagged`), not steps.
    pub flagged: bool,
}

/// One step of `label.steps`.
#[derive(Debug, Serialize)]
pub struct Prm800kStep {
    /// The step (a list of one, as in PRM800K).
    pub completions: Vec<Prm800kCompletion>,
    /// Always 0: the one completion is the model's.
    pub chosen_completion: i64,
    /// `human` or `automatic`: where `rating` comes from.
    pub source: &'static str,
}

/// `label` of a PRM800K-like record: the merged labels.
#[derive(Debug, Serialize)]
pub struct Prm800kLabel {
    /// Every step of the solution.
    pub steps: Vec<Prm800kStep>,
    /// `found_error` (a step is rated −1), `solution` (none is and the final answer is right)
    /// or `wrong_answer` (none is, but the final answer is wrong or missing).
    pub finish_reason: &'static str,
}

/// The automatic labels of a solution.
#[derive(Debug, Serialize)]
pub struct Prm800kAutomatic {
    /// Per step: 1, 0 or −1.
    pub ratings: Vec<i64>,
    /// Per step: why.
    pub reasons: Vec<String>,
    /// The first step rated −1, −1 when none is.
    pub first_error: i64,
}

/// One annotator's finished labels of a solution.
#[derive(Debug, Serialize)]
pub struct Prm800kHuman {
    /// Their user name.
    pub annotator: String,
    /// Per step: 1, 0, −1, or null when they left it unrated.
    pub ratings: Vec<Option<i64>>,
    /// The first step they rated −1, −1 when none.
    pub first_error: i64,
    /// `solution_correct`, `found_error`, `bad_problem` or `gave_up`.
    pub finish_reason: String,
    /// Whether they flagged the solution.
    pub flagged: bool,
    /// Why (empty when they wrote no note).
    pub flag_note: String,
    /// When they finished.
    pub finished_at: String,
}

/// A record of the `prm800k` export.
#[derive(Debug, Serialize)]
pub struct Prm800kRecord<'a> {
    /// Format version, [`PRM800K_VERSION`].
    pub graft_prm800k: i64,
    /// The dataset's name.
    pub dataset: &'a str,
    /// The variant's key (`v3`).
    pub variant: String,
    /// The problem's key (`p1`).
    pub problem_key: String,
    /// The model that wrote it.
    pub model: String,
    /// The prompt version (`solve-v1`; empty when the client gave none).
    pub prompt_version: String,
    /// The sample's number for (variant, model), from 0.
    pub sample: i64,
    /// The variant's round.
    pub round: i64,
    /// The variant's depth.
    pub depth: i64,
    /// The problem, its answer, the steps and the stated answer.
    pub question: Prm800kQuestion,
    /// The solution as the model wrote it.
    pub solution: String,
    /// The final answer as written (empty when none was found).
    pub final_answer: String,
    /// `correct`, `wrong` or `unparseable`.
    pub score: String,
    /// The merged labels, PRM800K-shaped.
    pub label: Prm800kLabel,
    /// `human` when any step's label is a human majority, else `automatic`.
    pub label_source: &'static str,
    /// The first step whose merged rating is −1, −1 when none is.
    pub first_error: i64,
    /// The automatic labels.
    pub automatic: Prm800kAutomatic,
    /// The finished human annotations, in the order they were made.
    pub human: Vec<Prm800kHuman>,
}

/// `Option<usize>` as the exports write it: the index, or −1.
fn index_or_minus_one(i: Option<usize>) -> i64 {
    i.map_or(-1, |i| i as i64)
}

/// The automatic label of one step, as stored in `model_solutions.labels`.
#[derive(Deserialize)]
struct StoredLabel {
    text: String,
    rating: i64,
    #[serde(default)]
    reason: String,
}

/// A solution with everything its records need, read a page at a time.
struct DbSolution {
    id: i64,
    variant_id: i64,
    variant_key: i64,
    problem_key: i64,
    model: String,
    prompt_version: String,
    sample: i64,
    text: String,
    final_answer: Option<String>,
    score: String,
    labels: String,
    answer: String,
    depth: i64,
    round: i64,
    variant_text: Option<String>,
    parent_variant_id: Option<i64>,
    operations: String,
    original: Option<String>,
    human: String,
}

/// A solution read and checked: its steps, labels and problem text.
struct Solution<'a> {
    row: DbSolution,
    problem: &'a str,
    auto: Vec<StoredLabel>,
    human: Vec<Labels>,
    merged: Vec<(i64, LabelSource)>,
}

/// Which of the two formats.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Trl,
    Prm800k,
}

/// The groups of solutions, in the order written: with a finished human annotation, the
/// others with steps, those without steps (see the module's documentation).
const GROUPS: [i64; 3] = [0, 1, 2];

/// Writes the records of a `trl` or `prm800k` export: each group of [`GROUPS`] in turn
/// (TRL: not the last, solutions without steps), solutions in (variant, id) order.
pub(super) async fn produce(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    kind: Kind,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<()> {
    let groups = match kind {
        Kind::Trl => &GROUPS[..2],
        Kind::Prm800k => &GROUPS[..],
    };
    for &group in groups {
        if !produce_group(tx, job, kind, group, out).await? {
            break;
        }
    }
    Ok(())
}

/// Writes the records of one group; `false` when the reader is gone.
async fn produce_group(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    kind: Kind,
    group: i64,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<bool> {
    let name = job.name.as_str();
    let (mut after_variant, mut after_id) = (0i64, 0i64);
    // The problem text of the last variant seen (rows come grouped by variant).
    let mut text: Option<(i64, String)> = None;
    loop {
        let page: Vec<DbSolution> =
            export_sql!(query_as![
                DbSolution,
                "WITH " KEYS r#"
        SELECT ms.id AS "id!: i64", ms.variant_id, vk.k AS "variant_key!: i64",
            pk.k AS "problem_key!: i64", ms.model, ms.prompt_version, ms.sample, ms.text,
            ms.final_answer, ms.score, ms.labels, v.answer, v.depth, v.round,
            v.text AS variant_text, v.parent_variant_id, v.operations, p.graph AS original,
            "# LABELS_FINISHED r#" AS "human!: String"
        FROM model_solutions ms
            CROSS JOIN variants v ON v.id = ms.variant_id
            CROSS JOIN problems p ON p.id = v.problem_id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
            LEFT JOIN label_items li ON li.solution_id = ms.id
        WHERE p.dataset_id = ?1 AND (ms.variant_id > ?2 OR (ms.variant_id = ?2 AND ms.id > ?3))
            AND CASE
                WHEN EXISTS (SELECT 1 FROM annotations a2
                             WHERE a2.item_id = li.id AND a2.finished_at IS NOT NULL) THEN 0
                WHEN json_array_length(ms.labels) > 0 THEN 1
                ELSE 2 END = ?5
        ORDER BY ms.variant_id, ms.id LIMIT ?4"#
            ](
                job.dataset_id, after_variant, after_id, PAGE, group
            ))
            .fetch_all(&mut **tx)
            .await?;
        let Some(last) = page.last() else {
            return Ok(true);
        };
        (after_variant, after_id) = (last.variant_id, last.id);
        for row in page {
            let whose = format!(
                "the solution of model {:?}, sample {}, of variant v{} in dataset {name:?}",
                row.model, row.sample, row.variant_key
            );
            if text.as_ref().map(|t| t.0) != Some(row.variant_id) {
                let t = problem_text(tx, &row, &whose).await?;
                text = Some((row.variant_id, t));
            }
            let problem = text.as_ref().map_or("", |t| t.1.as_str());
            let solution = read(row, problem, &whose)?;
            let line = match kind {
                Kind::Trl => match trl_record(name, solution) {
                    Some(r) => line_of(&r)?,
                    // No steps: nothing to supervise.
                    None => continue,
                },
                Kind::Prm800k => line_of(&prm800k_record(name, solution))?,
            };
            if !emit(out, line).await {
                return Ok(false);
            }
        }
    }
}

/// What the model was asked: the variant's stored text, else the offline verbalizer's.
async fn problem_text(
    tx: &mut Transaction<'static, Sqlite>,
    row: &DbSolution,
    whose: &str,
) -> StoreResult<String> {
    if let Some(t) = &row.variant_text {
        return Ok(t.clone());
    }
    let operations = lineage(tx, &row.operations, row.parent_variant_id, whose).await?;
    let original = row.original.as_deref().ok_or_else(|| {
        StoreError::Corrupt(format!("{whose} belongs to a problem without a graph"))
    })?;
    let original = graph_from_json(original, whose)?;
    Ok(engine::verbalize::offline(&original, &operations)
        .map_err(|e| {
            StoreError::Invalid(format!(
                "{whose}: the variant has no stored text and the offline verbalizer cannot \
                 write one ({e}); give the variant a text (verbalize or edit it) and export again"
            ))
        })?
        .text)
}

/// Reads a solution's automatic and human labels and merges them.
fn read<'a>(row: DbSolution, problem: &'a str, whose: &str) -> StoreResult<Solution<'a>> {
    let auto: Vec<StoredLabel> =
        serde_json::from_str(&row.labels).map_err(|e| corrupt(whose, "automatic labels", e))?;
    if auto.iter().any(|l| !(-1..=1).contains(&l.rating)) {
        return Err(corrupt(
            whose,
            "automatic labels",
            "a rating is not -1, 0 or 1",
        ));
    }
    let human = read_labels(&row.human, auto.len(), whose)?;
    if let Some(h) = human.iter().find(|h| h.ratings.len() > auto.len()) {
        return Err(corrupt(
            whose,
            "step labels",
            format!(
                "{} rated step {} but the solution has {} steps",
                h.annotator,
                h.ratings.len() - 1,
                auto.len()
            ),
        ));
    }
    let lists: Vec<Vec<Option<i64>>> = human.iter().map(|h| h.ratings.clone()).collect();
    let ratings: Vec<i64> = auto.iter().map(|l| l.rating).collect();
    let merged = merged_ratings(&ratings, &lists);
    Ok(Solution {
        row,
        problem,
        auto,
        human,
        merged,
    })
}

/// The TRL row of a solution; `None` when it has no steps.
fn trl_record<'d>(dataset: &'d str, s: Solution<'_>) -> Option<TrlRecord<'d>> {
    if s.auto.is_empty() {
        return None;
    }
    let steps: Vec<String> = s.auto.into_iter().map(|l| l.text).collect();
    let (completions, labels) = trl_steps(&steps, &s.merged);
    let first_error = index_or_minus_one(labels.iter().position(|&ok| !ok));
    let row = s.row;
    Some(TrlRecord {
        prompt: s.problem.to_string(),
        completions,
        labels,
        label_source: source_of(&s.merged).as_str(),
        first_error,
        dataset,
        variant: format!("v{}", row.variant_key),
        problem_key: format!("p{}", row.problem_key),
        model: row.model,
        sample: row.sample,
        score: row.score,
        round: row.round,
        depth: row.depth,
    })
}

/// The PRM800K-like record of a solution.
fn prm800k_record<'d>(dataset: &'d str, s: Solution<'_>) -> Prm800kRecord<'d> {
    let merged_first = first_error(s.merged.iter().map(|&(r, _)| Some(r)));
    let finish_reason = match merged_first {
        Some(_) => "found_error",
        None if s.row.score == "correct" => "solution",
        None => "wrong_answer",
    };
    let steps: Vec<String> = s.auto.iter().map(|l| l.text.clone()).collect();
    let label = Prm800kLabel {
        steps: s
            .auto
            .iter()
            .zip(&s.merged)
            .map(|(l, &(rating, source))| Prm800kStep {
                completions: vec![Prm800kCompletion {
                    text: l.text.clone(),
                    rating,
                    flagged: false,
                }],
                chosen_completion: 0,
                source: source.as_str(),
            })
            .collect(),
        finish_reason,
    };
    let automatic = Prm800kAutomatic {
        ratings: s.auto.iter().map(|l| l.rating).collect(),
        first_error: index_or_minus_one(first_error(s.auto.iter().map(|l| Some(l.rating)))),
        reasons: s.auto.into_iter().map(|l| l.reason).collect(),
    };
    let human = s
        .human
        .into_iter()
        .map(|h| Prm800kHuman {
            first_error: index_or_minus_one(first_error(h.ratings.iter().copied())),
            annotator: h.annotator,
            ratings: h.ratings,
            finish_reason: h.finish_reason.unwrap_or_default(),
            flagged: h.flagged,
            flag_note: h.flag_note.unwrap_or_default(),
            finished_at: h.finished_at.unwrap_or_default(),
        })
        .collect();
    let row = s.row;
    let final_answer = row.final_answer.unwrap_or_default();
    Prm800kRecord {
        graft_prm800k: PRM800K_VERSION,
        dataset,
        variant: format!("v{}", row.variant_key),
        problem_key: format!("p{}", row.problem_key),
        model: row.model,
        prompt_version: row.prompt_version,
        sample: row.sample,
        round: row.round,
        depth: row.depth,
        question: Prm800kQuestion {
            problem: s.problem.to_string(),
            ground_truth_answer: row.answer,
            pre_generated_steps: steps,
            pre_generated_answer: final_answer.clone(),
        },
        solution: row.text,
        final_answer,
        score: row.score,
        label,
        label_source: source_of(&s.merged).as_str(),
        first_error: index_or_minus_one(merged_first),
        automatic,
        human,
    }
}

#[cfg(test)]
mod tests {
    use super::LabelSource::{Automatic as A, Human as H};
    use super::*;

    #[test]
    fn neutral_and_correct_are_true_wrong_is_false() {
        assert!(trl_label(1));
        assert!(trl_label(0));
        assert!(!trl_label(-1));
    }

    #[test]
    fn the_first_error_skips_unrated_steps() {
        assert_eq!(first_error([Some(1), None, Some(-1), Some(-1)]), Some(2));
        assert_eq!(first_error([Some(1), Some(0), None]), None);
        assert_eq!(first_error(Vec::<Option<i64>>::new()), None);
    }

    #[test]
    fn a_human_majority_wins_and_ties_fall_back_to_the_automatic_label() {
        let auto = [1, -1, 0, 1];
        // No human labels: all automatic.
        assert_eq!(
            merged_ratings(&auto, &[]),
            vec![(1, A), (-1, A), (0, A), (1, A)]
        );
        let human = vec![
            vec![Some(1), Some(1), Some(-1), None],
            vec![Some(1), Some(1), Some(1)],
            vec![Some(-1), Some(-1), None, None],
        ];
        // Step 0: 1,1,-1 → 1; step 1: 1,1,-1 → 1 (over the automatic -1); step 2: -1,1 tie →
        // automatic 0; step 3: nobody → automatic 1.
        assert_eq!(
            merged_ratings(&auto, &human),
            vec![(1, H), (1, H), (0, A), (1, A)]
        );
        // One annotator decides alone.
        assert_eq!(
            merged_ratings(&[1, 1], &[vec![Some(0), Some(-1)]]),
            vec![(0, H), (-1, H)]
        );
        assert_eq!(source_of(&[(1, A), (0, H)]), H);
        assert_eq!(source_of(&[(1, A)]), A);
    }

    #[test]
    fn trl_rows_stop_at_the_first_wrong_step() {
        let steps: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let (c, l) = trl_steps(&steps, &[(1, A), (0, H), (-1, A), (1, A)]);
        assert_eq!(c, ["a", "b", "c"]);
        assert_eq!(l, [true, true, false]);
        let (c, l) = trl_steps(&steps, &[(1, A), (0, A), (1, H), (0, A)]);
        assert_eq!(c.len(), 4);
        assert_eq!(l, [true; 4]);
        let (c, l) = trl_steps(&steps, &[(-1, H), (1, A), (1, A), (1, A)]);
        assert_eq!((c, l), (vec!["a".to_string()], vec![false]));
        let (c, l) = trl_steps(&[], &[]);
        assert!(c.is_empty() && l.is_empty());
    }
}
