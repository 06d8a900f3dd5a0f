//! Graft's browser bundle: hydrates the server-rendered app. Built by `cargo leptos build`
//! for `wasm32-unknown-unknown` with feature `hydrate`.

/// The entry point the generated JavaScript calls once the wasm module is loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
