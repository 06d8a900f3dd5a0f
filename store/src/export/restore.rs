//! Importing a full export: every record checked first (a bad line refuses the whole file,
//! naming the line), then the dataset restored in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use engine::intervene::{apply, Intervention};
use engine::limits::MAX_INTERVENTIONS;
use engine::verdict::Verdict;
use engine::Graph;
use serde::Deserialize;
use sqlx::{Sqlite, Transaction};

use super::super::import::check_dataset_name;
use super::super::{
    blocking, check_user_name, engine_slots, new_share_token, seed_to_db, EngineError, Store,
    StoreError, StoreResult,
};
use super::{Labels, ReviewEvent, Settings, EXPORT_VERSION, MAX_STEPS};
use types::model::{ImportReport, LineError};

/// What the first line of a file says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportMarker {
    /// A full Graft export (`graft_export`): restored by an import.
    Full,
    /// A PRM export (`graft_prm`): not importable.
    Prm,
}

/// Whether `contents` is a Graft export: its first non-blank line is a JSON object with a
/// `graft_export` (full) or `graft_prm` (PRM) field. `None` for anything else (plain JSONL).
pub fn export_marker(contents: &str) -> Option<ExportMarker> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    let first = contents.lines().map(str::trim).find(|l| !l.is_empty())?;
    if !first.starts_with('{') || !first.contains("\"graft_") {
        return None;
    }
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(first).ok()?;
    if v.contains_key("graft_export") {
        Some(ExportMarker::Full)
    } else if v.contains_key("graft_prm") {
        Some(ExportMarker::Prm)
    } else {
        None
    }
}

/// A record as read back: the stored fields. Derived fields (`program`, `metrics`, `steps`)
/// and unknown keys are ignored. Lists are read as lists (version 1) or JSON text (version 2);
/// version 2's `""` and `-1` for absent values become `None` ([`RecordIn::absent_as_none`]).
#[derive(Deserialize)]
struct RecordIn {
    graft_export: i64,
    dataset: String,
    kind: String,
    key: String,
    problem_key: String,
    variant_key: Option<String>,
    parent_key: Option<String>,
    dataset_settings: Option<Settings>,
    line: Option<i64>,
    external_id: Option<String>,
    question: String,
    source: Option<String>,
    text: Option<String>,
    solution: Option<String>,
    llm_program: Option<String>,
    graph: Option<String>,
    answer: Option<String>,
    depth: Option<i64>,
    error_category: Option<String>,
    error_detail: Option<String>,
    round: Option<i64>,
    chain: Option<i64>,
    seed: Option<String>,
    operations: Option<String>,
    created_at: Option<String>,
    text_source: Option<String>,
    text_fallback: Option<String>,
    #[serde(default, deserialize_with = "list_or_json")]
    text_notes: Option<Vec<String>>,
    text_edited_by: Option<String>,
    verdict: Option<String>,
    verdict_outcome: Option<String>,
    review_status: Option<String>,
    review_reason: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    #[serde(default, deserialize_with = "list_or_json")]
    review_history: Option<Vec<ReviewEvent>>,
    steps_json: Option<String>,
    gold_first_error: Option<i64>,
    gold_detail: Option<String>,
    #[serde(default, deserialize_with = "list_or_json")]
    labels: Option<Vec<Labels>>,
}

/// A list as a JSON list (version 1), or as JSON text of one (version 2; `""`: none).
fn list_or_json<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) if text.is_empty() => Ok(None),
        Some(serde_json::Value::String(text)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| D::Error::custom(format!("a list as JSON text: {e}"))),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(D::Error::custom),
    }
}

impl RecordIn {
    /// Version 2 writes `""` for absent text and `-1` for an absent number: read them as
    /// absent, as version 1's nulls.
    fn absent_as_none(&mut self) {
        for text in [
            &mut self.variant_key,
            &mut self.parent_key,
            &mut self.external_id,
            &mut self.source,
            &mut self.text,
            &mut self.solution,
            &mut self.llm_program,
            &mut self.graph,
            &mut self.answer,
            &mut self.error_category,
            &mut self.error_detail,
            &mut self.seed,
            &mut self.operations,
            &mut self.created_at,
            &mut self.text_source,
            &mut self.text_fallback,
            &mut self.text_edited_by,
            &mut self.verdict,
            &mut self.verdict_outcome,
            &mut self.review_status,
            &mut self.review_reason,
            &mut self.reviewed_by,
            &mut self.reviewed_at,
            &mut self.steps_json,
            &mut self.gold_detail,
        ] {
            if text.as_deref() == Some("") {
                *text = None;
            }
        }
        for number in [
            &mut self.line,
            &mut self.depth,
            &mut self.round,
            &mut self.chain,
            &mut self.gold_first_error,
        ] {
            if *number == Some(-1) {
                *number = None;
            }
        }
    }
}

struct Problem {
    at: u32,
    line: i64,
    external_id: Option<String>,
    question: String,
    source: String,
    graph: Option<Arc<str>>,
    depth: Option<i64>,
    answer: Option<String>,
    error_category: Option<String>,
    error_detail: Option<String>,
    llm_program: Option<String>,
    created_at: Option<String>,
}

/// A label item: a variant's solution, or (with `gold`) a corrupted chain.
struct Item {
    steps: String,
    gold: Option<(i64, Option<String>)>,
    created_at: Option<String>,
    labels: Vec<Labels>,
}

struct Variant {
    at: u32,
    problem: usize,
    parent: Option<usize>,
    operations: String,
    seed: Option<u64>,
    round: i64,
    chain: Option<i64>,
    graph: Arc<str>,
    /// The graph's depth and answer, filled in by its [`Derive`] check.
    depth: i64,
    answer: String,
    created_at: Option<String>,
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
    history: Vec<ReviewEvent>,
    item: Option<Item>,
}

struct Gold {
    at: u32,
    variant: usize,
    item: Item,
}

/// A variant's engine check, run after every line has been read (on an engine slot, within
/// the request budget): its graph reads back and states its answer and depth, and its
/// operations, re-applied to the parent's graph, make exactly that graph.
struct Derive {
    /// The variant's index in [`Plan::variants`].
    variant: usize,
    /// Its line.
    at: u32,
    /// The parent's graph JSON (the parent variant's, else the problem's).
    parent: Arc<str>,
    /// The operations, at most [`MAX_INTERVENTIONS`].
    operations: Vec<Intervention>,
    /// The variant's graph JSON.
    graph: Arc<str>,
    /// The answer and depth the line states.
    answer: Option<String>,
    depth: Option<i64>,
}

impl Derive {
    /// The answer and depth, once checked; `Err` says what is wrong with the line.
    fn check(&self) -> Check<(String, i64)> {
        let graph = read_graph(&self.graph, "graph")?;
        let (answer, depth) = same_answer(&graph, self.answer.as_deref(), self.depth)?;
        // The server derives every stored graph: the operations re-applied to the parent's
        // graph must give the exported one.
        let mut derived = read_graph(&self.parent, "the parent's graph")?;
        for (i, op) in self.operations.iter().enumerate() {
            apply(&mut derived, op).map_err(|e| {
                format!(
                    "operation {} does not apply to the parent's graph: {e}",
                    i + 1
                )
            })?;
        }
        if !derived.same_as(&graph) {
            return Err(
                "graph is not what the operations make of the parent's graph (was the file \
                 edited?)"
                    .into(),
            );
        }
        Ok((answer, depth))
    }
}

/// The most operations one variant of an export may carry: [`MAX_INTERVENTIONS`] (Graft's
/// own variants carry a few).
pub const MAX_EXPORT_OPERATIONS: usize = MAX_INTERVENTIONS;

/// A whole export, checked and ready to insert.
struct Plan {
    /// The dataset name the first record carries.
    dataset: Option<String>,
    settings: Option<(u32, Settings)>,
    problems: Vec<Problem>,
    variants: Vec<Variant>,
    gold: Vec<Gold>,
    /// The variants' engine checks, still to run.
    derive: Vec<Derive>,
}

/// Checks the fields every kind may carry; `Err` says what is wrong.
type Check<T> = Result<T, String>;

fn one_of(what: &str, value: Option<&str>, allowed: &[&str]) -> Check<()> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(format!(
            "{what} is {v:?}; it must be one of {}",
            allowed.join(", ")
        )),
        _ => Ok(()),
    }
}

fn user_name(what: &str, name: &str) -> Check<()> {
    check_user_name(name)
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}"))
}

fn read_graph(json: &str, what: &str) -> Check<Graph> {
    serde_json::from_str(json).map_err(|e| format!("{what} does not read as a graph: {e}"))
}

/// The answer and depth a record states must be its graph's.
fn same_answer(g: &Graph, answer: Option<&str>, depth: Option<i64>) -> Check<(String, i64)> {
    let real = g.answer_value().to_string();
    let real_depth = i64::from(g.depth());
    if answer != Some(real.as_str()) {
        return Err(format!(
            "answer is {answer:?} but the graph gives {real:?}; export the dataset again"
        ));
    }
    if depth != Some(real_depth) {
        return Err(format!(
            "depth is {depth:?} but the graph's depth is {real_depth}"
        ));
    }
    Ok((real, real_depth))
}

fn check_labels(labels: &[Labels]) -> Check<()> {
    let mut seen = std::collections::HashSet::new();
    for l in labels {
        user_name("annotator", &l.annotator)?;
        if !seen.insert(l.annotator.to_ascii_lowercase()) {
            return Err(format!(
                "annotator {:?} appears twice on one item",
                l.annotator
            ));
        }
        if l.ratings.len() > MAX_STEPS {
            return Err(format!("more than {MAX_STEPS} ratings"));
        }
        if let Some(r) = l.ratings.iter().flatten().find(|r| !(-1..=1).contains(*r)) {
            return Err(format!(
                "rating {r} by {:?}: ratings are 1, 0, -1 or null",
                l.annotator
            ));
        }
        one_of(
            "finish_reason",
            l.finish_reason.as_deref(),
            &["solution_correct", "found_error", "bad_problem", "gave_up"],
        )?;
        if l.finish_reason.is_some() != l.finished_at.is_some() {
            return Err(format!(
                "annotation by {:?}: finish_reason and finished_at must both be set or both null",
                l.annotator
            ));
        }
    }
    Ok(())
}

fn check_steps(json: &str) -> Check<()> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(_)) => Ok(()),
        Ok(_) => Err("steps_json is not a JSON list of steps".into()),
        Err(e) => Err(format!("steps_json is not JSON: {e}")),
    }
}

/// Reads and checks every line; the lines that are wrong, with why, when any is.
fn plan(contents: &str) -> Result<Plan, Vec<LineError>> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    let mut failed = Vec::new();
    let mut plan = Plan {
        dataset: None,
        settings: None,
        problems: Vec::new(),
        variants: Vec::new(),
        gold: Vec::new(),
        derive: Vec::new(),
    };
    let mut problem_keys: HashMap<String, usize> = HashMap::new();
    let mut variant_keys: HashMap<String, usize> = HashMap::new();
    let mut gold_keys: HashMap<String, ()> = HashMap::new();
    // Keys of records that were refused: later references to them are not errors of their own.
    let mut refused: std::collections::HashSet<String> = Default::default();
    for (i, text) in contents.lines().enumerate() {
        let at = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let record: RecordIn = match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                failed.push(LineError {
                    line: at,
                    reason: format!("not a Graft export record: {e}"),
                });
                continue;
            }
        };
        let key = record.key.clone();
        let outcome = plan_record(
            &mut plan,
            record,
            at,
            &problem_keys,
            &variant_keys,
            &refused,
        );
        match outcome {
            Ok(Placed::Problem(index)) => {
                if problem_keys.insert(key.clone(), index).is_some() {
                    failed.push(LineError {
                        line: at,
                        reason: format!("key {key:?} is used by an earlier problem"),
                    });
                }
            }
            Ok(Placed::Variant(index)) => {
                if variant_keys.insert(key.clone(), index).is_some() {
                    failed.push(LineError {
                        line: at,
                        reason: format!("key {key:?} is used by an earlier variant"),
                    });
                }
            }
            Ok(Placed::Gold) => {
                if gold_keys.insert(key.clone(), ()).is_some() {
                    failed.push(LineError {
                        line: at,
                        reason: format!("key {key:?} is used by an earlier gold question"),
                    });
                }
            }
            Ok(Placed::Skipped) => {
                refused.insert(key);
            }
            Err(reason) => {
                refused.insert(key);
                failed.push(LineError { line: at, reason });
            }
        }
    }
    if failed.is_empty() {
        Ok(plan)
    } else {
        Err(failed)
    }
}

/// Where a checked record went.
enum Placed {
    Problem(usize),
    Variant(usize),
    Gold,
    /// It refers to a refused record (already reported).
    Skipped,
}

fn plan_record(
    plan: &mut Plan,
    mut r: RecordIn,
    at: u32,
    problem_keys: &HashMap<String, usize>,
    variant_keys: &HashMap<String, usize>,
    refused: &std::collections::HashSet<String>,
) -> Check<Placed> {
    match r.graft_export {
        1 => {}
        EXPORT_VERSION => r.absent_as_none(),
        other => {
            return Err(format!(
                "graft_export is {other}, but this graft reads exports of versions 1 to \
                 {EXPORT_VERSION}; use a newer graft"
            ))
        }
    }
    match &plan.dataset {
        None => plan.dataset = Some(r.dataset.clone()),
        Some(d) if *d != r.dataset => {
            return Err(format!(
                "dataset is {:?}, but earlier lines say {d:?}; one file holds one dataset",
                r.dataset
            ))
        }
        Some(_) => {}
    }
    if let Some(s) = r.dataset_settings {
        if plan.settings.is_some() {
            return Err("dataset_settings appear on a second record".into());
        }
        one_of(
            "dataset_settings.visibility",
            Some(&s.visibility),
            &["public", "private"],
        )?;
        if !(1..=10).contains(&s.overlap) {
            return Err(format!(
                "dataset_settings.overlap is {}; it must be 1 to 10",
                s.overlap
            ));
        }
        if !(0.0..=0.5).contains(&s.gold_rate) {
            return Err(format!(
                "dataset_settings.gold_rate is {}; it must be 0 to 0.5",
                s.gold_rate
            ));
        }
        plan.settings = Some((at, s));
    }
    let labels_of = |labels: Option<Vec<Labels>>| -> Check<Vec<Labels>> {
        let labels = labels.unwrap_or_default();
        check_labels(&labels)?;
        Ok(labels)
    };
    match r.kind.as_str() {
        "problem" => {
            if r.problem_key != r.key {
                return Err(format!(
                    "a problem's problem_key must be its own key {:?}",
                    r.key
                ));
            }
            let line = r.line.ok_or("a problem needs its line")?;
            let source = r.source.ok_or("a problem needs its source row")?;
            let (answer, depth) = match &r.graph {
                Some(g) => {
                    if r.error_category.is_some() {
                        return Err(
                            "a problem with a graph has no error_category; drop one of them".into(),
                        );
                    }
                    let graph = read_graph(g, "graph")?;
                    let (a, d) = same_answer(&graph, r.answer.as_deref(), r.depth)?;
                    (Some(a), Some(d))
                }
                None => {
                    if r.error_category.is_none() {
                        return Err(
                            "a problem without a graph needs its error_category (why there is \
                             none)"
                                .into(),
                        );
                    }
                    if r.answer.is_some() || r.depth.is_some() || r.llm_program.is_some() {
                        return Err(
                            "a problem without a graph has no answer, depth or llm_program".into(),
                        );
                    }
                    (None, None)
                }
            };
            plan.problems.push(Problem {
                at,
                line,
                external_id: r.external_id,
                question: r.question,
                source,
                graph: r.graph.map(Arc::from),
                depth,
                answer,
                error_category: r.error_category,
                error_detail: r.error_detail,
                llm_program: r.llm_program,
                created_at: r.created_at,
            });
            Ok(Placed::Problem(plan.problems.len() - 1))
        }
        "variant" => {
            let Some(&problem) = problem_keys.get(&r.problem_key) else {
                if refused.contains(&r.problem_key) {
                    return Ok(Placed::Skipped);
                }
                return Err(format!(
                    "problem_key {:?} names no problem above this line",
                    r.problem_key
                ));
            };
            let parent = match &r.parent_key {
                None => None,
                Some(k) => match variant_keys.get(k) {
                    Some(&v) => Some(v),
                    None if refused.contains(k) => return Ok(Placed::Skipped),
                    None => {
                        return Err(format!("parent_key {k:?} names no variant above this line"))
                    }
                },
            };
            if let Some(p) = parent {
                if plan.variants[p].problem != problem {
                    return Err(format!(
                        "parent_key {:?} is a variant of another problem than {:?}",
                        r.parent_key.unwrap_or_default(),
                        r.problem_key
                    ));
                }
            }
            let round = r.round.ok_or("a variant needs its round")?;
            if round < 1 {
                return Err(format!("round is {round}; rounds start at 1"));
            }
            let ops_json = r.operations.ok_or("a variant needs its operations")?;
            let operations: Vec<Intervention> = serde_json::from_str(&ops_json)
                .map_err(|e| format!("operations do not read as interventions: {e}"))?;
            if operations.len() > MAX_EXPORT_OPERATIONS {
                return Err(format!(
                    "operations lists {} interventions, over the limit of \
                     {MAX_EXPORT_OPERATIONS} for one variant (Graft's own variants carry a \
                     few; was the file edited?); split them over a chain of variants",
                    operations.len()
                ));
            }
            let graph: Arc<str> = r.graph.ok_or("a variant needs its graph")?.into();
            let parent_graph = match parent {
                Some(p) => plan.variants[p].graph.clone(),
                None => plan.problems[problem]
                    .graph
                    .clone()
                    .ok_or("its problem has no graph, so it can have no variants")?,
            };
            let derive = Derive {
                variant: plan.variants.len(),
                at,
                parent: parent_graph,
                operations,
                graph: graph.clone(),
                answer: r.answer,
                depth: r.depth,
            };
            let seed = r
                .seed
                .as_deref()
                .map(|s| {
                    s.parse::<u64>()
                        .map_err(|_| format!("seed {s:?} is not a whole number 0 to 2^64-1"))
                })
                .transpose()?;
            one_of("text_source", r.text_source.as_deref(), &["offline", "llm"])?;
            if let Some(v) = &r.verdict {
                let verdict: Verdict = serde_json::from_str(v)
                    .map_err(|e| format!("verdict does not read back: {e}"))?;
                let outcome = verdict.outcome().as_str();
                if r.verdict_outcome.as_deref() != Some(outcome) {
                    return Err(format!(
                        "verdict_outcome is {:?} but the verdict says {outcome:?}",
                        r.verdict_outcome
                    ));
                }
            } else if r.verdict_outcome.is_some() {
                return Err("verdict_outcome without a verdict".into());
            }
            let review_status = r.review_status.unwrap_or_else(|| "unreviewed".into());
            one_of(
                "review_status",
                Some(&review_status),
                &["unreviewed", "accepted", "rejected"],
            )?;
            for name in [&r.text_edited_by, &r.reviewed_by].into_iter().flatten() {
                user_name("user", name)?;
            }
            let history = r.review_history.unwrap_or_default();
            for e in &history {
                one_of(
                    "review_history decision",
                    Some(&e.decision),
                    &["accept", "reject", "edit", "reset"],
                )?;
                if let Some(by) = &e.by {
                    user_name("review_history by", by)?;
                }
            }
            let item = match r.steps_json {
                Some(steps) => {
                    check_steps(&steps)?;
                    Some(Item {
                        steps,
                        gold: None,
                        created_at: None,
                        labels: labels_of(r.labels)?,
                    })
                }
                None if r.labels.as_ref().is_some_and(|l| !l.is_empty()) => {
                    return Err("labels without steps_json (the steps they rate)".into())
                }
                None => None,
            };
            plan.variants.push(Variant {
                at,
                problem,
                parent,
                operations: ops_json,
                seed,
                round,
                chain: r.chain,
                graph,
                depth: 0,
                answer: String::new(),
                created_at: r.created_at,
                text: r.text,
                solution: r.solution,
                text_source: r.text_source,
                text_fallback: r.text_fallback,
                text_notes: r
                    .text_notes
                    .map(|n| serde_json::to_string(&n).unwrap_or_default()),
                text_edited_by: r.text_edited_by,
                verdict: r.verdict,
                verdict_outcome: r.verdict_outcome,
                review_status,
                review_reason: r.review_reason,
                reviewed_by: r.reviewed_by,
                reviewed_at: r.reviewed_at,
                history,
                item,
            });
            plan.derive.push(derive);
            Ok(Placed::Variant(plan.variants.len() - 1))
        }
        "gold" => {
            let vkey = r
                .variant_key
                .ok_or("a gold question needs its variant_key")?;
            let Some(&variant) = variant_keys.get(&vkey) else {
                if refused.contains(&vkey) {
                    return Ok(Placed::Skipped);
                }
                return Err(format!(
                    "variant_key {vkey:?} names no variant above this line"
                ));
            };
            let steps = r.steps_json.ok_or("a gold question needs its steps_json")?;
            check_steps(&steps)?;
            let first = r
                .gold_first_error
                .ok_or("a gold question needs its gold_first_error")?;
            if first < 0 {
                return Err(format!("gold_first_error is {first}; steps count from 0"));
            }
            plan.gold.push(Gold {
                at,
                variant,
                item: Item {
                    steps,
                    gold: Some((first, r.gold_detail)),
                    created_at: r.created_at,
                    labels: labels_of(r.labels)?,
                },
            });
            Ok(Placed::Gold)
        }
        other => Err(format!(
            "kind is {other:?}; it must be problem, variant or gold"
        )),
    }
}

// The current time as the store writes it, for `COALESCE`, is
// `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`: written out in each query below (sqlx's checked
// macros take literal SQL only), the same text as the column defaults in migrations/.

/// A failed insert of line `at`: a constraint the checks above missed refuses the file
/// naming the line; anything else is the database's failure.
fn at_line(at: u32, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) => refusal(vec![LineError {
            line: at,
            reason: format!("the database refused it: {d}"),
        }]),
        e => StoreError::Database(e),
    }
}

fn refusal(failed: Vec<LineError>) -> StoreError {
    let first = &failed[0];
    let reason = format!(
        "the Graft export has {} bad line{} (line {}: {}); nothing was imported",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" },
        first.line,
        first.reason
    );
    StoreError::NothingImported { reason, failed }
}

/// User ids by name (case-insensitive, as the users table compares them); missing users are
/// made as annotators without a password.
struct Users(HashMap<String, i64>);

impl Users {
    async fn id(
        &mut self,
        tx: &mut Transaction<'static, Sqlite>,
        name: &str,
        at: u32,
    ) -> StoreResult<i64> {
        let folded = name.to_ascii_lowercase();
        if let Some(&id) = self.0.get(&folded) {
            return Ok(id);
        }
        let found = sqlx::query_scalar!(r#"SELECT id AS "id!" FROM users WHERE name = ?"#, name)
            .fetch_optional(&mut **tx)
            .await?;
        let id = match found {
            Some(id) => id,
            None => sqlx::query!(
                "INSERT INTO users (name, password_hash, role) VALUES (?, NULL, 'annotator')",
                name
            )
            .execute(&mut **tx)
            .await
            .map_err(|e| at_line(at, e))?
            .last_insert_rowid(),
        };
        self.0.insert(folded, id);
        Ok(id)
    }

    async fn opt(
        &mut self,
        tx: &mut Transaction<'static, Sqlite>,
        name: Option<&str>,
        at: u32,
    ) -> StoreResult<Option<i64>> {
        match name {
            Some(n) => Ok(Some(self.id(tx, n, at).await?)),
            None => Ok(None),
        }
    }
}

impl Store {
    /// Imports a full Graft export ([`super::ExportFormat::Full`]) as a new dataset named
    /// `name`, else under the name the export carries, restoring its problems (graphs as
    /// stored), variants with their lineage, texts, verdicts, review decisions and history,
    /// label items (gold questions included) and step labels. Annotators and reviewers missing
    /// from this store are made as users with role `annotator` and no password (they cannot
    /// log in until given one). Share tokens are new.
    ///
    /// Every line is checked before anything is written, variants' graphs re-derived from
    /// their parents and operations; any bad line refuses the whole file
    /// ([`StoreError::NothingImported`], listing the lines). A variant may carry at most
    /// [`MAX_EXPORT_OPERATIONS`] operations. A taken name is [`StoreError::NameTaken`]. One
    /// transaction: nothing is stored unless everything is.
    ///
    /// The re-derivations are engine work: once every line reads, each variant's runs on an
    /// engine slot within the request budget (past it, its line is refused saying so), and all
    /// of them together within the job budget (past it, [`StoreError::Engine`], a 503).
    pub async fn import_export(
        &self,
        name: Option<&str>,
        contents: &str,
    ) -> StoreResult<ImportReport> {
        if let Some(n) = name {
            check_dataset_name(n)?;
        }
        let text = contents.to_string();
        let mut plan = blocking("reading the export", move || plan(&text))
            .await?
            .map_err(refusal)?;
        self.derive_variants(&mut plan).await?;
        if plan.problems.is_empty() {
            return Err(StoreError::NothingImported {
                reason: "the Graft export has no problem records; export the dataset again".into(),
                failed: Vec::new(),
            });
        }
        let exported = plan.dataset.as_deref().unwrap_or_default();
        let name = check_dataset_name(name.unwrap_or(exported))?.to_string();
        let mut tx = self.pool.begin().await?;
        let dataset_id = super::super::import::insert_dataset(&mut tx, &name).await?;
        if let Some((at, s)) = &plan.settings {
            sqlx::query!(
                "UPDATE datasets SET visibility = ?, guidelines = ?, overlap = ?, gold_rate = ?
                 WHERE id = ?",
                s.visibility,
                s.guidelines,
                s.overlap,
                s.gold_rate,
                dataset_id
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| at_line(*at, e))?;
        }
        let mut problem_ids = Vec::with_capacity(plan.problems.len());
        let mut extracted = 0u64;
        for p in &plan.problems {
            extracted += u64::from(p.graph.is_some());
            let token = new_share_token()?;
            let graph = p.graph.as_deref();
            let id = sqlx::query!(
                "INSERT INTO problems (dataset_id, line, external_id, question, source, graph,
                    error_category, error_detail, depth, answer, llm_program, share_token,
                    created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                dataset_id,
                p.line,
                p.external_id,
                p.question,
                p.source,
                graph,
                p.error_category,
                p.error_detail,
                p.depth,
                p.answer,
                p.llm_program,
                token,
                p.created_at
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| at_line(p.at, e))?
            .last_insert_rowid();
            problem_ids.push(id);
        }
        let mut users = Users(HashMap::new());
        // Bulk review actions get numbers after every one this store has.
        let bulk_base =
            sqlx::query_scalar!(r#"SELECT COALESCE(MAX(bulk), 0) AS "n!: i64" FROM review_events"#)
                .fetch_one(&mut *tx)
                .await?;
        let mut variant_ids = Vec::with_capacity(plan.variants.len());
        for v in &plan.variants {
            let edited_by = users
                .opt(&mut tx, v.text_edited_by.as_deref(), v.at)
                .await?;
            let reviewed_by = users.opt(&mut tx, v.reviewed_by.as_deref(), v.at).await?;
            let token = new_share_token()?;
            let parent = v.parent.map(|p| variant_ids[p]);
            let seed = v.seed.map(seed_to_db);
            let graph = &*v.graph;
            let id = sqlx::query!(
                "INSERT INTO variants (problem_id, parent_variant_id, operations, seed, round,
                    chain, graph, depth, answer, share_token, created_at, text, text_source,
                    text_fallback, text_notes, verdict, verdict_outcome, review_status,
                    review_reason, reviewed_by, reviewed_at, text_edited_by, solution)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?, ?, ?, ?, ?, ?, ?, ?,
                    ?, ?, ?, ?)",
                problem_ids[v.problem],
                parent,
                v.operations,
                seed,
                v.round,
                v.chain,
                graph,
                v.depth,
                v.answer,
                token,
                v.created_at,
                v.text,
                v.text_source,
                v.text_fallback,
                v.text_notes,
                v.verdict,
                v.verdict_outcome,
                v.review_status,
                v.review_reason,
                reviewed_by,
                v.reviewed_at,
                edited_by,
                v.solution
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| at_line(v.at, e))?
            .last_insert_rowid();
            variant_ids.push(id);
            for e in &v.history {
                let by = users.opt(&mut tx, e.by.as_deref(), v.at).await?;
                let bulk = e.bulk.map(|b| bulk_base + b);
                sqlx::query!(
                    "INSERT INTO review_events (variant_id, user_id, decision, reason,
                        text_before, bulk, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                    id,
                    by,
                    e.decision,
                    e.reason,
                    e.text_before,
                    bulk,
                    e.at
                )
                .execute(&mut *tx)
                .await
                .map_err(|e| at_line(v.at, e))?;
            }
            if let Some(item) = &v.item {
                insert_item(&mut tx, &mut users, dataset_id, id, item, v.at).await?;
            }
        }
        for g in &plan.gold {
            insert_item(
                &mut tx,
                &mut users,
                dataset_id,
                variant_ids[g.variant],
                &g.item,
                g.at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ImportReport {
            dataset_id,
            imported: plan.problems.len() as u64,
            extracted,
            failed: Vec::new(),
        })
    }
}

impl Store {
    /// Runs every variant's [`Derive`] check on the engine pool (as many at once as there are
    /// slots), filling in the variants' answers and depths; refuses the file naming the lines
    /// that fail.
    async fn derive_variants(&self, plan: &mut Plan) -> StoreResult<()> {
        use futures_util::stream::{self, StreamExt};
        let engine = self.engine.clone();
        let total = engine.job_budget();
        let checks = stream::iter(std::mem::take(&mut plan.derive))
            .map(|d| {
                let engine = engine.clone();
                async move {
                    let (variant, at) = (d.variant, d.at);
                    let what = format!("re-deriving the variant on line {at}");
                    let outcome = engine.row(&what, move || d.check()).await;
                    (variant, at, outcome)
                }
            })
            .buffered(engine_slots())
            .collect::<Vec<_>>();
        let outcomes = tokio::time::timeout(total, checks).await.map_err(|_| {
            StoreError::Engine(EngineError::TimedOut {
                what: "re-deriving the export's variants".into(),
                budget: total,
                job: true,
            })
        })?;
        let mut failed = Vec::new();
        for (variant, at, outcome) in outcomes {
            match outcome {
                Ok(Ok((answer, depth))) => {
                    let v = &mut plan.variants[variant];
                    v.answer = answer;
                    v.depth = depth;
                }
                Ok(Err(reason)) => failed.push(LineError { line: at, reason }),
                Err(e) => failed.push(LineError {
                    line: at,
                    reason: e.to_string(),
                }),
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(refusal(failed))
        }
    }
}

/// Inserts a label item with its annotations and step labels.
async fn insert_item(
    tx: &mut Transaction<'static, Sqlite>,
    users: &mut Users,
    dataset_id: i64,
    variant_id: i64,
    item: &Item,
    at: u32,
) -> StoreResult<()> {
    let (first_error, detail) = match &item.gold {
        Some((f, d)) => (Some(*f), d.as_deref()),
        None => (None, None),
    };
    let item_id = sqlx::query!(
        "INSERT INTO label_items (dataset_id, variant_id, steps, gold_first_error, gold_detail,
            created_at)
         VALUES (?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
        dataset_id,
        variant_id,
        item.steps,
        first_error,
        detail,
        item.created_at
    )
    .execute(&mut **tx)
    .await
    .map_err(|e| at_line(at, e))?
    .last_insert_rowid();
    for l in &item.labels {
        let user = users.id(tx, &l.annotator, at).await?;
        let annotation = sqlx::query!(
            "INSERT INTO annotations (item_id, user_id, flagged, flag_note, finish_reason,
                finished_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
            item_id,
            user,
            l.flagged,
            l.flag_note,
            l.finish_reason,
            l.finished_at,
            l.started_at,
            l.updated_at
        )
        .execute(&mut **tx)
        .await
        .map_err(|e| at_line(at, e))?
        .last_insert_rowid();
        for (step, rating) in l.ratings.iter().enumerate() {
            if let Some(r) = rating {
                let step = step as i64;
                sqlx::query!(
                    "INSERT INTO step_labels (annotation_id, step, rating) VALUES (?, ?, ?)",
                    annotation,
                    step,
                    r
                )
                .execute(&mut **tx)
                .await
                .map_err(|e| at_line(at, e))?;
            }
        }
    }
    Ok(())
}
