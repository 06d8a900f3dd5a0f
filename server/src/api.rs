//! The JSON API under `/api/…`: datasets, problems, variants, jobs and share links.
//!
//! JSON in, JSON out. Every failure is `{"error": "…"}` (an import with no readable row adds
//! `"failed": [{line, reason}]`) with a 4xx status for the caller's mistakes and 500 for the
//! server's; no input makes a handler panic. README.md ("JSON API") lists every endpoint with
//! a curl example.

use app::account::Role;
use app::auth::Caller;
use app::model::{JobSpec, LineError, NewVariant};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{ErrorKind, ExportFormat, Owned, Store, StoreError};

use crate::web::AppState;

/// An error answer: a status and `{"error": message}` (plus the unreadable lines of an
/// import that stored nothing).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    failed: Option<Vec<LineError>>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed: Option<&'a [LineError]>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            failed: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{what} {id} does not exist (check the id)"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.kind() == ErrorKind::Internal {
            tracing::error!("internal error: {e}");
        }
        let status =
            StatusCode::from_u16(e.kind().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = e.to_string();
        let failed = match e {
            StoreError::NothingImported { failed, .. } => Some(failed),
            _ => None,
        };
        ApiError {
            status,
            message,
            failed,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            failed: self.failed.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

/// Who sent the request (the session middleware in `cli::serve` put it in the extensions).
pub struct Who(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Who(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default()))
    }
}

impl Who {
    /// Whether the caller is an admin.
    fn is_admin(&self) -> bool {
        app::account::has_role(self.0.user.as_ref(), Role::Admin)
    }

    /// Fails unless the caller is an admin; `doing` says what for.
    fn admin(&self, doing: &str) -> ApiResult<()> {
        self.0.require(Role::Admin, doing)?;
        Ok(())
    }

    /// Fails unless the caller may read dataset `id`.
    async fn read(&self, store: &Store, id: i64) -> ApiResult<()> {
        Ok(store.check_read(self.0.user.as_ref(), id).await?)
    }

    /// Fails unless the caller may read the dataset row `id` (`what`) belongs to.
    async fn read_of(&self, store: &Store, what: Owned, id: i64) -> ApiResult<()> {
        Ok(store.check_read_of(self.0.user.as_ref(), what, id).await?)
    }
}

/// The JSON API's routes (merged into the server's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/datasets", get(list_datasets).post(import_dataset))
        .route("/api/datasets/{id}", get(get_dataset))
        .route("/api/datasets/{id}/jobs", get(list_jobs))
        .route("/api/datasets/{id}/variants", get(dataset_variants))
        .route("/api/datasets/{id}/export", get(export_dataset))
        .route("/api/problems/{id}/extract", post(extract_problem))
        .route("/api/variants/{id}/verbalize", post(verbalize_variant))
        .route("/api/variants/{id}/judge", post(judge_variant))
        .route("/api/jobs/{id}/resume", post(resume_job))
        .route("/api/problems/{id}", get(get_problem))
        .route("/api/problems/{id}/variants", post(save_variant))
        .route("/api/variants/{id}", get(get_variant))
        .route("/api/jobs", get(list_all_jobs).post(create_job))
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/jobs/{id}/failures", get(job_failures))
        .route("/api/s/{token}", get(get_shared))
        // axum answers a known path with another method by an empty 405: say it in JSON.
        .layer(axum::middleware::map_response(json_method_not_allowed))
}

/// Gives axum's bodiless 405 a JSON error body (axum adds the `Allow` header afterwards).
async fn json_method_not_allowed(method: Method, uri: Uri, res: Response) -> Response {
    if res.status() != StatusCode::METHOD_NOT_ALLOWED
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return res;
    }
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{method} is not allowed on {}; the Allow header lists the methods it takes",
            uri.path()
        ),
    )
    .into_response()
}

/// `/api/…` paths that are neither an endpoint above nor a server function.
pub async fn unknown_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no API endpoint {method} {}; the endpoints are listed in README.md under \"JSON API\"",
            uri.path()
        ),
    )
}

/// The path's id, or a 400 that names `what` it should be.
pub fn id_from(path: Result<Path<i64>, PathRejection>, what: &str) -> ApiResult<i64> {
    path.map(|Path(id)| id).map_err(|e| {
        ApiError::bad_request(format!(
            "the {what} id in the path is not a whole number ({}); use e.g. /api/{what}s/1",
            e.body_text()
        ))
    })
}

/// The JSON body, or a 4xx [`ApiError`] that says what is wrong with it.
pub fn json_from<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(v)| v).map_err(|e| {
        ApiError::new(
            e.status(),
            format!(
                "{} (send a JSON object with the header Content-Type: application/json)",
                e.body_text()
            ),
        )
    })
}

/// The query string, or a 400 that says what is wrong with it.
pub fn query_from<T>(query: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))
}

async fn list_datasets(State(store): State<Store>, who: Who) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.list_datasets(who.0.user.is_none()).await?))
}

/// `?name=` of an import.
#[derive(Deserialize)]
struct ImportQuery {
    name: Option<String>,
}

async fn import_dataset(
    State(store): State<Store>,
    who: Who,
    query: Result<Query<ImportQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    who.admin("import a dataset")?;
    let name = query_from(query)?.name.ok_or_else(|| {
        ApiError::bad_request(
            "give the dataset a name: POST /api/datasets?name=NAME with the JSONL file as the body",
        )
    })?;
    let body = body.map_err(|e| {
        ApiError::new(
            e.status(),
            format!(
                "cannot read the request body: {} (the limit is 64 MiB)",
                e.body_text()
            ),
        )
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ApiError::bad_request(format!(
            "the body is not UTF-8 text (first bad byte on line {line}, byte {}); send the JSONL \
             file as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let report = store.import_jsonl(&name, text).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// `?offset=&limit=` of a dataset page.
#[derive(Deserialize)]
struct PageQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

async fn get_dataset(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "dataset")?;
    who.read(&store, id).await?;
    let q = query_from(query)?;
    match store.dataset(id, q.offset, q.limit).await? {
        Some(mut page) => {
            page.can_write = who.is_admin();
            Ok(Json(page))
        }
        None => Err(ApiError::not_found("dataset", id)),
    }
}

async fn list_jobs(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "dataset")?;
    who.read(&store, id).await?;
    if store.dataset_summary(id).await?.is_none() {
        return Err(ApiError::not_found("dataset", id));
    }
    Ok(Json(store.list_jobs(Some(id)).await?))
}

async fn get_problem(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "problem")?;
    who.read_of(&store, Owned::Problem, id).await?;
    match store.problem(id).await? {
        Some(mut p) => {
            p.can_write = who.is_admin();
            Ok(Json(p))
        }
        None => Err(ApiError::not_found("problem", id)),
    }
}

async fn save_variant(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<NewVariant>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    who.admin("save variants")?;
    let id = id_from(id, "problem")?;
    let req = json_from(body)?;
    let saved = store
        .save_variant(id, req.parent_variant_id, req.operations, req.seed)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn get_variant(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "variant")?;
    who.read_of(&store, Owned::Variant, id).await?;
    match store.variant(id).await? {
        Some(mut v) => {
            v.can_write = who.is_admin();
            Ok(Json(v))
        }
        None => Err(ApiError::not_found("variant", id)),
    }
}

async fn create_job(
    State(store): State<Store>,
    who: Who,
    body: Result<Json<JobSpec>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    who.admin("start jobs")?;
    let spec = json_from(body)?;
    let id = store.create_job(&spec).await?;
    match store.job(id).await? {
        Some(status) => Ok((StatusCode::CREATED, Json(status))),
        None => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("job {id} vanished right after it was created"),
        )),
    }
}

async fn list_all_jobs(State(store): State<Store>, who: Who) -> ApiResult<impl IntoResponse> {
    let mut jobs = store.list_jobs(None).await?;
    if who.0.user.is_none() {
        let public: Vec<i64> = store
            .list_datasets(true)
            .await?
            .iter()
            .map(|d| d.id)
            .collect();
        jobs.retain(|j| public.contains(&j.dataset_id));
    }
    Ok(Json(jobs))
}

async fn get_job(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "job")?;
    who.read_of(&store, Owned::Job, id).await?;
    match store.job(id).await? {
        Some(j) => Ok(Json(j)),
        None => Err(ApiError::not_found("job", id)),
    }
}

/// One failed item of a job, as `GET /api/jobs/{id}/failures` lists it.
#[derive(Serialize)]
struct JobFailure {
    /// The problem's id (curriculum, extract) or the variant's (verbalize, judge).
    item: i64,
    /// Why it failed.
    reason: String,
}

async fn job_failures(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "job")?;
    who.read_of(&store, Owned::Job, id).await?;
    let failures = store.job_failures(id).await?;
    Ok(Json(
        failures
            .into_iter()
            .map(|(item, reason)| JobFailure { item, reason })
            .collect::<Vec<_>>(),
    ))
}

/// `?offline=true` of verbalize and judge: use no model even when the server has one.
#[derive(Deserialize)]
struct WordsQuery {
    #[serde(default)]
    offline: bool,
}

/// What `POST /api/variants/{id}/…` does.
#[derive(Clone, Copy)]
enum WordsTask {
    Verbalize,
    Judge,
}

/// Verbalizes or judges a variant with the server's model (none with `?offline=true`).
async fn words(
    store: Store,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<WordsQuery>, QueryRejection>,
    task: WordsTask,
) -> ApiResult<Json<app::model::VariantWords>> {
    who.admin(match task {
        WordsTask::Verbalize => "verbalize variants",
        WordsTask::Judge => "judge variants",
    })?;
    let id = id_from(id, "variant")?;
    let q = query_from(query)?;
    let budget = llm::Budget::unlimited();
    let model = store.llm().filter(|_| !q.offline).map(|c| (c, &budget));
    let words = match task {
        WordsTask::Verbalize => store.verbalize_variant(id, model, None).await?,
        WordsTask::Judge => store.judge_variant(id, model, None).await?,
    };
    Ok(Json(words))
}

async fn verbalize_variant(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<WordsQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    words(store, who, id, query, WordsTask::Verbalize).await
}

async fn judge_variant(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<WordsQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    words(store, who, id, query, WordsTask::Judge).await
}

async fn extract_problem(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    who.admin("extract problems")?;
    let id = id_from(id, "problem")?;
    let client = store.llm().cloned().ok_or_else(|| {
        ApiError::bad_request(
            "extracting with a model needs one: start graft with GRAFT_LLM_BASE_URL and \
             GRAFT_LLM_MODEL (see the README)",
        )
    })?;
    let extracted = store
        .extract_problem(id, &client, &llm::Budget::unlimited(), None)
        .await?;
    match store.problem(id).await? {
        Some(p) => Ok(Json(
            serde_json::json!({"extracted": extracted, "problem": p}),
        )),
        None => Err(ApiError::not_found("problem", id)),
    }
}

/// `?verdict=&offset=&limit=` of a dataset's variant list.
#[derive(Deserialize)]
struct VariantQuery {
    verdict: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
}

async fn dataset_variants(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<VariantQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    let id = id_from(id, "dataset")?;
    who.read(&store, id).await?;
    let q = query_from(query)?;
    let page = store
        .dataset_variants(
            id,
            q.verdict.as_deref().filter(|v| !v.is_empty()),
            q.offset.unwrap_or(0),
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(page))
}

async fn resume_job(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    who.admin("resume jobs")?;
    let id = id_from(id, "job")?;
    Ok(Json(store.resume_job(id).await?))
}

async fn get_shared(
    State(store): State<Store>,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let token = token
        .map(|Path(t)| t)
        .map_err(|e| ApiError::bad_request(format!("bad share token: {}", e.body_text())))?;
    match store.shared(&token).await? {
        Some(s) => Ok(Json(s)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no problem or variant has this share link (check that the link was copied whole)",
        )),
    }
}

/// `?format=` of an export.
#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// `GET /api/datasets/{id}/export?format=full|prm|gsm8k`: the dataset as JSONL, streamed as it is
/// read (`application/x-ndjson`, with a file name to save it under).
async fn export_dataset(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    use futures_util::TryStreamExt;
    // Admins only: an export holds every annotator's labels, which annotators never see.
    who.admin("export datasets")?;
    let id = id_from(id, "dataset")?;
    let q = query_from(query)?;
    let format = match q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => ExportFormat::Full,
        Some(f) => ExportFormat::parse(f).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown export format {f:?}; use format=full (everything, importable) or \
                 format=prm (labelled solutions) or format=gsm8k (GSM8K rows per variant)"
            ))
        })?,
    };
    let stream = store.export(id, format).await?;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", stream.file_name()))
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // An error part-way cuts the response short (the client sees an incomplete body).
    let body = Body::from_stream(
        stream.inspect_err(move |e| tracing::error!(dataset = id, "the export stopped: {e}")),
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
