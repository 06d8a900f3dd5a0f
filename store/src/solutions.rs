//! A model's solutions of variants: stored with their exact score and automatic step labels
//! (`engine::labels::solutions`, worked out on an engine slot when stored).

use engine::labels::solutions::{label_solution, AutoLabel, Score, MAX_SOLUTION_BYTES};
use types::model::{ModelSolution, NewSolution};

use super::rows::graph_from_json;
use super::{Store, StoreError, StoreResult};

/// The longest model name or prompt version stored.
pub const MAX_MODEL_CHARS: usize = 200;

impl Store {
    /// Scores and labels `new` against variant `variant_id` and stores it as the model's next
    /// sample.
    pub async fn add_solution(
        &self,
        variant_id: i64,
        new: &NewSolution,
    ) -> StoreResult<ModelSolution> {
        let model = new.model.trim();
        if model.is_empty() || model.chars().count() > MAX_MODEL_CHARS {
            return Err(StoreError::Invalid(format!(
                "give the model's name in \"model\" (1 to {MAX_MODEL_CHARS} characters)"
            )));
        }
        if new.prompt_version.chars().count() > MAX_MODEL_CHARS {
            return Err(StoreError::Invalid(format!(
                "\"prompt_version\" is longer than {MAX_MODEL_CHARS} characters"
            )));
        }
        if new.solution.len() > MAX_SOLUTION_BYTES {
            return Err(StoreError::Invalid(format!(
                "the solution is {} bytes; the most is {MAX_SOLUTION_BYTES} (64 KiB)",
                new.solution.len()
            )));
        }
        let row = sqlx::query!("SELECT graph FROM variants WHERE id = ?", variant_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "variant",
                id: variant_id,
            })?;
        let graph = graph_from_json(&row.graph, &format!("variant {variant_id}"))?;
        let text = new.solution.clone();
        let labelled = self
            .engine
            .request(
                &format!("labelling a solution of variant {variant_id}"),
                move || label_solution(&graph, &text),
            )
            .await?;
        let labels = serde_json::to_string(&labelled.steps)
            .map_err(|e| StoreError::Internal(format!("cannot write the labels: {e}")))?;
        let score = labelled.score.as_str();
        let written = labelled.answer.as_ref().map(|a| a.written.clone());
        let first_error = labelled.first_error.map(|i| i as i64);
        let mut tx = self.pool.begin().await?;
        let sample = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM model_solutions
               WHERE variant_id = ? AND model = ?"#,
            variant_id,
            model
        )
        .fetch_one(&mut *tx)
        .await?;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO model_solutions
                 (variant_id, model, prompt_version, sample, text, final_answer, score,
                  first_error, labels)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               RETURNING id AS "id!: i64""#,
            variant_id,
            model,
            new.prompt_version,
            sample,
            new.solution,
            written,
            score,
            first_error,
            labels
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ModelSolution {
            id,
            variant_id,
            model: model.to_string(),
            prompt_version: new.prompt_version.clone(),
            sample,
            text: new.solution.clone(),
            final_answer: written,
            score: labelled.score,
            first_error,
            steps: labelled.steps,
        })
    }

    /// Every stored solution of variant `variant_id`, oldest first.
    pub async fn solutions(&self, variant_id: i64) -> StoreResult<Vec<ModelSolution>> {
        let rows = sqlx::query!(
            r#"SELECT id AS "id!: i64", model, prompt_version, sample, text, final_answer,
                      score, first_error, labels
               FROM model_solutions WHERE variant_id = ? ORDER BY id"#,
            variant_id
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let whose = format!("solution {}", r.id);
                let score = Score::parse(&r.score).ok_or_else(|| {
                    StoreError::Corrupt(format!("{whose} has an unknown score {:?}", r.score))
                })?;
                let steps: Vec<AutoLabel> = serde_json::from_str(&r.labels).map_err(|e| {
                    StoreError::Corrupt(format!("{whose} has unreadable labels: {e}"))
                })?;
                Ok(ModelSolution {
                    id: r.id,
                    variant_id,
                    model: r.model,
                    prompt_version: r.prompt_version,
                    sample: r.sample,
                    text: r.text,
                    final_answer: r.final_answer,
                    score,
                    first_error: r.first_error,
                    steps,
                })
            })
            .collect()
    }
}
