//! The JSON API of review and step labels: the review queue and decisions (annotators), bulk
//! decisions and dataset settings (admins), an annotator's label queue and edits, and the
//! annotation report (admins). Same conventions as [`crate::api`].

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use store::Store;
use types::annotation::{Decision, LabelEdit, ReviewFilter};
use types::model::DatasetSettings;

use crate::api::{ApiJson, ApiQuery, ApiResult, Id, Who};
use crate::web::AppState;

/// The review and labelling routes (merged into the server's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/datasets/{id}/review", get(review_queue))
        .route("/api/datasets/{id}/review/bulk", post(bulk))
        .route("/api/datasets/{id}/settings", post(settings))
        .route("/api/datasets/{id}/labels/next", get(label_queue))
        .route("/api/datasets/{id}/annotations", get(report))
        .route("/api/variants/{id}/review", post(decide))
        .route("/api/label-items/{id}", post(edit_labels))
}

/// The review filter and where the queue resumes. The filter's fields are listed here, not
/// flattened from [`ReviewFilter`]: a flattened query string reads every value as text, so
/// `?min_depth=3` would not read as a number.
#[derive(Deserialize)]
struct QueueQuery {
    status: Option<String>,
    min_depth: Option<i64>,
    max_depth: Option<i64>,
    verdict: Option<String>,
    kind: Option<String>,
    search: Option<String>,
    after: Option<i64>,
}

async fn review_queue(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<impl IntoResponse> {
    let filter = ReviewFilter {
        status: q.status,
        min_depth: q.min_depth,
        max_depth: q.max_depth,
        verdict: q.verdict,
        kind: q.kind,
        search: q.search,
    };
    Ok(Json(
        store.by(&who).review_queue(id, &filter, q.after).await?,
    ))
}

async fn decide(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).decide(id, &decision).await?))
}

/// The body of a bulk decision.
#[derive(Deserialize)]
struct Bulk {
    #[serde(default)]
    filter: ReviewFilter,
    decision: Decision,
    /// `false` (the default) only counts.
    #[serde(default)]
    apply: bool,
}

async fn bulk(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(b): ApiJson<Bulk>,
) -> ApiResult<impl IntoResponse> {
    let ops = store.by(&who);
    Ok(Json(
        ops.bulk_decide(id, &b.filter, &b.decision, b.apply).await?,
    ))
}

async fn settings(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(settings): ApiJson<DatasetSettings>,
) -> ApiResult<impl IntoResponse> {
    store.by(&who).set_dataset_settings(id, &settings).await?;
    Ok(Json(settings))
}

async fn label_queue(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).label_queue(id).await?))
}

async fn edit_labels(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
    ApiJson(edit): ApiJson<LabelEdit>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).edit_labels(id, &edit).await?))
}

async fn report(
    State(store): State<Store>,
    Who(who): Who,
    Id(id): Id,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).annotation_report(id).await?))
}
