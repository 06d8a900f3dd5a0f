//! Curriculum jobs: creation, status, and the runner that works through them.
//!
//! A job covers the extracted problems of a dataset (or one problem), in id order. For each
//! problem the runner calls [`engine::curriculum::generate`] with the job's seed and the
//! problem's id as the source id, so the chains' sub-seeds depend only on the job seed and the
//! problem: a job resumed after a restart makes exactly the variants it would have made. A
//! problem's variants and the job's progress (`done`, `cursor`) are written in one
//! transaction, so a crash never duplicates or loses a problem's variants; a unique index on
//! `(job_id, problem_id, chain, round)` guards that too.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use engine::curriculum::{generate, CurriculumConfig};
use futures_util::FutureExt;
use tokio::sync::Notify;
use tracing::Instrument;

use super::rows::{graph_from_json, DbJob, JobParams};
use super::{new_share_token, panic_message, seed_to_db, Store, StoreError, StoreResult};
use types::model::{JobSpec, JobState, JobStatus, JobTask};

/// The most rounds a curriculum job may ask for.
pub const MAX_ROUNDS: u32 = 8;
/// The most chains per problem a job may ask for.
pub const MAX_PER_PROBLEM: u32 = 50;

// The time now as stored (`2025-01-31T12:00:00.000Z`) is
// `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`: written out in each query below (sqlx's checked
// macros take literal SQL only), the same text as the column defaults in migrations/.

/// `job_select!(query_as!(DbJob, " WHERE …", args…))`: jobs as [`DbJob`] (every column but
/// the old `kind`).
macro_rules! job_select {
    ($($call:tt)*) => {
        with_sql!([r#"SELECT id AS "id!", dataset_id, problem_id, params, state, done, cursor,
            total, variants_made, problems_failed, error, created_at, updated_at, task,
            requests_used, llm_api_key
        FROM jobs"#]; $($call)*)
    };
}

/// A handle on the job runner that [`Store::spawn_job_runner`] started (cheap to clone).
///
/// [`Store::create_job`] already wakes the runner; [`JobRunner::wake`] is for anything else
/// that queues work behind the store's back.
#[derive(Debug, Clone)]
pub struct JobRunner {
    wake: Arc<Notify>,
}

impl JobRunner {
    /// Makes the runner look for queued jobs now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// One variant to insert for a job, made on a blocking thread.
struct MadeVariant {
    chain: u32,
    round: u32,
    seed: u64,
    operations: String,
    graph: String,
    depth: u32,
    answer: String,
}

/// Runs the curriculum for one problem: its variants, chain by chain, rounds in order.
fn make_variants(
    problem_id: i64,
    graph_json: &str,
    p: JobParams,
) -> Result<Vec<MadeVariant>, String> {
    let original =
        graph_from_json(graph_json, &format!("problem {problem_id}")).map_err(|e| e.to_string())?;
    // A flawed original (its own solution below zero, a count not whole) gives variants that
    // carry the flaw: the item fails with the reason instead (README: "Flawed originals").
    engine::records::sound(&original).map_err(|s| format!("problem {problem_id}: {s}"))?;
    let cfg = CurriculumConfig {
        rounds: p.rounds,
        per_problem: p.per_problem,
        seed: p.seed,
        ..CurriculumConfig::default()
    };
    let chains = generate(&original, &problem_id.to_string(), &cfg)
        .map_err(|e| format!("problem {problem_id}: {e}"))?;
    let mut out = Vec::new();
    for chain in chains {
        let mut before = 0;
        for v in &chain.variants {
            // The round's own interventions: what it adds to the previous round's lineage.
            let ops = &v.operations[before.min(v.operations.len())..];
            before = v.operations.len();
            out.push(MadeVariant {
                chain: chain.index,
                round: v.round,
                seed: v.seed,
                operations: serde_json::to_string(ops).map_err(|e| e.to_string())?,
                graph: serde_json::to_string(&v.graph).map_err(|e| e.to_string())?,
                depth: v.metrics.depth,
                answer: v.answer.to_string(),
            });
        }
    }
    Ok(out)
}

/// Records why item `item` of job `job` failed (inside the transaction that moves the job past
/// it; a second record for the same item is ignored).
pub(super) async fn record_failure(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    job: i64,
    item: i64,
    reason: &str,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT OR IGNORE INTO job_failures (job_id, item_id, reason) VALUES (?, ?, ?)",
        job,
        item,
        reason
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Queues a job and wakes the runner. For a curriculum, checks that `rounds` is 1..=8,
    /// `per_problem` 1..=50, the dataset exists, the problem (if any) exists, belongs to it and
    /// has a graph, and that there is at least one extracted problem in scope.
    pub async fn create_job(&self, spec: &JobSpec) -> StoreResult<i64> {
        if spec.task != JobTask::Curriculum {
            return self.create_words_job(spec).await;
        }
        if !(1..=MAX_ROUNDS).contains(&spec.rounds) {
            return Err(StoreError::Invalid(format!(
                "rounds must be between 1 and {MAX_ROUNDS}, got {}",
                spec.rounds
            )));
        }
        if !(1..=MAX_PER_PROBLEM).contains(&spec.per_problem) {
            return Err(StoreError::Invalid(format!(
                "per_problem must be between 1 and {MAX_PER_PROBLEM}, got {}",
                spec.per_problem
            )));
        }
        self.require_dataset(spec.dataset_id).await?;
        let total = match spec.problem_id {
            Some(pid) => {
                if self.problem_depth_in(pid, spec.dataset_id).await?.is_none() {
                    return Err(StoreError::Invalid(format!(
                        "problem {pid} has no graph (its extraction failed); a curriculum \
                         needs an extracted problem"
                    )));
                }
                1
            }
            None => {
                let n = sqlx::query_scalar!(
                    "SELECT COUNT(*) FROM problems WHERE dataset_id = ? AND depth IS NOT NULL",
                    spec.dataset_id
                )
                .fetch_one(&self.pool)
                .await?;
                if n == 0 {
                    return Err(StoreError::Invalid(format!(
                        "dataset {} has no extracted problem; nothing to run a curriculum on",
                        spec.dataset_id
                    )));
                }
                n
            }
        };
        let params = serde_json::to_string(&JobParams {
            rounds: spec.rounds,
            per_problem: spec.per_problem,
            seed: spec.seed,
            ..JobParams::default()
        })
        .map_err(|e| StoreError::Internal(format!("cannot serialize job parameters: {e}")))?;
        let id = sqlx::query!(
            "INSERT INTO jobs (kind, dataset_id, problem_id, params, total)
             VALUES ('curriculum', ?, ?, ?, ?)",
            spec.dataset_id,
            spec.problem_id,
            params,
            total
        )
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        self.wake.notify_one();
        Ok(id)
    }

    /// Queues a failed job again (one paused by a model outage, say); it goes on from where
    /// it stopped. Answers the job's status; a job that is not failed is left as it is.
    pub async fn resume_job(&self, id: i64) -> StoreResult<JobStatus> {
        sqlx::query!(
            "UPDATE jobs SET state = 'queued', error = NULL,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ? AND state = 'failed'",
            id
        )
        .execute(&self.pool)
        .await?;
        self.wake.notify_one();
        self.job(id)
            .await?
            .ok_or(StoreError::NotFound { what: "job", id })
    }

    /// A job's progress; `None` when there is no such job.
    pub async fn job(&self, id: i64) -> StoreResult<Option<JobStatus>> {
        let row: Option<DbJob> = job_select!(query_as!(DbJob, " WHERE id = ?", id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(DbJob::into_status).transpose()
    }

    /// The jobs of a dataset (all jobs when `dataset_id` is `None`), newest first.
    pub async fn list_jobs(&self, dataset_id: Option<i64>) -> StoreResult<Vec<JobStatus>> {
        let rows: Vec<DbJob> = job_select!(query_as!(
            DbJob,
            " WHERE ?1 IS NULL OR dataset_id = ?1 ORDER BY id DESC",
            dataset_id
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(DbJob::into_status).collect()
    }

    /// Polls [`Store::job`] every 20 ms until the job is done or failed, or `timeout` passes
    /// (then an error). For tests and scripts.
    pub async fn wait_for_job(&self, id: i64, timeout: Duration) -> StoreResult<JobStatus> {
        let start = tokio::time::Instant::now();
        loop {
            let status = self
                .job(id)
                .await?
                .ok_or(StoreError::NotFound { what: "job", id })?;
            if status.state.is_finished() {
                return Ok(status);
            }
            if start.elapsed() > timeout {
                return Err(StoreError::Internal(format!(
                    "job {id} is still {} after {timeout:?} ({}/{} problems)",
                    status.state.as_str(),
                    status.done,
                    status.total
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the job runner on the current tokio runtime (call it once, from inside the
    /// runtime). It first resumes jobs left `running` by a restart, then works through queued
    /// jobs in id order, one at a time, and sleeps until [`Store::create_job`] wakes it.
    pub fn spawn_job_runner(&self) -> JobRunner {
        let store = self.clone();
        tokio::spawn(async move { store.run_jobs().await });
        JobRunner {
            wake: self.wake.clone(),
        }
    }

    async fn run_jobs(self) {
        loop {
            match self.next_job().await {
                Ok(Some(id)) => {
                    // A panic outside the engine slots (a bug) fails this job, not the runner.
                    // A span per job around everything it logs (its model calls included).
                    let span = tracing::info_span!("job", id);
                    let run = AssertUnwindSafe(self.run_job(id).instrument(span.clone()));
                    let error = match run.catch_unwind().await {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(e.to_string()),
                        Err(panic) => Some(format!(
                            "the job runner stopped on job {id} ({}); this is a bug in Graft, \
                             please report it; resume the job to go on",
                            panic_message(panic.as_ref())
                        )),
                    };
                    if let Some(e) = error {
                        tracing::error!(parent: &span, "job failed: {e}");
                        if let Err(e2) = self.fail_job(id, &e).await {
                            tracing::error!(
                                job = id,
                                "cannot mark the job failed: {e2}; retrying in 5 s"
                            );
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                    }
                }
                Ok(None) => self.wake.notified().await,
                Err(e) => {
                    tracing::error!("the job runner cannot read the queue: {e}; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    }

    /// The job to work on: an interrupted (`running`) one first, else the oldest queued one.
    async fn next_job(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM jobs WHERE state IN ('running', 'queued')
             ORDER BY state = 'running' DESC, id LIMIT 1"#
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn run_job(&self, id: i64) -> StoreResult<()> {
        sqlx::query!(
            "UPDATE jobs SET state = 'running', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ? AND state = 'queued'",
            id
        )
        .execute(&self.pool)
        .await?;
        tracing::info!("job started");
        while self.job_step(id).await? {}
        tracing::info!("job left the runner (done, paused or failed)");
        Ok(())
    }

    pub(super) async fn fail_job(&self, id: i64, reason: &str) -> StoreResult<()> {
        sqlx::query!(
            "UPDATE jobs SET state = 'failed', error = ?,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ?",
            reason,
            id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Processes the next problem of a running job, or marks the job done when none is left.
    /// Returns whether there may be more to do.
    pub(crate) async fn job_step(&self, id: i64) -> StoreResult<bool> {
        let job: Option<DbJob> = job_select!(query_as!(DbJob, " WHERE id = ?", id))
            .fetch_optional(&self.pool)
            .await?;
        let Some(job) = job else {
            return Ok(false);
        };
        if job.state()? != JobState::Running {
            return Ok(false);
        }
        if job.task()? != JobTask::Curriculum {
            return self.words_job_step(job).await;
        }
        let params = job.params()?;
        let next = sqlx::query!(
            r#"SELECT id AS "id!", graph AS "graph!" FROM problems
             WHERE dataset_id = ?1 AND depth IS NOT NULL AND id > ?2 AND (?3 IS NULL OR id = ?3)
             ORDER BY id LIMIT 1"#,
            job.dataset_id,
            job.cursor,
            job.problem_id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| (r.id, r.graph));
        let Some((problem_id, graph)) = next else {
            sqlx::query!(
                "UPDATE jobs SET state = 'done', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ? AND state = 'running'",
                id
            )
            .execute(&self.pool)
            .await?;
            return Ok(false);
        };
        // Engine work, on an engine slot within the job budget: an engine error, a panic or a
        // timeout marks this problem failed and the job goes on.
        let made = self
            .engine
            .job(&format!("problem {problem_id}'s curriculum"), move || {
                make_variants(problem_id, &graph, params)
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let (made, failure) = match made {
            Ok(v) => (v, None),
            Err(reason) => (Vec::new(), Some(reason)),
        };

        let mut tx = self.pool.begin().await?;
        let mut parent: Option<(u32, i64)> = None;
        for v in &made {
            let parent_id = match parent {
                Some((chain, pid)) if chain == v.chain && v.round > 1 => Some(pid),
                _ => None,
            };
            let token = new_share_token()?;
            let seed = seed_to_db(v.seed);
            let vid = sqlx::query!(
                "INSERT INTO variants (problem_id, parent_variant_id, operations, seed, round,
                    chain, graph, depth, answer, share_token, job_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                problem_id,
                parent_id,
                v.operations,
                seed,
                v.round,
                v.chain,
                v.graph,
                v.depth,
                v.answer,
                token,
                id
            )
            .execute(&mut *tx)
            .await?
            .last_insert_rowid();
            parent = Some((v.chain, vid));
        }
        let made_n = made.len() as i64;
        let failed = failure.is_some() as i64;
        let failure_text = failure.as_deref();
        let advanced = sqlx::query!(
            "UPDATE jobs SET done = done + 1, cursor = ?, variants_made = variants_made + ?,
                problems_failed = problems_failed + ?, error = COALESCE(?, error),
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id = ? AND cursor = ? AND state = 'running'",
            problem_id,
            made_n,
            failed,
            failure_text,
            id,
            job.cursor
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if advanced != 1 {
            // Someone else moved the job on (or stopped it): drop our copy of this problem.
            tx.rollback().await?;
            return Ok(true);
        }
        if let Some(reason) = &failure {
            record_failure(&mut tx, id, problem_id, reason).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Why each failed item of job `id` failed, in the order they failed: (item id, reason).
    /// The item is a problem for curriculum and extract jobs, a variant for verbalize and
    /// judge jobs. Fails with [`StoreError::NotFound`] when there is no such job.
    pub async fn job_failures(&self, id: i64) -> StoreResult<Vec<(i64, String)>> {
        if self.job(id).await?.is_none() {
            return Err(StoreError::NotFound { what: "job", id });
        }
        Ok(sqlx::query!(
            "SELECT item_id, reason FROM job_failures WHERE job_id = ? ORDER BY id",
            id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.item_id, r.reason))
        .collect())
    }
}
