//! The pages: datasets, one dataset, a problem, a variant, a share link, the new-problem
//! editor. Each reads its data through server functions inside `<Suspense>`, so the server
//! renders it completely before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    get_dataset, get_problem, get_shared, get_variant, list_datasets, list_jobs, ImportDataset,
    ImportOutcome, StartJob,
};
use crate::diff::{side_by_side, Row};
use crate::histogram::Histogram;
use crate::model::{
    DatasetSummary, JobSpec, JobState, JobStatus, JobTask, LineError, ServerDrawing, Shared,
    StoredProblem, StoredVariant,
};
use crate::wording::BaseWords;
use crate::words::{VariantsByVerdict, WordsPanel};
use crate::workbench::{Origin, Workbench};

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

/// `/`: every dataset with counts and a depth histogram, and the upload form.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    let import = ServerAction::<ImportDataset>::new();
    let datasets = Resource::new(move || import.version().get(), |_| list_datasets());
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
    let report = move || match import.value().get() {
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
                <button type="submit" class="primary" disabled=move || import.pending().get()>
                    "Import"
                </button>
            </form>
            {move || {
                (reading.get().is_some() || import.pending().get())
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

/// `/d/{id}`: a dataset's figures, its problems (paged), and curriculum jobs.
#[component]
pub fn DatasetPage() -> impl IntoView {
    let id = param_id("id");
    let query = use_query_map();
    let offset = move || {
        query
            .read()
            .get("offset")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let page = Resource::new(
        move || (id(), offset()),
        |(id, offset)| get_dataset(id, Some(offset), Some(50)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the dataset…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(p)) => {
                        let bins: Vec<(u32, u64)> = p
                            .summary
                            .histogram
                            .iter()
                            .map(|b| (b.depth, b.problems))
                            .collect();
                        let s = p.summary.clone();
                        let (offset, limit, total) = (p.offset, p.limit, p.total);
                        let rows = p
                            .problems
                            .into_iter()
                            .map(|r| {
                                let failed = r.error.is_some();
                                view! {
                                    <tr class:failed=failed>
                                        <td>
                                            <A href=format!("/p/{}", r.id)>{format!("#{}", r.id)}</A>
                                        </td>
                                        <td class="q">{r.question}</td>
                                        <td class="num">{r.depth.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{r.answer.unwrap_or_default()}</td>
                                        <td class="num">{r.variants}</td>
                                        <td class="err">{r.error.unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let prev = (offset > 0)
                            .then(|| format!("?offset={}", offset.saturating_sub(limit)));
                        let next = (offset + limit < total)
                            .then(|| format!("?offset={}", offset + limit));
                        view! {
                            <Title text=format!("{} · Graft", s.name)/>
                            <p class="crumbs"><A href="/">"Datasets"</A> " / " {s.name.clone()}</p>
                            <h1>{s.name.clone()}</h1>
                            <dl class="counts">
                                <dt>"problems"</dt><dd>{s.problems}</dd>
                                <dt>"extracted"</dt><dd>{s.extracted}</dd>
                                <dt>"variants"</dt><dd>{s.variants}</dd>
                                <dt>"reviewed"</dt><dd>{s.reviewed}</dd>
                            </dl>
                            <crate::checks::CheckCountsLine counts=s.checks/>
                            <Histogram bins/>
                            <crate::labeling::AnnotationPanel dataset_id=s.id settings=s.settings.clone()/>
                            {if p.can_write {
                                view! { <GeneratePanel dataset_id=s.id problem_id=None/> }.into_any()
                            } else {
                                view! { <WriteHint/> }.into_any()
                            }}
                            <VariantsByVerdict dataset_id=s.id/>
                            <h2>"Problems"</h2>
                            <table class="problems">
                                <thead>
                                    <tr>
                                        <th>"id"</th><th>"question"</th><th>"depth"</th>
                                        <th>"answer"</th><th>"variants"</th><th>"extraction"</th>
                                    </tr>
                                </thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <p class="pager">
                                {prev.map(|h| view! { <A href=h>"← previous"</A> })}
                                " problems " {offset + 1} "–" {(offset + limit).min(total)} " of " {total} " "
                                {next.map(|h| view! { <A href=h>"next →"</A> })}
                            </p>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// The curriculum form and the progress of this dataset's (or problem's) jobs.
#[component]
fn GeneratePanel(dataset_id: i64, problem_id: Option<i64>) -> impl IntoView {
    let start = ServerAction::<StartJob>::new();
    let jobs = Resource::new(
        move || start.version().get(),
        move |_| list_jobs(dataset_id),
    );
    let rounds = RwSignal::new("3".to_string());
    let per_problem = RwSignal::new("1".to_string());
    let seed = RwSignal::new("1".to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let spec = JobSpec {
            problem_id,
            ..JobSpec::curriculum(
                dataset_id,
                rounds.get_untracked().trim().parse().unwrap_or(0),
                per_problem.get_untracked().trim().parse().unwrap_or(0),
                seed.get_untracked().trim().parse().unwrap_or(0),
            )
        };
        start.dispatch(StartJob { spec });
    };
    let batch = move |task: JobTask| {
        start.dispatch(StartJob {
            spec: JobSpec {
                problem_id,
                ..JobSpec::words(dataset_id, task)
            },
        });
    };
    let scope = if problem_id.is_some() {
        "this problem"
    } else {
        "every extracted problem of the dataset"
    };
    view! {
        <section class="generate">
            <h2>"Generate a curriculum"</h2>
            <form on:submit=submit>
                <label>"rounds " <input type="number" name="rounds" min="1" max="8" bind:value=rounds/></label>
                <label>" per problem " <input type="number" name="per_problem" min="1" max="50" bind:value=per_problem/></label>
                <label>" seed " <input type="number" name="seed" min="0" bind:value=seed/></label>
                <button type="submit" class="primary" disabled=move || start.pending().get()>"Generate"</button>
                <span class="muted">" for " {scope} ", as a server job"</span>
            </form>
            <p class="batch">
                <button type="button" class="batch-verbalize" on:click=move |_| batch(JobTask::Verbalize) disabled=move || start.pending().get()>
                    "Verbalize all variants"
                </button>
                <button type="button" class="batch-judge" on:click=move |_| batch(JobTask::Judge) disabled=move || start.pending().get()>
                    "Judge all variants"
                </button>
                <button type="button" class="batch-extract" on:click=move |_| batch(JobTask::Extract) disabled=move || start.pending().get()>
                    "Extract with the model"
                </button>
                <span class="muted">" (with the server's model when it has one, else offline)"</span>
            </p>
            {move || match start.value().get() {
                Some(Err(e)) => Some(view! { <p class="error">{e.to_string()}</p> }),
                _ => None,
            }}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(list) => {
                            let list: Vec<JobStatus> = list
                                .into_iter()
                                .filter(|j| problem_id.is_none() || j.problem_id == problem_id)
                                .take(5)
                                .collect();
                            view! {
                                <ul class="jobs">
                                    {list.into_iter().map(|j| view! { <JobProgress job=j/> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => error_view(e),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// One job's live progress bar (polls while the job runs).
#[component]
fn JobProgress(job: JobStatus) -> impl IntoView {
    let status = RwSignal::new(job);
    // In the browser only: poll until the job is finished.
    Effect::new(move |_| {
        if status.with_untracked(|s| s.state.is_finished()) {
            return;
        }
        let id = status.with_untracked(|s| s.id);
        let handle = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(Some(s)) = crate::api::get_job(id).await {
                        status.set(s);
                    }
                });
            },
            std::time::Duration::from_millis(600),
        );
        if let Ok(handle) = handle {
            Effect::new(move |_| {
                if status.with(|s| s.state.is_finished()) {
                    handle.clear();
                }
            });
            on_cleanup(move || handle.clear());
        }
    });
    move || {
        let s = status.get();
        let scope = match s.problem_id {
            Some(p) => format!("problem #{p}"),
            None => "whole dataset".to_string(),
        };
        let what = match s.task {
            JobTask::Curriculum => {
                format!("{} rounds × {} · seed {}", s.rounds, s.per_problem, s.seed)
            }
            task => format!(
                "{} · {}{}",
                task.as_str(),
                s.llm_model.clone().unwrap_or_else(|| "offline".into()),
                match s.max_requests {
                    Some(m) => format!(" · {}/{m} requests", s.requests_used),
                    None if s.requests_used > 0 => format!(" · {} requests", s.requests_used),
                    None => String::new(),
                }
            ),
        };
        let made = match s.task {
            JobTask::Curriculum => format!("{} variants", s.variants_made),
            JobTask::Verbalize => format!("{} texts", s.variants_made),
            JobTask::Judge => format!("{} verdicts", s.variants_made),
            JobTask::Extract => format!("{} programs", s.variants_made),
        };
        let id = s.id;
        let can_resume = s.state == JobState::Failed;
        view! {
            <li class=format!("job {} {}", s.state.as_str(), s.task.as_str())>
                <span class="job-title">"Job " {s.id} " · " {scope} " · " {what}</span>
                <progress value=s.done max=s.total.max(1)></progress>
                <span class="job-state">
                    {s.state.as_str()} " " {s.done} "/" {s.total} " " {s.task.item()} "s, " {made}
                    {(s.problems_failed > 0).then(|| format!(", {} failed", s.problems_failed))}
                </span>
                {can_resume.then(|| view! {
                    <button type="button" class="resume" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            if let Ok(s) = crate::api::resume_job(id).await {
                                status.set(s);
                            }
                        });
                    }>"Resume"</button>
                })}
                {s.error.map(|e| view! { <p class="error">{e}</p> })}
            </li>
        }
    }
}

/// `/p/{id}`: a problem: question, graph, interventions, variants.
#[component]
pub fn ProblemPage() -> impl IntoView {
    let id = param_id("id");
    let problem = Resource::new(id, get_problem);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the problem…"</p> }>
            {move || Suspend::new(async move {
                match problem.await {
                    Ok(Some(p)) => view! { <ProblemView p can_save=true/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
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

#[component]
fn ProblemView(p: StoredProblem, can_save: bool) -> impl IntoView {
    let title = format!("Problem #{} · {} · Graft", p.id, p.dataset_name);
    let variants = p
        .variants
        .iter()
        .map(|v| {
            let href = if can_save {
                format!("/v/{}", v.id)
            } else {
                format!("/s/{}", v.share_token)
            };
            view! {
                <tr>
                    <td><a href=href>{format!("#{}", v.id)}</a></td>
                    <td class="num">{v.round}</td>
                    <td class="num">{v.depth}</td>
                    <td class="num">{v.answer.clone()}</td>
                    <td class="ops"><code>{v.operations.clone()}</code></td>
                    <td>{v.parent_variant_id.map(|id| format!("#{id}")).unwrap_or_else(|| "problem".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let has_variants = !p.variants.is_empty();
    let body = match p.graph {
        Some(graph) => view! {
            <Workbench
                graph
                drawing=p.drawing.clone().unwrap_or_else(ServerDrawing::missing)
                origin=Origin { problem_id: p.id, parent_variant_id: None, can_save: can_save && p.can_write }
            />
        }
        .into_any(),
        None => view! {
            <p class="question">{p.question.clone()}</p>
            <p class="error">"No graph: " {p.error.clone().unwrap_or_default()}</p>
        }
        .into_any(),
    };
    view! {
        <Title text=title/>
        <p class="crumbs">
            {can_save.then(|| view! { <A href="/">"Datasets"</A> " / " })}
            {if can_save {
                view! { <A href=format!("/d/{}", p.dataset_id)>{p.dataset_name.clone()}</A> }.into_any()
            } else {
                view! { <span>{p.dataset_name.clone()}</span> }.into_any()
            }}
            " / problem #" {p.id}
        </p>
        <div class="page-head">
            <h1>"Problem #" {p.id}</h1>
            <ShareLink token=p.share_token.clone()/>
        </div>
        {body}
        <section class="variants">
            <h2>"Variants"</h2>
            {if has_variants {
                view! {
                    <table class="variants">
                        <thead>
                            <tr><th>"id"</th><th>"round"</th><th>"depth"</th><th>"answer"</th><th>"operations"</th><th>"parent"</th></tr>
                        </thead>
                        <tbody>{variants}</tbody>
                    </table>
                }
                    .into_any()
            } else {
                view! { <p class="muted">"None yet: intervene above and save, or generate a curriculum."</p> }.into_any()
            }}
        </section>
        {(can_save && p.can_write).then(|| view! { <GeneratePanel dataset_id=p.dataset_id problem_id=Some(p.id)/> })}
        {(can_save && !p.can_write).then(|| view! { <WriteHint/> })}
    }
    .into_any()
}

/// `/v/{id}`: a variant, its lineage and its diff against its parent.
#[component]
pub fn VariantPage() -> impl IntoView {
    let id = param_id("id");
    let variant = Resource::new(id, get_variant);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the variant…"</p> }>
            {move || Suspend::new(async move {
                match variant.await {
                    Ok(Some(v)) => view! { <VariantView v can_save=true/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn VariantView(v: StoredVariant, can_save: bool) -> impl IntoView {
    let parent_label = match v.parent_variant_id {
        Some(p) => format!("variant #{p}"),
        None => format!("problem #{}", v.problem_id),
    };
    let parent_heading = parent_label.clone();
    let parent_href = match v.parent_variant_id {
        Some(p) => format!("/v/{p}"),
        None => format!("/p/{}", v.problem_id),
    };
    let ops = v
        .operations
        .iter()
        .map(|iv| view! { <li><code>{crate::workbench::describe(&v.parent_graph, iv)}</code></li> })
        .collect_view();
    let left = engine::to_python(&v.parent_graph);
    let right = engine::to_python(&v.graph);
    let rows = side_by_side(&left, &right)
        .into_iter()
        .map(|r| match r {
            Row::Same(l) => view! {
                <tr class="same"><td><pre>{l.clone()}</pre></td><td><pre>{l}</pre></td></tr>
            }
            .into_any(),
            Row::Changed(a, b) => view! {
                <tr class="changed">
                    <td class="del"><pre>{a.unwrap_or_default()}</pre></td>
                    <td class="ins"><pre>{b.unwrap_or_default()}</pre></td>
                </tr>
            }
            .into_any(),
        })
        .collect_view();
    let (a0, a1) = (v.parent_graph.answer_value(), v.graph.answer_value());
    let (d0, d1) = (v.parent_graph.depth(), v.graph.depth());
    // Its own text and lineage: the workbench below starts from the variant, its text and all.
    let (base_words, shown) = match v.page_words.clone() {
        Some(pw) => {
            let unavailable = pw.wording.text.clone().err();
            let base = BaseWords {
                lineage: pw.descent.map(|d| {
                    (
                        d.original.unwrap_or_else(|| v.parent_graph.clone()),
                        d.operations,
                    )
                }),
                text: pw.wording.text.clone().ok(),
                unavailable,
            };
            (base, Some(pw.wording))
        }
        None => (
            BaseWords {
                lineage: None,
                text: None,
                unavailable: Some("the page carries no lineage for this variant".into()),
            },
            None,
        ),
    };
    view! {
        <Title text=format!("Variant #{} · Graft", v.id)/>
        <p class="crumbs">
            {if can_save {
                view! { <A href=format!("/p/{}", v.problem_id)>{format!("problem #{}", v.problem_id)}</A> }.into_any()
            } else {
                view! { <span>{format!("problem #{}", v.problem_id)}</span> }.into_any()
            }}
            " / variant #" {v.id}
        </p>
        <div class="page-head">
            <h1>"Variant #" {v.id}</h1>
            <ShareLink token=v.share_token.clone()/>
        </div>
        <section class="lineage">
            <p>
                "Made from "
                {if can_save {
                    view! { <A href=parent_href>{parent_label}</A> }.into_any()
                } else {
                    view! { <span>{parent_label}</span> }.into_any()
                }}
                " (round " {v.round}
                {v.seed.map(|s| format!(", seed {s}"))}
                {v.job_id.map(|j| format!(", job {j}"))}
                "): answer " {a0.to_string()} " → " <b>{a1.to_string()}</b> ", depth " {d0} " → " <b>{d1}</b>
            </p>
            <ol class="ops">{ops}</ol>
        </section>
        <WordsPanel id=v.id words=v.words.clone() can_act=can_save && v.can_write shown/>
        <section class="diff">
            <h2>"Program: parent and variant"</h2>
            <table class="side-by-side">
                <thead><tr><th>{parent_heading}</th><th>{format!("variant #{}", v.id)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
        <section class="play">
            <h2>"Intervene on this variant"</h2>
            <Workbench
                graph=v.graph.clone()
                drawing=v.drawing.clone().unwrap_or_else(ServerDrawing::missing)
                origin=Origin { problem_id: v.problem_id, parent_variant_id: Some(v.id), can_save: can_save && v.can_write }
                words=base_words
            />
        </section>
    }
    .into_any()
}

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
