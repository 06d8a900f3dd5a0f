//! Verbalize, judge, extract and solve jobs: one item (variant or problem) per step, in id
//! order; a solve job takes a batch of variants per step, asked at once.
//!
//! Each step writes its item, then moves the job's cursor past it. A model outage (down,
//! timing out, rate-limiting past the wait allowed) stops the job as `failed`, with the cursor
//! still before the item and an error that says how to resume ([`Store::resume_job`]); the
//! item keeps what it had. The job's requests are counted in `requests_used`, so a resumed
//! job keeps to its budget.

use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt, StreamExt};
use llm::{Budget, Client};

use super::rows::{DbJob, JobParams};
use super::words::client_for;
use super::{panic_message, EngineError, Store, StoreError, StoreResult};
use types::model::{JobSpec, JobTask};

/// The most variants a solve job takes per step (four times its client's concurrency, up to
/// this); the job's cursor moves past them together.
const MAX_SOLVE_BATCH: usize = 256;

// The time now as stored is `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`, written out in each
// query (sqlx's checked macros take literal SQL only), as in migrations/.

/// `problems_in_scope!("select list"; query!(" ORDER BY …", ?1, ?2, ?3, ?4))`: `SELECT` over
/// the items of an extract job in scope (problems without a graph), with the job's dataset
/// (?1), last id in scope (?2), problem (?3) and cursor (?4: only items after it).
macro_rules! problems_in_scope {
    ($select:literal; $($call:tt)*) => {
        with_sql!(["SELECT " $select " FROM problems p
             WHERE p.dataset_id = ?1 AND p.graph IS NULL AND p.id <= ?2
               AND (?3 IS NULL OR p.id = ?3) AND p.id > ?4"]; $($call)*)
    };
}

/// [`problems_in_scope!`] for verbalize and judge jobs, whose items are variants.
macro_rules! variants_in_scope {
    ($select:literal; $($call:tt)*) => {
        with_sql!(["SELECT " $select " FROM variants v JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ?1 AND v.id <= ?2
               AND (?3 IS NULL OR v.problem_id = ?3) AND v.id > ?4"]; $($call)*)
    };
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
        if matches!(spec.task, JobTask::Extract | JobTask::Solve) && model.is_none() {
            return Err(StoreError::Invalid(format!(
                "a{} {} job needs a model: start graft with GRAFT_LLM_BASE_URL and \
                 GRAFT_LLM_MODEL (see the README), or give the job its own `llm` endpoint",
                if spec.task == JobTask::Extract {
                    "n"
                } else {
                    ""
                },
                spec.task.as_str()
            )));
        }
        if let Some(o) = &spec.solve {
            check_solve_options(o)?;
        }
        if spec.max_requests == Some(0) {
            return Err(StoreError::Invalid(
                "max_requests must be at least 1 (leave it out for no limit)".into(),
            ));
        }
        let (ds, pid) = (spec.dataset_id, spec.problem_id);
        let (total, last) = if spec.task == JobTask::Extract {
            let r = problems_in_scope!(
                r#"COUNT(*) AS "total!: i64", MAX(p.id) AS "last?: i64""#;
                query!("", ds, i64::MAX, pid, 0i64)
            )
            .fetch_one(&self.pool)
            .await?;
            (r.total, r.last)
        } else {
            let r = variants_in_scope!(
                r#"COUNT(*) AS "total!: i64", MAX(v.id) AS "last?: i64""#;
                query!("", ds, i64::MAX, pid, 0i64)
            )
            .fetch_one(&self.pool)
            .await?;
            (r.total, r.last)
        };
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
            solve: (spec.task == JobTask::Solve).then(|| spec.solve.clone().unwrap_or_default()),
            ..JobParams::default()
        })
        .map_err(|e| StoreError::Internal(format!("cannot serialize job parameters: {e}")))?;
        let task = spec.task.as_str();
        let id = sqlx::query!(
            "INSERT INTO jobs (kind, task, dataset_id, problem_id, params, total, llm_api_key)
             VALUES ('curriculum', ?, ?, ?, ?, ?, ?)",
            task,
            spec.dataset_id,
            spec.problem_id,
            params,
            total,
            key
        )
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        self.wake.notify_one();
        Ok(id)
    }

    /// The client a job uses: its own endpoint, the server's, or none.
    fn job_client(&self, job: &DbJob, params: &JobParams) -> StoreResult<Option<Client>> {
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

    /// Processes the next item of a verbalize, judge or extract job, or the next batch of a
    /// solve job's variants (as many as the model client may have requests in flight, asked
    /// at once). Returns whether there may be more to do.
    pub(super) async fn words_job_step(&self, job: DbJob) -> StoreResult<bool> {
        let task = job.task()?;
        let params = job.params()?;
        let (ds, last, pid) = (job.dataset_id, params.last_id.unwrap_or(0), job.problem_id);
        // A solve job keeps the endpoint busy: a window of variants per step, as many asked
        // at once as the client may have requests in flight (each asking its samples in
        // turn), the next one as soon as one is done.
        let concurrency = self.llm_config.concurrency.max(1);
        let batch: i64 = if task == JobTask::Solve {
            (concurrency * 4).clamp(1, MAX_SOLVE_BATCH) as i64
        } else {
            1
        };
        let items: Vec<i64> = if task == JobTask::Extract {
            problems_in_scope!(
                r#"p.id AS "id!""#;
                query_scalar!(" ORDER BY p.id LIMIT 1", ds, last, pid, job.cursor)
            )
            .fetch_all(&self.pool)
            .await?
        } else {
            variants_in_scope!(
                r#"v.id AS "id!""#;
                query_scalar!(" ORDER BY v.id LIMIT ?5", ds, last, pid, job.cursor, batch)
            )
            .fetch_all(&self.pool)
            .await?
        };
        let Some(&last_item) = items.last() else {
            sqlx::query!(
                "UPDATE jobs SET state = 'done', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ? AND state = 'running'",
                job.id
            )
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
        let options = params.solve.clone().unwrap_or_default();
        // A solve job's texts first, so that its requests then leave together.
        let mut texts: std::collections::HashMap<i64, StoreResult<String>> = Default::default();
        if task == JobTask::Solve {
            for &item in &items {
                texts.insert(item, self.solve_text(item).await);
            }
        }
        let work = |item: i64, text: Option<StoreResult<String>>| {
            let (client, budget, options) = (&client, &budget, &options);
            async move {
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
                        JobTask::Extract => match client {
                            Some(c) => self.extract_problem(item, c, budget, Some(job.id)).await,
                            None => Err(StoreError::Invalid("an extract job needs a model".into())),
                        },
                        JobTask::Solve => match client {
                            Some(c) => {
                                let text = text.unwrap_or_else(|| {
                                    Err(StoreError::Internal(format!(
                                        "variant {item}'s text was not prepared"
                                    )))
                                })?;
                                self.solve_variant(item, &text, c, budget, options, job.id)
                                    .await
                            }
                            None => Err(StoreError::Invalid("a solve job needs a model".into())),
                        },
                        JobTask::Curriculum => Err(StoreError::Internal(
                            "a curriculum job reached the words runner".into(),
                        )),
                    }
                };
                // A panic while working on this item (a bug in the engine or the model's
                // glue) marks the item failed; the job goes on.
                let outcome = match AssertUnwindSafe(work).catch_unwind().await {
                    Ok(outcome) => outcome,
                    Err(panic) => Err(StoreError::Engine(EngineError::Panicked {
                        what: format!("{} {item}", task.item()),
                        message: panic_message(panic.as_ref()),
                    })),
                };
                (item, outcome)
            }
        };
        let mut waiting: Vec<(i64, Option<StoreResult<String>>)> =
            items.iter().rev().map(|&i| (i, texts.remove(&i))).collect();
        let mut running = futures_util::stream::FuturesUnordered::new();
        let mut outcomes: Vec<(i64, StoreResult<bool>)> = Vec::with_capacity(items.len());
        loop {
            while running.len() < concurrency {
                let Some((item, text)) = waiting.pop() else {
                    break;
                };
                running.push(work(item, text));
            }
            match running.next().await {
                Some(outcome) => outcomes.push(outcome),
                None => break,
            }
        }
        let used = budget.used() as i64;
        // An outage anywhere in the batch pauses the job before the batch: the items that
        // finished keep what they stored and ask for nothing more when it resumes.
        if let Some((item, why)) = outcomes.iter().find_map(|(item, o)| match o {
            Err(StoreError::Unavailable(why)) => Some((*item, why.clone())),
            _ => None,
        }) {
            sqlx::query!(
                "UPDATE jobs SET requests_used = ? WHERE id = ?",
                used,
                job.id
            )
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
        let mut written = 0i64;
        let mut failures: Vec<(i64, String)> = Vec::new();
        for (item, outcome) in outcomes {
            match outcome {
                Ok(w) => {
                    written += w as i64;
                    if task == JobTask::Extract && !w {
                        failures.push((item, String::new()));
                    }
                }
                // The database itself failing stops the job (resumable); anything about this
                // one item (the engine refusing it, a panic, a timeout, damaged stored data)
                // only marks the item failed.
                Err(
                    e @ (StoreError::Database(_)
                    | StoreError::Open { .. }
                    | StoreError::Migrate(_)
                    | StoreError::Internal(_)),
                ) => return Err(e),
                Err(e) => failures.push((item, e.to_string())),
            }
        }
        let done = items.len() as i64;
        let failed_items = failures.len() as i64;
        let failure_text = failures
            .iter()
            .rev()
            .map(|(_, reason)| reason.as_str())
            .find(|r| !r.is_empty());
        let mut tx = self.pool.begin().await?;
        let advanced = sqlx::query!(
            "UPDATE jobs SET done = done + ?, cursor = ?, variants_made = variants_made + ?,
                problems_failed = problems_failed + ?, error = COALESCE(?, error),
                requests_used = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ? AND cursor = ? AND state = 'running'",
            done,
            last_item,
            written,
            failed_items,
            failure_text,
            used,
            job.id,
            job.cursor
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if advanced != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for (item, reason) in failures.iter().filter(|(_, r)| !r.is_empty()) {
            super::jobs::record_failure(&mut tx, job.id, *item, reason).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Refuses solve options out of their ranges, saying which.
fn check_solve_options(o: &types::model::SolveOptions) -> StoreResult<()> {
    if !(1..=16).contains(&o.samples) {
        return Err(StoreError::Invalid(format!(
            "solve.samples is {}; ask for 1 to 16 solutions per variant",
            o.samples
        )));
    }
    if !(0.0..=2.0).contains(&o.temperature) {
        return Err(StoreError::Invalid(format!(
            "solve.temperature is {}; use 0 to 2",
            o.temperature
        )));
    }
    if !(16..=8192).contains(&o.max_tokens) {
        return Err(StoreError::Invalid(format!(
            "solve.max_tokens is {}; use 16 to 8192",
            o.max_tokens
        )));
    }
    if o.system_prompt
        .as_ref()
        .is_some_and(|p| p.chars().count() > 8000)
    {
        return Err(StoreError::Invalid(
            "solve.system_prompt is longer than 8,000 characters".into(),
        ));
    }
    Ok(())
}
