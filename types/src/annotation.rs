//! Review and step-level annotation as the pages see them: the review queue's filter and
//! item, decisions, label items with their steps, an annotator's labels, progress and
//! agreement. Pure data (any target).

use serde::{Deserialize, Serialize};

/// The reasons a reviewer picks from when rejecting (free text is accepted too).
pub const REJECT_REASONS: [&str; 6] = [
    "wrong answer",
    "text does not match the graph",
    "unnatural or unclear wording",
    "too easy or trivial",
    "duplicate",
    "unsafe or off-topic",
];

/// What a review queue shows: variants of one dataset matching all of these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFilter {
    /// `unreviewed` (the default), `accepted`, `rejected` or `all`.
    #[serde(default)]
    pub status: Option<String>,
    /// Depth at least this (0 to `engine::limits::MAX_NODES`; the store refuses others with a
    /// message, so a signed type: `-1` is a clear 400, not a decoding error).
    #[serde(default)]
    pub min_depth: Option<i64>,
    /// Depth at most this (same range).
    #[serde(default)]
    pub max_depth: Option<i64>,
    /// Judge verdict: `pass`, `fail`, `incomplete` or `unjudged`.
    #[serde(default)]
    pub verdict: Option<String>,
    /// Intervention type the variant's operations include (`set_input`, `graft`,
    /// `add_distractor`, `flip_branch`, `set_threshold`, `invert`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Words the text (or, without a text, the question) contains.
    #[serde(default)]
    pub search: Option<String>,
}

/// Every intervention type, as [`ReviewFilter::kind`] names it.
pub const INTERVENTION_KINDS: [&str; 6] = [
    "set_input",
    "graft",
    "add_distractor",
    "flip_branch",
    "set_threshold",
    "invert",
];

/// One variant in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The variant's id.
    pub id: i64,
    /// Its problem.
    pub problem_id: i64,
    /// The original question.
    pub question: String,
    /// The variant's problem text, when verbalized.
    pub text: Option<String>,
    /// Who wrote it: `offline`, `llm`; `edited` once a reviewer changed it.
    pub text_source: Option<String>,
    /// Its depth and round.
    pub depth: u32,
    /// Curriculum round.
    pub round: u32,
    /// Its answer.
    pub answer: String,
    /// The changes from its parent, in words.
    pub changes: Vec<String>,
    /// The judge's verdict outcome, when judged.
    pub verdict: Option<String>,
    /// `unreviewed`, `accepted` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Who decided, when someone did.
    pub reviewed_by: Option<String>,
}

/// The review queue at one moment: the next item and what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    /// The dataset's name.
    pub dataset: String,
    /// Its guidelines.
    pub guidelines: String,
    /// The next item matching the filter, `None` when none is left.
    pub item: Option<ReviewItem>,
    /// Items matching the filter (the one shown included).
    pub matching: u64,
    /// Unreviewed variants of the dataset, over any filter.
    pub unreviewed: u64,
    /// All variants of the dataset.
    pub total: u64,
    /// The dataset's variants by which checks their verdicts rest on.
    #[serde(default)]
    pub checks: crate::model::CheckCounts,
}

/// A reviewer's decision on one variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Keep it.
    Accept,
    /// Drop it, and why.
    Reject {
        /// One of [`REJECT_REASONS`] or free text.
        reason: String,
    },
    /// Replace its text (checked for consistency with the graph first).
    Edit {
        /// The new text.
        text: String,
    },
    /// Back to unreviewed.
    Reset,
}

/// What a decision did: the item now, or why nothing changed (an edit that fails the
/// consistency check, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionOutcome {
    /// Saved.
    Saved(Box<ReviewItem>),
    /// Nothing saved, and why (each complaint of the check).
    Refused(Vec<String>),
}

/// A bulk decision's preview or result: how many variants it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCount {
    /// Variants matching the filter that the decision changes.
    pub count: u64,
    /// Whether it ran (`false`: only counted).
    pub applied: bool,
}

/// One step as an annotator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// The sentence it came from, when known.
    pub sentence: Option<String>,
    /// The operation (`eggs_sold = eggs_per_day - eggs_eaten`).
    pub description: String,
    /// The value it produces (empty for a model's line, whose value is what it states).
    pub value: String,
    /// The automatic label offered as a suggestion (a model's solution only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<Suggestion>,
}

/// An automatic step label shown to an annotator as a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// +1, 0 or −1.
    pub rating: i8,
    /// Why ("9 × 4 = 36 matches `total_eggs`").
    pub reason: String,
}

/// The model solution a label item shows, when it shows one rather than Graft's own steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolutionHead {
    /// The stored solution's id.
    pub id: i64,
    /// The model that wrote it.
    pub model: String,
    /// Its sample index among the model's solutions of the variant.
    pub sample: i64,
    /// The final answer it states, if one was found.
    pub final_answer: Option<String>,
    /// `correct`, `wrong` or `unparseable`.
    pub score: String,
    /// The variant's exact answer.
    pub answer: String,
}

/// How an annotator closes an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Every step is right.
    SolutionCorrect,
    /// A wrong step was found.
    FoundError,
    /// The problem itself is broken.
    BadProblem,
    /// Could not decide.
    GaveUp,
}

impl FinishReason {
    /// Every reason, in the order shown.
    pub const ALL: [FinishReason; 4] = [
        FinishReason::SolutionCorrect,
        FinishReason::FoundError,
        FinishReason::BadProblem,
        FinishReason::GaveUp,
    ];

    /// The stored name (`solution_correct`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::SolutionCorrect => "solution_correct",
            FinishReason::FoundError => "found_error",
            FinishReason::BadProblem => "bad_problem",
            FinishReason::GaveUp => "gave_up",
        }
    }

    /// The reason named `s`.
    pub fn parse(s: &str) -> Option<FinishReason> {
        FinishReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            FinishReason::SolutionCorrect => "solution correct",
            FinishReason::FoundError => "found an error",
            FinishReason::BadProblem => "bad problem",
            FinishReason::GaveUp => "gave up",
        }
    }
}

/// An item to label, with the caller's own labels (never anyone else's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelTask {
    /// The label item's id.
    pub item_id: i64,
    /// The variant it shows.
    pub variant_id: i64,
    /// The problem text (the variant's text, else the original question).
    pub text: String,
    /// The steps, in order.
    pub steps: Vec<StepView>,
    /// The caller's rating of each step: 1, 0, -1, or `None` (unrated).
    pub ratings: Vec<Option<i8>>,
    /// Whether the caller flagged it.
    pub flagged: bool,
    /// The flag's note.
    pub flag_note: Option<String>,
    /// How the caller closed it, when finished.
    pub finish: Option<FinishReason>,
    /// The model solution whose lines are the steps (`None`: Graft's own steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution: Option<SolutionHead>,
}

/// An annotator's queue: the next item and their progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelQueue {
    /// The dataset's name.
    pub dataset: String,
    /// Its guidelines.
    pub guidelines: String,
    /// The next item, `None` when the caller has nothing left.
    pub task: Option<LabelTask>,
    /// Items the caller finished in this dataset.
    pub done: u64,
    /// Items still waiting for the caller.
    pub left: u64,
}

/// One change to an annotator's labels of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LabelEdit {
    /// Rate one step (`None` clears it).
    Rate {
        /// 0-based step.
        step: u32,
        /// 1, 0, -1 or `None`.
        rating: Option<i8>,
    },
    /// First-error mode: this step is the first wrong one; the steps before it are right
    /// and the ones after it unrated.
    FirstError {
        /// 0-based step.
        step: u32,
    },
    /// Flag the item (or clear the flag), with a note.
    Flag {
        /// Flagged or not.
        flagged: bool,
        /// Why.
        note: Option<String>,
    },
    /// Close the item.
    Finish {
        /// How.
        reason: FinishReason,
    },
    /// Open a finished item again.
    Reopen,
    /// Take every step's automatic suggestion as the caller's rating (a model's solution).
    AcceptSuggestions,
}

/// First-error mode on `n` steps with step `first` the first wrong one: the steps before it
/// +1, it −1, the ones after it unrated.
pub fn first_error_ratings(n: usize, first: usize) -> Vec<Option<i8>> {
    (0..n)
        .map(|i| match i.cmp(&first) {
            std::cmp::Ordering::Less => Some(1),
            std::cmp::Ordering::Equal => Some(-1),
            std::cmp::Ordering::Greater => None,
        })
        .collect()
}

/// One annotator's progress in a dataset (admins see everyone's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotatorProgress {
    /// The annotator.
    pub name: String,
    /// Items finished (gold ones included).
    pub done: u64,
    /// Items waiting for them.
    pub left: u64,
    /// Gold questions finished.
    pub gold_done: u64,
    /// Of those, how many found the hidden first error.
    pub gold_correct: u64,
    /// Items flagged.
    pub flagged: u64,
}

/// Agreement on one step position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepAgreementView {
    /// 0-based step position.
    pub step: u32,
    /// Kappa, when defined.
    pub kappa: Option<f64>,
    /// Share of agreeing rater pairs.
    pub observed: Option<f64>,
    /// (item, step) units counted.
    pub units: u64,
}

/// A dataset's annotation overview: progress per annotator, agreement, gold accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationReport {
    /// Label items (real ones) and how many have all their annotators.
    pub items: u64,
    /// Real items finished by `overlap` annotators.
    pub complete: u64,
    /// Gold questions.
    pub gold_items: u64,
    /// Annotators per item.
    pub overlap: u32,
    /// Per annotator.
    pub annotators: Vec<AnnotatorProgress>,
    /// `cohen`, `fleiss`, or `none` (fewer than two annotators on the same steps).
    pub method: String,
    /// Kappa over every step, when defined.
    pub kappa: Option<f64>,
    /// Share of agreeing rater pairs.
    pub observed: Option<f64>,
    /// (item, step) units counted.
    pub units: u64,
    /// Per step position.
    pub per_step: Vec<StepAgreementView>,
    /// Model solutions among the items.
    #[serde(default)]
    pub solution_items: u64,
    /// How far the automatic labels of model solutions agree with people's.
    #[serde(default)]
    pub automatic: Option<AutomaticAgreementView>,
}

/// The automatic labels against people's, over the model solutions people finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomaticAgreementView {
    /// Finished human annotations of model solutions compared.
    pub annotations: u64,
    /// Steps rated by both.
    pub steps: u64,
    /// Cohen's kappa, automatic against person, over those steps.
    pub kappa: Option<f64>,
    /// Share of those steps rated alike.
    pub observed: Option<f64>,
    /// Annotations whose first error is the automatic one (none on both counts).
    pub first_error_agree: u64,
    /// `first_error_agree` over `annotations`.
    pub first_error_accuracy: Option<f64>,
}
