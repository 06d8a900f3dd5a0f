//! The JSON API under `/api/…`: datasets, problems, variants, jobs and share links.
//!
//! JSON in, JSON out. Every failure is `{"error": "…"}` (an import with no readable row adds
//! `"failed": [{line, reason}]`) with a 4xx status for the caller's mistakes and 500 for the
//! server's; no input makes a handler panic. README.md ("JSON API") lists every endpoint with
//! a curl example.

use app::api::ssr::status_of;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{Caller, ErrorKind, ExportFormat, Store, StoreError};
use types::model::{JobSpec, LineError, NewSolution, NewVariant};

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
        let status = status_of(e.kind());
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

/// Who sent the request (the `identify` middleware of [`crate::web`] put it in the extensions).
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

/// The JSON API's routes (merged into the server's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/datasets", get(list_datasets).post(import_dataset))
        .route("/api/datasets/{id}", get(get_dataset))
        .route("/api/datasets/{id}/jobs", get(list_jobs))
        .route("/api/datasets/{id}/variants", get(dataset_variants))
        .route("/api/datasets/{id}/export", get(export_dataset))
        .route("/api/datasets/{id}/eval", get(eval_report))
        .route("/api/problems/{id}/extract", post(extract_problem))
        .route("/api/variants/{id}/verbalize", post(verbalize_variant))
        .route("/api/variants/{id}/judge", post(judge_variant))
        .route("/api/jobs/{id}/resume", post(resume_job))
        .route("/api/problems/{id}", get(get_problem))
        .route(
            "/api/problems/{id}/variants",
            get(list_problem_variants).post(save_variant),
        )
        .route("/api/variants/{id}", get(get_variant))
        .route(
            "/api/variants/{id}/solutions",
            get(list_solutions).post(add_solution),
        )
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

/// A JSON body, or the API's 4xx error saying what is wrong with it.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::new(
            e.status(),
            format!(
                "{} (send a JSON object with the header Content-Type: application/json)",
                e.body_text()
            ),
        )
    }
}

/// A query string, or the API's 400 saying what is wrong with it.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::bad_request(format!("bad query string: {}", e.body_text()))
    }
}

/// The id in a request's path (`/api/problems/{id}`), or the API's 400 that shows the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(e) => Err(path_error(parts.uri.path(), e)),
        }
    }
}

fn path_error(path: &str, e: PathRejection) -> ApiError {
    ApiError::bad_request(format!(
        "the id in the path {path} is not a whole number ({}); ids look like /api/problems/1",
        e.body_text()
    ))
}

/// A request body that is UTF-8 text (a JSONL file), or the API's error saying where it is not.
pub struct Utf8Body(pub String);

impl<S: Send + Sync> FromRequest<S> for Utf8Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                ApiError::new(
                    e.status(),
                    format!(
                        "cannot read the request body: {} (the limit is 64 MiB)",
                        e.body_text()
                    ),
                )
            })?;
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Ok(Utf8Body(text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                Err(ApiError::bad_request(format!(
                    "the body is not UTF-8 text (first bad byte on line {line}, byte {at}); send \
                     the JSONL file as UTF-8"
                )))
            }
        }
    }
}

/// `Some` as JSON, `None` as the API's 404 for `what` `id`.
fn found<T>(value: Option<T>, what: &str, id: impl std::fmt::Display) -> ApiResult<Json<T>> {
    value.map(Json).ok_or_else(|| ApiError::not_found(what, id))
}

async fn list_datasets(State(store): State<Store>, Who(who): Who) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).list_datasets().await?))
}

/// `?name=` of an import.
#[derive(Deserialize)]
struct ImportQuery {
    name: Option<String>,
}

async fn import_dataset(
    State(store): State<Store>,
    Who(who): Who,
    ApiQuery(query): ApiQuery<ImportQuery>,
    Utf8Body(text): Utf8Body,
) -> ApiResult<impl IntoResponse> {
    let name = query.name.ok_or_else(|| {
        ApiError::bad_request(
            "give the dataset a name: POST /api/datasets?name=NAME with the JSONL file as the body",
        )
    })?;
    let report = store.by(&who).import_dataset(&name, &text).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// `?offset=&limit=` of a page: a dataset's problems, or a problem's variants.
#[derive(Deserialize)]
struct PageQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

async fn get_dataset(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    found(
        store.by(&who).dataset(id, q.offset, q.limit).await?,
        "dataset",
        id,
    )
}

async fn list_jobs(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).dataset_jobs(id).await?))
}

/// `GET /api/datasets/{id}/eval`: the evaluation report of the dataset's stored model
/// solutions (`types::eval::EvalReport`).
async fn eval_report(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).eval_report(id).await?))
}

async fn get_problem(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    found(
        store.by(&who).problem_page(id, q.offset, q.limit).await?,
        "problem",
        id,
    )
}

async fn list_problem_variants(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    found(
        store
            .by(&who)
            .problem_variants(id, q.offset, q.limit)
            .await?,
        "problem",
        id,
    )
}

async fn save_variant(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(new): ApiJson<NewVariant>,
) -> ApiResult<impl IntoResponse> {
    let saved = store.by(&who).save_variant(id, new).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn get_variant(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    found(store.by(&who).variant(id).await?, "variant", id)
}

async fn add_solution(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(new): ApiJson<NewSolution>,
) -> ApiResult<impl IntoResponse> {
    let stored = store.by(&who).add_solution(id, &new).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn list_solutions(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).solutions(id).await?))
}

async fn create_job(
    State(store): State<Store>,
    Who(who): Who,
    ApiJson(spec): ApiJson<JobSpec>,
) -> ApiResult<impl IntoResponse> {
    let status = store.by(&who).start_job(&spec).await?;
    Ok((StatusCode::CREATED, Json(status)))
}

async fn list_all_jobs(State(store): State<Store>, Who(who): Who) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).all_jobs().await?))
}

async fn get_job(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    found(store.by(&who).job(id).await?, "job", id)
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
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    let failures = store.by(&who).job_failures(id).await?;
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

async fn verbalize_variant(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<WordsQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).verbalize_variant(id, q.offline).await?))
}

async fn judge_variant(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<WordsQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).judge_variant(id, q.offline).await?))
}

async fn extract_problem(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).extract_problem(id).await?))
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
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<VariantQuery>,
) -> ApiResult<impl IntoResponse> {
    let (offset, limit) = (q.offset.unwrap_or(0), q.limit.unwrap_or(50));
    let ops = store.by(&who);
    Ok(Json(
        ops.dataset_variants(id, q.verdict.as_deref(), offset, limit)
            .await?,
    ))
}

async fn resume_job(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).resume_job(id).await?))
}

async fn get_shared(
    State(store): State<Store>,
    Who(who): Who,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let token = token
        .map(|Path(t)| t)
        .map_err(|e| ApiError::bad_request(format!("bad share token: {}", e.body_text())))?;
    store
        .by(&who)
        .shared(&token)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no problem or variant has this share link (check that the link was copied whole)",
            )
        })
}

/// `?format=` of an export.
#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// `GET /api/datasets/{id}/export?format=full|prm|gsm8k|trl|prm800k|parquet`: the dataset as JSONL, streamed as it is
/// read (`application/x-ndjson`, with a file name to save it under); `parquet`: its variants
/// as one Parquet file (`application/vnd.apache.parquet`), streamed a row group at a time.
async fn export_dataset(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    use futures_util::TryStreamExt;
    let format = match q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => ExportFormat::Full,
        Some(f) => ExportFormat::parse(f).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown export format {f:?}; use format=full (everything, importable), \
                 format=prm (labelled solutions), format=gsm8k (GSM8K rows per variant), \
                 format=trl (TRL stepwise supervision per model solution), format=prm800k \
                 (PRM800K-like records per model solution) or format=parquet (the variants as \
                 Parquet)"
            ))
        })?,
    };
    let stream = store.by(&who).export(id, format).await?;
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
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
