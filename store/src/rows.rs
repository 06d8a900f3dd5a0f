//! Rows as sqlx reads them, and their conversion into the model's plain types.

use engine::intervene::Intervention;
use engine::Graph;

use super::{StoreError, StoreResult};
use types::model::{
    summarize_operations, CheckCounts, DatasetSettings, DatasetSummary, JobState, JobStatus,
    JobTask, ProblemRow, VariantRow,
};

/// Reads stored graph JSON.
pub(super) fn graph_from_json(json: &str, whose: &str) -> StoreResult<Graph> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("the graph of {whose} does not read back: {e}")))
}

/// Reads stored operations JSON.
pub(super) fn operations_from_json(json: &str, whose: &str) -> StoreResult<Vec<Intervention>> {
    serde_json::from_str(json).map_err(|e| {
        StoreError::Corrupt(format!("the operations of {whose} do not read back: {e}"))
    })
}

/// `category: detail` of a failed extraction.
pub(super) fn error_text(category: Option<String>, detail: Option<String>) -> Option<String> {
    match (category, detail) {
        (Some(c), Some(d)) if !d.is_empty() => Some(format!("{c}: {d}")),
        (Some(c), _) => Some(c),
        (None, _) => None,
    }
}

/// A dataset with its counts (histogram filled in separately; read by `dataset_select!`).
pub(super) struct DbDataset {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub problems: i64,
    pub extracted: i64,
    pub variants: i64,
    pub reviewed: i64,
    pub visibility: String,
    pub guidelines: String,
    pub overlap: i64,
    pub gold_rate: f64,
}

impl DbDataset {
    pub fn into_summary(self) -> DatasetSummary {
        DatasetSummary {
            id: self.id,
            name: self.name,
            problems: self.problems as u64,
            extracted: self.extracted as u64,
            variants: self.variants as u64,
            reviewed: self.reviewed as u64,
            histogram: Vec::new(),
            created_at: self.created_at,
            settings: DatasetSettings {
                public: self.visibility == "public",
                guidelines: self.guidelines,
                overlap: self.overlap.clamp(1, 10) as u32,
                gold_percent: (self.gold_rate * 100.0).round().clamp(0.0, 50.0) as u32,
            },
            checks: CheckCounts::default(),
        }
    }
}

/// One bar of a depth histogram.
pub(super) struct DbDepthBin {
    pub dataset_id: i64,
    pub depth: i64,
    pub n: i64,
}

/// A line of a dataset's problem list.
pub(super) struct DbProblemLine {
    pub id: i64,
    pub line: i64,
    pub external_id: Option<String>,
    pub question: String,
    pub depth: Option<i64>,
    pub answer: Option<String>,
    pub error_category: Option<String>,
    pub error_detail: Option<String>,
    pub variants: i64,
}

impl DbProblemLine {
    pub fn into_row(self) -> ProblemRow {
        ProblemRow {
            id: self.id,
            line: self.line as u32,
            external_id: self.external_id,
            question: self.question,
            depth: self.depth.map(|d| d as u32),
            answer: self.answer,
            error: error_text(self.error_category, self.error_detail),
            variants: self.variants as u64,
        }
    }
}

/// A whole problem with its dataset's name.
pub(super) struct DbProblem {
    pub id: i64,
    pub dataset_id: i64,
    pub dataset_name: String,
    pub line: i64,
    pub external_id: Option<String>,
    pub question: String,
    pub graph: Option<String>,
    pub error_category: Option<String>,
    pub error_detail: Option<String>,
    pub share_token: String,
    pub created_at: String,
}

/// A line of a problem's variant list.
pub(super) struct DbVariantLine {
    pub id: i64,
    pub parent_variant_id: Option<i64>,
    pub round: i64,
    pub depth: i64,
    pub answer: String,
    pub operations: String,
    pub job_id: Option<i64>,
    pub review_status: String,
    pub share_token: String,
    pub created_at: String,
}

impl DbVariantLine {
    pub fn into_row(self) -> StoreResult<VariantRow> {
        let ops = operations_from_json(&self.operations, &format!("variant {}", self.id))?;
        Ok(VariantRow {
            id: self.id,
            parent_variant_id: self.parent_variant_id,
            round: self.round as u32,
            depth: self.depth as u32,
            answer: self.answer,
            operations: summarize_operations(&ops),
            job_id: self.job_id,
            review_status: self.review_status,
            share_token: self.share_token,
            created_at: self.created_at,
        })
    }
}

/// A whole variant with what it descends from.
pub(super) struct DbVariant {
    pub id: i64,
    pub problem_id: i64,
    pub dataset_id: i64,
    pub parent_variant_id: Option<i64>,
    pub operations: String,
    pub seed: Option<i64>,
    pub round: i64,
    pub chain: Option<i64>,
    pub graph: String,
    pub question: String,
    pub share_token: String,
    pub job_id: Option<i64>,
    pub review_status: String,
    pub created_at: String,
    /// The parent variant's graph, else the problem's.
    pub parent_graph: Option<String>,
}

/// A job as stored.
pub(super) struct DbJob {
    pub id: i64,
    pub dataset_id: i64,
    pub problem_id: Option<i64>,
    pub params: String,
    pub state: String,
    pub done: i64,
    pub cursor: i64,
    pub total: i64,
    pub variants_made: i64,
    pub problems_failed: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub task: String,
    pub requests_used: i64,
    pub llm_api_key: Option<String>,
}

/// A job's parameters, as stored in `jobs.params` (the API key is kept apart).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct JobParams {
    #[serde(default)]
    pub rounds: u32,
    #[serde(default)]
    pub per_problem: u32,
    #[serde(default)]
    pub seed: u64,
    /// Verbalize, judge: use no model.
    #[serde(default)]
    pub offline: bool,
    /// The job's own endpoint (its key is in `jobs.llm_api_key`).
    #[serde(default)]
    pub llm: Option<types::model::LlmSettings>,
    #[serde(default)]
    pub max_requests: Option<u32>,
    /// Verbalize, judge: the last variant id in scope when the job was made.
    #[serde(default)]
    pub last_id: Option<i64>,
    /// The model asked (for display).
    #[serde(default)]
    pub model: Option<String>,
    /// Solve: how the model is asked.
    #[serde(default)]
    pub solve: Option<types::model::SolveOptions>,
}

impl DbJob {
    pub fn params(&self) -> StoreResult<JobParams> {
        serde_json::from_str(&self.params).map_err(|e| {
            StoreError::Corrupt(format!(
                "the parameters of job {} do not read back: {e}",
                self.id
            ))
        })
    }

    pub fn task(&self) -> StoreResult<JobTask> {
        JobTask::parse(&self.task).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "job {} has an unknown task {:?}",
                self.id, self.task
            ))
        })
    }

    pub fn state(&self) -> StoreResult<JobState> {
        JobState::parse(&self.state).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "job {} has an unknown state {:?}",
                self.id, self.state
            ))
        })
    }

    pub fn into_status(self) -> StoreResult<JobStatus> {
        let params = self.params()?;
        let task = self.task()?;
        Ok(JobStatus {
            id: self.id,
            state: self.state()?,
            done: self.done as u64,
            total: self.total as u64,
            variants_made: self.variants_made as u64,
            problems_failed: self.problems_failed as u64,
            error: self.error,
            dataset_id: self.dataset_id,
            problem_id: self.problem_id,
            task,
            rounds: params.rounds,
            per_problem: params.per_problem,
            seed: params.seed,
            llm_model: params.model.clone(),
            requests_used: self.requests_used.max(0) as u64,
            max_requests: params.max_requests,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
