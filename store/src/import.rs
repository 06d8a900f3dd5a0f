//! Importing a JSONL file as a dataset, in one transaction.

use engine::problem::{extract, Problem, RowError};

use super::{
    blocking, engine_slots, new_share_token, EngineError, ExportMarker, Store, StoreError,
    StoreResult,
};
use types::model::{ImportReport, LineError};

/// Why a PRM export is not imported.
const PRM_REFUSAL: &str = "this is a PRM export (graft_prm): it keeps only labelled solutions \
    and cannot be imported; import a full export (format full) instead";

/// The longest dataset name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// One readable row, ready to insert.
struct ReadRow {
    line: u32,
    external_id: Option<String>,
    question: String,
    source: String,
    /// Graph JSON, depth and answer; or the extraction failure's category and detail.
    outcome: Result<(String, u32, String), (String, String)>,
}

/// A non-blank line read as a problem, waiting for its extraction.
struct PendingRow {
    line: u32,
    source: String,
    problem: Problem,
}

/// Reads every non-blank line (JSON only, no extraction; call on a blocking thread): the
/// problems to extract, the rows already decided (questions without a solution) and the lines
/// that cannot be read.
fn read_lines(contents: &str) -> (Vec<PendingRow>, Vec<ReadRow>, Vec<LineError>) {
    let mut pending = Vec::new();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    for (i, line) in contents.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match Problem::from_json(text) {
            Ok(problem) => pending.push(PendingRow {
                line: number,
                source: text.to_string(),
                problem,
            }),
            Err(e @ RowError::Shape(_)) => match question_only(text) {
                // A problem with no solution Graft can read (MATH-style): kept, so that a
                // model can write its program (an extract job).
                Some((id, question)) => rows.push(ReadRow {
                    line: number,
                    external_id: id,
                    question,
                    source: text.to_string(),
                    outcome: Err((
                        "no_solution".to_string(),
                        "the row has a question but no solution Graft can read (no GSM8K \
                         answer, no code); an extract job with a model can write one"
                            .to_string(),
                    )),
                }),
                None => failed.push(LineError {
                    line: number,
                    reason: e.to_string(),
                }),
            },
            Err(e) => failed.push(LineError {
                line: number,
                reason: e.to_string(),
            }),
        }
    }
    (pending, rows, failed)
}

/// Extracts one problem (engine work: runs on an engine slot): the graph JSON, depth and
/// answer, or the failure's category and detail.
fn extract_row(problem: &Problem) -> Result<(String, u32, String), (String, String)> {
    match extract(problem) {
        Ok(ex) if ex.answer_matches == Some(false) => Err((
            "answer_mismatch".to_string(),
            format!(
                "the extracted graph gives {} but the row states {}",
                ex.graph.answer_value(),
                ex.expected
                    .map_or_else(|| "another answer".to_string(), |n| n.to_string())
            ),
        )),
        Ok(ex) => match serde_json::to_string(&ex.graph) {
            Ok(json) => Ok((json, ex.graph.depth(), ex.graph.answer_value().to_string())),
            Err(e) => Err(("unserializable_graph".to_string(), e.to_string())),
        },
        Err(f) => Err((
            f.category.clone(),
            match f.line {
                Some(l) => format!("solution line {l}: {}", f.detail),
                None => f.detail.clone(),
            },
        )),
    }
}

/// The category stored for a row whose extraction ran past its budget.
pub const TIMEOUT_CATEGORY: &str = "engine_timeout";
/// The category stored for a row on which the engine panicked.
pub const PANIC_CATEGORY: &str = "engine_panic";

impl Store {
    /// Reads `contents` and extracts every problem in it, each on an engine slot within the
    /// request budget (as many at once as there are slots). A row whose extraction runs past
    /// the budget or panics is kept with the category [`TIMEOUT_CATEGORY`] or
    /// [`PANIC_CATEGORY`]; the other rows are not affected. Rows come back in line order.
    async fn read_rows(&self, contents: String) -> StoreResult<(Vec<ReadRow>, Vec<LineError>)> {
        use futures_util::stream::{self, StreamExt};
        let (pending, mut rows, failed) =
            blocking("reading the file", move || read_lines(&contents)).await?;
        let engine = self.engine.clone();
        let extracted: Vec<ReadRow> = stream::iter(pending)
            .map(|p| {
                let engine = engine.clone();
                async move {
                    let PendingRow {
                        line,
                        source,
                        problem,
                    } = p;
                    let external_id = problem.id.clone();
                    let question = problem.question.clone().unwrap_or_default();
                    let what = format!("the extraction of line {line}");
                    let outcome = match engine.row(&what, move || extract_row(&problem)).await {
                        Ok(outcome) => outcome,
                        Err(e @ EngineError::Panicked { .. }) => {
                            Err((PANIC_CATEGORY.to_string(), e.to_string()))
                        }
                        Err(e) => Err((TIMEOUT_CATEGORY.to_string(), e.to_string())),
                    };
                    ReadRow {
                        line,
                        external_id,
                        question,
                        source,
                        outcome,
                    }
                }
            })
            .buffered(engine_slots())
            .collect()
            .await;
        rows.extend(extracted);
        rows.sort_by_key(|r| r.line);
        Ok((rows, failed))
    }
}

/// The id and question of a row that has a question (`question` or `problem`) but no
/// solution Graft reads.
fn question_only(line: &str) -> Option<(Option<String>, String)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let q = ["question", "problem"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|q| q.as_str()))?
        .trim();
    if q.is_empty() {
        return None;
    }
    let id = v.get("id").map(|i| match i {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    Some((id, q.to_string()))
}

/// Checks a dataset name: not blank, at most [`MAX_NAME_CHARS`] characters, no control
/// characters. Returns it trimmed.
pub fn check_dataset_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid(
            "the dataset name is empty; give a name (e.g. ?name=gsm8k-train)".into(),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::Invalid(format!(
            "the dataset name is longer than {MAX_NAME_CHARS} characters; choose a shorter one"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "the dataset name contains control characters (newlines, tabs); remove them".into(),
        ));
    }
    Ok(name)
}

impl Store {
    /// Imports a JSONL file (`contents`) as a new dataset called `name`, in one transaction.
    ///
    /// Reads GSM8K rows (`{question, answer}`) and program rows (`{question|input, code,
    /// target?}`); blank lines are skipped. Rows that cannot be read are listed in the report
    /// with their line number and not stored. Rows that are read but do not extract (or whose
    /// graph misses the stated answer) are stored as problems with their extraction error.
    ///
    /// Refuses, storing nothing, when the name is empty or taken
    /// ([`StoreError::NameTaken`]) or no row could be read ([`StoreError::NothingImported`]).
    /// A database failure part-way rolls everything back.
    ///
    /// A full Graft export (first line with `graft_export`) is restored instead, with
    /// [`Store::import_export`]; a PRM export is refused.
    pub async fn import_jsonl(&self, name: &str, contents: &str) -> StoreResult<ImportReport> {
        match super::export_marker(contents) {
            Some(ExportMarker::Full) => return self.import_export(Some(name), contents).await,
            Some(ExportMarker::Prm) => return Err(StoreError::Invalid(PRM_REFUSAL.into())),
            None => {}
        }
        let name = check_dataset_name(name)?.to_string();
        let taken = sqlx::query_scalar!("SELECT id FROM datasets WHERE name = ?", name)
            .fetch_optional(&self.pool)
            .await?;
        if taken.is_some() {
            return Err(StoreError::NameTaken(name));
        }
        let (rows, failed) = self.read_rows(contents.to_string()).await?;
        if rows.is_empty() {
            let reason = if failed.is_empty() {
                "the file has no rows (it is empty or blank); send one JSON object per line"
                    .to_string()
            } else {
                format!(
                    "none of the {} non-blank lines is a problem Graft can read; each line must \
                     be a JSON object with \"question\" and \"answer\" (GSM8K) or with \"code\" \
                     (a Python program); see `failed` for each line",
                    failed.len()
                )
            };
            return Err(StoreError::NothingImported { reason, failed });
        }

        let mut tx = self.pool.begin().await?;
        let dataset_id = insert_dataset(&mut tx, &name).await?;
        let mut extracted = 0u64;
        for row in &rows {
            let token = new_share_token()?;
            let (graph, depth, answer, category, detail) = match &row.outcome {
                Ok((graph, depth, answer)) => {
                    extracted += 1;
                    (
                        Some(graph.as_str()),
                        Some(*depth),
                        Some(answer.as_str()),
                        None,
                        None,
                    )
                }
                Err((category, detail)) => (
                    None,
                    None,
                    None,
                    Some(category.as_str()),
                    Some(detail.as_str()),
                ),
            };
            let external_id = row.external_id.as_deref();
            sqlx::query!(
                "INSERT INTO problems (dataset_id, line, external_id, question, source, graph,
                    error_category, error_detail, depth, answer, share_token)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dataset_id,
                row.line,
                external_id,
                row.question,
                row.source,
                graph,
                category,
                detail,
                depth,
                answer,
                token
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ImportReport {
            dataset_id,
            imported: rows.len() as u64,
            extracted,
            failed,
        })
    }
}

impl Store {
    /// Adds one problem (a JSONL row in either shape) to dataset `dataset_id`, after the
    /// dataset's last line. Refuses, storing nothing, when the row cannot be read or its graph
    /// cannot be extracted. Returns the new problem's id.
    pub async fn add_problem(&self, dataset_id: i64, row: &str) -> StoreResult<i64> {
        self.require_dataset(dataset_id).await?;
        let text = row.replace(['\n', '\r'], " ");
        let (mut rows, failed) = self.read_rows(text).await?;
        if let Some(f) = failed.first() {
            return Err(StoreError::Invalid(f.reason.clone()));
        }
        let Some(row) = rows.pop() else {
            return Err(StoreError::Invalid(
                "the problem is empty: give a question and a solution".into(),
            ));
        };
        let (graph, depth, answer) = row.outcome.map_err(|(category, detail)| {
            StoreError::Invalid(format!("cannot extract a graph ({category}): {detail}"))
        })?;
        let mut tx = self.pool.begin().await?;
        let line = sqlx::query_scalar!(
            r#"SELECT COALESCE(MAX(line), 0) + 1 AS "line!: i64" FROM problems
             WHERE dataset_id = ?"#,
            dataset_id
        )
        .fetch_one(&mut *tx)
        .await?;
        let token = new_share_token()?;
        let id = sqlx::query!(
            "INSERT INTO problems (dataset_id, line, external_id, question, source, graph,
                error_category, error_detail, depth, answer, share_token)
             VALUES (?, ?, NULL, ?, ?, ?, NULL, NULL, ?, ?, ?)",
            dataset_id,
            line,
            row.question,
            row.source,
            graph,
            depth,
            answer,
            token
        )
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        tx.commit().await?;
        Ok(id)
    }
}

/// Inserts a dataset named `name` (private, default settings); a taken name is
/// [`StoreError::NameTaken`].
pub(super) async fn insert_dataset(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    name: &str,
) -> StoreResult<i64> {
    sqlx::query!("INSERT INTO datasets (name) VALUES (?)", name)
        .execute(&mut **tx)
        .await
        .map(|r| r.last_insert_rowid())
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::NameTaken(name.to_string())
            }
            _ => StoreError::Database(e),
        })
}
