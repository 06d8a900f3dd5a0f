//! The JSON API of accounts: `POST /api/login`, `POST /api/logout`, `GET /api/me`, and the
//! admin's `GET|POST /api/users`. Same conventions as [`crate::api`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use store::caller::log_out;
use store::{LoginLimiter, Store};
use tower_sessions::Session;
use types::account::LoginOutcome;

use crate::api::{ApiError, ApiJson, ApiResult, Who};
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
    Who(who): Who,
    ApiJson(req): ApiJson<Login>,
) -> ApiResult<impl IntoResponse> {
    let ops = store.by(&who);
    match ops
        .log_in(&limiter, &session, &req.name, &req.password)
        .await?
    {
        LoginOutcome::LoggedIn(user) => Ok(Json(serde_json::json!({ "user": user }))),
        LoginOutcome::Refused(why) => Err(ApiError::new(StatusCode::UNAUTHORIZED, why)),
    }
}

async fn logout(session: Session) -> ApiResult<impl IntoResponse> {
    log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Who(who): Who) -> impl IntoResponse {
    Json(serde_json::json!({ "user": who.user }))
}

async fn list_users(State(store): State<Store>, Who(who): Who) -> ApiResult<impl IntoResponse> {
    Ok(Json(store.by(&who).list_users().await?))
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
    Who(who): Who,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<impl IntoResponse> {
    let user = store
        .by(&who)
        .add_user(&req.name, &req.role, &req.password)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}
