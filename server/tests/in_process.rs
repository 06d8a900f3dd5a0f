//! The web server driven in-process, as a library: the real router over a real SQLite file,
//! requests sent with `tower::ServiceExt::oneshot`, no port and no child process.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use server::bounds::RateLimiter;
use server::web::{router, AppState};
use store::{LoginLimiter, Store};
use tower::ServiceExt;
use tower_sessions_sqlx_store::SqliteStore;

async fn app(dir: &std::path::Path) -> axum::Router {
    let store = Store::open_data_dir(dir).await.expect("a new store");
    store.ensure_demo().await.expect("the demo set");
    let sessions = SqliteStore::new(store.pool().clone());
    sessions.migrate().await.expect("the session table");
    let jobs = store.spawn_job_runner();
    let options = leptos::config::get_configuration(None)
        .expect("Leptos settings")
        .leptos_options;
    let state = AppState {
        leptos_options: options,
        store,
        jobs,
        limiter: LoginLimiter::default(),
        previews: RateLimiter::preview(),
    };
    router(state, sessions, false)
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, serde_json::Value) {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let res = app.clone().oneshot(req).await.expect("a response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_without_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let (status, body) = get(&app, "/api/datasets").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .expect("a list of datasets")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&"demo"), "{body}");
    // An unknown endpoint is the API's own JSON 404.
    let (status, body) = get(&app, "/api/no-such-endpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string(), "{body}");
}
