//! A model's solutions of variants: stored with their exact score and automatic step labels
//! (`engine::labels::solutions`, worked out on an engine slot when stored).

use engine::labels::solutions::{label_solution, AutoLabel, Score, MAX_SOLUTION_BYTES};
use llm::{Budget, Client, Exchange};
use types::model::{ModelSolution, NewSolution, SolveOptions};

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
        self.store_solution(
            variant_id,
            model,
            &new.prompt_version,
            &new.solution,
            None,
            None,
        )
        .await
    }

    /// Labels `text` (cut to 64 KiB) against variant `variant_id`'s graph and stores it, with
    /// the model call that produced it (and its endpoint's base URL), as the model's next
    /// sample.
    async fn store_solution(
        &self,
        variant_id: i64,
        model: &str,
        prompt_version: &str,
        text: &str,
        job_id: Option<i64>,
        call: Option<(&Exchange, &str)>,
    ) -> StoreResult<ModelSolution> {
        let row = sqlx::query!("SELECT graph FROM variants WHERE id = ?", variant_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "variant",
                id: variant_id,
            })?;
        let graph = graph_from_json(&row.graph, &format!("variant {variant_id}"))?;
        let mut end = text.len().min(MAX_SOLUTION_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = text[..end].to_string();
        let labelled = {
            let text = text.clone();
            self.engine
                .request(
                    &format!("labelling a solution of variant {variant_id}"),
                    move || label_solution(&graph, &text),
                )
                .await?
        };
        let labels = serde_json::to_string(&labelled.steps)
            .map_err(|e| StoreError::Internal(format!("cannot write the labels: {e}")))?;
        let score = labelled.score.as_str();
        let written = labelled.answer.as_ref().map(|a| a.written.clone());
        let first_error = labelled.first_error.map(|i| i as i64);
        let mut tx = self.pool.begin().await?;
        if let Some((call, base_url)) = call {
            let calls = std::slice::from_ref(call);
            Store::record_calls(&mut tx, calls, base_url, Some(variant_id), None, job_id).await?;
        }
        // The sample index is counted in the insert itself: solutions of one variant stored
        // at the same time (a solve job's batch, API clients) never take the same one.
        let row = sqlx::query!(
            r#"INSERT INTO model_solutions
                 (variant_id, job_id, model, prompt_version, sample, text, final_answer, score,
                  first_error, labels)
               VALUES (?1, ?2, ?3, ?4,
                       (SELECT COUNT(*) FROM model_solutions WHERE variant_id = ?1 AND model = ?3),
                       ?5, ?6, ?7, ?8, ?9)
               RETURNING id AS "id!: i64", sample AS "sample!: i64""#,
            variant_id,
            job_id,
            model,
            prompt_version,
            text,
            written,
            score,
            first_error,
            labels
        )
        .fetch_one(&mut *tx)
        .await?;
        let (id, sample) = (row.id, row.sample);
        tx.commit().await?;
        Ok(ModelSolution {
            id,
            variant_id,
            model: model.to_string(),
            prompt_version: prompt_version.to_string(),
            sample,
            text,
            final_answer: written,
            score: labelled.score,
            first_error,
            steps: labelled.steps,
        })
    }

    /// The text a model is asked to solve for variant `variant_id`: its stored text, else the
    /// offline verbalizer's.
    pub(super) async fn solve_text(&self, variant_id: i64) -> StoreResult<String> {
        let stored = sqlx::query_scalar!("SELECT text FROM variants WHERE id = ?", variant_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "variant",
                id: variant_id,
            })?;
        if let Some(text) = stored.filter(|t| !t.trim().is_empty()) {
            return Ok(text);
        }
        self.variant_page_words(variant_id)
            .await?
            .wording
            .text
            .map_err(|why| {
                StoreError::Invalid(format!("variant {variant_id} has no text to solve: {why}"))
            })
    }

    /// One item of solve job `job_id`: `text` (variant `variant_id`'s, from
    /// [`Store::solve_text`]) asked of `client` until the job has `options.samples` solutions
    /// of it. Samples stored before an outage are kept and not asked again when the job
    /// resumes.
    pub(super) async fn solve_variant(
        &self,
        variant_id: i64,
        text: &str,
        client: &Client,
        budget: &Budget,
        options: &SolveOptions,
        job_id: i64,
    ) -> StoreResult<bool> {
        let have = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM model_solutions
               WHERE variant_id = ? AND job_id = ?"#,
            variant_id,
            job_id
        )
        .fetch_one(&self.pool)
        .await?;
        let base_url = client.endpoint().base_url.clone();
        for sample in have.max(0) as u32..options.samples {
            let seed = (job_id as u64).wrapping_mul(1_000_003)
                ^ (variant_id as u64) << 8
                ^ u64::from(sample);
            let (call, reply) = llm::solve::solve(
                client,
                budget,
                text,
                options.system_prompt.as_deref(),
                options.max_tokens,
                options.temperature,
                seed,
            )
            .await;
            match reply {
                Ok(answer) => {
                    self.store_solution(
                        variant_id,
                        client.model(),
                        llm::solve::PROMPT_VERSION,
                        &answer,
                        Some(job_id),
                        Some((&call, &base_url)),
                    )
                    .await?;
                }
                Err(e) => {
                    let mut conn = self.pool.acquire().await?;
                    Store::record_calls(
                        &mut conn,
                        &[call],
                        &base_url,
                        Some(variant_id),
                        None,
                        Some(job_id),
                    )
                    .await?;
                    return Err(if e.is_outage() {
                        StoreError::Unavailable(e.to_string())
                    } else {
                        StoreError::Invalid(format!("the model gave no solution: {e}"))
                    });
                }
            }
        }
        Ok(true)
    }

    /// How many solutions job `job_id` stored, and how many of them are correct.
    pub async fn job_solutions(&self, job_id: i64) -> StoreResult<(i64, i64)> {
        let r = sqlx::query!(
            r#"SELECT COUNT(*) AS "n!: i64",
                      COALESCE(SUM(score = 'correct'), 0) AS "correct!: i64"
               FROM model_solutions WHERE job_id = ?"#,
            job_id
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((r.n, r.correct))
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
