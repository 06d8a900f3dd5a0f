//! `graft serve`: the web app (axum + leptos_axum), server-rendered and hydrated, the JSON
//! API (`crate::api`) and the curriculum job runner, over one SQLite store.
//!
//! Reads its Leptos settings from the environment cargo-leptos sets (`LEPTOS_SITE_ROOT`,
//! `LEPTOS_OUTPUT_NAME`, …), with defaults that work from the workspace root after
//! `cargo leptos build`: site root `target/site`, bundle name `graft`.

use std::net::SocketAddr;

use anyhow::Context;
use app::auth::{session_user, Caller};
use app::store::{JobRunner, LoginLimiter, Store};
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use tower_sessions::cookie::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

use crate::bounds::{guard_preview, RateLimiter};
use crate::{accounts, annotations, api};

/// The bundle name in `[[workspace.metadata.leptos]]`, used when cargo-leptos did not set
/// `LEPTOS_OUTPUT_NAME`.
const OUTPUT_NAME: &str = "graft";

/// The largest request body accepted (a GSM8K-size JSONL import is about 4 MiB).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The default of `--engine-budget-ms` ([`app::store::DEFAULT_REQUEST_BUDGET`]).
const REQUEST_BUDGET_MS: u64 = app::store::DEFAULT_REQUEST_BUDGET.as_millis() as u64;
/// The default of `--job-budget-ms` ([`app::store::DEFAULT_JOB_BUDGET`]).
const JOB_BUDGET_MS: u64 = app::store::DEFAULT_JOB_BUDGET.as_millis() as u64;

/// Options of `graft serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port. The bound address is printed on
    /// standard output. [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000]
    #[arg(long, env = "GRAFT_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Where the database is (`--data-dir`, `--database-url`).
    #[command(flatten)]
    pub store: super::store::StoreArgs,
    /// Send the session cookie over plain HTTP too (without the Secure attribute). Only for a
    /// server reached over HTTP from another machine; browsers accept Secure cookies from
    /// http://localhost and http://127.0.0.1 already.
    #[arg(long, env = "GRAFT_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// The model endpoint (verbalize, judge, extract).
    #[command(flatten)]
    pub llm: super::llm::LlmArgs,
    /// How long one request's engine work may take (a preview, a saved variant, one row of an
    /// import), in milliseconds; past it the request gets 503 and says so.
    #[arg(long, env = "GRAFT_ENGINE_BUDGET_MS", default_value_t = REQUEST_BUDGET_MS)]
    pub engine_budget_ms: u64,
    /// How long one item of a job may take (one problem's curriculum), in milliseconds; past
    /// it the item is marked failed and the job goes on.
    #[arg(long, env = "GRAFT_JOB_BUDGET_MS", default_value_t = JOB_BUDGET_MS)]
    pub job_budget_ms: u64,
}

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
    fn provide(&self) {
        provide_context(self.store.clone());
        provide_context(self.jobs.clone());
        provide_context(self.limiter.clone());
    }
}

/// Opens the store, then serves until interrupted.
pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging();
    // Before any thread exists: outside cargo-leptos, name the bundle ourselves (otherwise
    // Leptos warns and links `/pkg/.js`).
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        std::env::set_var("LEPTOS_OUTPUT_NAME", OUTPUT_NAME);
    }
    let options = get_configuration(None)
        .context("cannot read the Leptos settings from the environment")?
        .leptos_options;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, options))
}

/// Log lines on stderr through `tracing`: `RUST_LOG` picks what (`RUST_LOG=debug` adds a line
/// per request and response); by default the server's own notices and errors, each error
/// inside its request's span (method and path).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (tests that run the command twice in one process) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

async fn serve(args: Args, options: LeptosOptions) -> anyhow::Result<()> {
    let addr = args.addr.unwrap_or(options.site_addr);
    let client = args.llm.client()?;
    tracing::info!("{}", super::llm::describe(client.as_ref()));
    let store = args
        .store
        .open()
        .await?
        .with_llm(client)
        .with_llm_config(args.llm.config())
        .with_engine_budgets(
            std::time::Duration::from_millis(args.engine_budget_ms.max(1)),
            std::time::Duration::from_millis(args.job_budget_ms.max(1)),
        );
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
    let problems = store.problem_count().await?;
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
        leptos_options: options.clone(),
        store,
        jobs,
        limiter: LoginLimiter::default(),
        previews: RateLimiter::preview(),
    };
    let router = router(state, sessions, !args.insecure_cookies);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is the port taken? try --addr)"))?;
    let bound = listener.local_addr()?;
    // Tests and scripts read this line to find the port when `--addr` ends in `:0`.
    println!("graft: serving {problems} problems on http://{bound}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .context("the server stopped")
}

/// How long a session lasts without a request.
const SESSION_IDLE_DAYS: i64 = 7;

/// The whole app: the JSON API, server functions, the pages, static files; every request
/// carries its session and its [`Caller`].
fn router(state: AppState, sessions: SqliteStore, secure: bool) -> Router {
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("graft_session")
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(Duration::days(SESSION_IDLE_DAYS)));
    let routes = generate_route_list(app::App);
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
        // Inside `identify`: the preview's guard reads the request's Caller.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard_preview,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            identify,
        ))
        .layer(session_layer)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Outermost: a span per request (method, path) around everything it logs; a line per
        // request and response at debug level, an error line for a 5xx.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG),
                ),
        )
        .with_state(state)
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
