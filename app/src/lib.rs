//! Graft's web app: the HTML shell, routes, pages and server functions.
//!
//! Compiled twice: with feature `ssr` into the server (rendering and server functions), with
//! feature `hydrate` into the browser bundle (`frontend/`), which hydrates the server's HTML.

pub mod api;
pub mod catalog;
pub mod graph_svg;
pub mod model;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_params_map;
use leptos_router::{path, SsrMode};

use crate::api::{get_problem, list_problems};
use crate::graph_svg::GraphSvg;
use crate::model::ProblemPage;

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: header and routes. Pages render fully on the server (`SsrMode::Async`), then
/// hydrate.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/graft.css"/>
        <Title text="Graft"/>
        <Router>
            <header class="top">
                <A href="/">"Graft"</A>
                <span class="tagline">"word problems as exact computation graphs"</span>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=ProblemList ssr=SsrMode::Async/>
                    <Route path=path!("/p/:id") view=ProblemView ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// `/`: the problems with their depth.
#[component]
fn ProblemList() -> impl IntoView {
    let problems = Resource::new(|| (), |_| list_problems());
    view! {
        <h1>"Problems"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading problems…"</p> }>
            {move || Suspend::new(async move {
                match problems.await {
                    Ok(list) => {
                        let count = list.len();
                        let rows = list
                            .into_iter()
                            .map(|p| {
                                let href = format!("/p/{}", p.id);
                                view! {
                                    <li class="problem">
                                        <A href=href>{p.id}</A>
                                        <span class="depth" title="longest input → answer path, in operations">
                                            "depth " {p.depth}
                                        </span>
                                        <p class="question">{p.question}</p>
                                    </li>
                                }
                            })
                            .collect_view();
                        view! {
                            <p class="count">{count} " problems from the embedded demo set."</p>
                            <ul class="problems">{rows}</ul>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/p/{id}`: one problem, its figures and its graph.
#[component]
fn ProblemView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(id, get_problem);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the problem…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! { <ProblemDetail page/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProblemDetail(page: ProblemPage) -> impl IntoView {
    let m = page.metrics;
    view! {
        <Title text=format!("{} · Graft", page.id)/>
        <h1>{page.id}</h1>
        <p class="question">{page.question}</p>
        <dl class="metrics">
            <dt>"answer"</dt>
            <dd>{page.answer}</dd>
            <dt>"depth"</dt>
            <dd>{m.depth}</dd>
            <dt>"steps"</dt>
            <dd>{m.steps}</dd>
            <dt>"inputs"</dt>
            <dd>{m.inputs}</dd>
            <dt>"width"</dt>
            <dd>{m.width}</dd>
        </dl>
        <figure class="graph">
            <GraphSvg drawing=page.drawing/>
            <figcaption>"Inputs on top; each row is one more operation; the answer is outlined."</figcaption>
        </figure>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    // Tell the server to answer 404 when it renders this.
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <h1>"Not found"</h1>
        <p>"No such page or problem. " <A href="/">"All problems"</A></p>
    }
}
