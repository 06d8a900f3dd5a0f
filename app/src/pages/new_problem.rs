//! `/new`: the new-problem editor.

use leptos::prelude::*;
use leptos_meta::Title;

use super::error_view;
use crate::api::list_datasets;

/// `/new`: write a problem and watch its graph appear.
#[component]
pub fn NewProblemPage() -> impl IntoView {
    let datasets = Resource::new(|| (), |_| list_datasets());
    view! {
        <Title text="New problem · Graft"/>
        <h1>"New problem"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match datasets.await {
                    Ok(list) => {
                        let list = list.into_iter().map(|d| (d.id, d.name)).collect();
                        view! { <crate::editor::Editor datasets=list/> }.into_any()
                    }
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}
