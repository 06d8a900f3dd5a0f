//! Graft's browser bundle: hydrates the server-rendered app. Built for
//! `wasm32-unknown-unknown` with feature `hydrate` (`scripts/build-site`, or `cargo leptos
//! build`), then bound to JavaScript with `wasm-bindgen --target web`.
//!
//! Besides `hydrate()`, the bundle exports two micro-benchmarks of the engine as it runs in
//! the browser, [`bench_cascade`] and [`bench_layout`], and [`bench_workbench`], which mounts
//! the workbench on a large graph for the click → repaint benchmark (see `end2end/bench.mjs`).

pub mod bench;

#[cfg(feature = "hydrate")]
pub use bench::{bench_cascade, bench_layout, bench_workbench};

/// The attribute set on `<html>` once the app is hydrated: browser tests wait for
/// `html[data-hydrated="true"]` before they click (clicks before hydration are lost).
pub const HYDRATED_ATTRIBUTE: &str = "data-hydrated";

/// The entry point the generated JavaScript calls once the wasm module is loaded.
///
/// Hydrates asynchronously: a lazy route's view is in a chunk of its own (see `app::chunks`),
/// which must be fetched before the server's HTML for that route can hydrate, so the marker
/// waits for the whole hydration, chunks included.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            leptos::logging::error!("hydrate: the page has no <body>");
            return;
        };
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        // Suspense blocks finish hydrating in tasks queued during hydration (microtasks); a
        // zero timeout runs after all of them, so the marker means "the whole page is live".
        leptos::prelude::set_timeout(
            || {
                if let Some(html) = leptos::prelude::document().document_element() {
                    let _ = html.set_attribute(HYDRATED_ATTRIBUTE, "true");
                }
            },
            std::time::Duration::ZERO,
        );
    });
}
