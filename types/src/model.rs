//! What the pages show, as plain serializable data (sent from server functions to the
//! browser; the store reads and writes it). Pure: no I/O, any target.

use engine::Graph;
use serde::{Deserialize, Serialize};

// The drawing lives in its own module; pages name it from here too.
pub use crate::drawing::{
    role_class, structure_key, Drawing, DrawnEdge, DrawnNode, ServerDrawing, NODE_HEIGHT,
    NODE_WIDTH,
};

// ---------------------------------------------------------------------------------------------
// Stored data (the store crate reads and writes these; the JSON API and the server
// functions send them as they are). Ids are the database's row ids.
// ---------------------------------------------------------------------------------------------

/// How many extracted problems of a dataset have one depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthBin {
    /// The depth (longest input → answer path, in operations).
    pub depth: u32,
    /// Extracted problems with that depth.
    pub problems: u64,
}

/// One imported dataset with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// The dataset's id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// Problems stored (every readable row, extracted or not).
    pub problems: u64,
    /// Problems with a graph.
    pub extracted: u64,
    /// Variants of its problems.
    pub variants: u64,
    /// Variants whose review status is not `unreviewed`.
    pub reviewed: u64,
    /// Extracted problems by depth, shallowest first.
    pub histogram: Vec<DepthBin>,
    /// When it was imported (UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`).
    pub created_at: String,
    /// Who may read it, what annotators read, how items are labelled.
    pub settings: DatasetSettings,
    /// Its variants' verdicts by which checks ran (filled in for one dataset's page).
    #[serde(default)]
    pub checks: CheckCounts,
}

/// Variants counted by which checks their verdicts rest on (issue #11): a text is only
/// `pass` when an independent solver checked it and agreed; offline checks alone make it
/// "linted only". The counts overlap: a text a solver checked may also have failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCounts {
    /// Verdicts with an independent solve (a model's answer compared with the graph's).
    #[serde(default)]
    pub solver_checked: u64,
    /// Of those, how many passed (the solver agreed and every other check passed).
    #[serde(default)]
    pub solver_agreed: u64,
    /// Offline checks only (exact execution, numbers consistent, well-posedness lint) passed;
    /// no solver. Verdicts stored as `pass` before the lint existed count here too.
    #[serde(default)]
    pub linted_only: u64,
    /// A check failed.
    #[serde(default)]
    pub failed: u64,
    /// The offline checks passed but the model gave no usable judgement.
    #[serde(default)]
    pub incomplete: u64,
    /// Not judged at all.
    #[serde(default)]
    pub unjudged: u64,
}

/// A dataset's settings (an admin changes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSettings {
    /// Readable without logging in.
    pub public: bool,
    /// What reviewers and annotators read beside each item.
    pub guidelines: String,
    /// Annotators per item (1–10).
    pub overlap: u32,
    /// The percentage of an annotator's items that are gold questions (0–50).
    pub gold_percent: u32,
}

/// One line of a dataset's problem list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemRow {
    /// The problem's id.
    pub id: i64,
    /// Its line in the imported file.
    pub line: u32,
    /// The row's own `id` field, when it had one.
    pub external_id: Option<String>,
    /// The question text.
    pub question: String,
    /// Depth of its graph; `None` when extraction failed.
    pub depth: Option<u32>,
    /// The exact answer; `None` when extraction failed.
    pub answer: Option<String>,
    /// Why extraction failed (`category: detail`), when it did.
    pub error: Option<String>,
    /// Variants made from it.
    pub variants: u64,
}

/// A page of a dataset's problems, in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetPage {
    /// The dataset.
    pub summary: DatasetSummary,
    /// Its problems from `offset`, at most `limit` of them.
    pub problems: Vec<ProblemRow>,
    /// All its problems.
    pub total: u64,
    /// The offset this page starts at.
    pub offset: u64,
    /// The most problems a page holds.
    pub limit: u64,
    /// Whether the caller may change it (an admin; set per request, never stored).
    #[serde(default)]
    pub can_write: bool,
}

/// A problem's variants a page or a read shows when the caller does not say.
pub const VARIANT_PAGE: u64 = 100;
/// The most of a problem's variants one read returns.
pub const MAX_VARIANT_PAGE: u64 = 1000;

/// A window of a problem's variants, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemVariants {
    /// The variants from `offset`, at most `limit` of them.
    pub variants: Vec<VariantRow>,
    /// How many variants the problem has in all.
    pub total: u64,
    /// The offset this window starts at.
    pub offset: u64,
    /// The most variants a window holds.
    pub limit: u64,
}

/// One variant in a problem's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantRow {
    /// The variant's id.
    pub id: i64,
    /// The variant it was made from; `None` when made from the problem.
    pub parent_variant_id: Option<i64>,
    /// Steps from the problem (1 = made from the problem itself).
    pub round: u32,
    /// Its depth.
    pub depth: u32,
    /// Its exact answer.
    pub answer: String,
    /// The operations from its parent, in words (see [`summarize_operations`]).
    pub operations: String,
    /// The job that made it, if a job did.
    pub job_id: Option<i64>,
    /// `unreviewed` until someone reviews it.
    pub review_status: String,
    /// Its share link token (`/s/{token}`).
    pub share_token: String,
    /// When it was made.
    pub created_at: String,
}

/// One problem with its graph and its variants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredProblem {
    /// The problem's id.
    pub id: i64,
    /// Its dataset.
    pub dataset_id: i64,
    /// The dataset's name.
    pub dataset_name: String,
    /// Its line in the imported file.
    pub line: u32,
    /// The row's own `id` field, when it had one.
    pub external_id: Option<String>,
    /// The question text.
    pub question: String,
    /// The extracted graph; `None` when extraction failed.
    pub graph: Option<Graph>,
    /// Why extraction failed (`category: detail`), when it did.
    pub error: Option<String>,
    /// The flaws of its own solution, in words (README: "Flawed originals"): an amount below
    /// zero, a count that is not whole, money past cents. Empty for a sound problem;
    /// curriculum jobs skip a flawed one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flaws: Vec<String>,
    /// Its share link token (`/s/{token}`).
    pub share_token: String,
    /// A window of its variants, oldest first: from `variants_offset`, at most
    /// `variants_limit` of them ([`VARIANT_PAGE`] unless the caller asked for another).
    pub variants: Vec<VariantRow>,
    /// How many variants it has in all.
    #[serde(default)]
    pub variants_total: u64,
    /// The offset of `variants` among all its variants.
    #[serde(default)]
    pub variants_offset: u64,
    /// The most variants the window holds.
    #[serde(default)]
    pub variants_limit: u64,
    /// When it was imported.
    pub created_at: String,
    /// Whether the caller may change it (an admin; set per request, never stored).
    #[serde(default)]
    pub can_write: bool,
    /// The drawing of its graph, for its page (set by the page's server function, never
    /// stored; left out of the JSON API's answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawing: Option<ServerDrawing>,
}

/// One variant with its graph, the graph it was made from, and its lineage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVariant {
    /// The variant's id.
    pub id: i64,
    /// The problem it descends from.
    pub problem_id: i64,
    /// That problem's dataset.
    pub dataset_id: i64,
    /// The variant it was made from; `None` when made from the problem.
    pub parent_variant_id: Option<i64>,
    /// The interventions from the parent's graph to this one, in order.
    pub operations: Vec<engine::intervene::Intervention>,
    /// The seed that drew them, when they were drawn (curriculum jobs, samplers).
    pub seed: Option<u64>,
    /// Steps from the problem (1 = made from the problem itself).
    pub round: u32,
    /// The curriculum chain within its problem, for variants made by a job.
    pub chain: Option<u32>,
    /// The variant's graph.
    pub graph: Graph,
    /// The graph it was made from: the parent variant's, else the problem's.
    pub parent_graph: Graph,
    /// The problem's question text.
    pub question: String,
    /// Its share link token (`/s/{token}`).
    pub share_token: String,
    /// The job that made it, if a job did.
    pub job_id: Option<i64>,
    /// `unreviewed` until someone reviews it.
    pub review_status: String,
    /// When it was made.
    pub created_at: String,
    /// Its problem text, verdict and LLM calls.
    pub words: VariantWords,
    /// Whether the caller may change it (an admin; set per request, never stored).
    #[serde(default)]
    pub can_write: bool,
    /// The drawing of its graph (not its parent's), for its page (set by the page's server
    /// function, never stored; left out of the JSON API's answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawing: Option<ServerDrawing>,
    /// Its text, worked solution, lint and lineage as its page shows them (set by the page's
    /// server function, never stored; left out of the JSON API's answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_words: Option<crate::wording::PageWords>,
}

/// A variant's problem text, its verdict, and every model call made for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantWords {
    /// The problem text, once verbalized.
    pub text: Option<String>,
    /// `offline` or `llm`.
    pub source: Option<String>,
    /// Why a model's text was not used, when one was asked.
    pub fallback: Option<String>,
    /// What the offline verbalizer could not say.
    pub notes: Vec<String>,
    /// The worked solution in GSM8K style (a model's, re-extracted to the variant's answer,
    /// or the engine's offline one), once written.
    #[serde(default)]
    pub solution: Option<String>,
    /// The verdict, once judged.
    pub verdict: Option<engine::verdict::Verdict>,
    /// The verdict in one word (`pass`, `fail`, `incomplete`).
    pub outcome: Option<String>,
    /// The last model failure (an outage), kept until a later try succeeds.
    pub llm_error: Option<String>,
    /// The model calls, oldest first.
    pub calls: Vec<LlmCall>,
}

/// One recorded model call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmCall {
    /// The call's id.
    pub id: i64,
    /// `verbalize`, `judge` or `extract`.
    pub purpose: String,
    /// The prompt's version.
    pub prompt_version: String,
    /// The model.
    pub model: String,
    /// The endpoint's base URL.
    pub base_url: String,
    /// The request body as sent (JSON, no key; pretty-printed).
    pub request: String,
    /// The last raw response body (pretty-printed when it is JSON).
    pub response: Option<String>,
    /// Its HTTP status.
    pub status: Option<u16>,
    /// The assistant's text.
    pub content: Option<String>,
    /// Why the call failed.
    pub error: Option<String>,
    /// Wall time over all attempts.
    pub latency_ms: u64,
    /// HTTP requests made.
    pub attempts: u32,
    /// What went wrong on each retried attempt.
    pub retries: Vec<String>,
    /// Prompt tokens reported.
    pub prompt_tokens: Option<u32>,
    /// Completion tokens reported.
    pub completion_tokens: Option<u32>,
    /// When it was made.
    pub created_at: String,
    /// The batch request's `custom_id` when the call was answered through a batch file
    /// (`graft words results`); `None` for a live call.
    #[serde(default)]
    pub batch_custom_id: Option<String>,
}

/// A variant in a dataset's list of variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantItem {
    /// The variant's id.
    pub id: i64,
    /// Its problem.
    pub problem_id: i64,
    /// Its round.
    pub round: u32,
    /// Its depth.
    pub depth: u32,
    /// Its problem text, when verbalized.
    pub text: Option<String>,
    /// `offline` or `llm`.
    pub source: Option<String>,
    /// `pass`, `fail` or `incomplete`, when judged.
    pub outcome: Option<String>,
    /// Whether only the offline checks ran.
    pub offline_verdict: Option<bool>,
}

/// A page of a dataset's variants, filtered by verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantPage {
    /// The variants of this page.
    pub items: Vec<VariantItem>,
    /// Variants matching the filter.
    pub total: u64,
    /// Counts by verdict: pass, fail, incomplete, unjudged.
    pub counts: VerdictCounts,
}

/// How many variants have each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// Passed every check, an independent solver (a model) agreeing.
    pub pass: u64,
    /// Offline checks only (execution, numbers, lint) passed; no solver.
    #[serde(default)]
    pub linted: u64,
    /// Failed a check.
    pub fail: u64,
    /// The judge could not finish.
    pub incomplete: u64,
    /// Not judged yet.
    pub unjudged: u64,
}

/// What a share token points at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shared {
    /// A problem.
    Problem(Box<StoredProblem>),
    /// A variant.
    Variant(Box<StoredVariant>),
}

/// A row of an imported file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u32,
    /// Why the row was not read.
    pub reason: String,
}

/// The outcome of importing a JSONL file as a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The new dataset's id.
    pub dataset_id: i64,
    /// Rows stored as problems (extracted or not).
    pub imported: u64,
    /// Of those, the problems with a graph whose answer matches the stated one.
    pub extracted: u64,
    /// Rows that could not be read, with their line numbers (not stored).
    pub failed: Vec<LineError>,
}

/// A request to save a variant: interventions applied, in order, to a parent graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVariant {
    /// The interventions, applied in order (at least one).
    pub operations: Vec<engine::intervene::Intervention>,
    /// The variant to start from; the problem itself when absent.
    #[serde(default)]
    pub parent_variant_id: Option<i64>,
    /// The seed that drew the operations, if they were drawn.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A saved variant's id and share token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedVariant {
    /// The new variant's id.
    pub id: i64,
    /// Its share link token (`/s/{token}`).
    pub share_token: String,
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobTask {
    /// Curriculum rounds over extracted problems: makes variants.
    #[default]
    Curriculum,
    /// Writes the problem text of each variant (a model when configured, else offline).
    Verbalize,
    /// Judges each variant (execution, consistency, and the LLM judge when configured).
    Judge,
    /// Asks a model for a program for each problem without a graph.
    Extract,
    /// Asks a model to solve each variant's text; its solutions are stored scored and labelled.
    Solve,
}

impl JobTask {
    /// The task's name as stored and sent (`curriculum`, `verbalize`, `judge`, `extract`,
    /// `solve`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobTask::Curriculum => "curriculum",
            JobTask::Verbalize => "verbalize",
            JobTask::Judge => "judge",
            JobTask::Extract => "extract",
            JobTask::Solve => "solve",
        }
    }

    /// The task of a stored name; `None` for an unknown one.
    pub fn parse(s: &str) -> Option<JobTask> {
        Some(match s {
            "curriculum" => JobTask::Curriculum,
            "verbalize" => JobTask::Verbalize,
            "judge" => JobTask::Judge,
            "extract" => JobTask::Extract,
            "solve" => JobTask::Solve,
            _ => return None,
        })
    }

    /// What one item of the task is (`problem` or `variant`).
    pub fn item(self) -> &'static str {
        match self {
            JobTask::Curriculum | JobTask::Extract => "problem",
            JobTask::Verbalize | JobTask::Judge | JobTask::Solve => "variant",
        }
    }
}

/// A job's own model endpoint, instead of the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmSettings {
    /// Base URL up to and including `/v1`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// `generic`, `openai`, `llamacpp` or `ollama`.
    #[serde(default)]
    pub provider: Option<String>,
    /// API key: accepted, stored apart, never sent back.
    #[serde(default, skip_serializing)]
    pub api_key: Option<String>,
}

/// How a solve job asks its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveOptions {
    /// Solutions per variant, 1 to 16.
    #[serde(default = "one")]
    pub samples: u32,
    /// Sampling temperature, 0 to 2.
    #[serde(default)]
    pub temperature: f64,
    /// The most tokens a solution may take, 16 to 8,192.
    #[serde(default = "solve_tokens")]
    pub max_tokens: u32,
    /// A system prompt of the job's own (the default asks for one step a line and `#### N`).
    #[serde(default)]
    pub system_prompt: Option<String>,
}

fn one() -> u32 {
    1
}

fn solve_tokens() -> u32 {
    1024
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            samples: 1,
            temperature: 0.0,
            max_tokens: solve_tokens(),
            system_prompt: None,
        }
    }
}

/// A job to run over a dataset or one of its problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The dataset.
    pub dataset_id: i64,
    /// One problem of it; every problem in scope of the dataset when absent.
    #[serde(default)]
    pub problem_id: Option<i64>,
    /// What the job does (curriculum when absent).
    #[serde(default)]
    pub task: JobTask,
    /// Rounds per chain, 1 to 8 (round r carries r grafts); curriculum only.
    #[serde(default)]
    pub rounds: u32,
    /// Chains per problem, 1 to 50; curriculum only.
    #[serde(default)]
    pub per_problem: u32,
    /// The master seed; the same seed gives the same variants.
    #[serde(default)]
    pub seed: u64,
    /// Use no model even when the server has one (verbalize, judge).
    #[serde(default)]
    pub offline: bool,
    /// The job's own model endpoint; the server's when absent.
    #[serde(default)]
    pub llm: Option<LlmSettings>,
    /// The most HTTP requests the job may send to the model.
    #[serde(default)]
    pub max_requests: Option<u32>,
    /// Solve jobs: samples, temperature, tokens, system prompt (the defaults when absent).
    #[serde(default)]
    pub solve: Option<SolveOptions>,
}

impl JobSpec {
    /// A curriculum job over the whole dataset.
    pub fn curriculum(dataset_id: i64, rounds: u32, per_problem: u32, seed: u64) -> JobSpec {
        JobSpec {
            dataset_id,
            problem_id: None,
            task: JobTask::Curriculum,
            rounds,
            per_problem,
            seed,
            offline: false,
            llm: None,
            max_requests: None,
            solve: None,
        }
    }

    /// A verbalize, judge or extract job over the whole dataset, with the server's model.
    pub fn words(dataset_id: i64, task: JobTask) -> JobSpec {
        JobSpec {
            task,
            ..JobSpec::curriculum(dataset_id, 0, 0, 0)
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the runner.
    Queued,
    /// Being run (or interrupted by a restart; the runner resumes it).
    Running,
    /// Finished.
    Done,
    /// Stopped by a database failure (see `error`).
    Failed,
}

impl JobState {
    /// The state's name as stored and sent (`queued`, `running`, `done`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// The state of a stored name; `None` for an unknown one.
    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return None,
        })
    }

    /// Whether the job will not change any more (`done` or `failed`).
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// A job's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job's id.
    pub id: i64,
    /// Where it is.
    pub state: JobState,
    /// Items processed (problems, or variants for verbalize and judge).
    pub done: u64,
    /// Items in scope.
    pub total: u64,
    /// Variants stored so far (curriculum), or items written (texts, verdicts, programs).
    pub variants_made: u64,
    /// Items that could not be processed (skipped; the job went on).
    pub problems_failed: u64,
    /// Why the job failed, or the last problem that could not be processed.
    pub error: Option<String>,
    /// The dataset.
    pub dataset_id: i64,
    /// The one problem, when the job is about one.
    pub problem_id: Option<i64>,
    /// What the job does.
    pub task: JobTask,
    /// Rounds per chain (curriculum).
    pub rounds: u32,
    /// Chains per problem (curriculum).
    pub per_problem: u32,
    /// The master seed (curriculum).
    pub seed: u64,
    /// The model the job asks, when it asks one.
    pub llm_model: Option<String>,
    /// HTTP requests sent to the model so far.
    pub requests_used: u64,
    /// The job's request budget, when it has one.
    pub max_requests: Option<u32>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// Interventions in words, `; `-separated: `graft #3 ×4; set #1 = 5`.
pub fn summarize_operations(ops: &[engine::intervene::Intervention]) -> String {
    use engine::intervene::Intervention as I;
    ops.iter()
        .map(|op| match op {
            I::SetInput { node, value } => format!("set #{} = {value}", node.0),
            I::Graft { node, f } => format!("graft #{} {f}", node.0),
            I::AddDistractor {
                name,
                value,
                combine,
            } => match combine {
                Some((op, with)) => {
                    format!(
                        "distractor {name} = {value} (#{} {} {name})",
                        with.0,
                        op.symbol()
                    )
                }
                None => format!("distractor {name} = {value}"),
            },
            I::FlipBranch { node } => format!("flip #{}", node.0),
            I::SetThreshold { node, value } => format!("threshold #{} = {value}", node.0),
            I::Invert { input } => format!("invert #{}", input.0),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_in_words() {
        use engine::intervene::Intervention as I;
        use engine::{BinOp, NodeId, Number, ProxyFn, ProxyOp};
        let ops = [
            I::Graft {
                node: NodeId(3),
                f: ProxyFn {
                    op: ProxyOp::Mul,
                    k: Number::int(4),
                },
            },
            I::SetInput {
                node: NodeId(1),
                value: Number::int(5),
            },
            I::AddDistractor {
                name: "pens".into(),
                value: Number::int(2),
                combine: Some((BinOp::Add, NodeId(0))),
            },
        ];
        assert_eq!(
            summarize_operations(&ops),
            "graft #3 ×4; set #1 = 5; distractor pens = 2 (#0 + pens)"
        );
        assert_eq!(summarize_operations(&[]), "");
    }
}

/// A model's solution of a variant, stored scored and labelled (`engine::labels::solutions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSolution {
    /// Its id.
    pub id: i64,
    /// The variant it solves.
    pub variant_id: i64,
    /// The model that wrote it.
    pub model: String,
    /// The prompt's version, as the caller gave it.
    pub prompt_version: String,
    /// 0-based, per variant and model.
    pub sample: i64,
    /// The solution as written.
    pub text: String,
    /// The final answer as written, when one was found.
    pub final_answer: Option<String>,
    /// `correct`, `wrong` or `unparseable`.
    pub score: engine::labels::solutions::Score,
    /// 0-based step of the first error, if any.
    pub first_error: Option<i64>,
    /// Each step with its automatic label and reason.
    pub steps: Vec<engine::labels::solutions::AutoLabel>,
}

/// A model's solution to store (`POST /api/variants/{id}/solutions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSolution {
    /// The model that wrote it.
    pub model: String,
    /// The solution's text.
    pub solution: String,
    /// The prompt's version (empty when left out).
    #[serde(default)]
    pub prompt_version: String,
}
