//! Server functions: called over HTTP from the browser, run directly during server rendering.
//! Each reads the [`Store`](store::Store) the server provides as context.

use leptos::prelude::*;

use crate::model::{
    DatasetPage, DatasetSummary, ImportReport, JobSpec, JobStatus, LineError, ProblemVariants,
    Shared, StoredProblem, StoredVariant, VariantPage, VariantWords,
};

#[cfg(feature = "ssr")]
pub mod ssr {
    use leptos::prelude::*;

    use store::ErrorKind;
    pub use store::{Store, StoreError};

    /// The HTTP status of a kind of failure: decided here, at the edge, for the server
    /// functions and the JSON API alike.
    pub fn status_of(kind: ErrorKind) -> http::StatusCode {
        use http::StatusCode as S;
        match kind {
            ErrorKind::BadRequest => S::BAD_REQUEST,
            ErrorKind::Unauthorized => S::UNAUTHORIZED,
            ErrorKind::Forbidden => S::FORBIDDEN,
            ErrorKind::NotFound => S::NOT_FOUND,
            ErrorKind::Conflict => S::CONFLICT,
            ErrorKind::TooManyRequests => S::TOO_MANY_REQUESTS,
            ErrorKind::Internal => S::INTERNAL_SERVER_ERROR,
            ErrorKind::Unavailable => S::SERVICE_UNAVAILABLE,
        }
    }

    /// Runs a use case ([`store::Ops`]) as the request's caller: the one-line body of a server
    /// function. Its errors become the message the user sees, with their HTTP status.
    pub async fn op<T>(
        f: impl AsyncFnOnce(store::Ops<'_>) -> store::StoreResult<T>,
    ) -> Result<T, ServerFnError> {
        let store = store()?;
        let caller = crate::auth::caller();
        f(store.by(&caller)).await.map_err(fail)
    }

    /// The store the server provides.
    pub fn store() -> Result<Store, ServerFnError> {
        use_context::<Store>().ok_or_else(|| ServerFnError::new("the server provides no store"))
    }

    /// A store error as the message the user sees; sets the HTTP status for its kind.
    pub fn fail(e: StoreError) -> ServerFnError {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(status_of(e.kind()));
        }
        ServerFnError::new(e.to_string())
    }

    /// The drawing of `graph` for a page: kept from an earlier request or laid out on an
    /// engine slot within the request budget, never on an async worker
    /// ([`store::Drawings`]). Past the budget (or with every slot busy) the page gets
    /// the reason instead and still renders.
    pub async fn drawing_of(store: &Store, graph: &engine::Graph) -> crate::model::ServerDrawing {
        use crate::model::ServerDrawing;
        use store::EngineError;
        let nodes = graph.len();
        let seconds = |d: std::time::Duration| format!("{:.1} s", d.as_secs_f64());
        let drawn = store.drawing(graph).await;
        if drawn.is_err() {
            dont_keep();
        }
        match drawn {
            Ok(d) => ServerDrawing::Drawn((*d).clone()),
            Err(EngineError::TimedOut { budget, .. }) => ServerDrawing::NotDrawn(format!(
                "laying out this graph of {nodes} nodes took longer than {}, the server's limit \
                 for one request (GRAFT_ENGINE_BUDGET_MS); the server finishes it, so reload \
                 the page in a while",
                seconds(budget)
            )),
            Err(EngineError::Busy { budget, .. }) => ServerDrawing::NotDrawn(format!(
                "the server was busy with other engine work and could not lay out this graph \
                 of {nodes} nodes within {}; reload the page to try again",
                seconds(budget)
            )),
            Err(e) => ServerDrawing::NotDrawn(e.to_string()),
        }
    }

    /// Marks the response as one to be kept by no cache (`Cache-Control: no-store`): it shows
    /// a passing failure (a graph not drawn in time), so the server's response cache
    /// (`server::web_cache`) renders the page again on the next request.
    pub fn dont_keep() {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.insert_header(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
        }
    }

    /// Sets the drawing of a problem's graph, when it has one (see [`drawing_of`]).
    pub async fn draw_problem(store: &Store, p: &mut crate::model::StoredProblem) {
        if let Some(g) = &p.graph {
            p.drawing = Some(drawing_of(store, g).await);
        }
    }

    /// Sets the drawing of a variant's graph (see [`drawing_of`]).
    pub async fn draw_variant(store: &Store, v: &mut crate::model::StoredVariant) {
        v.drawing = Some(drawing_of(store, &v.graph).await);
        v.page_words = Some(page_words(store, v).await);
    }

    /// The words a variant's page shows ([`Store::variant_page_words`]); when they cannot be
    /// made (over the budget, a broken lineage) the page still renders and says why. The
    /// problem's graph is left out when it is the parent graph the page already carries.
    pub async fn page_words(
        store: &Store,
        v: &crate::model::StoredVariant,
    ) -> crate::wording::PageWords {
        match store.variant_page_words(v.id).await {
            Ok(mut w) => {
                if v.parent_variant_id.is_none() {
                    if let Some(d) = &mut w.descent {
                        d.original = None;
                    }
                }
                w
            }
            Err(e) => crate::wording::PageWords {
                descent: None,
                wording: crate::wording::Wording::failed(e.to_string()),
            },
        }
    }
}

#[cfg(feature = "ssr")]
use ssr::{fail, op, store};

/// Every dataset with its counts and depth histogram.
#[server]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, ServerFnError> {
    op(async |o| o.list_datasets().await).await
}

/// One page of a dataset's problems, or `None` when there is no such dataset.
#[server]
pub async fn get_dataset(
    id: i64,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<Option<DatasetPage>, ServerFnError> {
    op(async |o| o.dataset(id, offset, limit).await).await
}

/// A problem with its graph and variants, or `None`; its graph drawn for the page
/// ([`crate::model::ServerDrawing`]).
#[server]
pub async fn get_problem(id: i64) -> Result<Option<StoredProblem>, ServerFnError> {
    let mut p = op(async |o| o.problem(id).await).await?;
    if let Some(p) = &mut p {
        ssr::draw_problem(&store()?, p).await;
    }
    Ok(p)
}

/// A window of a problem's variants from `offset` (a page's worth), or `None`: no such
/// problem. With `token`, the problem that share token names (anyone with the link may read
/// it) and `id` is not read.
#[server]
pub async fn get_problem_variants(
    id: i64,
    token: Option<String>,
    offset: u64,
) -> Result<Option<ProblemVariants>, ServerFnError> {
    match token {
        Some(token) => {
            op(async |o| o.shared_problem_variants(&token, Some(offset), None).await).await
        }
        None => op(async |o| o.problem_variants(id, Some(offset), None).await).await,
    }
}

/// A variant with its graph and its parent's, or `None`; its graph drawn for the page.
#[server]
pub async fn get_variant(id: i64) -> Result<Option<StoredVariant>, ServerFnError> {
    let mut v = op(async |o| o.variant(id).await).await?;
    if let Some(v) = &mut v {
        ssr::draw_variant(&store()?, v).await;
    }
    Ok(v)
}

/// The problem or variant a share token names, or `None`; its graph drawn for the page.
#[server]
pub async fn get_shared(token: String) -> Result<Option<Shared>, ServerFnError> {
    let mut shared = op(async |o| o.shared(&token).await).await?;
    let store = store()?;
    match &mut shared {
        Some(Shared::Problem(p)) => ssr::draw_problem(&store, p).await,
        Some(Shared::Variant(v)) => ssr::draw_variant(&store, v).await,
        None => {}
    }
    Ok(shared)
}

/// What an import did: stored a dataset, or refused (storing nothing) with the reason and the
/// lines that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportOutcome {
    /// The dataset was stored.
    Imported(ImportReport),
    /// Nothing was stored.
    Refused {
        /// Why.
        reason: String,
        /// The lines that could not be read, with their line numbers.
        failed: Vec<LineError>,
    },
}

/// Imports a JSONL file's text as a new dataset called `name`. A refusal (bad name, nothing
/// readable) is an [`ImportOutcome::Refused`], not an error: the page shows it as a report.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn import_dataset(
    name: String,
    contents: String,
) -> Result<ImportOutcome, ServerFnError> {
    use store::ErrorKind;
    let who = crate::auth::caller();
    match store()?.by(&who).import_dataset(&name, &contents).await {
        Ok(report) => Ok(ImportOutcome::Imported(report)),
        Err(ssr::StoreError::NothingImported { reason, failed }) => {
            Ok(ImportOutcome::Refused { reason, failed })
        }
        Err(e) if matches!(e.kind(), ErrorKind::BadRequest | ErrorKind::Conflict) => {
            Ok(ImportOutcome::Refused {
                reason: e.to_string(),
                failed: Vec::new(),
            })
        }
        Err(e) => Err(fail(e)),
    }
}

/// Saves the interventions applied to a problem (or to one of its variants) as a new variant;
/// the server re-applies them to the stored graph. Returns the new variant's id.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_variant(
    problem_id: i64,
    parent_variant_id: Option<i64>,
    operations: Vec<engine::intervene::Intervention>,
) -> Result<i64, ServerFnError> {
    let new = crate::model::NewVariant {
        parent_variant_id,
        operations,
        seed: None,
    };
    op(async |o| Ok(o.save_variant(problem_id, new).await?.id)).await
}

/// Adds one problem (a question with a Python program when `python`, else a GSM8K answer) to a
/// dataset. Returns the new problem's id.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn add_problem(
    dataset_id: i64,
    question: String,
    solution: String,
    python: bool,
) -> Result<i64, ServerFnError> {
    op(async |o| {
        o.add_problem(dataset_id, &question, &solution, python)
            .await
    })
    .await
}

/// Starts a curriculum job; returns its id.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn start_job(spec: JobSpec) -> Result<i64, ServerFnError> {
    op(async |o| Ok(o.start_job(&spec).await?.id)).await
}

/// A job's progress, or `None`.
#[server]
pub async fn get_job(id: i64) -> Result<Option<JobStatus>, ServerFnError> {
    op(async |o| o.job(id).await).await
}

/// The jobs of a dataset, newest first.
#[server]
pub async fn list_jobs(dataset_id: i64) -> Result<Vec<JobStatus>, ServerFnError> {
    op(async |o| o.dataset_jobs(dataset_id).await).await
}

/// What a verbalize or judge request did: the variant's words, or why nothing changed (a
/// model outage, say). A refusal is a value, not an error, so the page shows it in place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum WordsOutcome {
    /// The variant's text, verdict and calls now.
    Done(Box<VariantWords>),
    /// Nothing changed, and why.
    Refused(String),
}

#[cfg(feature = "ssr")]
fn words_outcome(r: Result<VariantWords, ssr::StoreError>) -> Result<WordsOutcome, ServerFnError> {
    use store::ErrorKind;
    match r {
        Ok(w) => Ok(WordsOutcome::Done(Box::new(w))),
        // The model or the variant said no: shown in place. Permission refusals and the
        // server's own failures stay errors, with their status.
        Err(e)
            if !matches!(
                e.kind(),
                ErrorKind::Internal | ErrorKind::Unauthorized | ErrorKind::Forbidden
            ) =>
        {
            Ok(WordsOutcome::Refused(e.to_string()))
        }
        Err(e) => Err(fail(e)),
    }
}

/// Writes a variant's problem text: with the server's model unless `offline` (or none is
/// configured), else with the offline verbalizer.
#[server]
pub async fn verbalize_variant(id: i64, offline: bool) -> Result<WordsOutcome, ServerFnError> {
    let who = crate::auth::caller();
    words_outcome(store()?.by(&who).verbalize_variant(id, offline).await)
}

/// Judges a variant: execution and consistency, and the LLM judge with the server's model
/// unless `offline` (or none is configured).
#[server]
pub async fn judge_variant(id: i64, offline: bool) -> Result<WordsOutcome, ServerFnError> {
    let who = crate::auth::caller();
    words_outcome(store()?.by(&who).judge_variant(id, offline).await)
}

/// A page of a dataset's variants, optionally only those with one verdict (`pass`, `fail`,
/// `incomplete`, `unjudged`).
#[server]
pub async fn list_variants(
    dataset_id: i64,
    verdict: Option<String>,
    offset: u64,
) -> Result<VariantPage, ServerFnError> {
    op(async |o| {
        o.dataset_variants(dataset_id, verdict.as_deref(), offset, 50)
            .await
    })
    .await
}

/// A dataset's evaluation report: each model's stored solutions by depth, round and
/// intervention kind, with Wilson 95% intervals and pass@k.
#[server]
pub async fn get_eval_report(dataset_id: i64) -> Result<types::eval::EvalReport, ServerFnError> {
    op(async |o| o.eval_report(dataset_id).await).await
}

/// Queues a failed (paused) job again; returns its status.
#[server]
pub async fn resume_job(id: i64) -> Result<JobStatus, ServerFnError> {
    op(async |o| o.resume_job(id).await).await
}
