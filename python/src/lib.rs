//! `graft` for Python: the engine's extraction, curriculum, records, checks and scoring behind
//! a small PyO3 module (`graft._graft`, re-exported by `python/graft/__init__.py`).
//!
//! Every record is made by `engine::records`, as `graft generate` makes it, so the same rows
//! and seed give the same JSON. Engine errors become `graft.GraftError` (a `ValueError`) with
//! the engine's message; a panic in the engine (a bug) is caught here and raised as a
//! `GraftError` too, never unwound into Python.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};

use engine::curriculum::CurriculumConfig;
use engine::labels::solutions::{label_solution, score as score_answer, Score};
use engine::problem::{Problem, RowError};
use engine::records::{self, Detail, Origin, VariantRecord};
use engine::{Graph, Number};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde::Serialize;

pyo3::create_exception!(
    graft,
    GraftError,
    PyValueError,
    "An input Graft cannot use: the message says what, where, and how to fix it."
);

fn error(message: impl Into<String>) -> PyErr {
    GraftError::new_err(message.into())
}

/// Runs engine work, turning a panic (a bug in Graft) into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        format!("the engine panicked while {what}: {message}; this is a bug in Graft, please report it with this input")
    })
}

/// Python object → Rust value through serde.
fn to_py<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    Ok(pythonize::pythonize(py, value)?.unbind())
}

/// A row as `graft` reads a JSONL line: a `dict` (or a JSON string) with `question` and
/// `answer` (GSM8K) or `code` (a program) and optional `id`, `target`.
fn problem_of(row: &Bound<'_, PyAny>) -> Result<Problem, RowError> {
    let json = if let Ok(s) = row.cast::<PyString>() {
        s.to_cow()
            .map(|c| c.into_owned())
            .map_err(|e| RowError::Json(format!("the row is not text: {e}")))?
    } else {
        let value: serde_json::Value = pythonize::depythonize(row).map_err(|e| {
            RowError::Json(format!(
                "the row is not a dict of JSON values ({e}); pass a dict like \
                 {{\"question\": ..., \"answer\": ...}} or a JSON string"
            ))
        })?;
        value.to_string()
    };
    Problem::from_json(&json)
}

/// Reads the `errors` argument: whether a row that does not extract raises (`"raise"`) or is
/// skipped (`"skip"`).
fn raise_errors(errors: &str) -> PyResult<bool> {
    match errors {
        "skip" => Ok(false),
        "raise" => Ok(true),
        other => Err(error(format!(
            "errors is {other:?}; use \"skip\" (skip rows that do not extract, as graft \
             generate does) or \"raise\""
        ))),
    }
}

/// Options of [`generate`] and [`generate_batch`].
#[derive(Clone, Copy)]
struct Options {
    rounds: u32,
    per_problem: u32,
    seed: u64,
    verbalize: bool,
    negatives: bool,
    /// What each record holds beyond the lean fields.
    detail: Detail,
    /// Whether rows whose own solution is flawed ([`records::sound`]) give variants too.
    keep_flawed: bool,
}

impl Options {
    fn check(rounds: u32, per_problem: u32) -> PyResult<()> {
        if !(1..=8).contains(&rounds) {
            return Err(error(format!("rounds is {rounds}; use 1 to 8")));
        }
        if !(1..=1000).contains(&per_problem) {
            return Err(error(format!(
                "per_problem is {per_problem}; use 1 to 1000"
            )));
        }
        Ok(())
    }

    fn config(&self) -> CurriculumConfig {
        CurriculumConfig {
            rounds: self.rounds,
            per_problem: self.per_problem,
            seed: self.seed,
            ..CurriculumConfig::default()
        }
    }
}

/// One row's variants, each made into a value by `make` (a Python dict, a column row, …).
/// `Err` is the reason the row is skipped (as `graft generate` reports it).
fn row_variants<T>(
    problem: &Problem,
    source_id: &str,
    line: usize,
    options: Options,
    mut make: impl FnMut(&VariantRecord<'_>) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let original = records::extract_row(problem).map_err(|s| s.message)?;
    if !options.keep_flawed {
        records::sound(&original).map_err(|s| s.message)?;
    }
    let origin = Origin {
        source_id,
        line,
        question: problem.question.as_deref(),
        original: &original,
        metrics: original.metrics(),
    };
    let chains = records::chains(&original, source_id, &options.config()).map_err(|s| s.message)?;
    let mut out = Vec::new();
    for chain in &chains {
        for v in &chain.variants {
            let words = if options.verbalize {
                Some(records::offline_words(&original, v).map_err(|s| s.message)?)
            } else {
                None
            };
            let record = VariantRecord::new(
                origin,
                chain.index,
                v,
                words,
                options.negatives,
                options.detail,
            );
            out.push(make(&record)?);
        }
    }
    Ok(out)
}

/// Extracts a row's computation graph.
///
/// Returns a dict: `answer` (exact, as text), `expected` (the answer the row states, or
/// None), `metrics` (depth and more), `program` (the graph as Python), `graph`, `steps`,
/// `flaws` (the flaws of the row's own solution: `[{kind, node, message}]`, empty for a sound
/// row; `generate` skips a flawed row).
/// Raises `GraftError` when the row does not extract, or extracts to another answer than it
/// states.
#[pyfunction]
fn extract(py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let problem = problem_of(row).map_err(|e| error(format!("the row is malformed: {e}")))?;
    let made = py
        .detach(|| {
            guarded("extracting a row", || {
                let ex = engine::problem::extract(&problem).map_err(|f| f.to_string())?;
                if ex.answer_matches == Some(false) {
                    return Err(format!(
                        "answer_mismatch: the graph gives {}, the row states {}",
                        ex.graph.answer_value(),
                        ex.expected.map(|e| e.to_string()).unwrap_or_default()
                    ));
                }
                Ok(ex)
            })
        })
        .map_err(error)?
        .map_err(error)?;
    #[derive(Serialize)]
    struct Extracted<'a> {
        answer: Number,
        expected: Option<Number>,
        metrics: engine::Metrics,
        program: String,
        graph: &'a Graph,
        steps: Vec<engine::labels::StepLabel>,
        flaws: Vec<engine::flaws::Flaw>,
    }
    to_py(
        py,
        &Extracted {
            answer: made.graph.answer_value(),
            expected: made.expected,
            metrics: made.graph.metrics(),
            program: engine::printer::to_python(&made.graph),
            graph: &made.graph,
            steps: engine::labels::steps(&made.graph),
            flaws: engine::flaws::flaws(&made.graph),
        },
    )
}

/// The iterator [`generate`] returns: each row's variants in turn, made when asked for.
#[pyclass(module = "graft")]
struct Variants {
    rows: Py<PyAny>,
    line: usize,
    source: String,
    options: Options,
    raise_errors: bool,
    pending: VecDeque<Py<PyAny>>,
}

#[pymethods]
impl Variants {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            if let Some(next) = self.pending.pop_front() {
                return Ok(Some(next));
            }
            let Some(row) = self
                .rows
                .bind(py)
                .call_method0("__next__")
                .map(Some)
                .or_else(|e| {
                    if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                })?
            else {
                return Ok(None);
            };
            self.line += 1;
            let line = self.line;
            let problem = match problem_of(&row) {
                Ok(p) => p,
                Err(e) if self.raise_errors => {
                    return Err(error(format!("row {line}: the row is malformed: {e}")))
                }
                Err(_) => continue,
            };
            let source_id = problem
                .id
                .clone()
                .unwrap_or_else(|| format!("{}:{line}", self.source));
            let options = self.options;
            let made = py.detach(|| {
                guarded(&format!("generating from row {line}"), || {
                    row_variants(&problem, &source_id, line, options, |r| {
                        serde_json::to_value(r).map_err(|e| e.to_string())
                    })
                })
            });
            match made {
                Ok(Ok(values)) => {
                    for v in values {
                        self.pending.push_back(to_py(py, &v)?);
                    }
                }
                Ok(Err(why)) | Err(why) if self.raise_errors => {
                    return Err(error(format!("row {line} ({source_id}): {why}")))
                }
                _ => continue,
            }
        }
    }
}

/// Generates curricula of variants from `rows` (dicts or JSON strings, as JSONL lines of
/// `graft generate --input`).
///
/// Yields one dict per variant, equal to the line `graft generate` writes for the same rows
/// and seed when `source` is the input file's stem (a row without an `id` is known as
/// `SOURCE:LINE`). Rows that do not extract, and rows whose own solution is flawed (an amount
/// below zero, a count that is not whole: the CLI's `flawed_original`), are skipped, as the CLI
/// skips them, unless `errors="raise"`; `keep_flawed=True` keeps flawed rows (`--keep-flawed`). Records are lean, as the CLI's: `steps=True` adds the steps (`--steps`),
/// `full=True` the steps and the graph (`--full`).
#[pyfunction]
#[pyo3(signature = (rows, rounds=3, per_problem=1, seed=0, verbalize=true, negatives=false, source="rows", errors="skip", steps=false, full=false, keep_flawed=false))]
#[allow(clippy::too_many_arguments)]
fn generate(
    rows: &Bound<'_, PyAny>,
    rounds: u32,
    per_problem: u32,
    seed: u64,
    verbalize: bool,
    negatives: bool,
    source: &str,
    errors: &str,
    steps: bool,
    full: bool,
    keep_flawed: bool,
) -> PyResult<Variants> {
    Options::check(rounds, per_problem)?;
    let raise_errors = raise_errors(errors)?;
    Ok(Variants {
        rows: rows.try_iter()?.into_any().unbind(),
        line: 0,
        source: source.to_string(),
        options: Options {
            rounds,
            per_problem,
            seed,
            verbalize,
            negatives,
            detail: detail(steps, full),
            keep_flawed,
        },
        raise_errors,
        pending: VecDeque::new(),
    })
}

/// What `steps` and `full` ask a record to hold.
fn detail(steps: bool, full: bool) -> Detail {
    if full {
        Detail::FULL
    } else {
        Detail {
            steps,
            graph: false,
        }
    }
}

/// The columns of [`generate_batch`]'s output, in order (README: "Python"): the first
/// [`LEAN_COLUMNS`] by default, all of them with `full=True`.
const COLUMNS: [&str; 16] = [
    "id",
    "source_id",
    "chain",
    "round",
    "seed",
    "question",
    "text",
    "solution",
    "answer",
    "original_answer",
    "depth",
    "original_depth",
    "operations",
    "program",
    "graph",
    "steps",
];

/// How many of [`COLUMNS`] a lean batch has (all but `graph` and `steps`).
const LEAN_COLUMNS: usize = 14;

/// One output row of [`generate_batch`].
struct BatchRow {
    id: String,
    source_id: String,
    chain: u32,
    round: u32,
    /// As decimal text: a 64-bit seed does not fit Arrow's (signed) int64.
    seed: String,
    question: String,
    text: String,
    solution: String,
    answer: String,
    original_answer: String,
    depth: u32,
    original_depth: u32,
    operations: String,
    program: String,
    /// Only with `full=True`.
    graph: String,
    /// Only with `full=True`.
    steps: String,
}

impl BatchRow {
    fn of(r: &VariantRecord<'_>) -> Result<BatchRow, String> {
        let json = |v: &dyn erased::Json| v.json();
        Ok(BatchRow {
            id: r.id.clone(),
            source_id: r.source_id.to_string(),
            chain: r.chain,
            round: r.round,
            seed: r.seed.to_string(),
            question: r.question.unwrap_or_default().to_string(),
            text: r.text.clone().unwrap_or_default(),
            solution: r.solution.clone().unwrap_or_default(),
            answer: r.answer.to_string(),
            original_answer: r.original_answer.to_string(),
            depth: r.metrics.depth,
            original_depth: r.original_metrics.depth,
            operations: json(&r.operations)?,
            program: r.program.clone(),
            graph: r.graph.map(|g| json(&g)).transpose()?.unwrap_or_default(),
            steps: r
                .steps
                .as_ref()
                .map(|s| json(s))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// JSON text of any serializable value (a small object-safe wrapper for [`BatchRow::of`]).
mod erased {
    /// A value written as JSON text.
    pub trait Json {
        fn json(&self) -> Result<String, String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, String> {
            serde_json::to_string(self).map_err(|e| e.to_string())
        }
    }
}

/// A batch of rows → a batch of variants, for `datasets.Dataset.map(batched=True)` and Ray
/// Data's `map_batches`: `batch` is a dict of equal-length lists (or a `pyarrow.RecordBatch`
/// / `Table`, read with `to_pydict()`), with `question` and `answer` columns (GSM8K) or
/// `code` (programs), and optionally `id` and `target`.
///
/// Returns a dict of lists with the columns in `graft.COLUMNS` (`graft.FULL_COLUMNS` with
/// `full=True`, which adds `graph` and `steps`): strings, except `chain`, `round`, `depth` and
/// `original_depth` (ints); `seed` is the 64-bit seed as decimal text (Arrow's int64 cannot
/// hold it); `operations`, `graph` and `steps` are JSON text. A row's `id` names its variants
/// and seeds their chains, so give every row one:
/// without it the row is known by a hash of its content (stable across shards and retries,
/// never by its position in a batch). Rows that do not extract are skipped unless
/// `errors="raise"`.
#[pyfunction]
#[pyo3(signature = (batch, rounds=3, per_problem=1, seed=0, verbalize=true, errors="skip", full=false, keep_flawed=false))]
#[allow(clippy::too_many_arguments)]
fn generate_batch(
    py: Python<'_>,
    batch: &Bound<'_, PyAny>,
    rounds: u32,
    per_problem: u32,
    seed: u64,
    verbalize: bool,
    errors: &str,
    full: bool,
    keep_flawed: bool,
) -> PyResult<Py<PyAny>> {
    Options::check(rounds, per_problem)?;
    let raise_errors = raise_errors(errors)?;
    let columns = if batch.hasattr("to_pydict")? {
        batch.call_method0("to_pydict")?
    } else if batch.cast::<PyDict>().is_ok() {
        batch.clone()
    } else if batch.hasattr("keys")? {
        // A mapping that is not a dict (datasets' LazyBatch).
        py.import("builtins")?.getattr("dict")?.call1((batch,))?
    } else {
        batch.clone()
    };
    let columns = columns.cast::<PyDict>().map_err(|_| {
        error(
            "the batch is neither a dict of lists nor a pyarrow RecordBatch/Table; pass \
             what datasets.map(batched=True) or Ray's map_batches(batch_format=\"pyarrow\" or \
             \"default\") gives",
        )
    })?;
    // Rows as JSON objects, column by column.
    let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = Vec::new();
    for (name, values) in columns.iter() {
        let name: String = name.extract()?;
        let values: Vec<serde_json::Value> = pythonize::depythonize(&values)
            .map_err(|e| error(format!("column {name:?} is not a list of JSON values: {e}")))?;
        if rows.is_empty() {
            rows.resize_with(values.len(), Default::default);
        } else if rows.len() != values.len() {
            return Err(error(format!(
                "column {name:?} has {} values but the columns before it have {}; every \
                 column of a batch needs one value per row",
                values.len(),
                rows.len()
            )));
        }
        for (row, v) in rows.iter_mut().zip(values) {
            if !v.is_null() {
                row.insert(name.clone(), v);
            }
        }
    }
    let options = Options {
        rounds,
        per_problem,
        seed,
        verbalize,
        negatives: false,
        detail: detail(false, full),
        keep_flawed,
    };
    let made: Result<Vec<BatchRow>, String> = py.detach(|| {
        let mut out = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            let json = serde_json::Value::Object(row).to_string();
            let problem = match Problem::from_json(&json) {
                Ok(p) => p,
                Err(e) if raise_errors => return Err(format!("row {i} of the batch: {e}")),
                Err(_) => continue,
            };
            let source_id = problem.id.clone().unwrap_or_else(|| content_id(&json));
            let made = guarded(&format!("generating from row {i} of the batch"), || {
                row_variants(&problem, &source_id, i + 1, options, BatchRow::of)
            });
            match made {
                Ok(Ok(rows)) => out.extend(rows),
                Ok(Err(why)) | Err(why) if raise_errors => {
                    return Err(format!("row {i} of the batch ({source_id}): {why}"))
                }
                _ => {}
            }
        }
        Ok(out)
    });
    let made = made.map_err(error)?;
    let out = PyDict::new(py);
    macro_rules! column {
        ($name:ident) => {
            out.set_item(
                stringify!($name),
                PyList::new(py, made.iter().map(|r| r.$name.clone()))?,
            )?;
        };
    }
    column!(id);
    column!(source_id);
    column!(chain);
    column!(round);
    column!(seed);
    column!(question);
    column!(text);
    column!(solution);
    column!(answer);
    column!(original_answer);
    column!(depth);
    column!(original_depth);
    column!(operations);
    column!(program);
    if full {
        column!(graph);
        column!(steps);
    }
    Ok(out.into_any().unbind())
}

/// A row's id from its content when it has none: `h:` and 16 hex digits of a stable 64-bit
/// hash (FNV-1a) of its JSON text.
fn content_id(json: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("h:{h:016x}")
}

/// Where a variant's graph came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GraphFrom {
    /// The record's own `graph` (a full record).
    Record,
    /// Its source row and `operations`, replayed.
    Row,
    /// Its `program`, read back.
    Program,
}

/// A field that is JSON or JSON text (generate_batch writes structures as text).
fn json_field<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, String> {
    match value {
        serde_json::Value::String(s) => serde_json::from_str(s),
        other => serde_json::from_value(other.clone()),
    }
    .map_err(|e| e.to_string())
}

/// A variant as a dict and its graph: the record's `graph` (a full record); else, with its
/// source `row`, the row's graph with the record's `operations` replayed (a lean record);
/// else its `program` read back.
fn variant_graph(
    variant: &Bound<'_, PyAny>,
    row: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Graph, serde_json::Value, GraphFrom)> {
    let value: serde_json::Value = pythonize::depythonize(variant)
        .map_err(|e| error(format!("the variant is not a dict of JSON values: {e}")))?;
    if let Some(graph) = value.get("graph") {
        let graph = json_field(graph).map_err(|e| {
            error(format!(
                "the variant's \"graph\" does not read as a Graft graph: {e}"
            ))
        })?;
        return Ok((graph, value, GraphFrom::Record));
    }
    if let Some(row) = row {
        let problem = problem_of(row).map_err(|e| error(format!("the row is malformed: {e}")))?;
        let operations: Vec<engine::intervene::Intervention> = value
            .get("operations")
            .ok_or_else(|| error("the variant has no \"operations\" to replay on the row"))
            .and_then(|o| {
                json_field(o).map_err(|e| {
                    error(format!(
                        "the variant's \"operations\" do not read as Graft operations: {e}"
                    ))
                })
            })?;
        let graph = guarded("replaying a variant", || {
            records::rebuild(&problem, &operations)
        })
        .map_err(error)?
        .map_err(|s| error(s.message))?;
        return Ok((graph, value, GraphFrom::Row));
    }
    let program = value
        .get("program")
        .and_then(|p| p.as_str())
        .ok_or_else(|| {
            error(
                "the variant has neither \"graph\" nor \"program\"; pass a record of \
             graft.generate or graft generate (with its source row as row=… for a lean one)",
            )
        })?;
    let graph = engine::parse_program(program, None)
        .map_err(|e| error(format!("the variant's program does not read back: {e}")))?;
    Ok((graph, value, GraphFrom::Program))
}

/// Checks a variant exactly, as `graft generate` checked it when it wrote it.
///
/// The graph checked is the record's `graph` (a full record); for a lean record, the source
/// `row` with the record's `operations` replayed (pass the row the variant came from), else
/// the record's `program` read back.
///
/// Returns a dict: `ok` (every check passed), `checks` (name → bool: the graph re-evaluates
/// to the stated `answer`; the `program` reads back to the same graph; each step's value is
/// the graph's), and `problems` (what failed, in words).
#[pyfunction]
#[pyo3(signature = (variant, row=None))]
fn verify(
    py: Python<'_>,
    variant: &Bound<'_, PyAny>,
    row: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let (graph, value, from) = variant_graph(variant, row)?;
    let outcome = py
        .detach(|| {
            guarded("verifying a variant", || {
                let mut checks: Vec<(&'static str, bool)> = Vec::new();
                let mut problems: Vec<String> = Vec::new();
                let mut fresh = graph.clone();
                let evaluated = fresh.evaluate_all();
                let answer = value.get("answer").and_then(|a| match a {
                    serde_json::Value::String(s) => s.parse::<Number>().ok(),
                    other => other.to_string().parse::<Number>().ok(),
                });
                let evaluates = match (&evaluated, answer) {
                    (Err(e), _) => {
                        problems.push(format!("the graph does not evaluate: {e}"));
                        false
                    }
                    (Ok(()), Some(a)) if fresh.answer_value() != a => {
                        problems.push(format!(
                            "the graph evaluates to {}, the variant states {a}",
                            fresh.answer_value()
                        ));
                        false
                    }
                    (Ok(()), None) => {
                        problems.push("the variant states no readable \"answer\"".into());
                        false
                    }
                    (Ok(()), Some(_)) => true,
                };
                checks.push(("evaluates", evaluates));
                let program = value.get("program").and_then(|p| p.as_str());
                if let Some(program) = program.filter(|_| from != GraphFrom::Program) {
                    let reads_back = match engine::parse_program(program, None) {
                        Ok(g) => g.same_as(&graph),
                        Err(e) => {
                            problems.push(format!("the program does not read back: {e}"));
                            false
                        }
                    };
                    if !reads_back && problems.is_empty() {
                        problems.push("the program reads back to another graph".into());
                    }
                    checks.push(("program_reads_back", reads_back));
                }
                let steps = engine::labels::steps(&fresh);
                let stated: Option<Vec<engine::labels::StepLabel>> =
                    value.get("steps").and_then(|s| json_field(s).ok());
                if let Some(stated) = stated {
                    let same = stated.len() == steps.len()
                        && stated.iter().zip(&steps).all(|(a, b)| a.value == b.value);
                    if !same {
                        problems.push("the steps' values are not the graph's".into());
                    }
                    checks.push(("steps_match", same));
                }
                (checks, problems)
            })
        })
        .map_err(error)?;
    let (checks, problems) = outcome;
    let out = PyDict::new(py);
    out.set_item("ok", checks.iter().all(|c| c.1))?;
    let c = PyDict::new(py);
    for (name, ok) in checks {
        c.set_item(name, ok)?;
    }
    out.set_item("checks", c)?;
    out.set_item("problems", problems)?;
    Ok(out.into_any().unbind())
}

/// Scores a model's output against a variant exactly (an RL reward: `reward` is 1.0 when
/// the final answer is right, else 0.0).
///
/// The final answer is read from `#### N`, `\boxed{N}`, "the answer is N", else the last
/// number. With the variant's `graph` (or, in a lean record, its `program`), each step of the
/// output is labelled too (+1 / 0 / −1,
/// with reasons, and the first error); with only an `answer`, the answer alone is checked.
/// `variant` may also be the answer itself (a number or its text).
#[pyfunction]
fn score(py: Python<'_>, variant: &Bound<'_, PyAny>, model_output: &str) -> PyResult<Py<PyAny>> {
    #[derive(Serialize)]
    struct Scored {
        score: Score,
        correct: bool,
        reward: f64,
        final_answer: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        steps: Option<Vec<engine::labels::solutions::AutoLabel>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        first_error: Option<usize>,
    }
    let text = model_output.to_string();
    let is_dict = variant.cast::<PyDict>().is_ok();
    let has_graph = is_dict && {
        let d = variant.cast::<PyDict>()?;
        d.contains("graph")? || d.contains("program")?
    };
    let scored = if has_graph {
        let (graph, _, _) = variant_graph(variant, None)?;
        let labelled = py
            .detach(|| guarded("scoring an output", || label_solution(&graph, &text)))
            .map_err(error)?;
        Scored {
            correct: labelled.score == Score::Correct,
            reward: f64::from(u8::from(labelled.score == Score::Correct)),
            score: labelled.score,
            final_answer: labelled.answer.map(|a| a.written),
            steps: Some(labelled.steps),
            first_error: labelled.first_error,
        }
    } else {
        let answer = if is_dict {
            variant
                .get_item("answer")
                .map_err(|_| error("the variant has neither \"graph\" nor \"answer\""))?
        } else {
            variant.clone()
        };
        let answer_text = answer.str()?.to_cow()?.into_owned();
        let answer: Number = answer_text.trim().parse().map_err(|_| {
            error(format!(
                "the answer {answer_text:?} is not a number Graft reads (write 14, 2.5 or 1/3)"
            ))
        })?;
        let (s, a) = py
            .detach(|| guarded("scoring an output", || score_answer(&text, answer)))
            .map_err(error)?;
        Scored {
            correct: s == Score::Correct,
            reward: f64::from(u8::from(s == Score::Correct)),
            score: s,
            final_answer: a.map(|a| a.written),
            steps: None,
            first_error: None,
        }
    };
    to_py(py, &scored)
}

/// The extension module.
#[pymodule]
fn _graft(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(generate_batch, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_class::<Variants>()?;
    m.add("GraftError", m.py().get_type::<GraftError>())?;
    m.add("COLUMNS", COLUMNS[..LEAN_COLUMNS].to_vec())?;
    m.add("FULL_COLUMNS", COLUMNS.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
