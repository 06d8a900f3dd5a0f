//! The JSON API of review and step labels: the review queue and decisions (annotators), bulk
//! decisions and dataset settings (admins), an annotator's label queue and edits, and the
//! annotation report (admins). Same conventions as [`crate::api`].

use app::account::Role;
use app::annotation::{Decision, LabelEdit, ReviewFilter};
use app::model::DatasetSettings;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use store::{Owned, Store};

use crate::api::{id_from, json_from, query_from, ApiResult, Who};
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
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> ApiResult<impl IntoResponse> {
    who.0.require(Role::Annotator, "review variants")?;
    let id = id_from(id, "dataset")?;
    let q = query_from(query)?;
    let filter = ReviewFilter {
        status: q.status,
        min_depth: q.min_depth,
        max_depth: q.max_depth,
        verdict: q.verdict,
        kind: q.kind,
        search: q.search,
    };
    Ok(Json(store.review_queue(id, &filter, q.after).await?))
}

async fn decide(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Decision>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let user = who.0.require(Role::Annotator, "review variants")?;
    let id = id_from(id, "variant")?;
    let decision = json_from(body)?;
    Ok(Json(store.decide(id, &decision, &user).await?))
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
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Bulk>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let user = who.0.require(Role::Admin, "accept or reject in bulk")?;
    let id = id_from(id, "dataset")?;
    let req = json_from(body)?;
    Ok(Json(
        store
            .bulk_decide(id, &req.filter, &req.decision, req.apply, &user)
            .await?,
    ))
}

async fn settings(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<DatasetSettings>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    who.0.require(Role::Admin, "change dataset settings")?;
    let id = id_from(id, "dataset")?;
    let settings = json_from(body)?;
    store.set_dataset_settings(id, &settings).await?;
    Ok(Json(settings))
}

async fn label_queue(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    let user = who.0.require(Role::Annotator, "label steps")?;
    let id = id_from(id, "dataset")?;
    Ok(Json(store.label_queue(id, &user).await?))
}

async fn edit_labels(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<LabelEdit>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let user = who.0.require(Role::Annotator, "label steps")?;
    let id = id_from(id, "label item")?;
    store
        .check_read_of(Some(&user), Owned::LabelItem, id)
        .await?;
    let edit = json_from(body)?;
    Ok(Json(store.label_edit(id, &user, &edit).await?))
}

async fn report(
    State(store): State<Store>,
    who: Who,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<impl IntoResponse> {
    who.0
        .require(Role::Admin, "see agreement and gold accuracy")?;
    let id = id_from(id, "dataset")?;
    Ok(Json(store.annotation_report(id).await?))
}
