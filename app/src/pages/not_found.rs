//! The 404 page, for every path no route matches.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The 404 page (the server answers with status 404 when it renders it).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Graft"/>
        <h1>"Not found"</h1>
        <p>"No such page, problem, variant or share link. " <A href="/">"All datasets"</A></p>
    }
    .into_any()
}
