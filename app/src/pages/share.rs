//! `/s/{token}`: a shared problem or variant, read-only.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::problem::ProblemView;
use super::variant::VariantView;
use super::{error_view, NotFound};
use crate::api::get_shared;
use crate::model::Shared;

/// `/s/{token}`: a shared problem or variant, read-only (interventions stay in the browser).
#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let shared = Resource::new(token, get_shared);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shared.await {
                    Ok(Some(Shared::Problem(p))) => view! {
                        <p class="shared-note">"Shared with you: try interventions below; nothing you do here is saved."</p>
                        <ProblemView p=*p can_save=false/>
                    }
                    .into_any(),
                    Ok(Some(Shared::Variant(v))) => view! {
                        <p class="shared-note">"Shared with you: try interventions below; nothing you do here is saved."</p>
                        <VariantView v=*v can_save=false/>
                    }
                    .into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}
