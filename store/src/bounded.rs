//! Bounded engine work: CPU-heavy engine calls (extraction, interventions, curricula, layout)
//! run on tokio's blocking threads, never on an async worker, at most [`engine_slots`] at a
//! time, each within a time budget.
//!
//! The slots are a semaphore shared by every clone of the [`Store`](super::Store): a permit is
//! taken before the work starts and released only when the work really ends, so even requests
//! that gave up waiting cannot pile up more than [`engine_slots`] engine threads. A request
//! waits for a slot within its budget (then [`EngineError::Busy`], 503); a job waits as long as
//! it takes (it runs in the background). A panic inside the work is caught by tokio and
//! answered as [`EngineError::Panicked`], never taking the process or the job down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The time one request's engine work may take by default (a preview, a saved variant, one
/// row of an import): `graft serve --engine-budget-ms` / `GRAFT_ENGINE_BUDGET_MS`.
pub const DEFAULT_REQUEST_BUDGET: Duration = Duration::from_secs(10);

/// The time one item of a job (one problem's curriculum) may take by default:
/// `graft serve --job-budget-ms` / `GRAFT_JOB_BUDGET_MS`.
pub const DEFAULT_JOB_BUDGET: Duration = Duration::from_secs(120);

/// The most engine calls that run at once, whatever the number of cores.
pub const MAX_ENGINE_SLOTS: usize = 8;

/// How many engine calls run at once: the number of cores, between 2 and
/// [`MAX_ENGINE_SLOTS`].
pub fn engine_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, MAX_ENGINE_SLOTS)
}

/// Why bounded engine work gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The work ran past its budget (it is left to finish on its thread; its result is
    /// dropped).
    #[error(
        "{what} took longer than {}, the server's limit for one {scope}; nothing was changed \
         (make the input smaller, or ask the server's admin to raise {setting})",
        secs(*budget), scope = scope_name(*job), setting = setting_name(*job)
    )]
    TimedOut {
        /// What was being done ("the preview", "problem 12's curriculum").
        what: String,
        /// The budget it ran past.
        budget: Duration,
        /// Whether it was a job's item (else a request or a row of one).
        job: bool,
    },
    /// Every engine slot stayed taken for the whole budget.
    #[error(
        "the server is busy with other engine work ({slots} at once) and {what} could not \
         start within {}; nothing was changed, try again in a moment",
        secs(*budget)
    )]
    Busy {
        /// What was to be done.
        what: String,
        /// How long it waited.
        budget: Duration,
        /// The number of slots.
        slots: usize,
    },
    /// The engine panicked (a bug in Graft; the input that caused it is worth a report).
    #[error(
        "the engine failed on {what} ({message}); this is a bug in Graft, please report it with \
         the input; nothing was changed"
    )]
    Panicked {
        /// What was being done.
        what: String,
        /// The panic's message.
        message: String,
    },
}

fn secs(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn scope_name(job: bool) -> &'static str {
    if job {
        "item of a job"
    } else {
        "request"
    }
}

fn setting_name(job: bool) -> &'static str {
    if job {
        "GRAFT_JOB_BUDGET_MS"
    } else {
        "GRAFT_ENGINE_BUDGET_MS"
    }
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// How long work waits for a free slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Within the budget, which then also covers the work (requests).
    WithinBudget,
    /// As long as it takes; the budget covers the work only (jobs, an import's rows).
    Forever,
}

/// The engine's slots and budgets (cheap to clone; clones share the slots).
#[derive(Debug, Clone)]
pub struct EnginePool {
    slots: Arc<Semaphore>,
    size: usize,
    request_budget: Duration,
    job_budget: Duration,
}

impl Default for EnginePool {
    fn default() -> Self {
        EnginePool::new(engine_slots(), DEFAULT_REQUEST_BUDGET, DEFAULT_JOB_BUDGET)
    }
}

impl EnginePool {
    /// A pool of `slots` (at least 1) with these budgets.
    pub fn new(slots: usize, request_budget: Duration, job_budget: Duration) -> Self {
        let size = slots.max(1);
        EnginePool {
            slots: Arc::new(Semaphore::new(size)),
            size,
            request_budget,
            job_budget,
        }
    }

    /// The same slots with other budgets.
    pub fn with_budgets(mut self, request_budget: Duration, job_budget: Duration) -> Self {
        self.request_budget = request_budget;
        self.job_budget = job_budget;
        self
    }

    /// The budget of one request's engine work.
    pub fn request_budget(&self) -> Duration {
        self.request_budget
    }

    /// The budget of one item of a job.
    pub fn job_budget(&self) -> Duration {
        self.job_budget
    }

    /// Runs `f` for a request (`what` names it in errors): waits for a slot and runs within
    /// the request budget, both together.
    pub async fn request<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        self.run(what, Wait::WithinBudget, false, f).await
    }

    /// Runs `f` for one row of a request (an import's row): waits for a slot as long as it
    /// takes (the request's other rows hold them), then runs within the request budget.
    pub async fn row<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        self.run(what, Wait::Forever, false, f).await
    }

    /// Runs `f` as one item of a job: waits for a slot as long as it takes, then runs within
    /// the job budget.
    pub async fn job<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        self.run(what, Wait::Forever, true, f).await
    }

    async fn run<T: Send + 'static>(
        &self,
        what: &str,
        wait: Wait,
        job: bool,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let start = Instant::now();
        let budget = if job {
            self.job_budget
        } else {
            self.request_budget
        };
        let acquire = self.slots.clone().acquire_owned();
        let permit = if wait == Wait::Forever {
            acquire.await
        } else {
            match tokio::time::timeout(budget, acquire).await {
                Ok(p) => p,
                Err(_) => {
                    return Err(EngineError::Busy {
                        what: what.to_string(),
                        budget,
                        slots: self.size,
                    })
                }
            }
        };
        // The semaphore is never closed.
        let permit = permit.map_err(|e| EngineError::Panicked {
            what: what.to_string(),
            message: e.to_string(),
        })?;
        let left = match wait {
            Wait::Forever => budget,
            Wait::WithinBudget => budget.saturating_sub(start.elapsed()),
        };
        let handle = tokio::task::spawn_blocking(move || {
            // Held until the work ends, even when the caller stopped waiting.
            let _permit = permit;
            f()
        });
        match tokio::time::timeout(left, handle).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(EngineError::Panicked {
                what: what.to_string(),
                message: match e.try_into_panic() {
                    Ok(payload) => panic_message(payload.as_ref()),
                    Err(e) => e.to_string(),
                },
            }),
            Err(_) => Err(EngineError::TimedOut {
                what: what.to_string(),
                budget,
                job,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_panics_are_caught_and_budgets_hold() {
        let roomy = EnginePool::new(1, Duration::from_secs(30), Duration::from_secs(30));
        assert_eq!(roomy.request("adding", || 1 + 1).await, Ok(2));
        let e = roomy
            .request("the preview", || -> u32 { panic!("boom") })
            .await
            .unwrap_err();
        assert!(
            matches!(&e, EngineError::Panicked { message, .. } if message == "boom"),
            "{e}"
        );
        let pool = EnginePool::new(1, Duration::from_millis(50), Duration::from_millis(50));
        let e = pool
            .request("the preview", || {
                std::thread::sleep(Duration::from_millis(300))
            })
            .await
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "the preview took longer than 50 ms, the server's limit for one request"
            ),
            "{e}"
        );
        // The slow work still holds the only slot: the next request cannot start.
        let e = pool.request("another", || ()).await.unwrap_err();
        assert!(matches!(e, EngineError::Busy { slots: 1, .. }), "{e}");
        // A job waits for the slot instead.
        assert_eq!(pool.job("an item", || 3).await, Ok(3));
    }
}
