//! The JSON API of accounts: `POST /api/login`, `POST /api/logout`, `GET /api/me`, and the
//! admin's `GET|POST /api/users`. Same conventions as [`crate::api`].

use app::account::Role;
use app::auth::{log_in, log_out};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use store::{LoginLimiter, Store, LOGIN_REFUSED};
use tower_sessions::Session;

use crate::api::{json_from, ApiError, ApiResult, Who};
use crate::web::AppState;

/// The accounts routes (merged into the server's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/users", get(list_users).post(add_user))
}

/// The body of `POST /api/login`.
#[derive(Deserialize)]
struct Login {
    name: String,
    password: String,
}

async fn login(
    State(store): State<Store>,
    State(limiter): State<LoginLimiter>,
    session: Session,
    who: Who,
    body: Result<Json<Login>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    let req = json_from(body)?;
    let address = who.0.address.as_deref();
    match log_in(
        &store,
        &limiter,
        &session,
        &req.name,
        &req.password,
        address,
    )
    .await?
    {
        Some(user) => Ok(Json(serde_json::json!({ "user": user }))),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, LOGIN_REFUSED)),
    }
}

async fn logout(session: Session) -> ApiResult<impl IntoResponse> {
    log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(who: Who) -> impl IntoResponse {
    Json(serde_json::json!({ "user": who.0.user }))
}

async fn list_users(State(store): State<Store>, who: Who) -> ApiResult<impl IntoResponse> {
    who.0.require(Role::Admin, "list users")?;
    Ok(Json(store.list_users().await?))
}

/// The body of `POST /api/users`.
#[derive(Deserialize)]
struct NewUser {
    name: String,
    role: String,
    password: String,
}

async fn add_user(
    State(store): State<Store>,
    who: Who,
    body: Result<Json<NewUser>, JsonRejection>,
) -> ApiResult<impl IntoResponse> {
    who.0.require(Role::Admin, "add users")?;
    let req = json_from(body)?;
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown role {:?}; use admin, annotator or viewer",
                req.role
            ),
        )
    })?;
    let user = store.create_user(&req.name, role, &req.password).await?;
    Ok((StatusCode::CREATED, Json(user)))
}
