//! Verbalize, judge and extract jobs: one item (variant or problem) per step, in id order.
//!
//! Each step writes its item, then moves the job's cursor past it. A model outage (down,
//! timing out, rate-limiting past the wait allowed) stops the job as `failed`, with the cursor
//! still before the item and an error that says how to resume ([`Store::resume_job`]); the
//! item keeps what it had. The job's requests are counted in `requests_used`, so a resumed
//! job keeps to its budget.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use llm::{Budget, Client};

use super::rows::{JobParams, JobRow};
use super::words::client_for;
use super::{panic_message, EngineError, Store, StoreError, StoreResult};
use types::model::{JobSpec, JobTask};

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The column that identifies an item of `task` (a problem's or a variant's id).
fn item_column(task: JobTask) -> &'static str {
    match task {
        JobTask::Extract => "p.id",
        _ => "v.id",
    }
}

/// `SELECT {select}` over the items of a job in scope, with the job's dataset (?1), last id in
/// scope (?2), problem (?3) and cursor (?4: only items after it).
fn scope_sql(task: JobTask, select: &str) -> String {
    let col = item_column(task);
    match task {
        JobTask::Extract => format!(
            "SELECT {select} FROM problems p
             WHERE p.dataset_id = ?1 AND p.graph IS NULL AND {col} <= ?2
               AND (?3 IS NULL OR p.id = ?3) AND {col} > ?4"
        ),
        _ => format!(
            "SELECT {select} FROM variants v JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ?1 AND {col} <= ?2
               AND (?3 IS NULL OR v.problem_id = ?3) AND {col} > ?4"
        ),
    }
}

/// The next item of a job after its cursor (see [`scope_sql`] for the parameters).
fn next_item_sql(task: JobTask) -> String {
    let col = item_column(task);
    format!("{} ORDER BY {col} LIMIT 1", scope_sql(task, col))
}

impl Store {
    /// Queues a verbalize, judge or extract job (see [`Store::create_job`]).
    pub(super) async fn create_words_job(&self, spec: &JobSpec) -> StoreResult<i64> {
        self.require_dataset(spec.dataset_id).await?;
        if let Some(pid) = spec.problem_id {
            self.problem_depth_in(pid, spec.dataset_id).await?;
        }
        // The model: the job's own, else the server's (none for an offline job).
        let model = match &spec.llm {
            Some(settings) => Some(client_for(settings, self.llm_config.clone())?),
            None if spec.offline => None,
            None => self.llm.clone(),
        };
        if spec.task == JobTask::Extract && model.is_none() {
            return Err(StoreError::Invalid(
                "an extract job needs a model: start graft with GRAFT_LLM_BASE_URL and \
                 GRAFT_LLM_MODEL (see the README), or give the job its own `llm` endpoint"
                    .into(),
            ));
        }
        if spec.max_requests == Some(0) {
            return Err(StoreError::Invalid(
                "max_requests must be at least 1 (leave it out for no limit)".into(),
            ));
        }
        let col = item_column(spec.task);
        let scope = scope_sql(spec.task, &format!("COUNT(*), MAX({col})"));
        let (total, last): (i64, Option<i64>) = sqlx::query_as(&scope)
            .bind(spec.dataset_id)
            .bind(i64::MAX)
            .bind(spec.problem_id)
            .bind(0i64)
            .fetch_one(&self.pool)
            .await?;
        if total == 0 {
            return Err(StoreError::Invalid(match spec.task {
                JobTask::Extract => format!(
                    "dataset {} has no problem without a graph; nothing to extract",
                    spec.dataset_id
                ),
                _ => format!(
                    "dataset {} has no variants yet; run a curriculum job first",
                    spec.dataset_id
                ),
            }));
        }
        let mut llm_settings = spec.llm.clone();
        let key = llm_settings.as_mut().and_then(|s| s.api_key.take());
        let params = serde_json::to_string(&JobParams {
            offline: spec.offline,
            llm: llm_settings,
            max_requests: spec.max_requests,
            last_id: last,
            model: model.as_ref().map(|c| c.model().to_string()),
            ..JobParams::default()
        })
        .map_err(|e| StoreError::Internal(format!("cannot serialize job parameters: {e}")))?;
        let id = sqlx::query(
            "INSERT INTO jobs (kind, task, dataset_id, problem_id, params, total, llm_api_key)
             VALUES ('curriculum', ?, ?, ?, ?, ?, ?)",
        )
        .bind(spec.task.as_str())
        .bind(spec.dataset_id)
        .bind(spec.problem_id)
        .bind(params)
        .bind(total)
        .bind(key)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        self.wake.notify_one();
        Ok(id)
    }

    /// The client a job uses: its own endpoint, the server's, or none.
    fn job_client(&self, job: &JobRow, params: &JobParams) -> StoreResult<Option<Client>> {
        if params.offline {
            return Ok(None);
        }
        match &params.llm {
            Some(settings) => {
                let mut settings = settings.clone();
                settings.api_key = job.llm_api_key.clone();
                Ok(Some(client_for(&settings, self.llm_config.clone())?))
            }
            None => Ok(self.llm.clone()),
        }
    }

    /// Processes the next item of a verbalize, judge or extract job. Returns whether there
    /// may be more to do.
    pub(super) async fn words_job_step(&self, job: JobRow) -> StoreResult<bool> {
        let task = job.task()?;
        let params = job.params()?;
        let next: Option<(i64,)> = sqlx::query_as(&next_item_sql(task))
            .bind(job.dataset_id)
            .bind(params.last_id.unwrap_or(0))
            .bind(job.problem_id)
            .bind(job.cursor)
            .fetch_optional(&self.pool)
            .await?;
        let Some((item,)) = next else {
            sqlx::query(&format!(
                "UPDATE jobs SET state = 'done', updated_at = {NOW} WHERE id = ? AND state = 'running'"
            ))
            .bind(job.id)
            .execute(&self.pool)
            .await?;
            return Ok(false);
        };
        let client = match self.job_client(&job, &params) {
            Ok(c) => c,
            Err(e) => {
                self.fail_job(job.id, &format!("the job's model cannot be used: {e}"))
                    .await?;
                return Ok(false);
            }
        };
        let budget = Budget::new(
            params.max_requests.unwrap_or(u32::MAX),
            job.requests_used.clamp(0, u32::MAX as i64) as u32,
        );
        let model = client.as_ref().map(|c| (c, &budget));
        let work = async {
            match task {
                JobTask::Verbalize => self
                    .verbalize_variant(item, model, Some(job.id))
                    .await
                    .map(|_| true),
                JobTask::Judge => self
                    .judge_variant(item, model, Some(job.id))
                    .await
                    .map(|_| true),
                JobTask::Extract => match &client {
                    Some(c) => self.extract_problem(item, c, &budget, Some(job.id)).await,
                    None => Err(StoreError::Invalid("an extract job needs a model".into())),
                },
                JobTask::Curriculum => Err(StoreError::Internal(
                    "a curriculum job reached the words runner".into(),
                )),
            }
        };
        // A panic while working on this item (a bug in the engine or the model's glue) marks
        // the item failed; the job goes on.
        let outcome = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(panic) => Err(StoreError::Engine(EngineError::Panicked {
                what: format!("{} {item}", task.item()),
                message: panic_message(panic.as_ref()),
            })),
        };
        let used = budget.used() as i64;
        let (written, failure) = match outcome {
            Ok(w) => (w, None),
            Err(StoreError::Unavailable(why)) => {
                sqlx::query("UPDATE jobs SET requests_used = ? WHERE id = ?")
                    .bind(used)
                    .bind(job.id)
                    .execute(&self.pool)
                    .await?;
                self.fail_job(
                    job.id,
                    &format!(
                        "paused at {} {item}: {why}. Nothing was lost; resume the job when the \
                         endpoint is back (Resume button, or POST /api/jobs/{}/resume)",
                        task.item(),
                        job.id
                    ),
                )
                .await?;
                return Ok(false);
            }
            // The database itself failing stops the job (resumable); anything about this one
            // item (the engine refusing it, a panic, a timeout, damaged stored data) only
            // marks the item failed.
            Err(
                e @ (StoreError::Database(_)
                | StoreError::Open { .. }
                | StoreError::Migrate(_)
                | StoreError::Internal(_)),
            ) => return Err(e),
            Err(e) => (false, Some(e.to_string())),
        };
        let failed_item = failure.is_some() || (task == JobTask::Extract && !written);
        let mut tx = self.pool.begin().await?;
        let advanced = sqlx::query(&format!(
            "UPDATE jobs SET done = done + 1, cursor = ?, variants_made = variants_made + ?,
                problems_failed = problems_failed + ?, error = COALESCE(?, error),
                requests_used = ?, updated_at = {NOW}
             WHERE id = ? AND cursor = ? AND state = 'running'"
        ))
        .bind(item)
        .bind(written as i64)
        .bind(failed_item as i64)
        .bind(failure.as_deref())
        .bind(used)
        .bind(job.id)
        .bind(job.cursor)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if advanced != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(reason) = &failure {
            super::jobs::record_failure(&mut tx, job.id, item, reason).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
