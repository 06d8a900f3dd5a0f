//! Step labels: label items (a variant's solution steps, or a corrupted chain with a hidden
//! first error as a gold question), each annotator's queue and labels (blind: nobody reads
//! another's), and the dataset's report: progress, agreement (Cohen / Fleiss kappa) and gold
//! accuracy.

use std::collections::BTreeMap;

use engine::agreement::{self, ItemRatings, RaterSteps, Rating};
use engine::labels::solutions::AutoLabel;
use engine::labels::StepLabel;

use super::rows::graph_from_json;
use super::{Store, StoreError, StoreResult};
use types::account::UserInfo;
use types::annotation::{
    first_error_ratings, AnnotationReport, AnnotatorProgress, AutomaticAgreementView, FinishReason,
    LabelEdit, LabelQueue, LabelTask, SolutionHead, StepAgreementView, StepView, Suggestion,
};

/// Variants turned into label items per blocking batch.
const ITEM_BATCH: i64 = 500;

struct DbLabelItem {
    id: i64,
    variant_id: i64,
    steps: String,
    text: Option<String>,
    question: String,
    answer: String,
    solution_id: Option<i64>,
    model: Option<String>,
    sample: Option<i64>,
    final_answer: Option<String>,
    score: Option<String>,
    auto_labels: Option<String>,
}

struct DbAnnotation {
    id: i64,
    flagged: bool,
    flag_note: Option<String>,
    finish_reason: Option<String>,
}

/// One step rating of one finished annotation (a row per step; one with no step when the
/// annotator rated none).
struct DbRating {
    item: i64,
    user: i64,
    name: String,
    gold: Option<i64>,
    steps: i64,
    flagged: bool,
    step: Option<i64>,
    rating: Option<i64>,
    finish_reason: Option<String>,
    auto_labels: Option<String>,
}

fn steps_from_json(json: &str, item: i64) -> StoreResult<Vec<StepLabel>> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::Corrupt(format!(
            "the steps of label item {item} do not read back: {e}"
        ))
    })
}

/// The automatic labels of a model solution as stored (`model_solutions.labels`).
fn auto_labels_from_json(json: &str, item: i64) -> StoreResult<Vec<AutoLabel>> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::Corrupt(format!(
            "the automatic labels of label item {item}'s model solution do not read back: {e}"
        ))
    })
}

/// Ratings as stored (`-1`, `0`, `1`) to the engine's.
fn rating(r: Option<i64>) -> Option<Rating> {
    r.and_then(|v| Rating::from_i8(v as i8))
}

impl Store {
    /// Makes the label items dataset `dataset_id` lacks: one per variant with steps, one per
    /// stored model solution, and gold questions (corrupted chains) up to the dataset's gold
    /// rate.
    pub async fn ensure_label_items(&self, dataset_id: i64) -> StoreResult<()> {
        loop {
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query!(
                r#"SELECT v.id AS "id!", v.graph, p.graph AS original
                 FROM variants v JOIN problems p ON p.id = v.problem_id
                 WHERE p.dataset_id = ? AND NOT EXISTS
                    (SELECT 1 FROM label_items i WHERE i.variant_id = v.id
                     AND i.gold_first_error IS NULL)
                 ORDER BY v.id LIMIT ?"#,
                dataset_id,
                ITEM_BATCH
            )
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| (r.id, r.graph, r.original))
            .collect();
            if rows.is_empty() {
                break;
            }
            let made = self
                .engine
                .request("listing solution steps", move || {
                    rows.into_iter()
                        .map(|(id, graph, original)| {
                            let g = graph_from_json(&graph, &format!("variant {id}"))?;
                            // Each step carries its worked-solution sentence, with the
                            // variant's numbers (the original's graph names its sentences).
                            let steps = match original {
                                Some(o) => {
                                    let o = graph_from_json(
                                        &o,
                                        &format!("the problem of variant {id}"),
                                    )?;
                                    engine::labels::steps_worked(&o, &g)
                                }
                                None => engine::labels::steps(&g),
                            };
                            Ok((id, serde_json::to_string(&steps).unwrap_or_default()))
                        })
                        .collect::<StoreResult<Vec<_>>>()
                })
                .await??;
            let mut tx = self.pool.begin().await?;
            for (variant_id, steps) in made {
                sqlx::query!(
                    "INSERT OR IGNORE INTO label_items (dataset_id, variant_id, steps)
                     VALUES (?, ?, ?)",
                    dataset_id,
                    variant_id,
                    steps
                )
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        // A model's solutions, one item each (their steps are the solution's lines).
        sqlx::query!(
            "INSERT OR IGNORE INTO label_items (dataset_id, variant_id, steps, solution_id)
             SELECT p.dataset_id, s.variant_id, '[]', s.id FROM model_solutions s
             JOIN variants v ON v.id = s.variant_id JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ? AND json_array_length(s.labels) > 0
               AND NOT EXISTS (SELECT 1 FROM label_items i WHERE i.solution_id = s.id)
             ORDER BY s.id",
            dataset_id
        )
        .execute(&self.pool)
        .await?;
        self.ensure_gold(dataset_id).await
    }

    /// Adds gold questions until they are `gold_rate` of the dataset's items.
    async fn ensure_gold(&self, dataset_id: i64) -> StoreResult<()> {
        let r = sqlx::query!(
            r#"SELECT d.gold_rate,
                (SELECT COUNT(*) FROM label_items i WHERE i.dataset_id = d.id
                    AND i.gold_first_error IS NULL) AS "real!: i64",
                (SELECT COUNT(*) FROM label_items i WHERE i.dataset_id = d.id
                    AND i.gold_first_error IS NOT NULL) AS "gold!: i64"
             FROM datasets d WHERE d.id = ?"#,
            dataset_id
        )
        .fetch_one(&self.pool)
        .await?;
        let (rate, real, gold) = (r.gold_rate, r.real, r.gold);
        // gold / (real + gold) = rate.
        let want = if rate <= 0.0 || real == 0 {
            0
        } else {
            ((rate * real as f64) / (1.0 - rate)).ceil() as i64
        };
        if gold >= want {
            return Ok(());
        }
        // Variants not yet used for gold, spread over the dataset.
        let limit = (want - gold) * 2;
        let rows: Vec<(i64, String)> = sqlx::query!(
            r#"SELECT v.id AS "id!", v.graph FROM variants v JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ? AND NOT EXISTS
                (SELECT 1 FROM label_items i WHERE i.variant_id = v.id
                 AND i.gold_first_error IS NOT NULL)
             ORDER BY (v.id * 2654435761) % 4294967291 LIMIT ?"#,
            dataset_id,
            limit
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.graph))
        .collect();
        let need = (want - gold) as usize;
        let made = self
            .engine
            .request("corrupting chains", move || {
                let mut out = Vec::new();
                for (id, graph) in rows {
                    if out.len() >= need {
                        break;
                    }
                    let Ok(g) = graph_from_json(&graph, &format!("variant {id}")) else {
                        continue;
                    };
                    if let Ok(chain) = engine::labels::corrupt(&g, id as u64) {
                        let steps: Vec<StepLabel> =
                            chain.steps.into_iter().map(|s| s.step).collect();
                        out.push((
                            id,
                            serde_json::to_string(&steps).unwrap_or_default(),
                            chain.first_error as i64,
                            chain.detail,
                        ));
                    }
                }
                out
            })
            .await?;
        let mut tx = self.pool.begin().await?;
        for (variant_id, steps, first_error, detail) in made {
            sqlx::query!(
                "INSERT INTO label_items (dataset_id, variant_id, steps, gold_first_error,
                    gold_detail) VALUES (?, ?, ?, ?, ?)",
                dataset_id,
                variant_id,
                steps,
                first_error,
                detail
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `user`'s queue in dataset `dataset_id`: the item they left unfinished, else the next
    /// one (a gold question every so often, at the dataset's gold rate), and their progress.
    pub async fn label_queue(&self, dataset_id: i64, user: &UserInfo) -> StoreResult<LabelQueue> {
        let head = self.dataset_head(dataset_id).await?;
        let (overlap, rate) = (head.overlap, head.gold_rate);
        self.ensure_label_items(dataset_id).await?;
        let done = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM annotations a JOIN label_items i ON i.id = a.item_id
             WHERE i.dataset_id = ? AND a.user_id = ? AND a.finished_at IS NOT NULL",
            dataset_id,
            user.id
        )
        .fetch_one(&self.pool)
        .await?;
        let left = self.left_for(dataset_id, user.id, overlap).await?;
        let open = sqlx::query_scalar!(
            r#"SELECT i.id AS "id!" FROM annotations a JOIN label_items i ON i.id = a.item_id
             WHERE i.dataset_id = ? AND a.user_id = ? AND a.finished_at IS NULL
             ORDER BY a.updated_at DESC LIMIT 1"#,
            dataset_id,
            user.id
        )
        .fetch_optional(&self.pool)
        .await?;
        let next = match open {
            Some(id) => Some(id),
            None => {
                let every = if rate > 0.0 {
                    (1.0 / rate).round().max(2.0) as i64
                } else {
                    0
                };
                let gold_turn = every > 0 && (done + 1) % every == 0;
                // Gold on its turn, real items otherwise; whichever kind is left at the end.
                let first = self
                    .next_item(dataset_id, user.id, overlap, gold_turn)
                    .await?;
                match first {
                    Some(id) => Some(id),
                    None => {
                        self.next_item(dataset_id, user.id, overlap, !gold_turn)
                            .await?
                    }
                }
            }
        };
        let task = match next {
            Some(id) => Some(self.label_task(id, user).await?),
            None => None,
        };
        Ok(LabelQueue {
            dataset: head.name,
            guidelines: head.guidelines,
            task,
            done: done as u64,
            left: left as u64,
        })
    }

    /// The first item `user_id` has not touched: a gold one, or a real one that fewer than
    /// `overlap` annotators have. A model's solutions come before Graft's own steps (they are
    /// what process-reward data is made of).
    async fn next_item(
        &self,
        dataset_id: i64,
        user_id: i64,
        overlap: i64,
        gold: bool,
    ) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar!(
            r#"SELECT i.id AS "id!" FROM label_items i WHERE i.dataset_id = ?1
               AND (i.gold_first_error IS NOT NULL) = ?4
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id
                               AND a.user_id = ?2)
               AND (i.gold_first_error IS NOT NULL
                    OR (SELECT COUNT(*) FROM annotations a WHERE a.item_id = i.id) < ?3)
             ORDER BY i.solution_id IS NULL, i.id LIMIT 1"#,
            dataset_id,
            user_id,
            overlap,
            gold
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Items still waiting for `user_id`: real items short of annotators that they have not
    /// finished, and gold questions they have not finished.
    async fn left_for(&self, dataset_id: i64, user_id: i64, overlap: i64) -> StoreResult<i64> {
        let left = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM label_items i WHERE i.dataset_id = ?1
               AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id
                               AND a.user_id = ?2 AND a.finished_at IS NOT NULL)
               AND (i.gold_first_error IS NOT NULL
                    OR EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id
                               AND a.user_id = ?2)
                    OR (SELECT COUNT(*) FROM annotations a WHERE a.item_id = i.id) < ?3)",
            dataset_id,
            user_id,
            overlap
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(left)
    }

    /// Label item `item_id` with `user`'s own labels.
    pub async fn label_task(&self, item_id: i64, user: &UserInfo) -> StoreResult<LabelTask> {
        let row: Option<DbLabelItem> = sqlx::query_as!(
            DbLabelItem,
            r#"SELECT i.id, i.variant_id, i.steps, v.text, p.question, v.answer,
                    i.solution_id, s.model AS "model?", s.sample AS "sample?",
                    s.final_answer, s.score AS "score?", s.labels AS "auto_labels?"
             FROM label_items i JOIN variants v ON v.id = i.variant_id
             JOIN problems p ON p.id = v.problem_id
             LEFT JOIN model_solutions s ON s.id = i.solution_id WHERE i.id = ?"#,
            item_id
        )
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or(StoreError::NotFound {
            what: "label item",
            id: item_id,
        })?;
        let steps: Vec<StepView> = match &row.auto_labels {
            Some(json) => auto_labels_from_json(json, row.id)?
                .into_iter()
                .map(|l| StepView {
                    sentence: Some(l.text),
                    description: String::new(),
                    value: String::new(),
                    suggestion: Some(Suggestion {
                        rating: l.rating,
                        reason: l.reason,
                    }),
                })
                .collect(),
            None => steps_from_json(&row.steps, row.id)?
                .into_iter()
                .map(|s| StepView {
                    sentence: s.text,
                    description: s.description,
                    value: s.value.to_string(),
                    suggestion: None,
                })
                .collect(),
        };
        let solution = match (row.solution_id, row.model, row.sample, row.score) {
            (Some(id), Some(model), Some(sample), Some(score)) => Some(SolutionHead {
                id,
                model,
                sample,
                final_answer: row.final_answer,
                score,
                answer: row.answer,
            }),
            _ => None,
        };
        let annotation: Option<DbAnnotation> = sqlx::query_as!(
            DbAnnotation,
            r#"SELECT id AS "id!", flagged AS "flagged: bool", flag_note, finish_reason
             FROM annotations WHERE item_id = ? AND user_id = ?"#,
            item_id,
            user.id
        )
        .fetch_optional(&self.pool)
        .await?;
        let mut ratings = vec![None; steps.len()];
        if let Some(a) = &annotation {
            let labels = sqlx::query!(
                "SELECT step, rating FROM step_labels WHERE annotation_id = ?",
                a.id
            )
            .fetch_all(&self.pool)
            .await?;
            for (step, r) in labels.into_iter().map(|l| (l.step, l.rating)) {
                if let Some(slot) = ratings.get_mut(step as usize) {
                    *slot = r.map(|v| v as i8);
                }
            }
        }
        Ok(LabelTask {
            item_id: row.id,
            variant_id: row.variant_id,
            text: row.text.unwrap_or(row.question),
            steps,
            ratings,
            flagged: annotation.as_ref().is_some_and(|a| a.flagged),
            flag_note: annotation.as_ref().and_then(|a| a.flag_note.clone()),
            finish: annotation
                .as_ref()
                .and_then(|a| a.finish_reason.as_deref())
                .and_then(FinishReason::parse),
            solution,
        })
    }

    /// Applies one change to `user`'s labels of item `item_id`; returns the item as it is now.
    pub async fn label_edit(
        &self,
        item_id: i64,
        user: &UserInfo,
        edit: &LabelEdit,
    ) -> StoreResult<LabelTask> {
        let item = sqlx::query!(
            r#"SELECT i.steps, s.labels AS "auto_labels?" FROM label_items i
               LEFT JOIN model_solutions s ON s.id = i.solution_id WHERE i.id = ?"#,
            item_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "label item",
            id: item_id,
        })?;
        let suggestions = match &item.auto_labels {
            Some(json) => Some(auto_labels_from_json(json, item_id)?),
            None => None,
        };
        let n = match &suggestions {
            Some(s) => s.len() as u32,
            None => steps_from_json(&item.steps, item_id)?.len() as u32,
        };
        let check_step = |step: u32| {
            if step < n {
                Ok(step as i64)
            } else {
                Err(StoreError::Invalid(format!(
                    "item {item_id} has {n} steps (0 to {}); there is no step {step}",
                    n.saturating_sub(1)
                )))
            }
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "INSERT OR IGNORE INTO annotations (item_id, user_id) VALUES (?, ?)",
            item_id,
            user.id
        )
        .execute(&mut *tx)
        .await?;
        let r = sqlx::query!(
            "SELECT id, finished_at FROM annotations WHERE item_id = ? AND user_id = ?",
            item_id,
            user.id
        )
        .fetch_one(&mut *tx)
        .await?;
        let (annotation, finished) = (r.id, r.finished_at);
        let changes_labels = matches!(
            edit,
            LabelEdit::Rate { .. } | LabelEdit::FirstError { .. } | LabelEdit::AcceptSuggestions
        );
        if changes_labels && finished.is_some() {
            return Err(StoreError::Invalid(format!(
                "item {item_id} is finished; reopen it to change its labels"
            )));
        }
        // The step ratings the edit sets, written together after the match.
        let mut ratings: Vec<(i64, Option<i64>)> = Vec::new();
        match edit {
            LabelEdit::Rate { step, rating } => {
                let step = check_step(*step)?;
                if let Some(r) = rating {
                    if ![-1, 0, 1].contains(r) {
                        return Err(StoreError::Invalid(format!(
                            "a rating is 1 (correct), 0 (neutral) or -1 (wrong); got {r}"
                        )));
                    }
                }
                ratings.push((step, rating.map(i64::from)));
            }
            LabelEdit::FirstError { step } => {
                let k = check_step(*step)? as usize;
                ratings.extend(
                    first_error_ratings(n as usize, k)
                        .into_iter()
                        .enumerate()
                        .map(|(s, r)| (s as i64, r.map(i64::from))),
                );
            }
            LabelEdit::Flag { flagged, note } => {
                let note = note.as_deref().map(str::trim).filter(|s| !s.is_empty());
                if note.is_some_and(|n| n.chars().count() > 500) {
                    return Err(StoreError::Invalid(
                        "a flag note has at most 500 characters".to_string(),
                    ));
                }
                let note = note.filter(|_| *flagged);
                sqlx::query!(
                    "UPDATE annotations SET flagged = ?, flag_note = ? WHERE id = ?",
                    *flagged,
                    note,
                    annotation
                )
                .execute(&mut *tx)
                .await?;
            }
            LabelEdit::Finish { reason } => {
                let reason = reason.as_str();
                sqlx::query!(
                    "UPDATE annotations SET finish_reason = ?,
                        finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    reason,
                    annotation
                )
                .execute(&mut *tx)
                .await?;
            }
            LabelEdit::AcceptSuggestions => {
                let Some(suggestions) = &suggestions else {
                    return Err(StoreError::Invalid(format!(
                        "item {item_id} shows Graft's own steps, which have no suggestions; \
                         rate its steps one by one"
                    )));
                };
                ratings.extend(suggestions.iter().enumerate().map(|(s, l)| {
                    let r = Rating::from_i8(l.rating).map(|r| i64::from(r.as_i8()));
                    (s as i64, r)
                }));
            }
            LabelEdit::Reopen => {
                sqlx::query!(
                    "UPDATE annotations SET finish_reason = NULL, finished_at = NULL WHERE id = ?",
                    annotation
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        for (step, rating) in ratings {
            sqlx::query!(
                "INSERT INTO step_labels (annotation_id, step, rating) VALUES (?, ?, ?)
                 ON CONFLICT (annotation_id, step) DO UPDATE SET rating = excluded.rating",
                annotation,
                step,
                rating
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query!(
            "UPDATE annotations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
            annotation
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.label_task(item_id, user).await
    }

    /// Dataset `dataset_id`'s annotation report: progress per annotator, agreement on the
    /// finished real items, and each annotator's accuracy on gold questions.
    pub async fn annotation_report(&self, dataset_id: i64) -> StoreResult<AnnotationReport> {
        let overlap = self.dataset_head(dataset_id).await?.overlap;
        let r = sqlx::query!(
            r#"SELECT COALESCE(SUM(i.gold_first_error IS NULL), 0) AS "items!: i64",
                COALESCE(SUM(i.solution_id IS NOT NULL), 0) AS "solution_items!: i64",
                COALESCE(SUM(i.gold_first_error IS NOT NULL), 0) AS "gold_items!: i64",
                COALESCE(SUM(i.gold_first_error IS NULL AND
                    (SELECT COUNT(*) FROM annotations a WHERE a.item_id = i.id
                     AND a.finished_at IS NOT NULL) >= ?2), 0) AS "complete!: i64"
             FROM label_items i WHERE i.dataset_id = ?1"#,
            dataset_id,
            overlap
        )
        .fetch_one(&self.pool)
        .await?;
        let (items, gold_items, complete) = (r.items, r.gold_items, r.complete);
        let solution_items = r.solution_items;
        // Every finished annotation's step ratings, in one pass.
        let rows: Vec<DbRating> = sqlx::query_as!(
            DbRating,
            r#"SELECT i.id AS "item!", u.id AS "user!", u.name, i.gold_first_error AS gold,
                    CASE WHEN ms.labels IS NULL THEN json_array_length(i.steps)
                         ELSE json_array_length(ms.labels) END AS "steps!: i64",
                    a.flagged AS "flagged: bool", s.step AS "step?", s.rating,
                    a.finish_reason, ms.labels AS "auto_labels?"
                 FROM annotations a JOIN label_items i ON i.id = a.item_id
                 JOIN users u ON u.id = a.user_id
                 LEFT JOIN model_solutions ms ON ms.id = i.solution_id
                 LEFT JOIN step_labels s ON s.annotation_id = a.id
                 WHERE i.dataset_id = ? AND a.finished_at IS NOT NULL
                 ORDER BY i.id, u.id, s.step"#,
            dataset_id
        )
        .fetch_all(&self.pool)
        .await?;
        // (item, user) → (name, gold, flagged, ratings)
        type Work = (String, Option<i64>, bool, Vec<Option<Rating>>);
        let mut work: BTreeMap<(i64, i64), Work> = BTreeMap::new();
        // A model solution's automatic ratings, per item; the (item, user) pairs that judged
        // its steps (finished as correct or with an error found).
        let mut automatic: BTreeMap<i64, Vec<Rating>> = BTreeMap::new();
        let mut judged: std::collections::BTreeSet<(i64, i64)> = Default::default();
        for r in rows {
            if let Some(json) = &r.auto_labels {
                if let std::collections::btree_map::Entry::Vacant(slot) = automatic.entry(r.item) {
                    slot.insert(
                        auto_labels_from_json(json, r.item)?
                            .iter()
                            .map(|l| Rating::from_i8(l.rating).unwrap_or(Rating::Neutral))
                            .collect(),
                    );
                }
                let reason = r.finish_reason.as_deref().and_then(FinishReason::parse);
                if matches!(
                    reason,
                    Some(FinishReason::SolutionCorrect | FinishReason::FoundError)
                ) {
                    judged.insert((r.item, r.user));
                }
            }
            let w = work.entry((r.item, r.user)).or_insert_with(|| {
                (
                    r.name,
                    r.gold,
                    r.flagged,
                    vec![None; r.steps.max(0) as usize],
                )
            });
            if let Some(step) = r.step {
                if let Some(slot) = w.3.get_mut(step as usize) {
                    *slot = rating(r.rating);
                }
            }
        }
        let pairs: Vec<(Vec<Rating>, Vec<Option<Rating>>)> = judged
            .iter()
            .filter_map(|key| {
                let auto = automatic.get(&key.0)?;
                Some((auto.clone(), work.get(key)?.3.clone()))
            })
            .collect();
        let auto = (!pairs.is_empty()).then(|| {
            let a = agreement::automatic_agreement(&pairs);
            AutomaticAgreementView {
                annotations: a.annotations as u64,
                steps: a.steps as u64,
                kappa: a.kappa,
                observed: a.observed,
                first_error_agree: a.first_error_agree as u64,
                first_error_accuracy: a.first_error_accuracy,
            }
        });
        let mut people: BTreeMap<i64, AnnotatorProgress> = BTreeMap::new();
        let mut by_item: BTreeMap<i64, Vec<RaterSteps>> = BTreeMap::new();
        for ((item, user), (name, gold, flagged, ratings)) in work {
            let p = people.entry(user).or_insert_with(|| AnnotatorProgress {
                name: name.clone(),
                done: 0,
                left: 0,
                gold_done: 0,
                gold_correct: 0,
                flagged: 0,
            });
            p.done += 1;
            p.flagged += u64::from(flagged);
            match gold {
                Some(first) => {
                    p.gold_done += 1;
                    if agreement::gold_correct(&ratings, first.max(0) as usize) {
                        p.gold_correct += 1;
                    }
                }
                None => by_item.entry(item).or_default().push(RaterSteps {
                    rater: user,
                    ratings,
                }),
            }
        }
        for (user, p) in people.iter_mut() {
            p.left = self.left_for(dataset_id, *user, overlap).await?.max(0) as u64;
        }
        let items_ratings: Vec<ItemRatings> = by_item
            .into_iter()
            .map(|(item, raters)| ItemRatings { item, raters })
            .collect();
        let a = agreement::agreement(&items_ratings);
        Ok(AnnotationReport {
            items: items as u64,
            complete: complete as u64,
            gold_items: gold_items as u64,
            overlap: overlap as u32,
            annotators: people.into_values().collect(),
            method: format!("{:?}", a.method).to_lowercase(),
            kappa: a.kappa,
            observed: a.observed,
            units: a.units as u64,
            per_step: a
                .per_step
                .iter()
                .map(|s| StepAgreementView {
                    step: s.step as u32,
                    kappa: s.kappa,
                    observed: s.observed,
                    units: s.units as u64,
                })
                .collect(),
            solution_items: solution_items as u64,
            automatic: auto,
        })
    }
}

#[cfg(test)]
mod tests;
