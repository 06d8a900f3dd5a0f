//! `graft serve`: the web app (axum + leptos_axum), server-rendered and hydrated, the JSON
//! API (`crate::api`) and the curriculum job runner, over one SQLite store.
//!
//! Reads its Leptos settings from the environment cargo-leptos sets (`LEPTOS_SITE_ROOT`,
//! `LEPTOS_OUTPUT_NAME`, …), with defaults that work from the workspace root after
//! `cargo leptos build`: site root `target/site`, bundle name `graft`.

use std::net::SocketAddr;

use anyhow::Context;
use leptos::prelude::*;

/// The bundle name in `[[workspace.metadata.leptos]]`, used when cargo-leptos did not set
/// `LEPTOS_OUTPUT_NAME`.
const OUTPUT_NAME: &str = "graft";

/// The default of `--engine-budget-ms` ([`store::DEFAULT_REQUEST_BUDGET`]).
const REQUEST_BUDGET_MS: u64 = store::DEFAULT_REQUEST_BUDGET.as_millis() as u64;
/// The default of `--job-budget-ms` ([`store::DEFAULT_JOB_BUDGET`]).
const JOB_BUDGET_MS: u64 = store::DEFAULT_JOB_BUDGET.as_millis() as u64;

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
    let router = crate::web::app(store.clone(), options.clone(), !args.insecure_cookies).await?;
    let problems = store.problem_count().await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is the port taken? try --addr)"))?;
    let bound = listener.local_addr()?;
    // Tests and scripts read this line to find the port when `--addr` ends in `:0`.
    println!("graft: serving {problems} problems on http://{bound}");
    crate::web::serve(listener, router)
        .await
        .context("the server stopped")
}
