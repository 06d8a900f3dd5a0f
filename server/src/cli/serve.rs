//! `graft serve`: the web app (axum + leptos_axum), server-rendered and hydrated.
//!
//! Reads its Leptos settings from the environment cargo-leptos sets (`LEPTOS_SITE_ROOT`,
//! `LEPTOS_OUTPUT_NAME`, …), with defaults that work from the workspace root after
//! `cargo leptos build`: site root `target/site`, bundle name `graft`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use app::catalog::Catalog;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::jsonl;

/// The bundle name in `[[workspace.metadata.leptos]]`, used when cargo-leptos did not set
/// `LEPTOS_OUTPUT_NAME`.
const OUTPUT_NAME: &str = "graft";

/// Options of `graft serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port. The bound address is printed on
    /// standard output. [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000]
    #[arg(long, env = "GRAFT_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Problems to show (JSONL); the embedded demo set when absent.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

/// Loads the problems, then serves until interrupted.
pub fn run(args: Args) -> anyhow::Result<()> {
    let catalog = load_catalog(args.input.as_deref())?;
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
    runtime.block_on(serve(args.addr, options, catalog))
}

/// Extracts every readable problem of the input; rows that fail are reported and left out.
fn load_catalog(input: Option<&std::path::Path>) -> anyhow::Result<Catalog> {
    let rows = jsonl::read_problems(input)?;
    let name = jsonl::input_name(input);
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = jsonl::source_id(input, row);
        match &row.problem {
            Ok(problem) => match engine::problem::extract(problem) {
                Ok(extracted) => entries.push((id, extracted.graph)),
                Err(e) => eprintln!("{name}:{}: skipped: {e}", row.line),
            },
            Err(e) => eprintln!("{name}:{}: skipped: {e}", row.line),
        }
    }
    Ok(Catalog::new(entries))
}

async fn serve(
    addr: Option<SocketAddr>,
    options: LeptosOptions,
    catalog: Catalog,
) -> anyhow::Result<()> {
    let addr = addr.unwrap_or(options.site_addr);
    let routes = generate_route_list(app::App);
    let problems = catalog.len();
    let router = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(catalog.clone()),
            {
                let options = options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is the port taken? try --addr)"))?;
    let bound = listener.local_addr()?;
    // Tests and scripts read this line to find the port when `--addr` ends in `:0`.
    println!("graft: serving {problems} problems on http://{bound}");
    axum::serve(listener, router.into_make_service())
        .await
        .context("the server stopped")
}
