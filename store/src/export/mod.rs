//! Exporting a dataset as JSONL, streamed with constant memory, and importing such an export
//! back ([`restore`]).
//!
//! Six formats ([`ExportFormat`]):
//!
//! - **full**: one record per problem, then one per variant, then one per gold question, each
//!   in id order. Every record has the same keys with the same JSON types (absent values are
//!   `null`; engine structures — graph, operations, verdict, label steps — are JSON strings),
//!   so the Hugging Face `datasets` library reads the file as a table. Records name each other
//!   by dataset-local keys (`p1`, `v1`, `g1`: positions in id order), never by database ids,
//!   so exporting an imported export gives the same file. Importing it restores the dataset.
//! - **prm**: one record per labelled solution (a variant whose label item has at least one
//!   finished annotation): the problem text, the steps, each annotator's labels and a majority
//!   consensus ([`consensus`]). For training; not importable.
//! - **gsm8k**: one GSM8K row per variant, `{question, answer, id, source_id, round,
//!   operations}` ([`Gsm8kRow`]): the variant's text (stored, else the offline verbalizer's)
//!   and its worked solution (stored, else [`engine::solution::worked`]), so that any GSM8K
//!   pipeline takes the file as it is. Not importable.
//! - **trl** and **prm800k**: one record per model solution (`model_solutions`): TRL's
//!   stepwise supervision (`{prompt, completions, labels}`), or PRM800K-shaped records with
//!   the automatic and human step labels apart (module `solutions`). Not importable.
//! - **parquet**: the dataset's variants as one Parquet file in the `columnar` crate's fixed
//!   schema, the columns of `graft generate --out variants.parquet` (module `parquet`: which
//!   columns the store fills and how). Binary: read it with [`ExportStream::next_chunk`]. Not
//!   importable.
//!
//! [`Store::export`] reads one SQLite snapshot (a read transaction) with row streams (`fetch`)
//! in a spawned task, formats each row as it comes and hands the lines over through a bounded
//! channel; nothing is collected, so memory does not grow with the dataset.

mod restore;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{Sqlite, Transaction};
use tokio::sync::mpsc;

use super::rows::graph_from_json;
use super::{seed_from_db, Store, StoreError, StoreResult};

pub use restore::{export_marker, ExportMarker, MAX_EXPORT_OPERATIONS};

/// The value of `graft_export` in every record of a full export (the format's version): 2
/// writes no null (see `absent`); the restore reads versions 1 and 2.
pub const EXPORT_VERSION: i64 = 2;

/// The value of `graft_prm` in every record of a PRM export.
pub const PRM_VERSION: i64 = 1;

/// Lines formatted ahead of the reader at most (the channel's capacity).
const CHANNEL_LINES: usize = 64;

/// The largest step index read from stored step labels (a guard against damaged data).
const MAX_STEPS: usize = 10_000;

/// What an export contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Everything needed to restore the dataset: problems, variants, gold questions.
    Full,
    /// Labelled solutions for process-reward-model training.
    Prm,
    /// GSM8K rows (`question`, `answer` with `<<…>>` annotations and `#### n`) per variant.
    Gsm8k,
    /// TRL stepwise supervision (`prompt`, `completions`, `labels`) per model solution.
    Trl,
    /// PRM800K-like records per model solution, automatic and human labels apart.
    Prm800k,
    /// The variants as Parquet, in the columns of `graft generate --out variants.parquet`.
    Parquet,
}

impl ExportFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::Full,
        ExportFormat::Prm,
        ExportFormat::Gsm8k,
        ExportFormat::Trl,
        ExportFormat::Prm800k,
        ExportFormat::Parquet,
    ];

    /// Reads `full`, `prm`, `gsm8k`, `trl`, `prm800k` or `parquet`.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        ExportFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// `full`, `prm`, `gsm8k`, `trl`, `prm800k` or `parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Full => "full",
            ExportFormat::Prm => "prm",
            ExportFormat::Gsm8k => "gsm8k",
            ExportFormat::Trl => "trl",
            ExportFormat::Prm800k => "prm800k",
            ExportFormat::Parquet => "parquet",
        }
    }

    /// Whether the export is binary (Parquet) rather than JSONL lines.
    pub fn is_binary(self) -> bool {
        self == ExportFormat::Parquet
    }

    /// The MIME type of the export: `application/x-ndjson`, or
    /// `application/vnd.apache.parquet`.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Parquet => columnar::MIME,
            _ => "application/x-ndjson",
        }
    }
}

/// A piece of an export as it is made: one JSONL line, or a Parquet row group's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The bytes, to be written in order.
    pub bytes: Vec<u8>,
    /// The records they complete (1 for a line; the variants of a row group).
    pub records: u64,
}

/// Where an export's pieces arrive.
#[derive(Debug)]
enum Rx {
    /// JSONL lines.
    Lines(mpsc::Receiver<StoreResult<String>>),
    /// Parquet row groups with their variant counts.
    Groups(mpsc::Receiver<StoreResult<parquet::Group>>),
}

/// The lines of an export as they are made: each item is one JSON record followed by `\n`, or
/// the error that ended the export (no item follows an error). A Parquet export comes as
/// bytes a row group at a time instead.
///
/// Read it with [`ExportStream::next_line`] (JSONL formats), [`ExportStream::next_chunk`]
/// (any format) or as a [`futures_util::Stream`] of bytes. Dropping it stops the export.
#[derive(Debug)]
pub struct ExportStream {
    rx: Rx,
    /// The producer; checked when the channel closes, so that a producer that died (a
    /// panic) ends the stream with an error rather than looking like the end.
    task: Option<tokio::task::JoinHandle<()>>,
    dataset: String,
    format: ExportFormat,
    records: u64,
}

impl ExportStream {
    /// The next line, `None` at the end. A binary export (Parquet) has no lines: its only
    /// item is an error saying to read chunks.
    pub async fn next_line(&mut self) -> Option<StoreResult<String>> {
        if let Rx::Groups(_) = self.rx {
            // Dropping the task's handle leaves it to end when the stream is dropped.
            return self.task.take().map(|_| {
                Err(StoreError::Invalid(
                    "a Parquet export is binary: read it with next_chunk".into(),
                ))
            });
        }
        std::future::poll_fn(|cx| self.poll_line(cx)).await
    }

    /// The next piece of the export, `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<StoreResult<Chunk>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    fn poll_line(&mut self, cx: &mut Context<'_>) -> Poll<Option<StoreResult<String>>> {
        let Rx::Lines(rx) = &mut self.rx else {
            return Poll::Ready(None);
        };
        if let Some(item) = std::task::ready!(rx.poll_recv(cx)) {
            return Poll::Ready(Some(item));
        }
        self.poll_end(cx)
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<StoreResult<Chunk>>> {
        let Rx::Groups(rx) = &mut self.rx else {
            return self.poll_line(cx).map(|item| {
                item.map(|r| {
                    r.map(|line| Chunk {
                        bytes: line.into_bytes(),
                        records: 1,
                    })
                })
            });
        };
        if let Some(item) = std::task::ready!(rx.poll_recv(cx)) {
            return Poll::Ready(Some(item.map(|(bytes, records)| Chunk { bytes, records })));
        }
        self.poll_end(cx)
    }

    /// After the last item: checks that the producer ended well (not by a panic).
    fn poll_end<T>(&mut self, cx: &mut Context<'_>) -> Poll<Option<StoreResult<T>>> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(None);
        };
        let ended = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(ended.err().map(|e| {
            Err(StoreError::Internal(format!(
                "the export stopped unexpectedly ({e}); the output is incomplete"
            )))
        }))
    }

    /// The export's format.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// The exported dataset's name.
    pub fn dataset_name(&self) -> &str {
        &self.dataset
    }

    /// How many lines the export will have (counted in the same snapshot); for Parquet, how
    /// many rows.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// A file name for the export: the dataset's name made safe (letters, digits, `.-_`),
    /// with `-` and the format's name for any format but `full` (`-prm`, `-gsm8k`, `-trl`,
    /// `-prm800k`), and `.jsonl`; `.parquet` for Parquet (no suffix: the variants).
    pub fn file_name(&self) -> String {
        let mut stem: String = self
            .dataset
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if stem.trim_matches(['.', '_']).is_empty() {
            stem = "dataset".to_string();
        }
        match self.format {
            ExportFormat::Full => format!("{stem}.jsonl"),
            ExportFormat::Parquet => format!("{stem}.parquet"),
            other => format!("{stem}-{}.jsonl", other.as_str()),
        }
    }
}

/// The export's bytes, piece by piece (lines, or Parquet row groups).
impl futures_util::Stream for ExportStream {
    type Item = StoreResult<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_chunk(cx).map(|c| c.map(|c| c.map(|c| c.bytes)))
    }
}

/// A dataset's settings, on the first record of a full export only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// `public` or `private`.
    pub visibility: String,
    /// What reviewers and annotators read beside each item.
    pub guidelines: String,
    /// Annotators per item.
    pub overlap: i64,
    /// The share of gold questions.
    pub gold_rate: f64,
}

/// One step as shown to annotators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Step {
    description: String,
    value: String,
    /// The step's sentence of the worked solution (empty when the label item has none); in
    /// the PRM export's `sentences`, not in the full export's `steps`.
    #[serde(skip)]
    text: String,
}

/// One annotator's work on one label item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Labels {
    /// The annotator's user name.
    pub annotator: String,
    /// Per step: 1 correct, 0 neutral, -1 wrong, null unrated.
    pub ratings: Vec<Option<i64>>,
    /// Whether they flagged the item.
    pub flagged: bool,
    /// Why.
    pub flag_note: Option<String>,
    /// How they finished (`solution_correct`, `found_error`, `bad_problem`, `gave_up`).
    pub finish_reason: Option<String>,
    /// When they finished.
    pub finished_at: Option<String>,
    /// When they started.
    pub started_at: Option<String>,
    /// Their last change.
    pub updated_at: Option<String>,
}

/// One review decision of a variant's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReviewEvent {
    /// The reviewer's user name (null when the account is gone).
    pub by: Option<String>,
    /// `accept`, `reject`, `edit` or `reset`.
    pub decision: String,
    /// The reason given.
    pub reason: Option<String>,
    /// For an edit: the text it replaced.
    pub text_before: Option<String>,
    /// Decisions made in one bulk action share a number (dataset-local, from 1).
    pub bulk: Option<i64>,
    /// When.
    pub at: Option<String>,
}

/// A record of a full export, as written. Field order is the column order. No value is null
/// but `dataset_settings` after the first line (see [`absent`]), so that a table reader that
/// types columns from the first rows it sees (Hugging Face `datasets`: the first 10 MiB)
/// types every column.
#[derive(Debug, Serialize)]
struct Record<'a> {
    graft_export: i64,
    dataset: &'a str,
    kind: &'static str,
    key: String,
    problem_key: String,
    #[serde(serialize_with = "absent::text")]
    variant_key: Option<String>,
    #[serde(serialize_with = "absent::text")]
    parent_key: Option<String>,
    dataset_settings: Option<&'a Settings>,
    #[serde(serialize_with = "absent::int")]
    line: Option<i64>,
    #[serde(serialize_with = "absent::text")]
    external_id: Option<String>,
    question: String,
    #[serde(serialize_with = "absent::text")]
    source: Option<String>,
    #[serde(serialize_with = "absent::text")]
    text: Option<String>,
    #[serde(serialize_with = "absent::text")]
    solution: Option<String>,
    #[serde(serialize_with = "absent::text")]
    program: Option<String>,
    #[serde(serialize_with = "absent::text")]
    llm_program: Option<String>,
    #[serde(serialize_with = "absent::text")]
    graph: Option<String>,
    #[serde(serialize_with = "absent::text")]
    answer: Option<String>,
    #[serde(serialize_with = "absent::int")]
    depth: Option<i64>,
    #[serde(serialize_with = "absent::metrics")]
    metrics: Option<engine::Metrics>,
    #[serde(serialize_with = "absent::text")]
    error_category: Option<String>,
    #[serde(serialize_with = "absent::text")]
    error_detail: Option<String>,
    #[serde(serialize_with = "absent::int")]
    round: Option<i64>,
    #[serde(serialize_with = "absent::int")]
    chain: Option<i64>,
    #[serde(serialize_with = "absent::text")]
    seed: Option<String>,
    #[serde(serialize_with = "absent::text")]
    operations: Option<String>,
    #[serde(serialize_with = "absent::text")]
    created_at: Option<String>,
    #[serde(serialize_with = "absent::text")]
    text_source: Option<String>,
    #[serde(serialize_with = "absent::text")]
    text_fallback: Option<String>,
    #[serde(serialize_with = "absent::json")]
    text_notes: Option<Vec<String>>,
    #[serde(serialize_with = "absent::text")]
    text_edited_by: Option<String>,
    #[serde(serialize_with = "absent::text")]
    verdict: Option<String>,
    #[serde(serialize_with = "absent::text")]
    verdict_outcome: Option<String>,
    #[serde(serialize_with = "absent::text")]
    review_status: Option<String>,
    #[serde(serialize_with = "absent::text")]
    review_reason: Option<String>,
    #[serde(serialize_with = "absent::text")]
    reviewed_by: Option<String>,
    #[serde(serialize_with = "absent::text")]
    reviewed_at: Option<String>,
    #[serde(serialize_with = "absent::json")]
    review_history: Option<Vec<ReviewEvent>>,
    #[serde(serialize_with = "absent::json")]
    steps: Option<Vec<Step>>,
    #[serde(serialize_with = "absent::text")]
    steps_json: Option<String>,
    #[serde(serialize_with = "absent::int")]
    gold_first_error: Option<i64>,
    #[serde(serialize_with = "absent::text")]
    gold_detail: Option<String>,
    #[serde(serialize_with = "absent::json")]
    labels: Option<Vec<Labels>>,
}

impl<'a> Record<'a> {
    fn new(dataset: &'a str, kind: &'static str, key: String, problem_key: String) -> Self {
        Record {
            graft_export: EXPORT_VERSION,
            dataset,
            kind,
            key,
            problem_key,
            variant_key: None,
            parent_key: None,
            dataset_settings: None,
            line: None,
            external_id: None,
            question: String::new(),
            source: None,
            text: None,
            solution: None,
            program: None,
            llm_program: None,
            graph: None,
            answer: None,
            depth: None,
            metrics: None,
            error_category: None,
            error_detail: None,
            round: None,
            chain: None,
            seed: None,
            operations: None,
            created_at: None,
            text_source: None,
            text_fallback: None,
            text_notes: None,
            text_edited_by: None,
            verdict: None,
            verdict_outcome: None,
            review_status: None,
            review_reason: None,
            reviewed_by: None,
            reviewed_at: None,
            review_history: None,
            steps: None,
            steps_json: None,
            gold_first_error: None,
            gold_detail: None,
            labels: None,
        }
    }
}

/// How a full export (version 2) writes a value a record does not have, so that every column
/// has one non-null type in every record: `""` for text, `-1` for a number, zeros for
/// `metrics`; lists (`text_notes`, `review_history`, `steps`, `labels`) are JSON text, `""`
/// when absent (an empty JSON list would be a list of nulls to a table reader). The restore
/// reads `""` and `-1` back as absent.
mod absent {
    use serde::{Serialize, Serializer};

    pub fn text<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_deref().unwrap_or(""))
    }

    pub fn int<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(v.unwrap_or(-1))
    }

    pub fn metrics<S: Serializer>(v: &Option<engine::Metrics>, s: S) -> Result<S::Ok, S::Error> {
        v.unwrap_or_default().serialize(s)
    }

    pub fn json<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_str(""),
            Some(v) => {
                let text = serde_json::to_string(v).map_err(serde::ser::Error::custom)?;
                s.serialize_str(&text)
            }
        }
    }
}

/// One annotator's labels in a PRM record.
#[derive(Debug, Serialize)]
struct PrmLabels {
    annotator: String,
    labels: Vec<Option<i64>>,
}

/// A record of a PRM export.
#[derive(Debug, Serialize)]
struct PrmRecord<'a> {
    graft_prm: i64,
    dataset: &'a str,
    key: String,
    problem_key: String,
    problem: String,
    answer: String,
    steps: Vec<String>,
    /// Per step, its sentence of the worked solution with the variant's numbers (empty when
    /// unknown), in the order of `steps`.
    sentences: Vec<String>,
    annotations: Vec<PrmLabels>,
    labels: Vec<Option<i64>>,
}

/// The majority label of each step over annotators: the rating (1, 0 or -1) given by more
/// annotators than any other rating; `None` when nobody rated the step or the top ratings
/// tie. Lists may differ in length (a missing entry is unrated).
pub fn consensus(annotators: &[Vec<Option<i64>>]) -> Vec<Option<i64>> {
    let len = annotators.iter().map(Vec::len).max().unwrap_or(0);
    (0..len)
        .map(|i| {
            // Votes for -1, 0, 1.
            let mut votes = [0usize; 3];
            for r in annotators
                .iter()
                .filter_map(|a| a.get(i).copied().flatten())
            {
                if let Ok(slot) = usize::try_from(r + 1) {
                    if let Some(v) = votes.get_mut(slot) {
                        *v += 1;
                    }
                }
            }
            let top = *votes.iter().max().unwrap_or(&0);
            if top == 0 || votes.iter().filter(|&&v| v == top).count() > 1 {
                return None;
            }
            votes.iter().position(|&v| v == top).map(|p| p as i64 - 1)
        })
        .collect()
}

/// Builds an export query from literal SQL and named shared pieces, and calls sqlx's checked
/// macro on it: `export_sql!(query_as![T, "WITH " KEYS " SELECT …"](args…))` (or
/// `query_scalar![…](…)`). sqlx's macros read only string literals, so each piece is written
/// once here, as a literal, and spliced in where its name stands:
///
/// - `KEYS`: dataset-local keys, problems and variants numbered from 1 in id order (`pk`,
///   `vk`; the dataset is `?1`). Used by every query that names a variant's problem or parent.
/// - `LABELS` / `LABELS_FINISHED`: the annotations of label item `li` as a JSON array
///   (annotation id order), each `{annotator, flagged, flag_note, finish_reason, finished_at,
///   started_at, updated_at, ratings: [[step, rating], …]}`; all of them, or the finished ones.
/// - `PRM_WHERE`: the condition for a variant's real label item with a finished annotation.
macro_rules! export_sql {
    (query_as![$ty:path, $($piece:tt)+]($($arg:expr),* $(,)?)) => {
        export_sql!(@munch [query_as $ty,] [] [$($piece)+] [$($arg),*])
    };
    (query_scalar![$($piece:tt)+]($($arg:expr),* $(,)?)) => {
        export_sql!(@munch [query_scalar] [] [$($piece)+] [$($arg),*])
    };
    (@munch $m:tt [$($acc:literal)*] [KEYS $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m [$($acc)* "
    pk AS MATERIALIZED (
        SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS k FROM problems WHERE dataset_id = ?1),
    vk AS MATERIALIZED (
        SELECT v.id, ROW_NUMBER() OVER (ORDER BY v.id) AS k
        FROM variants v JOIN problems p ON p.id = v.problem_id WHERE p.dataset_id = ?1)"]
            [$($rest)*] $args)
    };
    (@munch $m:tt $acc:tt [LABELS $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m $acc [LABELS_HEAD LABELS_TAIL $($rest)*] $args)
    };
    (@munch $m:tt $acc:tt [LABELS_FINISHED $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m $acc
            [LABELS_HEAD " AND a.finished_at IS NOT NULL" LABELS_TAIL $($rest)*] $args)
    };
    (@munch $m:tt [$($acc:literal)*] [LABELS_HEAD $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m [$($acc)* "
    (SELECT json_group_array(json(x.obj)) FROM (
        SELECT json_object('annotator', u.name, 'flagged', a.flagged, 'flag_note', a.flag_note,
            'finish_reason', a.finish_reason, 'finished_at', a.finished_at,
            'started_at', a.created_at, 'updated_at', a.updated_at,
            'ratings', json((SELECT json_group_array(json_array(s.step, s.rating))
                             FROM step_labels s WHERE s.annotation_id = a.id))) AS obj
        FROM annotations a JOIN users u ON u.id = a.user_id
        WHERE a.item_id = li.id"] [$($rest)*] $args)
    };
    (@munch $m:tt [$($acc:literal)*] [LABELS_TAIL $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m [$($acc)* " ORDER BY a.id) x)"] [$($rest)*] $args)
    };
    (@munch $m:tt [$($acc:literal)*] [PRM_WHERE $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m [$($acc)* "li.gold_first_error IS NULL AND li.solution_id IS NULL AND EXISTS (
    SELECT 1 FROM annotations a WHERE a.item_id = li.id AND a.finished_at IS NOT NULL)"]
            [$($rest)*] $args)
    };
    (@munch $m:tt [$($acc:literal)*] [$lit:literal $($rest:tt)*] $args:tt) => {
        export_sql!(@munch $m [$($acc)* $lit] [$($rest)*] $args)
    };
    (@munch [query_as $ty:path,] [$first:literal $($acc:literal)*] [] [$($arg:expr),*]) => {
        sqlx::query_as!($ty, $first $(+ $acc)* $(, $arg)*)
    };
    (@munch [query_scalar] [$first:literal $($acc:literal)*] [] [$($arg:expr),*]) => {
        sqlx::query_scalar!($first $(+ $acc)* $(, $arg)*)
    };
}

mod parquet;
mod solutions;

struct DbExportProblem {
    line: i64,
    external_id: Option<String>,
    question: String,
    source: String,
    graph: Option<String>,
    error_category: Option<String>,
    error_detail: Option<String>,
    depth: Option<i64>,
    answer: Option<String>,
    llm_program: Option<String>,
    created_at: String,
}

/// Variants with their keys, words, review and real label item (see [`produce_full`]).
struct DbExportVariant {
    key: i64,
    problem_key: i64,
    parent_key: Option<i64>,
    question: String,
    operations: String,
    seed: Option<i64>,
    round: i64,
    chain: Option<i64>,
    graph: String,
    depth: i64,
    answer: String,
    created_at: String,
    text: Option<String>,
    solution: Option<String>,
    text_source: Option<String>,
    text_fallback: Option<String>,
    text_notes: Option<String>,
    text_edited_by: Option<String>,
    verdict: Option<String>,
    verdict_outcome: Option<String>,
    review_status: String,
    review_reason: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    review_history: String,
    steps_json: Option<String>,
    labels: Option<String>,
}

/// Gold questions (corrupted chains) of the dataset's variants.
struct DbGold {
    variant_key: i64,
    problem_key: i64,
    question: String,
    steps_json: String,
    gold_first_error: i64,
    gold_detail: Option<String>,
    created_at: String,
    labels: String,
}

/// Labelled solutions: variants whose real label item has a finished annotation.
struct DbPrm {
    key: i64,
    problem_key: i64,
    problem: String,
    answer: String,
    steps_json: String,
    labels: String,
}

/// An annotation as SQLite's JSON gives it.
#[derive(Deserialize)]
struct LabelsJson {
    annotator: String,
    flagged: i64,
    flag_note: Option<String>,
    finish_reason: Option<String>,
    finished_at: Option<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    /// `[step, rating]` pairs.
    ratings: Vec<(i64, Option<i64>)>,
}

fn corrupt(whose: &str, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("the {what} of {whose} does not read back: {e}"))
}

/// Reads the annotations JSON of a label item with `steps` steps; each ratings list has one
/// entry per step (more if a rating names a later step).
fn read_labels(json: &str, steps: usize, whose: &str) -> StoreResult<Vec<Labels>> {
    let raw: Vec<LabelsJson> =
        serde_json::from_str(json).map_err(|e| corrupt(whose, "step labels", e))?;
    raw.into_iter()
        .map(|a| {
            let mut len = steps;
            for &(step, _) in &a.ratings {
                let step = usize::try_from(step)
                    .ok()
                    .filter(|&s| s < MAX_STEPS)
                    .ok_or_else(|| corrupt(whose, "step labels", format!("step {step}")))?;
                len = len.max(step + 1);
            }
            let mut ratings = vec![None; len];
            for (step, rating) in a.ratings {
                ratings[step as usize] = rating;
            }
            Ok(Labels {
                annotator: a.annotator,
                ratings,
                flagged: a.flagged != 0,
                flag_note: a.flag_note,
                finish_reason: a.finish_reason,
                finished_at: a.finished_at,
                started_at: a.started_at,
                updated_at: a.updated_at,
            })
        })
        .collect()
}

/// Reads label steps JSON (a list of `engine::labels::StepLabel`, or of labelled steps of a
/// corrupted chain) into what annotators see.
fn read_steps(json: &str, whose: &str) -> StoreResult<Vec<Step>> {
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(|e| corrupt(whose, "label steps", e))?;
    Ok(raw
        .iter()
        .map(|s| {
            let text = |key: &str| match s.get(key) {
                Some(serde_json::Value::String(t)) => t.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Step {
                description: text("description"),
                value: text("value"),
                text: text("text"),
            }
        })
        .collect())
}

/// The Python program and metrics of a stored graph (engine work: a few tens of µs).
fn program_and_metrics(json: &str, whose: &str) -> StoreResult<(String, engine::Metrics)> {
    let g = graph_from_json(json, whose)?;
    Ok((engine::to_python(&g), g.metrics()))
}

/// One record as a line (JSON and `\n`).
fn line_of(record: &impl Serialize) -> StoreResult<String> {
    let mut line = serde_json::to_string(record)
        .map_err(|e| StoreError::Internal(format!("cannot write an export record: {e}")))?;
    line.push('\n');
    Ok(line)
}

/// Hands `line` to the reader; `false` when the reader is gone (the export stops).
async fn emit(out: &mpsc::Sender<StoreResult<String>>, line: String) -> bool {
    out.send(Ok(line)).await.is_ok()
}

/// What the producer task needs to know about the dataset.
struct Job {
    dataset_id: i64,
    name: String,
    settings: Settings,
}

impl Store {
    /// Finds a dataset by name, else (when `name_or_id` is a whole number) by id.
    pub async fn find_dataset(&self, name_or_id: &str) -> StoreResult<Option<i64>> {
        let name = name_or_id.trim();
        let by_name =
            sqlx::query_scalar!(r#"SELECT id AS "id!" FROM datasets WHERE name = ?"#, name)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(id) = by_name {
            return Ok(Some(id));
        }
        let Ok(id) = name_or_id.trim().parse::<i64>() else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar!(r#"SELECT id AS "id!" FROM datasets WHERE id = ?"#, id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Starts exporting dataset `dataset_id` in `format` and returns its lines as a stream.
    ///
    /// Fails at once with [`StoreError::NotFound`] for an unknown dataset. The export reads
    /// one snapshot of the database (later writes do not show), with memory that does not
    /// grow with the dataset: rows are read one at a time and at most a few dozen lines wait
    /// for the reader. A failure part-way ends the stream with the error.
    pub async fn export(&self, dataset_id: i64, format: ExportFormat) -> StoreResult<ExportStream> {
        let mut tx = self.pool.begin().await?;
        struct DbHead {
            name: String,
            settings: Settings,
        }
        let head = sqlx::query!(
            "SELECT name, visibility, guidelines, overlap, gold_rate FROM datasets WHERE id = ?",
            dataset_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| DbHead {
            name: r.name,
            settings: Settings {
                visibility: r.visibility,
                guidelines: r.guidelines,
                overlap: r.overlap,
                gold_rate: r.gold_rate,
            },
        });
        let head = head.ok_or(StoreError::NotFound {
            what: "dataset",
            id: dataset_id,
        })?;
        let records: i64 = match format {
            ExportFormat::Full => {
                sqlx::query_scalar!(
                    r#"SELECT (SELECT COUNT(*) FROM problems WHERE dataset_id = ?1)
                    + (SELECT COUNT(*) FROM variants v JOIN problems p ON p.id = v.problem_id
                       WHERE p.dataset_id = ?1)
                    + (SELECT COUNT(*) FROM label_items li JOIN variants v ON v.id = li.variant_id
                       JOIN problems p ON p.id = v.problem_id
                       WHERE p.dataset_id = ?1 AND li.gold_first_error IS NOT NULL)
                    AS "n!: i64""#,
                    dataset_id
                )
                .fetch_one(&mut *tx)
                .await?
            }
            ExportFormat::Prm => {
                export_sql!(query_scalar![
                    r#"SELECT COUNT(*) AS "n!: i64" FROM variants v
                     JOIN problems p ON p.id = v.problem_id
                     JOIN label_items li ON li.variant_id = v.id
                     WHERE p.dataset_id = ?1 AND "# PRM_WHERE
                ](dataset_id))
                .fetch_one(&mut *tx)
                .await?
            }
            ExportFormat::Gsm8k | ExportFormat::Parquet => {
                sqlx::query_scalar!(
                    r#"SELECT COUNT(*) AS "n!: i64" FROM variants v
                    JOIN problems p ON p.id = v.problem_id WHERE p.dataset_id = ?1"#,
                    dataset_id
                )
                .fetch_one(&mut *tx)
                .await?
            }
            // A TRL row per solution with steps; a PRM800K record per solution.
            ExportFormat::Trl | ExportFormat::Prm800k => {
                let least_steps = i64::from(format == ExportFormat::Trl);
                sqlx::query_scalar!(
                    r#"SELECT COUNT(*) AS "n!: i64" FROM model_solutions ms
                    JOIN variants v ON v.id = ms.variant_id
                    JOIN problems p ON p.id = v.problem_id
                    WHERE p.dataset_id = ?1 AND json_array_length(ms.labels) >= ?2"#,
                    dataset_id,
                    least_steps
                )
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let job = Job {
            dataset_id,
            name: head.name.clone(),
            settings: head.settings,
        };
        if format == ExportFormat::Parquet {
            let (out, rx) = mpsc::channel(parquet::CHANNEL_GROUPS);
            let task = tokio::spawn(async move {
                if let Err(e) = parquet::produce(&mut tx, &job, &out).await {
                    let _ = out.send(Err(e)).await;
                }
                let _ = tx.rollback().await;
            });
            return Ok(ExportStream {
                rx: Rx::Groups(rx),
                task: Some(task),
                dataset: head.name,
                format,
                records: records.max(0) as u64,
            });
        }
        let (out, rx) = mpsc::channel(CHANNEL_LINES);
        let task = tokio::spawn(async move {
            let result = match format {
                ExportFormat::Full => produce_full(&mut tx, &job, &out).await,
                ExportFormat::Prm => produce_prm(&mut tx, &job, &out).await,
                ExportFormat::Gsm8k => produce_gsm8k(&mut tx, &job, &out).await,
                ExportFormat::Trl => {
                    solutions::produce(&mut tx, &job, solutions::Kind::Trl, &out).await
                }
                ExportFormat::Prm800k => {
                    solutions::produce(&mut tx, &job, solutions::Kind::Prm800k, &out).await
                }
                ExportFormat::Parquet => Ok(()),
            };
            if let Err(e) = result {
                let _ = out.send(Err(e)).await;
            }
            let _ = tx.rollback().await;
        });
        Ok(ExportStream {
            rx: Rx::Lines(rx),
            task: Some(task),
            dataset: head.name,
            format,
            records: records.max(0) as u64,
        })
    }
}

/// One row of a GSM8K export (and of `graft generate --format gsm8k`): what a GSM8K pipeline
/// reads (`question`, `answer`), then where the row comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gsm8kRow {
    /// The variant's problem text.
    pub question: String,
    /// Its worked solution: one sentence per step with `<<a*b=c>>` annotations, then
    /// `#### answer`.
    pub answer: String,
    /// The variant's id (`v3` in an export: its position in the dataset's variants).
    pub id: String,
    /// The original problem's id (the imported row's own `id`, else `p1`, …).
    pub source_id: String,
    /// The round (interventions from the original).
    pub round: i64,
    /// The lineage: every intervention from the original, in order, as a JSON string (so that
    /// table readers such as Hugging Face `datasets` see one type per column).
    pub operations: String,
}

/// Variants read at a time by a GSM8K export (each page is read whole, then its lineages).
const GSM8K_PAGE: i64 = 256;

/// A variant of a GSM8K export, with its problem's graph.
struct DbGsm8kVariant {
    id: i64,
    key: i64,
    problem_key: i64,
    external_id: Option<String>,
    original: Option<String>,
    parent_variant_id: Option<i64>,
    operations: String,
    round: i64,
    graph: String,
    text: Option<String>,
    solution: Option<String>,
}

/// Writes one GSM8K row per variant: the stored text and solution, else the offline ones.
async fn produce_gsm8k(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<()> {
    let name = job.name.as_str();
    let mut after = 0i64;
    loop {
        // A page at a time, so that parents are looked up on the same snapshot while memory
        // stays bounded.
        let page: Vec<DbGsm8kVariant> = export_sql!(query_as![
            DbGsm8kVariant,
            "WITH " KEYS r#"
        SELECT v.id AS "id!", vk.k AS "key!: i64", pk.k AS "problem_key!: i64", p.external_id,
            p.graph AS original, v.parent_variant_id, v.operations, v.round, v.graph, v.text,
            v.solution
        FROM variants v
            CROSS JOIN problems p ON p.id = v.problem_id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
        WHERE p.dataset_id = ?1 AND v.id > ?2
        ORDER BY v.id LIMIT ?3"#
        ](job.dataset_id, after, GSM8K_PAGE))
        .fetch_all(&mut **tx)
        .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.id;
        for row in page {
            if !gsm8k_row(tx, name, row, out).await? {
                return Ok(());
            }
        }
    }
}

/// Writes the GSM8K row of one variant; `false` when the reader is gone.
async fn gsm8k_row(
    tx: &mut Transaction<'static, Sqlite>,
    name: &str,
    row: DbGsm8kVariant,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<bool> {
    {
        let key = format!("v{}", row.key);
        let whose = format!("variant {key} of dataset {name:?}");
        let operations = lineage(tx, &row.operations, row.parent_variant_id, &whose).await?;
        let original = row.original.as_deref().ok_or_else(|| {
            StoreError::Corrupt(format!("{whose} belongs to a problem without a graph"))
        })?;
        let original = graph_from_json(original, &whose)?;
        let variant = graph_from_json(&row.graph, &whose)?;
        let question = match row.text {
            Some(t) => t,
            None => {
                engine::verbalize::offline(&original, &operations)
                    .map_err(|e| StoreError::Invalid(format!("{whose} cannot be verbalized: {e}")))?
                    .text
            }
        };
        let answer = match row.solution {
            Some(s) => s,
            None => engine::solution::worked(&original, &variant)
                .map_err(|e| StoreError::Invalid(format!("{whose} has no worked solution: {e}")))?,
        };
        let record = Gsm8kRow {
            question,
            answer,
            id: key,
            source_id: row
                .external_id
                .unwrap_or_else(|| format!("p{}", row.problem_key)),
            round: row.round,
            operations: serde_json::to_string(&operations)
                .map_err(|e| StoreError::Internal(format!("cannot write operations: {e}")))?,
        };
        Ok(emit(out, line_of(&record)?).await)
    }
}

/// A variant's lineage: every intervention from the original, in order (the parents'
/// operations first), for a variant with `operations` (JSON) and parent `parent`.
async fn lineage(
    tx: &mut Transaction<'static, Sqlite>,
    operations: &str,
    parent: Option<i64>,
    whose: &str,
) -> StoreResult<Vec<engine::intervene::Intervention>> {
    let mut operations = super::rows::operations_from_json(operations, whose)?;
    let mut next = parent;
    let mut guard = 0;
    while let Some(pid) = next {
        let r = sqlx::query!(
            "SELECT parent_variant_id, operations FROM variants WHERE id = ?",
            pid
        )
        .fetch_one(&mut **tx)
        .await?;
        let (parent, ops) = (r.parent_variant_id, r.operations);
        let mut ops = super::rows::operations_from_json(&ops, whose)?;
        ops.append(&mut operations);
        operations = ops;
        next = parent;
        guard += 1;
        if guard > 10_000 {
            return Err(StoreError::Corrupt(format!(
                "{whose}'s lineage does not end (a parent cycle)"
            )));
        }
    }
    Ok(operations)
}

/// Writes the records of a full export: problems, variants, gold questions.
async fn produce_full(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<()> {
    let name = job.name.as_str();
    let mut n = 0i64;
    {
        let mut rows = sqlx::query_as!(
            DbExportProblem,
            "SELECT line, external_id, question, source, graph, error_category, error_detail,
                depth, answer, llm_program, created_at
            FROM problems WHERE dataset_id = ? ORDER BY id",
            job.dataset_id
        )
        .fetch(&mut **tx);
        while let Some(row) = rows.try_next().await? {
            n += 1;
            let key = format!("p{n}");
            let whose = format!("problem {key} of dataset {name:?}");
            let mut r = Record::new(name, "problem", key.clone(), key);
            if n == 1 {
                r.dataset_settings = Some(&job.settings);
            }
            if let Some(graph) = &row.graph {
                let (program, metrics) = program_and_metrics(graph, &whose)?;
                r.program = Some(program);
                r.metrics = Some(metrics);
            }
            r.line = Some(row.line);
            r.external_id = row.external_id;
            r.question = row.question;
            r.source = Some(row.source);
            r.llm_program = row.llm_program;
            r.graph = row.graph;
            r.answer = row.answer;
            r.depth = row.depth;
            r.error_category = row.error_category;
            r.error_detail = row.error_detail;
            r.created_at = Some(row.created_at);
            if !emit(out, line_of(&r)?).await {
                return Ok(());
            }
        }
    }
    {
        // Review decisions made in bulk get dataset-local numbers (`bk`) in the order of their
        // first event. `variants` is scanned in id order as the outer loop (`CROSS JOIN` keeps
        // SQLite from reordering), so rows come out as they are read: no sort holds the whole
        // result first.
        let mut rows = export_sql!(query_as![
            DbExportVariant,
            "WITH " KEYS r#",
        bk AS MATERIALIZED (
            SELECT e.bulk, ROW_NUMBER() OVER (ORDER BY MIN(e.id)) AS k
            FROM review_events e JOIN vk ON vk.id = e.variant_id
            WHERE e.bulk IS NOT NULL GROUP BY e.bulk)
        SELECT vk.k AS "key!: i64", pk.k AS "problem_key!: i64", par.k AS "parent_key?: i64",
            p.question, v.operations, v.seed, v.round, v.chain, v.graph, v.depth, v.answer,
            v.created_at, v.text, v.solution, v.text_source, v.text_fallback, v.text_notes,
            ed.name AS "text_edited_by?: String",
            v.verdict, v.verdict_outcome, v.review_status, v.review_reason,
            rv.name AS "reviewed_by?: String", v.reviewed_at,
            (SELECT json_group_array(json(x.obj)) FROM (
                SELECT json_object('by', u.name, 'decision', e.decision, 'reason', e.reason,
                    'text_before', e.text_before, 'bulk', bk.k, 'at', e.created_at) AS obj
                FROM review_events e LEFT JOIN users u ON u.id = e.user_id
                    LEFT JOIN bk ON bk.bulk = e.bulk
                WHERE e.variant_id = v.id ORDER BY e.id) x) AS "review_history!: String",
            li.steps AS "steps_json?: String",
            CASE WHEN li.id IS NULL THEN NULL ELSE "# LABELS r#" END AS "labels?: String"
        FROM variants v
            CROSS JOIN problems p ON p.id = v.problem_id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
            LEFT JOIN vk par ON par.id = v.parent_variant_id
            LEFT JOIN users ed ON ed.id = v.text_edited_by
            LEFT JOIN users rv ON rv.id = v.reviewed_by
            LEFT JOIN label_items li ON li.variant_id = v.id AND li.gold_first_error IS NULL
                AND li.solution_id IS NULL
        WHERE p.dataset_id = ?1
        ORDER BY v.id"#
        ](job.dataset_id))
        .fetch(&mut **tx);
        while let Some(row) = rows.try_next().await? {
            let key = format!("v{}", row.key);
            let whose = format!("variant {key} of dataset {name:?}");
            let (program, metrics) = program_and_metrics(&row.graph, &whose)?;
            let steps = match &row.steps_json {
                Some(s) => Some(read_steps(s, &whose)?),
                None => None,
            };
            let labels = match &row.labels {
                Some(l) => Some(read_labels(l, steps.as_ref().map_or(0, Vec::len), &whose)?),
                None => None,
            };
            let notes = match &row.text_notes {
                Some(n) => Some(serde_json::from_str(n).map_err(|e| corrupt(&whose, "notes", e))?),
                None => None,
            };
            let history: Vec<ReviewEvent> = serde_json::from_str(&row.review_history)
                .map_err(|e| corrupt(&whose, "review history", e))?;
            let mut r = Record::new(
                name,
                "variant",
                key.clone(),
                format!("p{}", row.problem_key),
            );
            r.variant_key = Some(key);
            r.parent_key = row.parent_key.map(|k| format!("v{k}"));
            r.question = row.question;
            r.text = row.text;
            r.solution = row.solution;
            r.program = Some(program);
            r.graph = Some(row.graph);
            r.answer = Some(row.answer);
            r.depth = Some(row.depth);
            r.metrics = Some(metrics);
            r.round = Some(row.round);
            r.chain = row.chain;
            r.seed = row.seed.map(|s| seed_from_db(s).to_string());
            r.operations = Some(row.operations);
            r.created_at = Some(row.created_at);
            r.text_source = row.text_source;
            r.text_fallback = row.text_fallback;
            r.text_notes = notes;
            r.text_edited_by = row.text_edited_by;
            r.verdict = row.verdict;
            r.verdict_outcome = row.verdict_outcome;
            r.review_status = Some(row.review_status);
            r.review_reason = row.review_reason;
            r.reviewed_by = row.reviewed_by;
            r.reviewed_at = row.reviewed_at;
            r.review_history = Some(history);
            r.steps = steps;
            r.steps_json = row.steps_json;
            r.labels = labels;
            if !emit(out, line_of(&r)?).await {
                return Ok(());
            }
        }
    }
    let mut rows = export_sql!(query_as![
        DbGold,
        "WITH " KEYS r#"
        SELECT vk.k AS "variant_key!: i64", pk.k AS "problem_key!: i64", p.question,
            li.steps AS "steps_json!", li.gold_first_error AS "gold_first_error!", li.gold_detail,
            li.created_at, "# LABELS r#" AS "labels!: String"
        FROM label_items li
            CROSS JOIN variants v ON v.id = li.variant_id
            CROSS JOIN problems p ON p.id = v.problem_id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
        WHERE li.gold_first_error IS NOT NULL AND p.dataset_id = ?1
        ORDER BY li.id"#
    ](job.dataset_id))
    .fetch(&mut **tx);
    let mut n = 0i64;
    while let Some(row) = rows.try_next().await? {
        n += 1;
        let key = format!("g{n}");
        let whose = format!("gold question {key} of dataset {name:?}");
        let steps = read_steps(&row.steps_json, &whose)?;
        let labels = read_labels(&row.labels, steps.len(), &whose)?;
        let mut r = Record::new(name, "gold", key, format!("p{}", row.problem_key));
        r.variant_key = Some(format!("v{}", row.variant_key));
        r.question = row.question;
        r.created_at = Some(row.created_at);
        r.steps = Some(steps);
        r.steps_json = Some(row.steps_json);
        r.gold_first_error = Some(row.gold_first_error);
        r.gold_detail = row.gold_detail;
        r.labels = Some(labels);
        if !emit(out, line_of(&r)?).await {
            return Ok(());
        }
    }
    Ok(())
}

/// Writes the records of a PRM export.
async fn produce_prm(
    tx: &mut Transaction<'static, Sqlite>,
    job: &Job,
    out: &mpsc::Sender<StoreResult<String>>,
) -> StoreResult<()> {
    let name = job.name.as_str();
    let mut rows = export_sql!(query_as![
        DbPrm,
        "WITH " KEYS r#"
        SELECT vk.k AS "key!: i64", pk.k AS "problem_key!: i64",
            COALESCE(v.text, p.question) AS "problem!: String", v.answer,
            li.steps AS "steps_json!", "# LABELS_FINISHED r#" AS "labels!: String"
        FROM variants v
            CROSS JOIN problems p ON p.id = v.problem_id
            CROSS JOIN label_items li ON li.variant_id = v.id
            LEFT JOIN vk ON vk.id = v.id
            LEFT JOIN pk ON pk.id = p.id
        WHERE p.dataset_id = ?1 AND "# PRM_WHERE "
        ORDER BY v.id"
    ](job.dataset_id))
    .fetch(&mut **tx);
    while let Some(row) = rows.try_next().await? {
        let key = format!("v{}", row.key);
        let whose = format!("variant {key} of dataset {name:?}");
        let steps = read_steps(&row.steps_json, &whose)?;
        let labels = read_labels(&row.labels, steps.len(), &whose)?;
        let lists: Vec<Vec<Option<i64>>> = labels.iter().map(|l| l.ratings.clone()).collect();
        let r = PrmRecord {
            graft_prm: PRM_VERSION,
            dataset: name,
            key,
            problem_key: format!("p{}", row.problem_key),
            problem: row.problem,
            answer: row.answer,
            sentences: steps.iter().map(|s| s.text.clone()).collect(),
            steps: steps
                .into_iter()
                .map(|s| format!("{} = {}", s.description, s.value))
                .collect(),
            labels: consensus(&lists),
            annotations: labels
                .into_iter()
                .map(|l| PrmLabels {
                    annotator: l.annotator,
                    labels: l.ratings,
                })
                .collect(),
        };
        if !emit(out, line_of(&r)?).await {
            return Ok(());
        }
    }
    Ok(())
}
