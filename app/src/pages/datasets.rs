//! `/`: every dataset with counts and a depth histogram, and the import form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::error_view;
use crate::api::{list_datasets, ImportDataset, ImportOutcome};
use crate::histogram::Histogram;
use crate::model::{DatasetSummary, LineError};

/// `/`: every dataset with counts and a depth histogram, and the upload form.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    let import = ServerAction::<ImportDataset>::new();
    let import_state = crate::watch::Watch::new(&import);
    let datasets = Resource::new(move || import_state.version(), |_| list_datasets());
    view! {
        <Title text="Datasets · Graft"/>
        <div class="page-head">
            <h1>"Datasets"</h1>
            <A href="/new" attr:class="button">"New problem"</A>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading datasets…"</p> }>
            {move || Suspend::new(async move {
                match datasets.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="muted">"No datasets yet: import one below."</p> }.into_any()
                    }
                    Ok(list) => {
                        view! {
                            <ul class="datasets">
                                {list.into_iter().map(|d| view! { <DatasetCard d/> }).collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
        <UploadForm import/>
    }
    .into_any()
}

#[component]
fn DatasetCard(d: DatasetSummary) -> impl IntoView {
    let bins: Vec<(u32, u64)> = d.histogram.iter().map(|b| (b.depth, b.problems)).collect();
    view! {
        <li class="dataset-card">
            <h2>
                <A href=format!("/d/{}", d.id)>{d.name.clone()}</A>
            </h2>
            <dl class="counts">
                <dt>"problems"</dt>
                <dd>{d.problems}</dd>
                <dt>"extracted"</dt>
                <dd>{d.extracted}</dd>
                <dt>"variants"</dt>
                <dd>{d.variants}</dd>
                <dt>"reviewed"</dt>
                <dd>{d.reviewed}</dd>
            </dl>
            <Histogram bins/>
        </li>
    }
    .into_any()
}

/// Upload a JSONL file: read it in the browser, send it to `import_dataset`, show the report.
#[component]
fn UploadForm(import: ServerAction<ImportDataset>) -> impl IntoView {
    let import_state = crate::watch::Watch::new(&import);
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let name = RwSignal::new(String::new());
    let reading = RwSignal::new(None::<String>);
    let local_error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let Some(input) = file_ref.get_untracked() else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            local_error.set(Some("choose a .jsonl file first".into()));
            return;
        };
        let mut dataset = name.get_untracked().trim().to_string();
        if dataset.is_empty() {
            dataset = file
                .name()
                .trim_end_matches(".jsonl")
                .trim_end_matches(".json")
                .to_string();
        }
        reading.set(Some(format!(
            "reading {} ({} KB)…",
            file.name(),
            (file.size() / 1024.0).ceil()
        )));
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            reading.set(None);
            match text.ok().and_then(|t| t.as_string()) {
                Some(contents) => {
                    import.dispatch(ImportDataset {
                        name: dataset,
                        contents,
                    });
                }
                None => local_error.set(Some("the browser could not read the file".into())),
            }
        });
    };
    let report = move || match import_state.value() {
        Some(Ok(ImportOutcome::Imported(r))) => {
            let failed = r.failed.clone();
            view! {
                <div class="import-report ok">
                    <p>
                        "Imported " <b>{r.imported}</b> " problems (" {r.extracted} " extracted). "
                        <A href=format!("/d/{}", r.dataset_id)>"Open the dataset"</A>
                    </p>
                    {(!failed.is_empty())
                        .then(|| {
                            view! {
                                <p class="error">{failed.len()} " lines could not be read and were left out:"</p>
                                <LineErrors failed/>
                            }
                        })}
                </div>
            }
            .into_any()
        }
        Some(Ok(ImportOutcome::Refused { reason, failed })) => view! {
            <div class="import-report failed">
                <p class="error">"Nothing imported: " {reason}</p>
                <LineErrors failed/>
            </div>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <div class="import-report failed">
                <p class="error">{e.to_string()}</p>
            </div>
        }
        .into_any(),
        None => ().into_any(),
    };
    view! {
        <section class="upload">
            <h2>"Import a dataset"</h2>
            <p class="muted">
                "A JSONL file, one problem per line: GSM8K rows "
                <code>"{\"question\", \"answer\"}"</code> " or program rows "
                <code>"{\"question\", \"code\"}"</code> "."
            </p>
            <form on:submit=submit>
                <input type="file" name="file" accept=".jsonl,.json,.txt" node_ref=file_ref/>
                <input
                    type="text"
                    name="name"
                    placeholder="dataset name (default: file name)"
                    bind:value=name
                />
                <button type="submit" class="primary" disabled=move || import_state.pending()>
                    "Import"
                </button>
            </form>
            {move || {
                (reading.get().is_some() || import_state.pending())
                    .then(|| {
                        view! {
                            <div class="progress-line">
                                <progress></progress>
                                <span>{reading.get().unwrap_or_else(|| "importing and extracting…".into())}</span>
                            </div>
                        }
                    })
            }}
            {move || local_error.get().map(|e| view! { <p class="error">{e}</p> })}
            {report}
        </section>
    }
    .into_any()
}

/// The line-numbered reasons of an import, the first 200.
#[component]
fn LineErrors(failed: Vec<LineError>) -> impl IntoView {
    let more = failed.len().saturating_sub(200);
    view! {
        <ul class="line-errors">
            {failed
                .into_iter()
                .take(200)
                .map(|f| view! { <li><b>"line " {f.line}</b> ": " {f.reason}</li> })
                .collect_view()}
            {(more > 0).then(|| view! { <li>"… and " {more} " more"</li> })}
        </ul>
    }
    .into_any()
}
