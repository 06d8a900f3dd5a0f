//! The web server as a library: the axum state ([`AppState`]), the router ([`router`]) with
//! its layers (request spans, sessions, the caller of each request) over the JSON API
//! (`crate::api`, `crate::accounts`, `crate::annotations`), the server functions and the
//! pages. `graft serve` (`crate::cli::serve`) opens the store and serves it; tests can drive
//! it in-process.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use store::caller::session_user;
use store::Caller;
use store::{JobRunner, LoginLimiter, Store};
use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

use crate::bounds::{guard_preview, RateLimiter};
use crate::web_cache::{cached_reads, ResponseCache, CACHE_BYTES};
use crate::{accounts, annotations, api};

/// The largest request body accepted (a GSM8K-size JSONL import is about 4 MiB).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// What every handler can reach: the Leptos settings, the store, the job runner and the
/// limiters.
/// Handlers take the part they need (`State<Store>`, …) through [`FromRef`].
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos settings (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// The database.
    pub store: Store,
    /// The curriculum job runner.
    pub jobs: JobRunner,
    /// Failed logins, by name and address.
    pub limiter: LoginLimiter,
    /// Previews asked for, by client address.
    pub previews: RateLimiter,
}

impl AppState {
    /// Provides the store and the job runner as Leptos context, for server functions and
    /// server rendering (`use_context::<Store>()`, `use_context::<JobRunner>()`).
    pub fn provide(&self) {
        provide_context(self.store.clone());
        provide_context(self.jobs.clone());
        provide_context(self.limiter.clone());
    }
}

/// Everything `graft serve` sets up over an opened store, as a router: the demo set imported
/// into an empty database, a warning when there are no accounts, the session table, the job
/// runner. Tests drive the same router in-process.
pub async fn app(
    store: Store,
    leptos_options: LeptosOptions,
    secure_cookies: bool,
) -> anyhow::Result<Router> {
    use anyhow::Context;
    if let Some(report) = store
        .ensure_demo()
        .await
        .context("cannot import the demo set into the new database")?
    {
        tracing::info!(
            "new database: imported the demo set ({} problems)",
            report.imported
        );
    }
    if store.user_count().await? == 0 {
        tracing::warn!(
            "no accounts yet: anyone can read public datasets, nobody can write; make the first \
             admin with `graft user add NAME --admin`"
        );
    }
    let sessions = SqliteStore::new(store.pool().clone());
    sessions
        .migrate()
        .await
        .context("cannot create the session table in the database")?;
    let jobs = store.spawn_job_runner();
    let state = AppState {
        leptos_options,
        store,
        jobs,
        limiter: LoginLimiter::default(),
        previews: RateLimiter::preview(),
    };
    Ok(router(state, sessions, secure_cookies))
}

/// Serves `router` on `listener` until the server stops (each request knows its client's
/// address).
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// How long a session lasts without a request.
const SESSION_IDLE_DAYS: i64 = 7;

/// The whole app: the JSON API, server functions, the pages, static files; every request
/// carries its session and its [`Caller`]. Problem pages and problem JSON are served from a
/// response cache of its own ([`crate::web_cache`]) while nothing they show has changed.
pub fn router(state: AppState, sessions: SqliteStore, secure: bool) -> Router {
    let cache = ResponseCache::new(state.store.clone(), CACHE_BYTES);
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("graft_session")
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(Duration::days(SESSION_IDLE_DAYS)));
    let routes = page_routes().to_vec();
    let context = {
        let state = state.clone();
        move || state.provide()
    };
    Router::new()
        .merge(api::routes())
        .merge(accounts::routes())
        .merge(annotations::routes())
        // Server functions are registered at their own paths by `leptos_routes_with_context`;
        // anything else under /api/ is an unknown endpoint (JSON 404).
        .route("/api/{*fn_name}", any(server_fn_or_404))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn(server_fn_argument_errors))
        // Inside `identify`: the preview's guard and the response cache read the request's
        // Caller.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard_preview,
        ))
        .layer(axum::middleware::from_fn_with_state(cache, cached_reads))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            identify,
        ))
        .layer(session_layer)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Outermost: a span per request (method, path, then the caller's account, the status
        // and the latency) around everything it logs; a line per response at debug level, an
        // error line for a 5xx.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(
                    |res: &Response, latency: std::time::Duration, span: &tracing::Span| {
                        span.record("status", res.status().as_u16());
                        span.record("latency_ms", latency.as_millis() as u64);
                        tracing::debug!("response");
                    },
                ),
        )
        .with_state(state)
}

/// The app's page routes, worked out once per process.
///
/// Working them out runs the whole app with resource loading switched off for the whole
/// process (a flag of Leptos's, `SuppressResourceLoad`): a page another thread starts
/// rendering meanwhile waits for its data forever (leptos-rs/leptos#4773). A process that
/// builds a second router while it serves (tests do, one per test) must not do it again.
fn page_routes() -> &'static [AxumRouteListing] {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App))
}

/// The span of one request: method and path (a share link's token left out: it is the key to
/// what it shares), and the fields filled in later (`user`, `status`, `latency_ms`, and
/// `cache`: `hit` or `miss` for the cached problem routes).
fn request_span(req: &Request<Body>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        user = tracing::field::Empty,
        cache = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// `path` with the secret part of a share link (`/s/{token}`, `/api/s/{token}`) replaced by
/// `…`.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/s/", "/api/s/"] {
        if path.starts_with(prefix) && path.len() > prefix.len() {
            return format!("{prefix}…").into();
        }
    }
    path.into()
}

/// Puts the request's [`Caller`] (the session's account, the client's address) in its
/// extensions, for API handlers and, through the request parts, server functions and pages.
async fn identify(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    // The bundle's files are the same for everyone: no account lookup for them.
    let pkg = state.leptos_options.site_pkg_dir.trim_matches('/');
    if req
        .uri()
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(pkg))
        .is_some_and(|rest| rest.starts_with('/'))
    {
        return next.run(req).await;
    }
    let user = match req.extensions().get::<Session>().cloned() {
        Some(session) => session_user(&state.store, &session).await,
        None => None,
    };
    if let Some(u) = &user {
        tracing::Span::current().record("user", u.id);
    }
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    req.extensions_mut().insert(Caller { user, address });
    next.run(req).await
}

/// `/api/{*fn_name}`: a server function (with the store and job runner as context), or a
/// JSON 404.
async fn server_fn_or_404(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    let registered = leptos::server_fn::axum::server_fn_paths()
        .any(|(p, method)| p == path && method == req.method());
    if !registered {
        let (method, uri) = (req.method().clone(), req.uri().clone());
        return api::unknown_endpoint(method, uri).await.into_response();
    }
    leptos_axum::handle_server_fns_with_context(move || state.provide(), req)
        .await
        .into_response()
}

/// Middleware over `/api/…`: see [`caller_errors_are_400`].
async fn server_fn_argument_errors(req: Request<Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if api {
        caller_errors_are_400(res).await
    } else {
        res
    }
}

/// Leptos answers arguments it cannot decode (a wrong type, a bad encoding) with 500, as if
/// the server had failed: make those 400, the caller's mistake, keeping the message.
async fn caller_errors_are_400(res: Response) -> Response {
    if res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Error answers are short; anything longer is passed on as a plain 500.
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if [&b"Args|"[..], b"Deserialization|"]
        .iter()
        .any(|p| bytes.starts_with(p))
    {
        parts.status = axum::http::StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
