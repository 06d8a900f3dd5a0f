//! The pages, a module per route: datasets (`/`), a dataset (`/d/{id}`), a problem (`/p/{id}`),
//! a variant (`/v/{id}`), a share link (`/s/{token}`), the new-problem editor (`/new`) and the
//! 404 page; the curriculum and job panel of the dataset and problem pages is in `jobs`. Each
//! reads its data through server functions inside `<Suspense>`, so the server renders it
//! completely before hydration.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

mod dataset;
mod datasets;
mod jobs;
mod new_problem;
mod not_found;
mod problem;
mod share;
mod variant;

pub use dataset::DatasetPage;
pub use datasets::DatasetsPage;
pub use new_problem::NewProblemPage;
pub use not_found::NotFound;
pub use problem::ProblemPage;
pub use share::SharePage;
pub use variant::VariantPage;

fn error_view(e: ServerFnError) -> AnyView {
    view! { <p class="error">{e.to_string()}</p> }.into_any()
}

/// The route parameter `name` as an id (-1 when absent or not a number: "not found").
pub(crate) fn param_id(name: &'static str) -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get(name)
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1)
    }
}

/// The query parameter `name` as an offset into a paged list (0 when absent or not a whole
/// number).
pub(crate) fn query_offset(name: &'static str) -> impl Fn() -> u64 + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query
            .read()
            .get(name)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

/// Where an admin would find jobs and saving: who may use them, and a way to log in.
#[component]
fn WriteHint() -> impl IntoView {
    view! {
        <p class="muted write-hint">
            "Generating, saving and judging are for admins. "
            <a href="/login">"Log in"</a> " as one to use them."
        </p>
    }
}

#[component]
fn ShareLink(token: String) -> impl IntoView {
    let href = format!("/s/{token}");
    let text = href.clone();
    view! {
        <span class="share">
            "Share: " <a class="share-link" href=href>{text}</a>
        </span>
    }
    .into_any()
}
